"""The workbench API and pages on SQLite and PostgreSQL: the CONTRACT endpoints, a permission
matrix over every endpoint and every role, security headers, and the OpenAPI document.

One populated store per backend serves the whole module; tests here do not change incidents
(mutating endpoints are called with incomplete bodies: allowed roles get 400, others 401/403).
The review workflow itself is in test_web_review.py.
"""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, fresh_database_url
from tests.web_support import make_web


@pytest.fixture(scope="module", params=BACKENDS)
def web(request, tmp_path_factory, analyzer):
    from caacwatch.store import open_store

    store = open_store(fresh_database_url(request.param, tmp_path_factory.mktemp(request.param)))
    yield make_web(store, analyzer)
    store.close()


@pytest.fixture(scope="module")
def ids(web):
    from caacwatch.store.models import Allegation, Claim, Document, IncidentSource

    with web.active():
        incident = web.incident_ids()[0]
        return {
            "incident": incident,
            "document": Document.objects.order_by("id").values_list("id", flat=True).first(),
            "allegation": Allegation.objects.order_by("id").values_list("id", flat=True).first(),
            "source": Claim.objects.exclude(source_name=None).values_list("source_name", flat=True).first(),
            "source_row": IncidentSource.objects.filter(incident_id=incident).values_list("id", flat=True).first() or 1,
        }


