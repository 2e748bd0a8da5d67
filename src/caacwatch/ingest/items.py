"""What every input source yields for the monitoring loader: a document with its original bytes,
or a rejection that is stored as data with its reason.

The loader (``caacwatch ingest``) reads sources of many kinds — files, folders, URLs, RSS/Atom
feeds, JSON Lines, WARC archives — and each of them produces :class:`InputItem` (parsed, ready
for analysis) or :class:`Rejected` (could not be turned into a document). Both keep the bytes
exactly as they arrived, so the evidence store can prove later that nothing was altered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from caacwatch.records import Document


@dataclass(frozen=True, slots=True)
class Original:
    """The bytes of an input exactly as received, and where and when they came from."""

    data: bytes
    content_type: str
    url: str | None = None
    retrieved_at: datetime | None = None
    origin: str = ""  # the input spec it came from: a path, a feed URL, "corpus.jsonl:12"


@dataclass(frozen=True, slots=True)
class InputItem:
    """A parsed document and the original it was parsed from.

    ``external_id`` is the id the input gave (a JSON Lines ``id``, a file stem, a feed entry's
    id or link, a WARC record's target URI); it is kept beside the content hash so a monitor can
    find the report by the name they know it by.
    """

    external_id: str
    document: Document
    original: Original
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that could not become a document: stored with its coded reason, never fatal."""

    external_id: str | None
    code: str
    reason: str
    original: Original | None = None
