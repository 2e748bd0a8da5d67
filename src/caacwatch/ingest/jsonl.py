"""JSON Lines batches: one article a line, streamed; a bad line becomes an ``ErrorRecord``.

Line format (as ``articles.jsonl``): ``{"id", "text", "title"?, "published"?, "url"?,
"source"?}``; other keys are ignored. The file is read line by line and never held in
memory, and a single line is capped so one runaway line cannot exhaust it either.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from caacwatch.errors import CaacError, E
from caacwatch.ingest.text import document_from_text
from caacwatch.records import Document, ErrorRecord

MAX_LINE_BYTES = 10_000_000
_OPTIONAL_FIELDS = ("title", "published", "url", "source")
# Used to name the line in an error record when the JSON itself is broken.
_ID_IN_RAW_LINE = re.compile(r'"id"\s*:\s*(?:"((?:[^"\\]|\\.){1,200})"|(-?\d{1,30})\b)')

Stream = IO[bytes] | IO[str]


def iter_jsonl(
    stream_or_path: str | os.PathLike[str] | Stream, *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[Document | ErrorRecord]:
    """Yield one ``Document`` per line of a JSON Lines file or stream, or an ``ErrorRecord``
    for a line that cannot be used, and go on.

    Error codes: E101 not JSON (or not UTF-8), E102 no string ``text``, E103 an optional
    field that is not a string or null, E104 a line longer than ``max_line_bytes``, E002
    an empty text. Blank lines are skipped. A path that does not exist raises E001.
    """
    if isinstance(stream_or_path, str | os.PathLike):
        path = Path(stream_or_path)
        if not path.is_file():
            raise CaacError(E.E011 if path.is_dir() else E.E001, path=path)
        with path.open("rb") as stream:
            yield from _iter_stream(stream, max_line_bytes)
    else:
        yield from _iter_stream(stream_or_path, max_line_bytes)


def iter_jsonl_lines(
    stream_or_path: str | os.PathLike[str] | Stream, *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | None, Document | ErrorRecord]]:
    """:func:`iter_jsonl` with each result's line number and raw line: ``(number, raw, result)``.

    ``raw`` is the line's bytes as read, without its line ending (and without a byte-order
    mark on line 1), kept as the evidence of what the batch said; it is ``None`` for a line
    over ``max_line_bytes``, which is never held in memory. Same errors as :func:`iter_jsonl`.
    """
    if isinstance(stream_or_path, str | os.PathLike):
        path = Path(stream_or_path)
        if not path.is_file():
            raise CaacError(E.E011 if path.is_dir() else E.E001, path=path)
        with path.open("rb") as stream:
            yield from _iter_numbered(stream, max_line_bytes)
    else:
        yield from _iter_numbered(stream_or_path, max_line_bytes)


def _iter_stream(stream: Stream, max_line_bytes: int) -> Iterator[Document | ErrorRecord]:
    for _number, _raw, result in _iter_numbered(stream, max_line_bytes):
        yield result


def _iter_numbered(stream: Stream, max_line_bytes: int) -> Iterator[tuple[int, bytes | None, Document | ErrorRecord]]:
    for number, line, overlong in read_lines(stream, max_line_bytes):
        if overlong:
            yield number, None, error_record(CaacError(E.E104, line=number, limit=max_line_bytes), raw_id(line))
            continue
        if not line.strip():
            continue
        yield number, raw_line(line), parse_line(number, line)


def raw_line(line: str | bytes) -> bytes:
    raw = line if isinstance(line, bytes) else line.encode("utf-8", errors="surrogatepass")
    return raw.removesuffix(b"\n").removesuffix(b"\r")


def read_lines(stream: Stream, limit: int) -> Iterator[tuple[int, str | bytes, bool]]:
    """(line number, line, too long?) with at most ``limit + 1`` characters of any line in
    memory; the rest of an over-long line is read and dropped."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if number == 1:
            line = _strip_bom(line)
        overlong = len(line) > limit
        if overlong:
            _skip_rest_of_line(stream, line, limit)
        yield number, line, overlong


