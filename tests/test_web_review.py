"""Review workflow, merges, splits, allegation edits, and the append-only, hash-chained audit log
(on SQLite and PostgreSQL): every change and its audit entry commit together; raw SQL cannot
rewrite an entry while the trigger stands, and ``audit verify`` catches it once the trigger is gone."""

from __future__ import annotations

import pytest

from tests.web_support import make_web


@pytest.fixture
def web(store, analyzer):
    return make_web(store, analyzer)


def _incident(web, violation: str, country: str) -> int:
    rows = web.api("viewer", "GET", f"/api/incidents?violation={violation}&country={country}").json()["results"]
    assert rows, (violation, country)
    return rows[0]["id"]


def _review(web, incident_id, status, note="checked", who="analyst"):
    return web.api(who, "POST", f"/api/incidents/{incident_id}/review", {"status": status, "note": note})


def test_a_reported_incident_can_be_decided_in_one_step(web):
    incident = web.incident_ids()[-1]
    response = _review(web, incident, "verified", note="UNICEF statement and two outlets on the ground")
    assert response.status_code == 200 and response.json()["status"] == "verified"
    history = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()
    entries = history["results"] if isinstance(history, dict) else history
    assert any(e.get("before", {}).get("status") == "reported" and e.get("after", {}).get("status") == "verified" for e in entries)


def test_review_transitions_and_history(web):
    incident = web.incident_ids()[0]
    assert _review(web, incident, "reported").status_code == 409  # no change is not a transition
    assert _review(web, incident, "under_review", note="").status_code == 400
    assert _review(web, incident, "under_review", note="   ").status_code == 400
    assert _review(web, incident, "bogus").status_code == 400
    assert web.api("analyst", "POST", f"/api/incidents/{incident}/review", {"status": "under_review"}).status_code == 400
    first = _review(web, incident, "under_review", note="two outlets, checking the police statement")
    assert first.status_code == 200 and first.json()["status"] == "under_review"
    assert _review(web, incident, "under_review").status_code == 409
    assert _review(web, incident, "verified", note="confirmed by UNICEF", who="admin").status_code == 200
    assert web.api("viewer", "GET", f"/api/incidents/{incident}").json()["status"] == "verified"
    assert web.api("viewer", "GET", f"/api/incidents/{incident}").json()["allowed_transitions"] == ["under_review"]
    history = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()
    assert [(h["username"], h["action"], h["before"], h["after"], h["note"]) for h in history] == [
        ("analyst", "review", {"status": "reported"}, {"status": "under_review"}, "two outlets, checking the police statement"),
        ("admin", "review", {"status": "under_review"}, {"status": "verified"}, "confirmed by UNICEF"),
    ]
    assert all(len(h["request_id"]) == 32 for h in history)
    assert history[1]["prev_hash"] == history[0]["hash"]
    assert web.api("analyst", "POST", "/api/incidents/999999/review", {"status": "under_review", "note": "x"}).status_code == 404


def test_every_path_through_the_workflow(web):
    from caacwatch.web.review import TRANSITIONS

    incident = web.incident_ids()[0]
    for path in (["under_review", "not_verified", "under_review", "dismissed", "under_review", "reported"],
                 ["dismissed", "under_review", "verified", "under_review"]):
        for status in path:
            current = web.api("viewer", "GET", f"/api/incidents/{incident}").json()["status"]
            assert status in TRANSITIONS[current]
            assert _review(web, incident, status).status_code == 200


def test_the_review_form_on_the_incident_page(web):
    incident = web.incident_ids()[0]
    with web.active():
        client = web.client("analyst")
        page = client.get(f"/incidents/{incident}").content.decode()
        assert 'id="review-form"' in page
        client.post(f"/incidents/{incident}/review", {"status": "under_review", "note": ""})
        assert web.api("viewer", "GET", f"/api/incidents/{incident}").json()["status"] == "reported"
        client.post(f"/incidents/{incident}/review", {"status": "under_review", "note": "from the page"})
        page = client.get(f"/incidents/{incident}").content.decode()
    assert web.api("viewer", "GET", f"/api/incidents/{incident}").json()["status"] == "under_review"
    assert "from the page" in page and 'data-testid="history-entry"' in page


