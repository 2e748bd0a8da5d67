"""The driver's side of a batch run: inputs → work units, in input order, streamed.

A unit is a dict of :data:`~caacwatch.distributed.schema.UNIT_SCHEMA`. The driver does as little
as it can, so that it does not compete with the workers for the CPU:

* a JSON Lines line is split off and sent as raw bytes (``kind="line"``); the worker parses it
  exactly as ``caacwatch ingest --jsonl`` does (same error codes, ids and originals);
* a Parquet row (columns ``id``, ``text``, ``title``, ``published``, ``url``, ``source``, as a
  JSON line) becomes the same kind of unit: the original kept is the row as a JSON object;
* a WARC archive is read by :func:`caacwatch.ingest.warc.iter_warc` here, on the driver (the
  archive is one stream), and each page is sent parsed (``kind="item"``);
* anything that cannot be read is a ``kind="rejected"`` unit with its code, never an exception.

Folders are read like ``caacwatch ingest FOLDER``: files in name order, sub-folders too, hidden
entries skipped; only the files of the option's kind are read (``*.jsonl``, ``*.parquet``,
``*.warc``/``*.warc.gz``). A line or row without an id is named ``<file>:<number>``, with the
file's path relative to the folder given.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from caacwatch.errors import CaacError, E
from caacwatch.ingest import DEFAULT_MAX_BYTES
from caacwatch.ingest.items import InputItem, Rejected
from caacwatch.ingest.jsonl import error_record, raw_id, raw_line, read_lines
from caacwatch.ingest.sources import unexpected_rejection
from caacwatch.records import Document

Unit = dict[str, Any]

JSONL_SUFFIXES = (".jsonl",)
PARQUET_SUFFIXES = (".parquet",)
WARC_SUFFIXES = (".warc", ".warc.gz")
_PARQUET_READ_ROWS = 1024


def iter_units(
    *,
    jsonl: Iterable[str] = (),
    parquet: Iterable[str] = (),
    warc: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: IO[bytes] | None = None,
) -> Iterator[Unit]:
    """Every unit of the inputs, ``index`` 0, 1, 2... in order: the JSON Lines inputs, then the
    Parquet ones, then the WARC ones, each in the order given. ``"-"`` in ``jsonl`` is standard input."""
    for index, unit in enumerate(_iter_all(list(jsonl), list(parquet), list(warc), max_bytes, stdin)):
        unit["index"] = index
        yield unit


def check_inputs(*, jsonl: Iterable[str] = (), parquet: Iterable[str] = (), warc: Iterable[str] = ()) -> None:
    """Refuse a run whose inputs do not exist (E001) before any work starts."""
    for spec in [*jsonl, *parquet, *warc]:
        if spec != "-" and not Path(spec).exists():
            raise CaacError(E.E001, path=spec)


def count_inputs(*, jsonl: Iterable[str] = (), parquet: Iterable[str] = (), warc: Iterable[str] = ()) -> int | None:
    """How many units to expect (non-blank lines, Parquet rows), for a progress bar; None when
    unknown (WARC archives, standard input, unreadable files)."""
    if list(warc) or "-" in jsonl:
        return None
    total = 0
    try:
        for path, _ in _expand(list(jsonl), JSONL_SUFFIXES):
            with path.open("rb") as handle:
                total += sum(1 for line in handle if line.strip())
        if parquet:
            import pyarrow.parquet as pq

            for path, _ in _expand(list(parquet), PARQUET_SUFFIXES):
                total += pq.ParquetFile(path).metadata.num_rows
    except Exception:  # noqa: BLE001 - only an estimate: the run reports the real problem
        return None
    return total


# --- the inputs, file by file ----------------------------------------------------------------
def _iter_all(
    jsonl: list[str], parquet: list[str], warc: list[str], max_bytes: int, stdin: IO[bytes] | None
) -> Iterator[Unit]:
    for spec in jsonl:
        if spec == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _guarded("-", _iter_jsonl_stream(stream, "-", "stdin", max_bytes))
            continue
        for path, label in _expand_guarded(spec, JSONL_SUFFIXES):
            yield from _guarded(str(path), _iter_jsonl_file(path, label, max_bytes))
    for spec in parquet:
        for path, label in _expand_guarded(spec, PARQUET_SUFFIXES):
            yield from _guarded(str(path), _iter_parquet_file(path, label, max_bytes))
    for spec in warc:
        for path, _label in _expand_guarded(spec, WARC_SUFFIXES):
            yield from _guarded(str(path), _iter_warc_file(path, max_bytes))


def _expand_guarded(spec: str, suffixes: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    path = Path(spec)
    if not path.exists():
        yield path, path.name  # reading it yields the E001 rejection
        return
    yield from _expand([spec], suffixes)


def _expand(specs: list[str], suffixes: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    """(file, label) for each spec: a file is itself (labelled by its name), a folder its files of
    the kind, labelled by their path relative to the folder."""
    for spec in specs:
        path = Path(spec)
        if not path.is_dir():
            yield path, path.name
            continue
        for found in _walk(path):
            if found.name.lower().endswith(suffixes):
                yield found, found.relative_to(path).as_posix()


def _walk(folder: Path) -> Iterator[Path]:
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path)


def _guarded(label: str, units: Iterator[Unit]) -> Iterator[Unit]:
    """Everything ``units`` yields; an exception ends this input with one rejected unit."""
    try:
        yield from units
    except CaacError as exc:
        yield rejected_unit(Rejected(external_id=label, code=exc.code, reason=exc.message))
    except Exception as exc:  # noqa: BLE001 - one input never stops the others
        yield rejected_unit(unexpected_rejection(label, exc))


# --- JSON Lines and Parquet: raw lines for the workers -----------------------------------------
def _iter_jsonl_file(path: Path, label: str, max_bytes: int) -> Iterator[Unit]:
    if not path.exists():
        raise CaacError(E.E001, path=path)
    if path.is_dir():
        raise CaacError(E.E011, path=path)
    with path.open("rb") as stream:
        yield from _iter_jsonl_stream(stream, str(path), label, max_bytes)


def _iter_jsonl_stream(stream: IO[bytes], origin: str, label: str, max_bytes: int) -> Iterator[Unit]:
    """The same line splitting as :func:`caacwatch.ingest.jsonl.iter_jsonl_lines` (byte-order mark,
    over-long lines rejected with E104 and never held), without parsing the lines."""
    for number, line, overlong in read_lines(stream, max_bytes):
        if overlong:
            error = error_record(CaacError(E.E104, line=number, limit=max_bytes), raw_id(line))
            yield rejected_unit(Rejected(error.id or f"{label}:{number}", error.code, error.error))
            continue
        if not line.strip():
            continue
        yield line_unit(raw_line(line), number=number, label=label, origin=origin)


def _iter_parquet_file(path: Path, label: str, max_bytes: int) -> Iterator[Unit]:
    import pyarrow.parquet as pq

    from caacwatch.distributed.errors import B, BatchError

    if not path.exists():
        raise CaacError(E.E001, path=path)
    try:
        reader = pq.ParquetFile(path)
    except Exception as exc:
        raise BatchError(B.E405, path=path, reason=_reason(exc)) from exc
    number = 0
    for batch in reader.iter_batches(batch_size=_PARQUET_READ_ROWS):
        for row in batch.to_pylist():
            number += 1
            data = json.dumps(row, ensure_ascii=False, default=_json_value).encode("utf-8", "surrogatepass")
            if len(data) > max_bytes:
                error = CaacError(E.E104, line=number, limit=max_bytes)
                yield rejected_unit(Rejected(_row_id(row) or f"{label}:{number}", error.code, error.message))
                continue
            yield line_unit(data, number=number, label=label, origin=str(path))


def _row_id(row: dict[str, Any]) -> str | None:
    value = row.get("id")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _json_value(value: Any) -> Any:
    """Parquet values JSON has no type for: dates as ISO 8601, bytes as UTF-8 text, the rest as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def line_unit(data: bytes, *, number: int, label: str, origin: str) -> Unit:
    return {
        "kind": "line",
        "label": label,
        "number": number,
        "origin": origin,
        "data": data,
        "retrieved_at": datetime.now(UTC),
        "content_type": "application/json",
    }


