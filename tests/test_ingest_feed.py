"""RSS and Atom feeds against a real local HTTP server (no mocks): entries from their own text
or their fetched link, exact entry bytes as evidence, caps, malformed feeds, the address guard."""

from __future__ import annotations

import contextlib
import http.server
import itertools
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.ingest.feed import FULL_CONTENT_MIN_CHARS, iter_feed
from caacwatch.ingest.items import InputItem, Rejected
from caacwatch.ingest.text import sha256_hex

# --- fixtures written for these tests --------------------------------------------------------
PARAGRAPH = (
    "Armed men entered the village school on Tuesday morning and took eleven pupils away, "
    "the district education officer said. Teachers who hid in a storeroom described the attack. "
)
LONG_HTML = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(5))
assert len(LONG_HTML) > FULL_CONTENT_MIN_CHARS

PAGE_ONE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Clinic reopens after weeks of closure</title></head>
<body><article>
<h1>Clinic reopens after weeks of closure</h1>
<p>The only clinic in the valley reopened on Monday after a six-week closure, local health workers said.</p>
<p>Staff said medicines had run short while the road was blocked, and that mothers had walked for hours
to reach the next town with their children.</p>
<p>A spokesperson for the aid group that runs the clinic said supplies would now arrive every week.</p>
</article></body></html>
"""
PAGE_TWO = b"""Water trucks reach the camp

Two water trucks reached the camp on Wednesday, residents said, the first delivery in ten days.
Families queued from dawn; volunteers gave priority to households with small children.
"""


def rss_feed(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Valley Wire</title>
  <link>{base}/</link>
  <description>Test feed</description>
  <item>
    <title>Pupils taken from village school</title>
    <link>{base}/news/pupils-taken</link>
    <guid isPermaLink="false">valley-wire-0001</guid>
    <pubDate>Tue, 16 Jul 2024 09:15:00 +0200</pubDate>
    <author>desk@example.org (Valley Desk)</author>
    <description>Short teaser.</description>
    <content:encoded><![CDATA[{LONG_HTML}<p>Inline code: </item> is not an end tag here.</p>]]></content:encoded>
  </item>
  <item>
    <title>Clinic reopens (feed title)</title>
    <link>/pages/one.html</link>
    <guid isPermaLink="false">valley-wire-0002</guid>
    <pubDate>Mon, 15 Jul 2024 08:00:00 GMT</pubDate>
    <description>The clinic reopened.</description>
  </item>
  <item>
    <title>Water trucks reach the camp</title>
    <link>{base}/pages/two.txt</link>
    <pubDate>Wed, 17 Jul 2024 12:30:00 GMT</pubDate>
  </item>
  <item>
    <title>Gone</title>
    <link>{base}/pages/missing.html</link>
  </item>
</channel>
</rss>
""".encode()


def atom_feed(base: str) -> bytes:
    escaped = LONG_HTML.replace("<", "&lt;").replace(">", "&gt;")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Valley Atom</title>
  <id>urn:test:valley-atom</id>
  <updated>2024-07-17T12:00:00Z</updated>
  <entry>
    <title>Pupils taken from village school</title>
    <id>urn:test:entry:1</id>
    <link rel="alternate" href="{base}/news/pupils-taken"/>
    <published>2024-07-16T09:15:00+02:00</published>
    <updated>2024-07-16T10:00:00+02:00</updated>
    <author><name>Valley Desk</name></author>
    <content type="html">{escaped}</content>
  </entry>
  <entry>
    <title>Clinic reopens (feed title)</title>
    <id>urn:test:entry:2</id>
    <link rel="alternate" href="{base}/pages/one.html"/>
    <updated>2024-07-15T08:00:00Z</updated>
    <summary>The clinic reopened.</summary>
  </entry>
