"""Plain-text ingestion: decoding, headline detection, language, the seed article."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.ingest.text import decode_bytes, detect_headline, document_from_text

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_4f689e591308a576.txt"

ARTICLE = (
    "Militia accused of recruiting boys in the east\n"
    "\n"
    "A local monitoring group said on Tuesday that an armed group had recruited at least "
    "twelve boys from two villages near the border.\n"
    "\n"
    "The group denied the accusation in a statement.\n"
)
FRENCH = "Le ministère a déclaré que l'école était fermée depuis l'attaque. Les élèves sont rentrés chez eux."


# --- decode_bytes ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected_text", "expected_encoding"),
    [
        (ARTICLE.encode("utf-8"), ARTICLE, "utf-8"),
        (codecs.BOM_UTF8 + ARTICLE.encode("utf-8"), ARTICLE, "utf-8"),
        ("Caf\u00e9 \u2014 \u201cquoted\u201d".encode("utf-16"), "Caf\u00e9 \u2014 \u201cquoted\u201d", None),
        (codecs.BOM_UTF16_BE + "Gar\u00e7on".encode("utf-16-be"), "Gar\u00e7on", "utf-16-be"),
        (codecs.BOM_UTF32_LE + "na\u00efve".encode("utf-32-le"), "na\u00efve", "utf-32-le"),
        ("The children\u2019s school \u2014 \u201cno one\u201d was hurt.".encode("cp1252"),
         "The children\u2019s school \u2014 \u201cno one\u201d was hurt.", "cp1252"),
        (FRENCH.encode("latin-1"), FRENCH, "cp1252"),
        ("Caf\u00e9".encode("latin-1"), "Caf\u00e9", "cp1252"),
        ("Hello, this is UTF-16 without a byte-order mark.".encode("utf-16-le"),
         "Hello, this is UTF-16 without a byte-order mark.", "utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "utf32le-bom", "cp1252", "latin1", "latin1-short",
         "utf16le-no-bom"],
)
def test_decode_bytes_encodings(data: bytes, expected_text: str, expected_encoding: str | None) -> None:
    text, encoding = decode_bytes(data)
    assert text == expected_text
    assert "\ufeff" not in text
    if expected_encoding:
        assert encoding == expected_encoding


def test_decode_bytes_cyrillic_legacy_encoding_is_detected() -> None:
    sentence = "Дети были похищены вооружённой группой в понедельник, сообщили местные власти. " * 2
    text, encoding = decode_bytes(sentence.encode("cp1251"))
    assert text == sentence
    assert encoding == "cp1251"


def test_decode_bytes_mixed_utf8_and_latin1_keeps_both() -> None:
    data = "Café in Kyiv ".encode() + "and café in Paris".encode("latin-1")
    text, _ = decode_bytes(data)
    assert text == "Café in Kyiv and café in Paris"


def test_decode_bytes_invalid_bytes_become_replacement_characters() -> None:
    text, encoding = decode_bytes(b"abc \x81\x8d def")  # undefined in cp1252
    assert text == "abc \ufffd\ufffd def"
    assert encoding == "cp1252"


def test_decode_bytes_declared_encoding_is_used_when_not_utf8() -> None:
    data = "Ζ παιδιά".encode("iso-8859-7")
    assert decode_bytes(data, declared_encoding="iso-8859-7") == ("Ζ παιδιά", "iso8859-7")
    # An unknown label in a header is ignored, not fatal.
    assert decode_bytes(b"plain ascii", declared_encoding="x-no-such-charset")[0] == "plain ascii"


def test_decode_bytes_normalises_newlines_and_nfc_only() -> None:
    text, _ = decode_bytes(b"line one\r\nline two\rline three\n  indented\t tab ")
    assert text == "line one\nline two\nline three\n  indented\t tab "
    decomposed = "e\u0301cole".encode()
    assert decode_bytes(decomposed)[0] == "\u00e9cole"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "ZIP"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "Office"),
        (b"some text\x00with a NUL byte\x00and more", "NUL"),
        (bytes(range(1, 32)) * 10, "control characters"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
    ],
    ids=["pdf", "zip", "png", "ole", "nul", "controls", "gzip"],
)
def test_decode_bytes_rejects_binary(data: bytes, reason: str) -> None:
    with pytest.raises(CaacError) as info:
        decode_bytes(data)
    assert info.value.code == "E003"
    assert reason in str(info.value)


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\r\n\t ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b" \n"])
def test_decode_bytes_rejects_empty(data: bytes) -> None:
    with pytest.raises(CaacError) as info:
        decode_bytes(data)
    assert info.value.code == "E002"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_decode_bytes_only_ever_raises_caac_errors(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data)
    except CaacError as exc:
        assert exc.code in {"E002", "E003"}
    else:
        assert isinstance(text, str) and text.strip()
        assert "\r" not in text
        assert encoding


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500), st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]))
def test_decode_bytes_never_crashes_on_encoded_text(text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    try:
        decode_bytes(data)
    except CaacError as exc:
        assert exc.code in {"E002", "E003"}


# --- document_from_text ----------------------------------------------------------------------
def test_document_from_text_keeps_text_and_detects_title() -> None:
    doc = document_from_text(ARTICLE, id="a1", url="https://example.org/a1", published="2024-07-01",
                             source_name="Example Monitor")
    assert doc.text == ARTICLE
    assert doc.title == "Militia accused of recruiting boys in the east"
    assert doc.text.startswith(doc.title)  # the title stays in the text
    assert doc.id == "a1" and doc.url == "https://example.org/a1" and doc.published == "2024-07-01"
    assert doc.outlet == "Example Monitor"
    assert doc.content_type == "text/plain"
    assert doc.language == "en"
    assert doc.sha256 == hashlib.sha256(ARTICLE.encode()).hexdigest()


def test_document_from_text_bytes_hash_is_of_the_original_bytes() -> None:
    data = codecs.BOM_UTF8 + ARTICLE.replace("\n", "\r\n").encode()
    doc = document_from_text(data)
    assert doc.text == ARTICLE
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_document_from_text_explicit_title_wins() -> None:
    assert document_from_text(ARTICLE, title="Given").title == "Given"


def test_document_from_text_str_is_taken_verbatim() -> None:
    text = "Headline here\r\n\r\nBody text that follows the headline.\r\n"
    doc = document_from_text(text)
    assert doc.text == text
    assert doc.title == "Headline here"


def test_document_from_text_rejects_empty() -> None:
    with pytest.raises(CaacError) as info:
        document_from_text("  \n ")
    assert info.value.code == "E002"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (ARTICLE, "Militia accused of recruiting boys in the east"),
        ("\n\n  Spaced headline  \n\nBody.", "Spaced headline"),
        ("Is this a headline?\n\nYes it is.", "Is this a headline?"),
        ("A sentence that ends with a period.\n\nMore text.", None),
        ("Headline without a blank line\nBody continues here.", None),
        ("Only one line, no body", None),
        ("He said:\n\nSomething.", None),
        ("12345\n\nNumbers are not a headline.", None),
        (("Very long " * 40) + "\n\nBody.", None),
        ("READ MORE\n\nBody.", None),
        ('He called it "a disgrace."\n\nBody.', None),
        ("Kogelo, Kenya (CNN) -- The village was quiet\n\nBody.", None),
        ("(CNN)Life on Mars?\n\nBody.", None),
        ("January 16, 2015\n\nBody.", None),
        ("Schools shut. Pupils sent home\n\nBody.", None),
        ("Would the children ever return to the school that had been their shelter for a year?\n\nBody.", None),
        ("Who attacked the school?\n\nBody.", "Who attacked the school?"),
    ],
)
def test_detect_headline(text: str, title: str | None) -> None:
    from caacwatch.ingest.boilerplate import find_boilerplate

    assert detect_headline(text, find_boilerplate(text)) == title


def test_language_detection() -> None:
    assert document_from_text(FRENCH + " " + FRENCH).language == "fr"
    assert document_from_text("12 34 56").language is None


# --- the seed article ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seed_doc():
    if not SEED.is_file():
        pytest.skip("../shared/seed is not available")
    return document_from_text(SEED.read_bytes(), id="seed")


def test_seed_title(seed_doc) -> None:
    assert seed_doc.title == (
        "Russia Recruits Child Soldiers? Ukraine Human Rights Officials Accuse Kremlin of Hiring "
        "Children to Boost Troop Numbers"
    )
    assert seed_doc.language == "en"
    assert seed_doc.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_seed_boilerplate(seed_doc) -> None:
    kinds = {bp.text: bp.kind for bp in seed_doc.boilerplate}
    assert kinds["Representative image Twitter"] == "representative_image"
    assert kinds["READ MORE"] == "read_more"
    # The caption of the stock picture must not be read as a claim that children carry arms.
    assert kinds.get("Children with arms") == "caption"
    for bp in seed_doc.boilerplate:
        assert seed_doc.text[bp.span[0] : bp.span[1]] == bp.text


def test_seed_no_real_sentence_flagged(seed_doc) -> None:
    for bp in seed_doc.boilerplate:
        assert not bp.text.endswith("."), bp
        assert len(bp.text.split()) <= 6, bp
    flagged = {bp.text for bp in seed_doc.boilerplate}
    assert flagged == {"Children with arms", "Representative image Twitter", "READ MORE"}
