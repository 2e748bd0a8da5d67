"""The monitoring store end to end, on SQLite and on a real PostgreSQL server: ingest, idempotent
re-runs, duplicates, incidents, independent sources, evidence verification, queries.

The fixture articles (tests/fixtures/monitor/reports.jsonl) were written for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"
REPORTS = FIXTURES / "reports.jsonl"


def _ingest(store, analyzer, *paths, **options):
    from caacwatch.ingest.sources import iter_sources
    from caacwatch.monitor import ingest

    return ingest(iter_sources([], jsonl=[str(p) for p in paths]), store, analyzer=analyzer, **options)


def _stats(store):
    from caacwatch.store.queries import stats

    with store.activate():
        return stats()


def _incidents(store, **filters):
    from caacwatch.store.queries import IncidentFilter, iter_incidents

    with store.activate():
        return list(iter_incidents(IncidentFilter(**filters)))


def _incident_with(incidents, external_id, violation):
    found = [i for i in incidents if external_id in i["documents"] and i["violation"] == violation]
    assert len(found) == 1, (external_id, violation, incidents)
    return found[0]


def test_sqlite_runs_in_wal_mode(tmp_path):
    from django.db import connections

    from caacwatch.store import open_store

    store = open_store(str(tmp_path / "wal.sqlite3"))
    with connections[store.alias].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_ingest_counts_and_rejections(store, analyzer):
    summary = _ingest(store, analyzer, REPORTS).to_json()
    assert summary["inputs"] == 9
    assert summary["new"] == 6  # the mirror is an exact duplicate of the wire story
    assert summary["duplicate"] == 1
    assert summary["near_duplicate"] == 1  # the copy with a lead-in
    assert summary["rejected"] == 2
    assert summary["rejected_by_code"] == {"E101": 1, "E102": 1}
    counts = _stats(store)
    assert counts["documents"] == 6
    assert counts["reports"] == 7
    assert counts["duplicates"] == 2  # one exact, one near
    assert counts["rejected"] == 2
    assert counts["relevant"] == 5


def test_reingest_is_idempotent(store, analyzer):
    _ingest(store, analyzer, REPORTS)
    before = _stats(store)
    incidents_before = _incidents(store)
    again = _ingest(store, analyzer, REPORTS).to_json()
    assert again["new"] == 0 and again["rejected"] == 0 and again["duplicate"] == 0
    assert again["already_stored"] == 9
    assert _stats(store) == before
    assert _incidents(store) == incidents_before


def test_reports_of_one_abduction_make_one_incident(store, analyzer):
    _ingest(store, analyzer, REPORTS)
    incidents = _incidents(store)
    abduction = _incident_with(incidents, "wire-kauru-1", "abduction")
    # the copy, the exact mirror and the other outlet's own report are all under it
    assert {"wire-kauru-1", "blog-kauru-copy", "mirror-kauru-1", "daily-kauru-parents"} <= set(abduction["documents"])
    assert abduction["countries"] == ["NG"]
    assert abduction["status"] == "reported_not_verified"
    # copies add no independence: police (via the wire story and its copies) + the Daily's sources
    names = {s["name"] for s in abduction["sources"]}
    assert "police" in names
    assert abduction["independent_sources"] >= 2
    assert "single_source" not in abduction["flags"]
    # the unrelated sports story is in no incident
    assert not any("sport-derby" in i["documents"] for i in incidents)


def test_a_denial_makes_the_incident_contested(store, analyzer):
    _ingest(store, analyzer, REPORTS)
    strike = _incident_with(_incidents(store), "wire-kharkiv-school", "attacks_schools_hospitals")
    assert "wire-kharkiv-denial" in strike["documents"]
    assert "contested" in strike["flags"]
    assert strike["countries"] == ["UA"]
    kauru = _incident_with(_incidents(store), "wire-kauru-1", "abduction")
    assert kauru["id"] != strike["id"]


def test_incident_filters(store, analyzer):
    _ingest(store, analyzer, REPORTS)
    assert {i["countries"][0] for i in _incidents(store, country="UA")} == {"UA"}
    assert {i["violation"] for i in _incidents(store, violation="abduction")} == {"abduction"}
    from datetime import date

    assert _incidents(store, since=date(2026, 3, 12), country="NG") == []
    assert len(_incidents(store, since=date(2026, 3, 12))) >= 1
    assert _incidents(store, status="verified") == []
    assert len(_incidents(store, limit=1)) == 1


def test_every_merge_records_why(store, analyzer):
    from caacwatch.store import models

    _ingest(store, analyzer, REPORTS)
    with store.activate():
        decisions = list(models.LinkDecision.objects.all())
    assert decisions
    assert {d.action for d in decisions} >= {"created", "joined"}
    joined = [d for d in decisions if d.action == "joined"]
    assert all(d.reason.get("rule") and d.score is not None for d in joined)


def test_evidence_verify_detects_tampering(store, analyzer):
    from django.db import connections

    from caacwatch.store.evidence import verify

    _ingest(store, analyzer, REPORTS)
    with store.activate():
        clean = verify()
    assert clean.ok and clean.originals >= 7 and clean.documents == 6
    with connections[store.alias].cursor() as cursor:
        cursor.execute("UPDATE caacwatch_original SET data = %s WHERE id = (SELECT MIN(id) FROM caacwatch_original)", [b"altered"])
        cursor.execute("UPDATE caacwatch_document SET text = text || ' (edited)' WHERE id = (SELECT MAX(id) FROM caacwatch_document)")
    with store.activate():
        tampered = verify(expect_digest=clean.digest)
    kinds = {p["kind"] for p in tampered.problems}
    assert kinds == {"original_altered", "document_text_altered"}
    assert not tampered.ok


def test_incident_detail_has_a_timeline(store, analyzer):
    from caacwatch.store.queries import incident_detail

    _ingest(store, analyzer, REPORTS)
    abduction = _incident_with(_incidents(store), "wire-kauru-1", "abduction")
    with store.activate():
        detail = incident_detail(abduction["id"], store.describe())
    dates = [entry["date"] for entry in detail["timeline"]]
    assert dates == sorted(dates)
    roles = {entry["role"] for entry in detail["timeline"]}
    assert "copy" in roles or any(entry["copy_of"] for entry in detail["timeline"])
    assert detail["decisions"][0]["action"] == "created"


def test_no_link_then_link_gives_the_same_incidents(tmp_path, analyzer):
    from caacwatch.monitor import link_pending
    from caacwatch.store import open_store

    linked = open_store(str(tmp_path / "linked.sqlite3"))
    _ingest(linked, analyzer, REPORTS)
    deferred = open_store(str(tmp_path / "deferred.sqlite3"))
    _ingest(deferred, analyzer, REPORTS, link=False)
    assert _incidents(deferred) == []
    link_pending(deferred)
    strip = lambda incidents: [{k: v for k, v in i.items() if k not in ("first_reported", "last_reported")} for i in incidents]  # noqa: E731
    assert json.dumps(strip(_incidents(deferred)), sort_keys=True) == json.dumps(strip(_incidents(linked)), sort_keys=True)


def test_one_writer_at_a_time(tmp_path, analyzer):
    from caacwatch.errors import CaacError
    from caacwatch.store import open_store
    from caacwatch.store.lock import writer_lock

    store = open_store(str(tmp_path / "locked.sqlite3"))
    with writer_lock(store), pytest.raises(CaacError) as error:
        _ingest(store, analyzer, REPORTS)
    assert error.value.code == "E304"


def test_an_id_longer_than_the_column_is_stored_shortened_and_found_again(store, analyzer, tmp_path):
    """PostgreSQL enforces varchar(1000): a 3,000-character id (a URL full of tracking parameters, a
    hostile JSON line) used to fail the whole batch there."""
    from caacwatch.store import models

    long_id = "https://example.org/story?" + "utm=x&" * 500
    lines = [{"id": long_id, "text": "Armed men abducted 12 schoolchildren from a school in Kaduna state, "
              "Nigeria, police said on Monday. The gunmen stormed the school at dawn."},
             {"id": "", "text": ""}, {"id": long_id + "-empty", "text": "  "}]
    batch = tmp_path / "long-ids.jsonl"
    batch.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert _ingest(store, analyzer, batch).to_json()["new"] == 1
    assert _ingest(store, analyzer, batch).to_json()["new"] == 0  # found again: idempotent
    with store.activate():
        (stored,) = models.Report.objects.values_list("external_id", flat=True)
        rejected = list(models.Rejection.objects.values_list("external_id", flat=True))
    assert len(stored) == 1000 and stored.startswith(long_id[:900]) and "#sha256:" in stored
    assert any(r and len(r) == 1000 for r in rejected)
