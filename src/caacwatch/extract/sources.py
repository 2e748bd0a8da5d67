"""The sources of an allegation, typed as monitors type them (docs/mrm.md, "Sources").

Built from the claims that support the allegation: each claim's source (the official, the NGO, the witness),
each outlet in its ``via`` chain (a relay), and the document's own outlet when known. Each gets

* ``category``/``type``: primary (``victim``, ``witness``, ``alleged_perpetrator``) or secondary
  (``official``, ``un``, ``ngo``, ``media``, ``other``); a source of the accused party's own side is
  ``alleged_perpetrator``;
* ``kinds``: from its type (an official's words are an ``official_statement``, a witness's ``testimony``,
  an outlet's a ``media_report``) and from the evidence named in its claims (photographs, videos, satellite
  imagery, documents);
* proposed ``reliability``/``credibility`` from ``data/source_ratings.yaml``.

Sources are deduplicated by name and party. Plain Python over records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from caacwatch.errors import CaacError, E
from caacwatch.extract.lexicons import evidence_patterns, load_data_file, party_lexicon
from caacwatch.records import AllegationSource, Claim, Document, Perpetrator

Span = tuple[int, int]
RULE_VERSION = 1
RATINGS = ("low", "medium", "high")
PRIMARY = frozenset({"victim", "witness", "alleged_perpetrator"})
SOURCE_CLASSES = ("victim", "witness", "alleged_perpetrator", "official", "un", "ngo", "media", "other")
CONDITIONS = ("party_accuses_opponent", "admission", "denial", "hedged", "unnamed", "relay")

# Claim source types (attribution) -> source class, before victim/witness/perpetrator checks.
TYPE_CLASS = {
    "official": "official", "government": "official", "military": "official", "un": "un", "ngo": "ngo",
    "outlet": "media", "armed_group": "other", "witness": "witness", "person": "other", "organisation": "other",
    "unknown": "other",
}  # fmt: skip
# Who is a victim (or speaks for one) rather than a witness: survivors, victims, former child soldiers,
# the child, the parents of the children.
VICTIM = re.compile(
    r"(?i)\b(?:survivors?|victims?|former (?:child soldiers?|abductees?|captives?|hostages?|recruits?|fighters?)|"
    r"abductees?|returnees?|escapees?|(?:the|a|one) (?:\d+-year-old )?(?:child|boy|girl|teenager)|teenagers?|"
    r"(?:parents?|mother|father|relatives?|famil(?:y|ies)|grandmother|grandfather|uncle|aunt|brother|sister)"
    r" of (?:the |a |one |two |\w+ )?(?:child|children|boys?|girls?|victims?|abducted|missing|dead|kidnapped|\w+ (?:children|boys|girls))|"
    r"(?:his|her|their) (?:parents|mother|father|family))\b"
)
FORMER_VICTIM = re.compile(
    r"(?i)\b(?:former (?:child soldiers?|abductees?|captives?|hostages?|child recruits?)|survivors?|abductees?|escapees?)\b"
)
WITNESS = re.compile(
    r"(?i)\b(?:witness(?:es)?|eyewitness(?:es)?|residents?|villagers?|neighbou?rs?|locals|bystanders?|doctors?|"
    r"nurses?|teachers?|medics?|paramedics?|relatives?|mothers?|fathers?|parents?)\b"
)
KIND_BY_CLASS = {
    "official": "official_statement", "alleged_perpetrator": "official_statement", "un": "official_statement",
    "ngo": "official_statement", "witness": "testimony", "victim": "testimony", "media": "media_report",
}  # fmt: skip
# Evidence kinds (data/evidence.yaml) that are also kinds of information a source gives.
EVIDENCE_KINDS = ("photograph", "video", "satellite_imagery", "document")


@dataclass(frozen=True)
class _Adjustment:
    when: str
    reliability: int = 0
    credibility: int = 0
    reliability_max: str | None = None
    credibility_max: str | None = None
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RatingRules:
    base: dict[str, tuple[str, str]]
    adjustments: tuple[_Adjustment, ...]


@cache
def rating_rules() -> RatingRules:
    data = load_data_file("source_ratings.yaml")
    try:
        base = {kind: (spec["reliability"], spec["credibility"]) for kind, spec in data["base"].items()}
        if set(base) != set(SOURCE_CLASSES):
            raise ValueError(f"base must rate exactly {SOURCE_CLASSES}")
        adjustments = []
        for spec in data["adjustments"]:
            adjustment = _Adjustment(
                when=spec["when"], reliability=int(spec.get("reliability", 0)),
                credibility=int(spec.get("credibility", 0)), reliability_max=spec.get("reliability_max"),
                credibility_max=spec.get("credibility_max"), types=tuple(spec.get("types", ())),
            )
            if adjustment.when not in CONDITIONS:
                raise ValueError(f"unknown condition {adjustment.when!r}; known: {CONDITIONS}")
            adjustments.append(adjustment)
        ratings = [r for pair in base.values() for r in pair]
        ratings += [a.reliability_max for a in adjustments if a.reliability_max]
        ratings += [a.credibility_max for a in adjustments if a.credibility_max]
        if any(r not in RATINGS for r in ratings):
            raise ValueError(f"ratings must be one of {RATINGS}")
    except (KeyError, TypeError, ValueError) as exc:
        raise CaacError(E.E202, path="source_ratings.yaml", reason=str(exc)) from exc
    return RatingRules(base, tuple(adjustments))


@dataclass
class _Source:
    name: str
    type: str
    party: str | None
    relay: bool
    span: Span | None
    claims: list[Claim] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    named: bool = True
    origin: str = "claim"  # claim | via | document


def allegation_sources(text: str, claims: Sequence[Claim], perpetrator: Perpetrator | None,
                       document: Document | None = None) -> list[AllegationSource]:
    """The typed, rated sources of an allegation supported by ``claims``."""
    accused = perpetrator.party if perpetrator is not None else None
    found: dict[tuple[str, str | None], _Source] = {}
    own_voice = False
    for claim in claims:
        source = claim.source
        if source is None or claim.kind == "unattributed":
            own_voice = True
        else:
            kind = _class_of(source.type, " ".join(filter(None, [source.name, source.text, source.role])),
                             source.party, accused)
            direct = source.resolved_from is None  # not a pronoun or short mention resolved to the name
            entry = found.setdefault((source.name, source.party), _Source(
                name=source.name, type=kind, party=source.party, relay=False,
                span=source.span if direct else None, named=_is_named(source.name), origin="claim",
            ))
            if entry.span is None and direct:
                entry.span = source.span
            entry.claims.append(claim)
            _add_kinds(entry, text, claim)
        for outlet in claim.via:
            entry = found.setdefault((outlet, None), _Source(
                name=outlet, type="media", party=None, relay=True, span=_find(text, outlet, claim), origin="via",
            ))
            entry.relay = True
            entry.claims.append(claim)
    own_outlet = document.outlet if document is not None else None
    if own_outlet and claims:
        entry = found.setdefault((own_outlet, None), _Source(
            name=own_outlet, type="media", party=None, relay=not own_voice, span=None, origin="document",
        ))
        entry.claims.extend(c for c in claims if c not in entry.claims)
        if own_voice:
            entry.relay = False
    return [_record(entry, accused) for entry in found.values()]


def _class_of(source_type: str, words: str, party: str | None, accused: str | None) -> str:
    """The source class: the accused party's own side first, then victim / witness, then by type."""
    if party is not None and accused is not None and party == accused:
        return "alleged_perpetrator"
    kind = TYPE_CLASS.get(source_type, "other")
    if kind in ("official", "other", "witness") and FORMER_VICTIM.search(words):
        return "victim"  # "a former child soldier" is typed military by its noun, but speaks as a victim
    if kind in ("witness", "other"):
        if VICTIM.search(words):
            return "victim"
        if kind == "witness" or WITNESS.search(words):
            return "witness"
    return kind


