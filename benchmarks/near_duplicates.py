"""Near-duplicate grouping on the real corpus: speed, groups, and samples to eyeball precision.

    .venv/bin/python benchmarks/near_duplicates.py                    # all 17,864 articles, file order
    .venv/bin/python benchmarks/near_duplicates.py --limit 2000       # the first 2,000 lines
    .venv/bin/python benchmarks/near_duplicates.py --order published  # a stream by publication date
    .venv/bin/python benchmarks/near_duplicates.py --canonical-only   # index canonical documents only
    .venv/bin/python benchmarks/near_duplicates.py --no-dates         # ignore the publication-date guard
    .venv/bin/python benchmarks/near_duplicates.py --max-gap-days 14  # another date window
    .venv/bin/python benchmarks/near_duplicates.py --recall           # + LSH recall against exact pairs

Runs :class:`caacwatch.link.near_duplicates.NearDuplicateIndex` over ``articles.jsonl`` (read from
``../shared/corpus/``, never copied) and prints:

* time per document for shingling, and for signature + LSH lookup + exact verification (``add``),
  with throughput in documents per second;
* the number of groups, their sizes, groups per source and groups mixing sources;
* where the known same-story documents of the corpus README ended up;
* a seeded sample of grouped pairs (each document with the one it matched), with Jaccard,
  containment and titles, for eyeballing precision; grouped pairs whose titles share few words are
  listed apart (the likeliest false positives); and the closest pairs that were *not* grouped
  (candidates that failed verification), the likeliest false negatives;
* with ``--recall``: every pair of documents sharing text (found exactly with an inverted index of
  shingles), how many the decision accepts, and how many of those the LSH bands make candidates.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shlex
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_ARTICLES = CORPUS / "articles.jsonl"
KNOWN = {
    "Deir al-Balah school strike, 27 Jul 2024": ["latest_01867", "latest_01868", "latest_02008", "latest_02136"],
    "Majdal Shams (Golan) strike, 27 Jul 2024": [
        "latest_01865", "latest_01887", "latest_01888", "latest_02023", "latest_02024", "latest_02155",
        "latest_02306",
    ],
    "Majdal Shams follow-up ('pay the price')": ["latest_02056", "latest_02195"],
    "Chibok abduction 2014 (distinct reports)": [
        "cnn_test2185", "cnn_test3111", "cnn_test4870", "cnn_test6510", "cnn_test573", "cnn_test1497",
    ],
}

if str(REPO_ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT / "src"))

from caacwatch.link import near_duplicates as nd  # noqa: E402


@dataclass
class Article:
    id: str
    source: str
    title: str
    published: datetime | None
    text: str


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 (``2024-07-27 20:14:51``, with or without offset) or RFC 822 (``Thu, 28 Mar 2024 ...``)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def iter_articles(path: Path, limit: int | None) -> Iterator[Article]:
    """The corpus lines; a repeated id (four White House ids are truncated to one) gets ``#2``, ``#3``."""
    seen: Counter[str] = Counter()
    with path.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if limit is not None and index >= limit:
                return
            row = json.loads(line)
            seen[row["id"]] += 1
            doc_id = row["id"] if seen[row["id"]] == 1 else f"{row['id']}#{seen[row['id']]}"
            title = (row.get("title") or "").replace("\\_", " ").replace("\\", "")
            yield Article(doc_id, row["source"], title, parse_date(row.get("published")), row["text"])


