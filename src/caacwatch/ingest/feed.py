"""RSS and Atom feeds: each entry becomes an input item, from its own text or its linked page.

A monitor follows news and NGO feeds. Each entry yields an
:class:`~caacwatch.ingest.items.InputItem` — built from the entry's own full text when it
carries one (``content:encoded``, Atom ``content``), otherwise from the article its link
points to, fetched through the guarded :func:`caacwatch.ingest.url.fetch_original` — or a
:class:`~caacwatch.ingest.items.Rejected` with the reason.

The feed bytes are always downloaded by us (private addresses refused on every hop, size and
time capped); feedparser only ever sees bytes, never a URL or a path it could open itself.

Feeds are read entry by entry: a cheap scan finds each ``<item>``/``<entry>`` element's byte
range, and feedparser parses one entry at a time (wrapped in the feed's own root element), so
a feed of thousands of entries costs memory and time only for the entries actually read, and
is cut at ``max_entries`` with an E014 notice. The entry's exact bytes in the feed are the
evidence (``Original``) of an item built from its own text. A feed the scan cannot split
(UTF-16, no recognisable root) is parsed whole by feedparser instead, bounded by ``max_bytes``.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from caacwatch.errors import CaacError, E
from caacwatch.ingest import _URL, DEFAULT_MAX_BYTES, _read_file
from caacwatch.ingest.html import document_from_html
from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.ingest.text import document_from_text, sha256_hex
from caacwatch.records import Document

DEFAULT_MAX_ENTRIES = 5000
#: Characters of text (tags removed) from which an entry's own content counts as the full article.
FULL_CONTENT_MIN_CHARS = 500
FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/rdf+xml;q=0.9,"
    "application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.1"
)
# The channel header before the first entry is parsed for the feed's title only up to this size.
_MAX_HEADER_BYTES = 1_000_000
_ENTRY_TYPES = {b"rss": "application/rss+xml", b"feed": "application/atom+xml", b"rdf": "application/rdf+xml"}
_HTML_CONTENT = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})

# --- scanning the feed bytes -----------------------------------------------------------------
# Possessive quantifiers and [^<>] keep every pattern linear on hostile input ("<item <item ...").
_NAME = rb"(?:[A-Za-z_][\w.-]*+:)?"  # an optional namespace prefix
_PROLOG = re.compile(rb"\s++|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]++|\[[^\]]*+\])*+>", re.S | re.I)
_ROOT = re.compile(rb"<(" + _NAME + rb"([A-Za-z_][\w.-]*+))(?=[\s/>])[^<>]*+>")
_CHANNEL = re.compile(rb"<(" + _NAME + rb"channel)(?=[\s/>])[^<>]*+>")
# CDATA sections and comments are matched whole so an "</item>" inside them is not an end tag.
_ENTRY_TOKEN = re.compile(
    rb"<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z)"
    rb"|<(/?)(" + _NAME + rb"(?:item|entry))(?=[\s/>])[^<>]*+>",
    re.S,
)
_TAG = re.compile(r"<[^<>]*+>")


@dataclass(frozen=True, slots=True)
class _Span:
    """Byte range of one entry element in the feed; ``complete`` is False when the feed ends
    inside it (a download cut off)."""

    start: int
    end: int
    complete: bool


@dataclass(frozen=True, slots=True)
class _Feed:
    """The feed bytes and what every entry needs to know about where they came from."""

    data: bytes
    label: str  # the origin: the feed URL or path as given
    url: str | None  # final URL after redirects: the base of relative links; None for a file
    content_type: str
    retrieved_at: datetime
    entry_type: str = "application/xml"  # content type of one entry's bytes
    head: bytes = b""  # the feed up to its root (and RSS channel) start tag
    tail: bytes = b""  # the matching end tags
    title: str | None = None


@dataclass(frozen=True, slots=True)
class _Options:
    allow_private: bool
    timeout: float
    max_bytes: int
    fetch_entries: bool


def iter_feed(
    source: str | os.PathLike[str] | bytes,
    *,
    allow_private: bool = False,
    timeout: float = 15.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    fetch_entries: bool = True,
    origin: str | None = None,
) -> Iterator[InputItem | Rejected]:
    """Yield one item or rejection per entry of the RSS/Atom feed at ``source``.

    ``source`` is an http(s) URL (fetched with the same guards as pages: E005 private
    address unless ``allow_private``, E004 beyond ``max_bytes``, E006 network, E008 scheme),
    a file path, or the feed's bytes. ``external_id`` is the entry's id, else its link.

    An entry whose own content has at least ``FULL_CONTENT_MIN_CHARS`` characters of text
    (or any content, when ``fetch_entries`` is False or the entry has no link) becomes a
    document from that content, with the entry's bytes in the feed as the original.
    Otherwise the entry's link is fetched and the page is the document, its title, date and
    author filled from the entry when the page lacks them. Per-entry rejections: the fetch's
    own code (E005, E006, E007...), E015 nothing to analyse, E016 entry unreadable. After
    ``max_entries`` entries one E014 rejection says how many were left unread.

    Raises ``CaacError`` E013 when the bytes are not a feed, plus the codes of reading the
    source. Entries are read lazily: nothing is fetched before the caller asks for it.
    """
    options = _Options(allow_private, timeout, max_bytes, fetch_entries)
    feed = _load(source, options, origin)
    root = _find_root(feed.data)
    spans = _entry_spans(feed.data, root[0]) if root is not None else iter(())
    first = next(spans, None)
    if root is None or first is None:
        yield from _iter_whole(feed, options, max_entries)
        return
    feed = _with_envelope(feed, root, first.start)
    for number, span in enumerate(itertools.chain([first], spans), start=1):
        if number > max_entries:  # count the rest without parsing them
            yield _capped(feed, count=number + sum(1 for _ in spans), limit=max_entries)
            return
        yield _span_result(feed, span, options, number)


# --- loading ---------------------------------------------------------------------------------
def _load(source: str | os.PathLike[str] | bytes, options: _Options, origin: str | None) -> _Feed:
    """The feed bytes from a URL (guarded fetch), a file or the bytes themselves."""
    now = datetime.now(UTC)
    if isinstance(source, bytes):
        return _Feed(source, origin or "feed", None, "", now)
    spec = os.fspath(source)
    url = _URL.match(spec)
    if url is None:
        data = _read_file(Path(spec), options.max_bytes)
        return _Feed(data, origin or spec, None, "", now)
    if url.group("scheme").lower() not in ("http", "https"):
        raise CaacError(E.E008, url=spec)
    from caacwatch.ingest.url import fetch_response

    response = fetch_response(
        spec,
        allow_private=options.allow_private,
        timeout=options.timeout,
        max_bytes=options.max_bytes,
        media_types=None,  # feeds are served under many types; the bytes decide (E013)
        accept=FEED_ACCEPT,
    )
    return _Feed(
        response.body, origin or spec, response.final_url, response.content_type, response.retrieved_at
    )


def _find_root(data: bytes) -> tuple[int, bytes, bytes] | None:
    """``(end of the root start tag, its qualified name, its lower-cased local name)`` when the
    root element is ``rss``, ``feed`` or ``rdf:RDF``; ``None`` otherwise."""
    position = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    while (prolog := _PROLOG.match(data, position)) is not None:
        position = prolog.end()
    root = _ROOT.match(data, position)
    if root is None or root.group(0).endswith(b"/>"):
        return None
    local = root.group(2).lower()
    if local not in _ENTRY_TYPES:
        return None
    return root.end(), root.group(1), local


def _entry_spans(data: bytes, start: int) -> Iterator[_Span]:
    """Byte ranges of the top-level ``<item>``/``<entry>`` elements (any prefix), in order.

    One regular-expression pass, no tree: memory does not grow with the number of entries.
    """
    open_name: bytes | None = None
    depth = begin = 0
    for token in _ENTRY_TOKEN.finditer(data, start):
        name = token.group(2)
        if name is None:  # CDATA or comment
            continue
        closing, empty = token.group(1) == b"/", token.group(0).endswith(b"/>")
        if open_name is None:
            if empty and not closing:
                yield _Span(token.start(), token.end(), True)
            elif not closing:
                open_name, depth, begin = name, 1, token.start()
            continue
        if name != open_name or empty:
            continue
        depth += -1 if closing else 1
        if depth == 0:
            yield _Span(begin, token.end(), True)
            open_name = None
    if open_name is not None:
        yield _Span(begin, len(data), False)


def _with_envelope(feed: _Feed, root: tuple[int, bytes, bytes], first_entry: int) -> _Feed:
    """Add what wraps each entry for feedparser — the feed's prolog and root start tag (with its
    namespace declarations), plus an RSS ``<channel>`` start tag — and the feed's title."""
    root_end, root_name, local = root
    head, tail = feed.data[:root_end], b"</" + root_name + b">"
    if local == b"rss":
        channel = _CHANNEL.search(feed.data, root_end, first_entry)
        if channel is not None and not channel.group(0).endswith(b"/>"):
            head, tail = head + channel.group(0), b"</" + channel.group(1) + b">" + tail
    title = None
    if first_entry <= _MAX_HEADER_BYTES:
        title = _text(_parse(feed.data[:first_entry] + tail, feed).feed.get("title"))
    return replace(feed, entry_type=_ENTRY_TYPES[local], head=head, tail=tail, title=title)


