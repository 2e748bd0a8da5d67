"""From a Document to an Analysis: pre-filter, spaCy pipeline, then records.

``Analyzer`` is what the CLI, the store's loader and a Ray actor hold: it loads the pipeline once and turns
``Document`` records into ``Analysis`` records. spaCy objects never leave this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import TypeVar

from spacy.tokens import Doc

from caacwatch import __version__
from caacwatch.errors import CaacError, E
from caacwatch.extract.allegations import build_allegations, location_from_match
from caacwatch.extract.dates import parse_published, to_timeref
from caacwatch.extract.flags import document_flags, is_unsupported_language
from caacwatch.extract.parties import party_in_text
from caacwatch.extract.pipeline import MODEL_NAME, build_pipeline, make_doc
from caacwatch.extract.violations import prefilter
from caacwatch.records import SCHEMA, Analysis, Claim, Document, ErrorRecord, PipelineInfo

RELEVANCE_THRESHOLD = 0.55
T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter); itertools.batched needs Python 3.12."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Analyzer:
    """Holds the loaded pipeline. ``prefilter=False`` parses every document (used to measure the filter)."""

    def __init__(self, *, model: str = MODEL_NAME, prefilter: bool = True) -> None:
        self.model = model
        self.use_prefilter = prefilter
        self.nlp = build_pipeline(model)

    def analyze(self, document: Document) -> Analysis:
        return next(self.analyze_many([document]))

    def analyze_many(self, documents: Iterable[Document], *, batch_size: int = 32) -> Iterator[Analysis]:
        """Analyses in input order. Documents the pre-filter rejects skip the parser entirely."""
        for batch in batched(documents, batch_size):
            yield from self._analyze_batch(batch)

    def analyze_records(
        self, items: Iterable[Document | ErrorRecord], *, batch_size: int = 32
    ) -> Iterator[Analysis | ErrorRecord]:
        """Like ``analyze_many`` over a stream that may hold input errors; never stops on a bad document.

        Input errors pass through in place. If a batch fails, its documents are retried one by one so only
        the document that fails is reported (with its reason) and the rest of the batch is kept.
        """
        for batch in batched(items, batch_size):
            yield from self._records_batch(batch)

    def _records_batch(self, batch: list[Document | ErrorRecord]) -> Iterator[Analysis | ErrorRecord]:
        documents = [item for item in batch if isinstance(item, Document)]
        try:
            results: Iterator[Analysis | ErrorRecord] = iter(list(self._analyze_batch(documents)))
        except Exception:  # noqa: BLE001 - isolate the failing document below
            results = iter([self._analyze_one_safely(d) for d in documents])
        for item in batch:
            yield item if isinstance(item, ErrorRecord) else next(results)

    def _analyze_one_safely(self, document: Document) -> Analysis | ErrorRecord:
        try:
            return next(self._analyze_batch([document]))
        except CaacError as exc:
            return ErrorRecord(id=document.id, error=str(exc), code=exc.code)
        except Exception as exc:  # noqa: BLE001 - one bad document never stops a batch
            error = CaacError(E.E299, reason=f"{type(exc).__name__}: {exc}")
            return ErrorRecord(id=document.id, error=str(error), code=error.code)

    def _analyze_batch(self, batch: list[Document]) -> Iterator[Analysis]:
        # The rules and the model are English: other languages are recorded and flagged, not mis-analysed.
        passed = [not is_unsupported_language(d) and (not self.use_prefilter or prefilter(d.text)) for d in batch]
        docs = [self._make_doc(d) for d, ok in zip(batch, passed, strict=True) if ok]
        parsed = iter(self.nlp.pipe(docs))
        for document, ok in zip(batch, passed, strict=True):
            yield self._from_doc(document, next(parsed)) if ok else self._rejected(document)

    def _make_doc(self, document: Document) -> Doc:
        return make_doc(
            self.nlp,
            document.text,
            boilerplate=[b.span for b in document.boilerplate],
            published=published_date(document),
        )

    def _from_doc(self, document: Document, doc: Doc) -> Analysis:
        claims = [_with_party(c) for c in doc._.caac_claims or []]
        places = doc._.caac_places or []
        dates = doc._.caac_dates or []
        # Allegations below the threshold are too weak to show a monitor; the rest make the document relevant.
        allegations = [a for a in build_allegations(doc, claims, document) if a.confidence >= RELEVANCE_THRESHOLD]
        relevant = bool(allegations)
        return Analysis(
            id=document.id,
            document=document,
            relevant=relevant,
            claims=claims,
            allegations=allegations,
            places=[location_from_match(p, document.text) for p in places],
            dates=[to_timeref(d) for d in dates],
            flags=document_flags(document, claims, allegations, relevant),
            pipeline=self._info("passed"),
        )

    def _rejected(self, document: Document) -> Analysis:
        return Analysis(
            id=document.id,
            document=document,
            relevant=False,
            flags=document_flags(document, [], [], False),
            pipeline=self._info("rejected"),
        )

    def _info(self, prefilter_result: str) -> PipelineInfo:
        return PipelineInfo(caacwatch=__version__, model=self.model, prefilter=prefilter_result)  # type: ignore[arg-type]


def published_date(document: Document) -> date | None:
    return parse_published(document.published)


def _with_party(claim: Claim) -> Claim:
    """Fill ``source.party`` from the party lexicon (name, mention or role naming a party)."""
    source = claim.source
    if source is None or source.party is not None:
        return claim
    party = party_in_text(" ".join(filter(None, [source.name, source.text, source.role])))
    if party is None:
        return claim
    return claim.model_copy(update={"source": source.model_copy(update={"party": party})})


__all__ = ["SCHEMA", "Analyzer", "RELEVANCE_THRESHOLD", "published_date"]
