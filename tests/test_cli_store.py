"""The monitoring commands as a user runs them: ingest, incidents (every format), incident show,
stats, evidence verify, link — on a SQLite file (the store tests cover PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caacwatch.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("cli") / "cli.sqlite3")
    result = _run("ingest", "--jsonl", str(FIXTURES / "reports.jsonl"), "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["new"] == 6 and summary["rejected"] == 2 and summary["incidents_created"] >= 3
    return db


def test_ingest_twice_skips_everything(ingested):
    result = _run("ingest", "--jsonl", str(FIXTURES / "reports.jsonl"), "--db", ingested, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["already_stored"] == 9


def test_ingest_a_folder_and_a_file(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    strike = json.loads((FIXTURES / "reports.jsonl").read_text(encoding="utf-8").splitlines()[3])["text"]
    (folder / "story.txt").write_text(strike, encoding="utf-8")
    (folder / "sub" / "empty.txt").write_text("   \n", encoding="utf-8")
    db = str(tmp_path / "folder.sqlite3")
    result = _run("ingest", str(folder), "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["new"] == 1 and summary["rejected"] == 1 and summary["rejected_by_code"] == {"E002": 1}


def test_stats_json(ingested):
    result = _run("stats", "--db", ingested, "--format", "json")
    counts = json.loads(result.stdout)
    assert {k: counts[k] for k in ("documents", "duplicates", "rejected")} == {"documents": 6, "duplicates": 2, "rejected": 2}
    assert counts["claims"] > 0 and counts["allegations"] > 0 and counts["incidents"] >= 3


def test_incidents_json_contract(ingested):
    result = _run("incidents", "--db", ingested, "--format", "json")
    incidents = json.loads(result.stdout)
    required = {"id", "violation", "countries", "perpetrators", "first_reported", "documents",
                "independent_sources", "sources", "flags", "status"}
    assert incidents and all(required <= set(i) for i in incidents)
    abduction = [i for i in incidents if i["violation"] == "abduction"]
    assert len(abduction) == 1 and "mirror-kauru-1" in abduction[0]["documents"]


def test_incidents_filters(ingested):
    ua = json.loads(_run("incidents", "--db", ingested, "--country", "UA", "--format", "json").stdout)
    assert ua and all(i["countries"] == ["UA"] for i in ua)
    none = json.loads(_run("incidents", "--db", ingested, "--since", "2026-03-12", "--violation", "abduction", "--format", "json").stdout)
    assert none == []
    assert json.loads(_run("incidents", "--db", ingested, "--status", "verified", "--format", "json").stdout) == []


@pytest.mark.parametrize("bad", [["--since", "March"], ["--violation", "looting"], ["--status", "maybe"]])
def test_incidents_bad_options_are_explained(ingested, bad):
    result = _run("incidents", "--db", ingested, *bad)
    assert result.exit_code == 2
    assert "E30" in result.output


def test_incidents_csv_hxl_geojson_table(ingested, tmp_path):
    rows = list(csv.DictReader(io.StringIO(_run("incidents", "--db", ingested, "--format", "csv").stdout)))
    assert rows and {"id", "violation"} <= set(rows[0])
    hxl = list(csv.reader(io.StringIO(_run("incidents", "--db", ingested, "--format", "hxl").stdout)))
    assert all(cell.startswith("#") for cell in hxl[1] if cell)
    out = tmp_path / "incidents.geojson"
    assert _run("incidents", "--db", ingested, "--format", "geojson", "--out", str(out)).exit_code == 0
    geo = json.loads(out.read_text())
    assert geo["type"] == "FeatureCollection" and geo["features"]
    assert all(f["geometry"]["type"] == "Point" for f in geo["features"])
    table = _run("incidents", "--db", ingested).stdout
    assert "abduction" in table.lower() or "Abduction" in table


def test_incident_show(ingested):
    incidents = json.loads(_run("incidents", "--db", ingested, "--violation", "abduction", "--format", "json").stdout)
    shown = _run("incident", "show", str(incidents[0]["id"]), "--db", ingested)
    assert shown.exit_code == 0
    assert "Timeline" in shown.stdout and "wire-kauru-1" in shown.stdout
    detail = json.loads(_run("incident", "show", str(incidents[0]["id"]), "--db", ingested, "--format", "json").stdout)
    assert detail["timeline"] and detail["decisions"]
    missing = _run("incident", "show", "999999", "--db", ingested)
    assert missing.exit_code == 2 and "E305" in missing.output


def test_evidence_verify(ingested):
    result = _run("evidence", "verify", "--db", ingested, "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] and report["originals_checked"] >= 7
    again = _run("evidence", "verify", "--db", ingested, "--expect", report["digest"])
    assert again.exit_code == 0
    wrong = _run("evidence", "verify", "--db", ingested, "--expect", "0" * 64)
    assert wrong.exit_code == 1 and "digest_mismatch" in wrong.stdout


def test_ingest_without_link_then_link(tmp_path):
    db = str(tmp_path / "later.sqlite3")
    assert _run("ingest", "--jsonl", str(FIXTURES / "reports.jsonl"), "--db", db, "--no-link").exit_code == 0
    assert json.loads(_run("incidents", "--db", db, "--format", "json").stdout) == []
    linked = json.loads(_run("link", "--db", db, "--json").stdout)
    assert linked["linked"] == 6 and linked["incidents_created"] >= 3


def test_a_bad_database_url_is_explained(tmp_path):
    result = _run("stats", "--db", "mysql://x@y/z")
    assert result.exit_code == 2 and "E301" in result.output
    assert _run("stats", "--db", str(tmp_path)).exit_code == 2


@pytest.mark.parametrize("bound", [["--since", "0001-01-01"], ["--until", "9999-12-31"]])
def test_extreme_dates_do_not_crash(ingested, bound):
    result = _run("incidents", "--db", ingested, *bound, "--format", "json")
    assert result.exit_code == 0 and isinstance(json.loads(result.stdout), list)
