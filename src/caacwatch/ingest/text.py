"""Plain text: byte decoding and ``Document`` construction.

Every span downstream indexes ``Document.text``, so decoding changes the text as
little as possible: strip a byte-order mark, turn ``\\r\\n`` and ``\\r`` into
``\\n``, apply Unicode NFC, nothing else.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata

from caacwatch.errors import CaacError, E
from caacwatch.ingest.boilerplate import find_boilerplate
from caacwatch.ingest.language import detect_language
from caacwatch.records import Boilerplate, Document

# Checked longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# File signatures of formats people try to feed in by mistake (office files, PDFs, images, archives).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or office document"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Microsoft Office document"),
    (b"{\\rtf", "RTF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x7fELF", "executable"),
)

# C0/C1 control characters other than tab, newline, vertical tab, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Above this share of control characters the "text" is binary data decoded by force.
_MAX_CONTROL_RATIO = 0.05
_NEWLINES = re.compile(r"\r\n?")
_HEADLINE_MAX_CHARS = 300
#: Longest text a document may have: spaCy's parser refuses longer texts (its ``max_length``), and no
#: article comes near it. Checked for every input, relevant or not, so the limit does not depend on content.
MAX_TEXT_CHARS = 1_000_000


def decode_bytes(
    data: bytes, *, declared_encoding: str | None = None, what: str = "input"
) -> tuple[str, str]:
    """Decode raw bytes to text and return ``(text, encoding)``.

    Order: byte-order mark; strict UTF-8; the ``declared_encoding`` (e.g. from an
    HTTP header or ``<meta charset>``) if it decodes cleanly; UTF-8 with a few stray
    legacy bytes read as cp1252; charset-normalizer when there is enough non-ASCII
    evidence (Cyrillic, Greek...); finally cp1252 with replacement characters, so any
    non-binary input decodes. The BOM is stripped, newlines become ``\\n`` and the
    text is NFC-normalised; nothing else changes.

    Raises ``CaacError`` E003 for binary data (file signatures, NUL bytes, many
    control characters) and E002 for empty or whitespace-only input.
    """
    if not data:
        raise CaacError(E.E002, what=what)
    text, encoding = _decode(data, declared_encoding, what)
    text = normalize_text(text)
    _reject_control_characters(text, what)
    if not text.strip():
        raise CaacError(E.E002, what=what)
    return text, encoding


def normalize_text(text: str) -> str:
    """Strip a leading BOM, normalise newlines to ``\\n`` and apply NFC."""
    text = text.removeprefix("\ufeff")
    text = _NEWLINES.sub("\n", text)
    return unicodedata.normalize("NFC", text)


def _decode(data: bytes, declared: str | None, what: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            # A BOM is explicit: trust it, and replace rather than fail on a damaged byte.
            return data[len(bom) :].decode(encoding, errors="replace"), encoding
    _reject_magic(data, what)
    if b"\x00" in data:
        return _decode_utf16_without_bom(data, what)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return (
        _decode_declared(data, declared)
        or _decode_mostly_utf8(data)
        or _decode_detected(data)
        or _decode_fallback(data)
    )


def _reject_magic(data: bytes, what: str) -> None:
    head = data[:16].lstrip()
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise CaacError(E.E003, what=what, reason=f"starts like a {kind}")


def _decode_utf16_without_bom(data: bytes, what: str) -> tuple[str, str]:
    """NUL bytes mean binary, unless the text is UTF-16 saved without a BOM (ASCII-heavy text
    then has a NUL in every other byte)."""
    sample = data[:4096]
    evens, odds = sample[0::2], sample[1::2]
    if len(sample) >= 4 and len(data) % 2 == 0:
        for zeros, others, encoding in ((odds, evens, "utf-16-le"), (evens, odds, "utf-16-be")):
            if zeros.count(0) > 0.9 * len(zeros) and others.count(0) < 0.1 * len(others):
                try:
                    return data.decode(encoding), encoding
                except UnicodeDecodeError:
                    break
    raise CaacError(E.E003, what=what, reason="contains NUL bytes")


def _decode_declared(data: bytes, declared: str | None) -> tuple[str, str] | None:
    if not declared:
        return None
    try:
        encoding = codecs.lookup(declared.strip().strip("'\"")).name
    except LookupError:
        return None  # an unknown charset label in a header is common; fall through to detection
    # WHATWG: pages labelled latin-1 are decoded as windows-1252 by every browser.
    if encoding in ("latin-1", "iso8859-1", "ascii"):
        encoding = "cp1252"
    if _IMPLAUSIBLE.match(encoding):
        return None  # "utf-16" on bytes without NULs is a wrong label, not UTF-16
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return None


# A valid multi-byte UTF-8 sequence. Legacy single-byte text almost never forms one by chance.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_CP1252_FALLBACK = "caacwatch.cp1252"


def _cp1252_for_invalid_utf8(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error(_CP1252_FALLBACK, _cp1252_for_invalid_utf8)


def _decode_mostly_utf8(data: bytes) -> tuple[str, str] | None:
    """UTF-8 with a few stray legacy bytes (text pasted together from two sources): keep the
    UTF-8 and read only the invalid bytes as cp1252, instead of re-decoding everything wrongly."""
    high = sum(1 for byte in data if byte >= 0x80)
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
    if in_sequences == 0 or in_sequences < 0.5 * high:
        return None
    return data.decode("utf-8", errors=_CP1252_FALLBACK), "utf-8+cp1252"


# Share of non-ASCII bytes above which a text is written in a non-Latin script (Cyrillic,
# Greek, Arabic...). Below it, the text is Latin with accents and quotes: cp1252 territory.
_NON_LATIN_SHARE = 0.2
# Fewer non-ASCII bytes than this is too little evidence for any detector ("Café" -> Arabic).
_MIN_EVIDENCE = 16
# Detector answers that are never right for text without NUL bytes (EBCDIC, UTF-16/32).
_IMPLAUSIBLE = re.compile(r"^(cp0?37|cp273|cp500|cp875|cp1026|cp1140|utf[-_]?(16|32))", re.I)


def _decode_detected(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer, only where it is reliable: on short or mostly-ASCII text it picks
    cp1250 for French or EBCDIC for a quoted word, so such text goes to the cp1252 fallback."""
    high = sum(1 for byte in data if byte >= 0x80)
    if high < _MIN_EVIDENCE or high < _NON_LATIN_SHARE * len(data.strip()):
        return None
    from charset_normalizer import from_bytes

    try:
        for match in from_bytes(data):
            if match.encoding and not _IMPLAUSIBLE.match(match.encoding):
                return str(match), str(match.encoding)
    except (LookupError, UnicodeError, ValueError):
        # A detector bug must not stop ingestion: the cp1252 fallback still yields text.
        return None
    return None