def ordered(articles: list[Article], order: str) -> list[Article]:
    """File order, or by publication date (undated articles last, in file order)."""
    if order == "file":
        return articles
    def key(article: Article) -> tuple[bool, float]:
        when = article.published
        if when is None:
            return (True, 0.0)
        return (False, (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())

    return sorted(articles, key=key)


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Run:
    index: nd.NearDuplicateIndex
    matches: dict[str, nd.Match]
    shingle_seconds: float
    add_seconds: float
    shingled: dict[str, nd.ShingleSet]


def run(articles: list[Article], canonical_only: bool, use_dates: bool) -> Run:
    index = nd.NearDuplicateIndex(match_copies=not canonical_only)
    matches: dict[str, nd.Match] = {}
    shingled: dict[str, nd.ShingleSet] = {}
    shingle_seconds = add_seconds = 0.0
    for article in articles:
        start = time.perf_counter()
        shingles = nd.shingle_set(article.text)
        middle = time.perf_counter()
        match = index.add_shingled(article.id, shingles, article.published if use_dates else None)
        end = time.perf_counter()
        shingle_seconds += middle - start
        add_seconds += end - middle
        shingled[article.id] = shingles
        if match is not None:
            matches[article.id] = match
    return Run(index, matches, shingle_seconds, add_seconds, shingled)


# --- reports -------------------------------------------------------------------------------------


def report_speed(result: Run, n: int) -> None:
    total = result.shingle_seconds + result.add_seconds
    print("## Speed\n")
    print("| step | total s | ms/doc | docs/s |\n| --- | ---: | ---: | ---: |")
    for name, seconds in (
        ("shingling (normalise, 5-grams, blake2b)", result.shingle_seconds),
        ("signature + LSH lookup + exact verification (`add_shingled`)", result.add_seconds),
        ("end to end", total),
    ):
        print(f"| {name} | {seconds:.1f} | {1000 * seconds / n:.2f} | {n / seconds:,.0f} |")
    comparisons = result.index.comparisons
    print(f"\nExact verifications of LSH candidates: {comparisons:,} ({comparisons / n:.2f} per document; "
          f"{len(result.matches):,} accepted).\n")


def report_groups(result: Run, articles: dict[str, Article]) -> None:
    groups = result.index.groups()
    sizes = Counter(len(members) for members in groups.values())
    short = sum(1 for s in result.shingled.values() if s.words < nd.MIN_WORDS)
    methods = Counter(m.reason["method"] for m in result.matches.values())
    print("## Groups\n")
    print(f"- documents: {len(articles):,}; under {nd.MIN_WORDS} words (never grouped): {short}")
    print(f"- groups of 2 or more: {len(groups):,}, holding {sum(map(len, groups.values())):,} documents; "
          f"{len(result.matches):,} documents grouped under an earlier one")
    print(f"- matches by method: {dict(methods)}")
    print(f"- group sizes: {dict(sorted(sizes.items()))}")
    per_source: Counter[str] = Counter()
    mixed = []
    for canonical, members in groups.items():
        sources = {articles[m].source for m in members}
        per_source[" + ".join(sorted(sources))] += 1
        if len(sources) > 1:
            mixed.append(canonical)
    print(f"- groups per source: {dict(per_source.most_common())}")
    for canonical in mixed[:10]:
        print(f"  - mixed: {[(m, articles[m].source) for m in groups[canonical]]}")
    print()


def report_known(result: Run, articles: dict[str, Article]) -> None:
    print("## Known same-story documents (corpus README)\n")
    for name, ids in KNOWN.items():
        present = [i for i in ids if i in articles]
        if not present:
            continue
        canon = {i: result.index.canonical_of(i) for i in present}
        print(f"- {name}: " + ", ".join(f"{i} -> {canon[i]}" for i in present))
    badely = [i for i in articles if articles[i].source == "badely-bbc-copies-2025"]
    for doc_id in badely:
        print(f"- {doc_id[:60]}: canonical {result.index.canonical_of(doc_id)}")
    print()


def _title_overlap(a: str, b: str) -> float:
    wa, wb = (set(re.findall(r"\w+", t.casefold())) for t in (a, b))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) if wa and wb else 1.0


def _pair_line(match: nd.Match, articles: dict[str, Article]) -> str:
    a, b = articles[match.doc_id], articles[match.matched_id]
    sim = match.similarity
    when = lambda x: x.published.isoformat(" ")[:16] if x.published else "undated"  # noqa: E731
    return (
        f"- J={sim.jaccard:.2f} C={sim.containment:.2f} words {sim.words[0]}/{sim.words[1]} "
        f"[{match.reason['method'].split('.')[1].split('/')[0]}] {a.id} ~ {b.id} (canonical {match.canonical_id})\n"
        f"    {when(a)} | {a.title[:100] or '(no title)'}\n"
        f"    {when(b)} | {b.title[:100] or '(no title)'}"
    )


