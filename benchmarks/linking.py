"""Same-incident linking on the corpus's known clusters: pairwise precision and recall.

    .venv/bin/python benchmarks/linking.py [--db PATH] [--reuse] [--json]

Ingests, into a fresh SQLite database, every cnn-latest-2024 article (the Majdal Shams and Deir
al-Balah clusters among 2,700 articles of the same fortnight: the hard negatives), the
cnn-stories articles that mention Chibok or Boko Haram, plus the listed cluster documents; then
reads the incidents back and scores document pairs:

* a *predicted* link is two documents that share an incident (of any violation);
* a *gold* link is two documents of the same cluster in ``benchmarks/linking_clusters.json``.

Precision is measured on pairs of labelled documents (both in some cluster), so documents we
have not labelled cannot count against us or for us; links from a labelled document to an
unlabelled one are listed with their titles for reading (many are true reports of the same
incident that the list does not name). ``--reuse`` scores an existing database again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "articles.jsonl"
CLUSTERS = Path(__file__).with_name("linking_clusters.json")
sys.path.insert(0, str(REPO / "src"))


def selected_articles(cluster_ids: set[str]) -> list[str]:
    lines = []
    with CORPUS.open(encoding="utf-8") as articles:
        for line in articles:
            record = json.loads(line)
            text = record["text"]
            if (
                record["source"] == "cnn-latest-2024"
                or record["id"] in cluster_ids
                or (record["source"] == "cnn-stories" and ("Chibok" in text or "Boko Haram" in text))
            ):
                lines.append(line)
    return lines


def ingest(db: str, lines: list[str]) -> dict:
    from caacwatch.ingest.sources import iter_sources
    from caacwatch.monitor import ingest as run_ingest
    from caacwatch.store import open_store

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        handle.writelines(lines)
    store = open_store(db)
    started = time.perf_counter()
    summary = run_ingest(iter_sources([], jsonl=[handle.name]), store)
    elapsed = time.perf_counter() - started
    Path(handle.name).unlink()
    return {**summary.to_json(), "seconds": round(elapsed, 1)}


def predicted_pairs(db: str) -> tuple[set[tuple[str, str]], dict[str, str]]:
    from caacwatch.store import models, open_store
    from caacwatch.store.queries import IncidentFilter, iter_incidents

    store = open_store(db)
    pairs: set[tuple[str, str]] = set()
    with store.activate():
        for incident in iter_incidents(IncidentFilter()):
            for a, b in itertools.combinations(sorted(set(incident["documents"])), 2):
                pairs.add((a, b))
        titles = {
            r.external_id: (r.document.title or r.document.text[:80]).replace("\n", " ")[:90]
            for r in models.Report.objects.select_related("document")
        }
    return pairs, titles


def score(pairs: set[tuple[str, str]], clusters: dict[str, list[str]]) -> dict:
    labelled = {d for docs in clusters.values() for d in docs}
    gold = {p for docs in clusters.values() for p in itertools.combinations(sorted(docs), 2)}
    predicted = {p for p in pairs if p[0] in labelled and p[1] in labelled}
    true = predicted & gold
    return {
        "precision": round(len(true) / len(predicted), 3) if predicted else None,
        "recall": round(len(true) / len(gold), 3),
        "gold_pairs": len(gold),
        "predicted_pairs": len(predicted),
        "true_pairs": len(true),
        "false_pairs": sorted(predicted - gold),
        "missed_pairs": sorted(gold - predicted),
        "per_cluster_recall": {
            name: round(len(set(itertools.combinations(sorted(docs), 2)) & predicted) / max(1, len(docs) * (len(docs) - 1) // 2), 3)
            for name, docs in clusters.items()
        },
    }


def links_to_unlabelled(pairs, clusters, titles) -> dict[str, list[str]]:
    labelled = {d: name for name, docs in clusters.items() for d in docs}
    found: dict[str, set[str]] = {}
    for a, b in pairs:
        if (a in labelled) != (b in labelled):
            known, other = (a, b) if a in labelled else (b, a)
            found.setdefault(labelled[known], set()).add(other)
    return {name: [f"{d}  {titles.get(d, '')}" for d in sorted(docs)] for name, docs in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="SQLite path (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="score an existing --db without ingesting")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    clusters = json.loads(CLUSTERS.read_text())["clusters"]
    db = args.db or str(Path(tempfile.mkdtemp()) / "linking.sqlite3")
    run = None
    if not args.reuse:
        lines = selected_articles({d for docs in clusters.values() for d in docs})
        run = ingest(db, lines)
    pairs, titles = predicted_pairs(db)
    result = {"db": db, "ingest": run, **score(pairs, clusters), "links_to_unlabelled": links_to_unlabelled(pairs, clusters, titles)}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print(f"database: {db}")
    if run:
        print(f"ingested: {run}")
    print(f"pairwise precision {result['precision']}  recall {result['recall']}  "
          f"({result['true_pairs']} true of {result['predicted_pairs']} predicted, {result['gold_pairs']} gold)")
    print("per-cluster recall:", result["per_cluster_recall"])
    for pair in result["false_pairs"]:
        print("  false link:", *pair)
    for pair in result["missed_pairs"]:
        print("  missed:", *pair)
    for name, docs in result["links_to_unlabelled"].items():
        print(f"## {name}: linked to {len(docs)} unlabelled documents")
        for line in docs:
            print("   ", line)


if __name__ == "__main__":
    main()