def _parse(data: bytes, feed: _Feed) -> Any:
    """feedparser on bytes only (a stream: given ``bytes`` it would try them as a file name)."""
    headers = {"content-type": "application/xml"}
    if feed.url:
        headers["content-location"] = feed.url  # the base for relative links
    return feedparser.parse(io.BytesIO(data), response_headers=headers)


# --- one entry -------------------------------------------------------------------------------
def _span_result(feed: _Feed, span: _Span, options: _Options, number: int) -> InputItem | Rejected:
    raw = feed.data[span.start : span.end]
    original = Original(raw, feed.entry_type, url=feed.url, retrieved_at=feed.retrieved_at, origin=feed.label)
    fallback_id = f"{feed.label}#{number}"
    if not span.complete:
        error = CaacError(E.E016, entry=fallback_id, reason="the feed ends inside this entry (cut off)")
        return _rejected(fallback_id, error, original)
    try:
        parsed = _parse(feed.head + raw + feed.tail, feed).entries
    except Exception as exc:  # feedparser failing on one entry must not end the feed
        parsed, problem = [], f"feedparser failed: {type(exc).__name__}"
    else:
        problem = "not an RSS item or Atom entry feedparser can read"
    if len(parsed) != 1:
        return _rejected(fallback_id, CaacError(E.E016, entry=fallback_id, reason=problem), original)
    return _entry_result(feed, parsed[0], original, options, fallback_id)


