"""The ``caacwatch`` command line: a thin layer over the library (ingest -> extract -> records)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console

from caacwatch import __version__
from caacwatch.errors import CaacError, E
from caacwatch.records import Analysis, ErrorRecord

app = typer.Typer(
    name="caacwatch",
    help="Find allegations of grave violations against children in armed conflict in news and reports, "
    "with who says so, how hedged, where and when.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stderr = Console(stderr=True, soft_wrap=True)  # an error is one line, whatever the width


class OutputFormat(str, Enum):
    human = "human"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"caacwatch {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """caacwatch: sourced, reviewable records of alleged grave violations against children."""


@app.command()
def analyze(
    input: Annotated[str | None, typer.Argument(help="A text or HTML file, a URL, or '-' for standard input.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="human report or the JSON contract.")] = OutputFormat.human,
    jsonl: Annotated[str | None, typer.Option("--jsonl", help="Batch mode: a JSON Lines file ('-' for stdin) of {id, text, title?, published?, url?}.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write batch output here instead of stdout.")] = None,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow fetching URLs on private or loopback addresses.")] = False,
    no_prefilter: Annotated[bool, typer.Option("--no-prefilter", help="Parse every document (slower; for measurement).")] = False,
) -> None:
    """Analyse one article (or a JSON Lines batch) into attributed claims and allegations."""
    try:
        if jsonl is not None:
            _analyze_jsonl(jsonl, out, prefilter=not no_prefilter)
            return
        if input is None:
            raise typer.BadParameter("give an INPUT (file, URL or '-') or --jsonl FILE")
        analysis = _analyze_single(input, allow_private=allow_private, prefilter=not no_prefilter)
    except CaacError as exc:
        stderr.print(f"[red]error[/red] {exc}", highlight=False, markup=True)
        raise typer.Exit(2) from exc
    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(analysis.to_json_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        from caacwatch.report import print_report

        print_report(analysis, Console())


def _analyze_single(spec: str, *, allow_private: bool, prefilter: bool) -> Analysis:
    from caacwatch.extract.analyzer import Analyzer
    from caacwatch.ingest import load_input

    document = load_input(spec, allow_private=allow_private)
    return Analyzer(prefilter=prefilter).analyze(document)


def _analyze_jsonl(spec: str, out: Path | None, *, prefilter: bool) -> None:
    from caacwatch.extract.analyzer import Analyzer
    from caacwatch.ingest.jsonl import iter_jsonl

    total = _count_lines(spec)
    analyzer = Analyzer(prefilter=prefilter)
    with _open_input(spec) as source, _open_output(out) as sink, _progress(total) as advance:
        for result in analyzer.analyze_records(iter_jsonl(source)):
            sink.write(json.dumps(_batch_line(result), ensure_ascii=False) + "\n")
            advance()


def _batch_line(result: Analysis | ErrorRecord) -> dict:
    if isinstance(result, ErrorRecord):
        return result.model_dump(mode="json")
    return result.to_json_dict()


def _count_lines(spec: str) -> int | None:
    if spec == "-":
        return None
    path = Path(spec)
    if not path.is_file():
        raise CaacError(E.E001, path=spec)
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


@contextmanager
def _open_input(spec: str) -> Iterator[IO[bytes]]:
    if spec == "-":
        yield sys.stdin.buffer
        return
    with open(spec, "rb") as handle:
        yield handle


@contextmanager
def _open_output(out: Path | None) -> Iterator[IO[str]]:
    if out is None:
        yield sys.stdout
        return
    with out.open("w", encoding="utf-8") as handle:
        yield handle


@contextmanager
def _progress(total: int | None) -> Iterator:
    """A progress bar on stderr, only when stderr is a terminal (never pollutes piped output)."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stderr) as progress:
        task = progress.add_task("analysing", total=total)
        yield lambda: progress.advance(task)


@app.command()
def evaluate(
    labels: Annotated[Path, typer.Option(help="Labelled articles (JSON Lines, GUIDELINES.md format).")] = Path("../shared/corpus/dev-labels.jsonl"),
    articles: Annotated[Path, typer.Option(help="The corpus the labelled ids are read from.")] = Path("../shared/corpus/articles.jsonl"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    errors: Annotated[bool, typer.Option("--errors/--no-errors", help="List the documents with errors.")] = True,
) -> None:
    """Score the extractor against labelled articles: relevance, violations, countries, sources, perpetrators."""
    from caacwatch.evaluate import MissingArticles, format_report, run_evaluation

    try:
        report = run_evaluation(labels, articles)
    except (CaacError, MissingArticles, OSError) as exc:
        stderr.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_report(report, show_errors=errors))


def _register_monitoring_commands() -> None:
    from caacwatch.cli_batch import register as register_batch
    from caacwatch.cli_store import register
    from caacwatch.cli_web import register as register_web

    register(app)
    register_batch(app)
    register_web(app)


_register_monitoring_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
