"""``caacwatch serve``: the workbench on waitress (a production WSGI server), with whitenoise
for static files, DEBUG off and migrations applied at start.

The secret key (sessions, CSRF-independent signing) is ``$CAACWATCH_SECRET_KEY`` when set;
otherwise one is generated the first time and stored *in the database* (table
``caacwatch_web_instancesecret``), so that it works the same for SQLite and PostgreSQL, survives
restarts, and is shared by several ``serve`` processes on one database. Whoever can read the
database can read that key — but could read every incident and session anyway.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from caacwatch.web.settings import LOOPBACK_HOSTS

ENV_SECRET = "CAACWATCH_SECRET_KEY"
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def allowed_hosts(host: str, extra: list[str]) -> list[str]:
    """Loopback names, the address served on (unless it is a wildcard), and ``--allowed-host``s."""
    hosts = list(LOOPBACK_HOSTS)
    if host not in WILDCARD_ADDRESSES:
        hosts.append(f"[{host}]" if ":" in host else host)
    hosts += [h for h in extra if h]
    return list(dict.fromkeys(hosts))


def prepare(db: str | None, host: str, extra_hosts: list[str]) -> Any:
    """Configure Django for serving, migrate, and install the secret key; returns the store."""
    from django.conf import settings

    from caacwatch.store import open_store

    env_key = os.environ.get(ENV_SECRET, "").strip()
    store = open_store(db, DEBUG=False, ALLOWED_HOSTS=allowed_hosts(host, extra_hosts), SECRET_KEY=env_key or "pending")
    if store.alias != "default":
        raise RuntimeError("serve must be the first database opened in its process")
    with store.activate():
        settings.SECRET_KEY = env_key or stored_secret_key()
    _persistent_connections(store.alias)
    return store


def stored_secret_key() -> str:
    """The database's generated secret key, created on first use (race-safe)."""
    from django.db import IntegrityError, transaction

    from caacwatch.web.models import InstanceSecret

    row = InstanceSecret.objects.filter(name="secret_key").first()
    if row is None:
        try:
            with transaction.atomic():
                row = InstanceSecret.objects.create(name="secret_key", value=secrets.token_urlsafe(50))
        except IntegrityError:  # another serve process created it first
            row = InstanceSecret.objects.get(name="secret_key")
    return row.value


def _persistent_connections(alias: str) -> None:
    """Each server thread keeps its connection for a minute instead of reconnecting per request."""
    from django.db import connections

    connections.settings[alias]["CONN_MAX_AGE"] = 60


def serve(db: str | None, host: str, port: int, extra_hosts: list[str], threads: int = 4) -> None:
    import waitress
    from django.core.wsgi import get_wsgi_application

    store = prepare(db, host, extra_hosts)
    application = get_wsgi_application()
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"caacwatch serving http://{shown}:{port}/ (database {store.describe()}); Ctrl-C stops\n")
    sys.stderr.flush()
    waitress.serve(application, host=host, port=port, threads=threads, ident="caacwatch", clear_untrusted_proxy_headers=True)
