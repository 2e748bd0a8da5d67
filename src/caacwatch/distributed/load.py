"""``caacwatch load``: a batch file into the monitoring store, without analysing anything again.

The rows are turned back into the input items and rejections they were made from (original bytes,
retrieval time, origin, external id) and handed to :func:`caacwatch.monitor.ingest` with an
analyzer that answers from the file's ``analysis`` column. So a load stores, deduplicates, links
and counts exactly as ``caacwatch ingest`` of the same inputs would (one writer at a time, a
transaction per batch, resumable after a crash, a re-run skips what is stored), and the store
holds the very analyses the batch computed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from caacwatch.distributed.errors import B, BatchError
from caacwatch.distributed.inputs import document_from_json
from caacwatch.errors import CaacError, E
from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.monitor import DEFAULT_BATCH, AnalyzerLike, IngestSummary, Progress, ingest
from caacwatch.records import Analysis, Document, ErrorRecord
from caacwatch.store import Store

_READ_ROWS = 256
_COLUMNS = (
    "schema_version", "index", "id", "status", "code", "error", "analysis", "document", "original",
    "original_content_type", "original_url", "original_retrieved_at", "origin",
)


def load_batch(
    path: str | os.PathLike[str],
    store: Store,
    *,
    link: bool = True,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    command: str = "",
) -> IngestSummary:
    """Store every row of the batch file at ``path``; link new documents unless ``link`` is False."""
    reader = open_batch_file(path)
    answers = PrecomputedAnalyzer()
    items = _iter_items(_iter_rows(reader, path), answers)
    return ingest(items, store, analyzer=answers, batch_size=batch_size, link=link, progress=progress, command=command)


def count_rows(path: str | os.PathLike[str]) -> int:
    return int(open_batch_file(path).metadata.num_rows)


def open_batch_file(path: str | os.PathLike[str]) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` checked to be a batch file of this schema version."""
    import pyarrow.parquet as pq

    from caacwatch.distributed.schema import METADATA_KEY, SCHEMA_VERSION

    file = Path(path)
    if not file.exists():
        raise CaacError(E.E001, path=file)
    if file.is_dir():
        raise CaacError(E.E011, path=file)
    try:
        reader = pq.ParquetFile(file)
    except Exception as exc:
        raise BatchError(B.E401, path=file, reason=f"not Parquet: {_reason(exc)}") from exc
    metadata = reader.schema_arrow.metadata or {}
    version = metadata.get(METADATA_KEY)
    if version is None:
        raise BatchError(B.E401, path=file, reason="no caacwatch.batch version in its metadata")
    if version.decode() != SCHEMA_VERSION:
        raise BatchError(B.E402, path=file, found=version.decode(), expected=SCHEMA_VERSION)
    missing = [name for name in _COLUMNS if name not in reader.schema_arrow.names]
    if missing:
        raise BatchError(B.E401, path=file, reason=f"columns missing: {', '.join(missing)}")
    return reader


def _iter_rows(reader: Any, path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    from caacwatch.distributed.schema import SCHEMA_VERSION

    expected = 0
    for batch in reader.iter_batches(batch_size=_READ_ROWS, columns=list(_COLUMNS)):
        for row in batch.to_pylist():
            if row["schema_version"] != SCHEMA_VERSION or row["index"] != expected:
                reason = f"row {expected} has schema {row['schema_version']!r} and index {row['index']}"
                raise BatchError(B.E401, path=path, reason=reason)
            expected += 1
            yield row


def _iter_items(rows: Iterable[dict[str, Any]], answers: PrecomputedAnalyzer) -> Iterator[InputItem | Rejected]:
    for row in rows:
        original = _original(row)
        status = row["status"]
        if status == "rejected":
            yield Rejected(row["id"], row["code"], row["error"], original)
            continue
        assert original is not None, f"row {row['index']}: a document without its original"
        result: Analysis | ErrorRecord
        if status == "analysed":
            result = Analysis.model_validate(json.loads(row["analysis"]))  # json: lone surrogates too
            document: Document = result.document
        else:  # failed: the analysis failed; ingest stores it as a rejection with that code
            document = document_from_json(row["document"])
            result = ErrorRecord(id=document.id, error=row["error"], code=row["code"])
        # The JSON keeps the id exactly (the id column replaces what UTF-8 cannot hold).
        item = InputItem(document.id if document.id is not None else row["id"], document, original)
        answers.remember(item.document, result)
        yield item


def _original(row: dict[str, Any]) -> Original | None:
    if row["original"] is None:
        return None
    retrieved_at = row["original_retrieved_at"]
    if isinstance(retrieved_at, datetime) and retrieved_at.tzinfo is None:
        retrieved_at = retrieved_at.replace(tzinfo=UTC)
    return Original(
        data=row["original"],
        content_type=row["original_content_type"] or "",
        url=row["original_url"],
        retrieved_at=retrieved_at,
        origin=row["origin"] or "",
    )


class PrecomputedAnalyzer(AnalyzerLike):
    """Answers :func:`~caacwatch.monitor.ingest`'s analysis requests from the batch file.

    The loader yields each item after :meth:`remember`-ing its result; ``ingest`` asks, once per
    batch of items it took, for the documents it must store, and those are the items' own
    document objects. Everything remembered is forgotten after each request (the items of a
    batch are all taken before it asks), so memory holds one batch.
    """

    def __init__(self) -> None:
        self._results: dict[int, tuple[Document, Analysis | ErrorRecord]] = {}

    def remember(self, document: Document, result: Analysis | ErrorRecord) -> None:
        self._results[id(document)] = (document, result)

    def analyze_records(self, items: Iterable[Document | ErrorRecord]) -> Iterator[Analysis | ErrorRecord]:
        answers: list[Analysis | ErrorRecord] = []
        for item in items:
            if isinstance(item, ErrorRecord):
                answers.append(item)
                continue
            held = self._results.get(id(item))
            if held is None or held[0] is not item:
                raise RuntimeError(f"no batch result for document {item.id!r}: it was not read from the file")
            answers.append(held[1])
        self._results.clear()
        return iter(answers)


def _reason(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


__all__: Sequence[str] = ["PrecomputedAnalyzer", "count_rows", "load_batch", "open_batch_file"]