# --- WARC: parsed here -------------------------------------------------------------------------
def _iter_warc_file(path: Path, max_bytes: int) -> Iterator[Unit]:
    from caacwatch.ingest.warc import iter_warc

    for result in iter_warc(path, max_bytes=max_bytes):
        yield item_unit(result) if isinstance(result, InputItem) else rejected_unit(result)


def item_unit(item: InputItem) -> Unit:
    original = item.original
    return {
        "kind": "item",
        "external_id": item.external_id,
        "document": to_json(item.document.model_dump(mode="json")),
        "data": original.data,
        "retrieved_at": original.retrieved_at,
        "content_type": original.content_type,
        "url": original.url,
        "origin": original.origin,
    }


def rejected_unit(rejected: Rejected) -> Unit:
    original = rejected.original
    return {
        "kind": "rejected",
        "external_id": rejected.external_id,
        "code": rejected.code,
        "reason": rejected.reason,
        "data": original.data if original is not None else None,
        "retrieved_at": original.retrieved_at if original is not None else None,
        "content_type": original.content_type if original is not None else None,
        "url": original.url if original is not None else None,
        "origin": original.origin if original is not None else None,
    }


def document_from_json(text: str) -> Document:
    return Document.model_validate(json.loads(text))


def to_json(value: Any) -> str:
    """JSON text that Arrow can hold: UTF-8 when the strings are, else ASCII with escapes (a JSON
    line may carry lone surrogates, which UTF-8 cannot encode; the escapes keep them exactly)."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True)
    return text


def _reason(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__

