"""Crash safety: SIGKILL a real `caacwatch ingest` mid-run, run it again, and get exactly the
database of a clean run (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, CORPUS, fresh_database_url

CAACWATCH = [sys.executable, "-m", "caacwatch.cli"]
ARTICLES = 160


def _corpus_slice(path: Path) -> Path:
    """The first cnn-latest-2024 articles (re-saved stories: duplicates and incidents to link)."""
    source = CORPUS / "articles.jsonl"
    if not source.is_file():
        pytest.skip("../shared/corpus is not beside the repository")
    taken = 0
    with source.open(encoding="utf-8") as articles, path.open("w", encoding="utf-8") as out:
        for line in articles:
            if '"source": "cnn-latest-2024"' in line and taken < ARTICLES:
                out.write(line)
                taken += 1
    return path


def _run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*CAACWATCH, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def _db_json(command: str, db: str) -> object:
    args = ["incidents", "--db", db, "--format", "json"] if command == "incidents" else ["stats", "--db", db, "--format", "json"]
    result = _run(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _inputs_committed(db: str) -> int:
    from caacwatch.store import open_store

    store = open_store(db, migrate=False)
    from django.db import DatabaseError

    from caacwatch.store.models import IngestRun  # importable once a store is open

    try:
        with store.activate():
            run = IngestRun.objects.order_by("-id").first()
            count = (run.counts or {}).get("inputs", 0) if run else 0
    except DatabaseError:  # the ingest has not created its tables yet
        count = 0
    store.close()
    return count


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_ingest_then_rerun_equals_a_clean_run(backend, tmp_path):
    articles = _corpus_slice(tmp_path / "slice.jsonl")
    (tmp_path / "clean").mkdir()
    (tmp_path / "crashed").mkdir()
    clean = fresh_database_url(backend, tmp_path / "clean")
    crashed = fresh_database_url(backend, tmp_path / "crashed")

    result = _run("ingest", "--jsonl", str(articles), "--db", clean, "--batch-size", "10", "--json")
    assert result.returncode == 0, result.stderr

    process = subprocess.Popen(
        [*CAACWATCH, "ingest", "--jsonl", str(articles), "--db", crashed, "--batch-size", "10"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while _inputs_committed(crashed) < 40 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the ingest finished before it could be killed; use more articles"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    committed = _inputs_committed(crashed)
    assert 40 <= committed < ARTICLES

    rerun = _run("ingest", "--jsonl", str(articles), "--db", crashed, "--batch-size", "10", "--json")
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["already_stored"] >= committed

    assert _db_json("stats", crashed) == _db_json("stats", clean)
    assert _incident_groups(crashed) == _incident_groups(clean)


def _incident_groups(db: str) -> set:
    """Incidents by what they hold (ids may differ: PostgreSQL sequences skip rolled-back ids)."""
    return {(i["violation"], tuple(sorted(i["documents"])), i["independent_sources"]) for i in _db_json("incidents", db)}
