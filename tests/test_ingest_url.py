"""URL fetching against a real local HTTP server (no mocks): address policy, redirects,
content types, size caps and timeouts."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from caacwatch.errors import CaacError
from caacwatch.ingest.url import _fetch, _GuardedTransport, fetch, is_public_address

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
ARTICLE_HTML = (FIXTURES / "article.html").read_bytes()
ARTICLE_TEXT = (FIXTURES / "article.txt").read_bytes()
GZIP_BOMB = gzip.compress(b"a" * 5_000_000)  # ~5 KB on the wire, 5 MB once decompressed


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes for the tests; `self.server.port` builds absolute redirect targets."""

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self._send(404, "text/plain", b"not found")
            return
        # The client may give up mid-body (size cap, timeout): that is the point of those tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def _send(self, status: int, content_type: str | None, body: bytes, headers: dict[str, str] | None = None,
              length: bool = True) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, "text/plain", b"", {"Location": location})

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])  # type: ignore[index]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _trickle(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "100")
    h.end_headers()
    for _ in range(100):  # one byte every 50 ms: each read is fast, the whole is not
        h.wfile.write(b"a")
        h.wfile.flush()
        time.sleep(0.05)


def _slow(h: Handler) -> None:
    time.sleep(1.5)
    h._send(200, "text/plain", b"too late")


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/article.html": lambda h: h._send(200, "text/html; charset=utf-8", ARTICLE_HTML),
    "/article.txt": lambda h: h._send(200, "text/plain; charset=utf-8", ARTICLE_TEXT),
    "/latin1.txt": lambda h: h._send(
        200, "text/plain; charset=ISO-8859-1", "Élèves évacués de l'école du quartier\n\nTexte.".encode("latin-1")
    ),
    "/no-type": lambda h: h._send(200, None, ARTICLE_HTML),
    "/report.pdf": lambda h: h._send(200, "application/pdf", b"%PDF-1.7\n..."),
    "/image": lambda h: h._send(200, "image/png", b"\x89PNG\r\n\x1a\n"),
    "/huge": lambda h: h._send(200, "text/plain", b"a" * 50_000),
    "/huge-no-length": lambda h: h._send(200, "text/plain", b"a" * 50_000, length=False),
    "/gzip-bomb": lambda h: h._send(200, "text/plain", GZIP_BOMB, {"Content-Encoding": "gzip"}),
    "/redirect-local": lambda h: h._redirect(f"{h.base}/article.html"),
    "/redirect-relative": lambda h: h._redirect("/article.txt", status=301),
    "/redirect-metadata": lambda h: h._redirect("http://169.254.169.254/latest/meta-data/"),
    "/redirect-other-loopback": lambda h: h._redirect(f"http://127.0.0.2:{h.port}/"),
    "/redirect-private": lambda h: h._redirect("http://10.1.2.3/admin"),
    "/redirect-ftp": lambda h: h._redirect("ftp://example.org/file.txt"),
    "/redirect-no-location": lambda h: h._send(302, "text/plain", b""),
    "/loop": lambda h: h._redirect("/loop"),
    "/chain3": lambda h: h._redirect("/chain2"),
    "/chain2": lambda h: h._redirect("/chain1"),
    "/chain1": lambda h: h._redirect("/article.txt"),
    "/error": lambda h: h._send(500, "text/plain", b"boom"),
    "/trickle": _trickle,
    "/slow": _slow,
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def only_127_0_0_1(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Policy for redirect tests: treat the test server (127.0.0.1) as if it were a public
    host, everything else by the normal rules. This exercises the real hop checks."""
    return ip == ipaddress.ip_address("127.0.0.1") or is_public_address(ip)


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CaacError) as info:
        call()
    return info.value.code


# --- address policy --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("ff02::1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# --- loopback refusal and success ------------------------------------------------------------
def test_loopback_is_refused_without_allow_private(server: str) -> None:
    with pytest.raises(CaacError) as info:
        fetch(f"{server}/article.html")
    assert info.value.code == "E005"
    assert "127.0.0.1" in str(info.value)


def test_redirect_to_loopback_is_refused_without_allow_private(server: str) -> None:
    assert code_of(lambda: fetch(f"{server}/redirect-local")) == "E005"


def test_html_with_allow_private(server: str) -> None:
    doc = fetch(f"{server}/article.html", allow_private=True)
    assert doc.url == f"{server}/article.html"
    assert doc.content_type == "text/html"
    assert doc.title == "School damaged in overnight shelling"
    assert "Northbridge" in doc.text
    assert "SCRIPT_MARKER" not in doc.text
    assert doc.canonical_url == f"{server}/news/2024/07/school-damaged"


def test_text_with_allow_private(server: str) -> None:
    doc = fetch(f"{server}/article.txt", allow_private=True)
    assert doc.content_type == "text/plain"
    assert doc.text == ARTICLE_TEXT.decode("utf-8")
    assert doc.title == "Aid convoy reaches besieged district after weeks of talks"
    assert doc.canonical_url == f"{server}/article.txt"
    assert {bp.kind for bp in doc.boilerplate} == {"caption", "image_credit", "read_more"}


def test_charset_from_content_type_header(server: str) -> None:
    doc = fetch(f"{server}/latin1.txt", allow_private=True)
    assert doc.text.startswith("Élèves évacués de l'école")


def test_missing_content_type_is_sniffed(server: str) -> None:
    assert fetch(f"{server}/no-type", allow_private=True).content_type == "text/html"


# --- redirects -------------------------------------------------------------------------------
def test_redirect_is_followed_and_url_is_the_requested_one(server: str) -> None:
    doc = fetch(f"{server}/redirect-relative", allow_private=True)
    assert doc.url == f"{server}/redirect-relative"
    assert doc.canonical_url == f"{server}/article.txt"


def test_redirect_chain_within_limit(server: str) -> None:
    assert fetch(f"{server}/chain3", allow_private=True).canonical_url == f"{server}/article.txt"


def test_redirect_loop_is_cut(server: str) -> None:
    with pytest.raises(CaacError) as info:
        fetch(f"{server}/loop", allow_private=True)
    assert info.value.code == "E006"
    assert "redirects" in str(info.value)


@pytest.mark.parametrize(
    ("path", "address"),
    [
        ("/redirect-metadata", "169.254.169.254"),
        ("/redirect-other-loopback", "127.0.0.2"),
        ("/redirect-private", "10.1.2.3"),
    ],
)
def test_every_redirect_hop_is_checked(server: str, path: str, address: str) -> None:
    with pytest.raises(CaacError) as info:
        _fetch(f"{server}{path}", allowed=only_127_0_0_1, timeout=5.0, max_bytes=1_000_000)
    assert info.value.code == "E005"
    assert address in str(info.value)


def test_the_first_hop_passes_the_same_policy(server: str) -> None:
    doc = _fetch(f"{server}/article.txt", allowed=only_127_0_0_1, timeout=5.0, max_bytes=1_000_000)
    assert doc.content_type == "text/plain"


def test_redirect_to_another_scheme_is_refused(server: str) -> None:
    assert code_of(lambda: fetch(f"{server}/redirect-ftp", allow_private=True)) == "E008"


def test_redirect_without_location(server: str) -> None:
    assert code_of(lambda: fetch(f"{server}/redirect-no-location", allow_private=True)) == "E006"


def test_connection_guard_checks_the_address_actually_connected(server: str) -> None:
    # Bypass the per-hop pre-check: the transport alone must refuse (DNS-rebinding defence).
    with httpx.Client(transport=_GuardedTransport(lambda ip: False)) as client, pytest.raises(CaacError) as info:
        client.get(f"{server}/article.txt")
    assert info.value.code == "E005"


# --- schemes, content types, sizes, errors, timeouts ------------------------------------------
@pytest.mark.parametrize(
    "url", ["ftp://example.org/a.txt", "file:///etc/passwd", "javascript:alert(1)", "http:///no-host", "example.org"]
)
def test_only_http_and_https(url: str) -> None:
    assert code_of(lambda: fetch(url)) == "E008"


@pytest.mark.parametrize("path", ["/report.pdf", "/image"])
def test_unsupported_content_type(server: str, path: str) -> None:
    with pytest.raises(CaacError) as info:
        fetch(f"{server}{path}", allow_private=True)
    assert info.value.code == "E007"


@pytest.mark.parametrize("path", ["/huge", "/huge-no-length", "/gzip-bomb"])
def test_size_cap(server: str, path: str) -> None:
    with pytest.raises(CaacError) as info:
        fetch(f"{server}{path}", allow_private=True, max_bytes=10_000)
    assert info.value.code == "E004"


def test_http_error_status(server: str) -> None:
    with pytest.raises(CaacError) as info:
        fetch(f"{server}/error", allow_private=True)
    assert info.value.code == "E006"
    assert "500" in str(info.value)


def test_unresolvable_host() -> None:
    assert code_of(lambda: fetch("http://does-not-exist.invalid/")) == "E006"


def test_connection_refused(server: str) -> None:
    # A port nobody listens on: bind, note it, close.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert code_of(lambda: fetch(f"http://127.0.0.1:{port}/", allow_private=True, timeout=2.0)) == "E006"


def test_slow_response_times_out(server: str) -> None:
    started = time.perf_counter()
    with pytest.raises(CaacError) as info:
        fetch(f"{server}/slow", allow_private=True, timeout=0.3)
    assert info.value.code == "E006"
    assert time.perf_counter() - started < 1.4


def test_trickling_body_hits_the_total_deadline(server: str) -> None:
    started = time.perf_counter()
    with pytest.raises(CaacError) as info:
        fetch(f"{server}/trickle", allow_private=True, timeout=0.5)
    assert info.value.code == "E006"
    assert time.perf_counter() - started < 2.0
