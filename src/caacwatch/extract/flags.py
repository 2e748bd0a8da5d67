"""Document flags: what a monitor must know before trusting a report.

question_headline        the headline asks rather than states ("Russia Recruits Child Soldiers?")
representative_image     the article shows a picture captioned as representative: it is not evidence
secondary_reporting      the article relies on another outlet or document (a `via` chain)
single_source            all attributed allegations rest on one independent source
party_to_conflict_source the only sources belong to a party to the same conflict as the accused
no_attributed_source     relevant, but nobody is named as saying so
hedged                   the claims supporting an allegation are hedged ("alleged", "so-called"...)
unsupported_language     not English: recorded, not analysed (the rules and the model are English)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from caacwatch.extract.lexicons import party_lexicon
from caacwatch.records import Allegation, Claim, Document

RELAY_TYPES = {"outlet"}
OFFICIAL_TYPES = {"official", "government", "military"}


def document_flags(document: Document, claims: Sequence[Claim], allegations: Sequence[Allegation],
                   relevant: bool) -> list[str]:
    flags: list[str] = []
    if is_unsupported_language(document):
        flags.append("unsupported_language")
    if is_question_headline(document):
        flags.append("question_headline")
    if any(b.kind == "representative_image" for b in document.boilerplate):
        flags.append("representative_image")
    if any(c.via for c in claims) or any(c.source and c.source.type in RELAY_TYPES for c in claims):
        flags.append("secondary_reporting")
    if relevant:
        flags.extend(_source_flags(claims, allegations))
    return flags


QUESTION = re.compile(r"\?(?=\s|$|[\"'\u201d\u2019])")


SUPPORTED_LANGUAGES = {"en"}
# Language identification is unreliable on a line or two; below this length the text is analysed anyway.
MIN_CHARS_FOR_LANGUAGE = 200


def is_unsupported_language(document: Document) -> bool:
    return (
        document.language is not None
        and document.language not in SUPPORTED_LANGUAGES
        and len(document.text) >= MIN_CHARS_FOR_LANGUAGE
    )


def is_question_headline(document: Document) -> bool:
    """A headline that asks ("Russia Recruits Child Soldiers? Officials Accuse...") — anywhere in it."""
    title = document.title or _first_line(document.text)
    return bool(QUESTION.search(title))


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def independent_sources(claims: Sequence[Claim]) -> set[str]:
    """Ultimate sources, one key each: officials of one party count once; outlets relay, they do not add."""
    keys = set()
    for claim in claims:
        source = claim.source
        if source is None or claim.kind == "unattributed" or source.type in RELAY_TYPES:
            continue
        if source.type in OFFICIAL_TYPES and source.party:
            keys.add(f"party:{source.party}")
        else:
            keys.add(f"source:{source.name.lower()}")
    return keys


def _source_flags(claims: Sequence[Claim], allegations: Sequence[Allegation]) -> list[str]:
    supporting_ids = {cid for a in allegations for cid in a.claims}
    supporting = [c for c in claims if c.id in supporting_ids] or list(claims)
    flags: list[str] = []
    sources = independent_sources(supporting)
    if not sources:
        flags.append("no_attributed_source")
    elif len(sources) == 1:
        flags.append("single_source")
    if _only_party_sources(supporting, allegations):
        flags.append("party_to_conflict_source")
    if any(c.hedges for c in supporting):
        flags.append("hedged")
    return flags


def _only_party_sources(claims: Sequence[Claim], allegations: Sequence[Allegation]) -> bool:
    ultimate = [c.source for c in claims
                if c.source is not None and c.kind != "unattributed" and c.source.type not in RELAY_TYPES]
    accused = {a.perpetrator.party for a in allegations if a.perpetrator and a.perpetrator.party}
    if not ultimate or not accused:
        return False
    lexicon = party_lexicon()
    return all(
        source.party is not None and any(lexicon.same_conflict(source.party, party) for party in accused)
        for source in ultimate
    )
