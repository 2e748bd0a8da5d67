"""Linking stored documents: near-duplicate groups, same-incident clusters, independent sources.

Runs inside the loader's transaction, one document at a time in arrival order, so that a re-run
after a crash makes the same decisions as a clean run. The decisions themselves are the pure
functions of :mod:`caacwatch.link`; this module finds candidates with indexed queries and
records every merge with its reason (:class:`~caacwatch.store.models.LinkDecision`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from caacwatch.link import counting
from caacwatch.link import incidents as rules
from caacwatch.link import near_duplicates as nd
from caacwatch.link.sources import (
    ReportEvidence,
    independent_sources,
    source_key,
    typed_from_claim,
    typed_source_key,
)
from caacwatch.store import models, writer
from caacwatch.store.writer import full_analysis

_LINKED_ROLES = ("report", "follow_up", "denial", "retraction")


@dataclass
class LinkOutcome:
    near_duplicate_of: int | None = None
    created: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)


def link_document(document: models.Document) -> LinkOutcome:
    """Group ``document`` with its near-duplicates and put its allegations into incidents."""
    outcome = LinkOutcome()
    canonical = _group_near_duplicates(document)
    outcome.near_duplicate_of = canonical.id if canonical else None
    if canonical is not None:
        outcome.touched |= _attach_copy(document, canonical)
    if document.relevant:
        analysis = full_analysis(document)
        retraction = rules.is_retraction(document.text)
        for allegation in document.allegations.order_by("id"):
            incident_id, created = _link_allegation(allegation, analysis, canonical, retraction)
            outcome.touched.add(incident_id)
            if created:
                outcome.created.add(incident_id)
    for incident_id in sorted(outcome.touched):
        refresh_incident(models.Incident.objects.get(id=incident_id))
    document.linked_at = timezone.now()
    document.save(update_fields=["canonical", "duplicate_reason", "minhash", "linked_at"])
    return outcome


# --- near-duplicates -----------------------------------------------------------------------------
def _group_near_duplicates(document: models.Document) -> models.Document | None:
    signature = nd.signature(document.text)
    document.minhash = signature.to_bytes()
    keys = nd.band_keys(signature)
    for candidate in _lsh_candidates(keys, exclude=document.id):
        if not nd.within_published_window(document.published, candidate.published):
            continue  # the same text a year later is a new report (an anniversary re-run), not a copy
        similarity = nd.similarity(document.text, candidate.text)
        if nd.is_near_duplicate(similarity):
            document.canonical = candidate
            document.duplicate_reason = {**nd.reason(similarity), "parameters": nd.PARAMETERS}
            return candidate
    models.LshBand.objects.bulk_create(
        [models.LshBand(document=document, band=band, key=key) for band, key in keys]
    )
    return None


def _lsh_candidates(keys: list[tuple[int, int]], exclude: int) -> Iterable[models.Document]:
    wanted = set(keys)
    hits: dict[int, int] = {}
    for band, key, document_id in models.LshBand.objects.filter(key__in=[k for _, k in keys]).values_list(
        "band", "key", "document_id"
    ):
        if (band, key) in wanted and document_id != exclude:
            hits[document_id] = hits.get(document_id, 0) + 1
    # Most shared bands first (the likeliest duplicate), then the oldest: deterministic.
    for document_id in sorted(hits, key=lambda d: (-hits[d], d)):
        yield models.Document.objects.get(id=document_id)


def _attach_copy(document: models.Document, canonical: models.Document) -> set[int]:
    touched = set()
    for row in models.IncidentDocument.objects.filter(document=canonical).order_by("incident_id"):
        _, created = models.IncidentDocument.objects.get_or_create(
            incident_id=row.incident_id, document=document, defaults={"role": "copy"}
        )
        if created:
            models.LinkDecision.objects.create(
                incident_id=row.incident_id,
                document=document,
                action="copy",
                score=None,
                reason={"rule": "near_duplicate", "of_document": canonical.id, **(document.duplicate_reason or {})},
            )
            touched.add(row.incident_id)
    return touched


# --- incidents ----------------------------------------------------------------------------
def _link_allegation(
    allegation: models.Allegation,
    analysis: dict[str, Any],
    canonical: models.Document | None,
    retraction: bool,
) -> tuple[int, bool]:
    data = allegation.data
    profile = rules.profile_allegation(data, analysis, _report_day(allegation.document))
    match = (
        _match_in_copy_group(profile, canonical)
        or _match_in_same_document(profile, allegation)
        or rules.best_match(profile, _candidates(profile))
    )
    if match is None:
        incident = _open_incident(allegation, profile)
        _record(incident, allegation, "created", None, _opening_reason(profile))
        created = True
    else:
        incident = models.Incident.objects.get(id=match[0])
        incident.profile = rules.absorb(incident.profile, profile)
        incident.save(update_fields=["profile"])
        _set_countries(incident, profile.countries)
        _record(incident, allegation, "joined", match[1].score, match[1].reason)
        created = False
    allegation.incident = incident
    allegation.role = _role(allegation, incident, retraction, created)
    allegation.save(update_fields=["incident", "role"])
    models.IncidentDocument.objects.get_or_create(
        incident=incident, document=allegation.document, defaults={"role": allegation.role}
    )
    return incident.id, created


def _match_in_copy_group(
    profile: rules.AllegationProfile, canonical: models.Document | None
) -> tuple[int, rules.Match] | None:
    """A copy's allegation joins the incident its canonical document reported, if the violation agrees."""
    if canonical is None:
        return None
    candidates = models.Incident.objects.filter(
        violation=profile.violation, document_rows__document=canonical
    ).order_by("id")
    scored = [(i.id, rules.score(profile, i.profile)) for i in candidates]
    scored = [(i, m) for i, m in scored if m is not None]
    if not scored:
        return None
    incident_id, match = max(scored, key=lambda im: (im[1].score, -im[0]))
    reason = {**match.reason, "rule": "near_duplicate", "of_document": canonical.id}
    return incident_id, rules.Match(score=match.score, reason=reason)


