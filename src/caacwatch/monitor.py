"""The monitoring loop: input sources → analysis → store → linking, a batch at a time.

``ingest`` is what ``caacwatch ingest`` runs. Each batch is analysed first (outside any
transaction: it is the slow part), then written and linked in one transaction. A crash or a
SIGKILL loses at most the batch in flight; everything before it is committed, and running the
same command again skips what is stored and completes the job with exactly the counts of a
clean run (documents are keyed by their text, reports by their external id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from caacwatch.ingest.items import InputItem, Rejected
from caacwatch.ingest.text import text_key
from caacwatch.records import Analysis, Document, ErrorRecord
from caacwatch.store import Store

# The store's models exist once a database is open (open_store configures Django), so the
# functions below import them when called, not when this module is imported.

DEFAULT_BATCH = 50
Progress = Callable[[int], None]


class AnalyzerLike:
    """What the loop needs from :class:`caacwatch.extract.analyzer.Analyzer` (tests may inject one)."""

    def analyze_records(self, items: Iterable[Document | ErrorRecord]) -> Iterator[Analysis | ErrorRecord]:
        raise NotImplementedError


@dataclass
class IngestSummary:
    """What one ingest did. ``new`` documents were analysed and stored; ``duplicate`` inputs had
    a stored text under a new external id; ``already_stored`` were skipped (a re-run)."""

    counts: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    incidents_created: set[int] = field(default_factory=set)
    incidents_touched: set[int] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        keys = ("inputs", "new", "duplicate", "near_duplicate", "already_stored", "rejected", "relevant", "allegations")
        return {
            **{k: self.counts.get(k, 0) for k in keys},
            "rejected_by_code": dict(sorted(self.rejected.items())),
            "incidents_created": len(self.incidents_created),
            "incidents_touched": len(self.incidents_touched),
        }


def ingest(
    items: Iterable[InputItem | Rejected],
    store: Store,
    *,
    analyzer: AnalyzerLike | None = None,
    batch_size: int = DEFAULT_BATCH,
    link: bool = True,
    progress: Progress | None = None,
    command: str = "",
) -> IngestSummary:
    """Analyse and store every item; link new documents unless ``link`` is False."""
    from django.utils import timezone

    from caacwatch.store import models
    from caacwatch.store.lock import writer_lock

    if analyzer is None:
        from caacwatch.extract.analyzer import Analyzer

        analyzer = Analyzer()
    summary = IngestSummary()
    with store.activate(), writer_lock(store):
        run = models.IngestRun.objects.create(command=command[:2000])
        iterator = iter(items)
        while batch := list(islice(iterator, batch_size)):
            analyses = _analyse_new(batch, analyzer)
            with store.atomic():
                for item in batch:
                    _store_item(item, analyses, summary, link)
                run.counts = summary.to_json()
                run.save(update_fields=["counts"])
            if progress:
                progress(len(batch))
        run.finished_at = timezone.now()
        run.status = "finished"
        run.counts = summary.to_json()
        run.save(update_fields=["finished_at", "status", "counts"])
    return summary


def _analyse_new(batch: list[InputItem | Rejected], analyzer: AnalyzerLike) -> dict[str, Analysis | ErrorRecord]:
    """Analyses of the items whose text is not stored yet, by text key (each text once)."""
    from caacwatch.store import models

    keys: dict[str, InputItem] = {}
    for item in batch:
        if isinstance(item, InputItem):
            keys.setdefault(text_key(item.document.text), item)  # the first report of a text is analysed
    stored = set(models.Document.objects.filter(text_sha256__in=list(keys)).values_list("text_sha256", flat=True))
    todo = [(key, item) for key, item in keys.items() if key not in stored]
    results = analyzer.analyze_records([item.document for _, item in todo])
    return {key: result for (key, _), result in zip(todo, results, strict=True)}


def _store_item(
    item: InputItem | Rejected, analyses: dict[str, Analysis | ErrorRecord], summary: IngestSummary, link: bool
) -> None:
    from caacwatch.store import models
    from caacwatch.store.writer import add_report, save_original

    summary.counts["inputs"] += 1
    if isinstance(item, Rejected):
        _store_rejection(item, summary)
        return
    key = text_key(item.document.text)
    existing = models.Document.objects.filter(text_sha256=key).first()
    if existing is not None:
        original = save_original(item.original)
        if add_report(existing, item, original):
            summary.counts["duplicate"] += 1
            summary.incidents_touched |= refresh_incidents_of(existing)
        else:
            summary.counts["already_stored"] += 1
        return
    result = analyses.get(key)
    if isinstance(result, ErrorRecord) or result is None:
        reason = result.error if result is not None else "analysis missing"
        code = result.code if result is not None else "E299"
        _store_rejection(Rejected(item.external_id, code, reason, item.original), summary)
        return
    _store_new(item, key, result, summary, link)


def _store_new(item: InputItem, key: str, analysis: Analysis, summary: IngestSummary, link: bool) -> None:
    from caacwatch.store.linking import link_document
    from caacwatch.store.writer import add_report, save_document, save_original

    original = save_original(item.original)
    document = save_document(item, key, analysis.to_json_dict())
    add_report(document, item, original)
    summary.counts["new"] += 1
    summary.counts["relevant"] += int(analysis.relevant)
    summary.counts["allegations"] += len(analysis.allegations)
    if link:
        outcome = link_document(document)
        summary.counts["near_duplicate"] += int(outcome.near_duplicate_of is not None)
        summary.incidents_created |= outcome.created
        summary.incidents_touched |= outcome.touched


def refresh_incidents_of(document) -> set[int]:
    """Recompute the incidents a document reports (a new external id of it adds a report)."""
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident

    touched = set()
    for incident in models.Incident.objects.filter(document_rows__document=document).order_by("id"):
        refresh_incident(incident)
        touched.add(incident.id)
    return touched


def _store_rejection(item: Rejected, summary: IngestSummary) -> None:
    from caacwatch.store.writer import save_rejection

    if save_rejection(item):
        summary.counts["rejected"] += 1
        summary.rejected[item.code] += 1
    else:
        summary.counts["already_stored"] += 1


def link_pending(store: Store, *, batch_size: int = DEFAULT_BATCH, progress: Progress | None = None) -> IngestSummary:
    """Link documents stored without linking (``ingest --no-link``, ``load``), oldest first."""
    from caacwatch.store import models
    from caacwatch.store.linking import link_document
    from caacwatch.store.lock import writer_lock

    summary = IngestSummary()
    with store.activate(), writer_lock(store):
        while True:
            with store.atomic():
                pending = list(models.Document.objects.filter(linked_at__isnull=True).order_by("id")[:batch_size])
                for document in pending:
                    outcome = link_document(document)
                    summary.counts["linked"] += 1
                    summary.counts["near_duplicate"] += int(outcome.near_duplicate_of is not None)
                    summary.incidents_created |= outcome.created
                    summary.incidents_touched |= outcome.touched
            if progress and pending:
                progress(len(pending))
            if len(pending) < batch_size:
                return summary


def refresh_all(store: Store, *, batch_size: int = 500, progress: Progress | None = None) -> int:
    """Recompute every incident's aggregates (after an upgrade: migration 0002 adds counts, typed sources,
    regions and precision codes, which are filled by a refresh); analysts' decisions and ratings stay."""
    from caacwatch.store import models
    from caacwatch.store.linking import refresh_incident
    from caacwatch.store.lock import writer_lock

    done = 0
    with store.activate(), writer_lock(store):
        ids = list(models.Incident.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), batch_size):
            with store.atomic():
                for incident in models.Incident.objects.filter(id__in=ids[start : start + batch_size]).order_by("id"):
                    refresh_incident(incident)
                    done += 1
            if progress:
                progress(min(batch_size, len(ids) - start))
    return done
