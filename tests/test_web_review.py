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


def _review(web, incident_id, status, note="checked", who="analyst", level=None):
    body = {"status": status, "note": note} | ({"level": level} if level else {})
    return web.api(who, "POST", f"/api/incidents/{incident_id}/review", body)


def _detail(web, incident_id, who="analyst"):
    return web.api(who, "GET", f"/api/incidents/{incident_id}").json()


def test_a_new_incident_can_be_decided_in_one_step(web):
    incident = web.incident_ids()[-1]
    response = _review(web, incident, "verified", note="UNICEF statement and two outlets on the ground", level="focal_point")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "verified" and body["verification_level"] == "focal_point" and body["verified_by"] == "analyst"
    history = web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()
    assert [(e["before"]["status"], e["after"]["status"], e["after"]["verification_level"]) for e in history] == [
        ("reported_not_verified", "verified", "focal_point")]


def test_verification_needs_a_level_and_records_who_and_when(web):
    from datetime import datetime

    incident = web.incident_ids()[0]
    assert _review(web, incident, "verified").status_code == 400  # no level
    assert _review(web, incident, "verified", level="the_press").status_code == 400
    assert _review(web, incident, "pending_verification", level="task_force").status_code == 400  # a level only with verified
    assert _detail(web, incident)["status"] == "reported_not_verified"
    assert _review(web, incident, "pending_verification").status_code == 200
    assert _review(web, incident, "verified", who="admin", level="task_force_co_chairs").status_code == 200
    detail = _detail(web, incident)
    assert (detail["status"], detail["verification_level"], detail["verified_by"]) == ("verified", "task_force_co_chairs", "admin")
    verified_at = datetime.fromisoformat(detail["verified_at"])
    assert verified_at.tzinfo is not None
    assert sorted(detail["allowed_transitions"]) == ["pending_verification", "verified"]
    assert _review(web, incident, "verified", level="task_force_co_chairs").status_code == 409  # same level again
    assert _review(web, incident, "verified", level="task_force").status_code == 200  # escalated to the task force
    detail = _detail(web, incident, who="viewer")  # who, when and the level are not restricted
    assert (detail["verification_level"], detail["verified_by"]) == ("task_force", "analyst")
    assert _review(web, incident, "pending_verification", note="new denial").status_code == 200
    detail = _detail(web, incident)
    assert detail["verified_by"] is detail["verified_at"] is detail["verification_level"] is None
    history = web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()
    assert [(h["username"], h["before"]["status"], h["after"]["status"], h["after"]["verification_level"]) for h in history] == [
        ("analyst", "reported_not_verified", "pending_verification", None),
        ("admin", "pending_verification", "verified", "task_force_co_chairs"),
        ("analyst", "verified", "verified", "task_force"),
        ("analyst", "verified", "pending_verification", None),
    ]
    assert history[1]["after"]["verified_by"] == "admin" and history[1]["after"]["verified_at"]


