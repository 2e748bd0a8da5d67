"""Conservative counting across reports, ages, roles and ACLED precision codes (docs/mrm.md): pure functions."""

from __future__ import annotations

from caacwatch.link.counting import (
    FigureReport,
    ages_text,
    aggregate_ages,
    aggregate_role,
    conservative_counts,
    figure_source,
    most_precise,
    place_precision_code,
)


def report(source: str, credibility: str = "medium", document: str | None = None, **victims) -> FigureReport:
    return FigureReport(victims=victims, source=source, source_type="official", document=document or f"doc-{source}",
                        credibility=credibility)


def test_the_lowest_credible_figure_is_kept_with_the_range_and_who_gave_each():
    counts = conservative_counts([
        report("UNICEF", "high", count=12),
        report("Ministry", "medium", count=15),
        report("Channel", "low", count=8),
    ])
    children = counts["children"]
    assert children["value"] == 12 and children["source"] == "UNICEF" and children["document"] == "doc-UNICEF"
    assert (children["min"], children["max"]) == (8, 15)  # the range includes the low-credibility figure
    assert [(e["value"], e["source"], e["credibility"]) for e in children["by_source"]] == [
        (8, "Channel", "low"), (12, "UNICEF", "high"), (15, "Ministry", "medium"),
    ]
    assert children["all_low_credibility"] is False


def test_when_every_source_is_rated_low_the_lowest_of_all_is_kept():
    counts = conservative_counts([report("A", "low", count=30), report("B", "low", count=20)])
    assert counts["children"]["value"] == 20 and counts["children"]["source"] == "B"
    assert counts["children"]["all_low_credibility"] is True


def test_the_estimated_flag_follows_the_kept_figure():
    counts = conservative_counts([
        report("A", count=10, estimated=True, quantity={"text": "at least 10", "span": [0, 11]}),
        report("B", count=14, estimated=False),
    ])
    assert counts["children"]["value"] == 10 and counts["children"]["estimated"] is True
    assert counts["children"]["by_source"][0]["words"] == "at least 10"
    exact_first = conservative_counts([report("A", count=10, estimated=True), report("B", count=10)])
    assert exact_first["children"]["estimated"] is False  # same figure: the exact one is kept
    later = conservative_counts([report("A", "low", count=5, estimated=True), report("B", count=9)])
    assert later["children"]["value"] == 9 and later["children"]["estimated"] is False


def test_a_stated_range_gives_the_top_of_the_incident_range():
    counts = conservative_counts([report("A", count=10, count_max=15), report("B", count=12)])
    assert (counts["children"]["value"], counts["children"]["min"], counts["children"]["max"]) == (10, 10, 15)


def test_killed_and_injured_and_boys_girls_unknown_are_counted_separately():
    counts = conservative_counts([
        report("A", count=7, killed=3, injured=4, boys=2, girls=1, sex_unknown=4),
        report("B", count=9, killed=5, injured=2, boys=3),
    ])
    assert {f: c["value"] for f, c in counts.items()} == {
        "children": 7, "killed": 3, "injured": 2, "boys": 2, "girls": 1, "sex_unknown": 4,
    }
    assert (counts["killed"]["min"], counts["killed"]["max"]) == (3, 5)
    assert counts["injured"]["source"] == "B"
    assert [e["source"] for e in counts["girls"]["by_source"]] == ["A"]  # B did not give girls


def test_a_figure_no_report_gives_is_absent_not_zero():
    counts = conservative_counts([report("A", min_age=16), report("B", count=None, boys=None)])
    assert counts == {}
    assert conservative_counts([report("A", count=0)])["children"]["value"] == 0


def test_a_low_credibility_source_does_not_hide_the_credible_figure_per_figure():
    counts = conservative_counts([report("A", "low", killed=1, injured=50), report("B", "high", killed=4)])
    assert counts["killed"]["value"] == 4  # A is not credible: its lower figure is only shown in the range
    assert counts["injured"]["value"] == 50 and counts["injured"]["all_low_credibility"] is True


def test_ages_min_of_minimums_max_of_maximums_open_ended_stays_open():
    assert aggregate_ages([{"min_age": 16, "max_age": None}]) == (16, None)
    assert aggregate_ages([{"min_age": 12, "max_age": 15}, {"min_age": 10, "max_age": 17}]) == (10, 17)
    assert aggregate_ages([{"min_age": 12, "max_age": 15}, {"min_age": 16}]) == (12, None)
    assert aggregate_ages([{}, {"max_age": 14}]) == (None, 14)
    assert aggregate_ages([]) == (None, None)
    assert [ages_text(16, None), ages_text(10, 15), ages_text(12, 12), ages_text(None, 14), ages_text(None, None)] == [
        "16+", "10–15", "12", "up to 14", None,
    ]


def test_recruitment_role_most_reported_specific_role_or_unknown():
    assert aggregate_role([]) is None
    assert aggregate_role(["unknown", "unknown"]) == "unknown"
    assert aggregate_role(["unknown", "support"]) == "support"
    assert aggregate_role(["support", "combatant"]) == "combatant"  # a tie: combatant
    assert aggregate_role(["support", "support", "combatant"]) == "support"


def test_precision_codes_the_most_precise_wins_and_none_is_ignored():
    assert most_precise([3, None, 2]) == 2
    assert most_precise([None, None]) is None
    assert most_precise([]) is None
    assert most_precise([3, 1]) == 1
    assert most_precise([0, 4, True]) is None  # not ACLED codes


def test_place_precision_codes():
    assert place_precision_code({"precision": "city"}) == 1
    assert place_precision_code({"precision": "point"}) == 1
    assert place_precision_code({"precision": "region", "admin1": "Hebron Governorate"}) == 2
    assert place_precision_code({"precision": "region"}) == 3
    assert place_precision_code({"precision": "admin1"}) == 3
    assert place_precision_code({"precision": "country"}) == 3
    assert place_precision_code({"precision": "city", "geo_precision": 2}) == 2  # the extractor's code wins
    assert place_precision_code({}) is None


def test_the_figure_source_is_the_most_credible_ultimate_source():
    sources = [
        {"name": "Daily Mail", "key": "dm", "relay": True, "credibility": "high"},
        {"name": "Ministry", "key": "m", "relay": False, "credibility": "low"},
        {"name": "Ombudsman", "key": "o", "relay": False, "credibility": "medium"},
    ]
    assert figure_source(sources, {})["name"] == "Ombudsman"
    assert figure_source(sources, {"m": "high"})["name"] == "Ministry"  # the analyst's rating wins
    assert figure_source(sources[:1], {})["name"] == "Daily Mail"  # only a relay: it is the source
    assert figure_source([], {}) is None
