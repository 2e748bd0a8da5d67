"""What the pages and the API show: filtered incident lists, the dashboard, an incident's
evidence, a document, a source. Plain dicts, so a page and its JSON twin share one query.

Filters extend :class:`caacwatch.store.queries.IncidentFilter` here (search text, flags, class)
by filtering on top of its queryset; incident dicts are those of :mod:`caacwatch.store.queries`.

Confidentiality (``docs/mrm.md``): every function that returns incidents takes the caller's role
and passes each incident through :func:`caacwatch.export.public.incident_for_role`, the one place
the rule lives: analysts and admins see everything, viewers never see restricted fields (victim
details, exact locations, source identities). Documents, claims, allegations and sources are for
analysts and admins only (the views refuse viewers before calling here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from caacwatch.store import models
from caacwatch.store import queries as store_queries
from caacwatch.store.queries import IncidentFilter, incident_json, incident_queryset, parse_date_option
from caacwatch.web.audit import entry_json

FLAGS = ("single_source", "party_to_conflict_only", "contested", "neutral_source")
FILTER_PARAMS = ("violation", "violation_class", "country", "perpetrator", "status", "since", "until", "flag", "q")
VIOLATION_CLASSES = ("grave_violation", "related_category")
FULL_ROLES = ("analyst", "admin")
# What each status and precision code means (shown beside the codes).
LOCATION_PRECISION = {1: "the town or village itself", 2: "near a town, or a small area (district, camp)",
                      3: "a region (province) or larger"}
DATE_PRECISION = {1: "the exact day", 2: "within a week", 3: "within a month"}
FIGURES = ("children", "killed", "injured", "boys", "girls", "sex_unknown")


def sees_everything(role: str | None) -> bool:
    """Analysts and admins see restricted fields; viewers (and publications) never do."""
    return role in FULL_ROLES


def for_role(incident: Mapping[str, Any], role: str | None) -> dict[str, Any]:
    """One incident as ``role`` may see it (the store's rule, :mod:`caacwatch.export.public`)."""
    from caacwatch.export.public import incident_for_role

    return incident_for_role(incident, role if sees_everything(role) else "viewer")


def export_visibility(role: str | None, public: bool = False) -> str:
    """What an export made by ``role`` holds: ``public`` (publication mode) when asked, else the role's view."""
    from caacwatch.export.public import visibility_for_role

    return "public" if public else visibility_for_role(role if sees_everything(role) else "viewer")
# The store turns a day into local-time bounds (datetime.astimezone), which overflows on the first
# and last days Python can represent (?since=0001-01-01 was a 500); a bound that far out means "no
# bound", so it is moved to a day the conversion survives.
EARLIEST_DAY, LATEST_DAY = date(1, 1, 2), date(9999, 12, 30)


@dataclass(frozen=True)
class WebFilter(IncidentFilter):
    """The store's filter plus free-text search (summary or any report's text) and flags."""

    q: str | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)
    violation_class: str | None = None


