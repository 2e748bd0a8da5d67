"""Reading the store: incident lists with filters, one incident's timeline, counts.

Functions return plain dicts (the JSON the CLI prints and the API will serve), built with a
fixed number of queries per page of incidents whatever their size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Count

from caacwatch.errors import CaacError, E
from caacwatch.link.counting import ages_text
from caacwatch.records import CATEGORIES
from caacwatch.store import models
from caacwatch.store.writer import full_analysis

STATUSES = tuple(models.Incident.Status.values)
VIOLATION_CLASSES = ("grave_violation", "related_category")


@dataclass(frozen=True)
class IncidentFilter:
    country: str | None = None
    violation: str | None = None
    since: date | None = None
    until: date | None = None
    status: str | None = None
    perpetrator: str | None = None
    limit: int | None = None
    violation_class: str | None = None

    def validate(self) -> IncidentFilter:
        if self.violation and self.violation not in CATEGORIES:
            raise CaacError(E.E307, what="violation", value=self.violation, choices=", ".join(CATEGORIES))
        if self.status and self.status not in STATUSES:
            raise CaacError(E.E307, what="status", value=self.status, choices=", ".join(STATUSES))
        if self.violation_class and self.violation_class not in VIOLATION_CLASSES:
            raise CaacError(
                E.E307, what="class", value=self.violation_class, choices=", ".join(VIOLATION_CLASSES)
            )
        return self


def parse_date_option(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CaacError(E.E306, value=value, option=option) from exc


def incident_queryset(flt: IncidentFilter):
    query = models.Incident.objects.all()
    if flt.violation:
        query = query.filter(violation=flt.violation)
    if flt.status:
        query = query.filter(status=flt.status)
    if flt.violation_class:
        query = query.filter(violation_class=flt.violation_class)
    if flt.country:
        query = query.filter(id__in=models.IncidentCountry.objects.filter(country=flt.country.upper()).values("incident_id"))
    if flt.perpetrator:
        query = query.filter(perpetrator__iexact=flt.perpetrator)
    if flt.since:  # dates are UTC days (converting a local time could overflow at year 1)
        query = query.filter(first_reported__gte=datetime.combine(flt.since, time.min, tzinfo=UTC))
    if flt.until:
        query = query.filter(first_reported__lte=datetime.combine(flt.until, time.max, tzinfo=UTC))
    return query.order_by("-first_reported", "-id")


def iter_incidents(flt: IncidentFilter) -> Iterator[dict[str, Any]]:
    """Incidents matching ``flt`` as JSON dicts, newest first.

    Four queries whatever the number of incidents: the incidents, then their countries, document
    rows and report ids selected by a subquery of the same filter (no long lists of ids to bind).
    """
    query = incident_queryset(flt.validate())
    if flt.limit:
        query = query[: flt.limit]
    # The linking profile (up to a few hundred weighted terms) is never shown: do not decode it.
    incidents = list(query.defer("profile"))
    if not incidents:
        return
    selected = query.values("id")
    countries = countries_of(selected)
    documents = report_ids_of(selected)
    for incident in incidents:
        yield incident_json(incident, countries.get(incident.id, []), documents.get(incident.id, []))


def countries_of(ids: Iterable[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for incident_id, country in (
        models.IncidentCountry.objects.filter(incident_id__in=ids).order_by("country").values_list("incident_id", "country")
    ):
        result.setdefault(incident_id, []).append(country)
    return result


def report_ids_of(ids: Iterable[int]) -> dict[int, list[str]]:
    """External ids of every report of each incident (copies and exact duplicates included)."""
    rows = models.IncidentDocument.objects.filter(incident_id__in=ids)
    documents_of: dict[int, list[int]] = {}
    for incident_id, document_id in rows.values_list("incident_id", "document_id"):
        documents_of.setdefault(incident_id, []).append(document_id)
    external: dict[int, list[str]] = {}
    reports = models.Report.objects.filter(document_id__in=rows.values("document_id")).order_by("id")
    for document_id, external_id in reports.values_list("document_id", "external_id"):
        external.setdefault(document_id, []).append(external_id)
    return {
        incident_id: [e for d in sorted(docs) for e in external.get(d, [])]
        for incident_id, docs in documents_of.items()
    }


def incident_json(incident: models.Incident, countries: list[str], documents: list[str]) -> dict[str, Any]:
    """The full incident record (what analysts and admins see); :mod:`caacwatch.export.public` makes the
    viewer's and the publication's from it."""
    from caacwatch.export.public import source_types

    return {
        "id": incident.id,
        "violation": incident.violation,
        "violation_class": incident.violation_class,
        "status": incident.status,
        "verified_by": incident.verified_by,
        "verified_at": _iso(incident.verified_at),
        "verification_level": incident.verification_level,
        "countries": countries,
        "admin1": incident.admin1,
        "regions": incident.regions,
        "locations": incident.locations,
        "perpetrator": incident.perpetrator,
        "perpetrator_type": incident.perpetrator_type,
        "perpetrators": incident.perpetrators,
        "first_reported": _iso(incident.first_reported),
        "last_reported": _iso(incident.last_reported),
        "event_date": incident.event_date.isoformat() if incident.event_date else None,
        "event_date_precision": incident.event_date_precision,
        "date_precision": incident.date_precision,
        "location_precision": incident.location_precision,
        "victims": incident.victims,
        "counts": incident.counts,
        "min_age": incident.min_age,
        "max_age": incident.max_age,
        "ages": ages_text(incident.min_age, incident.max_age),
        "recruitment_role": incident.recruitment_role,
        "documents": documents,
        "document_count": incident.document_count,
        "independent_sources": incident.independent_sources,
        "sources": incident.sources,
        "source_types": source_types(incident.sources),
        "flags": incident.flags,
        "summary": incident.summary,
        "public_summary": incident.public_summary or incident.public_summary_proposed,
        "public_summary_edited": bool(incident.public_summary),
        "public_summary_proposed": incident.public_summary_proposed,
        "public_summary_by": incident.public_summary_by,
        "public_summary_at": _iso(incident.public_summary_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def get_incident(incident_id: int, url: str) -> models.Incident:
    incident = models.Incident.objects.filter(id=incident_id).first()
    if incident is None:
        raise CaacError(E.E305, id=incident_id, url=url)
    return incident


def incident_detail(incident_id: int, url: str) -> dict[str, Any]:
    """An incident with its timeline: every report in date order, its role, its allegations and
    the claims behind them, and the linking decisions with their reasons."""
    incident = get_incident(incident_id, url)
    summary = incident_json(incident, countries_of([incident.id]).get(incident.id, []), report_ids_of([incident.id]).get(incident.id, []))
    summary["timeline"] = _timeline(incident)
    summary["decisions"] = [
        {"action": d.action, "document": d.document_id, "allegation": d.allegation_id, "score": d.score, "reason": d.reason, "at": _iso(d.decided_at)}
        for d in incident.decisions.order_by("id")
    ]
    return summary


def _timeline(incident: models.Incident) -> list[dict[str, Any]]:
    entries = []
    rows = incident.document_rows.select_related("document").order_by("document__published", "document__first_seen", "document_id")
    for row in rows:
        document = row.document
        analysis = full_analysis(document)
        claims = {c["id"]: c for c in analysis.get("claims", [])}
        allegations = [a for a in document.allegations.filter(incident=incident).order_by("id")]
        entries.append(
            {
                "date": _iso(document.published) or _iso(document.first_seen),
                "date_basis": "published" if document.published else "first_seen",
                "document": document.id,
                "external_ids": list(document.reports.order_by("id").values_list("external_id", flat=True)),
                "title": document.title,
                "outlet": document.outlet,
                "role": row.role,
                "copy_of": document.canonical_id,
                "allegations": [
                    {
                        "id": a.local_id,
                        "trigger": a.trigger_text,
                        "violation": a.violation,
                        "perpetrator": a.perpetrator_name,
                        "perpetrator_type": a.perpetrator_type,
                        "victims": a.victims or a.data.get("victims"),
                        "location_precision": a.location_precision,
                        "date_precision": a.date_precision,
                        "sources": a.data.get("sources") or [],
                        "claims": [claims[c] for c in a.data.get("claims", []) if c in claims],
                    }
                    for a in allegations
                ],
            }
        )
    return entries


def stats() -> dict[str, int]:
    """Counts only. ``duplicates`` = near-duplicate documents + reports of an already stored text."""
    documents = models.Document.objects.count()
    reports = models.Report.objects.count()
    exact = reports - models.Report.objects.values("document_id").distinct().count()
    near = models.Document.objects.filter(canonical__isnull=False).count()
    return {
        "documents": documents,
        "relevant": models.Document.objects.filter(relevant=True).count(),
        "reports": reports,
        "duplicates": exact + near,
        "exact_duplicates": exact,
        "near_duplicates": near,
        "rejected": models.Rejection.objects.count(),
        "claims": models.Claim.objects.count(),
        "allegations": models.Allegation.objects.count(),
        "incidents": models.Incident.objects.count(),
        "grave_violation_incidents": models.Incident.objects.filter(violation_class="grave_violation").count(),
        "related_category_incidents": models.Incident.objects.filter(violation_class="related_category").count(),
        "multi_report_incidents": models.Incident.objects.filter(document_count__gt=1).count(),
        "originals": models.Original.objects.count(),
    }


def rejection_reasons() -> dict[str, int]:
    return dict(models.Rejection.objects.values_list("code").annotate(n=Count("id")).order_by("code"))


__all__ = [
    "IncidentFilter",
    "STATUSES",
    "VIOLATION_CLASSES",
    "incident_detail",
    "iter_incidents",
    "parse_date_option",
    "rejection_reasons",
    "stats",
]
