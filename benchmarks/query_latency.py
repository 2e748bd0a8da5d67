"""Latency of ``caacwatch incidents`` filters on a database of 100,000 documents.

    .venv/bin/python benchmarks/query_latency.py --source /tmp/bench10k.sqlite3 --db /tmp/q100k.sqlite3
    .venv/bin/python benchmarks/query_latency.py --source /tmp/bench10k.sqlite3 --db postgresql://.../q100k

``--source`` is a database filled by a real ingest (``benchmarks/ingest.py``). The corpus is not
big enough, so its documents — with their reports, allegations and incidents — are copied until
there are ``--documents`` (100,000): copy *k* appends a marker to each text (a new document key),
suffixes every external id with ``#k`` and moves every date *k* years back, as an archive spanning
years would be. Claims and originals are not copied (no incident query reads them).

Each filter runs ``--repeat`` times through :func:`caacwatch.store.queries.iter_incidents`, the
function behind ``caacwatch incidents --format json``, producing every incident's JSON (documents
and countries included); p50/p95/max are wall-clock milliseconds. The CLI adds its start-up
(about a second of imports) on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

FILTERS = {
    "all, newest 100": {"limit": 100},
    "country=UA": {"country": "UA"},
    "country=PS": {"country": "PS"},
    "violation=killing_maiming": {"violation": "killing_maiming"},
    "violation=abduction, newest 100": {"violation": "abduction", "limit": 100},
    "since=2024-07-01": {"since": date(2024, 7, 1)},
    "status=reported_not_verified, newest 100": {"status": "reported_not_verified", "limit": 100},
    "country=IL + violation=killing_maiming + since=2024-01-01": {
        "country": "IL", "violation": "killing_maiming", "since": date(2024, 1, 1)},
    "perpetrator=Israel": {"perpetrator": "Israel"},
}


def build(source_url: str, target_url: str, documents: int) -> dict:
    from caacwatch.store import open_store

    source = open_store(source_url)
    target = open_store(target_url)
    from caacwatch.store import models

    with target.activate():
        if models.Document.objects.exists():
            return {"built": False, "documents": models.Document.objects.count()}
    with source.activate():
        snapshot = _snapshot(models)
    copies = -(-documents // len(snapshot["documents"]))
    started = time.perf_counter()
    for k in range(copies):
        remaining = documents - k * len(snapshot["documents"])
        with target.atomic():
            _write_copy(models, snapshot, k, remaining)
    return {"built": True, "copies": copies, "seconds": round(time.perf_counter() - started, 1)}


def _snapshot(models) -> dict:
    return {
        "documents": list(models.Document.objects.order_by("id").values()),
        "reports": list(models.Report.objects.order_by("id").values("external_id", "document_id", "origin")),
        "incidents": list(models.Incident.objects.order_by("id").values()),
        "countries": list(models.IncidentCountry.objects.values("incident_id", "country")),
        "incident_documents": list(models.IncidentDocument.objects.values("incident_id", "document_id", "role")),
        "allegations": list(models.Allegation.objects.order_by("id").values()),
    }


def _shift(value, years: int):
    return None if value is None else value - timedelta(days=365 * years)


def _write_copy(models, snap: dict, k: int, remaining: int) -> None:
    docs = snap["documents"][:remaining]
    kept = {d["id"] for d in docs}
    doc_map: dict[int, models.Document] = {}
    new_docs = []
    for d in docs:
        fields = {key: v for key, v in d.items() if key not in ("id", "canonical_id")}
        if k:
            fields["text"] = d["text"] + f"\n[archive copy {k}]"
            fields["text_sha256"] = f"{d['text_sha256'][:56]}{k:08d}"
            fields["published"] = _shift(d["published"], k)
        new_docs.append(models.Document(**fields))
    created = models.Document.objects.bulk_create(new_docs, batch_size=500)
    for old, new in zip(docs, created, strict=True):
        doc_map[old["id"]] = new
    models.Report.objects.bulk_create(
        [models.Report(external_id=r["external_id"] + (f"#{k}" if k else ""), document=doc_map[r["document_id"]], origin=r["origin"])
         for r in snap["reports"] if r["document_id"] in kept], batch_size=1000)
    incident_map = {}
    for i in snap["incidents"]:
        fields = {key: v for key, v in i.items() if key != "id"}
        for name in ("first_reported", "last_reported", "event_date"):
            fields[name] = _shift(i[name], k)
        incident_map[i["id"]] = models.Incident(**fields)
    created_incidents = models.Incident.objects.bulk_create(list(incident_map.values()), batch_size=500)
    incident_map = {old: new for old, new in zip(incident_map, created_incidents, strict=True)}
    models.IncidentCountry.objects.bulk_create(
        [models.IncidentCountry(incident=incident_map[c["incident_id"]], country=c["country"]) for c in snap["countries"]], batch_size=1000)
    models.IncidentDocument.objects.bulk_create(
        [models.IncidentDocument(incident=incident_map[r["incident_id"]], document=doc_map[r["document_id"]], role=r["role"])
         for r in snap["incident_documents"] if r["document_id"] in kept], batch_size=1000)
    allegations = []
    for a in snap["allegations"]:
        if a["document_id"] not in kept:
            continue
        fields = {key: v for key, v in a.items() if key not in ("id", "document_id", "incident_id")}
        fields["event_date"] = _shift(a["event_date"], k)
        allegations.append(models.Allegation(
            document=doc_map[a["document_id"]], incident=incident_map.get(a["incident_id"]), **fields))
    models.Allegation.objects.bulk_create(allegations, batch_size=500)


def measure(target_url: str, repeat: int) -> dict:
    from caacwatch.store import open_store

    store = open_store(target_url)
    from caacwatch.store import models
    from caacwatch.store.queries import IncidentFilter, iter_incidents

    results = {}
    with store.activate():
        sizes = {"documents": models.Document.objects.count(), "incidents": models.Incident.objects.count(),
                 "reports": models.Report.objects.count(), "allegations": models.Allegation.objects.count()}
        for name, options in FILTERS.items():
            flt = IncidentFilter(**options)
            times, count = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                count = sum(1 for _ in iter_incidents(flt))
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[name] = {
                "incidents": count,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(round(0.95 * len(times))) - 1)], 1),
                "max_ms": round(times[-1], 1),
            }
    return {"vendor": store.vendor, "sizes": sizes, "filters": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="a database filled by benchmarks/ingest.py")
    parser.add_argument("--db", required=True, help="the 100k-document database to build (or reuse)")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    built = build(args.source, args.db, args.documents)
    print(json.dumps({"build": built, **measure(args.db, args.repeat)}, indent=2))


if __name__ == "__main__":
    main()