def _match_in_same_document(
    profile: rules.AllegationProfile, allegation: models.Allegation
) -> tuple[int, rules.Match] | None:
    """A second allegation of the same violation in one article (the strike "Israel blames on
    Hezbollah" read twice, once per party named) joins the incident the first one went to, unless
    they name different towns: a round-up of several attacks keeps them apart."""
    earlier = (
        models.Incident.objects.filter(violation=profile.violation, allegations__document_id=allegation.document_id)
        .exclude(allegations__id=allegation.id)
        .distinct()
        .order_by("id")
    )
    for incident in earlier:
        match = rules.score(profile, incident.profile)
        if match is not None and match.reason["agreement"].get("place", 1.0) > 0.0:
            reason = {**match.reason, "rule": "same_document", "why": "another allegation of this violation in the same document"}
            return incident.id, rules.Match(score=match.score, reason=reason)
    return None


def _candidates(profile: rules.AllegationProfile) -> Iterable[tuple[int, dict[str, Any]]]:
    query = models.Incident.objects.filter(violation=profile.violation)
    if profile.countries:
        query = query.filter(
            Q(country_rows__country__in=sorted(profile.countries)) | Q(country_rows__isnull=True)
        )
    if profile.date is not None:
        window = timedelta(days=rules.load_rules().candidate_window_days)
        since = profile.date - window
        query = query.filter(Q(last_reported__isnull=True) | Q(last_reported__date__gte=since))
    return query.distinct().order_by("id").values_list("id", "profile").iterator(chunk_size=500)


def _open_incident(allegation: models.Allegation, profile: rules.AllegationProfile) -> models.Incident:
    incident = models.Incident.objects.create(
        violation=allegation.violation,
        violation_class=writer.violation_class(allegation.violation),
        profile=rules.new_incident_profile(profile),
    )
    _set_countries(incident, profile.countries)
    return incident


def _set_countries(incident: models.Incident, countries: Iterable[str]) -> None:
    for country in sorted(countries):
        models.IncidentCountry.objects.get_or_create(incident=incident, country=country)


def _record(incident: models.Incident, allegation: models.Allegation, action: str, score: float | None, reason: dict) -> None:
    models.LinkDecision.objects.create(
        incident=incident,
        allegation=allegation,
        document=allegation.document,
        action=action,
        score=score,
        reason=reason,
    )


def _opening_reason(profile: rules.AllegationProfile) -> dict[str, Any]:
    return {
        "rule": f"linking/v{rules.load_rules().version}",
        "why": "no stored incident of this violation matched (place, time, perpetrator, text)",
        "countries": sorted(profile.countries),
    }


