"""Every input the monitoring loader reads, as one stream of input items and rejections.

:func:`iter_sources` turns files, folders, URLs, standard input, feeds, JSON Lines batches
and WARC archives into :class:`~caacwatch.ingest.items.InputItem` (a document and its
original bytes) or :class:`~caacwatch.ingest.items.Rejected` (why not, with the bytes when
there are any). Nothing that goes wrong with one input stops the others: a coded
``CaacError`` becomes a rejection with that code, any other exception a rejection with E019.

Invariants of every item: ``document.id == external_id``; ``document.sha256`` is the SHA-256
of ``original.data``; ``original.retrieved_at`` is an aware UTC datetime: the read time for
files and standard input, the fetch time for URLs and feeds, the ``WARC-Date`` for archives
(``None`` only for a WARC record without a readable date).
"""

from __future__ import annotations

import io
import mimetypes
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from caacwatch.errors import CaacError, E
from caacwatch.ingest import (
    _HTML_SUFFIXES,
    _URL,
    DEFAULT_MAX_BYTES,
    _document_from_bytes,
    _read_file,
    _read_stdin,
)
from caacwatch.ingest.feed import DEFAULT_MAX_ENTRIES, iter_feed
from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.ingest.jsonl import iter_jsonl_lines
from caacwatch.ingest.text import sha256_hex
from caacwatch.ingest.warc import iter_warc
from caacwatch.records import Document, ErrorRecord

Result = InputItem | Rejected
Stdin = IO[bytes] | IO[str] | bytes | None

STDIN_ID = "stdin"
_WARC_SUFFIXES = (".warc", ".warc.gz")


@dataclass(frozen=True, slots=True)
class _Options:
    allow_private: bool
    recursive: bool
    max_bytes: int
    timeout: float
    max_entries: int
    stdin: Stdin


def iter_sources(
    specs: Iterable[str] = (),
    *,
    feeds: Iterable[str] = (),
    jsonl: Iterable[str] = (),
    warc: Iterable[str] = (),
    allow_private: bool = False,
    recursive: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = 15.0,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    stdin: Stdin = None,
) -> Iterator[Result]:
    """Yield an item or a rejection for everything ``specs``, ``feeds``, ``jsonl`` and ``warc``
    name, in that order, lazily (nothing is read or fetched before the caller asks).

    A spec is ``"-"`` (standard input, one document), an http(s) URL (fetched with the
    private-address guard unless ``allow_private``), a folder (its files in sorted order,
    hidden files and folders skipped, sub-folders too when ``recursive``; symbolic links to
    folders are not followed) or a file, read by its suffix: ``.jsonl`` as JSON Lines,
    ``.warc``/``.warc.gz`` as a web archive, anything else as one HTML or text document.

    ``feeds`` are RSS/Atom feed URLs or files (entries fetched, see
    :func:`caacwatch.ingest.feed.iter_feed`, at most ``max_entries`` each); ``jsonl`` are
    JSON Lines files (or ``"-"`` for standard input); ``warc`` are WARC files. ``max_bytes``
    caps one document, one JSON line, one WARC payload and one download; ``timeout`` one fetch.

    ``external_id``: a single file's stem, a file's path relative to the folder given, the
    URL, :data:`STDIN_ID`, a JSON line's ``id`` (else ``"<file>:<line>"``), a feed entry's
    id or link, a WARC record's target URI.
    """
    options = _Options(allow_private, recursive, max_bytes, timeout, max_entries, stdin)
    # Generators: nothing runs before _guarded iterates them, inside its try.
    for spec in specs:
        yield from _guarded(spec, _iter_spec(spec, options))
    for feed in feeds:
        yield from _guarded(feed, _iter_feed(feed, options))
    for path in jsonl:
        yield from _guarded(path, _iter_jsonl_spec(path, options))
    for path in warc:
        yield from _guarded(path, iter_warc(path, max_bytes=max_bytes))


# --- never stop the stream -------------------------------------------------------------------
def _guarded(label: str, results: Iterator[Result]) -> Iterator[Result]:
    """Everything a lazy ``results`` yields; an exception ends this input with one rejection."""
    try:
        yield from results
    except CaacError as exc:
        yield Rejected(external_id=label, code=exc.code, reason=exc.message)
    except Exception as exc:  # a bug or a library failure on one input must not stop the others
        yield unexpected_rejection(label, exc)


def unexpected_rejection(label: str, exc: Exception, original: Original | None = None) -> Rejected:
    detail = " ".join(str(exc).split())[:300]
    error = CaacError(E.E019, what=label, reason=f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__)
    return Rejected(external_id=label, code=error.code, reason=error.message, original=original)


# --- one spec --------------------------------------------------------------------------------
def _iter_spec(spec: str, options: _Options) -> Iterator[Result]:
    if spec == "-":
        yield _guarded_one(STDIN_ID, lambda: _stdin_item(options))
        return
    url = _URL.match(spec)
    if url is not None:
        yield _guarded_one(spec, lambda: _url_item(spec, url.group("scheme"), options))
        return
    path = Path(spec)
    if path.is_dir():
        yield from _iter_folder(path, options)
    else:
        yield from _iter_file(path, path.stem, path.name, options)


def _guarded_one(label: str, produce: Callable[[], Result]) -> Result:
    try:
        return produce()
    except CaacError as exc:
        return Rejected(external_id=label, code=exc.code, reason=exc.message)
    except Exception as exc:
        return unexpected_rejection(label, exc)


