"""The terminal table: one line (or a few wrapped lines) per incident, readable at 100 columns.

Two concerns shape it. Size: a listing may hold 100k incidents, so rows are rendered in chunks of
fixed-width tables (only the first has a header) instead of one table built in memory. Safety: names
and flags come from article text, so every cell is a :class:`rich.text.Text` (never parsed as rich
markup) with control characters removed (no ANSI escapes or bidi overrides reach the terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from caacwatch.export.flat import join

CHUNK_ROWS = 200
DEFAULT_WIDTH = 100  # when the output is not a terminal (a pipe, a file, a test)

# Short labels keep the violation column narrow; unknown codes are shown as they are.
VIOLATION_LABELS = {
    "recruitment_use": "recruitment",
    "killing_maiming": "killing & maiming",
    "sexual_violence": "sexual violence",
    "attacks_schools_hospitals": "attack school/hosp.",
    "abduction": "abduction",
    "denial_humanitarian_access": "denial of access",
    # related categories (docs/mrm.md): recorded next to the six, never counted as one of them
    "military_use_schools_hospitals": "(related) military use",
    "deprivation_of_liberty": "(related) deprivation of liberty",
}

# (header, width, justify): 92 columns of cells + 8 one-space gaps = 100 columns.
COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("id", 6, "right"),
    ("violation", 12, "left"),
    ("countries", 9, "left"),
    ("perpetrators", 17, "left"),
    ("reported", 10, "left"),
    ("docs", 4, "right"),
    ("indep", 5, "right"),
    ("flags", 17, "left"),
    ("status", 12, "left"),
)

# C0/C1 controls (ESC starts terminal escape sequences) and bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def write_table(incidents: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Render the incidents as a table on ``out``; return how many were shown."""
    console = _console(out)
    rows = (_row(incident) for incident in incidents)
    written = 0
    for chunk in _chunks(rows, CHUNK_ROWS):
        console.print(_table(chunk, show_header=written == 0))
        written += len(chunk)
    if written == 0:
        console.print(Text("No incidents."))
    return written


def safe_text(value: Any) -> Text:
    """Plain text for the terminal: no markup interpretation, no control characters."""
    return Text(_UNSAFE.sub(" ", "" if value is None else str(value)))


def _console(out: TextIO) -> Console:
    """A console on ``out``: its own width on a terminal, 100 columns otherwise."""
    is_tty = bool(getattr(out, "isatty", lambda: False)())
    return Console(file=out, width=None if is_tty else DEFAULT_WIDTH, highlight=False, soft_wrap=False)


def _table(rows: list[list[Text]], *, show_header: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_header=show_header, show_edge=False, padding=(0, 0))
    for header, width, justify in COLUMNS:
        table.add_column(header, width=width, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row)
    return table


def _row(incident: Mapping[str, Any]) -> list[Text]:
    violation = incident.get("violation")
    perpetrators = [
        p.get("name") or p.get("party") for p in incident.get("perpetrators") or () if isinstance(p, Mapping)
    ] or [incident.get("perpetrator")]  # a publication record has the party only
    reported = incident.get("first_reported") or incident.get("month")
    # one flag a line, words spaced so that a narrow column wraps them instead of cutting them
    flags = Text("\n").join(safe_text(_words(flag)) for flag in incident.get("flags") or ())
    return [
        safe_text(incident.get("id")),
        safe_text(VIOLATION_LABELS.get(violation, violation) if isinstance(violation, str) else violation),
        safe_text(join(incident.get("countries"))),
        safe_text(join(perpetrators)),
        safe_text(str(reported)[:10] if reported else ""),
        safe_text(incident.get("document_count", "")),
        safe_text(incident.get("independent_sources")),
        flags,
        safe_text(_words(incident.get("status"))),
    ]


def _words(code: Any) -> Any:
    """``party_to_conflict_only`` -> ``party to conflict only`` (codes are for machines)."""
    return code.replace("_", " ") if isinstance(code, str) else code


def _chunks(items: Iterable[list[Text]], size: int) -> Iterator[list[list[Text]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
