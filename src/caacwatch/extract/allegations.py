"""Allegations: violation cues grouped by violation and perpetrator, with victims, places, time, the claims
that support them and the evidence offered. Reads the ``doc._.caac_*`` attributes; returns records."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from spacy.tokens import Doc

from caacwatch.extract.lexicons import evidence_patterns, party_lexicon, violation_lexicon
from caacwatch.extract.parties import PartyMention
from caacwatch.extract.places import PlaceMatch, to_location
from caacwatch.extract.precision import most_precise
from caacwatch.extract.sources import allegation_sources, claim_extent
from caacwatch.extract.victims import combine_victims, extract_victims
from caacwatch.extract.violations import ViolationCue
from caacwatch.records import (
    RELATED_CATEGORIES,
    Allegation,
    Claim,
    Document,
    Evidence,
    Location,
    Perpetrator,
    PerpetratorType,
    TextSpan,
    TimeRef,
    Victims,
)

Span = tuple[int, int]
GENERIC_PARTY = "Armed group (unnamed)"
UNKNOWN = "unknown"
# A country name counts as where something happened only after one of these ("in Ukraine", "across Syria"),
# not as an actor ("Russia has begun...") or an owner ("Ukraine's officials").
LOCATIVE = re.compile(r"(?i)(?:\b(?:in|near|at|across|inside|outside|throughout|around|into|from|of|to|within|over)"
                      r"\s+(?:the\s+)?(?:[\w'-]+\s+){0,3})$")
LOCATIVE_WORD = re.compile(r"(?i)\b(?:in|near|at|across|inside|outside|throughout|around|into|from|within|to)"
                           r"\s+(?:the\s+)?(?:(?:occupied|northern|southern|eastern|western|central)\s+)?$")
ACCUSED = re.compile(r"(?i)\b(?:(?:accus\w*|blam\w*|condemn\w*|charg\w*)|blam\w*\s+(?:it\s+|the\s+\w+\s+)?on)\s+$")
AGENT = re.compile(r"(?i)\bby\s+(?:the\s+)?(?:[\w'-]+\s+){0,2}$")
# "detained for their alleged association with the Taliban": the party the children are said to belong to,
# not the one that acts.
ASSOCIATED = re.compile(r"(?i)\b(?:associat\w*|affiliat\w*|links?|ties|membership|belong\w*|loyal)\s+(?:with|to|of|in)\s+"
                        r"(?:the\s+)?(?:[\w'-]+\s+){0,1}$")


@dataclass
class _Group:
    violation: str
    party: str
    cues: list[ViolationCue]
    mentions: list[PartyMention]


def build_allegations(doc: Doc, claims: Sequence[Claim], document: Document | None = None) -> list[Allegation]:
    """The allegations of a parsed document; ``document`` (its record) gives the outlet for the sources."""
    text = doc.text
    sentences = [(s.start_char, s.end_char) for s in doc.sents]
    source_spans = [c.source.span for c in claims if c.source is not None and c.source.span is not None]
    actors = [m for m in doc._.caac_parties or []
              if not _inside_any(m.span, source_spans) and not _names_a_place(m, text)]
    groups = _group_cues(doc._.caac_cues or [], sentences, actors, text)
    if conflict_vocabulary(text) < MIN_CONFLICT_TERMS_WITHOUT_PERPETRATOR:
        groups = [g for g in groups if g.party != UNKNOWN]
    allegations = []
    for number, group in enumerate(groups, start=1):
        allegations.append(_allegation(f"a{number}", group, doc, sentences, claims, document))
    return allegations


# With nobody named as the actor, only an article about an armed conflict can carry an allegation: it must
# use several different words of war (a wildfire "battle" or a lone "shooting" is crime or disaster news).
MIN_CONFLICT_TERMS_WITHOUT_PERPETRATOR = 2


def conflict_vocabulary(text: str) -> int:
    """How many distinct conflict-context words (data/violations.yaml, class `conflict`) the text uses."""
    pattern = violation_lexicon().classes["conflict"]
    return len({m.group().lower() for m in pattern.finditer(text)})


def _group_cues(cues: Sequence[ViolationCue], sentences: list[Span], actors: list[PartyMention],
                text: str) -> list[_Group]:
    groups: dict[tuple[str, str], _Group] = {}
    fallback = _dominant_party(actors)
    for cue in cues:
        mention = _perpetrator_for(cue, sentences, actors, text)
        party = mention.party if mention else (fallback or UNKNOWN)
        group = groups.setdefault((cue.violation, party), _Group(cue.violation, party, [], []))
        group.cues.append(cue)
        if mention:
            group.mentions.append(mention)
    return _merge_unknown(list(groups.values()))


def _names_a_place(mention: PartyMention, text: str) -> bool:
    """ "in Pakistan", "from Russia": a party's country name used as a place is not the actor."""
    if mention.rule != "parties.alias/1":
        return False
    return bool(LOCATIVE_WORD.search(text[max(0, mention.start - 30):mention.start]))


