"""Ingest throughput: corpus articles into SQLite or PostgreSQL, with and without linking.

    .venv/bin/python benchmarks/ingest.py --db /tmp/bench.sqlite3 [--limit 10000] [--json]
    .venv/bin/python benchmarks/ingest.py --db postgresql://caacwatch:caacwatch@127.0.0.1/bench

Three timed phases on a fresh database (the script refuses a non-empty one):

1. ``ingest --no-link``: read JSON Lines, analyse, store documents, originals, claims, allegations;
2. ``link``: near-duplicate grouping and incident linking of everything stored;
3. the sum, which is what ``ingest`` with linking costs (the same work in the same order).

Figures are documents per second of *input* (every line, relevant or not), wall-clock, on this
machine; the analysis (spaCy) dominates phase 1. Nothing is asserted: record the output in
BENCHMARKS.md with the command.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "articles.jsonl"
sys.path.insert(0, str(REPO / "src"))


def corpus_slice(limit: int | None) -> Path:
    with (
        CORPUS.open(encoding="utf-8") as articles,
        tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle,
    ):
        handle.writelines(itertools.islice(articles, limit))
    return Path(handle.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N corpus articles (default: all)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from caacwatch.ingest.sources import iter_sources
    from caacwatch.store import open_store

    store = open_store(args.db)
    from caacwatch.monitor import ingest, link_pending
    from caacwatch.store import models
    from caacwatch.store.queries import stats

    with store.activate():
        if models.Document.objects.exists():
            sys.exit(f"{store.describe()} is not empty: give a fresh database")
    path = corpus_slice(args.limit)
    try:
        started = time.perf_counter()
        summary = ingest(iter_sources([], jsonl=[str(path)]), store, link=False, batch_size=args.batch_size)
        ingest_seconds = time.perf_counter() - started
        started = time.perf_counter()
        linked = link_pending(store, batch_size=args.batch_size)
        link_seconds = time.perf_counter() - started
    finally:
        path.unlink()
    with store.activate():
        counts = stats()
    inputs = summary.counts["inputs"]
    result = {
        "database": store.vendor,
        "inputs": inputs,
        "batch_size": args.batch_size,
        "ingest_without_linking_s": round(ingest_seconds, 1),
        "ingest_without_linking_docs_per_s": round(inputs / ingest_seconds, 1),
        "linking_s": round(link_seconds, 1),
        "linking_docs_per_s": round(linked.counts["linked"] / link_seconds, 1) if link_seconds else None,
        "ingest_with_linking_docs_per_s": round(inputs / (ingest_seconds + link_seconds), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "summary": summary.to_json(),
        "stats": counts,
    }
    print(json.dumps(result, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
