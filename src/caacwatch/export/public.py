"""Confidentiality: what each role sees of an incident, the publication mode, the public-safe summary.

The rules of ``docs/mrm.md`` ("Confidentiality") in one place, as pure functions over the incident JSON
of :mod:`caacwatch.store.queries` (no Django, no request objects), so that the CLI, the exports and the
web workbench apply the same ones:

* ``analyst`` and ``admin`` see everything (visibility ``full``);
* ``viewer`` sees everything but the *restricted* fields (visibility ``restricted``): victim details
  (victim descriptions and spans, ages), exact location (towns, coordinates, places finer than the
  region: a viewer gets country and region, with the region's point for a map), source identities
  (source names, claims, documents: article text, URLs, outlets; evidence). Viewers see the article's
  sentence ``summary`` replaced by the public-safe summary;
* ``public`` (publication export) gets only :data:`PUBLIC_FIELDS`.

Both restricted views are *whitelists*: a key added to the incident JSON later is left out of them until
it is added to :data:`VIEWER_FIELDS` / :data:`PUBLIC_FIELDS` here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
ROLES_SEEING_ALL: tuple[str, ...] = ("analyst", "admin")
VISIBILITIES: tuple[str, ...] = ("full", "restricted", "public")

# What a viewer does not see, by reason (docs/mrm.md). Keys of the incident JSON.
RESTRICTED: dict[str, tuple[str, ...]] = {
    "victim details": ("min_age", "max_age", "ages", "victims.min_age", "victims.max_age", "victims.ages",
                       "counts.*.by_source", "counts.*.source", "counts.*.document"),
    "exact location": ("locations (replaced by their regions)", "lat/lon finer than a region"),
    "source identities": ("documents", "sources.*.name", "sources.*.key", "sources.*.id", "sources.*.outlets",
                          "sources.*.documents", "sources.*.claims", "sources.*.stances", "sources.*.rated_by",
                          "summary (an article sentence: replaced by the public summary)",
                          "timeline (reports, claims, article text)", "decisions.*.reason"),
}

# Incident keys a viewer gets (some transformed, see _viewer_value); everything else is left out.
VIEWER_FIELDS: tuple[str, ...] = (
    "id", "violation", "violation_class", "status", "verified_by", "verified_at", "verification_level",
    "countries", "admin1", "regions", "locations", "perpetrator", "perpetrator_type", "perpetrators",
    "first_reported", "last_reported", "event_date", "event_date_precision", "date_precision",
    "location_precision", "victims", "counts", "recruitment_role", "document_count", "independent_sources",
    "sources", "source_types", "flags", "summary", "public_summary", "public_summary_edited", "public_summary_proposed",
    "public_summary_by", "public_summary_at",
)

# The publication export: only these (docs/mrm.md, "Publication export").
PUBLIC_FIELDS: tuple[str, ...] = (
    "id", "violation", "violation_class", "status", "countries", "regions", "month", "month_basis", "counts",
    "perpetrator", "perpetrator_type", "location_precision", "date_precision", "independent_sources",
    "source_types", "public_summary",
)

COUNT_KEYS_PUBLIC: tuple[str, ...] = ("value", "min", "max", "estimated")
SOURCE_KEYS_VIEWER: tuple[str, ...] = ("category", "type", "kinds", "party", "relay", "reliability", "credibility")
REGION_KEYS: tuple[str, ...] = ("name", "admin1", "country", "lat", "lon")


def visibility_for_role(role: str | None) -> str:
    """``full`` for analysts and admins, ``restricted`` for viewers, ``public`` for the publication mode."""
    if role in ROLES_SEEING_ALL:
        return "full"
    if role == "viewer":
        return "restricted"
    if role == "public":
        return "public"
    raise ValueError(f"unknown role {role!r}: one of viewer, analyst, admin, public")


def incident_for_role(incident: Mapping[str, Any], role: str) -> dict[str, Any]:
    """The incident JSON as ``role`` (viewer, analyst, admin, or public) may see it."""
    return redact_incident(incident, visibility_for_role(role))


def redact_incident(incident: Mapping[str, Any], visibility: str) -> dict[str, Any]:
    if visibility == "full":
        return dict(incident)
    if visibility == "restricted":
        return {key: _viewer_value(key, incident) for key in VIEWER_FIELDS if key in incident}
    if visibility == "public":
        return public_incident(incident)
    raise ValueError(f"unknown visibility {visibility!r}: one of {', '.join(VISIBILITIES)}")


def detail_for_role(detail: Mapping[str, Any], role: str) -> dict[str, Any]:
    """``incident_detail`` JSON (the incident, its timeline and linking decisions) as ``role`` may see it.

    Viewers get the timeline as dates and roles of reports only, and the decisions without their reasons
    (which quote the articles' words); the publication mode has no timeline at all."""
    visibility = visibility_for_role(role)
    result = redact_incident(detail, visibility)
    if visibility == "restricted":
        result["timeline"] = [
            {k: entry.get(k) for k in ("date", "date_basis", "role")} for entry in detail.get("timeline") or ()
        ]
        result["decisions"] = [
            {k: decision.get(k) for k in ("action", "score", "at")} for decision in detail.get("decisions") or ()
        ]
    elif visibility == "full":
        for key in ("timeline", "decisions"):
            if key in detail:
                result[key] = detail[key]
    return result


def _viewer_value(key: str, incident: Mapping[str, Any]) -> Any:
    value = incident.get(key)
    if key == "locations":
        return [_area(region, with_precision=True) for region in incident.get("regions") or ()]
    if key == "regions":
        return [_area(region) for region in value or ()]
    if key == "victims":
        return {k: v for k, v in (value or {}).items() if k not in ("min_age", "max_age", "ages")}
    if key == "counts":
        return _counts(value, ("value", "min", "max", "estimated", "all_low_credibility"))
    if key == "sources":
        return [{k: s.get(k) for k in SOURCE_KEYS_VIEWER} for s in value or () if isinstance(s, Mapping)]
    if key == "source_types":
        return value if value is not None else source_types(incident.get("sources"))
    if key == "summary":
        return public_summary_text(incident)
    return value


def _area(region: Mapping[str, Any], *, with_precision: bool = False) -> dict[str, Any]:
    area = {k: region.get(k) for k in REGION_KEYS}
    if with_precision:  # a location entry as viewers get it: the region (or country) itself
        area["precision"] = "admin1" if region.get("admin1") else "country"
        area["geo_precision"] = 3
    return area


def _counts(counts: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(counts, Mapping):
        return {}
    return {figure: {k: c.get(k) for k in keys if k in c} for figure, c in counts.items() if isinstance(c, Mapping)}


def source_types(sources: Any) -> dict[str, int]:
    """How many sources of each MRM type (``{"official": 1, "media": 1}``)."""
    counter = Counter(s.get("type") or "other" for s in sources or () if isinstance(s, Mapping))
    return dict(sorted(counter.items()))


def public_summary_text(incident: Mapping[str, Any]) -> str:
    """The analyst's public summary, else the proposal, else one proposed now."""
    return incident.get("public_summary") or incident.get("public_summary_proposed") or propose_public_summary(incident)


def public_incident(incident: Mapping[str, Any]) -> dict[str, Any]:
    """The publication record: only public-safe fields (:data:`PUBLIC_FIELDS`)."""
    month, basis = _month(incident)
    typed_party = incident.get("perpetrator_type") not in (None, "unknown")
    record = {
        "id": incident.get("id"),
        "violation": incident.get("violation"),
        "violation_class": incident.get("violation_class"),
        "status": incident.get("status"),
        "countries": list(incident.get("countries") or ()),
        "regions": [_area(region) for region in incident.get("regions") or ()],
        "month": month,
        "month_basis": basis,
        "counts": _counts(incident.get("counts"), COUNT_KEYS_PUBLIC),
        # a party only when it is a typed party of data/parties.yaml, never a name read from the text
        "perpetrator": incident.get("perpetrator") if typed_party else None,
        "perpetrator_type": incident.get("perpetrator_type") or "unknown",
        "location_precision": incident.get("location_precision"),
        "date_precision": incident.get("date_precision"),
        "independent_sources": incident.get("independent_sources"),
        "source_types": incident.get("source_types") or source_types(incident.get("sources")),
        "public_summary": public_summary_text(incident),
    }
    return record


def _month(incident: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``YYYY-MM`` of the event when the text dates it (to a month or finer), else of the first report."""
    event = _as_date(incident.get("event_date"))
    if event is not None and incident.get("date_precision") in (1, 2, 3):
        return f"{event.year:04d}-{event.month:02d}", "event"
    reported = _as_date(incident.get("first_reported"))
    if reported is not None:
        return f"{reported.year:04d}-{reported.month:02d}", "first_reported"
    return None, None


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 7:
        try:
            return date(int(value[0:4]), int(value[5:7]), 1)
        except ValueError:
            return None
    return None


# --- the proposed public-safe summary -------------------------------------------------------------
VIOLATION_TEXT = {
    "recruitment_use": "Recruitment and use of children",
    "killing_maiming": "Killing and maiming of children",
    "sexual_violence": "Rape and other sexual violence against children",
    "attacks_schools_hospitals": "Attack on schools or hospitals",
    "abduction": "Abduction of children",
    "denial_humanitarian_access": "Denial of humanitarian access for children",
    "military_use_schools_hospitals": "Military use of schools or hospitals",
    "deprivation_of_liberty": "Deprivation of liberty of children",
}
STATUS_TEXT = {
    "reported_not_verified": "reported, not verified",
    "pending_verification": "pending verification",
    "verified": "verified",
    "not_a_violation": "not a violation",
    "did_not_occur": "did not occur",
}
PERPETRATOR_TYPE_TEXT = {
    "state_armed_force": "a state armed force",
    "non_state_armed_group": "a non-state armed group",
    "other_party": "a party to the conflict",
}
SOURCE_TYPE_TEXT = {"un": "UN", "ngo": "NGO", "alleged_perpetrator": "alleged perpetrator"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def propose_public_summary(incident: Mapping[str, Any]) -> str:
    """A public-safe summary from the incident's fields: violation and class, children (number, sex),
    perpetrator party, region and country, month, status, number and types of sources.

    Never a person's name (perpetrators only as a typed party, sources only as types), never a place
    finer than the region (``regions``), never a date finer than the month, never ages."""
    violation = incident.get("violation") or ""
    label = VIOLATION_TEXT.get(violation, violation.replace("_", " ").capitalize() or "An allegation")
    klass = "a related category" if incident.get("violation_class") == "related_category" else "a grave violation"
    parts = [f"{label} ({klass})"]
    perpetrator_type = incident.get("perpetrator_type")
    if perpetrator_type in PERPETRATOR_TYPE_TEXT:
        party = incident.get("perpetrator")
        parts.append(f"attributed to {PERPETRATOR_TYPE_TEXT[perpetrator_type]}" + (f" ({party})" if party else ""))
    where = _where(incident.get("regions") or ())
    if where:
        parts.append(f"in {where}")
    month, basis = _month(incident)
    if month:
        when = f"{_MONTHS[int(month[5:7]) - 1]} {month[:4]}"
        parts.append(f"in {when}" if basis == "event" else f"first reported in {when}")
    sentences = [", ".join(parts) + "."]
    sentences.append(_children_text(incident.get("counts") or {}))
    sentences.append(f"Status: {STATUS_TEXT.get(incident.get('status') or '', incident.get('status') or 'unknown')}.")
    sentences.append(_sources_text(incident))
    return " ".join(s for s in sentences if s)


def _where(regions: Any) -> str:
    """"Luhansk Oblast and Donetsk Oblast, Ukraine; Russia": regions (never finer) grouped by country."""
    names: dict[str, list[str]] = {}
    country_names: dict[str, str] = {}
    for region in regions:
        if not isinstance(region, Mapping):
            continue
        country = region.get("country") or ""
        listed = names.setdefault(country, [])
        if region.get("admin1"):
            if region.get("name") and region["name"] not in listed:
                listed.append(str(region["name"]))
        elif region.get("name"):
            country_names[country] = str(region["name"])
    pieces = []
    for country, listed in names.items():
        country_name = country_names.get(country) or (_country_name(country) if country else "")
        joined = " and ".join([", ".join(listed[:-1]), listed[-1]] if len(listed) > 1 else listed)
        pieces.append(", ".join(p for p in (joined, country_name) if p))
    return "; ".join(p for p in pieces if p)


def _country_name(code: str) -> str:
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a dependency
        return code
    country = pycountry.countries.get(alpha_2=code)
    return (getattr(country, "common_name", None) or country.name) if country else code


def _figure(count: Mapping[str, Any] | None, noun: str) -> str | None:
    if not count or count.get("value") is None:
        return None
    value = count["value"]
    text = f"at least {value} {noun}" if count.get("estimated") else f"{value} {noun}"
    if count.get("max") not in (None, value):
        text += f" (reports range {count.get('min', value)}–{count['max']})"
    return text


def _children_text(counts: Mapping[str, Any]) -> str:
    figures = [
        f for f in (
            _figure(counts.get("children"), "children"),
            _figure(counts.get("killed"), "killed"),
            _figure(counts.get("injured"), "injured"),
        ) if f
    ]
    head = "Children: " + ("; ".join(figures) if figures else "number not stated")
    by_sex = [f for f in (_figure(counts.get("boys"), "boys"), _figure(counts.get("girls"), "girls"),
                          _figure(counts.get("sex_unknown"), "of unknown sex")) if f]
    return head + ("; " + ", ".join(by_sex) if by_sex else "; sex not stated") + "."


def _sources_text(incident: Mapping[str, Any]) -> str:
    types = incident.get("source_types") or source_types(incident.get("sources"))
    total = sum(types.values())
    if not total:
        return "No source named."
    listed = ", ".join(f"{n} {SOURCE_TYPE_TEXT.get(kind, kind.replace('_', ' '))}" for kind, n in types.items())
    independent = incident.get("independent_sources")
    tail = f", {independent} independent" if isinstance(independent, int) else ""
    return f"{total} source{'s' if total != 1 else ''} ({listed}){tail}."