def _perpetrator_for(cue: ViolationCue, sentences: list[Span], actors: list[PartyMention],
                     text: str) -> PartyMention | None:
    """The party the sentence names as the actor; else the one in the sentence before."""
    for index in (cue.sentence, cue.sentence - 1):
        if index < 0:
            continue
        start, end = sentences[index]
        in_sentence = [m for m in actors if start <= m.start and m.end <= end
                       and not ASSOCIATED.search(text[max(0, m.start - 40):m.start])]
        if in_sentence:
            return _best_actor(in_sentence, cue, text)
    return None


def _best_actor(mentions: list[PartyMention], cue: ViolationCue, text: str) -> PartyMention:
    specific = [m for m in mentions if m.party != GENERIC_PARTY] or mentions

    def rank(mention: PartyMention) -> tuple[int, int]:
        before = text[max(0, mention.start - 40):mention.start]
        if ACCUSED.search(before) or AGENT.search(before):
            return (0, 0)
        distance = abs(mention.start - cue.trigger[0])
        return (1 if mention.start <= cue.trigger[0] else 2, distance)

    return min(specific, key=rank)


def _dominant_party(actors: list[PartyMention]) -> str | None:
    counts = Counter(m.party for m in actors if m.party != GENERIC_PARTY)
    if not counts:
        return None
    party, count = counts.most_common(1)[0]
    return party if count >= 2 else None


def _merge_unknown(groups: list[_Group]) -> list[_Group]:
    """A cue with no named actor, or naming only a generic armed group, joins the one named perpetrator of
    the same violation, if there is exactly one."""
    by_violation: dict[str, list[_Group]] = defaultdict(list)
    for group in groups:
        by_violation[group.violation].append(group)
    merged: list[_Group] = []
    for violation_groups in by_violation.values():
        known = [g for g in violation_groups if g.party not in (UNKNOWN, GENERIC_PARTY)]
        unknown = [g for g in violation_groups if g.party in (UNKNOWN, GENERIC_PARTY)]
        if len(known) == 1 and unknown:
            for group in unknown:
                known[0].cues.extend(group.cues)
                known[0].mentions.extend(group.mentions)
            merged.extend(known)
        else:
            merged.extend(violation_groups)
    for group in merged:
        group.cues.sort(key=lambda c: c.trigger[0])
    return sorted(merged, key=lambda g: g.cues[0].trigger[0])


def _allegation(identifier: str, group: _Group, doc: Doc, sentences: list[Span],
                claims: Sequence[Claim], document: Document | None = None) -> Allegation:
    text = doc.text
    cue_sentences = sorted({c.sentence for c in group.cues})
    spans = [sentences[i] for i in cue_sentences]
    supporting = [c for c in claims if any(_overlaps(claim_extent(c), s) for s in spans)]
    # Evidence is often offered in the sentence after the allegation ("Badges ... were found on battlefields").
    around = sorted({sentences[j] for i in cue_sentences for j in (i - 1, i, i + 1) if 0 <= j < len(sentences)})
    best = max(group.cues, key=lambda c: c.confidence)
    perpetrator = _perpetrator(group, text)
    locations = _locations(doc, spans)
    time = _time(doc, spans)
    return Allegation(
        id=identifier,
        violation=group.violation,  # type: ignore[arg-type]
        violation_class="related_category" if group.violation in RELATED_CATEGORIES else "grave_violation",
        perpetrator=perpetrator,
        victims=_victims(text, spans, group.violation),
        locations=locations,
        time=time,
        location_precision=most_precise(loc.geo_precision for loc in locations),
        date_precision=time.time_precision if time is not None else None,
        claims=[c.id for c in supporting],
        sources=allegation_sources(text, supporting, perpetrator, document),
        evidence=_evidence(text, around, supporting, doc._.caac_boilerplate or []),
        confidence=_confidence(group.cues, supporting, group.party),
        rule=best.rule,
        trigger=TextSpan(text=text[best.trigger[0]:best.trigger[1]], span=best.trigger),
    )


def _perpetrator(group: _Group, text: str) -> Perpetrator:
    if group.party == UNKNOWN:
        return Perpetrator(name=UNKNOWN, party=None, type="unknown")
    party = party_lexicon().parties.get(group.party)
    first = group.mentions[0] if group.mentions else None
    name = group.party
    if group.party == GENERIC_PARTY and first is not None:
        name = " ".join(first.text.split())
    mentions = sorted({" ".join(m.text.split()) for m in group.mentions})
    return Perpetrator(
        name=name,
        party=None if group.party == GENERIC_PARTY else group.party,
        type=cast(PerpetratorType, party.type) if party else "unknown",
        span=first.span if first else None,
        mentions=mentions,
    )


def _victims(text: str, spans: list[Span], violation: str) -> Victims:
    """Counted in the allegation's sentences (extract/victims.py has the counting rules)."""
    victims: Victims = combine_victims(text, [extract_victims(text, span) for span in spans], violation, spans)
    return victims


