"""Monitoring commands: ``ingest``, ``link``, ``incidents``, ``incident show``, ``stats``, ``evidence verify``.

Thin: each command parses options, opens the store and calls a library function
(:mod:`caacwatch.monitor`, :mod:`caacwatch.store.queries`, :mod:`caacwatch.export`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from caacwatch.errors import CaacError

stderr = Console(stderr=True, soft_wrap=True)  # an error is one line, whatever the width

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="CAACWATCH_DB", help="SQLite file or postgresql:// URL (default ./caacwatch.sqlite3)."),
]


class IncidentFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    geojson = "geojson"
    hxl = "hxl"


class ShowFormat(str, Enum):
    human = "human"
    json = "json"


def _fail(exc: CaacError) -> typer.Exit:
    stderr.print(f"[red]error[/red] {exc}", highlight=False)
    return typer.Exit(2)


def _open(db: str | None):
    from caacwatch.store import open_store

    return open_store(db)


def add_group(app: typer.Typer, name: str, help: str, commands: dict[str, Callable[..., None]]) -> None:
    """A sub-command group such as ``caacwatch incident show``."""
    group = typer.Typer(help=help, no_args_is_help=True)
    for command_name, function in commands.items():
        group.command(command_name)(function)
    app.add_typer(group, name=name)


def register(app: typer.Typer) -> None:
    for command in (ingest, link, incidents, stats):
        app.command()(command)
    add_group(app, "incident", "One incident.", {"show": incident_show})
    add_group(app, "evidence", "Evidence preservation.", {"verify": evidence_verify})


def ingest(
    inputs: Annotated[list[str] | None, typer.Argument(help="Files, folders, http(s) URLs, or '-' (stdin).")] = None,
    db: DbOption = None,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="An RSS/Atom feed URL or file (repeatable).")] = None,
    jsonl: Annotated[list[str] | None, typer.Option("--jsonl", help="A JSON Lines file of {id, text, ...} (repeatable).")] = None,
    warc: Annotated[list[str] | None, typer.Option("--warc", help="A WARC file (repeatable).")] = None,
    no_link: Annotated[bool, typer.Option("--no-link", help="Store only; run `caacwatch link` later.")] = False,
    batch_size: Annotated[int, typer.Option(help="Documents per transaction.")] = 50,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow URLs on private or loopback addresses.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Analyse new documents into the store, skip what is stored, and link them into incidents."""
    from caacwatch.ingest.sources import iter_sources

    specs, feeds, jsonls, warcs = inputs or [], feed or [], jsonl or [], warc or []
    if not (specs or feeds or jsonls or warcs):
        raise typer.BadParameter("give inputs (files, folders, URLs), --feed, --jsonl or --warc")
    try:
        store = _open(db)
        from caacwatch.monitor import ingest as run_ingest

        items = iter_sources(specs, feeds=feeds, jsonl=jsonls, warc=warcs, allow_private=allow_private)
        total = _estimate_total(specs, jsonls, warcs, feeds)
        with _progress("ingesting", total) as advance:
            summary = run_ingest(
                items, store, batch_size=batch_size, link=not no_link, progress=advance, command=" ".join(sys.argv)
            )
    except CaacError as exc:
        raise _fail(exc) from exc
    _print_summary(summary.to_json(), as_json)


def link(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Also recompute every incident (counts, sources, regions) after an upgrade.")
    ] = False,
) -> None:
    """Link documents stored with --no-link (or loaded from a batch) into duplicate groups and incidents."""
    try:
        store = _open(db)
        if refresh:
            from caacwatch.monitor import refresh_all
            from caacwatch.store import models

            with store.activate():
                total = models.Incident.objects.count()
            with _progress("refreshing", total) as advance:
                refreshed = refresh_all(store, progress=advance)
        from caacwatch.monitor import link_pending
        from caacwatch.store import models

        with store.activate():
            total = models.Document.objects.filter(linked_at__isnull=True).count()
        with _progress("linking", total) as advance:
            summary = link_pending(store, progress=advance)
    except CaacError as exc:
        raise _fail(exc) from exc
    result = summary.to_json()
    result["linked"] = summary.counts.get("linked", 0)
    if refresh:
        result["refreshed"] = refreshed
    _print_summary(result, as_json)


