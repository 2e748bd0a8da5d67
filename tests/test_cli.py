"""The command line, run as a user runs it: a real process, real files, a real local HTTP server."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import SEED

CLI = [sys.executable, "-m", "caacwatch.cli"]
OWN_ARTICLE = (
    "Militia fighters abducted 20 schoolgirls from a boarding school in Borno State on Monday, "
    "a local official told reporters.\n\nThe army said it had launched a rescue operation.\n"
)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed is not beside the repository")
def test_analyze_seed_json_contract() -> None:
    result = run("analyze", str(SEED), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "caacwatch.analysis/2"
    assert data["relevant"] is True
    assert data["document"]["text"] == SEED.read_text(encoding="utf-8")


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed is not beside the repository")
def test_analyze_seed_human_report() -> None:
    result = run("analyze", str(SEED))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Allegations") < out.index("Claims") < out.index("Flags")
    for expected in ("Recruitment and use of children", "Russia", "Lyudmyla Denisova", "Daily Mail",
                     "question_headline", "representative_image", "party_to_conflict_source"):
        assert expected in out


def test_stdin() -> None:
    result = run("analyze", "-", "--format", "json", stdin=OWN_ARTICLE)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["relevant"]
    assert {a["violation"] for a in data["allegations"]} >= {"abduction"}


def test_missing_file_gives_coded_error() -> None:
    result = run("analyze", "/no/such/file.txt")
    assert result.returncode == 2
    assert "[E001]" in result.stderr and "Traceback" not in result.stderr


def test_jsonl_batch_keeps_order_and_survives_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "one", "text": OWN_ARTICLE, "title": "Schoolgirls abducted"}),
        "{not json",
        json.dumps({"id": "three", "text": "The orchestra opened its season with Brahms."}),
        json.dumps({"id": "four", "title": "no text field"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("analyze", "--jsonl", str(source), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    assert rows[0]["id"] == "one" and rows[0]["relevant"] is True
    assert "error" in rows[1] and rows[1]["code"] == "E101"
    assert rows[2]["id"] == "three" and rows[2]["relevant"] is False
    assert rows[3]["id"] == "four" and rows[3]["code"] == "E102"


def test_jsonl_from_stdin_to_stdout() -> None:
    line = json.dumps({"id": "x", "text": OWN_ARTICLE})
    result = run("analyze", "--jsonl", "-", stdin=line + "\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["id"] == "x"


def test_html_file(tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    paragraphs = "".join(f"<p>{p}</p>" for p in OWN_ARTICLE.split("\n\n") if p.strip())
    page.write_text(
        "<html><head><title>Schoolgirls abducted in Borno</title>"
        "<meta property='og:site_name' content='Example News'></head><body><article>"
        f"<h1>Schoolgirls abducted in Borno</h1>{paragraphs}<p>{'Families waited for news. ' * 5}</p>"
        "</article><script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    result = run("analyze", str(page), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "alert" not in data["document"]["text"]
    assert data["relevant"]


@pytest.fixture()
def local_server():
    body = f"<html><head><title>Local</title></head><body><article><p>{OWN_ARTICLE}</p>" \
           f"<p>{'Relatives gathered outside the school. ' * 6}</p></article></body></html>".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/story"
    server.shutdown()


def test_url_refused_on_loopback_without_flag(local_server: str) -> None:
    result = run("analyze", local_server)
    assert result.returncode == 2
    assert "[E005]" in result.stderr


def test_url_fetched_with_allow_private(local_server: str) -> None:
    result = run("analyze", local_server, "--allow-private", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["document"]["url"] == local_server
    assert data["relevant"]


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and "caacwatch" in result.stdout
