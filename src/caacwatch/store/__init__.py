"""The monitoring store: SQLite embedded by default, PostgreSQL for teams, through Django's ORM.

    from caacwatch.store import open_store
    store = open_store("caacwatch.sqlite3")      # or "postgresql://user:pw@host/db"
    with store.activate():
        from caacwatch.store.models import Incident
        Incident.objects.count()

``open_store`` configures Django (nobody sees a settings module or ``manage.py``), applies the
migrations and returns a :class:`Store` bound to its own connection alias. This package never
imports spaCy; it stores the JSON records the extraction core produces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from caacwatch.errors import CaacError, E
from caacwatch.store.config import configure, database_url, using

__all__ = ["Store", "open_store", "database_url"]


@dataclass(frozen=True)
class Store:
    """A configured database: its URL (for messages) and its Django connection alias."""

    url: str
    alias: str

    @property
    def vendor(self) -> str:
        from django.db import connections

        return connections[self.alias].vendor

    @contextmanager
    def activate(self) -> Iterator[Store]:
        """Route ORM queries made in this block to this store."""
        with using(self.alias):
            yield self

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A transaction on this store (queries inside are routed to it too)."""
        from django.db import transaction

        with using(self.alias), transaction.atomic(using=self.alias):
            yield

    def migrate(self) -> None:
        from django.core.management import call_command

        with using(self.alias):
            call_command("migrate", database=self.alias, verbosity=0, interactive=False)

    def close(self) -> None:
        from django.db import connections

        connections[self.alias].close()

    def describe(self) -> str:
        """The URL without its password, for messages."""
        return _redact(self.url)


def open_store(url: str | None = None, *, migrate: bool = True, **django_settings: Any) -> Store:
    """Open (and by default migrate) the database at ``url`` (default: $CAACWATCH_DB or ./caacwatch.sqlite3)."""
    url = database_url(url)
    alias = configure(url, **django_settings)
    store = Store(url=url, alias=alias)
    try:
        _check_connection(store)
        if migrate:
            store.migrate()
    except CaacError:
        raise
    except Exception as exc:  # the driver's own error: say what to check
        raise CaacError(E.E303, url=store.describe(), reason=_first_line(exc)) from exc
    return store


def _check_connection(store: Store) -> None:
    from django.db import connections

    connection = connections[store.alias]
    connection.ensure_connection()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _redact(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
