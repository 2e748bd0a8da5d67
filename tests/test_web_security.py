"""Security of the pages: article text is escaped everywhere (an article carrying <script> and
onerror= stays text), and sign-in is throttled per username and address."""

from __future__ import annotations

import json

import pytest

from tests.web_support import PASSWORD, REPORTS, make_web

PAYLOAD = '<script>alert("x")</script> <img src=x onerror=alert(1)> "quoted" & more'


@pytest.fixture
def hostile(store, analyzer, tmp_path):
    """The fixture articles plus one whose text carries markup around its allegation."""
    first = json.loads(REPORTS.read_text(encoding="utf-8").splitlines()[0])
    text = first["text"].replace("\n\n", f"\n\n{PAYLOAD}\n\n", 1)
    hostile_line = {**first, "id": "hostile-1", "url": "https://hostile.example/a", "text": text, "published": "2027-01-05T09:00:00+00:00"}
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(hostile_line) + "\n", encoding="utf-8")
    return make_web(store, analyzer, REPORTS, path)


def _hostile_document(web) -> int:
    from caacwatch.store.models import Report

    with web.active():
        return Report.objects.get(external_id="hostile-1").document_id


def _assert_escaped(body: str) -> None:
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<script>alert" not in body and "<img src=x" not in body


def test_article_markup_is_escaped_on_document_and_incident_pages(hostile):
    document = _hostile_document(hostile)
    with hostile.active():
        client = hostile.client("analyst")  # documents and article text are for analysts and admins
        _assert_escaped(client.get(f"/documents/{document}").content.decode())
        incidents = client.get(f"/api/documents/{document}").json()["incidents"]
        assert incidents, "the hostile article should report an incident"
        page = client.get(f"/incidents/{incidents[0]}").content.decode()
    _assert_escaped(page)
    assert 'class="hl-allegation"' in page or 'class="hl-allegation hl-claim"' in page


def test_highlights_cut_the_text_without_losing_any_of_it():
    from caacwatch.web.reads import highlight

    text = "ab<cd>ef"
    pieces = highlight(text, [{"start": 2, "end": 6, "kind": "claim", "label": "c"},
                              {"start": 3, "end": 5, "kind": "allegation", "label": "a"},
                              {"start": 5, "end": 99, "kind": "claim", "label": "out of range"}])
    assert "".join(p["text"] for p in pieces) == text
    assert [(p["text"], p["kinds"]) for p in pieces] == [
        ("ab", ""), ("<", "hl-claim"), ("cd", "hl-allegation hl-claim"), (">", "hl-claim"), ("ef", ""),
    ]


# --- signing in ------------------------------------------------------------------------------
@pytest.fixture
def web(store, analyzer):
    return make_web(store, analyzer)


def _login(client, username, password, next_url="/incidents"):
    return client.post("/login", {"username": username, "password": password, "next": next_url})


def test_sign_in_and_out(web):
    with web.active():
        client = web.client(None)
        response = _login(client, "viewer", PASSWORD)
        assert response.status_code == 302 and response["Location"] == "/incidents"
        assert client.get("/incidents").status_code == 200
        assert _login(web.client(None), "viewer", PASSWORD, next_url="https://evil.example/")["Location"] == "/"
        client.post("/logout")
        assert client.get("/incidents").status_code == 302


def test_login_is_throttled_per_username_and_address(web):
    from caacwatch.web.throttle import MAX_FAILURES

    with web.active():
        client = web.client(None)
        for _ in range(MAX_FAILURES):
            failed = _login(client, "analyst", "wrong password!")
            assert failed.status_code == 200 and b"login-errors" in failed.content
        locked = _login(client, "analyst", PASSWORD)
        assert locked.status_code == 429 and b"Too many failed sign-ins" in locked.content
        assert client.get("/incidents").status_code == 302  # still signed out
        other = _login(web.client(None), "viewer", PASSWORD)  # another user is not locked out
        assert other.status_code == 302
        elsewhere = web.client(None)
        assert elsewhere.post("/login", {"username": "analyst", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9").status_code == 302


def test_a_successful_sign_in_clears_the_failures(web):
    from caacwatch.web.throttle import MAX_FAILURES

    with web.active():
        client = web.client(None)
        for _ in range(MAX_FAILURES - 1):
            _login(client, "viewer", "wrong password!")
        assert _login(client, "viewer", PASSWORD).status_code == 302
        client.post("/logout")
        for _ in range(MAX_FAILURES - 1):
            _login(client, "viewer", "wrong password!")
        assert _login(client, "viewer", PASSWORD).status_code == 302
