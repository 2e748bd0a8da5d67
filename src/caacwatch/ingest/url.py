"""Fetch a web page safely: http(s) only, public addresses only, bounded size and time.

Server-side request forgery is the risk here: a link in a monitored feed (or a redirect
from it) can point at ``http://169.254.169.254/`` or an intranet host. Every hop is
checked before it is requested, and the connection itself is guarded too: the socket
is opened to an address we have just checked, so a DNS answer that changes between the
check and the connection ("DNS rebinding") cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from caacwatch import __version__
from caacwatch.errors import CaacError, E
from caacwatch.ingest.html import document_from_html, looks_like_html
from caacwatch.ingest.items import Original
from caacwatch.ingest.text import document_from_text
from caacwatch.records import Document

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 10_000_000
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain"})
#: Media types a page fetch accepts: what :func:`document_from_body` can read.
PAGE_TYPES = _HTML_TYPES | _TEXT_TYPES
PAGE_ACCEPT = "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"
_USER_AGENT = f"caacwatch/{__version__} (news monitoring; +https://pypi.org/project/caacwatch/)"


# --- address policy --------------------------------------------------------------------------
def is_public_address(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local,
    reserved, multicast, unspecified and shared (CGNAT) addresses, including IPv4 addresses
    wrapped in IPv6 (``::ffff:127.0.0.1``, 6to4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and not is_public_address(embedded):
            return False
    blocked = (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
        or ip.is_multicast or ip.is_unspecified
    )
    return ip.is_global and not blocked


def _any_address(ip: IPAddress) -> bool:
    return True


def _resolve(host: str, port: int, url: str) -> list[IPAddress]:
    """All addresses ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CaacError(E.E006, url=url, reason=f"cannot resolve host {host!r} ({exc})") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _checked_addresses(host: str, port: int, url: str, allowed: AddressPolicy) -> list[IPAddress]:
    """Resolve and refuse if *any* address is disallowed: a name that resolves to both a public
    and a private address is exactly what an attacker would set up."""
    addresses = _resolve(host, port, url)
    for address in addresses:
        if not allowed(address):
            raise CaacError(E.E005, url=url, address=str(address))
    return addresses


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore network backend that connects only to addresses the policy allows."""

    def __init__(self, allowed: AddressPolicy) -> None:
        self._allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _checked_addresses(host, port, f"{host}:{port}", self._allowed)
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next address, as create_connection does
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, allowed: AddressPolicy) -> None:
        # trust_env=False: no proxy from the environment, so the guard sees the real peer.
        super().__init__(trust_env=False, retries=0)
        pool = getattr(self, "_pool", None)
        # httpx does not expose the backend; the pinned httpx (0.28) keeps it on the pool. If a
        # future version moves it, the per-hop pre-check in _fetch still applies.
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _GuardedBackend(allowed)


# --- fetching --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Response:
    """A body downloaded through the guarded fetch, with what the server said about it.

    ``body`` is the entity body as the server sent it, after undoing any ``Content-Encoding``
    (gzip, br...): the bytes a browser would render, capped at ``max_bytes``.
    """

    requested_url: str
    final_url: str  # after redirects
    content_type: str  # the Content-Type header as received ("" when the server sent none)
    media_type: str  # lower-cased media type of that header ("" when none)
    charset: str | None
    body: bytes
    retrieved_at: datetime  # UTC, when the body was complete


class FetchResult(NamedTuple):
    """A fetched page: the original bytes with their provenance, and the document parsed from them."""

    original: Original
    document: Document


def fetch(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 15.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Download ``url`` and turn it into a ``Document`` (HTML or plain text).

    Only http/https (E008). The host of every hop, redirects included (at most 5, followed
    by hand), must resolve to public addresses unless ``allow_private`` (E005). The body
    is streamed and refused beyond ``max_bytes`` (E004). Only ``text/html`` and
    ``text/plain`` are accepted (E007). ``timeout`` bounds each network operation and the
    whole fetch; timeouts and HTTP errors raise E006.

    ``Document.url`` is the URL asked for; ``canonical_url`` is the page's canonical link,
    or the final URL after redirects.
    """
    policy = _any_address if allow_private else is_public_address
    return _fetch(url, allowed=policy, timeout=timeout, max_bytes=max_bytes)


def fetch_original(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 15.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    origin: str | None = None,
) -> FetchResult:
    """Like :func:`fetch`, and keep the evidence: the body bytes exactly as received.

    ``original.data`` is the body (content-encoding undone), ``original.content_type`` the
    Content-Type header as received (or the sniffed type when the server sent none),
    ``original.url`` the final URL after redirects, ``original.retrieved_at`` the UTC time
    the body was complete and ``original.origin`` is ``origin`` (default: ``url``). The
    document is the one :func:`fetch` returns, with ``sha256`` the hash of ``original.data``.
    Same checks and error codes as :func:`fetch`.
    """
    policy = _any_address if allow_private else is_public_address
    response = _fetch_response(url, allowed=policy, timeout=timeout, max_bytes=max_bytes)
    document = _page_document(response, max_bytes)
    original = Original(
        data=response.body,
        content_type=response.content_type or document.content_type or "",
        url=response.final_url,
        retrieved_at=response.retrieved_at,
        origin=origin if origin is not None else url,
    )
    return FetchResult(original, document)