def test_review_transitions_and_history(web):
    incident = web.incident_ids()[0]
    assert _review(web, incident, "reported_not_verified").status_code == 409  # no change is not a transition
    assert _review(web, incident, "pending_verification", note="").status_code == 400
    assert _review(web, incident, "pending_verification", note="   ").status_code == 400
    assert _review(web, incident, "bogus").status_code == 400
    assert _review(web, incident, "under_review").status_code == 400  # the workbench's earlier names are gone
    assert web.api("analyst", "POST", f"/api/incidents/{incident}/review", {"status": "pending_verification"}).status_code == 400
    assert _review(web, incident, "pending_verification", who="viewer").status_code == 403
    first = _review(web, incident, "pending_verification", note="two outlets, checking the police statement")
    assert first.status_code == 200 and first.json()["status"] == "pending_verification"
    assert _review(web, incident, "pending_verification").status_code == 409
    assert _review(web, incident, "did_not_occur", note="the school says no one was taken", who="admin").status_code == 200
    assert _detail(web, incident, "viewer")["status"] == "did_not_occur"
    assert _detail(web, incident)["allowed_transitions"] == ["pending_verification"]
    assert _review(web, incident, "verified", level="focal_point").status_code == 409  # re-open first
    history = web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()
    assert [(h["username"], h["action"], h["before"]["status"], h["after"]["status"], h["note"]) for h in history] == [
        ("analyst", "review", "reported_not_verified", "pending_verification", "two outlets, checking the police statement"),
        ("admin", "review", "pending_verification", "did_not_occur", "the school says no one was taken"),
    ]
    assert all(len(h["request_id"]) == 32 for h in history)
    assert history[1]["prev_hash"] == history[0]["hash"]
    viewer = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()  # no notes for viewers
    assert [h["after"]["status"] for h in viewer] == ["pending_verification", "did_not_occur"]
    assert all(h["note"] == "" for h in viewer)
    assert web.api("analyst", "POST", "/api/incidents/999999/review", {"status": "pending_verification", "note": "x"}).status_code == 404


def test_every_path_through_the_workflow(web):
    from caacwatch.web.review import TRANSITIONS

    incident = web.incident_ids()[0]
    for path in (["pending_verification", "not_a_violation", "pending_verification", "did_not_occur",
                  "pending_verification", "reported_not_verified"],
                 ["not_a_violation", "pending_verification", "verified", "pending_verification", "verified",
                  "pending_verification", "reported_not_verified", "did_not_occur"]):
        for status in path:
            current = _detail(web, incident)["status"]
            assert status in TRANSITIONS[current]
            level = "focal_point" if status == "verified" else None
            assert _review(web, incident, status, level=level).status_code == 200, (current, status)


def test_the_review_form_on_the_incident_page(web):
    incident = web.incident_ids()[0]
    with web.active():
        client = web.client("analyst")
        page = client.get(f"/incidents/{incident}").content.decode()
        assert 'id="review-form"' in page and 'name="level"' in page
        client.post(f"/incidents/{incident}/review", {"status": "pending_verification", "note": ""})
        assert _detail(web, incident)["status"] == "reported_not_verified"
        client.post(f"/incidents/{incident}/review", {"status": "pending_verification", "note": "from the page"})
        assert _detail(web, incident)["status"] == "pending_verification"
        client.post(f"/incidents/{incident}/review", {"status": "verified", "level": "", "note": "no level"})
        assert _detail(web, incident)["status"] == "pending_verification"
        client.post(f"/incidents/{incident}/review", {"status": "verified", "level": "task_force", "note": "task force met"})
        page = client.get(f"/incidents/{incident}").content.decode()
    detail = _detail(web, incident)
    assert (detail["status"], detail["verification_level"], detail["verified_by"]) == ("verified", "task_force", "analyst")
    assert "from the page" in page and 'data-testid="history-entry"' in page
    assert 'data-testid="verification-level">task force<' in page and 'data-testid="verified-by">analyst<' in page


def test_viewers_cannot_decide_rate_or_edit_from_the_pages(web):
    incident = web.incident_ids()[0]
    with web.active():
        client = web.client("viewer")
        page = client.get(f"/incidents/{incident}").content.decode()
        posts = [client.post(f"/incidents/{incident}/review", {"status": "verified", "level": "task_force", "note": "x"}),
                 client.post(f"/incidents/{incident}/public-summary", {"text": "x"}),
                 client.post(f"/incidents/{incident}/sources/1/rating", {"credibility": "low"})]
    assert [p.status_code for p in posts] == [403, 403, 403]
    for form in ("review-form", "public-summary-form", "rating-form", "note-form"):
        assert f'data-testid="{form}"' not in page, form
    assert web.api("analyst", "GET", f"/api/incidents/{incident}/history").json() == []


