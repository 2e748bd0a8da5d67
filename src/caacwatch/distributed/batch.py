"""A batch run, whatever the engine: units → rows (:func:`analyse_units`), rows → one Parquet file
in input order (:class:`OrderedWriter`), and :func:`run_batch`, which ties them to an engine.

Both engines cut the stream of units into the same chunks of ``batch_size`` units and give each
chunk to :func:`analyse_units` with an :class:`~caacwatch.extract.analyzer.Analyzer` loaded once
per process, so they compute the same rows; the writer puts them back in input order by their
``index`` and drops a chunk it has already written (a retried task), so a run writes each input's
row exactly once, or fails and writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from caacwatch.distributed.inputs import Unit, document_from_json, to_json
from caacwatch.ingest import DEFAULT_MAX_BYTES
from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.ingest.text import sha256_hex, text_key
from caacwatch.records import Analysis, Document, ErrorRecord

if TYPE_CHECKING:
    import pyarrow as pa

Row = dict[str, Any]
Progress = Callable[[int], None]
Engine = Literal["inline", "ray"]



class RecordAnalyzer(Protocol):
    """What a run needs from :class:`caacwatch.extract.analyzer.Analyzer` (tests may pass their own)."""

    def analyze_records(self, items: Iterable[Document | ErrorRecord]) -> Iterable[Analysis | ErrorRecord]: ...


# At most this many units per chunk (one Ray task; one call of the analyzer), and a chunk ends once
# its inputs hold CHUNK_BYTES: a few very long articles (a 190,000-character press briefing takes
# 15 s) must not make one chunk last as long as all the others. Measured with benchmarks/scale.py:
# see BENCHMARKS.md ("Scale-out on Ray").
DEFAULT_BATCH_SIZE = 64
CHUNK_BYTES = 256 * 1024


def chunked(units: Iterable[Unit], batch_size: int, max_bytes: int = CHUNK_BYTES) -> Iterator[list[Unit]]:
    """Consecutive chunks of at most ``batch_size`` units, cut early once a chunk's inputs hold
    ``max_bytes``. Every engine cuts the same chunks (they depend on the input only)."""
    chunk: list[Unit] = []
    size = 0
    for unit in units:
        chunk.append(unit)
        size += unit_bytes(unit)
        if len(chunk) >= batch_size or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def unit_bytes(unit: Unit) -> int:
    """How much input a unit holds: a rough measure of the work it is."""
    return len(unit.get("data") or b"") + len(unit.get("document") or "")


def chunk_bytes(chunk: Sequence[Unit]) -> int:
    return sum(unit_bytes(unit) for unit in chunk)


# --- units → input items (on the worker) -------------------------------------------------------
def item_from_unit(unit: Mapping[str, Any]) -> InputItem | Rejected:
    """The input item or rejection a unit stands for, exactly as ``caacwatch ingest`` reads it."""
    kind = unit["kind"]
    if kind == "line":
        return _item_from_line(unit)
    original = _original(unit)
    if kind == "item":
        assert original is not None
        return InputItem(unit["external_id"], document_from_json(unit["document"]), original)
    return Rejected(unit["external_id"], unit["code"], unit["reason"], original)


def _item_from_line(unit: Mapping[str, Any]) -> InputItem | Rejected:
    from caacwatch.ingest.jsonl import parse_line
    from caacwatch.ingest.sources import results_of_jsonl_lines

    number, data = int(unit["number"]), bytes(unit["data"])
    (result,) = results_of_jsonl_lines([(number, data, parse_line(number, data))], unit["origin"], unit["label"])
    retrieved_at = unit["retrieved_at"]
    if isinstance(result, InputItem):
        return replace(result, original=replace(result.original, retrieved_at=retrieved_at))
    assert result.original is not None
    return replace(result, original=replace(result.original, retrieved_at=retrieved_at))


def _original(unit: Mapping[str, Any]) -> Original | None:
    if unit.get("data") is None:
        return None
    return Original(
        data=bytes(unit["data"]),
        content_type=unit.get("content_type") or "",
        url=unit.get("url"),
        retrieved_at=unit.get("retrieved_at"),
        origin=unit.get("origin") or "",
    )


# --- units → rows ------------------------------------------------------------------------------
def analyse_units(units: Sequence[Mapping[str, Any]], analyzer: RecordAnalyzer) -> list[Row]:
    """One output row per unit, in the units' order: every document of the chunk goes through one
    ``analyze_records`` call (so a chunk is analysed the same way by every engine)."""
    items = [item_from_unit(unit) for unit in units]
    documents = [item.document for item in items if isinstance(item, InputItem)]
    results = iter(list(analyzer.analyze_records(documents)))
    rows = []
    for unit, item in zip(units, items, strict=True):
        if isinstance(item, Rejected):
            rows.append(rejected_row(int(unit["index"]), item))
        else:
            rows.append(document_row(int(unit["index"]), item, next(results)))
    return rows


def rejected_row(index: int, item: Rejected) -> Row:
    return {
        **_base_row(index, item.external_id, item.original),
        "status": "rejected",
        "code": item.code,
        "error": item.reason,
    }


def document_row(index: int, item: InputItem, result: Analysis | ErrorRecord) -> Row:
    document = item.document
    row = {
        **_base_row(index, item.external_id, item.original),
        "title": document.title,
        "url": document.url,
        "published": document.published,
        "outlet": document.outlet,
        "language": document.language,
        "text_sha256": text_key(document.text),
    }
    if isinstance(result, ErrorRecord):
        row.update(
            status="failed",
            code=result.code,
            error=result.error,
            document=to_json(document.model_dump(mode="json")),
        )
        return row
    analysis = result.to_json_dict()
    row.update(status="analysed", analysis=to_json(analysis), **flatten(analysis))
    return row


def _base_row(index: int, external_id: str | None, original: Original | None) -> Row:
    from caacwatch.distributed.schema import SCHEMA_VERSION

    row: Row = {"schema_version": SCHEMA_VERSION, "index": index, "id": external_id}
    if original is not None:
        row.update(
            original=original.data,
            original_sha256=sha256_hex(original.data),
            original_content_type=original.content_type,
            original_url=original.url,
            original_retrieved_at=original.retrieved_at,
            origin=original.origin,
        )
    return row


def flatten(analysis: Mapping[str, Any]) -> Row:
    """The analytics columns of one analysis (see :mod:`caacwatch.distributed.schema`)."""
    allegations = analysis.get("allegations") or []
    claims = {claim["id"]: claim for claim in analysis.get("claims") or []}
    sources = sorted(
        {
            name
            for allegation in allegations
            for claim_id in allegation.get("claims") or []
            if (name := ((claims.get(claim_id) or {}).get("source") or {}).get("name"))
        }
    )
    return {
        "relevant": bool(analysis["relevant"]),
        "n_allegations": len(allegations),
        "n_claims": len(claims),
        "violations": sorted({a["violation"] for a in allegations}),
        "countries": sorted({c for a in allegations for c in _countries(a)}),
        "perpetrators": sorted({p for a in allegations if (p := _perpetrator(a))}),
        "perpetrator_types": sorted({t for a in allegations if (t := (a.get("perpetrator") or {}).get("type"))}),
        "max_confidence": max((float(a["confidence"]) for a in allegations), default=None),
        "sources": sources,
        "source_count": len(sources),
        "flags": list(analysis.get("flags") or []),
        "prefilter": (analysis.get("pipeline") or {}).get("prefilter"),
        "allegations": [_allegation(a) for a in allegations],
    }


def _countries(allegation: Mapping[str, Any]) -> list[str]:
    return sorted({loc["country"] for loc in allegation.get("locations") or [] if loc.get("country")})


def _perpetrator(allegation: Mapping[str, Any]) -> str | None:
    perpetrator = allegation.get("perpetrator") or {}
    return perpetrator.get("party") or perpetrator.get("name")


def _allegation(allegation: Mapping[str, Any]) -> Row:
    perpetrator = allegation.get("perpetrator") or {}
    time_ref = allegation.get("time") or {}
    victims = allegation.get("victims") or {}
    sources = allegation.get("sources") or []
    return {
        "id": allegation["id"],
        "violation": allegation["violation"],
        "violation_class": allegation.get("violation_class"),
        "perpetrator": perpetrator.get("name"),
        "perpetrator_party": perpetrator.get("party"),
        "perpetrator_type": perpetrator.get("type"),
        "countries": _countries(allegation),
        "victims_count": victims.get("count"),
        "victims_count_max": victims.get("count_max"),
        "victims_estimated": victims.get("estimated"),
        "killed": victims.get("killed"),
        "injured": victims.get("injured"),
        "boys": victims.get("boys"),
        "girls": victims.get("girls"),
        "sex_unknown": victims.get("sex_unknown"),
        "min_age": victims.get("min_age"),
        "max_age": victims.get("max_age"),
        "role": victims.get("role"),
        "location_precision": allegation.get("location_precision"),
        "date_precision": allegation.get("date_precision"),
        "event_date": time_ref.get("date"),
        "event_date_precision": time_ref.get("precision"),
        "source_count": len(sources),
        "source_types": sorted({s["type"] for s in sources if s.get("type")}),
        "confidence": float(allegation["confidence"]),
        "trigger": (allegation.get("trigger") or {}).get("text"),
    }


# --- rows and units as Arrow tables ------------------------------------------------------------
def rows_to_table(rows: Sequence[Row]) -> pa.Table:
    from caacwatch.distributed.schema import OUTPUT_SCHEMA

    return _to_table(rows, OUTPUT_SCHEMA)


def units_to_table(units: Sequence[Unit]) -> pa.Table:
    from caacwatch.distributed.schema import UNIT_SCHEMA

    return _to_table(units, UNIT_SCHEMA)


def _to_table(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    import pyarrow as pa

    try:
        return pa.Table.from_pylist(list(rows), schema=schema)
    except (UnicodeEncodeError, pa.ArrowException):
        # A string that is not valid UTF-8 (a lone surrogate from a JSON line) in a display column:
        # replaced there; the JSON columns keep it exactly (see inputs.to_json).
        return pa.Table.from_pylist([_utf8_safe(row) for row in rows], schema=schema)


def _utf8_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {key: _utf8_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_utf8_safe(item) for item in value]
    return value


# --- the output file -------------------------------------------------------------------------
@dataclass
class BatchSummary:
    """What a run wrote: rows by status, relevant documents, rejections and failures by code."""

    out: str = ""
    engine: str = "inline"
    workers: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE
    rows: int = 0
    statuses: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)
    relevant: int = 0
    allegations: int = 0
    duplicates_dropped: int = 0
    seconds: float = 0.0
    first_rows: int = 0  # how many rows came with the first result, and when (from the start)
    first_result_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "engine": self.engine,
            "workers": self.workers,
            "batch_size": self.batch_size,
            "rows": self.rows,
            "analysed": self.statuses.get("analysed", 0),
            "relevant": self.relevant,
            "allegations": self.allegations,
            "rejected": self.statuses.get("rejected", 0),
            "failed": self.statuses.get("failed", 0),
            "errors_by_code": dict(sorted(self.codes.items())),
            "duplicates_dropped": self.duplicates_dropped,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.rows / self.seconds, 2) if self.seconds else None,
        }


class OrderedWriter:
    """Writes tables of rows to one Parquet file in ``index`` order, whatever order they arrive in.

    Rows are buffered until every earlier index is written; a row whose index is already written
    or buffered (a retried chunk delivered twice) is dropped and counted. The file is written as
    ``OUT.partial`` and renamed to ``OUT`` by :meth:`close` only when indexes ``0 .. n-1`` are all
    there, so a failed run never leaves a file that looks complete.
    """

    def __init__(self, out: str | os.PathLike[str], summary: BatchSummary, *, row_group_rows: int = 1024) -> None:
        import pyarrow.parquet as pq

        from caacwatch.distributed.errors import B, BatchError
        from caacwatch.distributed.schema import OUTPUT_SCHEMA

        self.out = Path(out)
        self.partial = self.out.with_name(self.out.name + ".partial")
        self.summary = summary
        self.row_group_rows = row_group_rows
        self.started = time.perf_counter()
        try:
            self._writer = pq.ParquetWriter(self.partial, OUTPUT_SCHEMA, compression="zstd")
        except OSError as exc:
            raise BatchError(B.E406, path=self.out, reason=exc.strerror or str(exc)) from exc
        self._next = 0
        self._pending: dict[int, pa.Table] = {}  # first index of a contiguous run -> its rows
        self._buffer: list[pa.Table] = []
        self._buffered = 0

    def add(self, table: pa.Table) -> int:
        """Take some rows; returns how many rows this wrote (0 while an earlier one is missing)."""
        if self.summary.first_result_seconds is None:
            self.summary.first_result_seconds = time.perf_counter() - self.started
            self.summary.first_rows = table.num_rows
        for start, run in _contiguous_runs(table):
            if start + run.num_rows <= self._next:
                self.summary.duplicates_dropped += run.num_rows
                continue
            held = self._pending.get(start)
            if held is not None:  # the same chunk twice: keep the longer copy
                self.summary.duplicates_dropped += min(held.num_rows, run.num_rows)
                if held.num_rows >= run.num_rows:
                    continue
            self._pending[start] = run
        return self._drain()

    def _drain(self) -> int:
        written = 0
        while (run := self._take_next()) is not None:
            self._next += run.num_rows
            written += run.num_rows
            self._count(run)
            self._buffer.append(run)
            self._buffered += run.num_rows
            if self._buffered >= self.row_group_rows:
                self._flush()
        for start in [s for s, run in self._pending.items() if s + run.num_rows <= self._next]:
            self.summary.duplicates_dropped += self._pending.pop(start).num_rows
        return written

    def _take_next(self) -> pa.Table | None:
        """The pending rows that start at the next index (cut from a run that overlaps it)."""
        run = self._pending.pop(self._next, None)
        if run is not None:
            return run
        for start, held in self._pending.items():
            if start < self._next < start + held.num_rows:
                del self._pending[start]
                self.summary.duplicates_dropped += self._next - start
                return held.slice(self._next - start)
        return None

    def _count(self, run: pa.Table) -> None:
        summary = self.summary
        summary.rows += run.num_rows
        for status, code, relevant, n in zip(
            run.column("status").to_pylist(),
            run.column("code").to_pylist(),
            run.column("relevant").to_pylist(),
            run.column("n_allegations").to_pylist(),
            strict=True,
        ):
            summary.statuses[status] += 1
            if code:
                summary.codes[code] += 1
            summary.relevant += int(bool(relevant))
            summary.allegations += n or 0

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buffer:
            self._writer.write_table(pa.concat_tables(self._buffer), row_group_size=self.row_group_rows)
            self._buffer, self._buffered = [], 0

    def close(self, expected: int | None = None) -> None:
        from caacwatch.distributed.errors import B, BatchError

        self._flush()
        self._writer.close()
        missing = sorted(self._pending)
        if missing or (expected is not None and self._next != expected):
            self.abort()
            reason = f"rows after index {self._next} are missing (next chunks received start at {missing[:5]})"
            raise BatchError(B.E407, reason=reason)
        os.replace(self.partial, self.out)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # already closed or broken: the file goes anyway
            self._writer.close()
        self.partial.unlink(missing_ok=True)


def _contiguous_runs(table: pa.Table) -> Iterator[tuple[int, pa.Table]]:
    """(first index, rows) for each run of consecutive indexes, sorted, each index once."""
    indexes = table.column("index").to_pylist()
    if any(b <= a for a, b in zip(indexes, indexes[1:], strict=False)):
        table = table.sort_by("index")
        indexes = table.column("index").to_pylist()
        keep = [i for i in range(len(indexes)) if i == 0 or indexes[i] != indexes[i - 1]]
        if len(keep) < len(indexes):
            table, indexes = table.take(keep), [indexes[i] for i in keep]
    start = 0
    for position in range(1, len(indexes) + 1):
        if position == len(indexes) or indexes[position] != indexes[position - 1] + 1:
            yield indexes[start], table.slice(start, position - start)
            start = position


# --- a run -------------------------------------------------------------------------------------
def run_batch(
    *,
    out: str | os.PathLike[str],
    jsonl: Iterable[str] = (),
    parquet: Iterable[str] = (),
    warc: Iterable[str] = (),
    engine: Engine = "inline",
    workers: int | None = None,
    address: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    analyzer: RecordAnalyzer | None = None,
    stdin: Any = None,
    _crash_marker: str | None = None,
) -> BatchSummary:
    """Analyse every input into ``out`` (Parquet, one row per input, in input order).

    ``engine="inline"`` analyses in this process (``analyzer``, or a new ``Analyzer()``);
    ``engine="ray"`` on a pool of ``workers`` Ray actors, each loading the pipeline once, on the
    cluster at ``address`` or on a local one started for the run (``workers`` CPUs, default all).
    ``progress`` is called with the number of rows written as they are written.
    ``_crash_marker`` (tests only): a Ray worker kills its own process once, after analysing its
    second chunk, and creates this file to say so.
    """
    from caacwatch.distributed.inputs import check_inputs, iter_units

    jsonl, parquet, warc = list(jsonl), list(parquet), list(warc)
    check_inputs(jsonl=jsonl, parquet=parquet, warc=warc)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    summary = BatchSummary(out=str(out), engine=engine, batch_size=batch_size)
    units = iter_units(jsonl=jsonl, parquet=parquet, warc=warc, max_bytes=max_bytes, stdin=stdin)
    writer = OrderedWriter(out, summary)
    started = writer.started
    try:
        if engine == "inline":
            from caacwatch.distributed.inline import run_inline

            expected = run_inline(units, writer, batch_size=batch_size, progress=progress, analyzer=analyzer)
        elif engine == "ray":
            from caacwatch.distributed.ray_engine import run_ray

            expected, summary.workers = run_ray(
                units, writer, workers=workers, address=address, batch_size=batch_size,
                progress=progress, crash_marker=_crash_marker,
            )
        else:
            raise ValueError(f"unknown engine {engine!r}: use 'inline' or 'ray'")
    except BaseException:
        writer.abort()
        raise
    writer.close(expected)
    summary.seconds = time.perf_counter() - started
    return summary


def read_rows(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> list[Row]:
    """Every row of a batch file as dicts (for tests and small files)."""
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=list(columns) if columns else None).to_pylist()


def analysis_of(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The parsed ``analysis`` JSON of a row, or None."""
    return json.loads(row["analysis"]) if row.get("analysis") else None


def document_of_failed(row: Mapping[str, Any]) -> Document | None:
    return document_from_json(row["document"]) if row.get("document") else None

