"""The hostile-input catalogue (issue #5): every bad input a monitor can meet, and what caacwatch does.

Each row is one ``Case`` below and is tested on every path a user takes that it applies to:

* **analyze** — ``caacwatch analyze INPUT`` (one input): an error is one coded line on stderr, exit 2,
  never a traceback; an accepted input gives its analysis (exit 0);
* **ingest** — one ``caacwatch ingest`` run into a real SQLite database that reads *every* case at once
  (a folder of bad files, bad specs, a JSON Lines file of bad lines, a feed, a WARC, a URL) together
  with good documents: the run finishes, each bad input is a stored rejection with its code and a
  one-line reason, and the good documents of the same run are stored and analysed;
* **jsonl** — ``caacwatch analyze --jsonl`` over one batch of every case that has a JSON line: a bad
  line becomes ``{"id", "error", "code"}`` in its place and the batch goes on.

Codes are those of ``src/caacwatch/errors.py``; "accepted" means the input is analysed and stored.

| case | the bad input | what caacwatch does |
| --- | --- | --- |
| empty-file | a 0-byte file; a JSON line whose text is "" | E002 |
| whitespace-only | spaces, tabs and blank lines only | E002 |
| unicode-whitespace-only | no-break, em and ideographic spaces only | E002 |
| png-image | a PNG image named ``.txt`` | E003 "starts like a PNG image" |
| elf-executable | an ELF executable | E003 "starts like a executable" |
| zip-archive | a ZIP archive (an office document) | E003 |
| pdf-document | a PDF file | E003 |
| nul-heavy-bytes | random bytes, a third of them NUL | E003 "contains NUL bytes" |
| random-bytes | random bytes without NUL | E003 "control characters" |
| invalid-utf8 | English text with broken UTF-8 sequences | accepted: decoded (cp1252 for the bad bytes), analysed |
| mixed-utf8-latin1 | a UTF-8 file with Latin-1 bytes pasted in | accepted: both "café"s read as "café" |
| utf16-le-no-bom | UTF-16-LE without a byte-order mark | accepted: decoded as UTF-16-LE, analysed as English |
| utf16-be-no-bom | UTF-16-BE without a byte-order mark | accepted, as above |
| utf16-bom-odd-length | UTF-16 with a BOM and a dangling last byte | accepted: the damaged byte becomes U+FFFD |
| cp1251-russian | Russian in the legacy Windows-1251 encoding | accepted: detected, language ``ru``, not analysed |
| file-200mb | a 200 MB (sparse) text file | E004 from its size, before any byte is read |
| endless-device | ``/dev/zero``: stat() says 0 bytes, reading never ends | E004 after limit + 1 bytes (was: read forever) |
| text-over-1m-chars | 1.1 million characters of allegations (under the byte cap) | E020 (was: spaCy's E088 traceback) |
| deeply-nested-html | 5,000 nested ``<div>`` elements | E010 |
| html-without-text | a page of scripts and styles only | E009 |
| html-scripts-handlers | ``<script>``, ``onerror=``, ``javascript:`` around an article | accepted: the text holds none of it |
| markup-in-text | a text article carrying ``<script>``/``onerror`` markup as text | accepted, stored verbatim; the workbench escapes it |
| control-characters | terminal escapes (ESC, BEL) inside an article | accepted, analysed; JSON escapes them |
| long-line-no-spaces | 400,000 characters without a space | accepted, not relevant, fast |
| repeated-word-1mb | 990,000 characters: one word over and over | accepted, not relevant, fast |
| french-article | French, about children recruited | accepted: language ``fr``, flag ``unsupported_language``, no allegation |
| arabic-article | Arabic, same story | accepted: ``ar``, ``unsupported_language``, no allegation |
| russian-article | Russian, same story | accepted: ``ru``, ``unsupported_language``, no allegation |
| ukrainian-article | Ukrainian, same story | accepted: ``uk``, ``unsupported_language``, no allegation |
| directory | a directory given as the input file | E011 (``ingest`` walks a folder instead) |
| unreadable-file | a file with mode 000 (skipped when run as root) | E012 |
| symlink-loop | ``a -> b -> a`` symbolic links | E012 "Too many levels of symbolic links" (was: E001; E019 ending the folder) |
| jsonl-truncated-line | a line cut off mid-string | E101, the id recovered from the raw line |
| jsonl-array | a JSON array instead of an object | E102 |
| jsonl-string | a JSON string | E102 |
| jsonl-null | ``null`` | E102 |
| jsonl-missing-text | an object without ``text`` | E102 |
| jsonl-text-number | ``"text": 42`` | E102 |
| jsonl-text-nan | ``"text": NaN`` | E102 |
| jsonl-title-number | ``"title": 7`` | E103 |
| jsonl-id-object | ``"id": {...}`` | E103 |
| jsonl-invalid-utf8 | Latin-1 bytes in a line | E101 "not UTF-8" |
| jsonl-deep-nesting | 100,000 nested ``[`` | E101 "nested too deeply" |
| jsonl-lone-surrogate | ``"\\udfff"`` inside the text (valid JSON, not Unicode) | E101 (was: a crash of the whole batch) |
| jsonl-huge-line | one line over 10 MB | E104, never held whole in memory |
| jsonl-nul-after-place | a NUL character after a place name ("Kharkiv \\x00") | accepted, analysed (was E299: the gazetteer crashed) |
| feed-thousands | an RSS feed of 5,003 entries (one repeated) | the first 5,000 read (each E015, stored once), then E014 |
| feed-not-a-feed | a web page given as a feed | E013 |
| warc-truncated | a WARC cut inside its second record | the first page stored; E018 for the damaged record |
| warc-garbage | a text file given as a WARC | E017 |
| url-redirect-private | a URL that redirects to 10.1.2.3 | E005 (every redirect hop is checked) |

Not rows of the table but tested below: the good documents of the ingest run are stored; error lines
printed by the CLI fit on one line; the human report does not pass terminal escapes through; the
workbench shows article markup escaped; a long line without spaces is linked in linear time.
"""

