"""Synthetic analyses (caacwatch.analysis/2) for the MRM store and confidentiality tests: no spaCy needed.

``store_reports(store, reports)`` stores each report as a document with one allegation and puts them all
in ONE incident (then refreshes it), so the aggregate rules are tested independently of the linker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from caacwatch.ingest.items import InputItem, Original
from caacwatch.records import Analysis, Document, ErrorRecord

# Names that must never reach a viewer or a publication: a victim, a witness, a town, a source, an outlet.
VICTIM = "Oleh Petrenko"
WITNESS = "Maria Kovalenko"
TOWN = "Bakhmut"
SOURCE = "Ombudsman Lyudmyla Denisova"
OUTLET = "Daily Mail"
URL = "https://news.example.org/oleh-petrenko-bakhmut"


@dataclass
class Report:
    external_id: str
    victims: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    violation: str = "recruitment_use"
    town: bool = True
    date: str | None = "2024-03-03"
    date_precision: int | None = 1
    published: str = "2024-03-05"


def source(name: str, *, type: str = "official", party: str | None = "Ukraine", relay: bool = False,
           credibility: str = "medium", reliability: str = "medium", kinds: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name, "category": "primary" if type in ("victim", "witness", "alleged_perpetrator") else "secondary",
        "type": type, "kinds": kinds or (["media_report"] if type == "media" else ["official_statement"]),
        "party": party, "relay": relay, "reliability": reliability, "credibility": credibility, "claims": ["c1"],
        "span": None, "rule": "test",
    }


def analysis(report: Report) -> Analysis:
    text = (
        f"{report.external_id}: Russian forces recruited children in {TOWN}, Donetsk Oblast, said {SOURCE}. "
        f"{VICTIM}, 16, was taken, {WITNESS} told the {OUTLET}."
    )
    trigger = text.index("recruited")
    locations = [{"name": "Donetsk Oblast", "admin1": "Donetsk Oblast", "country": "UA", "lat": 48.02,
                  "lon": 37.8, "precision": "admin1", "geo_precision": 3,
                  "span": [text.index("Donetsk"), text.index("Donetsk") + 14]}]
    if report.town:
        locations.insert(0, {"name": TOWN, "admin1": "Donetsk Oblast", "country": "UA", "lat": 48.6, "lon": 38.0,
                             "precision": "city", "geo_precision": 1,
                             "span": [text.index(TOWN), text.index(TOWN) + len(TOWN)]})
    victims = {"spans": [[text.index(VICTIM), text.index(VICTIM) + len(VICTIM)]], **report.victims}
    time = None
    if report.date:
        time = {"text": "on 3 March 2024", "span": None, "date": report.date, "precision": "day",
                "time_precision": report.date_precision, "basis": "explicit"}
    claim = {
        "id": "c1", "kind": "indirect", "cue": None,
        "source": {"text": SOURCE, "span": None, "name": SOURCE, "type": "official", "role": "ombudsman",
                   "party": "Ukraine", "resolved_from": None},
        "content": {"text": "Russian forces recruited children", "span": [trigger - 15, trigger + 18]},
        "hedges": [], "via": [OUTLET], "stance": "accuses", "rule": "test",
    }
    allegation = {
        "id": "a1", "violation": report.violation,
        "violation_class": "related_category" if report.violation == "deprivation_of_liberty" else "grave_violation",
        "perpetrator": {"name": "Russian forces", "party": "Russia", "type": "state_armed_force", "span": None,
                        "mentions": ["Russian forces"]},
        "victims": victims, "locations": locations, "time": time,
        "location_precision": 1 if report.town else 3, "date_precision": report.date_precision if report.date else None,
        "claims": ["c1"], "sources": report.sources or [source(SOURCE)], "evidence": [],
        "confidence": 0.9, "rule": "test", "trigger": {"text": "recruited", "span": [trigger, trigger + 9]},
    }
    return Analysis.model_validate({
        "schema": "caacwatch.analysis/2", "id": report.external_id,
        "document": {"id": report.external_id, "text": text, "title": f"Report {report.external_id}", "url": URL,
                     "outlet": OUTLET, "published": report.published},
        "relevant": True, "claims": [claim], "allegations": [allegation], "pipeline": {
            "caacwatch": "test", "model": "none", "prefilter": "passed"},
    })


class FakeAnalyzer:
    def __init__(self, analyses: dict[str, Analysis]) -> None:
        self.by_text = {a.document.text: a for a in analyses.values()}

    def analyze_records(self, items: Iterable[Document | ErrorRecord]) -> Iterator[Analysis | ErrorRecord]:
        for item in items:
            assert isinstance(item, Document)
            yield self.by_text[item.text]


def items(analyses: dict[str, Analysis]) -> list[InputItem]:
    return [
        InputItem(external_id=key, document=a.document.model_copy(update={"id": key}),
                  original=Original(data=a.document.text.encode(), content_type="text/plain", origin="test"))
        for key, a in analyses.items()
    ]


def store_reports(store, reports: list[Report]) -> int:
    """Store the reports (no linking) and put all their allegations in one incident; its id."""
    from caacwatch.monitor import ingest
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident

    analyses = {r.external_id: analysis(r) for r in reports}
    ingest(items(analyses), store, analyzer=FakeAnalyzer(analyses), link=False)
    with store.atomic():
        incident = models.Incident.objects.create(violation=reports[0].violation)
        models.IncidentCountry.objects.create(incident=incident, country="UA")
        for allegation in models.Allegation.objects.order_by("id"):
            allegation.incident = incident
            allegation.save(update_fields=["incident"])
            models.IncidentDocument.objects.get_or_create(incident=incident, document=allegation.document,
                                                          defaults={"role": "report"})
        refresh_incident(incident)
        from django.utils import timezone

        models.Document.objects.update(linked_at=timezone.now())  # linked by hand: `caacwatch link` has nothing to do
        return incident.id


def incident_json(store, incident_id: int) -> dict[str, Any]:
    from caacwatch.store.queries import incident_detail

    with store.activate():
        return incident_detail(incident_id, store.describe())
