"""Batch commands: ``batch`` (large inputs → Parquet, inline or on Ray) and ``load`` (Parquet → store).

Thin: each command parses options and calls :func:`caacwatch.distributed.batch.run_batch` or
:func:`caacwatch.distributed.load.load_batch`. Ray and pyarrow are imported only when used.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from caacwatch.cli_store import DbOption, _fail, _open, _print_summary, _progress
from caacwatch.errors import CaacError


class EngineName(str, Enum):
    inline = "inline"
    ray = "ray"


def register(app: typer.Typer) -> None:
    app.command()(batch)
    app.command()(load)


def batch(
    out: Annotated[Path, typer.Option("--out", "-o", help="The Parquet file to write: one row per input, in input order.")],
    jsonl: Annotated[list[str] | None, typer.Option("--jsonl", help="A JSON Lines file of {id, text, ...}, a folder of them, or '-' (repeatable).")] = None,
    parquet: Annotated[list[str] | None, typer.Option("--parquet", help="A Parquet file with columns id, text, title?, published?, url?, or a folder of them (repeatable).")] = None,
    warc: Annotated[list[str] | None, typer.Option("--warc", help="A WARC file (.warc, .warc.gz) or a folder of them (repeatable).")] = None,
    engine: Annotated[EngineName, typer.Option("--engine", "-e", help="inline: this process; ray: a pool of Ray workers.")] = EngineName.inline,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Ray workers (one CPU and one loaded pipeline each); default: every CPU of the cluster.")] = None,
    address: Annotated[str | None, typer.Option("--address", envvar="RAY_ADDRESS", help="A running Ray cluster (host:port as `ray start --head` prints, or 'auto' for the one on this machine); default: start a local one for the run.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Inputs per chunk (one Ray task; fewer when the texts are long).")] = 64,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Analyse a large input into a Parquet file (inline or on Ray); `caacwatch load` stores it."""
    from caacwatch.distributed.batch import run_batch
    from caacwatch.distributed.inputs import count_inputs

    jsonls, parquets, warcs = jsonl or [], parquet or [], warc or []
    if not (jsonls or parquets or warcs):
        raise typer.BadParameter("give inputs with --jsonl, --parquet or --warc")
    if engine is EngineName.inline and workers is not None:
        raise typer.BadParameter("--workers is for --engine ray (inline runs in this process)")
    try:
        total = count_inputs(jsonl=jsonls, parquet=parquets, warc=warcs)
        with _progress("analysing", total) as advance:
            summary = run_batch(
                out=out, jsonl=jsonls, parquet=parquets, warc=warcs, engine=engine.value,
                workers=workers, address=address, batch_size=batch_size, progress=advance,
            )
    except CaacError as exc:
        raise _fail(exc) from exc
    _print_summary(summary.to_json(), as_json, nested_label="")


def load(
    batch_file: Annotated[Path, typer.Argument(help="A Parquet file written by `caacwatch batch`.")],
    db: DbOption = None,
    no_link: Annotated[bool, typer.Option("--no-link", help="Store only; run `caacwatch link` later.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents per transaction.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Store a batch file's documents and analyses (no analysis again), then link them into incidents."""
    from caacwatch.distributed.load import count_rows, load_batch

    try:
        total = count_rows(batch_file)
        store = _open(db)
        with _progress("loading", total) as advance:
            summary = load_batch(
                batch_file, store, link=not no_link, batch_size=batch_size, progress=advance,
                command=" ".join(sys.argv),
            )
    except CaacError as exc:
        raise _fail(exc) from exc
    _print_summary(summary.to_json(), as_json)
