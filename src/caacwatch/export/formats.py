"""Write incidents as a terminal table, JSON, CSV, GeoJSON or HXL.

Every writer *streams*: it takes any iterable of incident dicts (the query layer may yield 100k of
them from a database cursor) and writes each as it comes, never holding the whole list.

Formats
-------
``table``
    A rich table for terminals (see :mod:`caacwatch.export.table`).
``json``
    A JSON array of the incident dicts as given, one incident a line, UTF-8 text
    (``ensure_ascii=False``). Non-finite floats become ``null`` so the output is always valid JSON.
``csv``
    One row per incident, columns :data:`~caacwatch.export.flat.FLAT_COLUMNS` (lists joined with
    ``"; "``, victims flattened, sources as ``"name (type)"``).
``hxl``
    The CSV with an HXL hashtag row as its second row (mapping in :mod:`caacwatch.export.hxl`).
``geojson``
    An RFC 7946 FeatureCollection with one Point Feature per incident *location that has
    coordinates* (``[lon, lat]``, GeoJSON order); properties are the flat columns, with ``lat``,
    ``lon``, ``location_kind``, ``location_geo_precision`` and ``location`` describing that feature's own
    location. Incidents with no located place are left out and counted in :attr:`ExportResult.skipped`.

Visibility (``docs/mrm.md``, "Confidentiality"): every writer takes ``visibility`` — ``full``,
``restricted`` (a viewer's export: :func:`caacwatch.export.public.redact_incident` first, restricted
columns left out, places coarsened to regions) or ``public`` (publication records only, points at
regions).

Spreadsheet safety: article text is untrusted, and a CSV cell starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return is run as a formula by Excel/LibreOffice (CSV injection). In CSV and HXL such
text cells get a leading apostrophe, which spreadsheets show as text; numbers we produce (a latitude
of -12.5) are left alone.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from caacwatch.errors import CaacError, E
from caacwatch.export.flat import Scalar, columns_for, coordinates, flatten_incident
from caacwatch.export.hxl import hxl_tag_row
from caacwatch.export.public import VISIBILITIES, redact_incident
from caacwatch.export.table import write_table

Incident = Mapping[str, Any]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    """What a writer did: incidents written, incidents left out (GeoJSON), features written (GeoJSON)."""

    written: int
    skipped: int = 0
    features: int = 0


# --- the public entry points -------------------------------------------------------------------


def write_incidents(incidents: Iterable[Incident], fmt: str, out: TextIO, *, visibility: str = "full") -> int:
    """Write ``incidents`` to ``out`` in format ``fmt``; return the number of incidents written.

    ``fmt`` is one of :data:`FORMATS` (``table``, ``json``, ``csv``, ``geojson``, ``hxl``); anything
    else raises ``CaacError`` E203 before a byte is written. For GeoJSON, incidents without
    coordinates are not written and not counted; use :func:`export_incidents` to learn how many.

    ``visibility`` says who the export is for (:mod:`caacwatch.export.public`): ``full`` (analysts,
    admins, the CLI), ``restricted`` (a viewer: restricted fields left out) or ``public`` (publication:
    only public-safe fields). ``visibility_for_role(role)`` gives it for a workbench role.
    """
    return export_incidents(incidents, fmt, out, visibility=visibility).written


def export_incidents(
    incidents: Iterable[Incident], fmt: str, out: TextIO, *, visibility: str = "full"
) -> ExportResult:
    """Like :func:`write_incidents`, but return the full :class:`ExportResult` (skipped, features)."""
    writer = WRITERS.get(fmt)
    if writer is None:
        raise CaacError(E.E203, fmt=fmt, choices=", ".join(FORMATS))
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r}: one of {', '.join(VISIBILITIES)}")
    if visibility != "full":
        incidents = (redact_incident(incident, visibility) for incident in incidents)
    return writer(incidents, out, visibility)


# --- JSON --------------------------------------------------------------------------------------


def write_json(incidents: Iterable[Incident], out: TextIO, visibility: str = "full") -> ExportResult:
    """A JSON array, written item by item: ``[``, one incident a line, ``]``."""
    return ExportResult(written=_write_array(incidents, out, prefix="[", suffix="]\n"))


def _write_array(items: Iterable[Any], out: TextIO, *, prefix: str, suffix: str) -> int:
    """Stream ``items`` as the elements of a JSON array framed by ``prefix``/``suffix``."""
    out.write(prefix)
    count = 0
    for item in items:
        out.write(",\n" if count else "\n")
        out.write(to_json(item))
        count += 1
    out.write("\n" + suffix if count else suffix)
    return count


def to_json(value: Any) -> str:
    """One compact JSON value, UTF-8 friendly; NaN/inf become null rather than invalid JSON."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except ValueError:  # a non-finite float somewhere: rare, so only then pay for a cleaning pass
        return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    """Values a database row may carry that json cannot: dates, decimals, sets."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


# --- CSV and HXL -------------------------------------------------------------------------------


def write_csv(incidents: Iterable[Incident], out: TextIO, visibility: str = "full") -> ExportResult:
    """One header row, then one row per incident (see :mod:`caacwatch.export.flat`)."""
    columns = columns_for(visibility)
    return ExportResult(written=_write_rows(incidents, out, visibility, header_rows=[list(columns)]))


def write_hxl(incidents: Iterable[Incident], out: TextIO, visibility: str = "full") -> ExportResult:
    """The CSV with the HXL hashtag row second, as the HXL tagging conventions require."""
    columns = columns_for(visibility)
    return ExportResult(
        written=_write_rows(incidents, out, visibility, header_rows=[list(columns), hxl_tag_row(columns)])
    )


def _write_rows(incidents: Iterable[Incident], out: TextIO, visibility: str, *, header_rows: list[list[str]]) -> int:
    writer = csv.writer(out)
    writer.writerows(header_rows)
    columns = columns_for(visibility)
    count = 0
    for incident in incidents:
        row = flatten_incident(incident, visibility)
        writer.writerow([csv_cell(row[column]) for column in columns])
        count += 1
    return count


def csv_cell(value: Scalar | bool) -> str:
    """A cell: empty for null, numbers as written, text defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else ""
    return defuse_formula(str(value))


