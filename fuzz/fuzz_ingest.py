"""Coverage-guided fuzz target for ingestion (atheris): bytes -> text decoding, HTML extraction,
JSON Lines parsing, RSS/Atom feed parsing.

The property: hostile bytes only ever give a coded ``CaacError`` (or, for a batch or a feed, an error
record / rejection), never another exception; and whatever is accepted is writable (UTF-8, JSON) with
every boilerplate span indexing the document text.

    .venv/bin/python fuzz/fuzz_ingest.py fuzz/corpus/ingest -max_total_time=60   # scripts/fuzz.sh does this

The first byte of an input picks the path, the rest is the payload (see fuzz/corpus/ingest).
"""

from __future__ import annotations

import io
import json
import sys

import atheris

with atheris.instrument_imports(include=["caacwatch"]):
    from caacwatch.errors import CaacError
    from caacwatch.ingest.feed import iter_feed
    from caacwatch.ingest.html import document_from_html
    from caacwatch.ingest.items import InputItem, Rejected
    from caacwatch.ingest.jsonl import iter_jsonl
    from caacwatch.ingest.text import document_from_text
    from caacwatch.records import Document, ErrorRecord

MODES = ("text", "html", "jsonl", "feed")


def check_document(document: Document) -> None:
    text = document.text
    assert text.strip(), "an accepted document has text"
    for piece in document.boilerplate:
        start, end = piece.span
        assert 0 <= start < end <= len(text), (piece.span, len(text))
        assert text[start:end] == piece.text, (piece, text[start:end])
    # What is accepted must be writable: as the JSON contract, and as UTF-8 into a file or a database.
    json.dumps(document.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


def run(mode: str, payload: bytes) -> None:
    if mode == "text":
        check_document(document_from_text(payload, id="fuzz"))
    elif mode == "html":
        check_document(document_from_html(payload, id="fuzz"))
    elif mode == "jsonl":
        for result in iter_jsonl(io.BytesIO(payload), max_line_bytes=4096):
            if isinstance(result, ErrorRecord):
                assert result.code.startswith("E") and "\n" not in result.error
                json.dumps(result.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
            else:
                check_document(result)
    else:
        for result in iter_feed(payload, fetch_entries=False, max_entries=20, origin="fuzz.rss"):
            if isinstance(result, Rejected):
                assert result.code.startswith("E") and "\n" not in result.reason, result
            else:
                assert isinstance(result, InputItem)
                check_document(result.document)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode = MODES[data[0] % len(MODES)]
    try:
        run(mode, data[1:])
    except CaacError as exc:
        assert exc.code.startswith("E") and "\n" not in str(exc), exc


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
