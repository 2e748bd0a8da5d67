"""ACLED precision codes for places and dates (docs/mrm.md, "Precision codes").

Location: ``1`` the town or village itself; ``2`` near a town ("near", "outside", "on the outskirts of",
"north of"), or a small area (a district, a camp, a neighbourhood); ``3`` a region (province, oblast, state)
or larger (a country). Date: ``1`` the exact day; ``2`` a week; ``3`` a month; ``None`` for a year, a decade,
a date the text does not pin down, and a publication date (not an event date). A finer code than the words
support is never given. Plain Python, no spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

Code = Literal[1, 2, 3]

# Places that are a small area rather than a town itself (places.yaml ``kind``).
SMALL_AREA_KINDS = frozenset({"district", "camp", "area", "neighbourhood", "neighborhood", "suburb", "forest"})
# Broad precisions: a region, an admin1 subdivision, a country.
BROAD_PRECISIONS = frozenset({"admin1", "region", "country"})
# Words that put the event near a place, not in it: "near Kharkiv", "outside Aleppo", "on the outskirts of
# Gaza City", "20 km north of Mosul", "a village in the vicinity of Goma". Matched on the text just before
# the place name.
NEAR_PLACE = re.compile(
    r"(?i)(?:\bnear(?:by)?|\bnearby|\boutside(?:\s+of)?|\boutskirts\s+of|\bclose\s+to|\bnot\s+far\s+from|"
    r"\bin\s+the\s+vicinity\s+of|\b(?:on\s+)?the\s+(?:edge|edges|fringes?|periphery)\s+of|\baround|"
    r"\b(?:\d+|a\s+few|several)\s*(?:km|kms|kilometres|kilometers|miles)\s+(?:\w+\s+)?(?:from|of)|"
    r"\b(?:north|south|east|west|north-?east|north-?west|south-?east|south-?west)(?:ward)?\s+of)"
    r"\s+(?:the\s+)?(?:(?:town|city|village|camp|district|settlement)\s+of\s+)?$"
)
_LOOKBEHIND = 60


def geo_precision(place_precision: str, kind: str | None = None, text_before: str = "") -> Code:
    """The location precision code of one place mention, given the words just before it."""
    if place_precision in BROAD_PRECISIONS:
        return 3
    if kind in SMALL_AREA_KINDS:
        return 2
    if NEAR_PLACE.search(text_before[-_LOOKBEHIND:]):
        return 2
    return 1


def time_precision(precision: str, date: str | None, basis: str = "explicit") -> Code | None:
    """The date precision code of one date mention; None when it gives no event date finer than a month."""
    if date is None or basis == "published":
        return None
    return DAY_WEEK_MONTH.get(precision)


DAY_WEEK_MONTH: dict[str, Code] = {"day": 1, "week": 2, "month": 3}


def most_precise(codes: Iterable[int | None]) -> Code | None:
    """The most precise (lowest) code among ``codes``; None when none is given."""
    known = [c for c in codes if c is not None]
    return min(known) if known else None  # type: ignore[return-value]