def _strip_bom(line: str | bytes) -> str | bytes:
    if isinstance(line, bytes):
        return line.removeprefix(b"\xef\xbb\xbf")
    return line.removeprefix("\ufeff")


def _skip_rest_of_line(stream: Stream, line: str | bytes, limit: int) -> None:
    chunk = line
    while chunk and not _ends_line(chunk):
        chunk = stream.readline(limit + 1)


def _ends_line(chunk: str | bytes) -> bool:
    return chunk.endswith(b"\n") if isinstance(chunk, bytes) else chunk.endswith("\n")


def parse_line(number: int, line: str | bytes) -> Document | ErrorRecord:
    try:
        text_line = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError as exc:
        return error_record(CaacError(E.E101, line=number, reason=f"not UTF-8: {exc.reason}"), raw_id(line))
    try:
        obj = json.loads(text_line)
    except json.JSONDecodeError as exc:
        return error_record(CaacError(E.E101, line=number, reason=exc.msg), raw_id(text_line))
    except RecursionError:  # "[[[[..." 100k deep blows the json module's stack
        return error_record(CaacError(E.E101, line=number, reason="nested too deeply"), raw_id(text_line))
    surrogate = _lone_surrogate(obj)
    if surrogate is not None:
        # json accepts "\ud800" escapes, but a lone surrogate is not Unicode text: it cannot be written
        # as UTF-8 (output, database), so it is refused here rather than crashing the batch downstream.
        reason = f"a string holds the lone surrogate \\u{ord(surrogate):04x}, which is not Unicode text"
        return error_record(CaacError(E.E101, line=number, reason=reason), _object_id(obj))
    try:
        return _document(number, obj)
    except CaacError as exc:
        return error_record(exc, _object_id(obj))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(obj: Any) -> str | None:
    """The first lone UTF-16 surrogate in a field we read (json decodes a valid pair to one character)."""
    if not isinstance(obj, dict):
        return None
    for name in ("id", "text", *_OPTIONAL_FIELDS):
        value = obj.get(name)
        if isinstance(value, str) and (match := _SURROGATE.search(value)) is not None:
            return match.group()
    return None


def _document(number: int, obj: Any) -> Document:
    if not isinstance(obj, dict):
        raise CaacError(E.E102, line=number, got=f"a JSON {type(obj).__name__}")
    doc_id = _object_id(obj)
    if "id" in obj and obj["id"] is not None and doc_id is None:
        raise CaacError(E.E103, line=number, field="id")
    text = obj.get("text")
    if not isinstance(text, str):
        got = "no 'text' field" if "text" not in obj else f"'text' of type {type(text).__name__}"
        raise CaacError(E.E102, line=number, got=got)
    fields = {name: obj.get(name) for name in _OPTIONAL_FIELDS}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise CaacError(E.E103, line=number, field=name)
    if not text.strip():
        raise CaacError(E.E002, what=f"line {number} (id {doc_id})" if doc_id else f"line {number}")
    return document_from_text(
        text,
        id=doc_id,
        title=fields["title"],
        url=fields["url"],
        published=fields["published"],
        source_name=fields["source"],
    )


def _object_id(obj: Any) -> str | None:
    """A string or integer id (an integer is kept as its decimal string)."""
    if not isinstance(obj, dict):
        return None
    value = obj.get("id")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def raw_id(line: str | bytes) -> str | None:
    """Best-effort id from a line that is not valid JSON, to say *which* article failed."""
    text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
    match = _ID_IN_RAW_LINE.search(text[:100_000])
    if match is None:
        return None
    if match.group(2) is not None:
        return match.group(2)
    try:
        return str(json.loads(f'"{match.group(1)}"'))
    except json.JSONDecodeError:
        return match.group(1)


def error_record(exc: CaacError, doc_id: str | None) -> ErrorRecord:
    if doc_id is not None:
        doc_id = _SURROGATE.sub("\ufffd", doc_id)  # the record must stay writable as UTF-8
    return ErrorRecord(id=doc_id, error=exc.message, code=exc.code)
