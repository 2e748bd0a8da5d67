"""Property-based tests (hypothesis) for the ingestion and span code, beside the hostile-input catalogue
(tests/test_hostile_inputs.py) and the fuzz targets (fuzz/, run by tests/test_fuzz.py).

Already covered elsewhere and not repeated here: ``decode_bytes`` on arbitrary bytes
(test_ingest_text.py), feeds and WARC archives on arbitrary bytes (test_ingest_feed.py,
test_ingest_warc.py), a folder of arbitrary files (test_ingest_sources.py), claim and trigger spans
on word soup (test_analyzer.py). Here: HTML extraction and JSON Lines parsing on arbitrary input,
plain-text documents from arbitrary Unicode, and *every* span of an analysis (victims, perpetrators,
places, times, evidence, boilerplate too) on allegation-like text with noise.
"""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.ingest.html import document_from_html
from caacwatch.ingest.jsonl import iter_jsonl
from caacwatch.ingest.text import document_from_text
from caacwatch.records import Document, ErrorRecord, span_problems

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_writable(document: Document) -> None:
    """Accepted documents can be written as the JSON contract and as UTF-8 (files, databases)."""
    json.dumps(document.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
    for piece in document.boilerplate:
        start, end = piece.span
        assert 0 <= start < end <= len(document.text)
        assert document.text[start:end] == piece.text


def assert_coded(exc: CaacError) -> None:
    assert exc.code[0] == "E" and exc.code[1:].isdigit()
    assert "\n" not in str(exc) and str(exc).startswith(f"[{exc.code}] ")


# --- HTML ------------------------------------------------------------------------------------
TAGS = st.sampled_from([
    "<html>", "<body>", "<div>", "</div>", "<p>", "</p>", "<article>", "</article>", "<script>", "</script>",
    "<style>", "<!--", "-->", "<![CDATA[", "]]>", "<img src=x onerror=alert(1)>", "<a href='javascript:x'>",
    "</a>", "<meta charset='utf-16'>", "<meta charset='x-unknown'>", "<title>", "</title>", "<table><tr><td>",
    "&amp;", "&#0;", "&#xD800;", "&#1114112;", "<br/>", "<p/>", "<", ">", "\x00", "\ufeff",
])
HTML_TEXT = st.lists(st.one_of(TAGS, st.text(max_size=40)), max_size=40).map("".join)


@FAST
@given(st.one_of(HTML_TEXT, HTML_TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=600)))
def test_html_extraction_only_raises_coded_errors(markup: str | bytes) -> None:
    try:
        document = document_from_html(markup, id="p")
    except CaacError as exc:
        assert_coded(exc)
        return
    assert document.text.strip()
    assert "<script" not in document.text.lower()
    assert_writable(document)


# --- JSON Lines ------------------------------------------------------------------------------
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(alphabet=st.characters(codec=None, categories=["L", "Zs", "Cs", "Cc", "So"]), max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
OBJECTS = st.fixed_dictionaries(
    {},
    optional={"id": VALUES, "text": VALUES, "title": VALUES, "url": VALUES, "published": VALUES, "source": VALUES},
)
LINES = st.one_of(
    OBJECTS.map(lambda obj: json.dumps(obj).encode()),  # ensure_ascii: lone surrogates become \udxxx escapes
    VALUES.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=80).filter(lambda b: b"\n" not in b),
)


@FAST
@given(st.lists(LINES, min_size=1, max_size=8))
def test_jsonl_gives_a_writable_result_for_every_line(lines: list[bytes]) -> None:
    results = list(iter_jsonl(io.BytesIO(b"\n".join(lines)), max_line_bytes=2000))
    assert len(results) == sum(1 for line in lines if line.strip())  # blank lines are skipped
    for result in results:
        if isinstance(result, ErrorRecord):
            assert result.code in {"E002", "E020", "E101", "E102", "E103", "E104"}
            assert "\n" not in result.error and result.error.startswith(f"[{result.code}] ")
            json.dumps(result.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
        else:
            assert_writable(result)


# --- plain text ------------------------------------------------------------------------------
@FAST
@given(st.text(max_size=400))
def test_text_documents_from_any_unicode(text: str) -> None:
    try:
        document = document_from_text(text, id="t")
    except CaacError as exc:
        assert_coded(exc)
        assert exc.code == "E002"
        return
    assert document.text == text  # a str is taken verbatim: spans index exactly it
    assert document.title is None or document.title in text
    assert_writable(document)


# --- every span of an analysis ---------------------------------------------------------------
WORDS = st.sampled_from([
    "children", "boys", "girls", "pupils", "14", "three", "dozens", "16-year-old", "abducted", "recruited",
    "killed", "maimed", "raped", "attacked", "shelled", "blocked", "aid", "school", "hospital", "convoy",
    "militia", "rebels", "army", "soldiers", "gunmen", "Russia", "Hamas", "al-Shabaab", "M23", "Gaza",
    "Kharkiv", "Borno", "Darfur", "said", "told", "reporters", "according", "to", "UNICEF", "the", "a", "in",
    "on", "by", "allegedly", "denied", "witness", "he", "she", "Monday", "March", "2024", "last", "week",
    ",", ".", "“", "”", "\"", "(", ")", "\n", "\n\n", "READ MORE:", "Picture:", "?", "—", "é", "😀",
])
NOISE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.one_of(WORDS, WORDS, WORDS, NOISE), min_size=3, max_size=80))
def test_every_span_of_an_analysis_indexes_the_text(analyzer, pieces: list[str]) -> None:
    text = " ".join(pieces)
    if not text.strip():
        return
    analysis = analyzer.analyze(document_from_text(text, id="s")).to_json_dict()
    assert analysis["document"]["text"] == text
    assert not span_problems(analysis, text)
