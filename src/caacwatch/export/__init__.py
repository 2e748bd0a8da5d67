"""Exports of incident lists: ``write_incidents(incidents, fmt, out)`` for table, json, csv, geojson, hxl.

Plain dicts in (the shape the query layer produces), text out; no Django or spaCy here, so exports can
be tested and reused without a database. See :mod:`caacwatch.export.formats` for what each format
contains, :mod:`caacwatch.export.flat` for the flat columns and :mod:`caacwatch.export.hxl` for the
HXL hashtags.
"""

from caacwatch.export.flat import FLAT_COLUMNS, LIST_SEPARATOR, flatten_incident
from caacwatch.export.formats import (
    FORMATS,
    ExportResult,
    defuse_formula,
    export_incidents,
    incident_to_features,
    write_incidents,
)
from caacwatch.export.hxl import HXL_MAPPING, HXL_TAGS

__all__ = [
    "FLAT_COLUMNS",
    "FORMATS",
    "HXL_MAPPING",
    "HXL_TAGS",
    "LIST_SEPARATOR",
    "ExportResult",
    "defuse_formula",
    "export_incidents",
    "flatten_incident",
    "incident_to_features",
    "write_incidents",
]