# --- source ratings and the public-safe summary ---------------------------------------------------
def _rated_incident(web):
    """An incident with at least one typed source, and that source's row."""
    for incident in web.incident_ids():
        sources = _detail(web, incident)["sources"]
        if sources:
            return incident, sources[0]
    raise AssertionError("no incident has a source")


def test_rating_a_source_is_audited_and_recounts_the_incident(web):
    incident, source = _rated_incident(web)
    path = f"/api/incidents/{incident}/sources/{source['id']}/rating"
    assert web.api("viewer", "POST", path, {"credibility": "low"}).status_code == 403
    assert web.api(None, "POST", path, {"credibility": "low"}).status_code == 401
    assert web.api("analyst", "POST", path, {"credibility": "doubtful"}).status_code == 400
    assert web.api("analyst", "POST", path, {}).status_code == 400
    assert web.api("analyst", "POST", f"/api/incidents/{incident}/sources/999999/rating", {"credibility": "low"}).status_code == 404
    other = next(i for i in web.incident_ids() if i != incident)
    assert web.api("analyst", "POST", f"/api/incidents/{other}/sources/{source['id']}/rating", {"credibility": "low"}).status_code == 404
    assert web.api("analyst", "GET", f"/api/incidents/{incident}/history").json() == []

    response = web.api("analyst", "POST", path, {"credibility": "low", "reliability": "high", "note": "a party to the conflict"})
    assert response.status_code == 200, response.content
    rated = next(s for s in _detail(web, incident)["sources"] if s["id"] == source["id"])
    assert (rated["credibility"], rated["reliability"], rated["rated_by"]) == ("low", "high", "analyst")
    assert (rated["proposed_credibility"], rated["proposed_reliability"]) == (source["proposed_credibility"], source["proposed_reliability"])
    counted = [b for c in _detail(web, incident)["counts"].values() for b in c.get("by_source", []) if b.get("source") == source["name"]]
    assert all(b.get("credibility") == "low" for b in counted)  # the figures were recounted with the new rating
    entry = web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()[-1]
    assert (entry["action"], entry["object_type"], entry["object_id"], entry["note"]) == (
        "rate_source", "incident_source", str(source["id"]), "a party to the conflict")
    assert entry["before"]["credibility"] is None and entry["after"]["credibility"] == "low"
    assert entry["after"]["rated_by"] == "analyst"
    seen = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()[-1]  # ratings, no names or notes
    assert seen["before"] == {"reliability": None, "credibility": None} and seen["after"] == {"reliability": "high", "credibility": "low"}
    assert seen["note"] == ""

    assert web.api("admin", "POST", path, {"credibility": None}).status_code == 200  # back to the proposal
    rated = next(s for s in _detail(web, incident)["sources"] if s["id"] == source["id"])
    assert (rated["credibility"], rated["reliability"]) == (source["proposed_credibility"], "high")
    with web.active():  # the page's form
        response = web.client("analyst").post(f"/incidents/{incident}/sources/{source['id']}/rating",
                                              {"reliability": "low", "credibility": "medium", "note": "from the page"})
    assert response.status_code == 302
    rated = next(s for s in _detail(web, incident)["sources"] if s["id"] == source["id"])
    assert (rated["credibility"], rated["reliability"]) == ("medium", "low")
    assert [h["action"] for h in web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()] == ["rate_source"] * 3


