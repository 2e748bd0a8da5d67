"""Writing inputs and analyses to the store, idempotently.

Everything here runs inside the caller's transaction (the loader commits a batch at a time), and
every write is keyed so that doing it twice changes nothing: originals by the SHA-256 of their
bytes, documents by the SHA-256 of their normalised text, reports by (external id, document),
claims and allegations by (document, local id), rejections by a key over what was rejected.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from caacwatch.ingest.items import InputItem, Original, Rejected
from caacwatch.ingest.text import sha256_hex
from caacwatch.link.counting import place_precision_code
from caacwatch.link.incidents import parse_day
from caacwatch.records import RELATED_CATEGORIES
from caacwatch.store import models


def save_original(original: Original) -> models.Original:
    sha = sha256_hex(original.data)
    row, _ = models.Original.objects.get_or_create(
        sha256=sha,
        defaults={
            "data": original.data,
            "size": len(original.data),
            "content_type": original.content_type[:200],
            "url": original.url,
            "retrieved_at": original.retrieved_at,
        },
    )
    return row


MAX_EXTERNAL_ID = 1000  # the column's length (PostgreSQL enforces it; SQLite does not)


def stored_external_id(external_id: str) -> str:
    """``external_id`` as stored: an id longer than the column (a URL with kilobytes of tracking
    parameters, a hostile JSON line) keeps its start and gets the SHA-256 of the whole id, so it stays
    unique and a re-run finds it again."""
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    digest = hashlib.sha256(external_id.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
    suffix = f"…#sha256:{digest}"
    return external_id[: MAX_EXTERNAL_ID - len(suffix)] + suffix


def add_report(document: models.Document, item: InputItem, original: models.Original | None) -> bool:
    """Record that ``document`` arrived under ``item.external_id``; False if already recorded."""
    _, created = models.Report.objects.get_or_create(
        external_id=stored_external_id(item.external_id),
        document=document,
        defaults={"original": original, "origin": item.original.origin},
    )
    return created


def save_document(item: InputItem, text_sha256: str, analysis: Mapping[str, Any]) -> models.Document:
    """Store a new document, its claims and allegations (the caller checked it is new)."""
    doc = analysis["document"]
    published = _parse_published(doc.get("published"))
    document = models.Document.objects.create(
        text_sha256=text_sha256,
        text=doc["text"],
        title=doc.get("title"),
        url=doc.get("url"),
        canonical_url=doc.get("canonical_url"),
        outlet=(doc.get("outlet") or None) and doc["outlet"][:300],
        author=doc.get("author"),
        published=published,
        published_text=(doc.get("published") or None) and str(doc["published"])[:64],
        language=doc.get("language"),
        relevant=bool(analysis["relevant"]),
        schema=analysis["schema"],
        analysis=_without_text(analysis),
    )
    models.Claim.objects.bulk_create([_claim_row(document, c) for c in analysis.get("claims", [])])
    models.Allegation.objects.bulk_create(
        [_allegation_row(document, a) for a in analysis.get("allegations", [])]
    )
    return document


def full_analysis(document: models.Document) -> dict[str, Any]:
    """The stored analysis with the document text put back (it is stored once, in ``text``)."""
    analysis = dict(document.analysis)
    analysis["document"] = {**analysis["document"], "text": document.text}
    return analysis


def _without_text(analysis: Mapping[str, Any]) -> dict[str, Any]:
    stored = dict(analysis)
    stored["document"] = {k: v for k, v in analysis["document"].items() if k != "text"}
    return stored


def _parse_published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        day = parse_day(str(value))
        if day is None:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _claim_row(document: models.Document, claim: Mapping[str, Any]) -> models.Claim:
    source = claim.get("source") or {}
    start, end = claim["content"]["span"]
    return models.Claim(
        document=document,
        local_id=claim["id"],
        kind=claim["kind"],
        stance=claim.get("stance") or "reports",
        source_name=source.get("name"),
        source_type=source.get("type"),
        source_role=source.get("role"),
        source_party=source.get("party"),
        content=claim["content"]["text"],
        start=start,
        end=end,
        hedged=bool(claim.get("hedges")),
        via=list(claim.get("via") or []),
        rule=claim["rule"][:100],
        data=dict(claim),
    )


def _allegation_row(document: models.Document, allegation: Mapping[str, Any]) -> models.Allegation:
    perpetrator = allegation.get("perpetrator") or {}
    victims = allegation.get("victims") or {}
    time = allegation.get("time") or {}
    start, end = allegation["trigger"]["span"]
    countries = sorted({loc["country"] for loc in allegation.get("locations", []) if loc.get("country")})
    violation = allegation["violation"]
    return models.Allegation(
        document=document,
        local_id=allegation["id"],
        violation=violation,
        violation_class=allegation.get("violation_class") or violation_class(violation),
        victims=dict(victims),
        location_precision=location_precision(allegation),
        date_precision=date_precision(allegation),
        perpetrator_name=perpetrator.get("name"),
        perpetrator_party=perpetrator.get("party"),
        perpetrator_type=perpetrator.get("type"),
        victims_count=victims.get("count"),
        victims_min_age=victims.get("min_age"),
        victims_max_age=victims.get("max_age"),
        victims_sex=victims.get("sex") or "unknown",
        countries=countries,
        event_date=parse_day(time.get("date")) if time.get("precision") in ("day", "week", "month") else None,
        event_date_precision=time.get("precision") or "unknown",
        confidence=float(allegation["confidence"]),
        rule=allegation["rule"][:100],
        trigger_text=allegation["trigger"]["text"],
        trigger_start=start,
        trigger_end=end,
        data=dict(allegation),
    )


def violation_class(violation: str) -> str:
    return "related_category" if violation in RELATED_CATEGORIES else "grave_violation"


def location_precision(allegation: Mapping[str, Any]) -> int | None:
    """The allegation's ACLED location code; derived from its places for analyses older than /2."""
    if "location_precision" in allegation:
        return _code(allegation["location_precision"])
    codes = [place_precision_code(loc) for loc in allegation.get("locations") or ()]
    return min((c for c in codes if c is not None), default=None)


def date_precision(allegation: Mapping[str, Any]) -> int | None:
    """The allegation's ACLED date code; derived from its time for analyses older than /2."""
    if "date_precision" in allegation:
        return _code(allegation["date_precision"])
    time = allegation.get("time") or {}
    return _DATE_CODES.get(time.get("precision") or "") if time.get("date") else None


_DATE_CODES = {"day": 1, "week": 2, "month": 3}


def _code(value: Any) -> int | None:
    return value if value in (1, 2, 3) and not isinstance(value, bool) else None


def save_rejection(rejected: Rejected) -> bool:
    """Store a rejected input with its reason; False if this exact rejection is already stored."""
    original_sha = sha256_hex(rejected.original.data) if rejected.original else ""
    origin = rejected.original.origin if rejected.original else ""
    key = hashlib.sha256(
        "\x1f".join([origin, rejected.external_id or "", rejected.code, original_sha]).encode()
    ).hexdigest()
    if models.Rejection.objects.filter(key=key).exists():
        return False
    original = save_original(rejected.original) if rejected.original else None
    models.Rejection.objects.create(
        key=key,
        external_id=stored_external_id(rejected.external_id) if rejected.external_id else rejected.external_id,
        origin=origin,
        code=rejected.code[:8],
        reason=rejected.reason,
        original=original,
    )
    return True
