"""The analyzer on sentences we wrote: relevance, perpetrators, the pre-filter, batches with bad records."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caacwatch.extract.analyzer import Analyzer
from caacwatch.ingest.text import document_from_text
from caacwatch.records import Analysis, Document, ErrorRecord


def analyze(analyzer: Analyzer, text: str, **fields) -> Analysis:
    return analyzer.analyze(document_from_text(text, **fields))


def test_attack_on_school_by_named_party(analyzer: Analyzer) -> None:
    text = ("Rebels of the M23 shelled a primary school in Goma on Tuesday, killing three pupils, "
            "the UN children's agency UNICEF said in a statement.")
    result = analyze(analyzer, text, published="2024-03-14")
    violations = {a.violation for a in result.allegations}
    assert {"attacks_schools_hospitals", "killing_maiming"} <= violations
    allegation = next(a for a in result.allegations if a.violation == "killing_maiming")
    assert allegation.perpetrator.party == "M23"
    assert allegation.victims.count == 3
    assert any(loc.country == "CD" for loc in allegation.locations)
    assert allegation.time is not None and allegation.time.precision == "day"
    assert allegation.time.date == "2024-03-12"
    sources = {c.source.name for c in result.claims if c.source}
    assert any("UNICEF" in s for s in sources)


def test_ordinary_news_is_not_relevant_and_skips_the_parser(analyzer: Analyzer) -> None:
    result = analyze(analyzer, "The central bank raised interest rates by a quarter point, its governor said.")
    assert not result.relevant
    assert result.pipeline.prefilter == "rejected"


def test_ordinary_crime_is_not_relevant(analyzer: Analyzer) -> None:
    text = "A man was charged after his two children died in a house fire in Ohio, police said on Monday."
    assert not analyze(analyzer, text).relevant


def test_passing_mention_of_children_is_not_relevant(analyzer: Analyzer) -> None:
    text = ("Thousands of families, including women and children, crowded the station as the holiday began. "
            "Trains ran late, the operator said.")
    assert not analyze(analyzer, text).relevant


def test_denial_is_a_claim_with_denies_stance(analyzer: Analyzer) -> None:
    text = ("Witnesses said soldiers abducted 12 boys from a village in Borno State. "
            "The army denied that its troops had taken any children.")
    result = analyze(analyzer, text)
    assert any(a.violation == "abduction" for a in result.allegations)
    assert any(c.stance == "denies" for c in result.claims)


def test_prefilter_can_be_switched_off(analyzer: Analyzer) -> None:
    full = Analyzer(prefilter=False)
    result = full.analyze(document_from_text("The weather was mild and the markets were calm today."))
    assert result.pipeline.prefilter == "passed"
    assert not result.relevant


def test_batch_keeps_order_and_passes_errors_through(analyzer: Analyzer) -> None:
    items = [
        document_from_text("Militants abducted 30 schoolgirls in the war-torn north.", id="a"),
        ErrorRecord(id="b", error="[E101] bad line", code="E101"),
        document_from_text("Stocks rose.", id="c"),
    ]
    results = list(analyzer.analyze_records(items, batch_size=2))
    assert [r.id for r in results] == ["a", "b", "c"]
    assert isinstance(results[1], ErrorRecord)
    assert results[0].relevant and not results[2].relevant


def test_one_failing_document_does_not_stop_the_batch(analyzer: Analyzer, monkeypatch) -> None:
    original = analyzer._from_doc

    def fail_on_poison(document: Document, doc):
        if document.id == "poison":
            raise RuntimeError("simulated failure")
        return original(document, doc)

    monkeypatch.setattr(analyzer, "_from_doc", fail_on_poison)
    items = [document_from_text(f"Gunmen killed {n} children in an attack on the school.", id=i)
             for n, i in ((3, "ok1"), (4, "poison"), (5, "ok2"))]
    results = list(analyzer.analyze_records(items))
    assert [r.id for r in results] == ["ok1", "poison", "ok2"]
    assert isinstance(results[1], ErrorRecord) and results[1].code == "E299"
    assert results[0].relevant and results[2].relevant


WORDS = st.sampled_from(
    ["children", "killed", "school", "militants", "said", "according", "to", "the", "army", "in", "Gaza",
     "Luhansk", "abducted", "girls", "aid", "blocked", "“", "”", "\"", ",", ".", "\n", "\n\n", "He", "she",
     "allegedly", "16-year-olds", "on", "Monday", "2014", "Reuters", "reported", "that", "é", "😀"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=1, max_size=60))
def test_every_span_indexes_the_text(analyzer: Analyzer, words: list[str]) -> None:
    text = " ".join(words)
    if not text.strip():
        return
    result = analyzer.analyze(Document(text=text))
    for claim in result.claims:
        for piece in [claim.content, claim.cue, *claim.hedges]:
            if piece is not None:
                assert text[piece.span[0]:piece.span[1]] == piece.text
    for allegation in result.allegations:
        assert text[allegation.trigger.span[0]:allegation.trigger.span[1]] == allegation.trigger.text
        for location in allegation.locations:
            assert location.span is None or 0 <= location.span[0] < location.span[1] <= len(text)


@pytest.mark.parametrize("component", ["caacwatch_parties_v1", "caacwatch_places_v1", "caacwatch_dates_v1",
                                       "caacwatch_violations_v1", "caacwatch_attribution_v1"])
def test_components_are_registered_and_declare_what_they_set(analyzer: Analyzer, component: str) -> None:
    assert component in analyzer.nlp.pipe_names
    analysis = analyzer.nlp.analyze_pipes()
    assert analysis["attrs"], "components declare the attributes they assign"
    meta = analyzer.nlp.get_pipe_meta(component)
    assert meta.assigns


def test_non_english_article_is_recorded_not_misanalysed(analyzer: Analyzer) -> None:
    text = ("Les rebelles ont enlevé quarante écolières dans le nord du pays, selon les autorités locales. "
            "Les familles attendent des nouvelles depuis trois jours et l'armée a lancé une opération de "
            "recherche dans la forêt voisine, ont indiqué des témoins à la presse.")
    result = analyze(analyzer, text)
    assert result.document.language == "fr"
    assert "unsupported_language" in result.flags
    assert not result.relevant and result.pipeline.prefilter == "rejected"
