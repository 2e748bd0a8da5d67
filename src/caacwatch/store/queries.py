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
from caacwatch.records import VIOLATIONS
from caacwatch.store import models
from caacwatch.store.writer import full_analysis

STATUSES = tuple(models.Incident.Status.values)


@dataclass(frozen=True)
class IncidentFilter:
    country: str | None = None
    violation: str | None = None
    since: date | None = None
    until: date | None = None
    status: str | None = None
    perpetrator: str | None = None
    limit: int | None = None

    def validate(self) -> IncidentFilter:
        if self.violation and self.violation not in VIOLATIONS:
            raise CaacError(E.E307, what="violation", value=self.violation, choices=", ".join(VIOLATIONS))
        if self.status and self.status not in STATUSES:
            raise CaacError(E.E307, what="status", value=self.status, choices=", ".join(STATUSES))
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
    return {
        "id": incident.id,
        "violation": incident.violation,
        "status": incident.status,
        "countries": countries,
        "admin1": incident.admin1,
        "locations": incident.locations,
        "perpetrators": incident.perpetrators,
        "first_reported": _iso(incident.first_reported),
        "last_reported": _iso(incident.last_reported),
        "event_date": incident.event_date.isoformat() if incident.event_date else None,
        "event_date_precision": incident.event_date_precision,
        "victims": incident.victims,
        "documents": documents,
        "document_count": incident.document_count,
        "independent_sources": incident.independent_sources,
        "sources": incident.sources,
        "flags": incident.flags,
        "summary": incident.summary,
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
                        "perpetrator": a.perpetrator_name,
                        "victims": a.data.get("victims"),
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
        "multi_report_incidents": models.Incident.objects.filter(document_count__gt=1).count(),
        "originals": models.Original.objects.count(),
    }


def rejection_reasons() -> dict[str, int]:
    return dict(models.Rejection.objects.values_list("code").annotate(n=Count("id")).order_by("code"))


__all__ = [
    "IncidentFilter",
    "STATUSES",
    "incident_detail",
    "iter_incidents",
    "parse_date_option",
    "rejection_reasons",
    "stats",
]
