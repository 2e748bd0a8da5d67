"""WARC archives built with warcio's own writer: pages become items, other records are skipped,
damaged archives end in a coded rejection and never raise."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from caacwatch.errors import CaacError
from caacwatch.ingest.items import InputItem, Rejected
from caacwatch.ingest.text import sha256_hex
from caacwatch.ingest.warc import iter_warc, warc_date

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Schools close as fighting nears the town</title></head>
<body><article>
<h1>Schools close as fighting nears the town</h1>
<p>All four schools in the town closed on Thursday as fighting moved closer, the local council said.</p>
<p>Parents said they would keep their children at home until the roads were safe again.</p>
</article></body></html>
"""
TEXT_PAGE = b"""Families return to the market

Traders reopened their stalls on Saturday and families came back to the market for the first time in
a month, residents said.
"""
RESOURCE_TEXT = b"Note saved by the monitor: the hospital generator was repaired on Sunday.\n"


def response(writer: WARCWriter, uri: str, body: bytes, content_type: str | None, *, status: str = "200 OK",
             date: str = "2024-07-20T10:00:00Z", extra_headers: list[tuple[str, str]] | None = None) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    headers += extra_headers or []
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": date}
    )
    writer.write_record(record)


def request(writer: WARCWriter, uri: str) -> None:
    http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example.org")], is_http_request=True)
    writer.write_record(writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=http))


