"""One incident as one flat row of scalars: the shape shared by CSV, HXL and GeoJSON properties.

Spreadsheets, HXL tools and GIS attribute tables all want one value per cell, so the nested parts of an
incident are flattened here, once, and every tabular format agrees on column names and meanings:

* lists (countries, admin1, location names, perpetrators, documents, flags) are joined with ``"; "``;
* ``victims`` becomes ``victims_count``, ``victims_min_age``, ``victims_max_age``, ``victims_sex``;
* ``sources`` becomes ``"name (type)"`` items joined with ``"; "``;
* ``lat``/``lon``/``location_precision`` are those of the *first location that has coordinates* (the
  primary location); every location name is still listed in ``locations``.

The joined form is for reading, not for round-tripping: a name that itself contains ``"; "`` cannot be
told apart from two names. Use the JSON export when the structure matters.

No Django, no spaCy: the input is the plain dict the query layer produces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Scalar = str | int | float | None

LIST_SEPARATOR = "; "

# Column order of every tabular export (CSV, HXL) and the property names of GeoJSON features.
FLAT_COLUMNS: tuple[str, ...] = (
    "id",
    "violation",
    "status",
    "countries",
    "admin1",
    "locations",
    "lat",
    "lon",
    "location_precision",
    "perpetrators",
    "perpetrator_parties",
    "perpetrator_types",
    "first_reported",
    "last_reported",
    "event_date",
    "event_date_precision",
    "victims_count",
    "victims_min_age",
    "victims_max_age",
    "victims_sex",
    "documents",
    "document_count",
    "independent_sources",
    "sources",
    "flags",
    "summary",
)


def flatten_incident(incident: Mapping[str, Any]) -> dict[str, Scalar]:
    """Return the incident as ``{column: scalar}`` in :data:`FLAT_COLUMNS` order.

    Missing or null parts give ``None`` (numbers, dates) or ``""`` (joined lists), so a sparse incident
    still fills every column and no format has to special-case it.
    """
    victims = _mapping(incident.get("victims"))
    perpetrators = [_mapping(p) for p in _sequence(incident.get("perpetrators"))]
    locations = [_mapping(loc) for loc in _sequence(incident.get("locations"))]
    primary = primary_location(locations)
    point = coordinates(primary) if primary is not None else None
    row: dict[str, Scalar] = {
        "id": _scalar(incident.get("id")),
        "violation": _scalar(incident.get("violation")),
        "status": _scalar(incident.get("status")),
        "countries": join(incident.get("countries")),
        "admin1": join(incident.get("admin1")),
        "locations": join(loc.get("name") for loc in locations),
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "location_precision": _scalar(primary.get("precision")) if primary is not None else None,
        "perpetrators": join(p.get("name") or p.get("party") for p in perpetrators),
        "perpetrator_parties": join(_unique(p.get("party") for p in perpetrators)),
        "perpetrator_types": join(_unique(p.get("type") for p in perpetrators)),
        "first_reported": _scalar(incident.get("first_reported")),
        "last_reported": _scalar(incident.get("last_reported")),
        "event_date": _scalar(incident.get("event_date")),
        "event_date_precision": _scalar(incident.get("event_date_precision")),
        "victims_count": _scalar(victims.get("count")),
        "victims_min_age": _scalar(victims.get("min_age")),
        "victims_max_age": _scalar(victims.get("max_age")),
        "victims_sex": _scalar(victims.get("sex")),
        "documents": join(incident.get("documents")),
        "document_count": _scalar(incident.get("document_count")),
        "independent_sources": _scalar(incident.get("independent_sources")),
        "sources": join(source_label(_mapping(s)) for s in _sequence(incident.get("sources"))),
        "flags": join(incident.get("flags")),
        "summary": _scalar(incident.get("summary")),
    }
    return row


def join(values: Iterable[Any] | None) -> str:
    """Join the non-empty values with ``"; "`` (``""`` for none): one readable cell per list."""
    if values is None or isinstance(values, str | bytes):
        return "" if not values else str(values)
    return LIST_SEPARATOR.join(str(v) for v in values if v is not None and v != "")


def source_label(source: Mapping[str, Any]) -> str:
    """``"Nigerian military (military)"``: who says so, and what kind of source they are."""
    name = source.get("name") or source.get("party") or ""
    kind = source.get("type")
    return f"{name} ({kind})" if kind and name else str(name or kind or "")


def primary_location(locations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first location with usable coordinates, else the first location, else ``None``."""
    for location in locations:
        if coordinates(location) is not None:
            return location
    return locations[0] if locations else None


def coordinates(location: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(lat, lon)`` when both are finite numbers on the globe, else ``None``.

    A geocoder miss is stored as null; a corrupt value (text, NaN, 200°) must not become a point in the
    Atlantic, so anything out of range counts as "no coordinates".
    """
    lat, lon = _number(location.get("lat")), _number(location.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _scalar(value: Any) -> Scalar:
    """Keep numbers and text as they are; render anything else (a date object, say) as text."""
    if value is None or isinstance(value, str | int | float):
        return value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()


def _unique(values: Iterable[Any]) -> list[Any]:
    """Distinct non-empty values in first-seen order (two Boko Haram factions share one party)."""
    seen: dict[Any, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)
