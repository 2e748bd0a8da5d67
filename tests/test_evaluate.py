"""Scoring rules of caacwatch.evaluate, on analyses and labels built here; plus the dev-set accuracy gate."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from caacwatch.errors import CaacError
from caacwatch.evaluate import (
    LABEL_CODES,
    Counts,
    Label,
    Recall,
    compare_minimums,
    format_report,
    load_labels,
    names_match,
    normalise_name,
    parse_label,
    score,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- builders


def allegation(
    violation: str,
    countries: tuple[str | None, ...] = (),
    perpetrator: str | None = None,
    party: str | None = None,
    count: int | None = None,
) -> dict[str, Any]:
    """An allegation dict shaped like ``Analysis.to_json_dict()["allegations"][i]`` (the scored fields)."""
    return {
        "id": "a1",
        "violation": violation,
        "perpetrator": {"name": perpetrator, "party": party} if perpetrator else None,
        "victims": {"count": count},
        "locations": [{"name": code or "somewhere", "country": code} for code in countries],
        "confidence": 0.9,
    }


def claim(name: str | None = None, text: str | None = None, via: tuple[str, ...] = ()) -> dict[str, Any]:
    source = {"name": name, "text": text or name} if name or text else None
    return {"id": "c1", "kind": "according_to", "source": source, "via": list(via)}


def analysis(
    relevant: bool = True,
    allegations: tuple[dict, ...] = (),
    claims: tuple[dict, ...] = (),
) -> dict[str, Any]:
    return {"relevant": relevant, "allegations": list(allegations), "claims": list(claims)}


def label(doc_id: str = "d1", relevant: bool = True, **fields: Any) -> Label:
    return parse_label({"id": doc_id, "relevant": relevant, **fields})


# --------------------------------------------------------------------------- arithmetic


def test_counts_precision_recall_f1() -> None:
    counts = Counts(tp=3, fp=1, fn=2)
    assert counts.precision == pytest.approx(0.75)
    assert counts.recall == pytest.approx(0.6)
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_counts_zero_division_is_vacuous_truth() -> None:
    assert (Counts().precision, Counts().recall, Counts().f1) == (1.0, 1.0, 1.0)
    nothing_predicted = Counts(fn=4)
    assert (nothing_predicted.precision, nothing_predicted.recall, nothing_predicted.f1) == (1.0, 0.0, 0.0)
    nothing_to_find = Counts(fp=2)
    assert (nothing_to_find.precision, nothing_to_find.recall, nothing_to_find.f1) == (0.0, 1.0, 0.0)
    assert Counts(fp=1, fn=1).f1 == 0.0


def test_recall_with_nothing_to_find_is_one() -> None:
    assert Recall().value == 1.0
    assert Recall(found=1, total=4).value == 0.25


# --------------------------------------------------------------------------- relevance


def test_relevance_counts_and_errors() -> None:
    labels = {
        "tp": label("tp"),
        "fn": label("fn"),
        "fp": label("fp", relevant=False),
        "tn": label("tn", relevant=False),
    }
    analyses = {
        "tp": analysis(True), "fn": analysis(False), "fp": analysis(True), "tn": analysis(False),
    }
    report = score(analyses, labels)
    assert (report.relevance.tp, report.relevance.fp, report.relevance.fn) == (1, 1, 1)
    kinds = {errors.id: errors.relevance for errors in report.errors}
    assert kinds == {"fn": "false_negative", "fp": "false_positive"}


def test_missing_analysis_counts_as_not_relevant_and_is_listed() -> None:
    report = score({"other": analysis(True)}, {"d1": label(violations=["abduction"])})
    assert report.missing == ["d1"]
    assert (report.relevance.fn, report.violations.fn) == (1, 1)


def test_error_record_instead_of_analysis_is_missing() -> None:
    report = score({"d1": {"id": "d1", "error": "boom", "code": "E299"}}, {"d1": label()})
    assert report.missing == ["d1"]


# --------------------------------------------------------------------------- violations


def test_violation_pairs_micro_f1() -> None:
    labels = {
        "a": label("a", violations=["abduction", "killing_maiming"]),
        "b": label("b", violations=["recruitment_use"]),
    }
    analyses = {
        "a": analysis(allegations=(allegation("abduction"), allegation("abduction"), allegation("sexual_violence"))),
        "b": analysis(allegations=(allegation("recruitment_use"),)),
    }
    report = score(analyses, labels)
    assert (report.violations.tp, report.violations.fp, report.violations.fn) == (2, 1, 1)
    errors = {e.id: e for e in report.errors}
    assert errors["a"].missing_violations == ["killing_maiming"]
    assert errors["a"].extra_violations == ["sexual_violence"]
    assert report.per_violation["abduction"].tp == 1
    assert report.per_violation["sexual_violence"].fp == 1


def test_optional_violation_is_neutral() -> None:
    labels = {"d1": label(violations=["killing_maiming"], violations_optional=["attacks_schools_hospitals"])}
    with_optional = score(
        {"d1": analysis(allegations=(allegation("killing_maiming"), allegation("attacks_schools_hospitals")))},
        labels,
    )
    without_optional = score({"d1": analysis(allegations=(allegation("killing_maiming"),))}, labels)
    for report in (with_optional, without_optional):
        assert (report.violations.tp, report.violations.fp, report.violations.fn) == (1, 0, 0)
        assert report.errors == []


def test_violations_of_irrelevant_analysis_are_ignored() -> None:
    report = score(
        {"d1": analysis(False, allegations=(allegation("abduction", ("NG",)),))},
        {"d1": label(relevant=False)},
    )
    assert (report.violations.fp, report.countries.fp) == (0, 0)
    assert report.errors == []


def test_violations_on_irrelevant_label_are_false_positives() -> None:
    report = score({"d1": analysis(allegations=(allegation("abduction"),))}, {"d1": label(relevant=False)})
    assert report.violations.fp == 1


def test_related_categories_are_scored_as_the_labels_code_them() -> None:
    """GUIDELINES.md counts military use of schools as an attack; deprivation of liberty has no label code."""
    labels = {"d1": label(violations=["attacks_schools_hospitals"]), "d2": label("d2", relevant=False)}
    analyses = {
        "d1": analysis(allegations=(allegation("military_use_schools_hospitals"),)),
        "d2": analysis(allegations=(allegation("deprivation_of_liberty", ("UA",)),)),
    }
    report = score(analyses, labels)
    assert (report.violations.tp, report.violations.fp, report.violations.fn) == (1, 0, 0)
    assert (report.relevance.tp, report.relevance.fp) == (1, 0)
    assert report.countries.fp == 0
    assert LABEL_CODES["deprivation_of_liberty"] is None


# --------------------------------------------------------------------------- countries


def test_countries_from_all_locations_of_all_allegations() -> None:
    labels = {"d1": label(violations=["abduction"], countries=["NG", "CM"])}
    analyses = {
        "d1": analysis(allegations=(allegation("abduction", ("NG", None)), allegation("abduction", ("CM", "TD")))),
    }
    report = score(analyses, labels)
    assert (report.countries.tp, report.countries.fp, report.countries.fn) == (2, 1, 0)
    assert report.errors[0].extra_countries == ["TD"]


def test_country_alternative_is_accepted_in_place() -> None:
    labels = {"d1": label(violations=["killing_maiming"], countries=["SY"], country_alternatives={"SY": ["IL"]})}
    for predicted in (("IL",), ("SY",), ("SY", "IL")):
        report = score({"d1": analysis(allegations=(allegation("killing_maiming", predicted),))}, labels)
        assert (report.countries.tp, report.countries.fp, report.countries.fn) == (1, 0, 0), predicted


def test_country_alternative_does_not_excuse_other_codes() -> None:
    labels = {"d1": label(violations=["killing_maiming"], countries=["SY"], country_alternatives={"SY": ["IL"]})}
    report = score({"d1": analysis(allegations=(allegation("killing_maiming", ("LB",)),))}, labels)
    assert (report.countries.tp, report.countries.fp, report.countries.fn) == (0, 1, 1)


def test_optional_country_is_neutral() -> None:
    labels = {"d1": label(violations=["recruitment_use"], countries=["UA"], countries_optional=["RU"])}
    for predicted in (("UA",), ("UA", "RU")):
        report = score({"d1": analysis(allegations=(allegation("recruitment_use", predicted),))}, labels)
        assert (report.countries.tp, report.countries.fp, report.countries.fn) == (1, 0, 0)
    only_optional = score({"d1": analysis(allegations=(allegation("recruitment_use", ("RU",)),))}, labels)
    assert (only_optional.countries.tp, only_optional.countries.fp, only_optional.countries.fn) == (0, 0, 1)


# --------------------------------------------------------------------------- fuzzy names


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("The Daily Mail", "daily mail"),
        ("the Daily Mail's", "daily mail"),
        ("Israel’s military", "israel military"),
        ("al-Shabaab", "al shabaab"),
        ("  U.N.  officials ", "u n officials"),
        ("Théâtre", "theatre"),
        ("Other", "other"),
    ],
)
def test_normalise_name(raw: str, normalised: str) -> None:
    assert normalise_name(raw) == normalised


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("the Daily Mail", "Daily Mail"),
        ("Daily Mail", "The Daily Mail"),
        ("UNICEF", "unicef"),
        ("UN officials", "UN"),  # one contains the other
        ("Human Rights Watch", "Human Rights Watch researcher Tirana Hassan"),
        ("Gaza Health Ministry", "Gaza Ministry of Health"),  # Jaccard 3/5
        ("Boko Haram", "Boko Haram's"),
        ("RSF", "the RSF"),
    ],
)
def test_names_match(gold: str, predicted: str) -> None:
    assert names_match(gold, predicted)


@pytest.mark.parametrize(
    ("gold", "predicted"),
    [
        ("UN", "unknown gunmen"),  # containment is on whole tokens
        ("Israel", "Israeli military"),
        ("Syrian government", "Syrian state TV"),  # Jaccard 1/4
        ("Hamas", ""),
        ("--", "--"),  # normalises to nothing
    ],
)
def test_names_do_not_match(gold: str, predicted: str) -> None:
    assert not names_match(gold, predicted)


def test_source_recall_uses_name_text_and_via() -> None:
    labels = {"d1": label(violations=["abduction"], sources=["Daily Mail", "UNICEF", "Lyudmyla Denisova", "HRW"])}
    claims = (
        claim(name="Lyudmyla Denisova", text="she"),
        claim(name="spokesperson", text="a UNICEF spokesperson"),
        claim(name="officials", via=("the Daily Mail",)),
    )
    report = score({"d1": analysis(allegations=(allegation("abduction"),), claims=claims)}, labels)
    assert (report.sources.found, report.sources.total) == (3, 4)
    assert report.errors[0].missed_sources == ["HRW"]


def test_sources_of_irrelevant_analysis_do_not_count() -> None:
    report = score({"d1": analysis(False, claims=(claim(name="UNICEF"),))}, {"d1": label(sources=["UNICEF"])})
    assert report.sources.found == 0


def test_perpetrator_recall_uses_name_and_party() -> None:
    labels = {"d1": label(violations=["killing_maiming"], perpetrators=["Israel", "Hamas", "RSF"])}
    allegations = (
        allegation("killing_maiming", perpetrator="Israeli forces", party="Israel"),
        allegation("killing_maiming", perpetrator="Hamas militants"),
    )
    report = score({"d1": analysis(allegations=allegations)}, labels)
    assert (report.perpetrators.found, report.perpetrators.total) == (2, 3)
    assert report.errors[0].missed_perpetrators == ["RSF"]


# --------------------------------------------------------------------------- children victims


def test_children_victims_uses_largest_count_and_only_numbered_labels() -> None:
    labels = {
        "right": label("right", violations=["abduction"], children_victims=276),
        "wrong": label("wrong", violations=["abduction"], children_victims=10),
        "unnumbered": label("unnumbered", violations=["abduction"]),
    }
    analyses = {
        "right": analysis(allegations=(allegation("abduction", count=12), allegation("abduction", count=276))),
        "wrong": analysis(allegations=(allegation("abduction"),)),
        "unnumbered": analysis(allegations=(allegation("abduction", count=3),)),
    }
    report = score(analyses, labels)
    assert (report.children_victims.found, report.children_victims.total) == (1, 2)
    assert {e.id: e.children_victims for e in report.errors} == {"wrong": (10, None)}


# --------------------------------------------------------------------------- report output and gate


def test_report_as_dict_is_json_ready_and_format_mentions_errors() -> None:
    labels = {"d1": label(violations=["abduction"], sources=["[bold]Weird[/bold] source"])}
    report = score({"d1": analysis(False)}, labels)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["relevance"] == {"tp": 0, "fp": 0, "fn": 1, "precision": 1.0, "recall": 0.0, "f1": 0.0}
    assert data["errors"][0]["relevance"] == "false_negative"
    assert set(data["figures"]) >= {"relevance_f1", "violations_f1", "countries_f1", "sources_recall"}
    text = format_report(report)
    assert "relevance" in text and "d1: relevance false negative" in text
    assert "[bold]Weird[/bold] source" in text  # no rich markup interpretation of names


def test_compare_minimums() -> None:
    figures = {"relevance_f1": 0.9, "sources_recall": 0.5}
    assert compare_minimums(figures, {"relevance_f1": 0.9, "sources_recall": 0.4}) == []
    shortfalls = compare_minimums(figures, {"relevance_f1": 0.95, "unknown_figure": 0.1})
    assert [s.figure for s in shortfalls] == ["relevance_f1", "unknown_figure"]
    assert "relevance_f1 = 0.9000 < minimum 0.9500" in str(shortfalls[0])


# --------------------------------------------------------------------------- labels file


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_labels_reads_guideline_fields(tmp_path: Path) -> None:
    line = json.dumps({
        "id": "x", "relevant": True, "violations": ["abduction"], "violations_optional": [],
        "countries": ["NG"], "countries_optional": [], "country_alternatives": {"NG": ["CM"]},
        "perpetrators": ["Boko Haram"], "sources": ["Nigerian military"], "children_victims": 276, "notes": "n",
    })
    labels = load_labels(write(tmp_path, line, "", json.dumps({"id": "y", "relevant": False})))
    assert set(labels) == {"x", "y"}
    assert labels["x"].country_alternatives == {"NG": frozenset({"CM"})}
    assert labels["x"].children_victims == 276
    assert labels["y"].violations == frozenset()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "JSON object"),
        ('{"relevant": true}', "'id'"),
        ('{"id": "x", "relevant": "yes"}', "'relevant'"),
        ('{"id": "x", "relevant": true, "violations": ["torture"]}', "unknown violation"),
        ('{"id": "x", "relevant": true, "countries": ["Nigeria"]}', "alpha-2"),
        ('{"id": "x", "relevant": true, "sources": "UNICEF"}', "'sources'"),
        ('{"id": "x", "relevant": true, "children_victims": -1}', "children_victims"),
        ('{"id": "x", "relevant": true, "country_alternatives": {"SY": "IL"}}', "country_alternatives"),
        ('{"id": "x", "relevant": false, "violations": ["abduction"]}', "irrelevant"),
    ],
)
def test_load_labels_rejects_invalid_lines(tmp_path: Path, line: str, reason: str) -> None:
    with pytest.raises(CaacError) as caught:
        load_labels(write(tmp_path, '{"id": "ok", "relevant": false}', line))
    assert caught.value.code == "E204"
    assert "line 2" in str(caught.value) and reason in str(caught.value)


def test_load_labels_rejects_duplicate_ids(tmp_path: Path) -> None:
    line = '{"id": "x", "relevant": false}'
    with pytest.raises(CaacError, match="duplicate id 'x'"):
        load_labels(write(tmp_path, line, line))


def test_load_labels_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaacError) as caught:
        load_labels(tmp_path / "nope.jsonl")
    assert caught.value.code == "E205"


# --------------------------------------------------------------------------- accuracy gate on the dev set

CORPUS = REPO_ROOT.parent / "shared" / "corpus"
MINIMUMS = REPO_ROOT / "benchmarks" / "accuracy_minimums.json"


def _load_benchmark_module() -> Any:
    spec = importlib.util.spec_from_file_location("caacwatch_benchmarks_evaluate", REPO_ROOT / "benchmarks" / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_accuracy_gate_on_dev_labels() -> None:
    """The analyzer on the 36 dev articles scores at least the saved minimums (benchmarks/evaluate.py)."""
    if not (CORPUS / "dev-labels.jsonl").is_file() or not (CORPUS / "articles.jsonl").is_file():
        pytest.skip("shared corpus not available")
    pytest.importorskip("caacwatch.extract.analyzer", reason="analyzer not importable yet")
    if not MINIMUMS.is_file():
        pytest.skip("no benchmarks/accuracy_minimums.json yet (run benchmarks/evaluate.py --save-min)")
    benchmark = _load_benchmark_module()
    report = benchmark.run_evaluation(CORPUS / "dev-labels.jsonl", CORPUS / "articles.jsonl")
    assert report.missing == []
    shortfalls = benchmark.check_minimums(report, MINIMUMS)
    assert not shortfalls, "accuracy below the saved minimums:\n" + "\n".join(map(str, shortfalls))
