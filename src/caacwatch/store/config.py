"""Django configured by caacwatch itself: users give a database URL, never a settings module.

``configure(url)`` turns ``caacwatch.sqlite3``, ``sqlite:///path`` or ``postgresql://...`` into a
Django ``DATABASES`` entry, configures Django on first use and returns the connection *alias*
the store uses. Several databases may be open in one process (the tests use SQLite and
PostgreSQL side by side): each URL gets its own alias, and a router sends every query to the
alias activated for the current context (:func:`using`).

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a committed transaction survives a killed
process) and ``BEGIN IMMEDIATE`` transactions, so a writer takes the lock up front instead of
failing half-way; one writer at a time is enforced by :mod:`caacwatch.store.lock`.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from caacwatch.errors import CaacError, E

DEFAULT_DB = "caacwatch.sqlite3"
ENV_DB = "CAACWATCH_DB"
_BASE_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "caacwatch.store"]

_current_alias: contextvars.ContextVar[str] = contextvars.ContextVar("caacwatch_db", default="default")
_alias_by_url: dict[str, str] = {}


def database_url(explicit: str | None = None) -> str:
    """The database to use: ``--db`` if given, else ``$CAACWATCH_DB``, else ./caacwatch.sqlite3."""
    return explicit or os.environ.get(ENV_DB) or DEFAULT_DB


def database_settings(url: str) -> dict[str, Any]:
    """A Django ``DATABASES`` entry for ``url`` (a path, ``sqlite:///path`` or ``postgresql://``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("postgres", "postgresql"):
        return _postgresql_settings(url)
    if scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db and sqlite:////abs/path.db, as SQLAlchemy spells them
        path = path[1:]
        return _sqlite_settings(Path(path or DEFAULT_DB))
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive
        raise CaacError(E.E301, url=url)
    return _sqlite_settings(Path(url))


def _sqlite_settings(path: Path) -> dict[str, Any]:
    path = path.expanduser().resolve()
    if path.is_dir():
        raise CaacError(E.E302, path=path)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def _postgresql_settings(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    options: dict[str, Any] = {}
    if parts.query:
        for pair in parts.query.split("&"):
            key, _, value = pair.partition("=")
            options[unquote(key)] = unquote(value)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "caacwatch",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
        "CONN_HEALTH_CHECKS": True,
    }


def configure(url: str, *, extra_apps: list[str] | None = None, **settings: Any) -> str:
    """Configure Django (first call) and register ``url``; return its connection alias.

    The first database becomes Django's ``default`` alias (the one the web app serves);
    later ones get an alias of their own. ``extra_apps``/``settings`` are for the web layer,
    which must call this before anything else touches Django.
    """
    from django.conf import settings as django_settings

    entry = database_settings(url)
    key = _entry_key(entry)
    if key in _alias_by_url:
        return _alias_by_url[key]
    if not django_settings.configured:
        _configure_django(entry, extra_apps or [], settings)
        _alias_by_url[key] = "default"
        return "default"
    return _add_database(key, entry)


def _entry_key(entry: dict[str, Any]) -> str:
    return "|".join(str(entry.get(k, "")) for k in ("ENGINE", "NAME", "HOST", "PORT", "USER"))


def _configure_django(entry: dict[str, Any], extra_apps: list[str], settings: dict[str, Any]) -> None:
    import django
    from django.conf import settings as django_settings

    # The web workbench's apps and settings are always installed (plain data, no web import), so
    # that every process migrates the same schema whichever command configures Django first.
    from caacwatch.web.settings import web_settings

    web = web_settings()
    web_apps = web.pop("INSTALLED_APPS")
    settings = {**web, **settings}
    django_settings.configure(
        DATABASES={"default": entry},
        DATABASE_ROUTERS=["caacwatch.store.config.ContextRouter"],
        INSTALLED_APPS=_BASE_APPS + web_apps + extra_apps,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        TIME_ZONE="UTC",
        # The ORM alone needs no secret; the web layer passes its own.
        SECRET_KEY=settings.pop("SECRET_KEY", "caacwatch-store-only-no-sessions"),
        MIGRATION_MODULES={},
        LOGGING_CONFIG=None,
        **settings,
    )
    django.setup()


def _add_database(key: str, entry: dict[str, Any]) -> str:
    from django.db import connections

    alias = "db_" + hashlib.sha256(key.encode()).hexdigest()[:12]
    # configure_settings fills in Django's defaults; it insists on seeing a "default" entry too.
    filled = connections.configure_settings({"default": connections.settings["default"], alias: entry})
    connections.settings[alias] = filled[alias]
    _alias_by_url[key] = alias
    return alias


@contextmanager
def using(alias: str) -> Iterator[str]:
    """Send every ORM query in this context to ``alias``."""
    token = _current_alias.set(alias)
    try:
        yield alias
    finally:
        _current_alias.reset(token)


def current_alias() -> str:
    return _current_alias.get()


class ContextRouter:
    """Route reads and writes to the alias activated with :func:`using`."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return _current_alias.get()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return _current_alias.get()

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True
