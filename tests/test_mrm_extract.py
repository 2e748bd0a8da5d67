"""The MRM fields of caacwatch.analysis/2 (docs/mrm.md): counting rules, precision codes, related categories,
perpetrator types, source typing and proposed ratings. Example sentences are our own."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from caacwatch.extract.dates import find_dates, to_timeref
from caacwatch.extract.lexicons import load_data_file
from caacwatch.extract.precision import geo_precision, most_precise, time_precision
from caacwatch.extract.quantities import find_child_quantities
from caacwatch.extract.sources import allegation_sources, propose_ratings
from caacwatch.extract.victims import combine_victims, extract_victims, recruitment_role
from caacwatch.records import Claim, Document, Perpetrator, Source, TextSpan

QUANTITIES = load_data_file("quantities.yaml")
LOWER_BOUND = [w.strip() for w in QUANTITIES["lower_bound"].split("|")]
APPROXIMATE = [w.strip() for w in QUANTITIES["approximate"].split("|")]


def victims(text: str, violation: str = "killing_maiming"):
    """The Victims of an allegation made in the single sentence ``text``."""
    return combine_victims(text, [extract_victims(text, (0, len(text)))], violation, [(0, len(text))])


# --------------------------------------------------------------------------- counting: quantities.yaml


@pytest.mark.parametrize(("words", "figure"), [(v["words"], v["count"]) for v in QUANTITIES["vague"]])
def test_every_vague_quantity_counts_its_lowest_figure_as_estimated(words: str, figure: int) -> None:
    text = f"Militants abducted {words} children from the village."
    v = victims(text, "abduction")
    assert (v.count, v.estimated, v.count_max) == (figure, True, None)
    assert v.quantity is not None and v.quantity.text == f"{words} children"
    assert v.rule == f"quantities.vague:{words}/1"


@pytest.mark.parametrize("words", LOWER_BOUND)
def test_every_lower_bound_gives_the_number_estimated(words: str) -> None:
    v = victims(f"Shelling killed {words} 10 children in the town.")
    assert (v.count, v.estimated, v.killed) == (10, True, 10)
    assert v.rule == f"quantities.lower_bound:{words}/1"


@pytest.mark.parametrize("words", APPROXIMATE)
def test_every_approximation_gives_the_number_estimated(words: str) -> None:
    v = victims(f"Shelling killed {words} 10 children in the town.")
    assert (v.count, v.estimated) == (10, True)
    assert v.rule == f"quantities.approximate:{words}/1"


def test_the_documented_examples() -> None:
    assert (victims("Fighters recruited dozens of children.").count, victims("dozens of children").estimated) == (24, True)
    assert victims("A strike killed at least 10 children.").count == 10
    assert victims("Gunmen seized hundreds of schoolgirls.", "abduction").girls == 200
    assert victims("Troops killed several children.").count == 3


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("The rebels abducted between 10 and 15 children.", 10, 15),
        ("The rebels abducted 10-15 boys.", 10, 15),
        ("The rebels abducted ten to fifteen girls.", 10, 15),
    ],
)
def test_ranges_count_the_low_end_and_keep_the_top(text: str, low: int, high: int) -> None:
    v = victims(text, "abduction")
    assert (v.count, v.count_max, v.estimated, v.rule) == (low, high, True, "quantities.range/1")


def test_exact_figures_are_not_estimated() -> None:
    v = victims("Gunmen abducted 276 schoolgirls from the town.", "abduction")
    assert (v.count, v.estimated, v.girls, v.boys, v.sex_unknown) == (276, False, 276, None, 0)
    assert victims("Militias recruited twenty-five children.").count == 25
    assert victims("Militias recruited 1,200 children.").count == 1200


@pytest.mark.parametrize(
    "text",
    [
        "In 2014 children were taken to the camps.",  # a year is not a count
        "A mother of five children said the war had reached the town.",  # a family, not victims
        "Two 30-year-olds were arrested.",  # adults
    ],
)
def test_what_is_not_a_count_of_child_victims(text: str) -> None:
    assert victims(text).count is None


def test_quantity_phrases_and_parts() -> None:
    text = "Rebels abducted 12 children, including five girls, and a child rights group said so."
    found = find_child_quantities(text)
    assert [(q.text, q.count, q.subset, q.sex) for q in found] == [
        ("12 children", 12, False, None), ("five girls", 5, True, "girls"),
    ]
    assert all(text[q.start:q.end] == q.text for q in found)


# Hypothesis: whatever the number and the words around it, the figure never exceeds what is stated.
_NOUNS = ["children", "boys", "girls", "minors", "pupils", "teenagers"]


@settings(max_examples=150, deadline=None)
@given(
    number=st.integers(min_value=1, max_value=99_999),
    qualifier=st.sampled_from(["", *LOWER_BOUND, *APPROXIMATE]),
    noun=st.sampled_from(_NOUNS),
    verb=st.sampled_from(["killed", "wounded", "abducted", "recruited"]),
)
def test_a_stated_number_is_never_exceeded(number: int, qualifier: str, noun: str, verb: str) -> None:
    if 1900 <= number <= 2099:
        number += 200  # a bare four-digit year before a noun is read as a date
    text = f"Soldiers {verb} {qualifier} {number:,} {noun} there.".replace("  ", " ")
    v = victims(text)
    assert v.count == number
    assert v.estimated is bool(qualifier)
    for part in (v.killed, v.injured, v.boys, v.girls, v.sex_unknown):
        assert part is None or part <= number


@settings(max_examples=100, deadline=None)
@given(low=st.integers(min_value=1, max_value=500), extra=st.integers(min_value=0, max_value=500))
def test_a_range_counts_its_lowest_figure(low: int, extra: int) -> None:
    v = victims(f"Militants abducted between {low} and {low + extra} children.", "abduction")
    assert (v.count, v.count_max) == (low, low + extra)


# --------------------------------------------------------------------------- counting: sex, killed/injured


def test_sex_unknown_takes_the_children_the_text_does_not_split() -> None:
    v = victims("An air strike killed 12 children, including five girls, and injured 30 others.")
    assert (v.count, v.girls, v.boys, v.sex_unknown) == (12, 5, None, 7)
    assert v.sex == "unknown", "the other seven may be boys or girls"
    assert (v.killed, v.injured) == (12, None), "'30 others' are not said to be children"
    v = victims("An air strike killed 12 children, including five girls, and injured 30 more.")
    assert v.girls == 5, "'30 more' after a part are not more girls"


def test_boys_and_girls_add_up() -> None:
    v = victims("Five boys and three girls were wounded by shelling.")
    assert (v.count, v.boys, v.girls, v.sex_unknown, v.injured, v.sex) == (8, 5, 3, 0, 8, "mixed")
    assert v.rule == "victims.sum_boys_girls/1"


@pytest.mark.parametrize(
    ("text", "killed", "injured", "count"),
    [
        ("Four children were killed and six injured in the strike.", 4, 6, 10),
        ("The strike killed 5 children and injured 7 children.", 5, 7, 12),
        ("Shelling wounded three children near the market.", None, 3, 3),
        ("Two children died when the missile hit.", 2, None, 2),
        ("Airstrikes killed or injured 40 children last year.", None, None, 40),  # cannot be split
        ("The dead and wounded included 40 children.", None, None, 40),
        ("A missile hit the school, killing two children and wounding five others.", 2, None, 2),  # adults?
        ("A missile hit the school, killing two children and wounding five other pupils.", 2, 5, 7),
        ("The strike killed three children and injured at least four more.", 3, 4, 7),
    ],
)
def test_killing_and_maiming_are_two_figures(text: str, killed, injured, count) -> None:
    v = victims(text)
    assert (v.killed, v.injured, v.count) == (killed, injured, count)


def test_others_after_the_verb_carry_the_estimate() -> None:
    v = victims("The strike killed three children and injured at least four more.")
    assert v.estimated and v.count == 7


def test_killed_and_injured_only_for_killing_and_maiming() -> None:
    v = victims("The strike on the school killed 5 children.", "attacks_schools_hospitals")
    assert (v.count, v.killed, v.injured) == (5, None, None)


def test_figures_from_different_sentences() -> None:
    text = "Five boys were killed in the shelling. Three girls were injured in the same attack."
    sentences = [(0, 38), (39, len(text))]
    v = combine_victims(text, [extract_victims(text, s) for s in sentences], "killing_maiming", sentences)
    assert (v.killed, v.injured, v.boys, v.girls, v.count, v.sex_unknown) == (5, 3, 5, 3, 8, 0)


@pytest.mark.parametrize(
    ("text", "ages", "count"),
    [
        ("Soldiers shot a 14-year-old boy at the checkpoint.", (14, 14), 1),
        ("Commanders are now conscripting 16-year-olds.", (16, None), None),  # a group named by one age: 16+
        ("The rebels recruited children aged 8 to 13.", (8, 13), None),
        ("Three children under 15 were wounded.", (None, 14), 3),
        ("Militias recruited three 15-year-old boys and a 17-year-old.", (15, 17), 3),
    ],
)
def test_ages_as_stated(text: str, ages, count) -> None:
    v = victims(text)
    assert ((v.min_age, v.max_age), v.count) == (ages, count)


def test_a_single_child_by_sex() -> None:
    v = victims("Troops shot a 14-year-old boy and a girl near the border.")
    assert (v.count, v.boys, v.girls, v.sex_unknown) == (2, 1, 1, 0)


# --------------------------------------------------------------------------- recruitment role


@pytest.mark.parametrize(
    ("text", "role", "evidence"),
    [
        ("The militia recruited boys and sent them to the front line.", "combatant", "sent them to the front line"),
        ("The group used the children as porters and cooks.", "support", "porters"),
        ("Boys were used as spies and forced to fight on the front lines.", "combatant", "fight on the front lines"),
        ("Children receive military training and can be sent to the frontline.", "unknown", None),
        ("The army recruited 16-year-olds.", "unknown", None),
    ],
)
def test_recruitment_role(text: str, role: str, evidence: str | None) -> None:
    found, span = recruitment_role(text, [(0, len(text))])
    assert found == role
    assert (text[span[0]:span[1]] if span else None) == evidence
    v = victims(text, "recruitment_use")
    assert v.role == role
    assert v.role_evidence is None or v.role_evidence.text == text[span[0]:span[1]]  # type: ignore[index]
    assert victims(text, "killing_maiming").role is None


# --------------------------------------------------------------------------- precision codes


@pytest.mark.parametrize(
    ("precision", "kind", "before", "code"),
    [
        ("city", "city", "in ", 1),
        ("point", "hospital", "at the ", 1),
        ("city", "town", "a village near ", 2),
        ("city", "city", "on the outskirts of ", 2),
        ("city", "city", "20 km north of ", 2),
        ("city", "city", "just outside ", 2),
        ("city", "camp", "in the ", 2),
        ("city", "district", "in ", 2),
        ("admin1", "admin1", "near ", 3),
        ("region", "region", "in ", 3),
        ("country", "country", "in ", 3),
    ],
)
def test_location_precision_codes(precision: str, kind: str, before: str, code: int) -> None:
    assert geo_precision(precision, kind, before) == code


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("on 27 July 2024", 1),
        ("yesterday", 1),
        ("last week", 2),
        ("in March 2024", 3),
        ("last month", 3),
        ("in 2024", None),  # a year alone: no event date
        ("in the 1990s", None),
    ],
)
def test_date_precision_codes(phrase: str, code: int | None) -> None:
    mention = find_dates(f"It happened {phrase}.", dt.date(2024, 8, 1))[0]
    assert to_timeref(mention).time_precision == code


def test_no_date_code_without_a_date_or_for_a_publication_date() -> None:
    assert time_precision("day", None) is None  # "on Saturday" with no publication date to resolve it
    assert time_precision("day", "2024-07-27", "published") is None
    assert time_precision("week", "2024-W30") == 2
    assert most_precise([3, None, 1]) == 1 and most_precise([None]) is None


# --------------------------------------------------------------------------- full pipeline


def only(analysis, violation: str):
    found = [a for a in analysis.allegations if a.violation == violation]
    assert len(found) == 1, [a.violation for a in analysis.allegations]
    return found[0]


def analyse(analyzer, text: str, **fields):
    return analyzer.analyze(Document(text=text, **fields))


def test_military_use_is_a_related_category_not_an_attack(analyzer) -> None:
    a = analyse(analyzer, "Russian soldiers occupied the school in Kupiansk and turned it into a military base, "
                          "residents said.")
    allegation = only(a, "military_use_schools_hospitals")
    assert allegation.violation_class == "related_category"
    assert allegation.perpetrator is not None and allegation.perpetrator.type == "state_armed_force"
    assert not [x for x in a.allegations if x.violation == "attacks_schools_hospitals"]
    assert allegation.location_precision == 1


def test_firing_position_and_barracks(analyzer) -> None:
    a = analyse(analyzer, "RSF fighters used the hospital as a firing position near El Fasher, according to "
                          "Doctors Without Borders.")
    allegation = only(a, "military_use_schools_hospitals")
    assert allegation.location_precision == 2, "near a town"
    assert not [x for x in a.allegations if x.violation == "attacks_schools_hospitals"]
    b = analyse(analyzer, "Congolese soldiers turned the clinic into a barracks during the fighting near Goma.")
    assert only(b, "military_use_schools_hospitals").perpetrator.party == "DRC government"  # type: ignore[union-attr]


def test_an_attack_on_a_school_used_militarily_is_still_an_attack(analyzer) -> None:
    a = analyse(analyzer, "An Israeli airstrike hit a school in Gaza City that Hamas fighters had used as a "
                          "command centre, the army said.")
    violations = {x.violation: x.violation_class for x in a.allegations}
    assert violations.get("attacks_schools_hospitals") == "grave_violation"
    assert violations.get("military_use_schools_hospitals") == "related_category"


def test_detention_of_children_is_deprivation_of_liberty_not_abduction(analyzer) -> None:
    a = analyse(analyzer, "Israeli forces detained 15 Palestinian boys in Jenin on 3 March 2024, a rights group said.")
    allegation = only(a, "deprivation_of_liberty")
    assert allegation.violation_class == "related_category"
    assert (allegation.victims.count, allegation.victims.boys, allegation.victims.sex_unknown) == (15, 15, 0)
    assert (allegation.location_precision, allegation.date_precision) == (1, 1)
    assert allegation.time is not None and allegation.time.date == "2024-03-03"
    b = analyse(analyzer, "Security forces seized and detained dozens of boys during a military operation "
                          "against militants in the north, activists said.")
    assert only(b, "deprivation_of_liberty").victims.count == 24
    assert not [x for x in b.allegations if x.violation == "abduction"]


@pytest.mark.parametrize(
    "text",
    [
        "Police arrested two teenagers for shoplifting at a mall during the war anniversary parade.",
        "Border agents detained 300 migrant children last month, officials said.",
    ],
)
def test_arrests_outside_armed_conflict_are_not_flagged(analyzer, text: str) -> None:
    assert not [x for x in analyse(analyzer, text).allegations if x.violation == "deprivation_of_liberty"]


@pytest.mark.parametrize(
    ("text", "violation", "party", "perpetrator_type"),
    [
        ("Boko Haram militants abducted dozens of children from a village outside Maiduguri.", "abduction",
         "Boko Haram", "non_state_armed_group"),
        ("Russian shelling killed three children in Kharkiv, officials said.", "killing_maiming", "Russia",
         "state_armed_force"),
        ("Palestinian Authority security forces shot dead a 16-year-old boy in Nablus, his father said.",
         "killing_maiming", "Palestinian Authority", "other_party"),
        ("A drone strike killed three children in a village during the war, witnesses said.", "killing_maiming",
         None, "unknown"),
    ],
)
def test_perpetrator_types(analyzer, text, violation, party, perpetrator_type) -> None:
    allegation = only(analyse(analyzer, text), violation)
    assert allegation.perpetrator is not None
    assert (allegation.perpetrator.party, allegation.perpetrator.type) == (party, perpetrator_type)


def test_sources_typed_from_the_claims(analyzer) -> None:
    a = analyse(analyzer, "According to Reuters, UNICEF said that Houthi fighters recruited children as young as "
                          "11 in Yemen.", outlet="The Example Times")
    allegation = only(a, "recruitment_use")
    sources = {s.name: s for s in allegation.sources}
    unicef = sources["UNICEF"]
    assert (unicef.category, unicef.type, unicef.kinds, unicef.relay) == ("secondary", "un", ["official_statement"], False)
    assert (unicef.reliability, unicef.credibility) == ("high", "high")
    reuters = sources["Reuters"]
    assert (reuters.type, reuters.relay, reuters.kinds, reuters.reliability) == ("media", True, ["media_report"], "medium")
    own = sources["The Example Times"]
    assert (own.type, own.relay) == ("media", True), "the document's outlet passes on UNICEF's words"
    assert allegation.victims.min_age == 11 and allegation.victims.max_age is None
    assert allegation.location_precision == 3


def test_victims_and_witnesses_are_primary_sources(analyzer) -> None:
    a = analyse(analyzer, "A former child soldier told investigators that rebel commanders sent him to the front "
                          "line and made him fight in the war.")
    allegation = only(a, "recruitment_use")
    victim = next(s for s in allegation.sources if s.type == "victim")
    assert (victim.category, victim.kinds) == ("primary", ["testimony"])
    assert allegation.victims.role == "combatant"
    b = analyse(analyzer, "A drone strike killed three children in a village during the war, witnesses said.")
    witness = only(b, "killing_maiming").sources[0]
    assert (witness.name, witness.category, witness.type, witness.kinds) == ("witnesses", "primary", "witness", ["testimony"])


# --------------------------------------------------------------------------- source typing and ratings (records)


def claim(cid: str, name: str, source_type: str, party: str | None = None, *, stance: str = "accuses",
          hedged: bool = False, via: list[str] | None = None, content: str = "they recruited children",
          text: str | None = None) -> Claim:
    return Claim(
        id=cid, kind="indirect", source=Source(text=text or name, name=name, type=source_type, party=party),  # type: ignore[arg-type]
        content=TextSpan(text=content, span=(0, len(content))), stance=stance,  # type: ignore[arg-type]
        hedges=[TextSpan(text="alleged", span=(0, 7))] if hedged else [], via=via or [], rule="test/1",
    )


RUSSIA = Perpetrator(name="Russia", party="Russia", type="state_armed_force")


def test_a_party_accusing_its_opponent_is_an_official_of_low_credibility() -> None:
    [source] = allegation_sources("they recruited children", [claim("c1", "Lyudmyla Denisova", "official", "Ukraine")], RUSSIA)
    assert (source.category, source.type, source.party) == ("secondary", "official", "Ukraine")
    assert (source.reliability, source.credibility) == ("medium", "low")
    assert "party_accuses_opponent" in source.rule


def test_the_accused_party_is_the_alleged_perpetrator() -> None:
    text = "they recruited children"
    [denial] = allegation_sources(text, [claim("c1", "Kremlin", "government", "Russia", stance="denies")], RUSSIA)
    assert (denial.category, denial.type, denial.kinds) == ("primary", "alleged_perpetrator", ["official_statement"])
    assert denial.credibility == "low"
    [admission] = allegation_sources(text, [claim("c1", "Kremlin", "government", "Russia", stance="confirms")], RUSSIA)
    assert admission.credibility == "high"


def test_hedged_claims_and_unnamed_sources_are_rated_lower() -> None:
    [named] = allegation_sources("x", [claim("c1", "Human Rights Watch", "ngo")], RUSSIA)
    [hedged] = allegation_sources("x", [claim("c1", "Human Rights Watch", "ngo", hedged=True)], RUSSIA)
    assert (named.reliability, named.credibility) == ("high", "high")
    assert (hedged.reliability, hedged.credibility) == ("high", "medium")
    [unnamed] = allegation_sources("x", [claim("c1", "officials", "official")], RUSSIA)
    assert unnamed.reliability == "low"
    [witness] = allegation_sources("x", [claim("c1", "residents", "witness")], RUSSIA)
    assert witness.reliability == "medium", "witnesses are often unnamed to protect them"


def test_sources_are_deduplicated_by_name_and_party_and_relays_listed() -> None:
    claims = [
        claim("c1", "Lyudmyla Denisova", "official", "Ukraine", via=["Daily Mail"]),
        claim("c2", "Lyudmyla Denisova", "official", "Ukraine"),
        claim("c3", "UNICEF", "un", via=["Daily Mail"]),
    ]
    sources = allegation_sources("x", claims, RUSSIA)
    assert [s.name for s in sources] == ["Lyudmyla Denisova", "Daily Mail", "UNICEF"]
    assert sources[0].claims == ["c1", "c2"] and sources[1].claims == ["c1", "c3"]
    assert sources[1].relay and sources[1].type == "media"


def test_kinds_from_the_evidence_named_in_a_claim() -> None:
    content = "satellite images show the school destroyed and a video shows soldiers inside"
    [source] = allegation_sources(content, [claim("c1", "Amnesty International", "ngo", content=content)], RUSSIA)
    assert source.kinds == ["official_statement", "video", "satellite_imagery"]


@pytest.mark.parametrize(
    ("words", "source_type", "expected"),
    [
        ("survivors", "witness", "victim"),
        ("the parents of the abducted girls", "person", "victim"),
        ("a former child soldier", "military", "victim"),
        ("villagers", "witness", "witness"),
        ("a doctor", "person", "witness"),
        ("a local businessman", "person", "other"),
    ],
)
def test_victim_and_witness_detection(words: str, source_type: str, expected: str) -> None:
    [source] = allegation_sources("x", [claim("c1", words, source_type)], RUSSIA)
    assert source.type == expected
    assert source.category == ("primary" if expected in {"victim", "witness"} else "secondary")


def test_every_rating_rule_in_the_data_file_is_reachable() -> None:
    data = yaml.safe_load((resources.files("caacwatch") / "data" / "source_ratings.yaml").read_text(encoding="utf-8"))
    for adjustment in data["adjustments"]:
        types = adjustment.get("types") or ["official"]
        _, _, rule = propose_ratings(types[0], {adjustment["when"]})
        assert re.search(rf"\b{adjustment['when']}\b", rule)


# --------------------------------------------------------------------------- batch columns (caacwatch.batch/2)


def test_batch_flattens_the_mrm_fields(analyzer) -> None:
    from caacwatch.distributed.batch import flatten, rows_to_table
    from caacwatch.distributed.schema import OUTPUT_SCHEMA, SCHEMA_VERSION

    a = analyse(analyzer, "Israeli forces detained 15 Palestinian boys in Jenin on 3 March 2024, UNICEF said.")
    row = flatten(a.to_json_dict())
    [struct] = row["allegations"]
    assert SCHEMA_VERSION == "caacwatch.batch/2"
    assert row["perpetrator_types"] == ["state_armed_force"]
    assert (struct["violation"], struct["violation_class"], struct["perpetrator_type"]) == (
        "deprivation_of_liberty", "related_category", "state_armed_force")
    assert (struct["victims_count"], struct["boys"], struct["sex_unknown"], struct["victims_estimated"]) == (15, 15, 0, False)
    assert (struct["location_precision"], struct["date_precision"], struct["source_types"]) == (1, 1, ["un"])
    table = rows_to_table([{"schema_version": SCHEMA_VERSION, "index": 0, "id": "d", "status": "analysed", **row}])
    assert table.schema.equals(OUTPUT_SCHEMA, check_metadata=False)
    assert table.column("allegations").to_pylist()[0][0]["boys"] == 15
