"""Evaluate the analyzer on the labelled development set and optionally gate on saved minimums.

    .venv/bin/python benchmarks/evaluate.py                 # report + error list
    .venv/bin/python benchmarks/evaluate.py --json          # machine-readable report
    .venv/bin/python benchmarks/evaluate.py --save-min      # record today's figures as the minimums
    .venv/bin/python benchmarks/evaluate.py --check-min     # exit 1 if a figure fell below its minimum

The labelled articles are read from ``articles.jsonl`` (streamed; every labelled id must be there),
ingested by ``caacwatch.ingest.jsonl.iter_jsonl`` as a batch would be, and run through
``caacwatch.extract.analyzer.Analyzer``; scoring is ``caacwatch.evaluate.score``. Default
paths are resolved relative to this script, not the working directory.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DEFAULT_LABELS = CORPUS / "dev-labels.jsonl"
DEFAULT_ARTICLES = CORPUS / "articles.jsonl"
DEFAULT_MINIMUMS = Path(__file__).resolve().parent / "accuracy_minimums.json"

if str(REPO_ROOT / "src") not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT / "src"))

from caacwatch.evaluate import (  # noqa: E402
    MissingArticles,
    Report,
    Shortfall,
    compare_minimums,
    format_report,
    run_evaluation,
)


def load_minimums(path: Path) -> dict[str, float]:
    """Read the saved minimums (``{"figures": {name: minimum}}``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: float(value) for name, value in data["figures"].items()}


def save_minimums(path: Path, figures: Mapping[str, float], labels_path: Path) -> None:
    """Write today's figures, rounded down to 4 decimals, as the minimums to hold."""
    data = {
        "about": (
            "Accuracy gate: benchmarks/evaluate.py --check-min fails if a figure falls below these. "
            "Regenerate with --save-min only when a drop is understood and accepted."
        ),
        "labels": labels_path.name,
        "figures": {name: math.floor(value * 10_000) / 10_000 for name, value in sorted(figures.items())},
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def check_minimums(report: Report, minimums_path: Path = DEFAULT_MINIMUMS) -> list[Shortfall]:
    """Compare a report's figures against the saved minimums."""
    return compare_minimums(report.figures(), load_minimums(minimums_path))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labels JSONL (%(default)s)")
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="corpus JSONL (%(default)s)")
    parser.add_argument("--minimums", type=Path, default=DEFAULT_MINIMUMS, help="minimums file (%(default)s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-errors", action="store_true", help="leave the per-document error list out")
    gate = parser.add_mutually_exclusive_group()
    gate.add_argument("--save-min", action="store_true", help="save the figures as the new minimums")
    gate.add_argument("--check-min", action="store_true", help="exit 1 if a figure is below its minimum")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.check_min and not args.minimums.is_file():
        print(f"error: no minimums at {args.minimums}; create them with --save-min", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        report = run_evaluation(args.labels, args.articles)
    except MissingArticles as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    shortfalls = check_minimums(report, args.minimums) if args.check_min else []
    if args.json:
        out = report.as_dict()
        if args.no_errors:
            out.pop("errors")
        out["seconds"] = round(seconds, 2)
        if args.check_min:
            out["shortfalls"] = [vars(shortfall) for shortfall in shortfalls]
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(format_report(report, show_errors=not args.no_errors), end="")
        print(f"\n{report.documents} documents in {seconds:.1f} s")
    if args.save_min:
        save_minimums(args.minimums, report.figures(), args.labels)
        print(f"minimums saved to {args.minimums}", file=sys.stderr)
    if shortfalls:
        print("ACCURACY GATE FAILED:\n" + "\n".join(f"  {s}" for s in shortfalls), file=sys.stderr)
        return 1
    if args.check_min:
        print(f"accuracy gate passed ({args.minimums.name})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
