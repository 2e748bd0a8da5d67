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
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from caacwatch import __version__
from caacwatch.errors import CaacError, E
from caacwatch.ingest.html import document_from_html, looks_like_html
from caacwatch.ingest.text import document_from_text
from caacwatch.records import Document

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]

MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 10_000_000
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain"})
_HEADERS = {
    "User-Agent": f"caacwatch/{__version__} (news monitoring; +https://pypi.org/project/caacwatch/)",
    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
}


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


def _fetch(url: str, *, allowed: AddressPolicy, timeout: float, max_bytes: int) -> Document:
    deadline = time.monotonic() + timeout
    transport = _GuardedTransport(allowed)
    with httpx.Client(
        transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False, headers=_HEADERS
    ) as client:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            _check_hop(current, allowed)
            try:
                with client.stream("GET", current) as response:
                    next_url = _redirect_target(response, current)
                    if next_url is None:
                        return _read_document(response, url, current, max_bytes, deadline)
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


def _read_document(
    response: httpx.Response, requested: str, final: str, max_bytes: int, deadline: float
) -> Document:
    if response.status_code >= 300:
        reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        raise CaacError(E.E006, url=final, reason=reason)
    media_type, charset = _content_type(response.headers.get("content-type", ""))
    if media_type and media_type not in _HTML_TYPES | _TEXT_TYPES:
        raise CaacError(E.E007, content_type=media_type, url=final)
    body = _read_capped(response, max_bytes, deadline, final)
    if not media_type:  # no header at all: decide from the bytes, as a browser would
        media_type = "text/html" if looks_like_html(body) else "text/plain"
    if media_type in _HTML_TYPES:
        document = document_from_html(body, url=final, declared_encoding=charset, max_bytes=max_bytes)
    else:
        document = document_from_text(body, url=final, declared_encoding=charset)
    return document.model_copy(
        update={"url": requested, "canonical_url": document.canonical_url or final}
    )


def _content_type(header: str) -> tuple[str, str | None]:
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
