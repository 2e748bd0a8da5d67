"""iter_sources: folders, files by suffix, URLs, standard input, JSON Lines, feeds and WARC
archives as one stream that never stops on a bad input."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import caacwatch.ingest.sources as sources
from caacwatch.ingest.items import InputItem, Rejected
from caacwatch.ingest.sources import STDIN_ID, iter_sources
from caacwatch.ingest.text import sha256_hex
from tests.test_ingest_feed import PAGE_ONE, PAGE_TWO, Route, rss_feed, serving
from tests.test_ingest_warc import HTML_PAGE, build_warc

HTML = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Bridge repaired before the rains</title></head>
<body><article>
<p>Engineers finished repairing the bridge on Friday, so the school bus can run again, the mayor said.</p>
<p>Pupils from three villages had walked an extra hour each way since the bridge was damaged.</p>
</article></body></html>
"""
TEXT = b"""Night curfew lifted in the district

The night curfew was lifted on Sunday, the governor's office said, after two weeks without incidents.
"""
NESTED = b"Vaccination round completed\n\nHealth workers completed a vaccination round for children under five.\n"
LINES = [
    {"id": "line-a", "text": "Rains delayed the convoy by a day, the aid group said.", "title": "Convoy delayed"},
    "{not json",
    {"text": "A line without an id still counts."},
    {"id": "line-d", "text": "   "},
]


def jsonl_bytes() -> bytes:
    encoded = [line.encode() if isinstance(line, str) else json.dumps(line).encode() for line in LINES]
    return b"\n".join(encoded) + b"\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b_page.html").write_bytes(HTML)
    (root / "a_note.txt").write_bytes(TEXT)
    (root / "c_batch.jsonl").write_bytes(jsonl_bytes())
    (root / "d_empty.txt").write_bytes(b"")
    (root / "e_image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (root / "nested" / "deeper" / "f_story.txt").write_bytes(NESTED)
    (root / ".hidden.txt").write_bytes(TEXT)
    (root / ".git" / "config.txt").write_bytes(TEXT)
    return root


def ids(results: list[InputItem | Rejected]) -> list[str | None]:
    return [r.external_id for r in results]


def codes(results: list[InputItem | Rejected]) -> dict[str | None, str]:
    return {r.external_id: r.code for r in results if isinstance(r, Rejected)}


# --- folders ---------------------------------------------------------------------------------
def test_folder_in_sorted_order_with_every_kind_of_file(folder: Path) -> None:
    results = list(iter_sources([str(folder)]))
    assert ids(results) == [
        "a_note.txt",
        "b_page.html",
        "line-a",
        "c_batch.jsonl:2",
        "c_batch.jsonl:3",
        "line-d",
        "d_empty.txt",
        "e_image.bin",
        "nested/deeper/f_story.txt",
    ]
    assert codes(results) == {"c_batch.jsonl:2": "E101", "line-d": "E002", "d_empty.txt": "E002", "e_image.bin": "E003"}


def test_file_items_keep_their_bytes(folder: Path) -> None:
    results = {r.external_id: r for r in iter_sources([str(folder)])}
    page = results["b_page.html"]
    assert isinstance(page, InputItem)
    assert page.document.id == "b_page.html"
    assert page.document.title == "Bridge repaired before the rains"
    assert page.original.data == HTML
    assert page.original.content_type == "text/html"
    assert page.original.origin == str(folder / "b_page.html")
    assert page.original.url is None
    note = results["a_note.txt"]
    assert isinstance(note, InputItem)
    assert note.document.text == TEXT.decode()
    assert note.original.content_type == "text/plain"
    for result in results.values():
        if isinstance(result, InputItem):
            assert result.document.sha256 == sha256_hex(result.original.data)
            assert result.document.id == result.external_id
            stamp = result.original.retrieved_at
            assert stamp is not None and stamp.tzinfo is not None
            assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


def test_rejected_files_keep_their_bytes(folder: Path) -> None:
    results = {r.external_id: r for r in iter_sources([str(folder)])}
    image = results["e_image.bin"]
    assert isinstance(image, Rejected)
    assert image.original is not None and image.original.data.startswith(b"\x89PNG")
    assert "PNG image" in image.reason
    empty = results["d_empty.txt"]
    assert isinstance(empty, Rejected) and empty.original is not None and empty.original.data == b""


def test_jsonl_lines_keep_the_raw_line(folder: Path) -> None:
    results = {r.external_id: r for r in iter_sources([str(folder)])}
    first = results["line-a"]
    assert isinstance(first, InputItem)
    assert first.original.data == json.dumps(LINES[0]).encode()
    assert first.original.content_type == "application/json"
    assert first.original.origin == f"{folder / 'c_batch.jsonl'}:1"
    assert first.document.title == "Convoy delayed"
    assert first.document.sha256 == sha256_hex(first.original.data)
    broken = results["c_batch.jsonl:2"]
    assert isinstance(broken, Rejected)
    assert broken.original is not None and broken.original.data == b"{not json"
    no_id = results["c_batch.jsonl:3"]
    assert isinstance(no_id, InputItem) and no_id.document.id == "c_batch.jsonl:3"


def test_not_recursive(folder: Path) -> None:
    assert "nested/deeper/f_story.txt" not in ids(list(iter_sources([str(folder)], recursive=False)))


def test_order_is_deterministic(folder: Path) -> None:
    assert ids(list(iter_sources([str(folder)]))) == ids(list(iter_sources([str(folder)])))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinked_folder_loop_is_not_followed(folder: Path) -> None:
    (folder / "nested" / "loop").symlink_to(folder, target_is_directory=True)
    results = list(iter_sources([str(folder)]))
    assert len(results) == 9


def test_warc_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "crawl.warc.gz").write_bytes(build_warc(gz=True))
    results = list(iter_sources([str(tmp_path)]))
    assert ids(results) == ["https://news.example.org/schools-close", "https://news.example.org/market.txt"]
    first = results[0]
    assert isinstance(first, InputItem) and first.original.data == HTML_PAGE