def location_from_match(match: PlaceMatch, text: str | None = None) -> Location:
    """The Location of a place mention; ``text`` (the document) lets its precision code see "near X"."""
    location: Location = to_location(match, text)
    return location


# A country must carry at least this share of the best-attested country's weight to be kept: a passing
# comparison ("as it was in Nigeria nine years ago") should not become a place of the allegation.
COUNTRY_SALIENCE = 0.5


def _locations(doc: Doc, spans: list[Span]) -> list[Location]:
    """Places named where the allegation is made, in the countries the article is about; else the article's
    main country. A mention in the allegation's sentences weighs twice a mention elsewhere."""
    party_spans = [m.span for m in doc._.caac_parties or []]
    text = doc.text  # Doc.text rebuilds the string on each access: read it once
    places = [p for p in doc._.caac_places or [] if _is_event_place(p, text, party_spans)]
    in_spans = [p for p in places if any(s <= p.start and p.end <= e for s, e in spans)]
    weights: Counter[str] = Counter()
    for match in places:
        if match.place.country:
            weights[match.place.country] += 2 if match in in_spans else 1
    if not weights:
        return []
    top = max(weights.values())
    salient = {country for country, weight in weights.items() if weight >= COUNTRY_SALIENCE * top}
    chosen = [p for p in in_spans if p.place.country in salient] or _main_country_places(places, weights)
    locations: dict[tuple[str, str | None], Location] = {}
    for match in chosen:
        location = location_from_match(match, text)
        locations.setdefault((location.name, location.country), location)
    return list(locations.values())


def _is_event_place(match: object, text: str, party_spans: list[Span]) -> bool:
    """A country, or a capital standing for its government ("Moscow has started..."), counts as where
    something happened only after a locative word; regions and towns always do."""
    place = match.place  # type: ignore[attr-defined]
    span = (match.start, match.end)  # type: ignore[attr-defined]
    names_a_party = any(_overlaps(span, p) for p in party_spans)
    if place.precision != "country" and not names_a_party:
        return True
    before = text[max(0, span[0] - 60):span[0]]
    return bool(LOCATIVE.search(before))


def _main_country_places(places: list, weights: Counter[str]) -> list:
    country = weights.most_common(1)[0][0]
    of_country = [p for p in places if p.place.country == country]
    specific = [p for p in of_country if p.place.precision != "country"]
    return (specific or of_country)[:1]


def _time(doc: Doc, spans: list[Span]) -> TimeRef | None:
    """The most precise event date in the allegation's sentences (the first of equal precision). A year, a
    decade or a date that cannot be resolved gives no event date: a finer precision is never invented."""
    from caacwatch.extract.dates import to_timeref

    refs = [to_timeref(d) for d in doc._.caac_dates or [] if any(s <= d.start and d.end <= e for s, e in spans)]
    dated = [r for r in refs if r.time_precision is not None]
    if not dated:
        return None
    return min(dated, key=lambda r: r.time_precision or 9)


def _evidence(text: str, spans: list[Span], supporting: Sequence[Claim], boilerplate: list[Span]) -> list[Evidence]:
    regions = list(spans) + [claim_extent(c) for c in supporting]
    found: dict[tuple[str, Span], Evidence] = {}
    for start, end in regions:
        for kind, pattern in evidence_patterns().items():
            for match in pattern.finditer(text, start, end):
                span = match.span()
                if not _inside_any(span, boilerplate):
                    found.setdefault((kind, span), Evidence(kind=kind, text=match.group(), span=span))  # type: ignore[arg-type]
    for claim in supporting:
        if claim.source and claim.source.type in {"official", "government", "military", "un"} and claim.cue:
            key = ("official_statement", claim.cue.span)
            found.setdefault(key, Evidence(kind="official_statement", text=claim.cue.text, span=claim.cue.span))
    satellite = [e.span for e in found.values() if e.kind == "satellite_imagery"]
    # "satellite images show ..." is satellite imagery, not also a photograph.
    kept = [e for e in found.values() if e.kind != "photograph" or not any(_overlaps(e.span, s) for s in satellite)]
    return sorted(kept, key=lambda e: e.span)


# The guidelines need a party to an armed conflict: with nobody named as the actor, an allegation must be
# carried by strong cues; a generic "militants" or "gunmen" costs a little.
PERPETRATOR_PENALTY = {UNKNOWN: 0.3, GENERIC_PARTY: 0.05}


def _confidence(cues: list[ViolationCue], supporting: Sequence[Claim], party: str) -> float:
    score = max(c.confidence for c in cues) - PERPETRATOR_PENALTY.get(party, 0.0)
    score += min(0.1, 0.03 * (len(cues) - 1))
    if any(c.kind != "unattributed" for c in supporting):
        score += 0.05
    return round(min(score, 0.99), 2)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside_any(span: Span, others: Sequence[Span]) -> bool:
    return any(o[0] <= span[0] and span[1] <= o[1] for o in others)