def test_the_public_summary_is_proposed_then_edited_and_audited(web):
    incident = web.incident_ids()[0]
    before = _detail(web, incident)
    proposal = before["public_summary_proposed"]
    assert proposal and before["public_summary"] == proposal and before["public_summary_by"] is None
    with web.active():
        page = web.client("viewer").get(f"/incidents/{incident}").content.decode()
    assert 'data-testid="public-summary-proposed"' in page
    path = f"/api/incidents/{incident}/public-summary"
    text = "Abduction of children (a grave violation) in Kaduna, Nigeria, in March 2026."
    assert web.api("viewer", "POST", path, {"text": text}).status_code == 403
    assert web.api("analyst", "POST", path, {}).status_code == 400
    assert web.api("analyst", "POST", path, {"text": "x" * 4001}).status_code == 400
    response = web.api("analyst", "POST", path, {"text": text, "note": "shorter"})
    assert response.status_code == 200, response.content
    assert web.api("analyst", "POST", path, {"text": text}).status_code == 409  # unchanged
    for who in ("viewer", "analyst"):
        detail = _detail(web, incident, who)
        assert detail["public_summary"] == text and detail["public_summary_by"] == "analyst"
    assert _detail(web, incident)["public_summary_proposed"] == proposal  # the proposal is kept beside it
    assert _detail(web, incident, "viewer")["summary"] == text  # viewers read the public summary as the summary
    entry = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()[-1]
    assert entry["action"] == "public_summary" and entry["after"]["public_summary"] == text and entry["note"] == ""
    with web.active():
        page = web.client("viewer").get(f"/incidents/{incident}").content.decode()
        assert 'data-testid="public-summary-proposed"' not in page and text in page
        web.client("admin").post(f"/incidents/{incident}/public-summary", {"text": "", "note": "back to the proposal"})
    detail = _detail(web, incident)
    assert detail["public_summary"] == proposal and detail["public_summary_by"] is None
    assert [h["action"] for h in web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()] == ["public_summary"] * 2


def test_notes_are_audited(web):
    incident = web.incident_ids()[0]
    assert web.api("analyst", "POST", f"/api/incidents/{incident}/notes", {"note": ""}).status_code == 400
    response = web.api("analyst", "POST", f"/api/incidents/{incident}/notes", {"note": "asked the Daily for sources"})
    assert response.status_code == 201
    history = web.api("analyst", "GET", f"/api/incidents/{incident}/history").json()
    assert history[-1]["action"] == "note" and history[-1]["note"] == "asked the Daily for sources"
    viewer = web.api("viewer", "GET", f"/api/incidents/{incident}/history").json()
    assert viewer[-1]["action"] == "note" and viewer[-1]["note"] == ""  # a note may name a source: not for viewers


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
    assert merged["status"] == "not_a_violation" and merged["merged_into"] == abduction and merged["document_count"] == 0
    target = web.api("analyst", "GET", f"/api/incidents/{abduction}").json()
    assert target["merged_from"] == [extra.id]
    assert a.id in [al["id"] for r in target["reports"] for al in r["allegations"]]
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/merge", {"other": extra.id, "note": "again"}).status_code == 409
    assert [h["action"] for h in web.api("viewer", "GET", f"/api/incidents/{extra.id}/history").json()] == ["merge_into"]


def test_split_moves_allegations_into_a_new_incident(web):
    abduction = _incident(web, "abduction", "NG")
    detail = web.api("analyst", "GET", f"/api/incidents/{abduction}").json()
    allegations = [a for r in detail["reports"] for a in r["allegations"]]
    assert len(allegations) >= 2
    everything = [a["id"] for a in allegations]
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": everything, "note": "x"}).status_code == 400
    assert web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": [10**9], "note": "x"}).status_code == 400
    moving = allegations[-1]
    response = web.api("analyst", "POST", f"/api/incidents/{abduction}/split", {"allegations": [moving["id"]], "note": "a second raid"})
    assert response.status_code == 201, response.content
    new = web.api("analyst", "GET", f"/api/incidents/{response.json()['new']}").json()
    assert new["status"] == "reported_not_verified" and new["violation"] == "abduction"
    assert [a["id"] for r in new["reports"] for a in r["allegations"]] == [moving["id"]]
    assert moving["document"] in [r["document"] for r in new["reports"]]
    left = web.api("analyst", "GET", f"/api/incidents/{abduction}").json()
    assert moving["id"] not in [a["id"] for r in left["reports"] for a in r["allegations"]]
    assert left["history"][-1]["action"] == "split"


