"""Shared fixtures: the real pipeline (loaded once per session) and paths into ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "000_4f689e591308a576.txt"
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def analyzer():
    from caacwatch.extract.analyzer import Analyzer

    return Analyzer()


@pytest.fixture(scope="session")
def seed_analysis(analyzer):
    if not SEED.is_file():
        pytest.skip("../shared/seed is not beside the repository")
    from caacwatch.ingest import load_input

    return analyzer.analyze(load_input(str(SEED)))


# --- the store, on SQLite and on a real PostgreSQL server ------------------------------------
# CI (.ci/run → scripts/test.sh) starts PostgreSQL with scripts/postgres.sh and exports its URL as
# CAACWATCH_TEST_PG, with CAACWATCH_REQUIRE_PG=1 so that a missing server fails instead of skipping.
BACKENDS = ["sqlite", "postgresql"]


def _postgres_admin_url() -> str | None:
    import os

    url = os.environ.get("CAACWATCH_TEST_PG")
    if not url:
        if os.environ.get("CAACWATCH_REQUIRE_PG") == "1":
            pytest.fail("CAACWATCH_TEST_PG is not set but CAACWATCH_REQUIRE_PG=1: start PostgreSQL with scripts/postgres.sh")
        return None
    return url


def fresh_database_url(backend: str, tmp_path: Path) -> str:
    """A new, empty database: a file for SQLite, a new database on the server for PostgreSQL."""
    if backend == "sqlite":
        return str(tmp_path / "caacwatch.sqlite3")
    admin = _postgres_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL tests need CAACWATCH_TEST_PG (scripts/postgres.sh prints it)")
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"caacwatch_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin)._replace(path="/" + name))


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture
def store(db_url):
    from caacwatch.store import open_store

    store = open_store(db_url)
    yield store
    store.close()
