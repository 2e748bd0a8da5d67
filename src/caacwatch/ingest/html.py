"""HTML pages: main text and metadata via trafilatura, with limits against hostile input.

``Document.text`` is trafilatura's extracted main text, one paragraph a block separated
by blank lines, so spans index the extracted text, not the HTML. Scripts, styles and
event-handler attributes never reach it: trafilatura drops them before extracting.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from caacwatch.errors import CaacError, E
from caacwatch.ingest.boilerplate import find_boilerplate
from caacwatch.ingest.language import detect_language
from caacwatch.ingest.text import check_text_length, decode_bytes, normalize_text, sha256_hex
from caacwatch.records import Document

MAX_HTML_BYTES = 10_000_000
# Real news pages nest a few dozen levels, rarely more than 100; 2,000 only happens on
# pages built to exhaust a parser. (libxml2 itself silently flattens beyond 255.)
MAX_NESTING = 2000
# libxml2 (under lxml and trafilatura) stops building the tree below this depth.
_PARSER_DEPTH = 255

# --- nesting scan ---------------------------------------------------------------------------
# One linear pass over the markup, no tree: comments and raw-text elements are skipped whole,
# and `[^<>]` keeps every attempt from scanning past the next "<" (no quadratic backtracking).
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|textarea|xmp|plaintext|noscript)\b[^<>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([a-zA-Z][^\s/<>]*)([^<>]*)>",
    re.S | re.I,
)
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "keygen", "command", "basefont", "bgsound", "frame", "isindex",
})
# Elements whose end tag may be omitted: browsers close them implicitly (a <p> cannot hold
# a <p>), so counting them would make ordinary sloppy pages look deep.
_OPTIONAL_END = frozenset({
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "rtc", "html", "head", "body",
})


def nesting_depth(markup: str, limit: int = MAX_NESTING) -> int:
    """Approximate element nesting depth of ``markup``, stopping as soon as it exceeds ``limit``.

    Unclosed elements are closed when an enclosing element's end tag appears, as a
    browser would; void, self-closed and optional-end elements are not counted.
    """
    stack: list[str] = []
    open_count: dict[str, int] = {}
    deepest = 0
    for match in _MARKUP.finditer(markup):
        name = match.group(3)
        if name is None:  # comment or raw-text element
            continue
        name = name.lower()
        if name in _VOID or name in _OPTIONAL_END:
            continue
        if match.group(2):  # end tag
            if open_count.get(name):
                _close_up_to(stack, open_count, name)
        elif not match.group(4).rstrip().endswith("/"):
            stack.append(name)
            open_count[name] = open_count.get(name, 0) + 1
            deepest = max(deepest, len(stack))
            if deepest > limit:
                break
    return deepest


def _close_up_to(stack: list[str], open_count: dict[str, int], name: str) -> None:
    while stack:
        top = stack.pop()
        open_count[top] -= 1
        if top == name:
            return


# --- charset ---------------------------------------------------------------------------------
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""",
    re.I,
)


