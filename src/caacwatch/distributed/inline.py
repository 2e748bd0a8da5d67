"""The inline engine: the chunks analysed one after the other in this process."""

from __future__ import annotations

from collections.abc import Iterable

from caacwatch.distributed.batch import (
    OrderedWriter,
    Progress,
    RecordAnalyzer,
    analyse_units,
    chunked,
    rows_to_table,
)
from caacwatch.distributed.inputs import Unit


def run_inline(
    units: Iterable[Unit],
    writer: OrderedWriter,
    *,
    batch_size: int,
    progress: Progress | None = None,
    analyzer: RecordAnalyzer | None = None,
) -> int:
    """Analyse ``units`` chunk by chunk into ``writer``; returns how many units there were."""
    if analyzer is None:
        from caacwatch.extract.analyzer import Analyzer

        analyzer = Analyzer()
    count = 0
    for chunk in chunked(units, batch_size):
        count += len(chunk)
        written = writer.add(rows_to_table(analyse_units(chunk, analyzer)))
        if progress:
            progress(written)
    return count
