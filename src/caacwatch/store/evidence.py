"""``caacwatch evidence verify``: prove that nothing stored was altered.

Every original is re-hashed and compared with the SHA-256 recorded when it arrived; every
document's text with the key it is stored under. A mismatch is reported with the row, the
expected and the actual hash. The run also prints one *evidence digest* (a SHA-256 over every
original's hash, in order): write it down or publish it, and ``--expect DIGEST`` later proves that
no original was added, removed or rewritten together with its recorded hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from caacwatch.ingest.text import sha256_hex, text_key
from caacwatch.store import models


@dataclass
class VerifyReport:
    originals: int = 0
    documents: int = 0
    digest: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "originals_checked": self.originals,
            "documents_checked": self.documents,
            "digest": self.digest,
            "problems": self.problems,
        }


def verify(expect_digest: str | None = None, *, chunk: int = 500) -> VerifyReport:
    report = VerifyReport()
    running = hashlib.sha256()
    for row in models.Original.objects.order_by("id").iterator(chunk_size=chunk):
        report.originals += 1
        data = bytes(row.data)
        actual = sha256_hex(data)
        running.update(row.sha256.encode())
        if actual != row.sha256 or len(data) != row.size:
            report.problems.append(
                {"kind": "original_altered", "original": row.id, "url": row.url, "expected": row.sha256, "actual": actual,
                 "size_expected": row.size, "size_actual": len(data)}
            )
    for doc_id, text, key in models.Document.objects.order_by("id").values_list("id", "text", "text_sha256").iterator(chunk_size=chunk):
        report.documents += 1
        actual = text_key(text)
        if actual != key:
            report.problems.append({"kind": "document_text_altered", "document": doc_id, "expected": key, "actual": actual})
    report.digest = running.hexdigest()
    if expect_digest and expect_digest != report.digest:
        report.problems.append({"kind": "digest_mismatch", "expected": expect_digest, "actual": report.digest})
    return report