def _decode_fallback(data: bytes) -> tuple[str, str]:
    # cp1252 is the most common non-UTF-8 encoding of Western news text; its five undefined
    # bytes become U+FFFD rather than an exception.
    return data.decode("cp1252", errors="replace"), "cp1252"


def _reject_control_characters(text: str, what: str) -> None:
    sample = text[:100_000]
    controls = len(_CONTROL.findall(sample))
    if controls and controls > _MAX_CONTROL_RATIO * len(sample):
        share = controls / len(sample)
        raise CaacError(E.E003, what=what, reason=f"{share:.0%} control characters")


def check_text_length(text: str, what: str) -> None:
    """Raise ``CaacError`` E020 when ``text`` is longer than :data:`MAX_TEXT_CHARS`."""
    if len(text) > MAX_TEXT_CHARS:
        raise CaacError(E.E020, what=what, chars=len(text), limit=MAX_TEXT_CHARS)


def sha256_hex(data: bytes | str) -> str:
    """SHA-256 of the original bytes (a ``str`` is hashed as UTF-8)."""
    if isinstance(data, str):
        # surrogatepass: JSON input may carry lone surrogates, which plain UTF-8 cannot encode.
        data = data.encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()


def document_from_text(
    text_or_bytes: str | bytes,
    *,
    id: str | None = None,
    title: str | None = None,
    url: str | None = None,
    published: str | None = None,
    source_name: str | None = None,
    declared_encoding: str | None = None,
    what: str | None = None,
) -> Document:
    """Build a ``Document`` from plain text.

    Bytes are decoded with :func:`decode_bytes`; a ``str`` is taken verbatim (it is
    already decoded, and a caller such as the JSON Lines reader needs its spans to
    index exactly that string). ``Document.text`` is that text, unchanged.

    Without ``title``, a headline-like first line (short, no final period, followed by
    a blank line) becomes the title; it stays in ``text``. ``source_name`` is stored as
    ``outlet``; ``declared_encoding`` (e.g. an HTTP charset) is a hint for decoding bytes;
    ``what`` names the input in error messages (a path, a URL).
    Raises ``CaacError`` E002 for an empty text, E003 for binary bytes, E020 for a text longer than
    :data:`MAX_TEXT_CHARS`.
    """
    what = what or url or id or "input"
    if isinstance(text_or_bytes, bytes):
        text, _ = decode_bytes(text_or_bytes, declared_encoding=declared_encoding, what=what)
    else:
        text = text_or_bytes
        if not text.strip():
            raise CaacError(E.E002, what=what)
    check_text_length(text, what)
    boilerplate = find_boilerplate(text)
    return Document(
        id=id,
        text=text,
        title=title if title is not None else detect_headline(text, boilerplate),
        url=url,
        outlet=source_name,
        published=published,
        language=detect_language(text),
        content_type="text/plain",
        sha256=sha256_hex(text_or_bytes),
        boilerplate=boilerplate,
    )