# --- open endpoints and the contract -------------------------------------------------------
def test_healthz_needs_no_authentication(web):
    response = web.api(None, "GET", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_login_serves_the_sign_in_form(web):
    with web.active():
        response = web.client(None).get("/login")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="login-form"' in body and 'name="username"' in body and 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_incident_list_and_detail_contract(web):
    listing = web.api("viewer", "GET", "/api/incidents")
    assert listing.status_code == 200
    results = listing.json()["results"]
    assert results and all("id" in item for item in results)
    assert listing.json()["count"] == len(web.incident_ids())
    detail = web.api("viewer", "GET", f"/api/incidents/{results[0]['id']}")
    assert detail.status_code == 200
    assert detail.json()["status"] == "reported_not_verified"
    assert detail.json()["id"] == results[0]["id"]
    assert web.api("viewer", "GET", "/api/incidents/999999").status_code == 404


def test_history_of_an_untouched_incident_is_an_empty_list(web, ids):
    response = web.api("viewer", "GET", f"/api/incidents/{ids['incident']}/history")
    assert response.status_code == 200 and response.json() == []


def test_openapi_document_describes_the_api(web):
    response = web.api("viewer", "GET", "/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/api/incidents", "/api/incidents/{id}", "/api/incidents/{id}/review", "/api/incidents/{id}/history"):
        assert path in paths, path
    review = paths["/api/incidents/{id}/review"]["post"]
    schema_ref = review["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    request = document["components"]["schemas"][schema_ref]
    assert set(request["required"]) == {"status", "note"}
    assert set(request["properties"]) == {"status", "note", "level"}
    for path in ("/api/incidents/{id}/sources/{source}/rating", "/api/incidents/{id}/public-summary"):
        assert "post" in paths[path], path
    assert "tokenAuth" in document["components"]["securitySchemes"]


def test_filters_and_search(web):
    everything = web.api("viewer", "GET", "/api/incidents").json()["results"]
    ng = web.api("viewer", "GET", "/api/incidents?country=NG").json()["results"]
    assert ng and all(i["countries"] == ["NG"] for i in ng)
    abductions = web.api("viewer", "GET", "/api/incidents?violation=abduction").json()["results"]
    assert abductions and {i["violation"] for i in abductions} == {"abduction"}
    contested = web.api("viewer", "GET", "/api/incidents?flag=contested").json()["results"]
    assert contested and all("contested" in i["flags"] for i in contested)
    found = web.api("analyst", "GET", "/api/incidents?q=Kauru").json()["results"]
    assert found and len(found) < len(everything)
    # A viewer's search looks in the public-safe summaries only: it must not tell which article names a town.
    assert web.api("viewer", "GET", "/api/incidents?q=Kauru").json()["results"] == []
    assert web.api("viewer", "GET", "/api/incidents?q=Abduction of children").json()["results"]
    assert web.api("viewer", "GET", "/api/incidents?q=zzzznothing").json()["results"] == []
    grave = web.api("viewer", "GET", "/api/incidents?violation_class=grave_violation").json()["results"]
    assert grave and all(i["violation_class"] == "grave_violation" for i in grave)
    related = web.api("viewer", "GET", "/api/incidents?violation_class=related_category").json()["results"]
    assert all(i["violation_class"] == "related_category" for i in related)
    assert len(grave) + len(related) == len(everything)  # the two classes are shown apart
    assert web.api("viewer", "GET", "/api/incidents?violation_class=other").status_code == 400
    assert web.api("viewer", "GET", "/api/incidents?since=2099-01-01").json()["results"] == []
    assert web.api("viewer", "GET", "/api/incidents?violation=nonsense").status_code == 400
    assert web.api("viewer", "GET", "/api/incidents?since=yesterday").status_code == 400
    assert web.api("viewer", "GET", "/api/incidents?page_size=0").status_code == 400
    paged = web.api("viewer", "GET", "/api/incidents?page_size=1&page=2").json()
    assert len(paged["results"]) == 1 and paged["results"][0]["id"] == everything[1]["id"]


@pytest.mark.parametrize("fmt", ["csv", "json", "geojson", "hxl"])
def test_exports_respect_the_filters(web, fmt):
    import json

    response = web.api("viewer", "GET", f"/api/incidents/export?format={fmt}&country=UA")
    assert response.status_code == 200
    text = response.content.decode()
    ua = web.api("viewer", "GET", "/api/incidents?country=UA").json()["results"]
    if fmt == "json":
        assert [i["id"] for i in json.loads(text)] == [i["id"] for i in ua]
    elif fmt == "geojson":
        features = json.loads(text)["features"]
        assert features and {f["properties"]["id"] for f in features} <= {i["id"] for i in ua}
    else:
        lines = [line for line in text.splitlines() if line]
        header_rows = 2 if fmt == "hxl" else 1
        assert len(lines) == header_rows + len(ua)
        assert "Kauru" not in text
    assert web.api("viewer", "GET", "/api/incidents/export?format=xlsx").status_code == 400


# --- the permission matrix -----------------------------------------------------------------
# (method, path template, body, the lowest role allowed). Bodies of changes are incomplete on
# purpose: an allowed role gets 400 and nothing changes.
ENDPOINTS = [
    ("GET", "/api/incidents", None, "viewer"),
    ("GET", "/api/incidents/export?format=csv", None, "viewer"),
    ("GET", "/api/incidents/{incident}", None, "viewer"),
    ("GET", "/api/incidents/{incident}/history", None, "viewer"),
    ("POST", "/api/incidents/{incident}/review", {"status": "pending_verification"}, "analyst"),
    ("POST", "/api/incidents/{incident}/sources/{source_row}/rating", {}, "analyst"),
    ("POST", "/api/incidents/{incident}/public-summary", {}, "analyst"),
    ("POST", "/api/incidents/{incident}/notes", {}, "analyst"),
    ("POST", "/api/incidents/{incident}/merge", {"note": "x"}, "analyst"),
    ("POST", "/api/incidents/{incident}/split", {"note": "x"}, "analyst"),
    ("GET", "/api/allegations/{allegation}", None, "analyst"),
    ("PATCH", "/api/allegations/{allegation}", {"victims_count": 3}, "analyst"),
    ("GET", "/api/documents/{document}", None, "analyst"),
    ("GET", "/api/sources", None, "analyst"),
    ("GET", "/api/sources/{source}", None, "analyst"),
    ("GET", "/api/review-queue", None, "viewer"),
    ("GET", "/api/dashboard", None, "viewer"),
    ("GET", "/api/me", None, "viewer"),
    ("GET", "/api/openapi.json", None, "viewer"),
    ("GET", "/api/audit", None, "analyst"),
    ("GET", "/api/audit?format=jsonl", None, "analyst"),
    ("GET", "/api/audit/verify", None, "admin"),
    ("GET", "/api/users", None, "admin"),
    ("POST", "/api/users", {"username": "x"}, "admin"),
]
RANK = {"norole": 0, "viewer": 1, "analyst": 2, "admin": 3}


@pytest.mark.parametrize("who", [None, "norole", "viewer", "analyst", "admin"])
@pytest.mark.parametrize(("method", "path", "body", "needed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_permission_matrix(web, ids, who, method, path, body, needed):
    response = web.api(who, method, path.format(**ids), body)
    if who is None:
        assert response.status_code == 401, response.content
        assert response["WWW-Authenticate"] == "Token"
    elif RANK[who] < RANK[needed]:
        assert response.status_code == 403, response.content
    else:
        expected = 400 if body is not None else 200
        assert response.status_code == expected, response.content


def test_an_invalid_token_is_refused(web):
    from django.test import Client

    with web.active():
        response = Client().get("/api/incidents", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


PAGES = [
    ("/", "viewer"), ("/incidents", "viewer"), ("/incidents?country=NG&flag=contested", "viewer"),
    ("/incidents/{incident}", "viewer"), ("/documents/{document}", "analyst"), ("/sources", "analyst"),
    ("/sources/{source}", "analyst"), ("/review", "viewer"),
    ("/audit", "analyst"), ("/allegations/{allegation}/edit", "analyst"),
]


@pytest.mark.parametrize("who", [None, "norole", "viewer", "analyst", "admin"])
@pytest.mark.parametrize(("path", "needed"), PAGES, ids=[p for p, _ in PAGES])
def test_page_matrix(web, ids, who, path, needed):
    url = path.format(**ids)
    with web.active():
        response = web.client(who).get(url)
    if who is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/login?next=")
    elif RANK[who] < RANK[needed]:
        assert response.status_code == 403
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("viewer", 302), ("analyst", 302), ("admin", 200)])
def test_admin_is_for_admins_only(web, who, status):
    with web.active():
        response = web.client(who).get("/admin/")
    assert response.status_code == status
    if status == 302:
        assert "login" in response["Location"]


def test_page_actions_need_the_analyst_role(web, ids):
    with web.active():
        client = web.client("viewer")
        response = client.post(f"/incidents/{ids['incident']}/review", {"status": "pending_verification", "note": "x"})
        rating = client.post(f"/incidents/{ids['incident']}/sources/{ids['source_row']}/rating", {"credibility": "low"})
        summary = client.post(f"/incidents/{ids['incident']}/public-summary", {"text": "x"})
    assert response.status_code == rating.status_code == summary.status_code == 403
    assert web.api("viewer", "GET", f"/api/incidents/{ids['incident']}").json()["status"] == "reported_not_verified"
    assert web.api("analyst", "GET", f"/api/incidents/{ids['incident']}/history").json() == []


# --- security --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/login", "/healthz", "/", "/incidents", "/api/incidents"])
def test_security_headers(web, path):
    with web.active():
        response = web.client("viewer").get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert len(response["X-Request-ID"]) == 32


def test_pages_have_no_inline_script_or_style(web, ids):
    import re

    with web.active():
        client = web.client("analyst")
        for path in ("/", "/incidents", f"/incidents/{ids['incident']}", f"/documents/{ids['document']}", "/login"):
            body = client.get(path).content.decode()
            assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
            assert "<style" not in body and " style=" not in body, path
            assert not re.search(r"\son[a-z]+=", body), path


def test_session_posts_need_a_csrf_token(web, ids):
    with web.active():
        client = web.client("analyst", csrf=True)
        page = client.post(f"/incidents/{ids['incident']}/note", {"note": "no token"})
        api = client.post(f"/api/incidents/{ids['incident']}/notes", {"note": "no token"}, content_type="application/json")
    assert page.status_code == 403
    assert api.status_code == 403
    assert web.api("viewer", "GET", f"/api/incidents/{ids['incident']}/history").json() == []


def test_static_files_are_served(web):
    with web.active():
        client = web.client(None)
        css = client.get("/static/caacwatch_web/app.css")
        htmx = client.get("/static/django_htmx/htmx-2.min.js")
    assert css.status_code == 200 and htmx.status_code == 200


def test_the_filter_form_swaps_only_the_results_for_htmx(web):
    with web.active():
        client = web.client("viewer")
        full = client.get("/incidents?country=NG").content.decode()
        partial = client.get("/incidents?country=NG", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in full and 'id="filter-form"' in full
    assert "<html" not in partial and 'id="incident-table"' in partial
    assert "export?format=csv&amp;country=NG" in partial