def _entry_result(
    feed: _Feed, entry: Mapping[str, Any], original: Original, options: _Options, fallback_id: str
) -> InputItem | Rejected:
    """Never raises: every failure of one entry is that entry's rejection."""
    external_id = _text(entry.get("id")) or _text(entry.get("link")) or fallback_id
    try:
        return _entry_item(feed, entry, external_id, original, options)
    except CaacError as exc:
        return _rejected(external_id, exc, original)
    except Exception as exc:  # a parser bug on one entry must not end the feed
        error = CaacError(E.E019, what=f"feed entry {external_id}", reason=f"{type(exc).__name__}: {exc}")
        return _rejected(external_id, error, original)


def _entry_item(
    feed: _Feed, entry: Mapping[str, Any], external_id: str, original: Original, options: _Options
) -> InputItem:
    link = _link(entry)
    content = _own_content(entry, full_only=options.fetch_entries and link is not None)
    if content is not None:
        document = _content_document(content, link, external_id)
        document = _with_entry_metadata(document, entry, feed, external_id, entry_first=True)
        document = document.model_copy(update={"sha256": sha256_hex(original.data)})
        return InputItem(external_id, document, original, extra={"feed": feed.label})
    if not options.fetch_entries:
        raise CaacError(E.E015, entry=external_id, reason="no text of its own, and fetching linked pages is off")
    if link is None:
        raise CaacError(E.E015, entry=external_id, reason="no link to fetch and no text of its own")
    from caacwatch.ingest.url import fetch_original

    fetched = fetch_original(
        link,
        allow_private=options.allow_private,
        timeout=options.timeout,
        max_bytes=options.max_bytes,
        origin=feed.label,
    )
    document = _with_entry_metadata(fetched.document, entry, feed, external_id, entry_first=False)
    return InputItem(external_id, document, fetched.original, extra={"feed": feed.label})