# Head words that describe a source without naming it, even capitalised at the start of a sentence.
GENERIC_HEADS = frozenset({
    "official", "officials", "witness", "witnesses", "resident", "residents", "activist", "activists", "source",
    "sources", "authorities", "ministry", "government", "army", "military", "police", "spokesman", "spokeswoman",
    "spokesperson", "officer", "officers", "soldier", "soldiers", "commander", "commanders", "doctor", "doctors",
    "expert", "experts", "analyst", "analysts", "monitor", "monitors", "investigator", "investigators", "villager",
    "villagers", "parent", "parents", "group", "groups", "people", "locals", "survivor", "survivors", "they",
})


def _is_named(name: str) -> bool:
    """ "Lyudmyla Denisova", "UNICEF", "the Daily Mail" are names; "officials", "Ukraine's human rights
    officials", "the ministry", "a source" describe someone without naming them (a lower-case or generic head)."""
    words = re.findall(r"[\w'-]+", name)
    return bool(words) and words[-1][:1].isupper() and words[-1].lower() not in GENERIC_HEADS


def _add_kinds(entry: _Source, text: str, claim: Claim) -> None:
    start, end = claim_extent(claim)
    patterns = evidence_patterns()
    found = {kind: [m.span() for m in pattern.finditer(text, start, end)]
             for kind in EVIDENCE_KINDS if (pattern := patterns.get(kind)) is not None}
    satellite = found.get("satellite_imagery", [])
    # "satellite images show ..." is satellite imagery, not also a photograph.
    found["photograph"] = [s for s in found.get("photograph", []) if not any(_overlap(s, o) for o in satellite)]
    for kind in EVIDENCE_KINDS:
        if found.get(kind) and kind not in entry.kinds:
            entry.kinds.append(kind)