def test_editing_an_allegation_recomputes_its_incident(web):
    abduction = _incident(web, "abduction", "NG")
    allegation = web.api("analyst", "GET", f"/api/incidents/{abduction}").json()["reports"][0]["allegations"][0]
    path = f"/api/allegations/{allegation['id']}"
    assert web.api("analyst", "PATCH", path, {"victims_count": 41}).status_code == 400  # no note
    assert web.api("analyst", "PATCH", path, {"victims_count": -1, "note": "x"}).status_code == 400
    assert web.api("analyst", "PATCH", path, {"id": 5, "note": "x"}).status_code == 400
    response = web.api("analyst", "PATCH", path, {"victims_count": 1, "perpetrator_name": "bandits", "note": "police figure"})
    assert response.status_code == 200, response.content
    assert response.json()["victims_count"] == 1
    incident = web.api("analyst", "GET", f"/api/incidents/{abduction}").json()
    assert incident["victims"]["count"] == 1
    entry = incident["history"][-1]
    assert entry["action"] == "edit_allegation" and entry["object_type"] == "allegation"
    assert entry["before"]["victims_count"] == allegation["victims_count"] and entry["after"]["victims_count"] == 1


# --- the audit log -------------------------------------------------------------------------
def _some_history(web):
    incident = web.incident_ids()[0]
    assert _review(web, incident, "pending_verification").status_code == 200
    assert _review(web, incident, "verified", level="focal_point").status_code == 200
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
    "UPDATE caacwatch_web_auditentry SET after = '{\"status\":\"not_a_violation\"}' WHERE seq = 2",
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
        review.change_status(incident, "verified", "x", review.Actor("analyst"), level="focal_point")
    detail = web.api("viewer", "GET", f"/api/incidents/{incident}").json()
    assert (detail["status"], detail["verified_by"], detail["verification_level"]) == ("reported_not_verified", None, None)


def test_audit_export_is_json_lines(web):
    import json

    _some_history(web)
    with web.active():  # the stream is read from the database as it is consumed
        response = web.client("analyst").get("/api/audit?format=jsonl")
        lines = b"".join(response.streaming_content).decode().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[0]["user"] == "analyst" and entries[2]["action"] == "note"


def test_related_categories_are_shown_apart_from_grave_violations(web):
    """A related category (a school used as a base) is counted next to the six, never as one of them."""
    from caacwatch.store.models import Incident

    incident = web.incident_ids()[0]
    with web.active():
        Incident.objects.filter(id=incident).update(violation="military_use_schools_hospitals", violation_class="related_category")
    for who in ("viewer", "analyst"):
        data = web.api(who, "GET", "/api/dashboard").json()
        assert data["by_related_category"] == {"military_use_schools_hospitals": 1}
        assert "military_use_schools_hospitals" not in data["by_violation"]
        assert data["by_class"] == {"grave_violation": data["total"] - 1, "related_category": 1}
        related = web.api(who, "GET", "/api/incidents?violation_class=related_category").json()["results"]
        assert [i["id"] for i in related] == [incident]
        grave = web.api(who, "GET", "/api/incidents?violation_class=grave_violation").json()["results"]
        assert incident not in [i["id"] for i in grave]
    with web.active():
        client = web.client("viewer")
        dashboard = client.get("/").content.decode()
        page = client.get(f"/incidents/{incident}").content.decode()
        listing = client.get("/incidents?violation_class=related_category").content.decode()
    counts = dashboard.split('data-testid="counts-related"', 1)[1].split("</table>", 1)[0]
    assert "military_use_schools_hospitals" in counts
    assert "military_use_schools_hospitals" not in dashboard.split('data-testid="counts-violation"', 1)[1].split("</table>", 1)[0]
    assert 'data-testid="incident-class">related category<' in page
    assert listing.count('data-testid="incident-row"') == 1
