"""Same-incident matching: is this allegation about an event we already hold?

Plain Python on the JSON records of an analysis (no Django, no spaCy), so the store, a Ray
worker and the benchmarks run exactly the same decision.

An allegation becomes an :class:`AllegationProfile` (violation, countries, places, perpetrator,
date, and a profile of rare words around it); an incident keeps an :class:`IncidentProfile`
accumulated from its members. :func:`score` compares the two and returns a :class:`Match` with
the score *and the reasons*, which the store records with every merge. Thresholds and weights
are data (``data/linking.yaml``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml

from caacwatch.errors import CaacError, E

# The text just before a word, when the word starts a sentence or a line (so its capital says nothing).
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n\"“”]\s*|\(\s*)\Z")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*[^\W\d_]|[^\W\d_]", re.UNICODE)
_FINE_PRECISIONS = frozenset({"point", "city", "admin1", "region"})
_USABLE_DATE_PRECISIONS = frozenset({"day", "week", "month"})
_SPECIFICITY = {"point": 1.0, "city": 1.0, "admin1": 0.6, "region": 0.3}


# --- rules -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkingRules:
    """``data/linking.yaml``, validated."""

    version: int
    merge_threshold: float
    min_text: float
    weights: Mapping[str, float]
    candidate_window_days: int
    time_full_days: int
    time_zero_days: int
    follow_up_after_days: int
    place_conflict: float
    perpetrator_conflict: float
    zipf_ceiling: float
    name_boost: float
    min_word_length: int
    window_chars: int
    document_terms: int
    incident_terms: int
    retraction: re.Pattern[str]


@cache
def load_rules() -> LinkingRules:
    path = resources.files("caacwatch") / "data" / "linking.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        text, penalties = raw["text"], raw["penalties"]
        return LinkingRules(
            version=int(raw["version"]),
            merge_threshold=float(raw["merge_threshold"]),
            min_text=float(raw["min_text_agreement"]),
            weights={k: float(v) for k, v in raw["weights"].items()},
            candidate_window_days=int(raw["candidate_window_days"]),
            time_full_days=int(raw["time_full_days"]),
            time_zero_days=int(raw["time_zero_days"]),
            follow_up_after_days=int(raw["follow_up_after_days"]),
            place_conflict=float(penalties["place_conflict"]),
            perpetrator_conflict=float(penalties["perpetrator_conflict"]),
            zipf_ceiling=float(text["zipf_ceiling"]),
            name_boost=float(text["name_boost"]),
            min_word_length=int(text["min_word_length"]),
            window_chars=int(text["window_chars"]),
            document_terms=int(text["document_terms"]),
            incident_terms=int(text["incident_terms"]),
            retraction=re.compile(r"\b(?:" + "|".join(raw["retraction_cues"]) + r")\b", re.I),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path=path, reason=f"{type(exc).__name__}: {exc}") from exc


# --- words -------------------------------------------------------------------------------------
@cache
def word_weight(word: str) -> float:
    """How much a shared word says about two reports being the same event: rare words a lot."""
    from wordfreq import zipf_frequency

    rules = load_rules()
    if len(word) < rules.min_word_length:
        return 0.0
    return max(0.0, rules.zipf_ceiling - zipf_frequency(word, "en"))


def _words(text: str) -> Iterable[tuple[str, bool]]:
    """(folded word, written as a name?) — capitalised where a sentence does not start."""
    for match in _WORD.finditer(text):
        raw = match.group()
        word = raw.casefold().replace("’", "'").removesuffix("'s")
        yield word, raw[0].isupper() and not _SENTENCE_START.search(text, 0, match.start())


def term_vector(text: str) -> dict[str, float]:
    """Rare-word profile: sublinear frequency × rarity, L2-normalised. Names (words mostly
    written capitalised mid-sentence: places, groups, people) weigh double — they are what two
    reports of one event share, unlike rare common words ("herded", "flanked")."""
    counts: dict[str, int] = {}
    capitalised: dict[str, int] = {}
    for word, is_name in _words(text):
        counts[word] = counts.get(word, 0) + 1
        capitalised[word] = capitalised.get(word, 0) + int(is_name)
    rules = load_rules()
    weights = {
        w: (1.0 + math.log(n)) * word_weight(w) * (rules.name_boost if capitalised[w] * 2 > n else 1.0)
        for w, n in counts.items()
    }
    return _normalise({w: v for w, v in weights.items() if v > 0})


def _normalise(vector: Mapping[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {w: v / norm for w, v in vector.items()} if norm else {}


def _top(vector: Mapping[str, float], n: int) -> dict[str, float]:
    return dict(sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(w, 0.0) for w, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


# --- allegation profiles --------------------------------------------------------------------
@dataclass(frozen=True)
class AllegationProfile:
    violation: str
    countries: frozenset[str]
    places: Mapping[str, str]  # name -> precision (point, city, admin1, region)
    perpetrator: str | None
    date: date | None
    terms: dict[str, float] = field(default_factory=dict)


def profile_allegation(
    allegation: Mapping[str, Any], analysis: Mapping[str, Any], report_date: date | None
) -> AllegationProfile:
    """Profile one allegation (a ``records.Allegation`` as JSON) of ``analysis``."""
    rules = load_rules()
    text = analysis["document"]["text"]
    locations = allegation.get("locations") or []
    perpetrator = allegation.get("perpetrator") or {}
    return AllegationProfile(
        violation=allegation["violation"],
        countries=frozenset(loc["country"] for loc in locations if loc.get("country")),
        places=dict(_place_names(locations)),
        perpetrator=perpetrator.get("party") or perpetrator.get("name"),
        date=_allegation_date(allegation) or report_date,
        terms=_allegation_terms(allegation, analysis, text, rules),
    )


def _place_names(locations: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    for loc in locations:
        if loc.get("precision") in _FINE_PRECISIONS:
            yield loc["name"].casefold(), loc["precision"]
            if loc.get("admin1") and loc["precision"] in ("point", "city"):
                yield loc["admin1"].casefold(), "admin1"


def _allegation_date(allegation: Mapping[str, Any]) -> date | None:
    time = allegation.get("time") or {}
    if time.get("date") and time.get("precision") in _USABLE_DATE_PRECISIONS:
        return parse_day(time["date"])
    return None


def parse_day(value: str | None) -> date | None:
    """The day of an ISO date or datetime; a month ("2024-07") counts as its first day."""
    if not value:
        return None
    value = value.strip()
    for length, fmt in ((10, "%Y-%m-%d"), (7, "%Y-%m")):
        try:
            return datetime.strptime(value[:length], fmt).date()
        except ValueError:
            continue
    return None


def _allegation_terms(
    allegation: Mapping[str, Any], analysis: Mapping[str, Any], text: str, rules: LinkingRules
) -> dict[str, float]:
    """Words near the allegation (trigger, its claims) at full weight; the title and the
    document's most telling words at half weight, so a long article's side topics matter less."""
    local = " ".join(_windows(allegation, analysis, text, rules.window_chars))
    title = analysis["document"].get("title") or ""
    near = term_vector(local + " " + title)
    whole = _top(term_vector(text), rules.document_terms)
    merged = dict(near)
    for word, weight in whole.items():
        merged[word] = merged.get(word, 0.0) + 0.5 * weight
    # Country and region names are scored on their own (place): in the text profile they would
    # make every report from one front look alike. (Perpetrator names stay: "Boko Haram" is telling.)
    for word in _coarse_words(allegation):
        merged.pop(word, None)
    return _normalise(merged)


def _coarse_words(allegation: Mapping[str, Any]) -> set[str]:
    names = [loc["name"] for loc in allegation.get("locations") or [] if loc.get("precision") in ("country", "region")]
    return {word for name in names for word, _ in _words(name)}


def _windows(allegation: Mapping[str, Any], analysis: Mapping[str, Any], text: str, width: int) -> Iterable[str]:
    spans = [tuple(allegation["trigger"]["span"])]
    claims = {c["id"]: c for c in analysis.get("claims", [])}
    spans += [tuple(claims[c]["content"]["span"]) for c in allegation.get("claims", []) if c in claims]
    for start, end in spans:
        yield text[max(0, start - width // 2) : end + width // 2]


# --- incident profiles ----------------------------------------------------------------------
def new_incident_profile(a: AllegationProfile) -> dict[str, Any]:
    """The JSON profile an incident keeps; updated by :func:`absorb` as reports join."""
    empty = {"n": 0, "terms": {}, "places": {}, "precisions": {}, "perpetrators": {}, "countries": [], "dates": None}
    return absorb(empty, a)


def absorb(profile: dict[str, Any], a: AllegationProfile) -> dict[str, Any]:
    rules = load_rules()
    terms = dict(profile["terms"])
    for word, weight in a.terms.items():
        terms[word] = terms.get(word, 0.0) + weight
    places = dict(profile["places"])
    precisions = dict(profile.get("precisions", {}))
    for place, precision in a.places.items():
        places[place] = places.get(place, 0) + 1
        precisions[place] = precision
    perpetrators = dict(profile["perpetrators"])
    if a.perpetrator:
        perpetrators[a.perpetrator] = perpetrators.get(a.perpetrator, 0) + 1
    dates = profile["dates"]
    if a.date is not None:
        day = a.date.isoformat()
        dates = [min(dates[0], day), max(dates[1], day)] if dates else [day, day]
    return {
        "n": profile["n"] + 1,
        "terms": {w: round(v, 5) for w, v in _top(terms, rules.incident_terms).items()},
        "places": places,
        "precisions": precisions,
        "perpetrators": perpetrators,
        "countries": sorted(set(profile["countries"]) | a.countries),
        "dates": dates,
    }


# --- scoring -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    score: float
    reason: dict[str, Any]


def score(a: AllegationProfile, profile: Mapping[str, Any]) -> Match | None:
    """How well allegation ``a`` fits an incident; None when it cannot be the same incident
    (another violation, no shared country, or too far apart in time)."""
    rules = load_rules()
    if not _compatible(a, profile, rules):
        return None
    parts: dict[str, float] = {"text": cosine(a.terms, profile["terms"])}
    if parts["text"] < rules.min_text:
        return None  # place, party and date alone never make two reports one incident
    penalty = 0.0
    place = _place_agreement(a, profile)
    if place is not None:
        parts["place"] = place
        penalty += rules.place_conflict if place == 0.0 else 0.0
    perpetrator = _perpetrator_agreement(a, profile)
    if perpetrator is not None:
        parts["perpetrator"] = perpetrator
        penalty += rules.perpetrator_conflict if perpetrator == 0.0 else 0.0
    days = _days_apart(a, profile)
    if days is not None:
        parts["time"] = _time_agreement(days, rules)
    weights = {k: rules.weights[k] for k in parts}
    value = sum(weights[k] * v for k, v in parts.items()) / sum(weights.values()) - penalty
    reason = {
        "rule": f"linking/v{rules.version}",
        "score": round(value, 3),
        "threshold": rules.merge_threshold,
        "agreement": {k: round(v, 3) for k, v in parts.items()},
        "penalty": round(penalty, 3),
        "shared_terms": _shared_terms(a.terms, profile["terms"]),
        "days_apart": days,
    }
    return Match(score=value, reason=reason)


def _compatible(a: AllegationProfile, profile: Mapping[str, Any], rules: LinkingRules) -> bool:
    if a.countries and profile["countries"] and not a.countries & set(profile["countries"]):
        return False
    days = _days_apart(a, profile)
    return days is None or days <= rules.candidate_window_days


def _place_agreement(a: AllegationProfile, profile: Mapping[str, Any]) -> float | None:
    """The most specific place both name, weighted by how specific it is (a town says more than
    "the Gaza Strip"); 0.0 — a conflict — only when both name towns and none is shared."""
    theirs: Mapping[str, str] = profile.get("precisions", {})
    if not a.places or not theirs:
        return None
    shared = a.places.keys() & theirs.keys()
    if shared:
        return max(_SPECIFICITY[a.places[p]] for p in shared)
    if _has_towns(a.places) and _has_towns(theirs):
        return 0.0
    return None


def _has_towns(places: Mapping[str, str]) -> bool:
    return any(p in ("point", "city") for p in places.values())


def _perpetrator_agreement(a: AllegationProfile, profile: Mapping[str, Any]) -> float | None:
    theirs = profile["perpetrators"]
    if not a.perpetrator or not theirs:
        return None
    return theirs.get(a.perpetrator, 0) / sum(theirs.values())


def _days_apart(a: AllegationProfile, profile: Mapping[str, Any]) -> int | None:
    if a.date is None or not profile["dates"]:
        return None
    # From the incident's first date, not its range: a range widened by follow-ups would let
    # ever later reports in.
    return abs((a.date - date.fromisoformat(profile["dates"][0])).days)


def _time_agreement(days: int, rules: LinkingRules) -> float:
    if days <= rules.time_full_days:
        return 1.0
    span = rules.time_zero_days - rules.time_full_days
    return max(0.0, 1.0 - (days - rules.time_full_days) / span)


def _shared_terms(a: Mapping[str, float], b: Mapping[str, float], n: int = 8) -> list[str]:
    shared = {w: a[w] * b[w] for w in a.keys() & b.keys()}
    return [w for w, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def best_match(
    a: AllegationProfile, candidates: Iterable[tuple[int, Mapping[str, Any]]]
) -> tuple[int, Match] | None:
    """The best-scoring candidate ``(incident id, profile)`` at or above the merge threshold;
    ties go to the oldest incident (the lowest id), so re-runs decide the same way."""
    rules = load_rules()
    best: tuple[int, Match] | None = None
    for incident_id, profile in candidates:
        match = score(a, profile)
        if match is None or match.score < rules.merge_threshold:
            continue
        if best is None or match.score > best[1].score or (match.score == best[1].score and incident_id < best[0]):
            best = (incident_id, match)
    return best


def is_retraction(text: str) -> bool:
    """Whether the document retracts something (a correction, a withdrawn claim)."""
    return load_rules().retraction.search(text) is not None
