"""JSON Lines batches: documents, per-line errors, streaming."""

from __future__ import annotations

import io
import itertools
import json
import tracemalloc
from pathlib import Path

import pytest

from caacwatch.errors import CaacError
from caacwatch.ingest.jsonl import iter_jsonl
from caacwatch.records import Document, ErrorRecord

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles.jsonl"

GOOD = {
    "id": "doc-1",
    "source": "example-wire",
    "title": "Convoy reaches district",
    "published": "2024-07-20",
    "url": "https://example.org/convoy",
    "text": "A convoy reached the district on Friday, aid workers said.\r\n\r\nREAD MORE\r\n",
}


def lines(*items: object) -> bytes:
    return b"".join((item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in items)


def test_good_line_becomes_a_document() -> None:
    (doc,) = list(iter_jsonl(io.BytesIO(lines(GOOD))))
    assert isinstance(doc, Document)
    assert doc.id == "doc-1"
    assert doc.text == GOOD["text"]  # exactly the input, \r\n included
    assert doc.title == "Convoy reaches district"
    assert doc.published == "2024-07-20"
    assert doc.url == "https://example.org/convoy"
    assert doc.outlet == "example-wire"
    assert doc.language == "en"
    assert [(bp.text, bp.kind) for bp in doc.boilerplate] == [("READ MORE", "read_more")]
    bp = doc.boilerplate[0]
    assert doc.text[bp.span[0] : bp.span[1]] == "READ MORE"


def test_bad_lines_become_error_records_and_iteration_goes_on() -> None:
    data = lines(
        GOOD,
        b'{"id": "broken-1", "text": "unterminated',
        b"",
        b"   ",
        {"id": "no-text"},
        {"id": "num-text", "text": 42},
        ["a", "list"],
        {"id": "bad-title", "text": "Some text here.", "title": ["x"]},
        {"id": "empty", "text": "  \n "},
        {"id": 7, "text": "An integer id is kept as a string."},
        b"\xff\xfe not utf-8",
        b'{"id": "deep", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        {"text": "No id at all, still a document."},
        dict(GOOD, id="doc-last"),
    )
    results = list(iter_jsonl(io.BytesIO(data)))
    summary = [(r.code if isinstance(r, ErrorRecord) else "doc", r.id) for r in results]
    assert summary == [
        ("doc", "doc-1"),
        ("E101", "broken-1"),
        ("E102", "no-text"),
        ("E102", "num-text"),
        ("E102", None),
        ("E103", "bad-title"),
        ("E002", "empty"),
        ("doc", "7"),
        ("E101", None),
        ("E101", "deep"),
        ("doc", None),
        ("doc", "doc-last"),
    ]
    errors = [r for r in results if isinstance(r, ErrorRecord)]
    assert "Line 2" in errors[0].error  # blank lines still count as lines
    assert all(r.error.startswith(f"[{r.code}]") for r in errors)


def test_overlong_line_is_skipped_with_its_id() -> None:
    long_line = {"id": "too-long", "text": "x" * 5000}
    results = list(iter_jsonl(io.BytesIO(lines(long_line, GOOD)), max_line_bytes=1000))
    assert [(getattr(r, "code", "doc"), r.id) for r in results] == [("E104", "too-long"), ("doc", "doc-1")]


def test_text_stream_path_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines(GOOD, dict(GOOD, id="doc-2")))
    assert [d.id for d in iter_jsonl(path)] == ["doc-1", "doc-2"]
    assert [d.id for d in iter_jsonl(str(path))] == ["doc-1", "doc-2"]
    with path.open(encoding="utf-8-sig") as stream:
        assert [d.id for d in iter_jsonl(stream)] == ["doc-1", "doc-2"]
    text_stream = io.StringIO("\ufeff" + lines(GOOD).decode())
    assert [d.id for d in iter_jsonl(text_stream)] == ["doc-1"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(CaacError) as info:
        list(iter_jsonl(tmp_path / "nope.jsonl"))
    assert info.value.code == "E001"
    with pytest.raises(CaacError) as info:
        list(iter_jsonl(tmp_path))
    assert info.value.code == "E011"


def test_iteration_is_lazy() -> None:
    class CountingStream(io.BytesIO):
        reads = 0

        def readline(self, size: int | None = -1) -> bytes:
            CountingStream.reads += 1
            return super().readline(size)

    stream = CountingStream(lines(*[dict(GOOD, id=f"d{i}") for i in range(1000)]))
    first = next(iter(iter_jsonl(stream)))
    assert first.id == "d0"
    assert CountingStream.reads == 1


def test_real_corpus_head_streams() -> None:
    if not CORPUS.is_file():
        pytest.skip("../shared/corpus is absent")
    tracemalloc.start()
    try:
        docs = list(itertools.islice(iter_jsonl(CORPUS), 50))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The file is 76 MB; reading 50 lines must not load it.
    assert peak < 20_000_000
    assert len(docs) == 50
    with CORPUS.open("rb") as raw:
        originals = [json.loads(line) for line in itertools.islice(raw, 50)]
    for doc, original in zip(docs, originals, strict=True):
        assert isinstance(doc, Document), doc
        assert doc.id == original["id"]
        assert doc.text == original["text"]
        assert doc.outlet == original["source"]
        for bp in doc.boilerplate:
            assert doc.text[bp.span[0] : bp.span[1]] == bp.text
    assert sum(isinstance(doc, Document) and doc.language == "en" for doc in docs) >= 48