def _role(allegation: models.Allegation, incident: models.Incident, retraction: bool, created: bool) -> str:
    if retraction:
        return "retraction"
    claims = {c["id"]: c for c in allegation.document.analysis.get("claims", [])}
    if any(claims.get(cid, {}).get("stance") == "denies" for cid in allegation.data.get("claims", [])):
        return "denial"
    if not created and incident.first_reported is not None:
        reported = allegation.document.report_date
        if reported - incident.first_reported > timedelta(days=rules.load_rules().follow_up_after_days):
            return "follow_up"
    return "report"


def _report_day(document: models.Document) -> date | None:
    return document.published.date() if document.published else None


# --- incident aggregates ---------------------------------------------------------------------
def refresh_incident(incident: models.Incident) -> None:
    """Recompute what an incident shows from its members: documents, sources, flags, places, and the
    MRM aggregates (conservative counts, ages, role, precision codes, typed sources, the proposed
    public summary). What analysts decide (status, verification, public summary, source ratings) stays."""
    allegations = list(
        incident.allegations.select_related("document").order_by("document__first_seen", "document_id", "id")
    )
    doc_rows = list(incident.document_rows.select_related("document"))
    documents = [row.document for row in doc_rows]
    report_dates = [d.report_date for d in documents]
    external = _external_ids([row.document_id for row in doc_rows])
    sources = independent_sources(_evidence(allegations, doc_rows, external))
    contested = sources.denied or any(a.role in ("denial", "retraction") for a in allegations)
    incident.document_count = len(documents)
    incident.first_reported = min(report_dates) if report_dates else None
    incident.last_reported = max(report_dates) if report_dates else None
    incident.violation_class = writer.violation_class(incident.violation)
    incident.perpetrators = _perpetrators(allegations)
    incident.perpetrator = incident.perpetrators[0]["party"] if incident.perpetrators else None
    incident.perpetrator_type = (incident.perpetrators[0]["type"] if incident.perpetrators else None) or "unknown"
    incident.locations = _locations(allegations)
    incident.admin1 = sorted({loc["admin1"] or loc["name"] for loc in incident.locations if loc["precision"] == "admin1" or loc.get("admin1")})
    incident.regions = _regions(incident.locations)
    typed = _typed_sources(allegations, external, sources.sources)
    rows = _sync_source_rows(incident, typed)
    credibility = {key: row.effective_credibility for key, row in rows.items()}
    incident.counts = counting.conservative_counts(_figure_reports(allegations, external, credibility))
    victims = [_victims_of(a) for a in allegations]
    incident.min_age, incident.max_age = counting.aggregate_ages(victims)
    incident.recruitment_role = (
        counting.aggregate_role(v.get("role") or "unknown" for v in victims)
        if incident.violation == "recruitment_use" and allegations else None
    )
    incident.victims = _victims(allegations, incident)
    incident.location_precision = counting.most_precise(a.location_precision for a in allegations)
    incident.date_precision = counting.most_precise(a.date_precision for a in allegations)
    incident.event_date, incident.event_date_precision = _event_date(allegations)
    if incident.event_date is None:
        incident.date_precision = None  # no date: no precision (never finer than the text supports)
    incident.sources = [_source_json(rows[key], typed[key]) for key in typed]
    incident.independent_sources = sources.count
    incident.single_source = sources.count <= 1
    incident.party_to_conflict_only = sources.party_to_conflict_only
    incident.contested = contested
    incident.neutral_source = sources.neutral_source
    incident.flags = [
        name
        for name, on in (
            ("single_source", incident.single_source),
            ("party_to_conflict_only", incident.party_to_conflict_only),
            ("contested", incident.contested),
            ("neutral_source", incident.neutral_source),
        )
        if on
    ]
    incident.summary = _summary(allegations[0]) if allegations else incident.summary
    incident.public_summary_proposed = proposed_public_summary(incident)
    incident.updated_at = timezone.now()
    incident.save()


