"""Independent sources of an incident: who says so, as opposed to who repeats it.

Ten outlets quoting one ministry are one source; a syndicated copy adds nothing; a ``via``
chain (the outlet repeating the Daily Mail repeating the commissioner) credits the commissioner
and lists the others as relays. An outlet counts as a source in its own right only where it
states the allegation in its own voice, with no one to attribute it to. Sources that speak for
the same party to the conflict (a ministry, its army, its prime minister) are listed one by one
but count as one independent source: they are one side's account.

Plain Python over the JSON of claims, so the store and the tests share it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

NEUTRAL_SOURCE_TYPES = frozenset({"un", "ngo", "witness"})
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class ReportEvidence:
    """One document's support for an incident."""

    external_ids: tuple[str, ...]
    story: str  # the canonical document of its near-duplicate group: copies share it
    outlet: str | None  # the outlet of that canonical document
    claims: tuple[Mapping[str, Any], ...]  # the claims (records.Claim JSON) behind the allegations


@dataclass
class SourceSummary:
    key: str
    name: str
    type: str
    party: str | None
    relays: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    stances: set[str] = field(default_factory=set)

    @property
    def independence(self) -> str:
        """Sources with the same key are not independent of each other."""
        return f"party:{self.party.casefold()}" if self.party else self.key

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "party": self.party,
            "outlets": sorted(self.relays),
            "documents": sorted(self.documents),
            "stances": sorted(self.stances),
        }


@dataclass(frozen=True)
class IndependentSources:
    sources: list[dict[str, Any]]
    count: int
    party_to_conflict_only: bool
    neutral_source: bool
    denied: bool


def source_key(name: str) -> str:
    """A name folded so "the Israeli military" and "Israeli military's" count once."""
    key = _LEADING_ARTICLE.sub("", " ".join(name.split())).casefold()
    return _POSSESSIVE.sub("", key)


def independent_sources(reports: Iterable[ReportEvidence]) -> IndependentSources:
    summaries: dict[str, SourceSummary] = {}
    for report in reports:
        for summary, relays in _report_sources(report):
            existing = summaries.setdefault(summary.key, summary)
            existing.relays |= relays
            existing.documents |= set(report.external_ids)
            existing.stances |= summary.stances
    ordered = sorted(summaries.values(), key=lambda s: (-len(s.documents), s.key))
    return IndependentSources(
        sources=[s.to_json() for s in ordered],
        count=len({s.independence for s in ordered}),
        party_to_conflict_only=bool(ordered) and all(s.party for s in ordered),
        neutral_source=any(s.type in NEUTRAL_SOURCE_TYPES for s in ordered),
        denied=any("denies" in s.stances for s in ordered),
    )


def _report_sources(report: ReportEvidence) -> Iterable[tuple[SourceSummary, set[str]]]:
    attributed = [c for c in report.claims if c.get("source")]
    outlet_relay = {report.outlet} if report.outlet else set()
    for claim in attributed:
        source = claim["source"]
        summary = SourceSummary(
            key=source_key(source["name"]),
            name=source["name"],
            type=source.get("type") or "unknown",
            party=source.get("party"),
            stances={claim.get("stance") or "reports"},
        )
        yield summary, outlet_relay | set(claim.get("via") or [])
    if not attributed:
        # The outlet says it in its own voice: the story (all its copies) is one source.
        name = report.outlet or f"story {report.story}"
        yield SourceSummary(key=f"outlet:{source_key(name)}", name=name, type="outlet", party=None), set()


# --- MRM typing (docs/mrm.md, "Sources") --------------------------------------------------------------
# A claim's speaker type (records.SourceType) -> the MRM's source type, for analyses older than /2 whose
# allegations carry no typed ``sources``.
_MRM_TYPE = {
    "official": "official", "government": "official", "military": "official", "un": "un", "ngo": "ngo",
    "outlet": "media", "witness": "witness", "person": "other", "armed_group": "other",
    "organisation": "other", "unknown": "other",
}
PRIMARY_TYPES = frozenset({"victim", "witness", "alleged_perpetrator"})


def typed_source_key(name: str, party: str | None) -> str:
    """The identity of an incident's source: its folded name and the party it belongs to."""
    return f"{source_key(name)}|{(party or '').casefold()}"


def typed_from_claim(source: Mapping[str, Any], *, perpetrator_party: str | None = None) -> dict[str, Any]:
    """An allegation source (records.AllegationSource JSON) made from a claim's speaker (fallback)."""
    party = source.get("party")
    kind = _MRM_TYPE.get(source.get("type") or "unknown", "other")
    if party and perpetrator_party and party.casefold() == perpetrator_party.casefold():
        kind = "alleged_perpetrator"
    return {
        "name": source["name"],
        "category": "primary" if kind in PRIMARY_TYPES else "secondary",
        "type": kind,
        "kinds": ["media_report"] if kind == "media" else (["official_statement"] if kind == "official" else []),
        "party": party,
        "relay": False,
        "reliability": "medium",
        "credibility": "medium",
        "claims": [],
        "rule": "from_claim",
    }
