"""One writer at a time: an exclusive lock per database for the duration of an ingest.

SQLite: an ``flock`` on ``<db>.lock`` beside the database file (released by the kernel when the
process dies, so a killed ingest never leaves a stale lock). PostgreSQL: a session-level
advisory lock, likewise released when the connection drops.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from caacwatch.errors import CaacError, E
from caacwatch.store import Store

_ADVISORY_KEY = 0x6361_6163  # "caac"


@contextmanager
def writer_lock(store: Store) -> Iterator[None]:
    from django.db import connections

    connection = connections[store.alias]
    if connection.vendor == "sqlite":
        with _file_lock(connection.settings_dict["NAME"] + ".lock", store):
            yield
    else:
        with _advisory_lock(connection, store):
            yield


@contextmanager
def _file_lock(path: str, store: Store) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CaacError(E.E304, url=store.describe()) from exc
        yield
    finally:
        os.close(fd)


@contextmanager
def _advisory_lock(connection, store: Store) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_KEY])
        if not cursor.fetchone()[0]:
            raise CaacError(E.E304, url=store.describe())
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_KEY])
