"""The review workflow: verification decisions in the MRM's terms, source ratings, the public-safe
summary, notes, merges, splits and allegation edits.

Each operation runs in one transaction on the active store and appends its audit entry (or
entries) in that same transaction, so a change without its record, or a record without its
change, cannot be committed. Operations raise :class:`ReviewError` with an HTTP-like status.

Verification (``docs/mrm.md``); a note is required for each change::

    reported_not_verified -> pending_verification | verified | not_a_violation | did_not_occur
    pending_verification  -> verified | reported_not_verified | not_a_violation | did_not_occur
    verified              -> pending_verification (re-open) | verified (at another level)
    not_a_violation       -> pending_verification (re-open)
    did_not_occur         -> pending_verification (re-open)

``verified`` needs a level (focal_point, task_force_co_chairs, task_force); who verified and when
are recorded on the incident (the store clears them when it leaves ``verified``) and in the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.db import router, transaction

from caacwatch.web.audit import Actor, append

REPORTED = "reported_not_verified"
PENDING = "pending_verification"
VERIFIED = "verified"
STATUSES = (REPORTED, PENDING, VERIFIED, "not_a_violation", "did_not_occur")
DECIDED = (VERIFIED, "not_a_violation", "did_not_occur")
LEVELS = ("focal_point", "task_force_co_chairs", "task_force")
RATINGS = ("high", "medium", "low")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    # A reviewer may decide in one step (the audit entry still records reported_not_verified -> verified).
    REPORTED: (PENDING, VERIFIED, "not_a_violation", "did_not_occur"),
    PENDING: (VERIFIED, REPORTED, "not_a_violation", "did_not_occur"),
    VERIFIED: (PENDING, VERIFIED),  # verified again: at another level (task force after the focal point)
    "not_a_violation": (PENDING,),
    "did_not_occur": (PENDING,),
}

EDITABLE_ALLEGATION_FIELDS = (
    "violation", "perpetrator_name", "perpetrator_party", "perpetrator_type", "victims_count",
    "victims_min_age", "victims_max_age", "victims_sex", "countries", "event_date", "event_date_precision", "role",
)
MAX_PUBLIC_SUMMARY = 4000


class ReviewError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@contextmanager
def _atomic():
    from caacwatch.store.models import Incident

    with transaction.atomic(using=router.db_for_write(Incident)):
        yield


def _require_note(note: str | None) -> str:
    note = (note or "").strip()
    if not note:
        raise ReviewError("a note is required: say why")
    return note


def _locked_incident(incident_id: int) -> Any:
    from caacwatch.store.models import Incident

    incident = Incident.objects.select_for_update().filter(id=incident_id).first()
    if incident is None:
        raise ReviewError(f"no incident {incident_id}", 404)
    return incident


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def change_status(incident_id: int, status: str, note: str | None, actor: Actor, level: str | None = None) -> Any:
    """Move an incident to ``status`` (see the table above) with a note; ``verified`` needs ``level``.
    Returns the audit entry."""
    from caacwatch.store.decisions import set_status

    if status not in STATUSES:
        raise ReviewError(f"unknown status {status!r}: one of {', '.join(STATUSES)}")
    level = level or None
    if status == VERIFIED and level not in LEVELS:
        raise ReviewError(f"verified needs a level: one of {', '.join(LEVELS)}")
    if status != VERIFIED and level is not None:
        raise ReviewError("a level is given only with verified")
    note = _require_note(note)
    with _atomic():
        incident = _locked_incident(incident_id)
        current = incident.status
        if status not in allowed_transitions(current):
            allowed = ", ".join(allowed_transitions(current)) or "none"
            raise ReviewError(f"cannot go from {current} to {status} (allowed: {allowed})", 409)
        if status == VERIFIED and current == VERIFIED and incident.verification_level == level:
            raise ReviewError(f"already verified at the {level} level", 409)
        before, after = set_status(incident, status, user=actor.username, level=level)
        return append("review", actor, incident_id=incident.id, before=_plain_dict(before),
                      after=_plain_dict(after), note=note)


def rate_source(incident_id: int, source_id: int, changes: dict[str, str | None], note: str | None, actor: Actor) -> Any:
    """Set an incident source's reliability and/or credibility (``None``: back to the extractor's
    proposal); the incident is recounted (its kept figures depend on credibility). Audited."""
    from caacwatch.store import decisions
    from caacwatch.store.models import IncidentSource

    unknown = set(changes) - {"reliability", "credibility"}
    if unknown or not changes:
        raise ReviewError("give reliability and/or credibility (high, medium, low, or null for the proposal)")
    for key, value in changes.items():
        if value is not None and value not in RATINGS:
            raise ReviewError(f"{key} must be one of {', '.join(RATINGS)} (or null for the proposal)")
    with _atomic():
        _locked_incident(incident_id)
        row = IncidentSource.objects.select_for_update().filter(id=source_id, incident_id=incident_id).first()
        if row is None:
            raise ReviewError(f"incident {incident_id} has no source {source_id}", 404)
        wanted = {"reliability": row.reliability, "credibility": row.credibility, **changes}
        before, after = decisions.rate_source(row, reliability=wanted["reliability"], credibility=wanted["credibility"],
                                              user=actor.username)
        return append("rate_source", actor, incident_id=incident_id, before=_plain_dict(before),
                      after=_plain_dict(after), note=(note or "").strip(), object_type="incident_source", object_id=row.id)


def set_public_summary(incident_id: int, text: str | None, note: str | None, actor: Actor) -> Any:
    """The analyst's public-safe summary (``""``: back to caacwatch's proposal). Audited."""
    from caacwatch.store import decisions

    text = (text or "").strip()
    if len(text) > MAX_PUBLIC_SUMMARY:
        raise ReviewError(f"the public summary is limited to {MAX_PUBLIC_SUMMARY} characters")
    with _atomic():
        incident = _locked_incident(incident_id)
        if text == (incident.public_summary or ""):
            raise ReviewError("the public summary is unchanged", 409)
        before, after = decisions.set_public_summary(incident, text, user=actor.username)
        return append("public_summary", actor, incident_id=incident.id, before=_plain_dict(before),
                      after=_plain_dict(after), note=(note or "").strip())


def _plain_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def add_note(incident_id: int, note: str | None, actor: Actor) -> Any:
    note = _require_note(note)
    with _atomic():
        _locked_incident(incident_id)
        return append("note", actor, incident_id=incident_id, note=note)


# --- merge and split ---------------------------------------------------------------------------
def _snapshot(incident: Any) -> dict[str, Any]:
    return {
        "status": incident.status,
        "violation": incident.violation,
        "allegations": sorted(incident.allegations.values_list("id", flat=True)),
        "documents": sorted(incident.document_rows.values_list("document_id", flat=True)),
        "countries": sorted(incident.country_rows.values_list("country", flat=True)),
    }


def merged_into(incident_id: int) -> int | None:
    from caacwatch.web.models import IncidentMerge

    return IncidentMerge.objects.filter(merged=incident_id).values_list("into", flat=True).first()


def merge(target_id: int, other_id: int, note: str | None, actor: Actor) -> Any:
    """Move every allegation and report of ``other`` into ``target``; ``other`` becomes
    ``not_a_violation`` (an empty shell) and points at ``target``. Both incidents' histories get an entry."""
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident
    from caacwatch.web.models import IncidentMerge

    note = _require_note(note)
    if target_id == other_id:
        raise ReviewError("an incident cannot be merged into itself")
    with _atomic():
        target, other = _locked_incident(target_id), _locked_incident(other_id)
        if merged_into(target_id) or merged_into(other_id):
            raise ReviewError("one of these incidents was merged already", 409)
        if target.violation != other.violation:
            raise ReviewError(f"different violations ({target.violation}, {other.violation}): not one incident", 409)
        before = {"target": _snapshot(target), "other": _snapshot(other)}
        models.Allegation.objects.filter(incident=other).update(incident=target)
        _move_document_rows(models.IncidentDocument.objects.filter(incident=other), target)
        models.LinkDecision.objects.filter(incident=other).update(incident=target)
        for country in other.country_rows.values_list("country", flat=True):
            models.IncidentCountry.objects.get_or_create(incident=target, country=country)
        models.LinkDecision.objects.create(
            incident=target, action="merged", reason={"rule": "manual_merge", "merged": other.id, "by": actor.username, "note": note}
        )
        # An empty shell now: not a violation of its own (its reports are the target's); the log says why.
        other.status = models.Incident.Status.NOT_A_VIOLATION
        other.verified_by = other.verified_at = other.verification_level = None
        other.save(update_fields=["status", "verified_by", "verified_at", "verification_level"])
        IncidentMerge.objects.create(merged=other.id, into=target.id)
        refresh_incident(target)
        refresh_incident(other)
        after = {"target": _snapshot(target), "other": _snapshot(other)}
        append("merge_into", actor, incident_id=other.id, before=before, after=after, note=note, object_id=target.id)
        return append("merge", actor, incident_id=target.id, before=before, after=after, note=note, object_id=other.id)