def filter_from_params(params: Mapping[str, Any]) -> WebFilter:
    """A validated filter from query parameters (raises CaacError on a bad value)."""
    from caacwatch.errors import CaacError, E

    def get(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        return value or None

    flags = tuple(f for f in (params.getlist("flag") if hasattr(params, "getlist") else params.get("flag", [])) if f)
    for flag in flags:
        if flag not in FLAGS:
            raise CaacError(E.E307, what="flag", value=flag, choices=", ".join(FLAGS))
    violation_class = get("violation_class")
    if violation_class and violation_class not in VIOLATION_CLASSES:
        raise CaacError(E.E307, what="violation_class", value=violation_class, choices=", ".join(VIOLATION_CLASSES))
    flt = WebFilter(
        violation=get("violation"), country=get("country"), perpetrator=get("perpetrator"), status=get("status"),
        since=_within(parse_date_option(get("since"), "since")), until=_within(parse_date_option(get("until"), "until")),
        q=get("q"), flags=flags, violation_class=violation_class,
    )
    flt.validate()
    return flt


def _within(day: date | None) -> date | None:
    return None if day is None else min(max(day, EARLIEST_DAY), LATEST_DAY)


def filtered_queryset(flt: WebFilter, role: str | None = None):
    """Incidents matching ``flt``. The search text looks in the summary and the reports' text for
    analysts and admins, in the public-safe summary only for viewers (a search must not tell a
    viewer which incident's article names a village or a person)."""
    base = IncidentFilter(**{k: getattr(flt, k) for k in ("country", "violation", "since", "until", "status", "perpetrator")})
    query = incident_queryset(base)
    if flt.violation_class:
        query = query.filter(violation_class=flt.violation_class)
    for flag in flt.flags:
        query = query.filter(**{flag: True})
    if flt.q and sees_everything(role):
        in_text = models.IncidentDocument.objects.filter(document__text__icontains=flt.q).values("incident_id")
        query = query.filter(Q(summary__icontains=flt.q) | Q(id__in=in_text))
    elif flt.q:
        query = query.filter(Q(public_summary__icontains=flt.q)
                             | Q(public_summary="", public_summary_proposed__icontains=flt.q))
    return query


def incident_dicts(ids: list[int], role: str | None = None) -> list[dict[str, Any]]:
    """The store's incident JSON for ``ids``, in that order (three queries), as ``role`` may see it."""
    rows = {i.id: i for i in models.Incident.objects.filter(id__in=ids).defer("profile")}
    countries = store_queries.countries_of(ids)
    documents = store_queries.report_ids_of(ids)
    return [for_role(incident_json(rows[i], countries.get(i, []), documents.get(i, [])), role) for i in ids if i in rows]


def iter_filtered(flt: WebFilter, role: str | None = None) -> Iterator[dict[str, Any]]:
    """Every incident matching ``flt``, newest first (exports), in the store's way: the incidents,
    then their countries and reports selected by a subquery of the same filter. The dicts are whole:
    the export writers leave out what the export's visibility does not allow."""
    query = filtered_queryset(flt, role)
    selected = query.values("id")
    countries = store_queries.countries_of(selected)
    documents = store_queries.report_ids_of(selected)
    for incident in query.defer("profile").iterator(chunk_size=1000):
        yield incident_json(incident, countries.get(incident.id, []), documents.get(incident.id, []))


def filter_query_string(flt: WebFilter) -> str:
    """The filter as URL parameters (export links keep the list's filters)."""
    from urllib.parse import urlencode

    pairs = [(k, getattr(flt, k)) for k in ("violation", "violation_class", "country", "perpetrator", "status", "since", "until", "q")]
    pairs = [(k, v.isoformat() if hasattr(v, "isoformat") else v) for k, v in pairs if v]
    pairs += [("flag", f) for f in flt.flags]
    return urlencode(pairs)


# --- dashboard -------------------------------------------------------------------------------
def dashboard(role: str | None = None) -> dict[str, Any]:
    """Counts by violation (grave violations and related categories apart), status, country and
    month, and the located incidents for the map (at their region for viewers)."""
    incidents = models.Incident.objects.exclude(id__in=_merged_ids())
    by_class: dict[str, dict[str, int]] = {c: {} for c in VIOLATION_CLASSES}
    for violation_class, violation, n in (
        incidents.values_list("violation_class", "violation").annotate(n=Count("id")).order_by("violation_class", "violation")
    ):
        by_class.setdefault(violation_class or "grave_violation", {})[violation] = n
    by_status = dict(incidents.values_list("status").annotate(n=Count("id")).order_by("status"))
    by_country = list(
        models.IncidentCountry.objects.filter(incident__in=incidents).values("country").annotate(n=Count("incident_id")).order_by("-n", "country")
    )
    by_month = [
        {"month": row["month"].strftime("%Y-%m"), "n": row["n"]}
        for row in incidents.filter(first_reported__isnull=False)
        .annotate(month=TruncMonth("first_reported")).values("month").annotate(n=Count("id")).order_by("month")
    ]
    return {
        "total": incidents.count(),
        "by_class": {c: sum(v.values()) for c, v in by_class.items()},
        "by_violation": by_class.get("grave_violation", {}),
        "by_related_category": by_class.get("related_category", {}),
        "by_status": by_status,
        "by_country": [{"country": r["country"], "n": r["n"]} for r in by_country],
        "by_month": by_month,
        "points": map_points(incidents, role),
        "points_at": "place" if sees_everything(role) else "region",
    }


def _merged_ids():
    from caacwatch.web.models import IncidentMerge

    return IncidentMerge.objects.values("merged")


def map_points(incidents, role: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
    """One point per located incident: its first place with coordinates for analysts and admins;
    for viewers the point of its region (or country), never the town (``Incident.regions``)."""
    from caacwatch.export.flat import coordinates

    field_name = "locations" if sees_everything(role) else "regions"
    points = []
    rows = incidents.order_by("-first_reported", "-id").values_list("id", "violation", "status", field_name)[:limit]
    for incident_id, violation, status, places in rows:
        for place in places or []:
            where = coordinates(place)
            if where:
                name = place.get("name") if sees_everything(role) else (place.get("admin1") or place.get("name") or place.get("country"))
                points.append({"incident": incident_id, "violation": violation, "status": status,
                               "name": name, "lat": where[0], "lon": where[1]})
                break
    return points


# --- one incident ----------------------------------------------------------------------------
def incident_view(incident_id: int, role: str | None = None) -> dict[str, Any] | None:
    """Everything the incident page shows to ``role``; ``None`` if there is no such incident.
    Viewers get the incident's public-safe view and redacted history: no reports, claims,
    allegations or linking decisions (they hold the article text and source identities)."""
    from caacwatch.web.models import IncidentMerge
    from caacwatch.web.review import allowed_transitions, merged_into

    incident = models.Incident.objects.filter(id=incident_id).only("id", "status").first()
    if incident is None:
        return None
    result = incident_dicts([incident.id], role)[0]
    result["merged_into"] = merged_into(incident.id)
    result["merged_from"] = sorted(IncidentMerge.objects.filter(into=incident.id).values_list("merged", flat=True))
    result["allowed_transitions"] = list(allowed_transitions(incident.status))
    result["history"] = history(incident.id, role)
    if not sees_everything(role):
        return result
    result["reports"] = _reports(incident)
    result["decisions"] = [
        {"action": d.action, "document": d.document_id, "allegation": d.allegation_id, "score": d.score,
         "reason": d.reason, "at": d.decided_at.isoformat()}
        for d in incident.decisions.order_by("id")
    ]
    return result


# What a viewer sees of an audit entry's before/after, by action: nothing identifying (notes are
# analysts' free text and may name a source or a place, so they are never shown to viewers).
VIEWER_HISTORY_KEYS = {
    "review": ("status", "verification_level", "verified_by", "verified_at"),
    "public_summary": ("public_summary", "public_summary_by", "public_summary_at"),
    "rate_source": ("reliability", "credibility"),
}


def history(incident_id: int, role: str | None = None) -> list[dict[str, Any]]:
    from caacwatch.web.models import AuditEntry

    entries = [entry_json(e) for e in AuditEntry.objects.filter(incident_id_ref=incident_id).order_by("seq")]
    return entries if sees_everything(role) else [_viewer_entry(e) for e in entries]


def _viewer_entry(entry: dict[str, Any]) -> dict[str, Any]:
    keys = VIEWER_HISTORY_KEYS.get(entry["action"], ())

    def keep(value: Any) -> Any:
        return {k: v for k, v in value.items() if k in keys} if isinstance(value, dict) and keys else None

    return {**entry, "before": keep(entry["before"]), "after": keep(entry["after"]), "note": ""}


# Never read for a summary: the analysis JSON (tens of KB per document), the text, the signature.
SUMMARY_DEFERRED = ("text", "analysis", "duplicate_reason", "minhash")


def _reports(incident: models.Incident) -> list[dict[str, Any]]:
    """The incident's documents with their allegations and claims: four queries whatever the
    number of documents (claims and reports are read for all documents at once)."""
    rows = list(
        incident.document_rows.select_related("document").defer(*(f"document__{f}" for f in SUMMARY_DEFERRED))
        .order_by("document__published", "document__first_seen", "document_id")
    )
    allegations = list(incident.allegations.order_by("id"))
    documents = incident.document_rows.values("document_id")  # a subquery, not a list of bound ids
    claims_of: dict[int, list[models.Claim]] = {row.document_id: [] for row in rows}
    for claim in models.Claim.objects.filter(document_id__in=documents).defer("data").order_by("start", "id"):
        claims_of[claim.document_id].append(claim)
    reports_of: dict[int, list[models.Report]] = {row.document_id: [] for row in rows}
    for report in _evidence_query().filter(document_id__in=documents):
        reports_of[report.document_id].append(report)
    reports = []
    for row in rows:
        document = row.document
        own = [a for a in allegations if a.document_id == document.id]
        wanted_claims = {c for a in own for c in a.data.get("claims", [])}
        claims = [c for c in claims_of[document.id] if c.local_id in wanted_claims]
        reports.append({
            "role": row.role,
            **document_summary(document, reports_of[document.id]),
            "allegations": [allegation_json(a) for a in own],
            "claims": [claim_json(c) for c in claims],
            "spans": _spans(claims, own),
        })
    return reports


def _evidence_query():
    """Reports with their original's hash and URL, not its bytes."""
    return models.Report.objects.select_related("original").defer("original__data").order_by("id")


def document_summary(document: models.Document, evidence: Iterable[models.Report] | None = None) -> dict[str, Any]:
    """``evidence``: the document's reports when already read (else they are queried)."""
    if evidence is None:
        evidence = _evidence_query().filter(document=document)
    return {
        "document": document.id,
        "title": document.title,
        "outlet": document.outlet,
        "url": document.url,
        "published": document.published.isoformat() if document.published else None,
        "first_seen": document.first_seen.isoformat(),
        "text_sha256": document.text_sha256,
        "copy_of": document.canonical_id,
        "evidence": [
            {"external_id": r.external_id, "origin": r.origin, "received_at": r.received_at.isoformat(),
             "original_sha256": r.original.sha256 if r.original else None,
             "original_url": r.original.url if r.original else None}
            for r in evidence
        ],
    }


def allegation_json(a: models.Allegation) -> dict[str, Any]:
    return {
        "id": a.id, "local_id": a.local_id, "document": a.document_id, "incident": a.incident_id,
        "violation": a.violation, "role": a.role, "trigger": a.trigger_text,
        "trigger_start": a.trigger_start, "trigger_end": a.trigger_end,
        "perpetrator_name": a.perpetrator_name, "perpetrator_party": a.perpetrator_party,
        "perpetrator_type": a.perpetrator_type, "victims_count": a.victims_count,
        "victims_min_age": a.victims_min_age, "victims_max_age": a.victims_max_age, "victims_sex": a.victims_sex,
        "countries": a.countries, "event_date": a.event_date.isoformat() if a.event_date else None,
        "event_date_precision": a.event_date_precision, "confidence": a.confidence, "claims": a.data.get("claims", []),
    }


def claim_json(c: models.Claim) -> dict[str, Any]:
    """A claim with its attribution chain: the source, and the outlets/people it came ``via``."""
    return {
        "id": c.local_id, "kind": c.kind, "stance": c.stance, "hedged": c.hedged,
        "source": {"name": c.source_name, "type": c.source_type, "role": c.source_role, "party": c.source_party},
        "via": c.via, "content": c.content, "start": c.start, "end": c.end,
    }


def _spans(claims: Iterable[models.Claim], allegations: Iterable[models.Allegation]) -> list[dict[str, Any]]:
    spans = [{"start": c.start, "end": c.end, "kind": "claim", "label": f"claim {c.local_id}: {c.source_name or 'unattributed'} ({c.stance})"} for c in claims]
    spans += [{"start": a.trigger_start, "end": a.trigger_end, "kind": "allegation", "label": f"allegation {a.local_id}: {a.violation}"} for a in allegations]
    return spans


def highlight(text: str, spans: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cut ``text`` at every span boundary; each piece says which span kinds cover it.

    The pieces are plain strings: templates escape them, so no markup from the article ever
    reaches the page (never build the highlighted HTML by string concatenation).
    """
    n = len(text)
    valid = [s for s in spans if isinstance(s.get("start"), int) and isinstance(s.get("end"), int) and 0 <= s["start"] < s["end"] <= n]
    cuts = sorted({0, n, *(s["start"] for s in valid), *(s["end"] for s in valid)})
    pieces = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        covering = [s for s in valid if s["start"] <= start and end <= s["end"]]
        kinds = sorted({s["kind"] for s in covering})
        pieces.append({"text": text[start:end], "kinds": " ".join(f"hl-{k}" for k in kinds),
                       "label": "; ".join(s["label"] for s in covering)})
    return pieces


# --- documents and sources ---------------------------------------------------------------------
def document_view(document_id: int) -> dict[str, Any] | None:
    document = models.Document.objects.filter(id=document_id).first()
    if document is None:
        return None
    claims = list(document.claims.order_by("start", "id"))
    allegations = list(document.allegations.order_by("id"))
    return {
        **document_summary(document),
        "language": document.language,
        "relevant": document.relevant,
        "text": document.text,
        "copies": sorted(document.copies.values_list("id", flat=True)),
        "incidents": sorted(set(document.incident_rows.values_list("incident_id", flat=True))),
        "claims": [claim_json(c) for c in claims],
        "allegations": [allegation_json(a) for a in allegations],
        "spans": _spans(claims, allegations),
    }


def sources_index(limit: int = 500) -> list[dict[str, Any]]:
    rows = (
        models.Claim.objects.exclude(source_name__isnull=True).exclude(source_name="")
        .values("source_name", "source_type").annotate(claims=Count("id")).order_by("-claims", "source_name")[:limit]
    )
    return [{"name": r["source_name"], "type": r["source_type"], "claims": r["claims"]} for r in rows]


def source_view(name: str, limit: int = 1000, role: str | None = None) -> dict[str, Any] | None:
    """Everything a source has alleged: its claims, and the incidents those claims support."""
    claims = list(models.Claim.objects.filter(source_name__iexact=name).select_related("document").order_by("document_id", "start")[:limit])
    if not claims:
        return None
    keys = {(c.document_id, c.local_id) for c in claims}
    incident_ids = set()
    for a in models.Allegation.objects.filter(document_id__in={d for d, _ in keys}, incident__isnull=False):
        if any((a.document_id, cid) in keys for cid in a.data.get("claims", [])):
            incident_ids.add(a.incident_id)
    ordered = list(models.Incident.objects.filter(id__in=incident_ids).order_by("-first_reported", "-id").values_list("id", flat=True))
    return {
        "name": claims[0].source_name,
        "types": sorted({c.source_type for c in claims if c.source_type}),
        "claims": [{**claim_json(c), "document": c.document_id, "title": c.document.title, "outlet": c.document.outlet} for c in claims],
        "incidents": incident_dicts(ordered, role),
    }


def review_queue(role: str | None = None, limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    """Incidents waiting for verification, oldest first: new ones (reported_not_verified) and those
    pending verification."""
    def ids(status: str) -> list[int]:
        query = models.Incident.objects.filter(status=status).exclude(id__in=_merged_ids())
        return list(query.order_by("first_reported", "id").values_list("id", flat=True)[:limit])

    return {status: incident_dicts(ids(status), role) for status in ("reported_not_verified", "pending_verification")}


__all__ = ["FLAGS", "WebFilter", "dashboard", "filter_from_params", "filtered_queryset", "highlight"]
