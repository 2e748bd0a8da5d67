"""The append-only, hash-chained audit log.

Every entry stores ``hash = SHA-256(prev_hash + canonical JSON of the entry)``, where the canonical
JSON holds every stored field but ``hash`` itself (sorted keys, no spaces, UTF-8). Rewriting,
removing or inserting an entry breaks the chain from that point on; ``caacwatch audit verify``
recomputes it. Removing the *last* entries leaves a valid shorter chain, which is why verify prints
the head hash: write it down, and ``--expect HEAD`` later proves the chain still contains it.

Entries are appended by :func:`append` inside the caller's transaction (the change and its entry
commit together or not at all). Appends are serialised: SQLite's ``BEGIN IMMEDIATE`` already holds
the write lock; on PostgreSQL the table is locked in EXCLUSIVE mode (reads go on), and the unique
``seq`` and ``hash`` columns make a fork impossible even so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.db import connections, router
from django.utils import timezone

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and the request it came with (for the log)."""

    username: str
    user_id: int | None = None
    request_id: str = ""

    @classmethod
    def from_request(cls, request: Any) -> Actor:
        user = request.user
        return cls(username=user.get_username(), user_id=user.pk, request_id=getattr(request, "request_id", ""))


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _fields(entry: Any) -> dict[str, Any]:
    """What is hashed: every stored field of ``entry`` except ``id`` and ``hash``."""
    return {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "user": entry.username,
        "user_id": entry.user_id_ref,
        "request_id": entry.request_id,
        "action": entry.action,
        "incident": entry.incident_id_ref,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: Any) -> str:
    return hashlib.sha256((entry.prev_hash + canonical_json(_fields(entry))).encode("utf-8")).hexdigest()


def append(
    action: str,
    actor: Actor,
    *,
    incident_id: int | None,
    before: Any = None,
    after: Any = None,
    note: str = "",
    object_type: str = "incident",
    object_id: Any = None,
) -> Any:
    """Append one entry; must run inside the transaction that makes the change."""
    from caacwatch.web.models import AuditEntry

    alias = router.db_for_write(AuditEntry)
    connection = connections[alias]
    if not connection.in_atomic_block:
        raise RuntimeError("audit entries are written in the transaction of the change they record")
    _lock(connection)
    last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=timezone.now().astimezone(UTC),
        username=actor.username,
        user_id_ref=actor.user_id,
        request_id=actor.request_id,
        action=action,
        incident_id_ref=incident_id,
        object_type=object_type,
        object_id=str(object_id if object_id is not None else incident_id or ""),
        before=canonical_json(before),
        after=canonical_json(after),
        note=note,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    return entry


def _lock(connection: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE caacwatch_web_auditentry IN EXCLUSIVE MODE")


def entry_json(entry: Any) -> dict[str, Any]:
    """An entry as the API and exports show it (before/after parsed back into JSON)."""
    return {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "user": entry.username,
        "request_id": entry.request_id,
        "action": entry.action,
        "incident": entry.incident_id_ref,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": json.loads(entry.before),
        "after": json.loads(entry.after),
        "note": entry.note,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


@dataclass
class ChainReport:
    entries: int = 0
    head: str = GENESIS
    problems: list[dict[str, Any]] = field(default_factory=list)
    expected_found: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.expected_found is not False

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems,
                "expected_found": self.expected_found}


def iter_entries() -> Iterator[Any]:
    from caacwatch.web.models import AuditEntry

    return AuditEntry.objects.order_by("seq").iterator(chunk_size=2000)


def verify(expect: str | None = None) -> ChainReport:
    """Recompute the chain: every ``prev_hash`` links to the entry before, every hash is right,
    ``seq`` runs 1, 2, 3 ... with no gap. ``expect``: a head hash written down earlier."""
    report = ChainReport(expected_found=False if expect else None)
    previous = GENESIS
    for entry in iter_entries():
        report.entries += 1
        if entry.seq != report.entries:
            report.problems.append({"seq": entry.seq, "kind": "sequence_gap", "expected_seq": report.entries})
        if entry.prev_hash != previous:
            report.problems.append({"seq": entry.seq, "kind": "broken_link"})
        if entry_hash(entry) != entry.hash:
            report.problems.append({"seq": entry.seq, "kind": "entry_altered"})
        if expect and entry.hash == expect:
            report.expected_found = True
        previous = entry.hash
    report.head = previous
    return report