def defuse_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would evaluate (``=cmd|...``, ``+1+1``, ``@SUM(...)``)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# --- GeoJSON -----------------------------------------------------------------------------------


def write_geojson(incidents: Iterable[Incident], out: TextIO, visibility: str = "full") -> ExportResult:
    """A FeatureCollection streamed feature by feature; incidents without coordinates are skipped.
    A viewer's or a publication's features are the incident's regions (their points), never a town."""
    counts = {"written": 0, "skipped": 0}

    def features() -> Iterable[dict[str, Any]]:
        for incident in incidents:
            incident_features = incident_to_features(incident, visibility)
            counts["written" if incident_features else "skipped"] += 1
            yield from incident_features

    total = _write_array(features(), out, prefix='{"type": "FeatureCollection", "features": [', suffix="]}\n")
    return ExportResult(written=counts["written"], skipped=counts["skipped"], features=total)


def incident_to_features(incident: Incident, visibility: str = "full") -> list[dict[str, Any]]:
    """One Point Feature per located place of the incident (``[]`` when none has coordinates).

    ``incident`` is as ``visibility`` shows it: for ``public`` a publication record, whose places are its
    ``regions``; a viewer's incident has its locations coarsened to regions already."""
    base = flatten_incident(incident, visibility)
    places = incident.get("regions") if visibility == "public" else incident.get("locations")
    features = []
    for location in places or ():
        point = coordinates(location) if isinstance(location, Mapping) else None
        if point is None:
            continue
        lat, lon = point
        properties = {**base, "location": location.get("name"), "lat": lat, "lon": lon}
        if visibility != "public":
            properties["location_kind"] = location.get("precision")
            properties["location_geo_precision"] = location.get("geo_precision")
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": properties,
            }
        )
    return features


Writer = Callable[[Iterable[Incident], TextIO, str], ExportResult]


def _write_table(incidents: Iterable[Incident], out: TextIO, visibility: str = "full") -> ExportResult:
    return ExportResult(written=write_table(incidents, out))


WRITERS: dict[str, Writer] = {
    "table": _write_table,
    "json": write_json,
    "csv": write_csv,
    "geojson": write_geojson,
    "hxl": write_hxl,
}

FORMATS: tuple[str, ...] = tuple(WRITERS)