def proposed_public_summary(incident: models.Incident) -> str:
    """The public-safe summary caacwatch proposes for ``incident`` (from its stored fields)."""
    from caacwatch.export.public import propose_public_summary

    return propose_public_summary(
        {
            "violation": incident.violation,
            "violation_class": incident.violation_class,
            "status": incident.status,
            "counts": incident.counts,
            "perpetrator": incident.perpetrator,
            "perpetrator_type": incident.perpetrator_type,
            "regions": incident.regions,
            "event_date": incident.event_date.isoformat() if incident.event_date else None,
            "date_precision": incident.date_precision,
            "first_reported": incident.first_reported.isoformat() if incident.first_reported else None,
            "sources": incident.sources,
            "independent_sources": incident.independent_sources,
        }
    )


def _evidence(
    allegations: list[models.Allegation], doc_rows: list[models.IncidentDocument], external: dict[int, list[str]]
) -> list[ReportEvidence]:
    claims_by_doc: dict[int, list[dict]] = {}
    for allegation in allegations:
        by_id = {c["id"]: c for c in allegation.document.analysis.get("claims", [])}
        wanted = [by_id[c] for c in allegation.data.get("claims", []) if c in by_id]
        claims_by_doc.setdefault(allegation.document_id, []).extend(wanted)
    evidence = []
    for row in sorted(doc_rows, key=lambda r: r.document_id):
        document = row.document
        story = document.canonical if document.canonical_id else document
        evidence.append(
            ReportEvidence(
                external_ids=tuple(external.get(document.id, [])),
                story=str(story.id),
                outlet=story.outlet,
                claims=tuple(claims_by_doc.get(document.id, [])),
            )
        )
    return evidence


# --- typed sources (docs/mrm.md, "Sources") --------------------------------------------------------
def _allegation_sources(allegation: models.Allegation) -> list[dict[str, Any]]:
    """The allegation's typed sources (analysis /2), or, when it lists none, ones made from its claims'
    speakers and the outlets they were relayed through (``via``)."""
    data = allegation.data
    listed = [dict(s) for s in data.get("sources") or () if s.get("name")]
    if not listed:
        by_id = {c["id"]: c for c in allegation.document.analysis.get("claims", [])}
        relays: list[str] = []
        for claim_id in data.get("claims", []):
            claim = by_id.get(claim_id) or {}
            source = claim.get("source")
            if source and source.get("name"):
                typed = typed_from_claim(source, perpetrator_party=allegation.perpetrator_party)
                typed["claims"] = [claim_id]
                listed.append(typed)
            relays += [outlet for outlet in claim.get("via") or () if outlet not in relays]
        for outlet in relays:
            relay = typed_from_claim({"name": outlet, "type": "outlet"})
            listed.append({**relay, "relay": True, "rule": "from_claim_via"})
    for source in listed:
        source["key"] = typed_source_key(source["name"], source.get("party"))[:400]
    return listed


