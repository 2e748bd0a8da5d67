"""A real ``caacwatch serve`` for the browser and schema tests: a SQLite database populated from the
monitor fixtures, users and tokens made with the CLI, and the server in a subprocess on a free
loopback port (waitress, DEBUG off, the same process a monitor would run), stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.web_support import PASSWORD, REPORTS, ingest

# Debian's Chromium, never a downloaded browser, started the way this machine allows (no sandbox as
# root, no GPU, no background connections to a closed network).
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


def cli(*args: str, stdin: str | None = None) -> str:
    """Run a workbench command (``python -m caacwatch.web ...``, as ``caacwatch ...``); its stdout."""
    done = subprocess.run([sys.executable, "-m", "caacwatch.web", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=_env())
    if done.returncode != 0:
        raise AssertionError(f"caacwatch {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


_populated: list[Path] = []  # the first database populated in this session, copied for the others


def populated_database(directory: Path, analyzer) -> str:
    """A fresh SQLite database holding the monitor fixtures: ingested (with the session's analyzer)
    the first time in a session, a copy of that database (SQLite's backup API) after that."""
    import sqlite3

    from caacwatch.store import open_store

    db = directory / "served.sqlite3"
    if _populated and _populated[0].is_file():
        with sqlite3.connect(_populated[0]) as source, sqlite3.connect(db) as target:
            source.backup(target)
        return str(db)
    store = open_store(str(db))
    try:
        ingest(store, analyzer, REPORTS)
    finally:
        store.close()
    pristine = directory / "pristine.sqlite3"
    with sqlite3.connect(db) as source, sqlite3.connect(pristine) as target:
        source.backup(target)
    _populated[:] = [pristine]
    return str(db)


def create_user(db: str, name: str, role: str, *, token: bool = False) -> str | None:
    """``caacwatch users create NAME --role ROLE --password-stdin``; with ``token``, also
    ``caacwatch tokens create NAME`` and return the token."""
    cli("users", "create", name, "--role", role, "--password-stdin", "--db", db, stdin=PASSWORD + "\n")
    return cli("tokens", "create", name, "--db", db).strip() if token else None


def users_with_tokens(db: str, roles: dict[str, str]) -> dict[str, str]:
    """Users (name -> role) and a token each, made in this process (faster than a command each)."""
    from caacwatch.store import open_store

    store = open_store(db)
    try:
        from caacwatch.web.roles import create_user as make_user
        from caacwatch.web.tokens import create_token

        with store.atomic():
            return {name: create_token(make_user(name, PASSWORD, role)) for name, role in roles.items()}
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    base: str
    db: str
    process: subprocess.Popen
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def sign_in(page, base: str, name: str, password: str) -> None:
    """Fill the sign-in form at /login and wait for the dashboard (a Playwright page)."""
    page.goto("/login")
    page.get_by_test_id("login-username").fill(name)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(base + "/")


@contextmanager
def serving(db: str, log_dir: Path, *, seconds: float = 60) -> Iterator[Served]:
    """``caacwatch serve --db DB --port FREE`` until the block ends (answered /healthz first)."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    with open(log, "wb") as sink:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(
            [sys.executable, "-m", "caacwatch.web", "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=_env(),
        )
    served = Served(base=f"http://127.0.0.1:{port}", db=db, process=process, log=log)
    try:
        _wait_healthy(served, seconds)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def _wait_healthy(served: Served, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"serve exited with {served.process.returncode}: {served.log_tail()}")
        try:
            with urllib.request.urlopen(served.base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"serve did not answer /healthz within {seconds} s: {served.log_tail()}")


def _env() -> dict[str, str]:
    """The test's environment without a fixed secret key or database (serve makes and stores its own)."""
    return {k: v for k, v in os.environ.items() if k not in ("CAACWATCH_SECRET_KEY", "CAACWATCH_DB")}
