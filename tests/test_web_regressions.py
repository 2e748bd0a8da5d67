"""Regressions found by fuzzing the workbench (schemathesis, tests/test_web_schema.py) and by hand,
on SQLite and PostgreSQL: each of these requests was a 500 or broke the documented API contract."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, fresh_database_url
from tests.web_support import PASSWORD, allow_test_host, fast_passwords


@pytest.fixture(scope="module", params=BACKENDS)
def web(request, tmp_path_factory):
    """An empty store with an analyst (none of these requests needs an incident)."""
    from caacwatch.store import open_store

    store = open_store(fresh_database_url(request.param, tmp_path_factory.mktemp(request.param)))
    from caacwatch.web.roles import create_user  # web code needs Django configured (open_store) first
    from caacwatch.web.tokens import create_token

    allow_test_host()
    fast_passwords()
    with store.activate():
        user = create_user("ana", PASSWORD, "analyst")
        token = create_token(user)
    yield store, user, token
    store.close()


def _session(web):
    from django.test import Client

    store, user, _ = web
    client = Client()
    with store.activate():
        client.force_login(user)
    return client


def _api(web, method: str, path: str, body: str = "{}"):
    from django.test import Client

    store, _, token = web
    with store.activate():
        client = Client()
        if method == "GET":
            return client.get(path, HTTP_AUTHORIZATION=f"Token {token}")
        return client.generic(method, path, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}")


def test_split_form_ignores_ids_that_are_not_ascii_digits(web):
    # "²".isdigit() is True but int("²") raises: the page's split form answered 500.
    client = _session(web)
    with web[0].activate():
        response = client.post("/incidents/1/split", {"allegations": ["²", "١"], "note": "x"})
    assert response.status_code == 302


@pytest.mark.parametrize("path", ["/api/incidents?q=%00", "/api/incidents?country=U%00", "/api/incidents?perpetrator=%00",
                                  "/api/incidents/export?q=a%00", "/api/sources/a%00b"])
def test_a_nul_character_in_an_api_url_is_a_400(web, path):
    # PostgreSQL refuses NUL in a text parameter: each of these was a 500 there.
    response = _api(web, "GET", path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json" and "NUL" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/incidents?q=%00", "/incidents?perpetrator=%00", "/sources/a%00b"])
def test_a_nul_character_in_a_page_url_is_a_400(web, path):
    client = _session(web)
    with web[0].activate():
        response = client.get(path)
    assert response.status_code == 400
    assert "Content-Security-Policy" in response  # still answered through the security headers


def test_a_nul_character_in_a_sign_in_name_is_a_failed_sign_in(web):
    from django.test import Client

    # The lockout looked the raw name up (and stored it) before the form refused it: a 500 on PostgreSQL.
    client = Client()
    with web[0].activate():
        response = client.post("/login", {"username": "a\x00b", "password": "wrong password"})
        assert response.status_code == 200 and b'id="login-form"' in response.content
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"])
def test_the_widest_dates_are_no_bound(web, query):
    # The store's local-time conversion overflowed on year 1 and year 9999: a 500 on all three.
    for path in (f"/api/incidents?{query}", f"/api/incidents/export?format=json&{query}"):
        assert _api(web, "GET", path).status_code == 200, path
    client = _session(web)
    with web[0].activate():
        assert client.get(f"/incidents?{query}").status_code == 200


@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/incidents/abc", "/api/incidents/1.5/review"])
def test_an_unknown_api_path_answers_json(web, path):
    response = _api(web, "GET", path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "not found"}


def test_an_unknown_page_still_answers_html(web):
    client = _session(web)
    with web[0].activate():
        response = client.get("/nothing-here")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_validation_errors_carry_detail(web):
    response = _api(web, "POST", "/api/incidents/1/review", "{}")
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"status", "note"}
    assert "status: This field is required." in body["detail"] and "note: This field is required." in body["detail"]
    nested = _api(web, "POST", "/api/incidents/1/split", '{"allegations": [0], "note": "x"}').json()
    assert nested["detail"].startswith("allegations.0: ") and "errors" in nested
    not_an_object = _api(web, "POST", "/api/incidents/1/notes", "[1]").json()
    assert isinstance(not_an_object["detail"], str) and not_an_object["detail"]


def test_audit_formats(web):
    assert _api(web, "GET", "/api/audit?format=xml").status_code == 400
    assert _api(web, "GET", "/api/audit?format=json").status_code == 200
    assert _api(web, "GET", "/api/audit?format=jsonl")["Content-Type"] == "application/x-ndjson"


def test_the_document_states_the_bounds_and_types_the_api_enforces(web):
    document = _api(web, "GET", "/api/openapi.json").json()
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/incidents"]["get"]["parameters"]}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert parameters["page"]["minimum"] == 1
    audit = document["paths"]["/api/audit"]["get"]
    assert set(audit["responses"]["200"]["content"]) == {"application/json", "application/x-ndjson"}
    assert {p["name"]: p["schema"] for p in audit["parameters"]}["format"]["enum"] == ["json", "jsonl"]