def _typed_sources(
    allegations: list[models.Allegation], external: dict[int, list[str]], summaries: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every source of the incident by key, merged across its reports, in order of first appearance."""
    typed: dict[str, dict[str, Any]] = {}
    claims: dict[str, set[tuple[int, str]]] = {}
    for allegation in allegations:
        documents = external.get(allegation.document_id) or [f"document {allegation.document_id}"]
        for source in _allegation_sources(allegation):
            key = source["key"]
            entry = typed.get(key)
            if entry is None:
                entry = typed[key] = {
                    "key": key, "name": source["name"], "category": source.get("category") or "secondary",
                    "type": source.get("type") or "other", "kinds": [], "party": source.get("party"),
                    "relay": True, "reliability": source.get("reliability") or "medium",
                    "credibility": source.get("credibility") or "medium", "documents": [],
                }
            entry["relay"] = entry["relay"] and bool(source.get("relay"))
            entry["kinds"] = sorted(set(entry["kinds"]) | set(source.get("kinds") or ()))
            entry["documents"] = sorted(set(entry["documents"]) | set(documents))
            claims.setdefault(key, set()).update((allegation.document_id, c) for c in source.get("claims") or ())
    by_name = {key.split("|", 1)[0]: key for key in typed}
    for summary in summaries:  # the claim-based sources (outlets, stances), and any the typing missed
        name_key = source_key(summary["name"])
        key = by_name.get(name_key) or typed_source_key(summary["name"], summary.get("party"))[:400]
        entry = typed.get(key)
        if entry is None:
            made = typed_from_claim({"name": summary["name"], "type": summary.get("type"), "party": summary.get("party")})
            entry = typed[key] = {**{k: made[k] for k in ("name", "category", "type", "kinds", "party", "relay",
                                                          "reliability", "credibility")},
                                  "key": key, "documents": list(summary.get("documents") or [])}
        entry["outlets"] = sorted(set(entry.get("outlets", [])) | set(summary.get("outlets") or ()))
        entry["stances"] = sorted(set(entry.get("stances", [])) | set(summary.get("stances") or ()))
    for key, entry in typed.items():
        entry.setdefault("outlets", [])
        entry.setdefault("stances", [])
        entry["claims"] = len(claims.get(key, ()))
    return typed


_SOURCE_FIELDS = ("name", "category", "type", "kinds", "party", "relay", "proposed_reliability",
                  "proposed_credibility", "documents", "claims", "present")


def _sync_source_rows(incident: models.Incident, typed: dict[str, dict[str, Any]]) -> dict[str, models.IncidentSource]:
    """Rebuild the incident's source rows, keeping every analyst rating by key."""
    existing = {row.key: row for row in incident.source_rows.all()}
    rows, new, changed = {}, [], []
    for key, entry in typed.items():
        row = existing.pop(key, None)
        if row is None:
            row = models.IncidentSource(incident=incident, key=key)
            new.append(row)
        else:
            changed.append(row)
        row.name = entry["name"]
        row.category = entry["category"]
        row.type = entry["type"]
        row.kinds = entry["kinds"]
        row.party = (entry["party"] or None) and entry["party"][:200]
        row.relay = entry["relay"]
        row.proposed_reliability = _rating(entry["reliability"])
        row.proposed_credibility = _rating(entry["credibility"])
        row.documents = entry["documents"]
        row.claims = entry["claims"]
        row.present = True
        rows[key] = row
    gone = [row for row in existing.values() if row.present or not (row.reliability or row.credibility)]
    rated = [row for row in gone if row.reliability or row.credibility]
    unrated = [row.id for row in gone if not (row.reliability or row.credibility)]
    for row in rated:
        row.present = False
    if unrated:
        models.IncidentSource.objects.filter(id__in=unrated).delete()
    if new:
        models.IncidentSource.objects.bulk_create(new)
    if changed or rated:
        models.IncidentSource.objects.bulk_update(changed + rated, list(_SOURCE_FIELDS))
    return rows


def _rating(value: Any) -> str:
    return value if value in counting.RATINGS else "medium"


def _source_json(row: models.IncidentSource, entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "category": row.category,
        "type": row.type,
        "kinds": row.kinds,
        "party": row.party,
        "relay": row.relay,
        "reliability": row.effective_reliability,
        "credibility": row.effective_credibility,
        "proposed_reliability": row.proposed_reliability,
        "proposed_credibility": row.proposed_credibility,
        "rated_by": row.rated_by,
        "rated_at": row.rated_at.isoformat() if row.rated_at else None,
        "outlets": entry["outlets"],
        "documents": row.documents,
        "stances": entry["stances"],
        "claims": row.claims,
    }


def _figure_reports(
    allegations: list[models.Allegation], external: dict[int, list[str]], credibility: dict[str, str]
) -> list[counting.FigureReport]:
    reports = []
    for allegation in allegations:
        source = counting.figure_source(_allegation_sources(allegation), credibility)
        documents = external.get(allegation.document_id) or [f"document {allegation.document_id}"]
        reports.append(
            counting.FigureReport(
                victims=_victims_of(allegation),
                source=source["name"] if source else allegation.document.outlet,
                source_type=source.get("type") if source else ("media" if allegation.document.outlet else None),
                document=documents[0],
                credibility=credibility.get(source["key"], "medium") if source else "medium",
            )
        )
    return reports


def _victims_of(allegation: models.Allegation) -> dict[str, Any]:
    return allegation.victims or allegation.data.get("victims") or {}


# --- regions: what a viewer and a publication may see of the places ---------------------------------
def _regions(locations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each place coarsened to its region (admin1), or its country, with that area's point."""
    regions: dict[tuple[str, str | None], dict[str, Any]] = {}
    points = {(loc["name"], loc.get("country")): loc for loc in locations}
    for loc in locations:
        code = counting.place_precision_code(loc)
        if code == 3:
            area = {"name": loc["name"], "admin1": loc.get("admin1") or (loc["name"] if loc.get("precision") == "admin1" else None),
                    "country": loc.get("country"), "lat": loc.get("lat"), "lon": loc.get("lon")}
        elif loc.get("admin1"):
            known = points.get((loc["admin1"], loc.get("country")))
            lat, lon = (known.get("lat"), known.get("lon")) if known else _area_point(loc["admin1"], loc.get("country"))
            area = {"name": loc["admin1"], "admin1": loc["admin1"], "country": loc.get("country"), "lat": lat, "lon": lon}
        elif loc.get("country"):
            name = _country_name(loc["country"])
            lat, lon = _area_point(name, loc["country"])
            area = {"name": name, "admin1": None, "country": loc["country"], "lat": lat, "lon": lon}
        else:
            continue
        regions.setdefault((area["name"], area["country"]), area)
    # a country is listed on its own only when none of its regions is
    finer = {area["country"] for area in regions.values() if area["admin1"]}
    return [area for area in regions.values() if area["admin1"] or area["country"] not in finer]


def _area_point(name: str, country: str | None) -> tuple[float | None, float | None]:
    """The gazetteer's representative point of a region or country (its main town), if it knows it."""
    from caacwatch.extract.places import Gazetteer

    place = Gazetteer.default().lookup(name)
    if place is None or (country and place.country != country):
        return None, None
    return place.lat, place.lon


def _country_name(code: str) -> str:
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)


def _external_ids(document_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for document_id, external_id in (
        models.Report.objects.filter(document_id__in=document_ids).order_by("id").values_list("document_id", "external_id")
    ):
        result.setdefault(document_id, []).append(external_id)
    return result


def _perpetrators(allegations: list[models.Allegation]) -> list[dict[str, Any]]:
    counts: dict[tuple, int] = {}
    for a in allegations:
        if a.perpetrator_name:
            key = (a.perpetrator_party or a.perpetrator_name, a.perpetrator_name, a.perpetrator_type)
            counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts, key=lambda k: (-counts[k], k[0]))
    return [{"party": p, "name": n, "type": t, "reports": counts[(p, n, t)]} for p, n, t in ordered]


def _locations(allegations: list[models.Allegation]) -> list[dict[str, Any]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for a in allegations:
        for loc in a.data.get("locations", []):
            key = (loc["name"], loc.get("country"))
            if key not in seen:
                seen[key] = {k: loc.get(k) for k in ("name", "admin1", "country", "lat", "lon", "precision")}
                seen[key]["geo_precision"] = counting.place_precision_code(loc)
    return list(seen.values())


def _victims(allegations: list[models.Allegation], incident: models.Incident) -> dict[str, Any]:
    """The compact victims summary of earlier versions (the kept children figure, its range, ages, sex)."""
    children = incident.counts.get("children") or {}
    sexes = {a.victims_sex for a in allegations} - {"unknown"}
    return {
        "count": children.get("value"),
        "count_range": [children["min"], children["max"]] if children else None,
        "estimated": bool(children.get("estimated")),
        "min_age": incident.min_age,
        "max_age": incident.max_age,
        "ages": counting.ages_text(incident.min_age, incident.max_age),
        "sex": sexes.pop() if len(sexes) == 1 else ("mixed" if sexes else "unknown"),
        "role": incident.recruitment_role,
    }


_PRECISION_ORDER = {"day": 0, "week": 1, "month": 2}


def _event_date(allegations: list[models.Allegation]) -> tuple[date | None, str]:
    dated = [a for a in allegations if a.event_date is not None and a.event_date_precision in _PRECISION_ORDER]
    if not dated:
        return None, "unknown"
    best = min(dated, key=lambda a: (_PRECISION_ORDER[a.event_date_precision], a.event_date))
    return best.event_date, best.event_date_precision


def _summary(allegation: models.Allegation) -> str:
    """The sentence that carries the allegation's trigger, from its document."""
    text = allegation.document.text
    start = max(text.rfind(". ", 0, allegation.trigger_start), text.rfind("\n", 0, allegation.trigger_start))
    end_candidates = [i for i in (text.find(". ", allegation.trigger_end), text.find("\n", allegation.trigger_end)) if i != -1]
    end = min(end_candidates) + 1 if end_candidates else len(text)
    return text[start + 1 : end].strip()[:500]