</feed>
""".encode()


def big_feed(count: int) -> bytes:
    items = "".join(
        f"<item><title>Entry {i}</title><guid>urn:test:big:{i}</guid>"
        f"<description>Summary number {i} of a long feed.</description></item>\n"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


# --- a real HTTP server on 127.0.0.1 ---------------------------------------------------------
Route = tuple[int, str | None, bytes, dict[str, str]]


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes`` ({path: (status, content type, body, headers)}); ``{base}`` in
    a body is replaced by the server's own address."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        routes: dict[str, Route] = self.server.routes  # type: ignore[attr-defined]
        status, content_type, body, headers = routes.get(self.path, (404, "text/plain", b"not found", {}))
        body = body.replace(b"{base}", self.base.encode())
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value.replace("{base}", self.base))
            self.end_headers()
            self.wfile.write(body)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"  # type: ignore[index]


@contextlib.contextmanager
def serving(routes: dict[str, Route]) -> Iterator[str]:
    """Run a threaded HTTP server on 127.0.0.1 for the block; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes = routes  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


ROUTES: dict[str, Route] = {
    "/feed.rss": (200, "application/rss+xml; charset=utf-8", rss_feed("{base}"), {}),
    "/feed.atom": (200, "application/atom+xml", atom_feed("{base}"), {}),
    "/feed-as-text.xml": (200, "text/plain", rss_feed("{base}"), {}),
    "/pages/one.html": (200, "text/html; charset=utf-8", PAGE_ONE, {}),
    "/pages/two.txt": (200, "text/plain; charset=utf-8", PAGE_TWO, {}),
    "/pages/report.pdf": (200, "application/pdf", b"%PDF-1.7\n", {}),
    "/not-a-feed.html": (200, "text/html", PAGE_ONE, {}),
    "/redirect-to-feed": (302, "text/plain", b"", {"Location": "{base}/feed.rss"}),
    "/redirect-private": (302, "text/plain", b"", {"Location": "http://10.20.30.40/feed.rss"}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(ROUTES) as base:
        yield base


def by_id(results: list[InputItem | Rejected]) -> dict[str | None, InputItem | Rejected]:
    return {result.external_id: result for result in results}


# --- RSS 2.0 ---------------------------------------------------------------------------------
def test_rss_full_content_and_fetched_links(server: str) -> None:
    results = list(iter_feed(f"{server}/feed.rss", allow_private=True, timeout=5.0))
    assert [type(r).__name__ for r in results] == ["InputItem", "InputItem", "InputItem", "Rejected"]
    full, clinic, water, gone = results

    # 1. Full text in content:encoded: built from the entry, the entry's exact bytes are the original.
    assert isinstance(full, InputItem)
    assert full.external_id == "valley-wire-0001"
    assert full.document.id == "valley-wire-0001"
    assert full.document.title == "Pupils taken from village school"
    assert full.document.published == "2024-07-16T07:15:00+00:00"
    assert full.document.outlet == "Valley Wire"
    assert full.document.url == f"{server}/news/pupils-taken"
    assert "eleven pupils" in full.document.text
    assert "is not an end tag here" in full.document.text  # the CDATA "</item>" did not split the entry
    feed_bytes = rss_feed(server)
    assert full.original.data.startswith(b"<item>") and full.original.data.endswith(b"</item>")
    assert full.original.data in feed_bytes
    assert full.original.content_type == "application/rss+xml"
    assert full.original.url == f"{server}/feed.rss"
    assert full.original.origin == f"{server}/feed.rss"
    assert full.document.sha256 == sha256_hex(full.original.data)
    assert full.extra == {"feed": f"{server}/feed.rss"}

    # 2. Relative link, resolved against the feed URL, fetched; the page's own title wins.
    assert isinstance(clinic, InputItem)
    assert clinic.external_id == "valley-wire-0002"
    assert clinic.original.data == PAGE_ONE
    assert clinic.original.url == f"{server}/pages/one.html"
    assert clinic.original.content_type == "text/html; charset=utf-8"
    assert clinic.original.origin == f"{server}/feed.rss"
    assert clinic.document.title == "Clinic reopens after weeks of closure"
    assert clinic.document.published == "2024-07-15T08:00:00+00:00"  # the page has no date: the entry's
    assert "only clinic in the valley" in clinic.document.text
    assert clinic.document.sha256 == sha256_hex(PAGE_ONE)

    # 3. No guid: the link is the id; a plain-text page.
    assert isinstance(water, InputItem)
    assert water.external_id == f"{server}/pages/two.txt"
    assert water.document.content_type == "text/plain"
    assert water.original.data == PAGE_TWO

    # 4. The link is broken: the fetch's own code, with the entry's bytes kept.
    assert isinstance(gone, Rejected)
    assert gone.code == "E006"
    assert "404" in gone.reason
    assert gone.original is not None and b"missing.html" in gone.original.data


def test_retrieval_times_are_aware_utc(server: str) -> None:
    for result in iter_feed(f"{server}/feed.rss", allow_private=True, timeout=5.0):
        if isinstance(result, InputItem):
            stamp = result.original.retrieved_at
            assert stamp is not None and stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0


def test_without_fetching_entries_use_their_own_text(server: str) -> None:
    results = by_id(list(iter_feed(f"{server}/feed.rss", allow_private=True, fetch_entries=False)))
    clinic = results["valley-wire-0002"]
    assert isinstance(clinic, InputItem)
    assert clinic.document.text == "The clinic reopened."
    assert clinic.document.title == "Clinic reopens (feed title)"
    assert clinic.original.data.startswith(b"<item>")
    water = results[f"{server}/pages/two.txt"]
    assert isinstance(water, Rejected) and water.code == "E015"
    assert "fetching linked pages is off" in water.reason


def test_feed_served_as_text_plain_is_still_read(server: str) -> None:
    results = list(iter_feed(f"{server}/feed-as-text.xml", allow_private=True, fetch_entries=False))
    assert results[0].external_id == "valley-wire-0001"


def test_redirect_to_the_feed_is_followed(server: str) -> None:
    results = list(iter_feed(f"{server}/redirect-to-feed", allow_private=True, fetch_entries=False))
    first = results[0]
    assert isinstance(first, InputItem)
    assert first.original.url == f"{server}/feed.rss"
    assert first.original.origin == f"{server}/redirect-to-feed"


# --- Atom ------------------------------------------------------------------------------------
def test_atom_full_content_and_fetched_link(server: str) -> None:
    full, clinic = list(iter_feed(f"{server}/feed.atom", allow_private=True, timeout=5.0))
    assert isinstance(full, InputItem)
    assert full.external_id == "urn:test:entry:1"
    assert full.document.published == "2024-07-16T07:15:00+00:00"
    assert full.document.author == "Valley Desk"
    assert full.document.outlet == "Valley Atom"
    assert "eleven pupils" in full.document.text
    assert full.original.data.startswith(b"<entry>") and full.original.data in atom_feed(server)
    assert full.original.content_type == "application/atom+xml"
    assert isinstance(clinic, InputItem)
    assert clinic.original.data == PAGE_ONE
    assert clinic.document.published == "2024-07-15T08:00:00+00:00"  # from <updated>


# --- the address guard -----------------------------------------------------------------------
def test_entry_link_to_loopback_is_refused_without_allow_private(server: str) -> None:
    # The feed comes as bytes (no fetch needed); its entries point at 127.0.0.1.
    results = by_id(list(iter_feed(rss_feed(server), origin="valley.rss")))
    clinic = results["valley-wire-0002"]
    assert isinstance(clinic, Rejected)
    assert clinic.code == "E008"  # a relative link without a feed URL is not http(s)
    water = results[f"{server}/pages/two.txt"]
    assert isinstance(water, Rejected)
    assert water.code == "E005"
    assert "127.0.0.1" in water.reason
    assert water.original is not None and water.original.origin == "valley.rss"
    # The entry with its full text needs no fetch and is kept.
    assert isinstance(results["valley-wire-0001"], InputItem)


def test_feed_url_on_loopback_is_refused_without_allow_private(server: str) -> None:
    with pytest.raises(CaacError) as info:
        list(iter_feed(f"{server}/feed.rss"))
    assert info.value.code == "E005"


def test_feed_redirect_to_private_address_is_refused(server: str) -> None:
    from caacwatch.ingest.url import _fetch_response, is_public_address

    # The loopback test server stands in for a public host; the 10.x hop must still be refused.
    with pytest.raises(CaacError) as info:
        _fetch_response(
            f"{server}/redirect-private",
            allowed=lambda ip: str(ip) == "127.0.0.1" or is_public_address(ip),
            timeout=5.0,
            max_bytes=100_000,
            media_types=None,
        )
    assert info.value.code == "E005"


def test_unsupported_linked_page_type(server: str) -> None:
    feed = f"""<rss version="2.0"><channel><title>t</title>
    <item><title>Report</title><link>{server}/pages/report.pdf</link></item>
    </channel></rss>""".encode()
    (result,) = list(iter_feed(feed, allow_private=True))
    assert isinstance(result, Rejected) and result.code == "E007"


# --- feedparser never fetches or opens anything itself ---------------------------------------
def test_feed_bytes_naming_a_local_file_are_not_opened(tmp_path: Path) -> None:
    local_feed = tmp_path / "local.rss"
    local_feed.write_bytes(rss_feed("http://example.org"))
    with pytest.raises(CaacError) as info:
        list(iter_feed(str(local_feed).encode()))  # the *bytes* are a path: not a feed
    assert info.value.code == "E013"


def test_feed_from_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "valley.atom"
    path.write_bytes(atom_feed("http://example.org"))
    results = list(iter_feed(path, fetch_entries=False))
    assert [r.external_id for r in results] == ["urn:test:entry:1", "urn:test:entry:2"]
    assert all(isinstance(r, InputItem) and r.original.origin == str(path) for r in results)
    assert all(isinstance(r, InputItem) and r.original.url is None for r in results)


def test_missing_feed_file() -> None:
    with pytest.raises(CaacError) as info:
        list(iter_feed("no/such/feed.rss"))
    assert info.value.code == "E001"


def test_other_schemes_are_refused() -> None:
    with pytest.raises(CaacError) as info:
        list(iter_feed("file:///etc/passwd"))
    assert info.value.code == "E008"


# --- entries without anything to analyse -----------------------------------------------------
def test_entry_without_link_or_text() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>Only a title</title><guid>urn:x:1</guid></item>
    <item><title>No link, a short text</title><guid>urn:x:2</guid><description>Two children were hurt.</description></item>
    </channel></rss>"""
    empty, short = list(iter_feed(feed))
    assert isinstance(empty, Rejected) and empty.code == "E015"
    assert empty.external_id == "urn:x:1"
    assert "no link" in empty.reason
    assert isinstance(short, InputItem)  # nothing to fetch: the entry's own text is all there is
    assert short.document.text == "Two children were hurt."


def test_feed_the_scan_cannot_split_is_parsed_whole() -> None:
    # UTF-16: the byte scan finds no <rss>; feedparser reads the whole feed, which is then the original.
    feed = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Wide</title>'
        "<item><title>A</title><guid>urn:w:1</guid><description>Schools reopened in the north.</description>"
        "</item></channel></rss>"
    ).encode("utf-16")
    (item,) = list(iter_feed(feed, fetch_entries=False, origin="wide.rss"))
    assert isinstance(item, InputItem)
    assert item.external_id == "urn:w:1"
    assert item.document.text == "Schools reopened in the north."
    assert item.document.outlet == "Wide"
    assert item.original.data == feed


def test_rdf_rss_1_0() -> None:
    feed = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="http://example.org/"><title>RDF Wire</title><link>http://example.org/</link></channel>
  <item rdf:about="http://example.org/a"><title>A</title><link>http://example.org/a</link>
    <description>Schools in the district stayed closed for a second week.</description></item>
</rdf:RDF>"""
    (item,) = list(iter_feed(feed, fetch_entries=False))
    assert isinstance(item, InputItem)
    assert item.external_id == "http://example.org/a"
    assert item.original.content_type == "application/rdf+xml"
    assert item.document.outlet == "RDF Wire"


# --- size: thousands of entries --------------------------------------------------------------
def test_ten_thousand_entries_are_capped_with_a_notice() -> None:
    feed = big_feed(10_000)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        results = list(iter_feed(feed, max_entries=100, fetch_entries=False, origin="big.rss"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(results) == 101
    assert all(isinstance(r, InputItem) for r in results[:100])
    assert [r.external_id for r in results[:3]] == ["urn:test:big:0", "urn:test:big:1", "urn:test:big:2"]
    notice = results[-1]
    assert isinstance(notice, Rejected)
    assert notice.code == "E014"
    assert notice.external_id == "big.rss"
    assert "10000 entries" in notice.reason and "first 100" in notice.reason
    # Only the entries read are parsed: memory is a small multiple of the feed, not of its entries.
    assert peak < 10 * len(feed)
    assert time.perf_counter() - started < 30


def test_entries_are_read_lazily() -> None:
    feed = big_feed(10_000)
    started = time.perf_counter()
    first_three = list(itertools.islice(iter_feed(feed, fetch_entries=False), 3))
    assert [r.external_id for r in first_three] == ["urn:test:big:0", "urn:test:big:1", "urn:test:big:2"]
    assert time.perf_counter() - started < 5  # nowhere near parsing 10,000 entries


def test_default_cap_is_5000() -> None:
    # Entries with nothing to analyse are cheap: the cap itself is what is measured here.
    feed = b'<rss version="2.0"><channel>' + b"<item><title>t</title></item>" * 5003 + b"</channel></rss>"
    results = list(iter_feed(feed, fetch_entries=False))
    assert len(results) == 5001
    notice = results[-1]
    assert isinstance(notice, Rejected) and notice.code == "E014"
    assert "5003 entries" in notice.reason


# --- malformed and truncated feeds -----------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"<html><body><p>A web page, not a feed.</p></body></html>",
        b"\x00\x01\x02 binary junk \xff\xfe",
        b'{"items": ["json, not xml"]}',
        b"<rss version='2.0'><channel><title>unclosed",
    ],
)
def test_malformed_feed_raises_e013(data: bytes) -> None:
    with pytest.raises(CaacError) as info:
        list(iter_feed(data, origin="bad.rss"))
    assert info.value.code == "E013"
    assert "bad.rss" in str(info.value)


def test_web_page_instead_of_feed(server: str) -> None:
    with pytest.raises(CaacError) as info:
        list(iter_feed(f"{server}/not-a-feed.html", allow_private=True))
    assert info.value.code == "E013"
    assert "text/html" in str(info.value)


def test_valid_feed_without_entries_yields_nothing() -> None:
    assert list(iter_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>')) == []
    assert list(iter_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Quiet</title></feed>')) == []


def test_truncated_feed_keeps_the_complete_entries() -> None:
    feed = rss_feed("http://example.org")
    cut = feed[: feed.index(b"<title>Water trucks")]
    results = list(iter_feed(cut, fetch_entries=False, origin="cut.rss"))
    assert [type(r).__name__ for r in results] == ["InputItem", "InputItem", "Rejected"]
    last = results[-1]
    assert isinstance(last, Rejected) and last.code == "E016"
    assert last.external_id == "cut.rss#3"
    assert last.original is not None and last.original.data.startswith(b"<item>")


def test_entry_with_unescaped_ampersand_is_still_read() -> None:
    feed = b"""<rss version="2.0"><channel><title>Sloppy & Co</title>
    <item><title>Aid & shelter</title><guid>urn:s:1</guid><description>Tents & blankets arrived.</description></item>
    </channel></rss>"""
    (item,) = list(iter_feed(feed, fetch_entries=False))
    assert isinstance(item, InputItem)
    assert item.document.title == "Aid & shelter"
    assert "blankets" in item.document.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(
            lambda head, body: head + body,
            st.sampled_from([b'<rss version="2.0"><channel>', b'<feed xmlns="http://www.w3.org/2005/Atom">', b""]),
            st.text(alphabet="<>/&;itemntry abc]![CDAT-\"'=\n", max_size=300).map(str.encode),
        ),
    )
)
def test_arbitrary_bytes_raise_only_coded_errors(data: bytes) -> None:
    try:
        results = list(iter_feed(data, fetch_entries=False, max_entries=20))
    except CaacError as exc:
        assert exc.code == "E013"
        return
    assert all(isinstance(r, InputItem | Rejected) for r in results)
    assert len(results) <= 21