def _move_document_rows(rows: Iterable[Any], target: Any) -> None:
    from caacwatch.store.models import IncidentDocument

    present = set(IncidentDocument.objects.filter(incident=target).values_list("document_id", flat=True))
    for row in list(rows):
        if row.document_id in present:
            row.delete()
        else:
            row.incident = target
            row.save(update_fields=["incident"])
            present.add(row.document_id)


def split(incident_id: int, allegation_ids: list[int], note: str | None, actor: Actor) -> Any:
    """Move the given allegations (and the reports that only they hold) into a new incident."""
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident

    note = _require_note(note)
    wanted = sorted(set(allegation_ids))
    if not wanted:
        raise ReviewError("name the allegations to split off")
    with _atomic():
        source = _locked_incident(incident_id)
        members = list(source.allegations.select_related("document").order_by("id"))
        moving = [a for a in members if a.id in wanted]
        if len(moving) != len(wanted):
            raise ReviewError("every allegation must belong to this incident")
        if len(moving) == len(members):
            raise ReviewError("at least one allegation must stay")
        before = {"source": _snapshot(source)}
        created = models.Incident.objects.create(violation=source.violation, profile=_profile(moving))
        _move_allegations(source, created, moving, members)
        source.profile = _profile([a for a in members if a.id not in wanted])
        source.save(update_fields=["profile"])
        for a in moving:
            for country in a.countries or []:
                models.IncidentCountry.objects.get_or_create(incident=created, country=country)
        models.LinkDecision.objects.create(
            incident=created, action="split", reason={"rule": "manual_split", "from": source.id, "by": actor.username, "note": note}
        )
        refresh_incident(source)
        refresh_incident(created)
        after = {"source": _snapshot(source), "new": {"id": created.id, **_snapshot(created)}}
        append("split_from", actor, incident_id=created.id, before=before, after=after, note=note, object_id=source.id)
        return append("split", actor, incident_id=source.id, before=before, after=after, note=note, object_id=created.id)


