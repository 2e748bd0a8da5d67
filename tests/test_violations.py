"""Violation rules: the data file compiles, each rule fires on sentences we wrote, and not on near misses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caacwatch.extract.lexicons import violation_lexicon
from caacwatch.extract.parties import find_party_mentions
from caacwatch.extract.violations import find_violation_cues, prefilter, rough_sentences
from caacwatch.records import CATEGORIES, RELATED_CATEGORIES, VIOLATIONS


def cues_of(text: str) -> dict[str, float]:
    parties = [m.span for m in find_party_mentions(text)]
    found: dict[str, float] = {}
    for cue in find_violation_cues(text, rough_sentences(text), party_spans=parties):
        found[cue.violation] = max(found.get(cue.violation, 0.0), cue.confidence)
    return found


def test_data_file_defines_the_six_violations_and_the_two_related_categories():
    assert set(violation_lexicon().rules) == set(CATEGORIES)
    assert set(VIOLATIONS) | set(RELATED_CATEGORIES) == set(CATEGORIES) and len(VIOLATIONS) == 6


POSITIVES = [
    ("recruitment_use", "The rebel militia recruited boys as young as 12 and sent them to the front line."),
    ("recruitment_use", "Officials say the armed group is using child soldiers at checkpoints."),
    ("recruitment_use", "Soldiers forced the children to carry ammunition during the offensive."),
    ("killing_maiming", "An air strike on the village killed four children and wounded six others."),
    ("killing_maiming", "Two teenagers were injured by shelling near the market, the army said."),
    ("sexual_violence", "Fighters from the militia raped girls in the camp, survivors told investigators."),
    ("sexual_violence", "The armed group forced girls as young as 14 into marriage with its fighters."),
    ("attacks_schools_hospitals", "Militants bombed a primary school in the district during the war."),
    ("attacks_schools_hospitals", "The strike on the hospital came hours after troops surrounded the town."),
    ("abduction", "Insurgents abducted 40 schoolgirls from their dormitory at night."),
    ("abduction", "The rebels kidnapped two boys on their way to school, the army said."),
    ("denial_humanitarian_access", "Troops blocked aid convoys carrying food for children in the besieged city."),
    ("denial_humanitarian_access", "The siege has cut off food and medicine, leaving children starving amid the war."),
    ("denial_humanitarian_access", "Soldiers opened fire near an aid distribution site, killing two boys, medics said."),
    ("denial_humanitarian_access", "Heavy fighting forced agencies to suspend humanitarian operations for 40,000 children."),
]


@pytest.mark.parametrize(("violation", "sentence"), POSITIVES)
def test_rule_fires_on_own_examples(violation: str, sentence: str) -> None:
    found = cues_of(sentence)
    assert violation in found, found
    assert found[violation] >= 0.55
    assert prefilter(sentence)


NEGATIVES = [
    "The company recruited students from the local university for its summer programme.",
    "A child died in a car crash on the motorway on Sunday.",
    "The children were killed in a house fire, firefighters said.",
    "Teachers went on strike over pay and the school was closed for two days.",
    "The toddler was taken by her father in a custody dispute, police said.",
    "Traffic was blocked for hours and the food trucks could not reach the festival.",
    "The football club signed a 17-year-old striker from its academy.",
    "Officials said the school would reopen after the holidays.",
]


@pytest.mark.parametrize("sentence", NEGATIVES)
def test_rule_silent_on_near_misses(sentence: str) -> None:
    assert not any(conf >= 0.55 for conf in cues_of(sentence).values()), cues_of(sentence)


def test_words_inside_urls_are_not_cues():
    text = ("The militants attacked the village, officials said. See https://example.org/children-killed-in-war "
            "for the statement.")
    assert "killing_maiming" not in cues_of(text)


def test_boilerplate_sentences_are_skipped():
    text = "Children with guns\nRepresentative image of child soldiers in the war\nThe weather was fine."
    line = "Representative image of child soldiers in the war"
    start = text.index(line)
    cues = find_violation_cues(text, rough_sentences(text), skip_spans=[(start, start + len(line))])
    assert not [c for c in cues if c.trigger[0] >= start]


def test_cue_spans_index_text_and_rule_is_named():
    text = "Rebel fighters abducted 12 girls from a school in the north, the army said."
    for cue in find_violation_cues(text, rough_sentences(text)):
        assert 0 <= cue.trigger[0] < cue.trigger[1] <= len(text)
        assert cue.rule.startswith(f"violations.{cue.violation}.")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_rough_sentences_always_index_the_text(text: str) -> None:
    previous_end = 0
    for start, end in rough_sentences(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end].strip()
        previous_end = end


@given(st.text(max_size=300))
def test_cues_never_crash_and_stay_in_bounds(text: str) -> None:
    for cue in find_violation_cues(text, rough_sentences(text)):
        assert 0 <= cue.trigger[0] < cue.trigger[1] <= len(text)
        assert 0 <= cue.target[0] < cue.target[1] <= len(text)
