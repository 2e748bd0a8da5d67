"""load_input: files, standard input, URLs, and their errors."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from caacwatch.errors import CaacError
from caacwatch.ingest import load_input

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def test_text_file() -> None:
    doc = load_input(str(FIXTURES / "article.txt"))
    assert doc.id == "article"
    assert doc.content_type == "text/plain"
    assert doc.title == "Aid convoy reaches besieged district after weeks of talks"
    assert doc.sha256 == hashlib.sha256((FIXTURES / "article.txt").read_bytes()).hexdigest()


def test_html_file_by_suffix() -> None:
    doc = load_input(str(FIXTURES / "article.html"))
    assert doc.id == "article"
    assert doc.content_type == "text/html"
    assert doc.title == "School damaged in overnight shelling"


def test_html_file_is_sniffed_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "saved_page.txt"
    path.write_bytes((FIXTURES / "article.html").read_bytes())
    doc = load_input(str(path))
    assert doc.content_type == "text/html"
    assert doc.id == "saved_page"


@pytest.mark.parametrize("as_stream", [True, False])
def test_stdin_bytes_and_streams(as_stream: bool) -> None:
    data = (FIXTURES / "article.txt").read_bytes()
    doc = load_input("-", stdin=io.BytesIO(data) if as_stream else data)
    assert doc.content_type == "text/plain"
    assert doc.id is None
    html = load_input("-", stdin=io.BytesIO((FIXTURES / "article.html").read_bytes()))
    assert html.content_type == "text/html"


def test_stdin_text_stream() -> None:
    doc = load_input("-", stdin=io.StringIO("Headline of a story\n\nBody of the story, as text."))
    assert doc.title == "Headline of a story"


def test_missing_file_directory_and_size(tmp_path: Path) -> None:
    with pytest.raises(CaacError) as info:
        load_input(str(tmp_path / "missing.txt"))
    assert info.value.code == "E001"
    with pytest.raises(CaacError) as info:
        load_input(str(tmp_path))
    assert info.value.code == "E011"
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    with pytest.raises(CaacError) as info:
        load_input(str(big), max_bytes=100)
    assert info.value.code == "E004"
    with pytest.raises(CaacError) as info:
        load_input("-", stdin=b"word " * 1000, max_bytes=100)
    assert info.value.code == "E004"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("text")
    path.chmod(0)
    with pytest.raises(CaacError) as info:
        load_input(str(path))
    assert info.value.code == "E012"


def test_binary_and_empty_files(tmp_path: Path) -> None:
    pdf = tmp_path / "report.txt"
    pdf.write_bytes(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3")
    with pytest.raises(CaacError) as info:
        load_input(str(pdf))
    assert info.value.code == "E003"
    assert str(pdf) in str(info.value)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(CaacError) as info:
        load_input(str(empty))
    assert info.value.code == "E002"


@pytest.mark.parametrize("spec", ["ftp://example.org/a", "file:///etc/passwd"])
def test_other_url_schemes(spec: str) -> None:
    with pytest.raises(CaacError) as info:
        load_input(spec)
    assert info.value.code == "E008"


def test_url_goes_through_the_fetch_policy() -> None:
    # No server needed: the loopback address is refused before any connection.
    with pytest.raises(CaacError) as info:
        load_input("http://127.0.0.1:9/")
    assert info.value.code == "E005"