def sniff_meta_charset(data: bytes) -> str | None:
    """The charset a page declares in ``<meta charset>`` / ``http-equiv`` (first 4 KB, as browsers do)."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


# --- sniffing -------------------------------------------------------------------------------
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
    re.I | re.S,
)
_HTML_ANYWHERE = re.compile(rb"<(?:html|head|body)\b", re.I)


def looks_like_html(data: bytes) -> bool:
    """True if the first kilobyte starts an HTML document (``<!doctype html>`` or ``<html>``,
    possibly after a BOM, an XML declaration or comments) or holds an ``<html>``/``<body>`` tag."""
    head = data[:1024]
    return bool(_HTML_START.match(head) or _HTML_ANYWHERE.search(head))


# --- extraction ------------------------------------------------------------------------------
def document_from_html(
    html: bytes | str,
    *,
    url: str | None = None,
    id: str | None = None,
    declared_encoding: str | None = None,
    max_bytes: int = MAX_HTML_BYTES,
) -> Document:
    """Extract the article of an HTML page into a ``Document``.

    Uses trafilatura for the main text, title, date (``published``, ISO), site name
    (``outlet``) and author; ``canonical_url`` comes from ``<link rel=canonical>`` or
    ``og:url`` (resolved against ``url``). Bytes are decoded BOM, UTF-8, then
    ``declared_encoding`` (HTTP header) or ``<meta charset>``, then detection.

    Raises ``CaacError``: E004 larger than ``max_bytes``, E003 binary, E002 empty,
    E010 nested deeper than ``MAX_NESTING``, E009 no article text, E020 an extracted text longer than
    ``MAX_TEXT_CHARS``.
    """
    raw = html if isinstance(html, bytes) else html.encode("utf-8", errors="surrogatepass")
    what = url or id or "HTML input"
    if len(raw) > max_bytes:
        raise CaacError(E.E004, size=len(raw), limit=max_bytes)
    markup = _markup(html, declared_encoding, what)
    depth = nesting_depth(markup)
    if depth > MAX_NESTING:
        raise CaacError(E.E010, limit=MAX_NESTING, what=what)
    tree = _parse(markup, what)
    canonical = canonical_url(tree, url)
    extracted = _extract(tree, url)
    text = _paragraphs(extracted.text or "") if extracted is not None else ""
    if not text:
        reason = "no main text found"
        if depth > _PARSER_DEPTH:
            reason += f"; the page nests {depth} levels and the parser drops content below {_PARSER_DEPTH}"
        raise CaacError(E.E009, what=f"{what}: {reason}")
    check_text_length(text, what)
    return Document(
        id=id,
        text=text,
        title=_clean(extracted.title),
        url=url,
        canonical_url=canonical,
        outlet=_clean(extracted.sitename),
        author=_clean(extracted.author),
        published=_clean(extracted.date),
        language=detect_language(text),
        content_type="text/html",
        sha256=sha256_hex(raw),
        boilerplate=find_boilerplate(text),
    )


def _markup(html: bytes | str, declared_encoding: str | None, what: str) -> str:
    if isinstance(html, bytes):
        declared = declared_encoding or sniff_meta_charset(html)
        return decode_bytes(html, declared_encoding=declared, what=what)[0]
    if not html.strip():
        raise CaacError(E.E002, what=what)
    return html


def _parse(markup: str, what: str) -> Any:
    from trafilatura.utils import load_html

    tree = load_html(markup)
    if tree is None:
        # trafilatura refuses bare fragments ("<p>x</p>"); a fragment is still a page to us.
        tree = load_html(f"<html><body>{markup}</body></html>")
    if tree is None:
        raise CaacError(E.E009, what=f"{what}: not parseable as HTML")
    return tree


def _extract(tree: Any, url: str | None) -> Any:
    import trafilatura

    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,  # reader comments are not the article
        include_tables=True,
        include_images=False,
        include_links=False,
    )


def canonical_url(tree: Any, base_url: str | None) -> str | None:
    """``<link rel=canonical href>`` or ``<meta property=og:url>``, absolute, http(s) only."""
    # rel is a case-insensitive token list ("canonical", "Canonical", "alternate canonical").
    links = tree.xpath(
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANONICAL', 'canonical')), ' '),"
        " ' canonical ')]/@href"
    )
    og_urls = tree.xpath("//meta[@property='og:url' or @name='og:url']/@content")
    for candidate in [*links, *og_urls]:
        href = str(candidate).strip()
        if not href:
            continue
        absolute = urljoin(base_url or "", href)
        if urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None


def _paragraphs(extracted: str) -> str:
    """One paragraph a block, separated by a blank line like the plain-text corpus, without the
    indentation and empty lines trafilatura sometimes leaves (``text`` is ours to shape: spans
    index this string, not the HTML)."""
    lines = (line.strip() for line in normalize_text(extracted).split("\n"))
    return "\n\n".join(line for line in lines if line)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None
