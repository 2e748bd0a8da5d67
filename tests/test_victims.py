"""Child-victim facts: counts, ages and sex exactly as stated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caacwatch.extract.victims import extract_victims


def facts(text: str):
    return extract_victims(text, (0, len(text)))


def test_age_from_n_year_olds():
    """A group named by one age ("16-year-olds") is 16 and older: min_age only (docs/mrm.md)."""
    f = facts("Officials are now conscripting 16-year-olds.")
    assert (f.min_age, f.max_age, f.count) == (16, None, None)


def test_count_and_sex():
    f = facts("Gunmen abducted 276 schoolgirls from the town.")
    assert f.count == 276 and f.sex == "female"


def test_age_range_and_mixed_sex():
    f = facts("Boys and girls aged 12 to 17 were recruited.")
    assert (f.min_age, f.max_age, f.sex) == (12, 17, "mixed")


def test_adults_are_not_children():
    f = facts("A 33-year-old man was arrested.")
    assert f.min_age is None and f.count is None


def test_year_is_not_a_count():
    assert facts("In 2014 children were taken.").count is None


def test_number_words_and_under():
    f = facts("Three children under 15 were wounded.")
    assert f.count == 3 and f.max_age == 14


@given(st.text(max_size=300))
def test_spans_index_text(text: str) -> None:
    f = facts(text)
    for start, end in f.spans:
        assert 0 <= start < end <= len(text)


@pytest.mark.parametrize(
    ("sentence", "ages"),
    [
        ("Gunmen forced the children, aged between eight and 13, into the forest.", (8, 13)),
        ("The abducted boys were aged between nine and eleven.", (9, 11)),
        ("Pupils between the ages of 10 and 15 were taken.", (10, 15)),
    ],
)
def test_age_ranges_with_words_and_between(sentence, ages):
    facts = extract_victims(sentence, (0, len(sentence)))
    assert (facts.min_age, facts.max_age) == ages