def fetch_response(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 15.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    media_types: frozenset[str] | None = PAGE_TYPES,
    accept: str = PAGE_ACCEPT,
) -> Response:
    """Download ``url`` through the same guards as :func:`fetch` without parsing the body.

    For inputs that are not pages (an RSS feed): ``media_types`` lists the Content-Types
    accepted (E007 for others, checked before the body is read; ``None`` accepts any, for a
    caller that judges the bytes itself), ``accept`` is the Accept header sent.
    """
    policy = _any_address if allow_private else is_public_address
    return _fetch_response(
        url, allowed=policy, timeout=timeout, max_bytes=max_bytes, media_types=media_types, accept=accept
    )


def _fetch(url: str, *, allowed: AddressPolicy, timeout: float, max_bytes: int) -> Document:
    response = _fetch_response(url, allowed=allowed, timeout=timeout, max_bytes=max_bytes)
    return _page_document(response, max_bytes)


def _fetch_response(
    url: str,
    *,
    allowed: AddressPolicy,
    timeout: float,
    max_bytes: int,
    media_types: frozenset[str] | None = PAGE_TYPES,
    accept: str = PAGE_ACCEPT,
) -> Response:
    """The one code path every fetch takes: each hop checked, redirects followed by hand."""
    deadline = time.monotonic() + timeout
    transport = _GuardedTransport(allowed)
    headers = {"User-Agent": _USER_AGENT, "Accept": accept}
    with httpx.Client(
        transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False, headers=headers
    ) as client:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            _check_hop(current, allowed)
            try:
                with client.stream("GET", current) as response:
                    next_url = _redirect_target(response, current)
                    if next_url is None:
                        return _read_response(response, url, current, max_bytes, deadline, media_types)
            except httpx.TimeoutException as exc:
                raise CaacError(E.E006, url=current, reason=f"timed out after {timeout:g} s") from exc
            except httpx.HTTPError as exc:
                raise CaacError(E.E006, url=current, reason=_describe(exc)) from exc
            _check_deadline(deadline, current)
            current = next_url
    raise CaacError(E.E006, url=url, reason=f"more than {MAX_REDIRECTS} redirects")


def _check_hop(url: str, allowed: AddressPolicy) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CaacError(E.E008, url=url)
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:  # a port that is not a number or out of range
        raise CaacError(E.E006, url=url, reason=f"invalid port ({exc})") from exc
    _checked_addresses(parts.hostname, port, url, allowed)


def _redirect_target(response: httpx.Response, current: str) -> str | None:
    if response.status_code not in _REDIRECT_STATUSES:
        return None
    location = response.headers.get("location")
    if not location:
        raise CaacError(E.E006, url=current, reason=f"HTTP {response.status_code} redirect without a Location")
    return urljoin(current, location.strip())


def _read_response(
    response: httpx.Response,
    requested: str,
    final: str,
    max_bytes: int,
    deadline: float,
    media_types: frozenset[str] | None,
) -> Response:
    if response.status_code >= 300:
        reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        raise CaacError(E.E006, url=final, reason=reason)
    header = response.headers.get("content-type", "").strip()
    media_type, charset = content_type_parts(header)
    if media_types is not None and media_type and media_type not in media_types:
        raise CaacError(E.E007, content_type=media_type, url=final)
    body = _read_capped(response, max_bytes, deadline, final)
    return Response(
        requested_url=requested,
        final_url=final,
        content_type=header,
        media_type=media_type,
        charset=charset,
        body=body,
        retrieved_at=datetime.now(UTC),
    )


def _page_document(response: Response, max_bytes: int) -> Document:
    document = document_from_body(
        response.body,
        media_type=response.media_type,
        charset=response.charset,
        url=response.final_url,
        max_bytes=max_bytes,
    )
    return document.model_copy(
        update={"url": response.requested_url, "canonical_url": document.canonical_url or response.final_url}
    )


def document_from_body(
    body: bytes, *, media_type: str, charset: str | None, url: str | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Document:
    """Parse an HTTP body (a fetched page, a WARC payload) as HTML or plain text.

    ``media_type`` and ``charset`` come from the Content-Type header (see
    :func:`content_type_parts`); without a media type the bytes decide, as a browser would.
    """
    if not media_type:
        media_type = "text/html" if looks_like_html(body) else "text/plain"
    if media_type in _HTML_TYPES:
        return document_from_html(body, url=url, declared_encoding=charset, max_bytes=max_bytes)
    return document_from_text(body, url=url, declared_encoding=charset)


def content_type_parts(header: str) -> tuple[str, str | None]:
    """``("text/html", "utf-8")`` from ``"text/html; charset=UTF-8"``: lower-cased media type
    (``""`` for an empty header) and the charset parameter, if any."""
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("'\"")
    return media_type.strip().lower(), charset


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise CaacError(E.E004, size=int(declared), limit=max_bytes)
    chunks: list[bytes] = []
    size = 0
    # iter_bytes yields *decompressed* bytes, so a gzip bomb is capped as well.
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise CaacError(E.E004, size=size, limit=max_bytes)
        chunks.append(chunk)
        # httpx's timeout is per read; a server trickling one byte at a time needs a total limit.
        _check_deadline(deadline, url)
    return b"".join(chunks)


def _check_deadline(deadline: float, url: str) -> None:
    if time.monotonic() > deadline:
        raise CaacError(E.E006, url=url, reason="the download took longer than the timeout")


def _describe(exc: httpx.HTTPError) -> str:
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
