"""Exports of incident lists: ``write_incidents(incidents, fmt, out)`` for table, json, csv, geojson, hxl.

Plain dicts in (the shape the query layer produces), text out; no Django or spaCy here, so exports can
be tested and reused without a database. See :mod:`caacwatch.export.formats` for what each format
contains, :mod:`caacwatch.export.flat` for the flat columns and :mod:`caacwatch.export.hxl` for the
HXL hashtags.
"""

from caacwatch.export.flat import (
    FLAT_COLUMNS,
    LIST_SEPARATOR,
    PUBLIC_COLUMNS,
    VIEWER_COLUMNS,
    columns_for,
    flatten_incident,
)
from caacwatch.export.formats import (
    FORMATS,
    ExportResult,
    defuse_formula,
    export_incidents,
    incident_to_features,
    write_incidents,
)
from caacwatch.export.hxl import HXL_MAPPING, HXL_TAGS
from caacwatch.export.public import (
    VISIBILITIES,
    detail_for_role,
    incident_for_role,
    propose_public_summary,
    public_incident,
    redact_incident,
    visibility_for_role,
)

__all__ = [
    "FLAT_COLUMNS",
    "PUBLIC_COLUMNS",
    "VIEWER_COLUMNS",
    "VISIBILITIES",
    "columns_for",
    "detail_for_role",
    "incident_for_role",
    "propose_public_summary",
    "public_incident",
    "redact_incident",
    "visibility_for_role",
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
