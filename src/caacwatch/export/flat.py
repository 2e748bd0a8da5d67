"""One incident as one flat row of scalars: the shape shared by CSV, HXL and GeoJSON properties.

Spreadsheets, HXL tools and GIS attribute tables all want one value per cell, so the nested parts of an
incident are flattened here, once, and every tabular format agrees on column names and meanings:

* lists (countries, admin1, location names, perpetrators, documents, flags) are joined with ``"; "``;
* ``counts`` (conservative, ``docs/mrm.md``) becomes ``victims_count`` (the kept figure of children),
  ``victims_count_min``/``_max`` (the range across reports), ``victims_estimated``, ``killed``,
  ``injured``, ``boys``, ``girls``, ``sex_unknown``; ages are ``victims_min_age``/``victims_max_age``;
* ``sources`` becomes ``"name (type)"`` items joined with ``"; "``, ``source_types`` ``"official 1; media 1"``;
* ``lat``/``lon``/``location_kind`` are those of the *first location that has coordinates* (the
  primary location); every location name is still listed in ``locations``; ``location_precision`` and
  ``date_precision`` are the incident's ACLED codes (1/2/3).

Three column sets: :data:`FLAT_COLUMNS` (analysts), :data:`VIEWER_COLUMNS` (a viewer's export: restricted
columns left out, the rest filled from the viewer's view) and :data:`PUBLIC_COLUMNS` (publication).

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
    "violation_class",
    "status",
    "verification_level",
    "countries",
    "admin1",
    "locations",
    "lat",
    "lon",
    "location_kind",
    "location_precision",
    "perpetrators",
    "perpetrator_parties",
    "perpetrator_types",
    "first_reported",
    "last_reported",
    "event_date",
    "event_date_precision",
    "date_precision",
    "victims_count",
    "victims_count_min",
    "victims_count_max",
    "victims_estimated",
    "killed",
    "injured",
    "boys",
    "girls",
    "sex_unknown",
    "victims_min_age",
    "victims_max_age",
    "victims_sex",
    "recruitment_role",
    "documents",
    "document_count",
    "independent_sources",
    "sources",
    "source_types",
    "flags",
    "summary",
    "public_summary",
)

# What a viewer's export leaves out (restricted: docs/mrm.md, "Confidentiality"); the other columns are
# filled from the viewer's view of the incident (regions instead of towns, no source names).
VIEWER_COLUMNS: tuple[str, ...] = tuple(
    c for c in FLAT_COLUMNS if c not in ("victims_min_age", "victims_max_age", "documents")
)

# The publication export's columns, from caacwatch.export.public.public_incident records.
PUBLIC_COLUMNS: tuple[str, ...] = (
    "id",
    "violation",
    "violation_class",
    "status",
    "countries",
    "admin1",
    "lat",
    "lon",
    "location_precision",
    "month",
    "date_precision",
    "perpetrator_parties",
    "perpetrator_types",
    "victims_count",
    "victims_count_min",
    "victims_count_max",
    "victims_estimated",
    "killed",
    "injured",
    "boys",
    "girls",
    "sex_unknown",
    "independent_sources",
    "source_types",
    "public_summary",
)

FIGURE_COLUMNS = {"killed": "killed", "injured": "injured", "boys": "boys", "girls": "girls",
                  "sex_unknown": "sex_unknown"}


def columns_for(visibility: str) -> tuple[str, ...]:
    return {"full": FLAT_COLUMNS, "restricted": VIEWER_COLUMNS, "public": PUBLIC_COLUMNS}[visibility]


def flatten_incident(incident: Mapping[str, Any], visibility: str = "full") -> dict[str, Scalar]:
    """Return the incident as ``{column: scalar}`` in the column order of ``visibility``.

    ``incident`` is the store's incident JSON as that visibility shows it (see
    :mod:`caacwatch.export.public`): the full record, the viewer's, or a publication record.
    Missing or null parts give ``None`` (numbers, dates) or ``""`` (joined lists), so a sparse incident
    still fills every column and no format has to special-case it.
    """
    if visibility == "public":
        return _flatten_public(incident)
    victims = _mapping(incident.get("victims"))
    counts = _mapping(incident.get("counts"))
    perpetrators = [_mapping(p) for p in _sequence(incident.get("perpetrators"))]
    locations = [_mapping(loc) for loc in _sequence(incident.get("locations"))]
    primary = primary_location(locations)
    point = coordinates(primary) if primary is not None else None
    min_age = incident.get("min_age", victims.get("min_age"))
    max_age = incident.get("max_age", victims.get("max_age"))
    row: dict[str, Scalar] = {
        "id": _scalar(incident.get("id")),
        "violation": _scalar(incident.get("violation")),
        "violation_class": _scalar(incident.get("violation_class")),
        "status": _scalar(incident.get("status")),
        "verification_level": _scalar(incident.get("verification_level")),
        "countries": join(incident.get("countries")),
        "admin1": join(incident.get("admin1")),
        "locations": join(loc.get("name") for loc in locations),
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "location_kind": _scalar(primary.get("precision")) if primary is not None else None,
        "location_precision": _scalar(incident.get("location_precision")),
        "perpetrators": join(p.get("name") or p.get("party") for p in perpetrators),
        "perpetrator_parties": join(_unique(p.get("party") for p in perpetrators)),
        "perpetrator_types": join(_unique(p.get("type") for p in perpetrators)),
        "first_reported": _scalar(incident.get("first_reported")),
        "last_reported": _scalar(incident.get("last_reported")),
        "event_date": _scalar(incident.get("event_date")),
        "event_date_precision": _scalar(incident.get("event_date_precision")),
        "date_precision": _scalar(incident.get("date_precision")),
        **_count_cells(counts, fallback=victims),
        "victims_min_age": _scalar(min_age),
        "victims_max_age": _scalar(max_age),
        "victims_sex": _scalar(victims.get("sex")),
        "recruitment_role": _scalar(incident.get("recruitment_role")),
        "documents": join(incident.get("documents")),
        "document_count": _scalar(incident.get("document_count")),
        "independent_sources": _scalar(incident.get("independent_sources")),
        "sources": join(source_label(_mapping(s)) for s in _sequence(incident.get("sources"))),
        "source_types": _types_cell(incident.get("source_types")),
        "flags": join(incident.get("flags")),
        "summary": _scalar(incident.get("summary")),
        "public_summary": _scalar(incident.get("public_summary")),
    }
    columns = columns_for(visibility)
    return {column: row[column] for column in columns}


def _count_cells(counts: Mapping[str, Any], fallback: Mapping[str, Any] | None = None) -> dict[str, Scalar]:
    """The figures of an incident's ``counts`` (the kept value of each, the children's range)."""
    children = _mapping(counts.get("children"))
    fallback = fallback or {}
    count_range = _sequence(fallback.get("count_range"))
    cells: dict[str, Scalar] = {
        "victims_count": _scalar(children.get("value", fallback.get("count"))),
        "victims_count_min": _scalar(children.get("min", count_range[0] if count_range else None)),
        "victims_count_max": _scalar(children.get("max", count_range[-1] if count_range else None)),
        "victims_estimated": _flag(children.get("estimated")) if children else None,
    }
    for figure, column in FIGURE_COLUMNS.items():
        cells[column] = _scalar(_mapping(counts.get(figure)).get("value"))
    return cells


def _flatten_public(record: Mapping[str, Any]) -> dict[str, Scalar]:
    regions = [_mapping(r) for r in _sequence(record.get("regions"))]
    located = next((r for r in regions if coordinates(r) is not None), None)
    point = coordinates(located) if located is not None else None
    row: dict[str, Scalar] = {
        "id": _scalar(record.get("id")),
        "violation": _scalar(record.get("violation")),
        "violation_class": _scalar(record.get("violation_class")),
        "status": _scalar(record.get("status")),
        "countries": join(record.get("countries")),
        "admin1": join(_unique(r.get("admin1") for r in regions)),
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "location_precision": _scalar(record.get("location_precision")),
        "month": _scalar(record.get("month")),
        "date_precision": _scalar(record.get("date_precision")),
        "perpetrator_parties": _scalar(record.get("perpetrator")),
        "perpetrator_types": _scalar(record.get("perpetrator_type")),
        **_count_cells(_mapping(record.get("counts"))),
        "independent_sources": _scalar(record.get("independent_sources")),
        "source_types": _types_cell(record.get("source_types")),
        "public_summary": _scalar(record.get("public_summary")),
    }
    return {column: row[column] for column in PUBLIC_COLUMNS}


def _types_cell(types: Any) -> str:
    """``{"official": 1, "media": 1}`` -> ``"official 1; media 1"``."""
    return join(f"{kind} {n}" for kind, n in _mapping(types).items())


def _flag(value: Any) -> Scalar:
    return None if value is None else ("true" if value else "false")


def join(values: Iterable[Any] | None) -> str:
    """Join the non-empty values with ``"; "`` (``""`` for none): one readable cell per list."""
    if values is None or isinstance(values, str | bytes):
        return "" if not values else str(values)
    return LIST_SEPARATOR.join(str(v) for v in values if v is not None and v != "")


def source_label(source: Mapping[str, Any]) -> str:
    """``"Nigerian military (military)"``: who says so, and what kind of source they are (a viewer's
    sources have no name: ``"Ukraine (official)"``, the party, or just the type)."""
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
