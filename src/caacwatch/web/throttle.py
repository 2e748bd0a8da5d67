"""Login throttling: after 5 failed sign-ins for one username from one address within 15
minutes, that pair is locked out until the oldest failure leaves the window; an address with 50
failures (any usernames: password spraying) is locked out too.

Failures are rows in the database, so the lockout holds across threads, processes and restarts.
The address is ``REMOTE_ADDR`` (waitress on loopback; behind a proxy configure the proxy to limit).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 50
WINDOW = timedelta(minutes=15)


def _key(username: str) -> str:
    # The raw form value, read before the form validates it: no NUL (PostgreSQL text refuses it).
    return (username or "").replace("\x00", "").strip().lower()[:150]


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def is_locked(username: str, address: str) -> bool:
    from caacwatch.web.models import LoginFailure

    recent = LoginFailure.objects.filter(address=address, at__gte=timezone.now() - WINDOW)
    if recent.filter(username=_key(username)).count() >= MAX_FAILURES:
        return True
    return recent.count() >= MAX_FAILURES_PER_ADDRESS


def record_failure(username: str, address: str) -> None:
    from caacwatch.web.models import LoginFailure

    LoginFailure.objects.create(username=_key(username), address=address)
    LoginFailure.objects.filter(at__lt=timezone.now() - 2 * WINDOW).delete()  # keep the table small


def clear(username: str, address: str) -> None:
    from caacwatch.web.models import LoginFailure

    LoginFailure.objects.filter(username=_key(username), address=address).delete()