def incidents(
    db: DbOption = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code, e.g. UA.")] = None,
    violation: Annotated[
        str | None,
        typer.Option(help="One of the six grave violations (recruitment_use, killing_maiming, sexual_violence, "
                     "attacks_schools_hospitals, abduction, denial_humanitarian_access) or a related category "
                     "(military_use_schools_hospitals, deprivation_of_liberty)."),
    ] = None,
    violation_class: Annotated[
        str | None, typer.Option("--class", help="grave_violation or related_category.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="First reported on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="First reported on or before YYYY-MM-DD.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="reported_not_verified, pending_verification, verified, not_a_violation, did_not_occur."),
    ] = None,
    perpetrator: Annotated[str | None, typer.Option(help="Principal perpetrator party, e.g. Russia.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many (newest first).")] = None,
    output_format: Annotated[IncidentFormat, typer.Option("--format", "-f")] = IncidentFormat.table,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
    public: Annotated[
        bool,
        typer.Option("--public", help="Publication mode: only public-safe fields (no names, no place finer than "
                     "the region, months not days; docs/mrm.md)."),
    ] = False,
) -> None:
    """List incidents, filtered; as a table, JSON, CSV, GeoJSON or HXL-tagged CSV (--public: for publication)."""
    from caacwatch.export import write_incidents

    try:
        store = _open(db)  # configures Django: models are importable only after this
        from caacwatch.store.queries import IncidentFilter, iter_incidents, parse_date_option

        flt = IncidentFilter(
            country=country, violation=violation, status=status, perpetrator=perpetrator, limit=limit,
            since=parse_date_option(since, "--since"), until=parse_date_option(until, "--until"),
            violation_class=violation_class,
        ).validate()
        with store.activate(), _output(out) as sink:
            write_incidents(iter_incidents(flt), output_format.value, sink, visibility="public" if public else "full")
    except CaacError as exc:
        raise _fail(exc) from exc


def incident_show(
    incident_id: Annotated[int, typer.Argument(help="The incident id (see `caacwatch incidents`).")],
    db: DbOption = None,
    output_format: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.human,
) -> None:
    """An incident's timeline of reports and the claims behind them, and why they were linked."""
    try:
        store = _open(db)
        from caacwatch.store.queries import incident_detail

        with store.activate():
            detail = incident_detail(incident_id, store.describe())
    except CaacError as exc:
        raise _fail(exc) from exc
    if output_format is ShowFormat.json:
        sys.stdout.write(json.dumps(detail, ensure_ascii=False, indent=2) + "\n")
    else:
        from caacwatch.report import print_incident

        print_incident(detail, Console())


def stats(db: DbOption = None, output_format: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.human) -> None:
    """Counts: documents, duplicates, rejected, claims, allegations, incidents."""
    try:
        store = _open(db)
        from caacwatch.store.queries import rejection_reasons
        from caacwatch.store.queries import stats as count

        with store.activate():
            counts = count()
            reasons = rejection_reasons()
    except CaacError as exc:
        raise _fail(exc) from exc
    if output_format is ShowFormat.json:
        sys.stdout.write(json.dumps(counts, indent=2) + "\n")
        return
    for key, value in counts.items():
        sys.stdout.write(f"{key:>24}  {value}\n")
    for code, n in reasons.items():
        sys.stdout.write(f"{'rejected ' + code:>24}  {n}\n")


def evidence_verify(
    db: DbOption = None,
    expect: Annotated[str | None, typer.Option(help="The evidence digest printed by an earlier run.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-hash every stored original and document text; exit 1 if anything was altered."""
    try:
        store = _open(db)
        from caacwatch.store.evidence import verify

        with store.activate():
            report = verify(expect)
    except CaacError as exc:
        raise _fail(exc) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        state = "OK" if report.ok else f"ALTERED ({len(report.problems)} problems)"
        sys.stdout.write(
            f"evidence {state}: {report.originals} originals, {report.documents} documents checked\n"
            f"evidence digest {report.digest}\n"
        )
        for problem in report.problems:
            sys.stdout.write("  " + json.dumps(problem) + "\n")
    if not report.ok:
        raise typer.Exit(1)


# --- helpers ---------------------------------------------------------------------------------
def _print_summary(summary: dict[str, Any], as_json: bool, nested_label: str = "rejected ") -> None:
    """A run's summary as JSON or aligned lines; a nested count (by error code) is labelled ``nested_label``."""
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    for key, value in summary.items():
        if isinstance(value, dict):
            for code, n in value.items():
                sys.stdout.write(f"{'  ' + nested_label + code:>24}  {n}\n")
        else:
            sys.stdout.write(f"{key.replace('_', ' '):>24}  {value}\n")


def _estimate_total(specs: list[str], jsonls: list[str], warcs: list[str], feeds: list[str]) -> int | None:
    """Inputs to expect, for the ETA: lines of JSON Lines files, files in folders; None when unknown."""
    if feeds or warcs or "-" in specs or "-" in jsonls or any("://" in s for s in specs):
        return None
    total = 0
    for spec in jsonls:
        path = Path(spec)
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            total += sum(1 for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            total += 1
    return total


@contextmanager
def _progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar with rate and ETA on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr) as progress:
        task = progress.add_task(description, total=total, rate="")

        def advance(n: int) -> None:
            progress.advance(task, n)
            speed = progress.tasks[0].speed
            progress.update(task, rate=f"{speed:.1f} doc/s" if speed else "")

        yield advance


@contextmanager
def _output(out: Path | None) -> Iterator[Any]:
    if out is None:
        yield sys.stdout
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        yield handle
