"""Helpers for the web workbench tests: a populated store with one user per role, and clients."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"
REPORTS = FIXTURES / "reports.jsonl"
PASSWORD = "a long test password 42"
ROLES = ("viewer", "analyst", "admin")


def ingest(store, analyzer, *paths) -> None:
    from caacwatch.ingest.sources import iter_sources
    from caacwatch.monitor import ingest as run

    run(iter_sources([], jsonl=[str(p) for p in paths]), store, analyzer=_Remembering.of(analyzer))


class _Remembering:
    """The session's analyzer, remembering each document's analysis: the web tests ingest the same
    fixtures into a fresh store for almost every test, and the analysis of a text does not change."""

    _wrapped: dict[int, _Remembering] = {}

    def __init__(self, analyzer: Any):
        self.analyzer = analyzer
        self.seen: dict[str, Any] = {}

    @classmethod
    def of(cls, analyzer: Any) -> _Remembering:
        if isinstance(analyzer, cls):
            return analyzer
        return cls._wrapped.setdefault(id(analyzer), cls(analyzer))

    def analyze_records(self, items, **kwargs):
        items = list(items)
        keys = [item.model_dump_json() for item in items]
        todo = [(key, item) for key, item in zip(keys, items, strict=True) if key not in self.seen]
        for (key, _), result in zip(todo, self.analyzer.analyze_records([i for _, i in todo], **kwargs), strict=True):
            self.seen[key] = result
        return [self.seen[key].model_copy(deep=True) for key in keys]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.analyzer, name)


def allow_test_host() -> None:
    """Django's test client sends Host: testserver; serve never allows it, tests do."""
    from django.conf import settings

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def fast_passwords() -> None:
    """PBKDF2's million rounds per login would dominate the suite; tests hash with MD5."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    if settings.PASSWORD_HASHERS[0] != "django.contrib.auth.hashers.MD5PasswordHasher":
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
        get_hashers.cache_clear()
        get_hashers_by_algorithm.cache_clear()


@dataclass
class Web:
    """A store with users (one per role, plus ``norole``) and a token each."""

    store: Any
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str | None, *, csrf: bool = False):
        """A test client: ``None`` anonymous, else signed in by session as that user."""
        from django.test import Client

        client = Client(enforce_csrf_checks=csrf)
        if who is not None:
            with self.store.activate():
                client.force_login(self.users[who])
        return client

    def api(self, who: str | None, method: str, path: str, body: Any = None):
        """An API call with ``who``'s token (anonymous when ``None``), routed to this store."""
        from django.test import Client

        headers = {"HTTP_AUTHORIZATION": f"Token {self.tokens[who]}"} if who else {}
        client = Client()
        with self.store.activate():
            if method == "GET":
                return client.get(path, **headers)
            return client.generic(method, path, data=_json(body), content_type="application/json", **headers)

    @contextmanager
    def active(self):
        with self.store.activate():
            yield

    def incident_ids(self) -> list[int]:
        from caacwatch.store.models import Incident

        with self.store.activate():
            return list(Incident.objects.order_by("id").values_list("id", flat=True))


def _json(body: Any) -> str:
    import json

    return json.dumps(body if body is not None else {})


def make_web(store, analyzer, *paths) -> Web:
    from caacwatch.web.roles import create_user
    from caacwatch.web.tokens import create_token

    allow_test_host()
    fast_passwords()
    ingest(store, analyzer, *(paths or (REPORTS,)))
    web = Web(store=store)
    with store.activate():
        for role in ROLES:
            user = create_user(role, PASSWORD, role)
            web.users[role], web.tokens[role] = user, create_token(user)
        from django.contrib.auth import get_user_model

        norole = get_user_model().objects.create_user("norole", password=PASSWORD)
        web.users["norole"], web.tokens["norole"] = norole, create_token(norole)
    return web