def _stdin_item(options: _Options) -> Result:
    data = _read_stdin(options.stdin, options.max_bytes)
    return _bytes_result(data, STDIN_ID, origin="-", force_html=False, what="standard input")


def _url_item(url: str, scheme: str, options: _Options) -> InputItem:
    if scheme.lower() not in ("http", "https"):
        raise CaacError(E.E008, url=url)
    from caacwatch.ingest.url import fetch_original  # httpx is only imported when a URL is given

    fetched = fetch_original(url, allow_private=options.allow_private, timeout=options.timeout, max_bytes=options.max_bytes)
    return InputItem(url, fetched.document.model_copy(update={"id": url}), fetched.original)


# --- folders and files -----------------------------------------------------------------------
def _iter_folder(folder: Path, options: _Options) -> Iterator[Result]:
    """The files under ``folder``, each read on its own so one bad file stops nothing."""
    for path in _walk(folder, options.recursive):
        if isinstance(path, Rejected):
            yield path
            continue
        name = path.relative_to(folder).as_posix()
        yield from _iter_file(path, name, name, options)


def _walk(folder: Path, recursive: bool) -> Iterator[Path | Rejected]:
    """Regular files in name order, depth first; hidden entries, special files and symbolic
    links to folders skipped. A folder that cannot be listed is one E012 rejection."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        error = CaacError(E.E012, path=folder, reason=exc.strerror or str(exc))
        yield Rejected(external_id=str(folder), code=error.code, reason=error.message)
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
            is_file = not is_folder and entry.is_file()
        except OSError as exc:  # a symbolic link loop (ELOOP), an entry gone or unreadable: this entry only
            error = CaacError(E.E012, path=entry.path, reason=exc.strerror or str(exc))
            yield Rejected(external_id=str(entry.path), code=error.code, reason=error.message)
            continue
        if is_folder:
            if recursive:
                yield from _walk(Path(entry.path), recursive)
        elif is_file:
            yield Path(entry.path)


def _iter_file(path: Path, external_id: str, name: str, options: _Options) -> Iterator[Result]:
    """One file by its suffix. ``external_id`` names a single document; ``name`` (the file name,
    or its path in the folder) names a JSON line without an id: ``batch.jsonl:12``."""
    suffix = path.name.lower()
    if suffix.endswith(".jsonl"):
        yield from _guarded(str(path), _iter_jsonl_file(path, name, options))
    elif suffix.endswith(_WARC_SUFFIXES):
        yield from _guarded(str(path), iter_warc(path, max_bytes=options.max_bytes))
    else:
        yield _guarded_one(external_id, lambda: _file_item(path, external_id, options))


def _file_item(path: Path, external_id: str, options: _Options) -> Result:
    data = _read_file(path, options.max_bytes)
    force_html = path.suffix.lower() in _HTML_SUFFIXES
    return _bytes_result(data, external_id, origin=str(path), force_html=force_html, what=str(path))


def _bytes_result(data: bytes, external_id: str, *, origin: str, force_html: bool, what: str) -> Result:
    """One document from bytes we hold; a failure keeps the bytes in the rejection."""
    retrieved_at = datetime.now(UTC)
    try:
        document = _document_from_bytes(data, doc_id=external_id, force_html=force_html, what=what)
    except CaacError as exc:
        original = Original(data, _guess_type(what), retrieved_at=retrieved_at, origin=origin)
        return Rejected(external_id=external_id, code=exc.code, reason=exc.message, original=original)
    original = Original(data, document.content_type or _guess_type(what), retrieved_at=retrieved_at, origin=origin)
    return InputItem(external_id, document.model_copy(update={"sha256": sha256_hex(data)}), original)


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- batches and feeds -----------------------------------------------------------------------
def _iter_jsonl_spec(spec: str, options: _Options) -> Iterator[Result]:
    if spec == "-":
        stdin = options.stdin if options.stdin is not None else sys.stdin
        stream = io.BytesIO(stdin) if isinstance(stdin, bytes) else getattr(stdin, "buffer", stdin)
        yield from results_of_jsonl_lines(iter_jsonl_lines(stream, max_line_bytes=options.max_bytes), "-", STDIN_ID)
        return
    path = Path(spec)
    yield from _iter_jsonl_file(path, path.name, options)


def _iter_jsonl_file(path: Path, label: str, options: _Options) -> Iterator[Result]:
    lines = iter_jsonl_lines(path, max_line_bytes=options.max_bytes)
    yield from results_of_jsonl_lines(lines, str(path), label)


def results_of_jsonl_lines(
    lines: Iterable[tuple[int, bytes | None, Document | ErrorRecord]], origin: str, label: str
) -> Iterator[Result]:
    """Items for the good lines, rejections with the E10x code for the bad ones; the raw line
    is the original (an over-long line is not kept: its rejection has none)."""
    for number, raw, result in lines:
        external_id = result.id or f"{label}:{number}"
        original = None
        if raw is not None:
            original = Original(
                raw, "application/json", retrieved_at=datetime.now(UTC), origin=f"{origin}:{number}"
            )
        if isinstance(result, ErrorRecord):
            yield Rejected(external_id=external_id, code=result.code, reason=result.error, original=original)
            continue
        assert original is not None  # only an over-long line, always an error, is not kept
        document = result.model_copy(update={"id": external_id, "sha256": sha256_hex(original.data)})
        yield InputItem(external_id, document, original)


def _iter_feed(spec: str, options: _Options) -> Iterator[Result]:
    return iter_feed(
        spec,
        allow_private=options.allow_private,
        timeout=options.timeout,
        max_bytes=options.max_bytes,
        max_entries=options.max_entries,
    )