def test_notes_are_audited(web):
    incident = web.incident_ids()[0]
    assert web.api("analyst", "POST", f"/api/incidents/{incident}/notes", {"note": ""}).status_code == 400
    response = web.api("analyst", "POST", f"/api/incidents/{incident}/notes", {"note": "asked the Daily for sources"})
    assert response.status_code == 201
    history = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()
    assert history[-1]["action"] == "note" and history[-1]["note"] == "asked the Daily for sources"


def test_merge_moves_reports_and_points_at_the_target(web):
    from caacwatch.store.models import Allegation, Incident, IncidentDocument

    abduction = _incident(web, "abduction", "NG")
    with web.active():
        extra = Incident.objects.create(violation="abduction")
        a = Allegation.objects.filter(incident_id=abduction).order_by("-id").first()
        a.incident = extra
        a.save()
        row = IncidentDocument.objects.get(incident_id=abduction, document_id=a.document_id)
        IncidentDocument.objects.create(incident=extra, document_id=a.document_id, role=row.role)
    other = _incident(web, "attacks_schools_hospitals", "UA")
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/merge", {"other": other, "note": "x"}).status_code == 409
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/merge", {"other": abduction, "note": "x"}).status_code == 400
    response = web.api("analyst", "POST", f"/api/incidents/{abduction}/merge", {"other": extra.id, "note": "same abduction"})
    assert response.status_code == 200, response.content
    merged = web.api("viewer", "GET", f"/api/incidents/{extra.id}").json()
    assert merged["status"] == "dismissed" and merged["merged_into"] == abduction and merged["document_count"] == 0
    target = web.api("viewer", "GET", f"/api/incidents/{abduction}").json()
    assert target["merged_from"] == [extra.id]
    assert a.id in [al["id"] for r in target["reports"] for al in r["allegations"]]
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/merge", {"other": extra.id, "note": "again"}).status_code == 409
    assert [h["action"] for h in web.api("viewer", "GET", f"/api/incidents/{extra.id}/history").json()] == ["merge_into"]


def test_split_moves_allegations_into_a_new_incident(web):
    abduction = _incident(web, "abduction", "NG")
    detail = web.api("viewer", "GET", f"/api/incidents/{abduction}").json()
    allegations = [a for r in detail["reports"] for a in r["allegations"]]
    assert len(allegations) >= 2
    everything = [a["id"] for a in allegations]
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": everything, "note": "x"}).status_code == 400
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": [10**9], "note": "x"}).status_code == 400
    moving = allegations[-1]
    response = web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": [moving["id"]], "note": "a second raid"})
    assert response.status_code == 201, response.content
    new = web.api("viewer", "GET", f"/api/incidents/{response.json()['new']}").json()
    assert new["status"] == "reported" and new["violation"] == "abduction"
    assert [a["id"] for r in new["reports"] for a in r["allegations"]] == [moving["id"]]
    assert moving["document"] in [r["document"] for r in new["reports"]]
    left = web.api("viewer", "GET", f"/api/incidents/{abduction}").json()
    assert moving["id"] not in [a["id"] for r in left["reports"] for a in r["allegations"]]
    assert left["history"][-1]["action"] == "split"


def test_editing_an_allegation_recomputes_its_incident(web):
    abduction = _incident(web, "abduction", "NG")
    allegation = web.api("viewer", "GET", f"/api/incidents/{abduction}").json()["reports"][0]["allegations"][0]
    path = f"/api/allegations/{allegation['id']}"
    assert web.api("analyst", "PATCH", path, {"victims_count": 41}).status_code == 400  # no note
    assert web.api("analyst", "PATCH", path, {"victims_count": -1, "note": "x"}).status_code == 400
    assert web.api("analyst", "PATCH", path, {"id": 5, "note": "x"}).status_code == 400
    response = web.api("analyst", "PATCH", path, {"victims_count": 1, "perpetrator_name": "bandits", "note": "police figure"})
    assert response.status_code == 200, response.content
    assert response.json()["victims_count"] == 1
    incident = web.api("viewer", "GET", f"/api/incidents/{abduction}").json()
    assert incident["victims"]["count"] == 1
    entry = incident["history"][-1]
    assert entry["action"] == "edit_allegation" and entry["object_type"] == "allegation"
    assert entry["before"]["victims_count"] == allegation["victims_count"] and entry["after"]["victims_count"] == 1


