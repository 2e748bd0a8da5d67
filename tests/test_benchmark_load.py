"""Smoke test of ``benchmarks/load.py``: three seconds of load against the monitoring fixtures,
served by a real ``caacwatch serve`` it starts itself. It checks that the script runs, signs in,
reaches the four endpoints without an error and writes its JSON — never how fast anything is."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web_support import PASSWORD, REPORTS, ingest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_load_script_runs_three_seconds(tmp_path, analyzer):
    if importlib.util.find_spec("locust") is None:  # never imported here: it monkey-patches the process
        pytest.skip("locust is not installed (pip install locust)")
    from caacwatch.store import open_store

    db = str(tmp_path / "load.sqlite3")
    store = open_store(db)
    ingest(store, analyzer, REPORTS)
    store.close()

    def web_command(*args: str, stdin: str | None = None) -> str:
        # A subprocess: the user's password must be hashed with serve's hashers, not the tests' fast ones.
        done = subprocess.run([sys.executable, "-m", "caacwatch.web", *args, "--db", db], input=stdin,
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout

    web_command("users", "create", "loadtest", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    (tmp_path / "password").write_text(PASSWORD + "\n")
    (tmp_path / "token").write_text(web_command("tokens", "create", "loadtest"))
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "load.py"), "--serve", "--db", db, "--threads", "2",
         "--password-file", str(tmp_path / "password"), "--token-file", str(tmp_path / "token"),
         "--users", "3", "--spawn-rate", "3", "--run-time", "3", "--wait", "0", "0", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    rows = {row["endpoint"]: row for row in result["endpoints"]}
    assert set(rows) == {"incident list (HTML)", "incident list (API)", "incident page (HTML)", "incident page (API)", "all"}
    assert result["errors"] == {} and rows["all"]["failures"] == 0
    assert all(row["requests"] > 0 for row in rows.values()), rows
    assert {"p50_ms", "p95_ms", "p99_ms", "rps"} <= set(rows["all"])