def _link(entry: Mapping[str, Any]) -> str | None:
    """The entry's link. feedparser takes an RSS ``<guid>`` as the link when the entry has none
    (RSS 2.0 guids are permalinks by default); a guid that is no web address is not a link."""
    link = _text(entry.get("link"))
    if link and entry.get("guidislink") and not link.lower().startswith(("http://", "https://")):
        return None
    return link


def _own_content(entry: Mapping[str, Any], *, full_only: bool) -> Mapping[str, Any] | None:
    """The entry's own text: its full content when it is long enough to be the article, or —
    unless ``full_only`` — its content or summary, whatever it has."""
    contents = [c for c in entry.get("content") or () if _text(c.get("value"))]
    content = contents[0] if contents else None
    if content is not None and len(_plain(content["value"])) >= FULL_CONTENT_MIN_CHARS:
        return content
    if full_only:
        return None
    summary = entry.get("summary_detail")
    return content or (summary if summary is not None and _text(summary.get("value")) else None)


def _content_document(content: Mapping[str, Any], link: str | None, external_id: str) -> Document:
    value = str(content["value"])
    if str(content.get("type", "text/html")).lower() in _HTML_CONTENT:
        document = document_from_html(value, url=link, id=external_id)
    else:
        document = document_from_text(value, url=link, id=external_id)
    return document.model_copy(update={"canonical_url": document.canonical_url or link})


def _with_entry_metadata(
    document: Document, entry: Mapping[str, Any], feed: _Feed, external_id: str, *, entry_first: bool
) -> Document:
    """Title, date and author from the entry, and the feed's title as the outlet: first choice
    for a document built from the entry itself, a fallback for a fetched page."""
    found = {
        "title": _text(entry.get("title")),
        "published": _entry_date(entry),
        "author": _text(entry.get("author")),
        "outlet": feed.title,
    }
    update: dict[str, Any] = {"id": external_id}
    for name, value in found.items():
        current = getattr(document, name)
        update[name] = (value or current) if entry_first else (current or value)
    return document.model_copy(update=update)


def _entry_date(entry: Mapping[str, Any]) -> str | None:
    """The entry's publication (else update) time, ISO 8601 in UTC as feedparser normalised it."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in parsed[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()
    except (TypeError, ValueError):
        return None


# --- feeds the scan cannot split -------------------------------------------------------------
def _iter_whole(feed: _Feed, options: _Options, max_entries: int) -> Iterator[InputItem | Rejected]:
    """Parse the whole feed with feedparser; every entry's original is then the whole feed."""
    parsed = _parse(feed.data, feed)
    entries = parsed.entries
    if not entries:
        if parsed.get("version") and not parsed.get("bozo"):
            return  # a well-formed feed with no entries today
        raise CaacError(E.E013, what=feed.label, reason=_not_a_feed_reason(parsed, feed))
    original = Original(
        feed.data, feed.content_type or "application/xml", feed.url, feed.retrieved_at, feed.label
    )
    feed = replace(feed, title=_text(parsed.feed.get("title")))
    for number, entry in enumerate(entries[:max_entries], start=1):
        yield _entry_result(feed, entry, original, options, f"{feed.label}#{number}")
    if len(entries) > max_entries:
        yield _capped(feed, count=len(entries), limit=max_entries)


def _not_a_feed_reason(parsed: Any, feed: _Feed) -> str:
    if not feed.data.strip():
        return "it is empty"
    served = f"served as {feed.content_type}; " if feed.content_type else ""
    problem = parsed.get("bozo_exception")
    if problem is not None and parsed.get("bozo"):
        return f"{served}{type(problem).__name__}: {problem}"
    return f"{served}no <rss>, <feed> or <rdf:RDF> element with entries"


# --- helpers ---------------------------------------------------------------------------------
def _capped(feed: _Feed, *, count: int, limit: int) -> Rejected:
    error = CaacError(E.E014, what=feed.label, count=count, limit=limit)
    return Rejected(external_id=feed.label, code=error.code, reason=error.message)


def _rejected(external_id: str, error: CaacError, original: Original | None) -> Rejected:
    return Rejected(external_id=external_id, code=error.code, reason=error.message, original=original)


def _text(value: Any) -> str | None:
    """A non-empty single-spaced string, or None."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _plain(markup: str) -> str:
    return " ".join(_TAG.sub(" ", markup).split())
