"""The Parquet schema of ``caacwatch batch`` output (one row per input), and of the work units.

Version :data:`SCHEMA_VERSION` is written in every row (``schema_version``) and in the file's
metadata; an incompatible change bumps it, as ``caacwatch.analysis/2`` does for the JSON contract.
``/2`` (with ``caacwatch.analysis/2``): allegation structs gain the MRM fields (violation class, perpetrator
type, child counts by outcome and sex, ages, role, ACLED precision codes, source types); rows gain
``perpetrator_types``.

Columns of the output, in order:

=====================  ==================================================================================
``schema_version``     ``caacwatch.batch/2``
``index``              position of the input in the run (0, 1, ...): rows are written in this order
``id``                 the input's external id (JSON Lines ``id`` or ``<file>:<line>``, WARC target URI)
``status``             ``analysed``; ``rejected`` (the input is not a document: ``code``, ``error``); or
                       ``failed`` (the analysis failed: ``code``, ``error``, and the input ``document``)
``code``, ``error``    the error code (``E101``, ``E299``...) and its message, else null
``relevant``           the analysis's ``relevant`` (null unless analysed)
``n_allegations``,     counts; the flattened allegation columns below are null unless analysed
``n_claims``
``violations``         sorted distinct violation codes of the allegations
``countries``          sorted distinct ISO 3166-1 alpha-2 codes of the allegations' locations
``perpetrators``       sorted distinct perpetrators (the party when known, else the name)
``perpetrator_types``  sorted distinct perpetrator types (state_armed_force, non_state_armed_group, ...)
``max_confidence``     highest allegation confidence (null when there is none)
``sources``            sorted distinct named sources of the claims the allegations rest on
``source_count``       ``len(sources)``
``flags``              the document flags (``single_source``, ``hedged``...)
``prefilter``          ``passed`` or ``rejected`` (the parser did not run)
``allegations``        one struct per allegation: id, violation, violation_class (grave_violation |
                       related_category), perpetrator, perpetrator_party, perpetrator_type, countries,
                       victims_count, victims_count_max, victims_estimated, killed, injured, boys, girls,
                       sex_unknown, min_age, max_age, role (recruitment_use), location_precision and
                       date_precision (ACLED codes 1-3), event_date, event_date_precision, source_count,
                       source_types (sorted distinct ``sources[].type``), confidence, trigger
``title``, ``url``,    document fields, for reading the table without parsing ``analysis``
``published``,
``outlet``,
``language``
``text_sha256``        the store's document key (SHA-256 of the normalised text)
``analysis``           the ``caacwatch.analysis/2`` JSON, exactly what ``caacwatch ingest`` stores
``document``           for ``failed`` rows: the input document's JSON (so ``load`` can store the input)
``original``           the input's bytes exactly as received (the JSON line, the WARC payload)
``original_sha256``,   the evidence: hash, media type, URL, retrieval time and origin (``file:line``)
``original_content_
type``,
``original_url``,
``original_retrieved_
at``, ``origin``
=====================  ==================================================================================
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "caacwatch.batch/2"
METADATA_KEY = b"caacwatch.batch"

STATUSES = ("analysed", "rejected", "failed")
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_STRINGS = pa.list_(pa.string())

ALLEGATION = pa.struct(
    [
        ("id", pa.string()),
        ("violation", pa.string()),
        ("violation_class", pa.string()),
        ("perpetrator", pa.string()),
        ("perpetrator_party", pa.string()),
        ("perpetrator_type", pa.string()),
        ("countries", _STRINGS),
        ("victims_count", pa.int64()),
        ("victims_count_max", pa.int64()),
        ("victims_estimated", pa.bool_()),
        ("killed", pa.int64()),
        ("injured", pa.int64()),
        ("boys", pa.int64()),
        ("girls", pa.int64()),
        ("sex_unknown", pa.int64()),
        ("min_age", pa.int32()),
        ("max_age", pa.int32()),
        ("role", pa.string()),
        ("location_precision", pa.int8()),
        ("date_precision", pa.int8()),
        ("event_date", pa.string()),
        ("event_date_precision", pa.string()),
        ("source_count", pa.int32()),
        ("source_types", _STRINGS),
        ("confidence", pa.float64()),
        ("trigger", pa.string()),
    ]
)

OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("schema_version", pa.string(), nullable=False),
        pa.field("index", pa.int64(), nullable=False),
        ("id", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        ("code", pa.string()),
        ("error", pa.string()),
        ("relevant", pa.bool_()),
        ("n_allegations", pa.int32()),
        ("n_claims", pa.int32()),
        ("violations", _STRINGS),
        ("countries", _STRINGS),
        ("perpetrators", _STRINGS),
        ("perpetrator_types", _STRINGS),
        ("max_confidence", pa.float64()),
        ("sources", _STRINGS),
        ("source_count", pa.int32()),
        ("flags", _STRINGS),
        ("prefilter", pa.string()),
        ("allegations", pa.list_(ALLEGATION)),
        ("title", pa.string()),
        ("url", pa.string()),
        ("published", pa.string()),
        ("outlet", pa.string()),
        ("language", pa.string()),
        ("text_sha256", pa.string()),
        ("analysis", pa.large_string()),
        ("document", pa.large_string()),
        ("original", pa.large_binary()),
        ("original_sha256", pa.string()),
        ("original_content_type", pa.string()),
        ("original_url", pa.string()),
        ("original_retrieved_at", _TIMESTAMP),
        ("origin", pa.string()),
    ],
    metadata={METADATA_KEY: SCHEMA_VERSION.encode()},
)

# What the driver sends to the workers: a raw JSON line (or a Parquet row as JSON) to parse there,
# or an input the driver already parsed (a WARC page) or rejected.
UNIT_KINDS = ("line", "item", "rejected")
UNIT_SCHEMA = pa.schema(
    [
        pa.field("index", pa.int64(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        ("label", pa.string()),  # line: names a line without an id ("batch.jsonl" -> "batch.jsonl:12")
        ("number", pa.int64()),  # line: its number in the file
        ("origin", pa.string()),  # line: the file (the original's origin is "<origin>:<number>"); else the origin
        ("data", pa.large_binary()),  # line: its bytes; item, rejected: the original's bytes (null: none)
        ("retrieved_at", _TIMESTAMP),
        ("content_type", pa.string()),
        ("url", pa.string()),
        ("external_id", pa.string()),
        ("document", pa.large_string()),  # item: the parsed Document's JSON
        ("code", pa.string()),  # rejected
        ("reason", pa.string()),
    ]
)
