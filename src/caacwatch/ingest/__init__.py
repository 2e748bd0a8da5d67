"""Ingestion: turn a file, a URL, standard input or a JSON Lines batch into ``Document`` records.

Entry points:

* :func:`load_input` — one document from a path, an http(s) URL or ``"-"`` (stdin);
* :func:`caacwatch.ingest.jsonl.iter_jsonl` — a streamed batch;
* :func:`caacwatch.ingest.text.document_from_text`, :func:`caacwatch.ingest.html.document_from_html`,
  :func:`caacwatch.ingest.url.fetch` — the individual paths.

Every failure is a coded ``CaacError`` whose message says what to do.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import IO

from caacwatch.errors import CaacError, E
from caacwatch.ingest.html import document_from_html, looks_like_html
from caacwatch.ingest.text import decode_bytes, document_from_text
from caacwatch.records import Document

__all__ = [
    "DEFAULT_MAX_BYTES",
    "decode_bytes",
    "document_from_html",
    "document_from_text",
    "load_input",
    "looks_like_html",
]

DEFAULT_MAX_BYTES = 10_000_000
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_URL = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://")


def load_input(
    spec: str,
    *,
    allow_private: bool = False,
    stdin: IO[bytes] | IO[str] | bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 15.0,
) -> Document:
    """Load one document from ``spec``: a file path, an http(s) URL, or ``"-"`` for stdin.

    Files ending in ``.html``/``.htm`` (or whose first bytes look like HTML) go through the
    HTML path, others are plain text; a file's ``id`` is its stem. URLs are fetched with
    :func:`caacwatch.ingest.url.fetch`. ``stdin`` (bytes or a stream) defaults to the
    process's standard input; it is sniffed for HTML like a file.

    Raises ``CaacError``: E001 missing file, E011 a directory, E012 unreadable, E004 larger
    than ``max_bytes``, E008 a URL scheme other than http(s), plus the path's own errors.
    """
    if spec == "-":
        data = _read_stdin(stdin, max_bytes)
        return _document_from_bytes(data, doc_id=None, force_html=False, what="standard input")
    url = _URL.match(spec)
    if url is not None:
        if url.group("scheme").lower() not in ("http", "https"):
            raise CaacError(E.E008, url=spec)
        from caacwatch.ingest.url import fetch  # httpx is only imported when a URL is given

        return fetch(spec, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)
    path = Path(spec)
    data = _read_file(path, max_bytes)
    return _document_from_bytes(
        data, doc_id=path.stem, force_html=path.suffix.lower() in _HTML_SUFFIXES, what=str(path)
    )


def _read_file(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        if path.is_symlink():  # a link loop or a dangling link: say which, not just "not found"
            try:
                path.stat()
            except OSError as exc:
                raise CaacError(E.E012, path=path, reason=exc.strerror or str(exc)) from exc
        raise CaacError(E.E001, path=path)
    if path.is_dir():
        raise CaacError(E.E011, path=path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CaacError(E.E004, size=size, limit=max_bytes)
        # Never more than max_bytes + 1: a pipe, a device (/dev/zero) or a file that grows while it is
        # read reports a small size to stat() but may never end.
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CaacError(E.E012, path=path, reason=exc.strerror or str(exc)) from exc
    if len(data) > max_bytes:
        raise CaacError(E.E004, size=f"at least {max_bytes + 1}", limit=max_bytes)
    return data


def _read_stdin(stdin: IO[bytes] | IO[str] | bytes | None, max_bytes: int) -> bytes:
    if isinstance(stdin, bytes):
        data = stdin
    else:
        stream = stdin if stdin is not None else sys.stdin
        # A text stream (sys.stdin) has the raw bytes on .buffer; read those, we decode ourselves.
        raw = getattr(stream, "buffer", stream)
        chunk = raw.read(max_bytes + 1)
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
    if len(data) > max_bytes:
        raise CaacError(E.E004, size=len(data), limit=max_bytes)
    return data


def _document_from_bytes(data: bytes, *, doc_id: str | None, force_html: bool, what: str) -> Document:
    if force_html or looks_like_html(data):
        return document_from_html(data, id=doc_id)
    return document_from_text(data, id=doc_id, what=what)