from __future__ import annotations

import http.server
import io
import ipaddress
import json
import os
import random
import re
import sqlite3
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caacwatch.cli import app

runner = CliRunner()

# --- texts written for this catalogue ---------------------------------------------------------
ARTICLE = (
    "Armed men abducted 14 pupils from a primary school in Zamfara State on Tuesday, a local government "
    "official told reporters.\n\nThe state police said a search was under way in the forest near the village.\n"
)
SECOND_ARTICLE = (
    "Gunmen killed three children in an attack on a school in Kauru on Friday, the state governor said.\n\n"
    "Teachers said the attackers arrived on motorcycles before dawn.\n"
)
DULL = "The council approved the budget for road repairs on Thursday, and work starts in the spring.\n"
FRENCH = (
    "Des groupes armés ont recruté des dizaines d'enfants dans les villages de l'est du pays au cours du mois "
    "dernier, selon un responsable local. Les familles affirment que des garçons de douze ans ont été emmenés "
    "de force vers les camps des rebelles, et la police dit avoir ouvert une enquête."
)
ARABIC = (
    "أفاد مسؤول محلي بأن جماعة مسلحة جندت عشرات الأطفال من القرى في شرق البلاد خلال الشهر الماضي. "
    "وقالت العائلات إن صبية في الثانية عشرة من العمر أخذوا بالقوة إلى معسكرات المتمردين، بينما أعلنت "
    "الشرطة أنها فتحت تحقيقا في الأمر."
)
RUSSIAN = (
    "Вооружённые группы завербовали десятки детей в деревнях на востоке страны за последний месяц, сообщил "
    "местный чиновник. Семьи говорят, что мальчиков двенадцати лет силой увезли в лагеря повстанцев, а "
    "полиция заявила, что начала расследование."
)
UKRAINIAN = (
    "Збройні угруповання завербували десятки дітей у селах на сході країни протягом минулого місяця, "
    "повідомив місцевий посадовець. Родини кажуть, що хлопчиків дванадцяти років силоміць вивезли до "
    "таборів повстанців, а поліція заявила, що розпочала розслідування."
)
MARKUP = '<script>alert("x")</script> <img src=x onerror=alert(1)> <a href="javascript:alert(2)">more</a>'
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m"
HOSTILE_PAGE = f"""<!doctype html><html><head><title>Pupils abducted in Zamfara</title>
<script>document.write("SCRIPT_PAYLOAD")</script><style>body {{ color: red }}</style></head>
<body onload="alert('ONLOAD_PAYLOAD')"><article><h1>Pupils abducted in Zamfara</h1>
<p onclick="alert('ONCLICK_PAYLOAD')">{ARTICLE.split(chr(10))[0]}</p>
<p>The state police said a search was under way in the forest near the village.
<img src="x.png" onerror="alert('ONERROR_PAYLOAD')"></p>
<p>Parents gathered at the school gate. <a href="javascript:alert('JS_URL_PAYLOAD')">Read more</a></p>
<script>alert("INLINE_PAYLOAD")</script>
<p>{"Relatives waited for news through the night at the district office. " * 3}</p>
</article></body></html>"""
PAYLOAD_MARKERS = ("SCRIPT_PAYLOAD", "ONLOAD_PAYLOAD", "ONCLICK_PAYLOAD", "ONERROR_PAYLOAD", "JS_URL_PAYLOAD",
                   "INLINE_PAYLOAD", "alert", "javascript:", "<script", "onerror")


