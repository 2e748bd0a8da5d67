"""Workbench commands: ``serve``, ``users create``, ``tokens create``, ``audit verify``.

Registered on the main typer app by :func:`register` (as :mod:`caacwatch.cli_store` does).
"""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from caacwatch.cli_store import DbOption
from caacwatch.errors import CaacError

stderr = Console(stderr=True, soft_wrap=True)  # an error is one line, whatever the width
ROLE_HELP = "viewer (read), analyst (review) or admin (users, settings)."


def register(app: typer.Typer) -> None:
    from caacwatch.cli_store import add_group

    app.command()(serve)
    add_group(app, "users", "Workbench users.", {"create": users_create})
    add_group(app, "tokens", "API tokens.", {"create": tokens_create})
    add_group(app, "audit", "The review audit log.", {"verify": audit_verify})


def _fail(message: str, code: int = 2) -> typer.Exit:
    stderr.print(f"[red]error[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def _open(db: str | None):
    from caacwatch.store import open_store

    try:
        return open_store(db)
    except CaacError as exc:
        raise _fail(str(exc)) from exc


def _cli_actor():
    from caacwatch.web.audit import Actor

    return Actor(username=f"cli:{getpass.getuser()}", request_id="cli")


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    allowed_host: Annotated[list[str] | None, typer.Option("--allowed-host", help="A host name clients use (repeatable); loopback names are always allowed.")] = None,
    threads: Annotated[int, typer.Option(help="Worker threads (4 measured best on 2 cores; see BENCHMARKS.md).")] = 4,
) -> None:
    """Serve the web workbench (waitress; migrations applied; secret key from $CAACWATCH_SECRET_KEY or the database)."""
    from caacwatch.web.server import serve as run

    try:
        run(db, host, port, allowed_host or [], threads=threads)
    except CaacError as exc:
        raise _fail(str(exc)) from exc
    except KeyboardInterrupt:
        pass


def users_create(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)] = "viewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")] = False,
    db: DbOption = None,
) -> None:
    """Create a user with a role (or reset an existing user's password and role)."""
    from caacwatch.web.roles import ROLES

    if role not in ROLES:
        raise _fail(f"--role must be one of {', '.join(ROLES)}")
    password = _read_password(password_stdin)
    store = _open(db)
    from django.core.exceptions import ValidationError

    from caacwatch.web.audit import append
    from caacwatch.web.roles import create_user

    try:
        with store.atomic():
            user = create_user(name, password, role)
            append("user_set", _cli_actor(), incident_id=None, object_type="user", object_id=user.id,
                   after={"username": user.username, "role": role})
    except ValidationError as exc:
        raise _fail("password refused: " + " ".join(exc.messages)) from exc
    sys.stdout.write(f"user {name} ({role}) saved\n")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise _fail("empty password")
    return password


def tokens_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for (shown in /admin/).")] = "",
    db: DbOption = None,
) -> None:
    """Create an API token for a user and print it (once): send it as `Authorization: Token <token>`."""
    store = _open(db)
    from django.contrib.auth import get_user_model

    from caacwatch.web.audit import append
    from caacwatch.web.tokens import create_token

    with store.atomic():
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise _fail(f"no active user {name!r}: create one with `caacwatch users create`")
        token = create_token(user, label)
        append("token_create", _cli_actor(), incident_id=None, object_type="user", object_id=user.id,
               after={"username": name, "label": label, "prefix": token[:6]})
    sys.stdout.write(token + "\n")


def audit_verify(
    db: DbOption = None,
    expect: Annotated[str | None, typer.Option(help="A head hash printed by an earlier run: it must still be in the chain.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recompute the audit log's hash chain; exit 1 if an entry was altered, removed or inserted."""
    store = _open(db)
    from caacwatch.web.audit import verify

    with store.activate():
        report = verify(expect)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        state = "OK" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        sys.stdout.write(f"audit log {state}: {report.entries} entries\naudit head {report.head}\n")
        if report.expected_found is False:
            sys.stdout.write(f"  expected head {expect} is not in the chain\n")
        for problem in report.problems:
            sys.stdout.write("  " + json.dumps(problem) + "\n")
    if not report.ok:
        raise typer.Exit(1)
