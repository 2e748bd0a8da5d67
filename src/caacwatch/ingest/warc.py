"""Web archives: the pages of a WARC file (``.warc`` or ``.warc.gz``) as input items.

A crawler or a monitor's browser extension saves what it saw as WARC records; each ``response``
record with an HTTP 200 HTML or plain-text payload, and each ``resource`` record of those types,
becomes an :class:`~caacwatch.ingest.items.InputItem` whose original is the payload exactly as
archived (transfer and content encodings undone) and whose retrieval time is the record's
``WARC-Date``. Requests, metadata, revisits, images and scripts are skipped.

Archives arrive damaged (an interrupted crawl, a partial copy): a record whose payload is cut
short or fails its digest is rejected with E018 and the archive goes on; an archive that
cannot be read past some offset yields one E017 rejection and the iteration ends. Damaged
content never raises out of :func:`iter_warc`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from caacwatch.errors import CaacError, E
from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.ingest.text import sha256_hex
from caacwatch.ingest.url import DEFAULT_MAX_BYTES, PAGE_TYPES, content_type_parts, document_from_body

_READ_CHUNK = 1 << 16


def iter_warc(
    path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, origin: str | None = None
) -> Iterator[InputItem | Rejected]:
    """Yield one item per HTML or plain-text page archived in the WARC file at ``path``.

    ``external_id`` is the record's ``WARC-Target-URI`` (or its ``WARC-Record-ID`` when it has
    none); ``extra`` carries the record id and byte offset so the record can be found again.
    A payload larger than ``max_bytes`` is rejected (E004); the file itself may be any size,
    it is streamed. ``origin`` names the input in the originals (default: ``path``).

    Raises ``CaacError`` only for a path that cannot be opened (E001 missing, E011 a
    directory, E012 unreadable); an empty file yields one E002 rejection.
    """
    archive = Path(path)
    label = origin if origin is not None else str(archive)
    handle = _open(archive)
    with handle:
        if os.fstat(handle.fileno()).st_size == 0:
            yield Rejected(external_id=label, code=E.E002.name, reason=CaacError(E.E002, what=label).message)
            return
        yield from _iter_records(handle, label, max_bytes)


def _open(path: Path) -> IO[bytes]:
    if not path.exists():
        raise CaacError(E.E001, path=path)
    if path.is_dir():
        raise CaacError(E.E011, path=path)
    try:
        return path.open("rb")
    except OSError as exc:
        raise CaacError(E.E012, path=path, reason=exc.strerror or str(exc)) from exc


def _iter_records(handle: IO[bytes], label: str, max_bytes: int) -> Iterator[InputItem | Rejected]:
    """Walk the records; stop with one E017 at the first byte warcio cannot read past."""
    records = ArchiveIterator(handle, check_digests=True)  # digests checked, never raised or logged
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except Exception as exc:  # warcio raises ArchiveLoadFailed, EOFError, zlib errors, even AttributeError
            yield _damaged_archive(label, records.offset, _archive_reason(exc))
            return
        offset = records.offset  # where this record starts
        if record.format != "warc":
            yield _damaged_archive(label, offset, f"a {record.format.upper()} record, not a WARC record")
            return
        if not isinstance(record.raw_stream, LimitReader):  # nothing says where the record ends
            yield _damaged_archive(label, offset, "a record header without Content-Length (cut off?)")
            return
        result = _record_result(record, label, offset, max_bytes)
        if result is not None:
            yield result
    size = os.fstat(handle.fileno()).st_size
    if records.offset < size:
        yield _damaged_archive(label, records.offset, f"{size - records.offset} bytes at the end are not a record")


def _record_result(record: Any, label: str, offset: int, max_bytes: int) -> InputItem | Rejected | None:
    """The item or rejection for one record, or ``None`` for a record that is not a page.

    Every record is read to its end, pages or not, so a record cut short or failing its
    digest is reported wherever it is.
    """
    content_type = _page_content_type(record)
    body: bytes | None = None
    try:
        if content_type is not None:
            body = _read_payload(record, max_bytes, label, offset)
        _check_complete(record, label, offset)
        if body is None or content_type is None:
            return None
        return _item(record, body, content_type, label, offset, max_bytes)
    except CaacError as exc:
        return _rejected(record, exc, body, content_type, label, offset)
    except Exception as exc:  # a parser failing on one page must not end the archive
        error = CaacError(E.E019, what=f"WARC record at offset {offset} of {label}", reason=_reason(exc))
        return _rejected(record, error, body, content_type, label, offset)


def _page_content_type(record: Any) -> str | None:
    """The Content-Type of a record that holds a page (``""`` when a 200 response has none),
    or ``None`` for any other record."""
    if record.rec_type == "response":
        http = record.http_headers
        if http is None or http.get_statuscode() != "200":
            return None
        header = (http.get_header("Content-Type") or "").strip()
    elif record.rec_type == "resource":
        header = (record.rec_headers.get_header("Content-Type") or "").strip()
    else:
        return None
    media_type, _ = content_type_parts(header)
    return header if not media_type or media_type in PAGE_TYPES else None


def _read_payload(record: Any, max_bytes: int, label: str, offset: int) -> bytes:
    try:
        body = record.content_stream().read(max_bytes + 1)
    except Exception as exc:  # a broken chunked or gzip payload
        raise CaacError(
            E.E018, record=_record_name(record), offset=offset, path=label, reason=f"payload unreadable: {_reason(exc)}"
        ) from exc
    if len(body) > max_bytes:
        raise CaacError(E.E004, size=max(len(body), record.length or 0), limit=max_bytes)
    return bytes(body)


def _check_complete(record: Any, label: str, offset: int) -> None:
    """Read the record to its end and refuse it if it is shorter than its Content-Length,
    has none, or fails its WARC block or payload digest."""
    stream: LimitReader = record.raw_stream
    while stream.read(_READ_CHUNK):
        pass
    reason = None
    if stream.limit > 0:
        reason = f"cut short: {stream.limit} of {record.length} bytes missing"
    elif record.digest_checker is not None and record.digest_checker.passed is False:
        reason = "; ".join(record.digest_checker.problems) or "digest mismatch"
    if reason is not None:
        raise CaacError(E.E018, record=_record_name(record), offset=offset, path=label, reason=reason)


def _item(record: Any, body: bytes, content_type: str, label: str, offset: int, max_bytes: int) -> InputItem:
    target = _target(record)
    media_type, charset = content_type_parts(content_type)
    document = document_from_body(body, media_type=media_type, charset=charset, url=target, max_bytes=max_bytes)
    external_id = _external_id(record, label, offset)
    document = document.model_copy(
        update={
            "id": external_id,
            "canonical_url": document.canonical_url or target,
            "sha256": sha256_hex(body),
        }
    )
    return InputItem(
        external_id=external_id,
        document=document,
        original=_original(record, body, content_type or document.content_type or "", label),
        extra=_extra(record, offset),
    )


def _rejected(
    record: Any, error: CaacError, body: bytes | None, content_type: str | None, label: str, offset: int
) -> Rejected:
    original = _original(record, body, content_type or "", label) if body is not None else None
    return Rejected(
        external_id=_external_id(record, label, offset), code=error.code, reason=error.message, original=original
    )


def _original(record: Any, body: bytes, content_type: str, label: str) -> Original:
    return Original(
        data=body,
        content_type=content_type,
        url=_target(record),
        retrieved_at=warc_date(record.rec_headers.get_header("WARC-Date")),
        origin=label,
    )


def _damaged_archive(label: str, offset: int, reason: str) -> Rejected:
    error = CaacError(E.E017, path=label, offset=offset, reason=reason)
    return Rejected(external_id=label, code=error.code, reason=error.message)


def warc_date(value: str | None) -> datetime | None:
    """A ``WARC-Date`` (W3C-DTF, ``2024-07-20T10:00:00Z``) as an aware UTC datetime, or ``None``
    when it is missing or unreadable: the retrieval time is evidence, never guessed."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:  # the standard says UTC
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _target(record: Any) -> str | None:
    return _header(record, "WARC-Target-URI")


def _record_id(record: Any) -> str | None:
    return _header(record, "WARC-Record-ID")


def _header(record: Any, name: str) -> str | None:
    value = record.rec_headers.get_header(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _external_id(record: Any, label: str, offset: int) -> str:
    return _target(record) or _record_id(record) or f"{label}@{offset}"


def _record_name(record: Any) -> str:
    return _record_id(record) or _target(record) or "(no id)"


def _extra(record: Any, offset: int) -> dict[str, str]:
    extra = {"warc_offset": str(offset)}
    record_id = _record_id(record)
    if record_id:
        extra["warc_record_id"] = record_id
    return extra


def _archive_reason(exc: BaseException) -> str:
    """Say what is wrong in the archive's terms; warcio's own exception is kept as a detail."""
    if isinstance(exc, ArchiveLoadFailed):
        what = "not a WARC record"
    elif isinstance(exc, EOFError | zlib.error):
        what = "compressed data cut off or corrupt"
    else:
        what = "a record header is cut off or garbled"
    return f"{what}; {_reason(exc)}"


def _reason(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