def _random_bytes(size: int, *, nul_share: float) -> bytes:
    rng = random.Random(20240727)  # the same bytes every run
    data = bytearray(rng.randrange(1, 256) for _ in range(size))
    for index in rng.sample(range(size), int(size * nul_share)):
        data[index] = 0
    return bytes(data)


def _feed(entries: int) -> bytes:
    """A feed whose generator repeats one entry without text or link (each is an E015 rejection; being
    the same entry, it is stored once: 5,000 distinct rejections would cost ~20 s of database writes)."""
    items = b'<item><title>Wire</title><guid isPermaLink="false">urn:wire:repeated</guid></item>' * entries
    return b'<?xml version="1.0"?><rss version="2.0"><channel><title>Big wire</title>' + items + b"</channel></rss>"


def _truncated_warc() -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for uri, body in (("https://news.example.org/zamfara", ARTICLE), ("https://news.example.org/kauru", SECOND_ARTICLE)):
        http_headers = StatusAndHeaders("200 OK", [("Content-Type", "text/plain; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body.encode()),
                                                      http_headers=http_headers))
    data = buffer.getvalue()
    return data[: data.index(b"Teachers said") + 10]  # cut inside the second record's payload


# --- the catalogue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One bad input. ``code`` is the error or rejection code on every path (``None``: accepted).

    The input is given as ``data`` (a file: analysed alone, and ingested from a folder as
    ``<id><suffix>``), ``text`` (also a JSON line ``{"id", "text"}``), ``line`` (a raw JSON line only),
    or ``setup`` (builds a special input in a folder and returns its spec; ``option`` is the ingest
    option it goes under, e.g. ``--feed``; ``analyze=False`` when ``caacwatch analyze`` cannot take it).
    """

    id: str
    code: str | None
    data: Callable[[], bytes] | None = None
    suffix: str = ".txt"
    text: str | None = None
    line: Callable[[], bytes] | None = None
    setup: Callable[[Path], str] | None = None
    option: str | None = None
    analyze: bool = True
    ingest: bool = True
    reason: str = ""  # a fragment of the message (errors) or of the text (accepted inputs)
    check: Callable[[dict[str, Any]], None] | None = None  # accepted: more checks on the analysis
    ingest_id: str | None = None  # the external id of a special input in the ingest run
    root_skips: bool = False  # meaningless as root (root reads a mode-000 file)

    def file_bytes(self) -> bytes | None:
        if self.data is not None:
            return self.data()
        return self.text.encode("utf-8") if self.text is not None else None

    def json_line(self) -> bytes | None:
        if self.line is not None:
            return self.line()
        if self.text is not None:
            return json.dumps({"id": self.id, "text": self.text}, ensure_ascii=False).encode("utf-8")
        return None


def _foreign(language: str) -> Callable[[dict[str, Any]], None]:
    def check(analysis: dict[str, Any]) -> None:
        assert analysis["document"]["language"] == language
        assert "unsupported_language" in analysis["flags"]
        assert analysis["allegations"] == [] and analysis["claims"] == [] and analysis["relevant"] is False
        assert analysis["pipeline"]["prefilter"] == "rejected"  # never given to the English parser

    return check


def _english_relevant(analysis: dict[str, Any]) -> None:
    assert analysis["document"]["language"] == "en"
    assert analysis["relevant"] is True
    assert "abduction" in {a["violation"] for a in analysis["allegations"]}


def _no_script(analysis: dict[str, Any]) -> None:
    _english_relevant(analysis)
    text = analysis["document"]["text"]
    for marker in PAYLOAD_MARKERS:
        assert marker not in text


def _markup_kept(analysis: dict[str, Any]) -> None:
    assert MARKUP in analysis["document"]["text"]  # stored as the text it is; escaped where shown
    _english_relevant(analysis)


def _not_relevant_fast(analysis: dict[str, Any]) -> None:
    assert analysis["relevant"] is False and analysis["allegations"] == []


def _mixed(analysis: dict[str, Any]) -> None:
    assert analysis["document"]["text"].startswith("Café and café")
    _english_relevant(analysis)


def _cp1251(analysis: dict[str, Any]) -> None:
    assert analysis["document"]["text"] == RUSSIAN
    _foreign("ru")(analysis)


def _replacement(analysis: dict[str, Any]) -> None:
    assert analysis["document"]["text"].endswith("\ufffd")
    _english_relevant(analysis)


NUL_AFTER_PLACE = ARTICLE.replace("in Zamfara State", "in Kharkiv \x00")


def _nul_after_place(analysis: dict[str, Any]) -> None:
    assert analysis["document"]["text"] == NUL_AFTER_PLACE
    assert analysis["relevant"] is True
    assert "Kharkiv" in {place["name"] for place in analysis["places"]}


def _make_directory(folder: Path) -> str:
    path = folder / "directory.txt"
    path.mkdir()
    return str(path)


def _make_unreadable(folder: Path) -> str:
    path = folder / "unreadable-file.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    path.chmod(0)
    return str(path)


def _make_symlink_loop(folder: Path) -> str:
    (folder / "symlink-loop.txt").symlink_to("symlink-loop-b.txt")
    (folder / "symlink-loop-b.txt").symlink_to("symlink-loop.txt")
    return str(folder / "symlink-loop.txt")


def _make_200mb(folder: Path) -> str:
    path = folder / "file-200mb.txt"
    with path.open("wb") as handle:  # sparse: a few blocks on disk, 200 MB to stat()
        handle.write(ARTICLE.encode())
        handle.seek(200 * 1024 * 1024 - 1)
        handle.write(b"\n")
    return str(path)


def _make_file(name: str, data: Callable[[], bytes]) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = folder / name
        path.write_bytes(data())
        return str(path)

    return make


URL_PATH = "/story-moved"
CASES: list[Case] = [
    # empty and whitespace-only
    Case("empty-file", "E002", data=lambda: b"", line=lambda: b'{"id": "empty-file", "text": ""}'),
    Case("whitespace-only", "E002", text=" \t \n\n   \r\n\t"),
    Case("unicode-whitespace-only", "E002", text="\u00a0\u2003 \u3000\n\u2002"),
    # binary files
    Case("png-image", "E003", data=lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
         reason="PNG image"),
    Case("elf-executable", "E003", data=lambda: b"\x7fELF\x02\x01\x01" + bytes(200), reason="executable"),
    Case("zip-archive", "E003", data=lambda: b"PK\x03\x04\x14\x00\x06\x00word/document.xml" + bytes(64),
         suffix=".docx", reason="ZIP archive"),
    Case("pdf-document", "E003", data=lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", reason="PDF"),
    Case("nul-heavy-bytes", "E003", data=lambda: _random_bytes(3001, nul_share=0.33), reason="NUL bytes"),
    Case("random-bytes", "E003", data=lambda: _random_bytes(4000, nul_share=0.0), reason="control characters"),
    # invalid and mixed encodings
    Case("invalid-utf8", None, data=lambda: ARTICLE.encode() + b"Broken \xc3\x28 and \xf0\x28\x8c\x28 bytes.\n",
         check=_english_relevant),
    Case("mixed-utf8-latin1", None, data=lambda: "Café".encode() + b" and caf\xe9\n\n" + ARTICLE.encode(),
         check=_mixed),
    Case("utf16-le-no-bom", None, data=lambda: ARTICLE.encode("utf-16-le"), check=_english_relevant),
    Case("utf16-be-no-bom", None, data=lambda: ARTICLE.encode("utf-16-be"), check=_english_relevant),
    Case("utf16-bom-odd-length", None, data=lambda: b"\xff\xfe" + ARTICLE.encode("utf-16-le") + b"\x00",
         check=_replacement),
    Case("cp1251-russian", None, data=lambda: RUSSIAN.encode("cp1251"), check=_cp1251),
    # size and depth limits
    Case("file-200mb", "E004", setup=_make_200mb, reason="209715200 bytes > limit 10000000"),
    Case("endless-device", "E004", setup=lambda folder: "/dev/zero", ingest_id="zero", reason="at least 10000001 bytes"),
    Case("text-over-1m-chars", "E020", text=(ARTICLE * 5600)[:1_100_000], reason="1100000 characters > limit 1000000"),
    Case("deeply-nested-html", "E010", suffix=".html",
         data=lambda: b"<html><body>" + b"<div>" * 5000 + ARTICLE.encode() + b"</div>" * 5000 + b"</body></html>"),
    Case("html-without-text", "E009", suffix=".html",
         data=lambda: b"<html><head><script>var a = 1;</script><style>p {}</style></head><body></body></html>"),
    # scripts and event handlers
    Case("html-scripts-handlers", None, suffix=".html", data=lambda: HOSTILE_PAGE.encode(), check=_no_script),
    Case("markup-in-text", None, text=ARTICLE.replace("\n\n", f"\n\n{MARKUP}\n\n", 1), check=_markup_kept),
    Case("control-characters", None, text=ARTICLE.replace("reporters.", "reporters." + ESCAPES), check=_english_relevant),
    # pathological but legal text
    Case("long-line-no-spaces", None, text="abducted-children-school-" * 16_000, check=_not_relevant_fast,
         ingest=False),  # ingest: see test_long_line_without_spaces_is_linked_in_linear_time
    Case("repeated-word-1mb", None, text="children " * 110_000, check=_not_relevant_fast),
    # non-English articles
    Case("french-article", None, text=FRENCH, check=_foreign("fr")),
    Case("arabic-article", None, text=ARABIC, check=_foreign("ar")),
    Case("russian-article", None, text=RUSSIAN, check=_foreign("ru")),
    Case("ukrainian-article", None, text=UKRAINIAN, check=_foreign("uk")),
    # file-system oddities
    Case("directory", "E011", setup=_make_directory, ingest=False),
    Case("unreadable-file", "E012", setup=_make_unreadable, root_skips=True, reason="Permission denied"),
    Case("symlink-loop", "E012", setup=_make_symlink_loop, reason="Too many levels of symbolic links"),
    # malformed JSON Lines
    Case("jsonl-truncated-line", "E101", line=lambda: b'{"id": "jsonl-truncated-line", "text": "Armed men abdu',
         analyze=False),
    Case("jsonl-array", "E102", line=lambda: b'["jsonl-array", "text"]', analyze=False, reason="a JSON list"),
    Case("jsonl-string", "E102", line=lambda: b'"jsonl-string"', analyze=False, reason="a JSON str"),
    Case("jsonl-null", "E102", line=lambda: b"null", analyze=False, reason="a JSON NoneType"),
    Case("jsonl-missing-text", "E102", line=lambda: b'{"id": "jsonl-missing-text", "title": "No text"}',
         analyze=False, reason="no 'text' field"),
    Case("jsonl-text-number", "E102", line=lambda: b'{"id": "jsonl-text-number", "text": 42}', analyze=False,
         reason="'text' of type int"),
    Case("jsonl-text-nan", "E102", line=lambda: b'{"id": "jsonl-text-nan", "text": NaN}', analyze=False,
         reason="'text' of type float"),
    Case("jsonl-title-number", "E103", line=lambda: b'{"id": "jsonl-title-number", "text": "A text.", "title": 7}',
         analyze=False, reason="'title'"),
    Case("jsonl-id-object", "E103", line=lambda: b'{"id": {"a": 1}, "text": "A text."}', analyze=False,
         reason="'id'"),
    Case("jsonl-invalid-utf8", "E101", line=lambda: b'{"id": "jsonl-invalid-utf8", "text": "caf\xe9 au lait"}',
         analyze=False, reason="not UTF-8"),
    Case("jsonl-deep-nesting", "E101", line=lambda: b"[" * 100_000, analyze=False, reason="nested too deeply"),
    Case("jsonl-lone-surrogate", "E101", analyze=False, reason="lone surrogate \\udfff",
         line=lambda: b'{"id": "jsonl-lone-surrogate", "text": "Dull \\udfff weather report for the hills today."}'),
    Case("jsonl-huge-line", "E104", analyze=False, reason="longer than 10000000 bytes",
         line=lambda: b'{"id": "jsonl-huge-line", "text": "' + b"a" * 10_000_100 + b'"}'),
    Case("jsonl-nul-after-place", None, analyze=False, check=_nul_after_place,  # found by fuzz/fuzz_spans.py
         line=lambda: json.dumps({"id": "jsonl-nul-after-place", "text": NUL_AFTER_PLACE}).encode()),
    # feeds, archives, URLs
    Case("feed-thousands", "E014", setup=_make_file("feed-thousands.rss", lambda: _feed(5003)), option="--feed",
         analyze=False, reason="has 5003 entries; only the first 5000 were read"),
    Case("feed-not-a-feed", "E013", option="--feed", analyze=False,
         setup=_make_file("feed-not-a-feed.rss", lambda: HOSTILE_PAGE.encode())),
    Case("warc-truncated", "E018", setup=_make_file("warc-truncated.warc", _truncated_warc), option="--warc",
         analyze=False, ingest_id="https://news.example.org/kauru", reason="cut short"),
    Case("warc-garbage", "E017", setup=_make_file("warc-garbage.warc", lambda: DULL.encode()), option="--warc",
         analyze=False),
    Case("url-redirect-private", "E005", reason="10.1.2.3"),  # the spec is the local server's URL, see below
]
CASE_IDS = [case.id for case in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _params(cases: list[Case]) -> list[Any]:
    marks = pytest.mark.skipif(IS_ROOT, reason="root reads a mode-000 file")
    return [pytest.param(case, id=case.id, marks=marks if case.root_skips else ()) for case in cases]


# --- a local server whose redirect to a private address is the URL case -------------------------
class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(302)
        self.send_header("Location", "http://10.1.2.3/admin")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _policy_for_tests(real: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """The test server on 127.0.0.1 stands in for a public host; every other address gets the real rules,
    so the redirect to 10.1.2.3 meets the real per-hop check (as in tests/test_ingest_url.py)."""

    def allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return ip == ipaddress.ip_address("127.0.0.1") or real(ip)

    return allowed


@pytest.fixture(scope="module")
def redirecting_url() -> Iterator[str]:
    import caacwatch.ingest.url as url_module

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(url_module, "is_public_address", _policy_for_tests(url_module.is_public_address))
        yield f"http://127.0.0.1:{server.server_address[1]}{URL_PATH}"
    server.shutdown()
    server.server_close()


# --- building the inputs ----------------------------------------------------------------------
@dataclass
class Workspace:
    folder: Path  # every file case that is ingested, plus two good articles
    specs: dict[str, str]  # case id -> what `caacwatch analyze` is given
    batch: Path  # every JSON line case, after a good line: for `analyze --jsonl`
    ingest_batch: Path  # the same lines, those of cases not ingested blanked (numbers unchanged)
    line_numbers: dict[str, int]  # case id -> its line number in both batches
    options: list[str]  # the ingest options for feeds and archives
    url: str


def _build(root: Path, url: str) -> Workspace:
    folder, specials = root / "inputs", root / "specials"
    folder.mkdir()
    specials.mkdir()
    (folder / "good-article.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "good-second-article.txt").write_text(SECOND_ARTICLE, encoding="utf-8")
    specs: dict[str, str] = {"url-redirect-private": url}
    options: list[str] = []
    for case in CASES:
        if case.setup is not None:
            if case.root_skips and IS_ROOT:
                continue
            spec = case.setup(folder if case.ingest and case.option is None else specials)
            specs[case.id] = spec
            if case.option is not None:
                options += [case.option, spec]
            continue
        data = case.file_bytes()
        if data is not None:
            path = (folder if case.ingest else specials) / f"{case.id}{case.suffix}"
            path.write_bytes(data)
            specs[case.id] = str(path)
    lines = [json.dumps({"id": "good-line", "text": SECOND_ARTICLE.replace("three", "four")}).encode()]
    ingest_lines = list(lines)
    line_numbers = {}
    for case in CASES:
        line = case.json_line()
        if line is not None:
            lines.append(line)
            ingest_lines.append(line if case.ingest else b"")
            line_numbers[case.id] = len(lines)
    batch, ingest_batch = root / "batch.jsonl", root / "batch-ingest.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    ingest_batch.write_bytes(b"\n".join(ingest_lines) + b"\n")
    return Workspace(folder, specs, batch, ingest_batch, line_numbers, options, url)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, redirecting_url) -> Iterator[Workspace]:
    root = tmp_path_factory.mktemp("hostile")
    space = _build(root, redirecting_url)
    yield space
    for path in root.rglob("*"):  # let pytest clean up the mode-000 file
        if not path.is_symlink():
            path.chmod(0o755)


# --- path (b): one ingest run over every case ---------------------------------------------------
@dataclass
class Ingested:
    summary: dict[str, Any]
    db: Path
    seconds: float

    def query(self, sql: str, *args: Any) -> list[tuple]:
        with sqlite3.connect(self.db) as connection:
            return connection.execute(sql, args).fetchall()

    def rejections(self, external_id: str) -> list[tuple[str, str]]:
        return self.query("SELECT code, reason FROM caacwatch_rejection WHERE external_id = ?", external_id)

    def analysis(self, external_id: str) -> dict[str, Any] | None:
        rows = self.query(
            "SELECT d.analysis, d.text, d.language FROM caacwatch_report r "
            "JOIN caacwatch_document d ON d.id = r.document_id WHERE r.external_id = ?",
            external_id,
        )
        if not rows:
            return None
        analysis, text, language = rows[0]
        analysis = json.loads(analysis)
        assert analysis["document"].get("language") == language
        analysis["document"]["text"] = text
        return analysis


@pytest.fixture(scope="module")
def ingested(workspace: Workspace, tmp_path_factory) -> Ingested:
    db = tmp_path_factory.mktemp("hostile-db") / "hostile.sqlite3"
    extra = [workspace.specs["endless-device"], workspace.url]
    started = time.perf_counter()
    result = runner.invoke(
        app,
        ["ingest", str(workspace.folder), *extra, "--jsonl", str(workspace.ingest_batch), *workspace.options,
         "--db", str(db), "--json"],
    )
    seconds = time.perf_counter() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return Ingested(json.loads(result.stdout), db, seconds)


def _ingest_ids(case: Case, workspace: Workspace) -> list[str]:
    """The external ids the case arrives under in the ingest run: its file, its JSON line, its spec."""
    ids = []
    if case.ingest_id is not None:
        ids.append(case.ingest_id)
    elif case.id == "url-redirect-private":
        ids.append(workspace.url)
    elif case.option is not None or case.id == "symlink-loop":  # named by the path given or walked
        ids.append(workspace.specs[case.id])
    elif case.file_bytes() is not None or case.setup is not None:
        ids.append(f"{case.id}{case.suffix}")
    if case.id in workspace.line_numbers:
        number = workspace.line_numbers[case.id]
        ids.append(case.id if _line_has_id(case) else f"{workspace.ingest_batch.name}:{number}")
    return ids


def _line_has_id(case: Case) -> bool:
    line = case.json_line() or b""
    return f'"id": "{case.id}"'.encode() in line[:200]


INGESTED_CASES = [c for c in CASES if c.ingest]


@pytest.mark.parametrize("case", _params(INGESTED_CASES))
def test_ingest(case: Case, ingested: Ingested, workspace: Workspace) -> None:
    """The case inside one big ingest run: a stored rejection with its code and a one-line reason, or a
    stored, analysed document; the run itself finished (fixture) with everything else in it."""
    for external_id in _ingest_ids(case, workspace):
        if case.code is None:
            analysis = ingested.analysis(external_id)
            assert analysis is not None, f"{external_id} was not stored"
            assert case.check is not None
            case.check(analysis)
            continue
        rejections = ingested.rejections(external_id)
        assert rejections, f"no rejection stored for {external_id}"
        for code, reason in rejections:
            assert code == case.code, reason
            _assert_one_line_message(reason, case)


def _assert_one_line_message(message: str, case: Case) -> None:
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(f"[{case.code}] ")
    assert "Traceback" not in message
    assert case.reason in message, message


def test_ingest_kept_the_good_documents_and_counted_everything(ingested: Ingested) -> None:
    for external_id in ("good-article.txt", "good-second-article.txt", "good-line",
                        "https://news.example.org/zamfara"):  # the WARC's intact first record
        analysis = ingested.analysis(external_id)
        assert analysis is not None and analysis["relevant"], external_id
    summary = ingested.summary
    assert summary["rejected_by_code"]["E015"] == 1  # the feed's repeated entry, stored once...
    assert summary["already_stored"] >= 4999  # ...and read 5,000 times, up to the cap
    assert summary["rejected_by_code"]["E014"] == 1
    assert "E019" not in summary["rejected_by_code"] and "E299" not in summary["rejected_by_code"]
    assert summary["new"] >= 4
    assert ingested.seconds < 60


def test_ingest_stored_the_bytes_of_rejected_files(ingested: Ingested) -> None:
    rows = ingested.query(
        "SELECT o.size FROM caacwatch_rejection r JOIN caacwatch_original o ON o.id = r.original_id "
        "WHERE r.external_id = ?", "png-image.txt",
    )
    assert rows and rows[0][0] > 0  # the evidence of what was refused is kept


# --- path (a): caacwatch analyze INPUT --------------------------------------------------------
ANALYZED_CASES = [c for c in CASES if c.analyze]


def _analyze(spec: str, *args: str):
    return runner.invoke(app, ["analyze", spec, *args])


@pytest.mark.parametrize("case", _params(ANALYZED_CASES))
def test_analyze(case: Case, workspace: Workspace) -> None:
    result = _analyze(workspace.specs[case.id], "--format", "json")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if case.code is None:
        assert result.exit_code == 0, result.output
        assert case.check is not None
        case.check(json.loads(result.stdout))
        return
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count(f"[{case.code}]") == 1, result.stderr
    # The CLI prints through rich, which wraps at the terminal width: see test_cli_error_fits_on_one_line.
    message = " ".join(result.stderr.split())
    assert message.startswith(f"error [{case.code}] ")
    assert case.reason in message or case.reason in result.stderr.replace("\n", ""), message


def test_200mb_file_is_refused_before_it_is_read(workspace: Workspace) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = _analyze(workspace.specs["file-200mb"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 2 and "[E004]" in result.stderr
    assert peak < 5_000_000, f"{peak} bytes allocated: the file was read"
    assert time.perf_counter() - started < 5  # a generous bound: quadratic would be 6 s here, 10 min at 500 KB


def test_endless_device_is_read_only_up_to_the_limit(workspace: Workspace) -> None:
    started = time.perf_counter()
    result = _analyze(workspace.specs["endless-device"])
    assert result.exit_code == 2 and "[E004]" in result.stderr
    assert time.perf_counter() - started < 5


# --- path (c): caacwatch analyze --jsonl ------------------------------------------------------
@pytest.fixture(scope="module")
def batch_rows(workspace: Workspace, tmp_path_factory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("hostile-out") / "out.jsonl"
    result = runner.invoke(app, ["analyze", "--jsonl", str(workspace.batch), "--out", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(workspace.line_numbers) + 1  # one output line per input line, in order
    return rows


JSONL_CASES = [c for c in CASES if c.json_line() is not None]


@pytest.mark.parametrize("case", _params(JSONL_CASES))
def test_analyze_jsonl(case: Case, batch_rows: list[dict[str, Any]], workspace: Workspace) -> None:
    row = batch_rows[workspace.line_numbers[case.id] - 1]
    if _line_has_id(case):
        assert row["id"] == case.id
    if case.code is None:
        assert "error" not in row, row.get("error")
        assert case.check is not None
        case.check(row)
        return
    assert set(row) == {"id", "error", "code"}
    assert row["code"] == case.code
    _assert_one_line_message(row["error"], case)


def test_analyze_jsonl_kept_the_good_line(batch_rows: list[dict[str, Any]]) -> None:
    assert batch_rows[0]["id"] == "good-line" and batch_rows[0]["relevant"] is True


# --- the catalogue documents itself ----------------------------------------------------------
def test_the_table_lists_every_case_in_order() -> None:
    table = re.findall(r"^\| ([a-z0-9-]+) \|", __doc__ or "", re.M)
    assert table[:2] == ["case", "---"]
    assert table[2:] == CASE_IDS


# --- defects found outside the ingestion code -----------------------------------------------
@pytest.mark.parametrize("command", ["analyze", "ingest"])
def test_cli_error_fits_on_one_line(command: str, workspace: Workspace, tmp_path: Path) -> None:
    spec = workspace.specs["empty-file"]
    if command == "analyze":
        result = _analyze(spec)
    else:
        result = runner.invoke(app, ["ingest", spec, "--db", str(tmp_path)])  # a folder: E302
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_human_report_does_not_pass_terminal_escapes(workspace: Workspace) -> None:
    result = _analyze(workspace.specs["control-characters"])
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_long_line_without_spaces_is_linked_in_linear_time(tmp_path: Path) -> None:
    path = tmp_path / "long-line.txt"
    # 30,000 characters: 6 s of linking with the quadratic pattern, well under 1 s without it
    path.write_text("abducted-children-school-" * 1200, encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(app, ["ingest", str(path), "--db", str(tmp_path / "db.sqlite3"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == 1
    assert time.perf_counter() - started < 5  # a generous bound: quadratic would be 6 s here, 10 min at 500 KB


# --- the workbench shows hostile text escaped -------------------------------------------------
def test_workbench_shows_article_markup_escaped(store, analyzer, tmp_path: Path) -> None:
    """The markup-in-text case in the web app: the document page carries it as escaped text only (the
    incident pages are covered by tests/test_web_security.py)."""
    from tests.web_support import make_web

    text = ARTICLE.replace("\n\n", f"\n\n{MARKUP}\n\n", 1)
    batch = tmp_path / "markup.jsonl"
    batch.write_text(json.dumps({"id": "markup-in-text", "text": text}) + "\n", encoding="utf-8")
    web = make_web(store, analyzer, batch)
    with web.active():
        from caacwatch.store.models import Report

        document = Report.objects.get(external_id="markup-in-text").document_id
        body = web.client("analyst").get(f"/documents/{document}").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<script>alert" not in body and "<img src=x" not in body and 'href="javascript:' not in body