# --- the audit log -------------------------------------------------------------------------
def _some_history(web):
    incident = web.incident_ids()[0]
    for status in ("under_review", "verified"):
        assert _review(web, incident, status).status_code == 200
    web.api("analyst", "POST", f"/api/incidents/{incident}/notes", {"note": "ok"})
    return incident


def test_audit_chain_verifies(web):
    from caacwatch.web.audit import verify

    _some_history(web)
    with web.active():
        report = verify()
    assert report.ok and report.entries == 3
    with web.active():
        assert verify(expect=report.head).ok
        assert not verify(expect="f" * 64).ok
    assert web.api("admin", "GET", "/api/audit/verify").json()["ok"] is True


def test_the_model_refuses_changes(web):
    from caacwatch.web.models import AppendOnlyError, AuditEntry

    _some_history(web)
    with web.active():
        entry = AuditEntry.objects.first()
        entry.note = "rewritten"
        with pytest.raises(AppendOnlyError):
            entry.save()
        with pytest.raises(AppendOnlyError):
            entry.delete()
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.filter(seq=1).update(note="x")
        with pytest.raises(AppendOnlyError):
            AuditEntry.objects.all().delete()


def _raw(web, sql):
    from django.db import connections

    with connections[web.store.alias].cursor() as cursor:
        cursor.execute(sql)


def _drop_triggers(web):
    if web.store.vendor == "postgresql":
        _raw(web, "DROP TRIGGER caacwatch_audit_no_change ON caacwatch_web_auditentry")
    else:
        _raw(web, "DROP TRIGGER caacwatch_audit_no_update")
        _raw(web, "DROP TRIGGER caacwatch_audit_no_delete")


def test_the_database_refuses_raw_updates_and_deletes(web):
    from django.db import DatabaseError, transaction

    _some_history(web)
    for sql in ("UPDATE caacwatch_web_auditentry SET note = 'rewritten' WHERE seq = 1",
                "DELETE FROM caacwatch_web_auditentry WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=web.store.alias):
            _raw(web, sql)


@pytest.mark.parametrize("tamper", [
    "UPDATE caacwatch_web_auditentry SET note = 'rewritten' WHERE seq = 1",
    "UPDATE caacwatch_web_auditentry SET after = '{\"status\":\"dismissed\"}' WHERE seq = 2",
    "DELETE FROM caacwatch_web_auditentry WHERE seq = 2",
])
def test_audit_verify_detects_tampering(web, tamper):
    from typer.testing import CliRunner

    from caacwatch.web.audit import verify
    from tests.test_web_cli import cli_app

    _some_history(web)
    _drop_triggers(web)
    _raw(web, tamper)
    with web.active():
        report = verify()
    assert not report.ok and report.problems
    result = CliRunner().invoke(cli_app(), ["audit", "verify", "--db", web.store.url])
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.output


def test_a_failed_change_leaves_no_audit_entry(web, monkeypatch):
    from caacwatch.web import review

    incident = web.incident_ids()[0]

    def boom(*args, **kwargs):
        raise RuntimeError("crash after the change")

    monkeypatch.setattr(review, "append", boom)
    with pytest.raises(RuntimeError), web.active():
        review.change_status(incident, "under_review", "x", review.Actor("analyst"))
    assert web.api("viewer", "GET", f"/api/incidents/{incident}").json()["status"] == "reported"


def test_audit_export_is_json_lines(web):
    import json

    _some_history(web)
    with web.active():  # the stream is read from the database as it is consumed
        response = web.client("analyst").get("/api/audit?format=jsonl")
        lines = b"".join(response.streaming_content).decode().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["user"] == "analyst" and entries[2]["action"] == "note"
