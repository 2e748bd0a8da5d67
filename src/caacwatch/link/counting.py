"""Conservative counting across the reports of one incident (``docs/mrm.md``, "Child victims and counts").

For each figure — ``children``, ``killed``, ``injured``, ``boys``, ``girls``, ``sex_unknown`` — the
incident keeps the lowest figure given by a *credible* source (credibility not rated ``low``; when every
source giving the figure is rated low, the lowest of all), shows the range (lowest, highest) and which
source and document gave each figure. The kept figure's ``estimated`` flag is the incident's.

Ages, the recruitment role and the precision codes are aggregated here too. Plain Python over the JSON of
:class:`caacwatch.records.Victims`, so the store and the tests share it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FIGURES: tuple[str, ...] = ("children", "killed", "injured", "boys", "girls", "sex_unknown")
# Where each figure is read from in a Victims record.
_FIELD = {"children": "count", "killed": "killed", "injured": "injured", "boys": "boys", "girls": "girls",
          "sex_unknown": "sex_unknown"}
RATINGS: tuple[str, ...] = ("high", "medium", "low")
_RATING_RANK = {rating: rank for rank, rating in enumerate(RATINGS)}


@dataclass(frozen=True)
class FigureReport:
    """The victims of one allegation and who gave them: its source, the document it is in."""

    victims: Mapping[str, Any]
    source: str | None = None
    source_type: str | None = None
    document: str | None = None
    credibility: str = "medium"


def figures_of(victims: Mapping[str, Any]) -> dict[str, int]:
    """The figures a Victims record states (a figure the text does not give is absent, not 0)."""
    result = {}
    for figure, key in _FIELD.items():
        value = victims.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            result[figure] = value
    return result


def conservative_counts(reports: Iterable[FigureReport]) -> dict[str, dict[str, Any]]:
    """``{figure: {value, min, max, estimated, source, document, by_source}}`` for every figure given.

    ``value`` is the kept figure (lowest credible); ``min``/``max`` the range over every source (``max``
    includes the top of a range stated in a text, ``count_max``); ``by_source`` lists each figure with
    its source, document, words and credibility, lowest first.
    """
    given: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        victims = report.victims or {}
        quantity = victims.get("quantity") or {}
        words = quantity.get("text") if isinstance(quantity, Mapping) else None
        estimated = bool(victims.get("estimated"))
        for figure, value in figures_of(victims).items():
            entry: dict[str, Any] = {
                "value": value,
                "source": report.source,
                "source_type": report.source_type,
                "document": report.document,
                "words": words if figure == "children" else None,
                "estimated": estimated,
                "credibility": report.credibility if report.credibility in _RATING_RANK else "medium",
            }
            top = victims.get("count_max") if figure == "children" else None
            if isinstance(top, int) and not isinstance(top, bool) and top > value:
                entry["max"] = top
            if entry not in given.setdefault(figure, []):
                given[figure].append(entry)
    return {figure: _keep(given[figure]) for figure in FIGURES if figure in given}


def _keep(entries: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(entries, key=_order)
    credible = [e for e in ordered if e["credibility"] != "low"]
    kept = (credible or ordered)[0]
    return {
        "value": kept["value"],
        "min": ordered[0]["value"],
        "max": max(e.get("max", e["value"]) for e in ordered),
        "estimated": kept["estimated"],
        "source": kept["source"],
        "document": kept["document"],
        "all_low_credibility": not credible,
        "by_source": ordered,
    }


def _order(entry: Mapping[str, Any]) -> tuple:
    # lowest first; at equal value an exact figure before an estimate, a more credible source first
    return (entry["value"], entry["estimated"], _RATING_RANK.get(entry["credibility"], 1),
            entry["source"] or "", entry["document"] or "")


def aggregate_ages(victims: Iterable[Mapping[str, Any]]) -> tuple[int | None, int | None]:
    """(youngest stated age, oldest stated age); the oldest is None when a group is open-ended ("16+")."""
    minimums, maximums, open_ended = [], [], False
    for v in victims:
        low, high = _age(v.get("min_age")), _age(v.get("max_age"))
        if low is not None:
            minimums.append(low)
            open_ended |= high is None
        if high is not None:
            maximums.append(high)
    low = min(minimums) if minimums else None
    high = None if open_ended or not maximums else max(maximums)
    return low, high


def _age(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 120 else None


def ages_text(min_age: int | None, max_age: int | None) -> str | None:
    """How ages are shown: ``16+``, ``10–15``, ``12``, ``up to 14``; None when no age is stated."""
    if min_age is None and max_age is None:
        return None
    if max_age is None:
        return f"{min_age}+"
    if min_age is None:
        return f"up to {max_age}"
    return str(min_age) if min_age == max_age else f"{min_age}–{max_age}"


def aggregate_role(roles: Iterable[str | None]) -> str | None:
    """The recruitment role of an incident: the role most reports state (``combatant`` on a tie),
    ``unknown`` when reports state none; None when no report is about recruitment and use."""
    seen = [r for r in roles if r is not None]
    if not seen:
        return None
    specific = Counter(r for r in seen if r in ("combatant", "support"))
    if not specific:
        return "unknown"
    return max(specific, key=lambda r: (specific[r], r == "combatant"))


def most_precise(codes: Iterable[int | None]) -> int | None:
    """The most precise ACLED code (the smallest of 1/2/3), ignoring None; None when there is none."""
    valid = [c for c in codes if c in (1, 2, 3) and not isinstance(c, bool)]
    return min(valid) if valid else None


def figure_source(sources: Sequence[Mapping[str, Any]], credibility_of: Mapping[str, str]) -> Mapping[str, Any] | None:
    """Which of an allegation's sources gives its figures: the ultimate sources (not relays) first, the
    most credible of them (the analyst's rating, else the proposal; text order on a tie)."""
    if not sources:
        return None
    pool = [s for s in sources if not s.get("relay")] or list(sources)

    def rank(indexed: tuple[int, Mapping[str, Any]]) -> tuple[int, int]:
        index, source = indexed
        rating = credibility_of.get(str(source.get("key")), source.get("credibility") or "medium")
        return (_RATING_RANK.get(rating, 1), index)

    return min(enumerate(pool), key=rank)[1]


def place_precision_code(location: Mapping[str, Any]) -> int | None:
    """ACLED location code of one place: its ``geo_precision``, else from its kind of place
    (town or point 1; a small area inside a region 2; a region, admin1 or country 3)."""
    code = location.get("geo_precision")
    if code in (1, 2, 3) and not isinstance(code, bool):
        return int(code)
    precision = location.get("precision")
    if precision in ("point", "city"):
        return 1
    if precision == "region":
        return 2 if location.get("admin1") else 3
    if precision in ("admin1", "country"):
        return 3
    return None