def report_samples(result: Run, articles: dict[str, Article], sample: int, seed: int) -> None:
    rng = random.Random(seed)
    matches = list(result.matches.values())
    print(f"## Sample of grouped pairs ({min(sample, len(matches))} of {len(matches)}, seed {seed})\n")
    for match in sorted(rng.sample(matches, min(sample, len(matches))), key=lambda m: m.similarity.jaccard):
        print(_pair_line(match, articles))
    print()
    by_band: dict[str, list[nd.Match]] = defaultdict(list)
    for match in matches:
        j = match.similarity.jaccard
        band = "containment" if j < nd.JACCARD_THRESHOLD else ("J 0.6-0.8" if j < 0.8 else "J 0.8-0.95" if j < 0.95 else "J >= 0.95")
        by_band[band].append(match)
    print("## Precision check: sampled grouped pairs per similarity band\n")
    for band in ("containment", "J 0.6-0.8", "J 0.8-0.95", "J >= 0.95"):
        picks = rng.sample(by_band[band], min(sample // 2, len(by_band[band])))
        print(f"### {band}: {len(by_band[band])} pairs, {len(picks)} shown\n")
        for match in picks:
            print(_pair_line(match, articles))
        print()
    suspicious = [m for m in matches if _title_overlap(articles[m.doc_id].title, articles[m.matched_id].title) < 0.3]
    print(f"## Grouped pairs whose titles share under 30% of their words ({len(suspicious)}): likeliest false positives\n")
    for match in suspicious[: 3 * sample]:
        print(_pair_line(match, articles))
    print()


def report_near_misses(result: Run, articles: dict[str, Article], sample: int) -> None:
    """Candidates that failed verification, closest first: where false negatives would be."""
    misses = []
    for doc_id, shingles in result.shingled.items():
        if doc_id in result.matches:
            continue
        keys = nd.band_keys(nd.signature_of(shingles))
        for other in result.index.candidates(keys)[:5]:
            if other == doc_id or result.index.canonical_of(other) == result.index.canonical_of(doc_id):
                continue
            sim = nd.compare(shingles, result.shingled[other])
            if sim.jaccard >= 0.3 or sim.containment >= 0.6:
                misses.append((sim, doc_id, other))
    misses.sort(key=lambda m: -(m[0].jaccard + m[0].containment))
    print(f"## Closest pairs not grouped ({len(misses)} with J >= 0.3 or C >= 0.6): likeliest false negatives\n")
    for sim, a, b in misses[: 2 * sample]:
        da, db = articles[a], articles[b]
        why = nd.reason(sim)["why"]
        if not nd.within_published_window(da.published, db.published):
            why = f"published more than {nd.MAX_PUBLISHED_GAP.days} days apart; " + why
        print(f"- J={sim.jaccard:.2f} C={sim.containment:.2f} words {sim.words[0]}/{sim.words[1]} {a} ~ {b}: {why}\n"
              f"    {da.title[:100] or '(no title)'}\n    {db.title[:100] or '(no title)'}")
    print()


def report_recall(result: Run) -> None:
    """Exact pairs via an inverted index of shingles (postings of very common shingles skipped)."""
    ids = list(result.shingled)
    postings: dict[int, list[int]] = defaultdict(list)
    for i, doc_id in enumerate(ids):
        for h in result.shingled[doc_id].hashes.tolist():
            postings[h].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        if 1 < len(docs) <= 300:
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    shared[(docs[x], docs[y])] += 1
    del postings
    keys = {doc_id: set(nd.band_keys(nd.signature_of(s))) for doc_id, s in result.shingled.items()}
    accepted = found = 0
    missed = []
    for (x, y), count in shared.items():
        if count < 3:
            continue
        sim = nd.compare(result.shingled[ids[x]], result.shingled[ids[y]])
        if nd.is_near_duplicate(sim):
            accepted += 1
            if keys[ids[x]] & keys[ids[y]]:
                found += 1
            else:
                missed.append((ids[x], ids[y], round(sim.jaccard, 2)))
    print("## LSH recall against exact pairs\n")
    print(f"- pairs sharing >= 3 shingles: {sum(1 for c in shared.values() if c >= 3):,}; accepted by "
          f"is_near_duplicate (dates ignored): {accepted:,}; of those sharing a band key: {found:,} "
          f"({found / max(1, accepted):.2%})")
    for pair in missed[:10]:
        print(f"  - missed: {pair}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N lines")
    parser.add_argument("--order", choices=("file", "published"), default="file")
    parser.add_argument("--canonical-only", action="store_true", help="index canonical documents only")
    parser.add_argument("--no-dates", action="store_true", help="ignore the publication-date guard")
    parser.add_argument("--max-gap-days", type=float, default=None, help="override MAX_PUBLISHED_GAP (days)")
    parser.add_argument("--sample", type=int, default=20, help="pairs shown per sample")
    parser.add_argument("--seed", type=int, default=20240727)
    parser.add_argument("--recall", action="store_true", help="also measure LSH recall on exact pairs (slow)")
    args = parser.parse_args(argv)
    if not args.articles.is_file():
        print(f"{args.articles} not found: the corpus lives in ../shared/corpus/", file=sys.stderr)
        return 2
    if args.max_gap_days is not None:
        nd.MAX_PUBLISHED_GAP = timedelta(days=args.max_gap_days)
    articles_list = ordered(list(iter_articles(args.articles, args.limit)), args.order)
    articles = {a.id: a for a in articles_list}
    print(f"# Near-duplicates: `{' '.join(shlex.quote(a) for a in ['benchmarks/near_duplicates.py', *(argv or sys.argv[1:])])}`\n")
    print(f"Parameters: {nd.PARAMETERS}; Jaccard >= {nd.JACCARD_THRESHOLD}, or containment >= "
          f"{nd.CONTAINMENT_THRESHOLD} with >= {nd.CONTAINMENT_MIN_WORDS} words; min {nd.MIN_WORDS} words; "
          f"date guard {'off' if args.no_dates else f'{nd.MAX_PUBLISHED_GAP.days} days'}; "
          f"{'canonical documents only' if args.canonical_only else 'every document'} indexed; order {args.order}\n")
    result = run(articles_list, args.canonical_only, not args.no_dates)
    report_speed(result, len(articles_list))
    report_groups(result, articles)
    report_known(result, articles)
    report_samples(result, articles, args.sample, args.seed)
    report_near_misses(result, articles, args.sample)
    if args.recall:
        report_recall(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