def _overlap(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _find(text: str, name: str, claim: Claim) -> Span | None:
    start, end = claim_extent(claim)
    index = text.find(name, max(0, start - 300), min(len(text), end + 300))
    return (index, index + len(name)) if index >= 0 else None


def claim_extent(claim: Claim) -> Span:
    """From the first to the last character of a claim: its content, cue and source."""
    spans = [claim.content.span]
    if claim.cue:
        spans.append(claim.cue.span)
    if claim.source and claim.source.span:
        spans.append(claim.source.span)
    return (min(s for s, _ in spans), max(e for _, e in spans))


def _record(entry: _Source, accused: str | None) -> AllegationSource:
    kinds = []
    base_kind = KIND_BY_CLASS.get(entry.type)
    if base_kind:
        kinds.append(base_kind)
    kinds.extend(k for k in entry.kinds if k not in kinds)
    conditions = _conditions(entry, accused)
    reliability, credibility, rule = propose_ratings(entry.type, conditions)
    return AllegationSource(
        name=entry.name,
        category="primary" if entry.type in PRIMARY else "secondary",
        type=entry.type,  # type: ignore[arg-type]
        kinds=kinds,  # type: ignore[arg-type]
        party=entry.party,
        relay=entry.relay,
        reliability=reliability,  # type: ignore[arg-type]
        credibility=credibility,  # type: ignore[arg-type]
        claims=[c.id for c in entry.claims],
        span=entry.span,
        rule=f"sources.{entry.origin}:{entry.type}/{RULE_VERSION}; {rule}",
    )


def _conditions(entry: _Source, accused: str | None) -> set[str]:
    conditions = set()
    stances = {c.stance for c in entry.claims}
    if entry.type == "alleged_perpetrator":
        if "confirms" in stances:
            conditions.add("admission")
        if "denies" in stances:
            conditions.add("denial")
    elif entry.party is not None and accused is not None and entry.party != accused \
            and party_lexicon().same_conflict(entry.party, accused) and "denies" not in stances:
        conditions.add("party_accuses_opponent")
    attributed = [c for c in entry.claims if c.source is not None and entry.origin == "claim"]
    if attributed and all(c.hedges for c in attributed):
        conditions.add("hedged")
    if not entry.named:
        conditions.add("unnamed")
    if entry.relay:
        conditions.add("relay")
    return conditions


def propose_ratings(source_class: str, conditions: set[str]) -> tuple[str, str, str]:
    """(reliability, credibility, rule) for a source of ``source_class`` under ``conditions``."""
    rules = rating_rules()
    reliability, credibility = rules.base.get(source_class, rules.base["other"])
    steps = [f"source_ratings/1 base {source_class} {reliability}/{credibility}"]
    for adjustment in rules.adjustments:
        if adjustment.when not in conditions or (adjustment.types and source_class not in adjustment.types):
            continue
        reliability = _step(reliability, adjustment.reliability, adjustment.reliability_max)
        credibility = _step(credibility, adjustment.credibility, adjustment.credibility_max)
        steps.append(f"{adjustment.when} -> {reliability}/{credibility}")
    return reliability, credibility, "; ".join(steps)


def _step(rating: str, step: int, cap: str | None) -> str:
    index = min(max(RATINGS.index(rating) + step, 0), len(RATINGS) - 1)
    if cap is not None:
        index = min(index, RATINGS.index(cap))
    return RATINGS[index]