# First line with visible content; [^\S\n] is "whitespace other than a newline" (so \r too).
_FIRST_LINE = re.compile(r"^[^\S\n]*(?P<line>\S[^\n]*?)[^\S\n]*$", re.M)
_BLANK_LINE_AFTER = re.compile(r"\n[^\S\n]*\n\s*\S")
_NOT_A_HEADLINE_END = (".", ",", ";", ":", "…")
_CLOSERS = "\"'”’)]»"
# A wire-story lead: "Kogelo, Kenya (CNN) -- ...", "(CNN)In the two years ...".
_DATELINE = re.compile(
    r"^[^()\n]{0,60}\((?:CNN|AP|AFP|Reuters|BBC|UPI|dpa|Xinhua)\b[^()\n]{0,30}\)"
    r"|^[^()\n]{0,60}\([^()\n]{1,40}\)\s*(?:--|—|–)\s"
)
# A lone date line ("January 16, 2015") is a dateline, not a headline.
_DATE_ONLY = re.compile(r"^(?:\w+\.? \d{1,2},? \d{4}|\d{1,2} \w+\.? \d{4}|\d{4}-\d{2}-\d{2})$")
# Question headlines are short; a long line ending in "?" is a question lead paragraph.
_QUESTION_HEADLINE_MAX_WORDS = 12
# Two sentences joined by ". " make a lead paragraph, not a headline ("?" is fine: "X? Y").
_TWO_SENTENCES = re.compile(r"[a-z0-9][.!][\"”’)]?\s+[A-Z\"“]")


def detect_headline(text: str, boilerplate: list[Boilerplate] | None = None) -> str | None:
    """The first non-empty line if it looks like a headline, else None.

    A headline is short (< 300 characters), has a letter, does not end like a sentence or
    a lead-in (``.`` ``,`` ``;`` ``:``, also before a closing quote), is not a wire-story
    lead ("Paris (CNN) -- ..."), two sentences, a date or a long question, is followed by a blank line and then more
    text, and is not a boilerplate line.
    """
    match = _FIRST_LINE.search(text)
    if match is None:
        return None
    line = match.group("line")
    if len(line) >= _HEADLINE_MAX_CHARS or line.rstrip(_CLOSERS).endswith(_NOT_A_HEADLINE_END):
        return None
    if not any(ch.isalpha() for ch in line):
        return None
    if _DATELINE.search(line) or _TWO_SENTENCES.search(line) or _DATE_ONLY.match(line):
        return None
    if line.rstrip(_CLOSERS).endswith("?") and len(line.split()) > _QUESTION_HEADLINE_MAX_WORDS:
        return None
    if not _BLANK_LINE_AFTER.match(text, match.end()):
        return None
    start = match.start("line")
    if any(bp.span[0] <= start < bp.span[1] for bp in boilerplate or ()):
        return None
    return line


_ANY_WHITESPACE = re.compile(r"\s+")


def text_key(text: str) -> str:
    """SHA-256 of the normalised text (NFC, whitespace collapsed, trimmed): the store's document key.

    Two inputs whose text differs only in spacing, line breaks or Unicode composition are the
    same document; their original bytes are kept apart as evidence.
    """
    normalised = _ANY_WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return sha256_hex(normalised)