def _move_allegations(source: Any, created: Any, moving: list[Any], members: list[Any]) -> None:
    """Allegations move; a document (and its copies) moves when none of its allegations stays,
    else it is listed under both incidents."""
    from caacwatch.store import models

    staying_docs = {a.document_id for a in members if a not in moving}
    models.Allegation.objects.filter(id__in=[a.id for a in moving]).update(incident=created)
    for document_id in sorted({a.document_id for a in moving}):
        row = models.IncidentDocument.objects.filter(incident=source, document_id=document_id).first()
        role = row.role if row else "report"
        models.IncidentDocument.objects.get_or_create(incident=created, document_id=document_id, defaults={"role": role})
        copies = models.IncidentDocument.objects.filter(incident=source, document__canonical_id=document_id)
        if document_id in staying_docs:
            for copy in copies:
                models.IncidentDocument.objects.get_or_create(incident=created, document_id=copy.document_id, defaults={"role": "copy"})
        else:
            _move_document_rows(copies, created)
            if row:
                row.delete()


def _profile(allegations: list[Any]) -> dict[str, Any]:
    """The matching profile of a set of allegations, built as linking builds it."""
    from caacwatch.link import incidents as rules
    from caacwatch.store.writer import full_analysis

    profile = None
    for a in allegations:
        report_day = a.document.published.date() if a.document.published else None
        one = rules.profile_allegation(a.data, full_analysis(a.document), report_day)
        profile = rules.new_incident_profile(one) if profile is None else rules.absorb(profile, one)
    return profile or {}


# --- allegation edits ---------------------------------------------------------------------------
def edit_allegation(allegation_id: int, changes: dict[str, Any], note: str | None, actor: Actor) -> Any:
    """Correct an allegation's fields (validated by the API serializer); the incident is recomputed."""
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident

    note = _require_note(note)
    unknown = set(changes) - set(EDITABLE_ALLEGATION_FIELDS)
    if unknown:
        raise ReviewError(f"not editable: {', '.join(sorted(unknown))}")
    if not changes:
        raise ReviewError("nothing to change")
    with _atomic():
        allegation = models.Allegation.objects.select_for_update().filter(id=allegation_id).first()
        if allegation is None:
            raise ReviewError(f"no allegation {allegation_id}", 404)
        before = {k: _plain(getattr(allegation, k)) for k in changes}
        for key, value in changes.items():
            setattr(allegation, key, value)
        fields = list(changes)
        if _sync_victims(allegation, changes):
            fields.append("victims")
        allegation.save(update_fields=fields)
        if allegation.incident_id:
            refresh_incident(models.Incident.objects.get(id=allegation.incident_id))
        after = {k: _plain(getattr(allegation, k)) for k in changes}
        return append("edit_allegation", actor, incident_id=allegation.incident_id, before=before, after=after,
                      note=note, object_type="allegation", object_id=allegation.id)


# The victims columns an analyst edits, and the key of the allegation's victims record (what the
# incident's conservative counts are computed from) that each one corrects.
VICTIMS_KEYS = {"victims_count": "count", "victims_min_age": "min_age", "victims_max_age": "max_age", "victims_sex": "sex"}


def _sync_victims(allegation: Any, changes: dict[str, Any]) -> bool:
    """Carry an edit of the victims columns into ``allegation.victims``; an analyst's count is
    exact (no longer a range or an estimate). True when the record changed."""
    edited = {VICTIMS_KEYS[k]: v for k, v in changes.items() if k in VICTIMS_KEYS}
    if not edited:
        return False
    victims = dict(allegation.victims or {})
    victims.update(edited)
    if "count" in edited:
        victims["count_max"], victims["estimated"] = None, False
    allegation.victims = victims
    return True


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
