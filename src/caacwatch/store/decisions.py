"""What analysts decide about an incident, as plain store operations: its MRM status (and who verified
it, when, at which level), its sources' ratings, its public-safe summary.

Each function changes the rows and returns ``(before, after)`` dicts of what changed; it writes no audit
entry itself: the caller (the web workbench) runs it inside its transaction and records the audit entry
with the note. Status and summary rules are those of ``docs/mrm.md``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from caacwatch.store import models

STATUSES: tuple[str, ...] = tuple(models.Incident.Status.values)
VERIFICATION_LEVELS: tuple[str, ...] = tuple(models.Incident.VerificationLevel.values)
RATINGS: tuple[str, ...] = tuple(models.IncidentSource.Rating.values)

_STATUS_FIELDS = ("status", "verified_by", "verified_at", "verification_level")


def _snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: (v.isoformat() if isinstance(v := getattr(row, f), datetime) else v) for f in fields}


def set_status(
    incident: models.Incident, status: str, *, user: str, level: str | None = None, now: datetime | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the MRM status. ``verified`` needs the verification ``level`` and records who and when;
    any other status clears the verification fields."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    if status == models.Incident.Status.VERIFIED:
        if level not in VERIFICATION_LEVELS:
            raise ValueError(f"a verification needs its level: one of {', '.join(VERIFICATION_LEVELS)}")
    elif level is not None:
        raise ValueError("a verification level is given only with the status 'verified'")
    before = _snapshot(incident, _STATUS_FIELDS)
    incident.status = status
    if status == models.Incident.Status.VERIFIED:
        incident.verified_by, incident.verified_at, incident.verification_level = user, now or timezone.now(), level
    else:
        incident.verified_by = incident.verified_at = incident.verification_level = None
    from caacwatch.store.linking import proposed_public_summary

    incident.public_summary_proposed = proposed_public_summary(incident)  # the proposal names the status
    incident.updated_at = timezone.now()
    incident.save(update_fields=[*_STATUS_FIELDS, "public_summary_proposed", "updated_at"])
    return before, _snapshot(incident, _STATUS_FIELDS)


_RATING_FIELDS = ("reliability", "credibility", "rated_by", "rated_at")


def rate_source(
    source: models.IncidentSource, *, reliability: str | None, credibility: str | None, user: str,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set an analyst's ratings of a source (None: back to the extractor's proposal), then recount the
    incident: conservative counts depend on which sources are credible."""
    for name, value in (("reliability", reliability), ("credibility", credibility)):
        if value is not None and value not in RATINGS:
            raise ValueError(f"unknown {name} {value!r}: one of {', '.join(RATINGS)}")
    before = _snapshot(source, _RATING_FIELDS)
    source.reliability, source.credibility = reliability, credibility
    rated = reliability is not None or credibility is not None
    source.rated_by, source.rated_at = (user, now or timezone.now()) if rated else (None, None)
    source.save(update_fields=list(_RATING_FIELDS))
    from caacwatch.store.linking import refresh_incident

    refresh_incident(models.Incident.objects.get(id=source.incident_id))
    return before, _snapshot(source, _RATING_FIELDS)


_SUMMARY_FIELDS = ("public_summary", "public_summary_by", "public_summary_at")


def set_public_summary(
    incident: models.Incident, text: str, *, user: str, now: datetime | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the analyst's public-safe summary ("" goes back to showing the proposal)."""
    before = _snapshot(incident, _SUMMARY_FIELDS)
    incident.public_summary = text.strip()
    incident.public_summary_by, incident.public_summary_at = (user, now or timezone.now()) if incident.public_summary else (None, None)
    incident.save(update_fields=list(_SUMMARY_FIELDS))
    return before, _snapshot(incident, _SUMMARY_FIELDS)
