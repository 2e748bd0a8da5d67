"""Every custom spaCy extension caacwatch sets, in one place (``doc._.caac_*``).

Components read their inputs from and write their outputs to these attributes; ``analyze`` converts them
into records (``caacwatch.records``) before anything leaves the process.
"""

from __future__ import annotations

from spacy.tokens import Doc

DOC_EXTENSIONS: dict[str, str] = {
    "caac_boilerplate": "list[(start, end)] of boilerplate lines, set by the caller before the pipeline runs",
    "caac_published": "datetime.date | None: publication date, set by the caller",
    "caac_parties": "list[PartyMention], set by caacwatch_parties_v1",
    "caac_places": "list[PlaceMatch], set by caacwatch_places_v1",
    "caac_dates": "list[DateMention], set by caacwatch_dates_v1",
    "caac_cues": "list[ViolationCue], set by caacwatch_violations_v1",
    "caac_claims": "list[records.Claim], set by caacwatch_attribution_v1",
}


def register_extensions() -> None:
    """Idempotent: safe to call from every process (CLI, web app, Ray worker)."""
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