# --- single files ----------------------------------------------------------------------------
def test_single_file_is_named_by_its_stem(folder: Path) -> None:
    (item,) = list(iter_sources([str(folder / "b_page.html")]))
    assert isinstance(item, InputItem)
    assert item.external_id == "b_page"
    assert item.document.id == "b_page"


def test_single_jsonl_file_names_lines_by_file_name(folder: Path) -> None:
    results = list(iter_sources([str(folder / "c_batch.jsonl")]))
    assert ids(results) == ["line-a", "c_batch.jsonl:2", "c_batch.jsonl:3", "line-d"]


def test_html_suffix_forces_the_html_path(tmp_path: Path) -> None:
    path = tmp_path / "fragment.htm"
    path.write_bytes(b"<p>Shelters opened in the school gym for displaced families.</p>")
    (item,) = list(iter_sources([str(path)]))
    assert isinstance(item, InputItem) and item.document.content_type == "text/html"


def test_bad_inputs_do_not_stop_the_rest(tmp_path: Path, folder: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    results = list(
        iter_sources(
            [str(tmp_path / "missing.txt"), "ftp://example.org/file.txt", str(big), str(folder / "a_note.txt")],
            max_bytes=1000,
        )
    )
    assert [(r.external_id, getattr(r, "code", None)) for r in results] == [
        ("missing", "E001"),
        ("ftp://example.org/file.txt", "E008"),
        ("big", "E004"),
        ("a_note", None),
    ]


def test_unexpected_exception_becomes_e019_and_the_folder_goes_on(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sources._document_from_bytes

    def flaky(data: bytes, **kwargs: object) -> object:
        if kwargs.get("doc_id") == "b_page.html":
            raise RuntimeError("parser exploded")
        return real(data, **kwargs)

    monkeypatch.setattr(sources, "_document_from_bytes", flaky)
    results = list(iter_sources([str(folder)]))
    page = next(r for r in results if r.external_id == "b_page.html")
    assert isinstance(page, Rejected) and page.code == "E019"
    assert "RuntimeError: parser exploded" in page.reason
    assert ids(results)[-1] == "nested/deeper/f_story.txt"


def test_unexpected_exception_inside_a_batch_ends_only_that_batch(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> Iterator[object]:
        raise MemoryError("simulated")
        yield

    monkeypatch.setattr(sources, "iter_jsonl_lines", broken)
    results = list(iter_sources([str(folder / "c_batch.jsonl"), str(folder / "a_note.txt")]))
    assert [(r.external_id, getattr(r, "code", None)) for r in results] == [
        (str(folder / "c_batch.jsonl"), "E019"),
        ("a_note", None),
    ]


# --- standard input --------------------------------------------------------------------------
def test_stdin_document() -> None:
    (item,) = list(iter_sources(["-"], stdin=TEXT))
    assert isinstance(item, InputItem)
    assert item.external_id == STDIN_ID
    assert item.original.data == TEXT
    assert item.original.origin == "-"


def test_stdin_stream_as_json_lines() -> None:
    results = list(iter_sources(jsonl=["-"], stdin=io.BytesIO(jsonl_bytes())))
    assert ids(results) == ["line-a", "stdin:2", "stdin:3", "line-d"]
    assert results[0].original is not None and results[0].original.origin == "-:1"


def test_empty_stdin() -> None:
    (rejected,) = list(iter_sources(["-"], stdin=b""))
    assert isinstance(rejected, Rejected) and rejected.code == "E002"


# --- URLs, feeds, batches and archives given by keyword ---------------------------------------
ROUTES: dict[str, Route] = {
    "/feed.rss": (200, "application/rss+xml", rss_feed("{base}"), {}),
    "/pages/one.html": (200, "text/html; charset=utf-8", PAGE_ONE, {}),
    "/pages/two.txt": (200, "text/plain", PAGE_TWO, {}),
    "/moved": (301, "text/plain", b"", {"Location": "/pages/one.html"}),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(ROUTES) as base:
        yield base


def test_url_spec(server: str) -> None:
    (item,) = list(iter_sources([f"{server}/moved"], allow_private=True))
    assert isinstance(item, InputItem)
    assert item.external_id == f"{server}/moved"
    assert item.original.data == PAGE_ONE
    assert item.original.url == f"{server}/pages/one.html"
    assert item.original.origin == f"{server}/moved"
    assert item.document.sha256 == sha256_hex(PAGE_ONE)


def test_url_spec_on_loopback_is_refused_by_default(server: str) -> None:
    (rejected,) = list(iter_sources([f"{server}/pages/one.html"]))
    assert isinstance(rejected, Rejected) and rejected.code == "E005"


def test_feed_jsonl_and_warc_keywords(server: str, folder: Path, tmp_path: Path) -> None:
    archive = tmp_path / "crawl.warc"
    archive.write_bytes(build_warc(gz=False))
    results = list(
        iter_sources(
            [str(folder / "a_note.txt")],
            feeds=[f"{server}/feed.rss"],
            jsonl=[str(folder / "c_batch.jsonl")],
            warc=[str(archive)],
            allow_private=True,
            timeout=5.0,
        )
    )
    assert ids(results) == [
        "a_note",
        "valley-wire-0001",
        "valley-wire-0002",
        f"{server}/pages/two.txt",
        f"{server}/pages/missing.html",
        "line-a",
        "c_batch.jsonl:2",
        "c_batch.jsonl:3",
        "line-d",
        "https://news.example.org/schools-close",
        "https://news.example.org/market.txt",
    ]


def test_feed_that_cannot_be_read_is_one_rejection(server: str) -> None:
    results = list(iter_sources(feeds=[f"{server}/pages/one.html", f"{server}/feed.rss"], max_entries=1))
    assert [(r.external_id, getattr(r, "code", None)) for r in results] == [
        (f"{server}/pages/one.html", "E005"),
        (f"{server}/feed.rss", "E005"),
    ]
    results = list(iter_sources(feeds=[f"{server}/pages/one.html"], allow_private=True))
    assert [(r.external_id, getattr(r, "code", None)) for r in results] == [(f"{server}/pages/one.html", "E013")]


def test_missing_jsonl_and_warc_are_rejections(tmp_path: Path) -> None:
    results = list(iter_sources(jsonl=[str(tmp_path / "no.jsonl")], warc=[str(tmp_path / "no.warc")]))
    assert [(r.external_id, getattr(r, "code", None)) for r in results] == [
        (str(tmp_path / "no.jsonl"), "E001"),
        (str(tmp_path / "no.warc"), "E001"),
    ]


# --- nothing raises out of iter_sources --------------------------------------------------------
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=4000),
        st.text(max_size=2000).map(lambda text: text.encode("utf-8", errors="surrogatepass")),
    ),
    suffix=st.sampled_from([".txt", ".html", ".jsonl", ".warc", ".warc.gz", ".bin", ""]),
)
def test_arbitrary_bytes_in_a_folder_never_raise(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / f"input{suffix}").write_bytes(data)
        (root / "zz_last.txt").write_bytes(TEXT)
        results = list(iter_sources([str(root)]))
    assert all(isinstance(r, InputItem | Rejected) for r in results)
    assert not any(isinstance(r, Rejected) and r.code == "E019" for r in results)
    last = results[-1]
    assert isinstance(last, InputItem) and last.external_id == "zz_last.txt"
    if suffix in (".txt", ".html", ".bin", ""):
        assert len(results) == 2