def build_warc(*, gz: bool, with_extras: bool = False) -> bytes:
    """Two page responses and a request record; ``with_extras`` adds records to skip and a resource."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    request(writer, "https://news.example.org/schools-close")
    response(writer, "https://news.example.org/schools-close", HTML_PAGE, "text/html; charset=utf-8")
    response(writer, "https://news.example.org/market.txt", TEXT_PAGE, "text/plain",
             date="2024-07-21T08:30:15.250000Z")
    if with_extras:
        response(writer, "https://news.example.org/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png")
        response(writer, "https://news.example.org/old", b"", "text/html", status="301 Moved Permanently")
        response(writer, "https://news.example.org/missing", b"not here", "text/plain", status="404 Not Found")
        resource = writer.create_warc_record(
            "urn:monitor:note:1", "resource", payload=io.BytesIO(RESOURCE_TEXT), warc_content_type="text/plain",
            warc_headers_dict={"WARC-Date": "2024-07-22T00:00:00Z"},
        )
        writer.write_record(resource)
        metadata = writer.create_warc_record(
            "https://news.example.org/schools-close", "metadata", payload=io.BytesIO(b"via: crawler"),
            warc_content_type="application/warc-fields",
        )
        writer.write_record(metadata)
    return buffer.getvalue()


def write(tmp_path: Path, data: bytes, name: str = "crawl.warc") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- pages -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("gz", "name"), [(False, "crawl.warc"), (True, "crawl.warc.gz")])
def test_two_responses_and_a_request(tmp_path: Path, gz: bool, name: str) -> None:
    path = write(tmp_path, build_warc(gz=gz), name)
    html, text = list(iter_warc(path))
    assert isinstance(html, InputItem) and isinstance(text, InputItem)

    assert html.external_id == "https://news.example.org/schools-close"
    assert html.document.id == html.external_id
    assert html.document.title == "Schools close as fighting nears the town"
    assert "four schools" in html.document.text
    assert html.document.url == "https://news.example.org/schools-close"
    assert html.original.data == HTML_PAGE
    assert html.original.content_type == "text/html; charset=utf-8"
    assert html.original.url == "https://news.example.org/schools-close"
    assert html.original.retrieved_at == datetime(2024, 7, 20, 10, 0, tzinfo=UTC)
    assert html.original.origin == str(path)
    assert html.document.sha256 == sha256_hex(HTML_PAGE)
    assert html.extra["warc_record_id"].startswith("<urn:uuid:")
    assert html.extra["warc_offset"].isdigit()

    assert text.external_id == "https://news.example.org/market.txt"
    assert text.document.content_type == "text/plain"
    assert text.document.text == TEXT_PAGE.decode()
    assert text.original.retrieved_at == datetime(2024, 7, 21, 8, 30, 15, 250000, tzinfo=UTC)


def test_other_records_are_skipped_and_text_resources_kept(tmp_path: Path) -> None:
    results = list(iter_warc(write(tmp_path, build_warc(gz=True, with_extras=True), "x.warc.gz")))
    assert [r.external_id for r in results] == [
        "https://news.example.org/schools-close",
        "https://news.example.org/market.txt",
        "urn:monitor:note:1",
    ]
    resource = results[-1]
    assert isinstance(resource, InputItem)
    assert resource.original.data == RESOURCE_TEXT
    assert resource.original.content_type == "text/plain"
    assert resource.original.retrieved_at == datetime(2024, 7, 22, tzinfo=UTC)


def test_content_encoding_is_undone(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    response(writer, "https://news.example.org/gz", gzip.compress(TEXT_PAGE), "text/plain",
             extra_headers=[("Content-Encoding", "gzip")])
    (item,) = list(iter_warc(write(tmp_path, buffer.getvalue())))
    assert isinstance(item, InputItem)
    assert item.original.data == TEXT_PAGE


def test_missing_content_type_is_sniffed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    response(WARCWriter(buffer, gzip=False), "https://news.example.org/untyped", HTML_PAGE, None)
    (item,) = list(iter_warc(write(tmp_path, buffer.getvalue())))
    assert isinstance(item, InputItem)
    assert item.document.content_type == "text/html"
    assert item.original.content_type == "text/html"


def test_record_without_target_uri_is_named_by_its_record_id(tmp_path: Path) -> None:
    body = b"A handwritten resource record without a target URI.\n"
    record = (
        b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        b"WARC-Date: 2024-07-23T12:00:00Z\r\nContent-Type: text/plain\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body + b"\r\n\r\n"
    )
    (item,) = list(iter_warc(write(tmp_path, record)))
    assert isinstance(item, InputItem)
    assert item.external_id == "<urn:uuid:00000000-0000-4000-8000-000000000001>"
    assert item.original.url is None


def test_payload_over_the_cap_is_rejected_and_the_archive_goes_on(tmp_path: Path) -> None:
    html, text = list(iter_warc(write(tmp_path, build_warc(gz=False)), max_bytes=len(TEXT_PAGE) + 10))
    assert isinstance(html, Rejected) and html.code == "E004"
    assert isinstance(text, InputItem)


def test_empty_page_is_rejected_with_its_bytes(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    response(WARCWriter(buffer, gzip=False), "https://news.example.org/blank", b"   \n", "text/plain")
    (rejected,) = list(iter_warc(write(tmp_path, buffer.getvalue())))
    assert isinstance(rejected, Rejected)
    assert rejected.code == "E002"
    assert rejected.external_id == "https://news.example.org/blank"
    assert rejected.original is not None and rejected.original.data == b"   \n"


# --- damaged archives ------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_truncated_inside_the_second_page(tmp_path: Path, gz: bool) -> None:
    data = build_warc(gz=gz)
    if gz:
        # Cut inside the compressed third member: find where it starts by re-writing two records.
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        request(writer, "https://news.example.org/schools-close")
        response(writer, "https://news.example.org/schools-close", HTML_PAGE, "text/html; charset=utf-8")
        cut = len(buffer.getvalue()) + 200
    else:
        cut = data.index(b"Families return") + 20
    results = list(iter_warc(write(tmp_path, data[:cut], "cut.warc.gz" if gz else "cut.warc")))
    assert isinstance(results[0], InputItem)
    assert results[0].external_id == "https://news.example.org/schools-close"
    last = results[-1]
    assert isinstance(last, Rejected)
    # Plain: the payload is cut short (that record is damaged); gzip: its member cannot be inflated.
    assert last.code == ("E017" if gz else "E018")
    assert len(results) == 2


def test_cut_short_payload_is_e018_with_the_bytes_read(tmp_path: Path) -> None:
    data = build_warc(gz=False)
    cut = data.index(b"Families return") + 20
    results = list(iter_warc(write(tmp_path, data[:cut])))
    last = results[-1]
    assert isinstance(last, Rejected) and last.code == "E018"
    assert "cut short" in last.reason
    assert last.external_id == "https://news.example.org/market.txt"
    assert last.original is not None and last.original.data == TEXT_PAGE[:20]


def test_truncated_inside_a_record_header(tmp_path: Path) -> None:
    data = build_warc(gz=False)
    first = data.index(b"WARC-Type: response")
    cut = data.index(b"WARC-Type: response", first + 1) + 5  # inside the second response's header
    results = list(iter_warc(write(tmp_path, data[:cut])))
    assert isinstance(results[0], InputItem)
    assert isinstance(results[-1], Rejected) and results[-1].code == "E017"


def test_digest_mismatch_is_e018_and_the_next_record_is_read(tmp_path: Path) -> None:
    data = bytearray(build_warc(gz=False))
    at = data.index(b"four schools")
    data[at : at + 4] = b"FOUR"
    results = list(iter_warc(write(tmp_path, bytes(data))))
    damaged, text = results
    assert isinstance(damaged, Rejected) and damaged.code == "E018"
    assert "digest" in damaged.reason
    assert isinstance(text, InputItem)


@pytest.mark.parametrize("gz", [False, True])
def test_every_cut_position_ends_gracefully(tmp_path: Path, gz: bool) -> None:
    data = build_warc(gz=gz)
    complete = [r.external_id for r in iter_warc(write(tmp_path, data, "full.warc"))]
    path = tmp_path / "cut.warc"
    for cut in range(1, len(data), 13 if gz else 37):
        path.write_bytes(data[:cut])
        results = list(iter_warc(path))  # never raises
        items = [r.external_id for r in results if isinstance(r, InputItem)]
        assert items == complete[: len(items)]
        assert all(isinstance(r, Rejected) and r.code in {"E017", "E018"} for r in results[len(items):])
        assert len(results) - len(items) <= 1


def test_not_a_warc(tmp_path: Path) -> None:
    (rejected,) = list(iter_warc(write(tmp_path, b"Just some notes, not an archive.\n")))
    assert isinstance(rejected, Rejected) and rejected.code == "E017"


def test_empty_archive(tmp_path: Path) -> None:
    (rejected,) = list(iter_warc(write(tmp_path, b"")))
    assert isinstance(rejected, Rejected) and rejected.code == "E002"


def test_missing_archive_raises_e001(tmp_path: Path) -> None:
    with pytest.raises(CaacError) as info:
        list(iter_warc(tmp_path / "absent.warc"))
    assert info.value.code == "E001"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=3000), st.binary(max_size=400).map(lambda tail: b"WARC/1.0\r\n" + tail)))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.warc"
        path.write_bytes(data)
        results = list(iter_warc(path))
    assert all(isinstance(r, InputItem | Rejected) for r in results)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-20T10:00:00Z", datetime(2024, 7, 20, 10, tzinfo=UTC)),
        ("2024-07-20T12:00:00+02:00", datetime(2024, 7, 20, 10, tzinfo=UTC)),
        ("2024-07-20T10:00:00", datetime(2024, 7, 20, 10, tzinfo=UTC)),
        ("yesterday", None),
        (None, None),
    ],
)
def test_warc_date(value: str | None, expected: datetime | None) -> None:
    assert warc_date(value) == expected
