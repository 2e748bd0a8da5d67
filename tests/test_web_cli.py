"""Workbench commands: ``users create``, ``tokens create``, ``audit verify``, and ``serve`` started
in a subprocess on a free port (real waitress), answering /healthz and the API, then stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from typer.testing import CliRunner

from tests.web_support import PASSWORD


def cli_app():
    """A typer app with the workbench commands, registered as ``caacwatch`` registers them."""
    import typer

    from caacwatch.cli_web import register

    app = typer.Typer()
    register(app)
    return app


def _run(*args, stdin: str | None = None):
    return CliRunner().invoke(cli_app(), list(args), input=stdin)


def test_users_create_and_tokens_create(db_url):
    from django.test import Client

    from caacwatch.store import open_store
    from tests.web_support import allow_test_host

    created = _run("users", "create", "amina", "--role", "analyst", "--password-stdin", "--db", db_url, stdin=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    token = _run("tokens", "create", "amina", "--db", db_url)
    assert token.exit_code == 0, token.output
    key = token.output.strip()
    assert len(key) >= 40 and "\n" not in key
    store = open_store(db_url)
    allow_test_host()
    with store.activate():
        me = Client().get("/api/me", HTTP_AUTHORIZATION=f"Token {key}")
        from caacwatch.web.models import ApiToken, AuditEntry

        assert not ApiToken.objects.filter(key_hash=key).exists()  # only the hash is stored
        assert [e.action for e in AuditEntry.objects.order_by("seq")] == ["user_set", "token_create"]
    assert me.status_code == 200 and me.json()["username"] == "amina" and me.json()["role"] == "analyst"
    store.close()


def test_users_create_refuses_bad_input(db_url):
    assert _run("users", "create", "x", "--role", "overlord", "--password-stdin", "--db", db_url, stdin=PASSWORD + "\n").exit_code == 2
    weak = _run("users", "create", "x", "--role", "viewer", "--password-stdin", "--db", db_url, stdin="123\n")
    assert weak.exit_code == 2 and "password" in weak.output
    assert _run("tokens", "create", "nobody", "--db", db_url).exit_code == 2


def test_audit_verify_on_an_empty_log(db_url):
    result = _run("audit", "verify", "--db", db_url)
    assert result.exit_code == 0 and "OK: 0 entries" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None):
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}: {process.stderr.read().decode()}")
        try:
            if _get(url + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError("serve did not answer /healthz in time")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_serve_answers_then_stops(tmp_path, backend):
    import json

    db = str(tmp_path / "served.sqlite3")
    assert _run("users", "create", "vera", "--role", "viewer", "--password-stdin", "--db", db, stdin=PASSWORD + "\n").exit_code == 0
    token = _run("tokens", "create", "vera", "--db", db).output.strip()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "CAACWATCH_SECRET_KEY"}
    process = subprocess.Popen(
        [sys.executable, "-m", "caacwatch.web", "serve", "--db", db, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        status, headers, body = _get(base + "/healthz")
        assert json.loads(body) == {"status": "ok"}
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Server"] == "caacwatch"
        assert _get(base + "/api/incidents")[0] == 401
        status, _, body = _get(base + "/api/incidents", token)
        assert status == 200 and json.loads(body)["results"] == []
        status, _, body = _get(base + "/login")
        assert status == 200 and b'id="login-form"' in body
        assert _get(base + "/static/caacwatch_web/app.css")[0] == 200
        assert _get(f"http://localhost:{port}/healthz")[0] == 200
        bad_host = urllib.request.Request(base + "/healthz", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad_host, timeout=5)
        assert refused.value.code == 400
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode is not None
    # the generated secret key was stored in the database, once
    from caacwatch.store import open_store

    store = open_store(db)
    with store.activate():
        from caacwatch.web.models import InstanceSecret

        assert InstanceSecret.objects.filter(name="secret_key").count() == 1
    store.close()
