"""Dates: precision never finer than the text, relative dates resolved against a fixed publication date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caacwatch.extract.dates import DateMention, find_dates, parse_published, to_timeref

PUBLISHED = dt.date(2024, 7, 31)  # a Wednesday, ISO week 2024-W31


def mentions(text: str, published: dt.date | None = PUBLISHED) -> list[tuple[str, str | None, str, str]]:
    return [(m.text, m.value, m.precision, m.basis) for m in find_dates(text, published)]


def single(text: str, published: dt.date | None = PUBLISHED) -> DateMention:
    found = find_dates(text, published)
    assert len(found) == 1, [m.text for m in found]
    return found[0]


# --- publication dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2024-07-27", "2024-07-27T10:00:00Z", "2024-07-27T10:00:00+03:00", "2024-07-27 10:00:00",
     "Sat, 27 Jul 2024 10:00:00 +0000", "Sat, 27 Jul 2024 10:00:00 GMT", "July 27, 2024", "Jul. 27, 2024",
     "27 July 2024", "Saturday, 27 July 2024", "2024/07/27", "27/07/2024", " 2024-07-27 ",
     "Updated 10:00 AM EDT, Sat July 27, 2024"],
)  # fmt: skip
def test_parse_published(value: str) -> None:
    assert parse_published(value) == dt.date(2024, 7, 27)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "garbage",
        "2024-13-01",
        "2024-02-30",
        "July 2024",
        "2024",
        "05/07/2024",
        "Monday",
        "x" * 500,
    ],
)
def test_parse_published_refuses_garbage_and_guesses(value: str | None) -> None:
    assert parse_published(value) is None


# --- explicit dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [("on 27 July 2024", "2024-07-27", "day"), ("on July 27, 2024", "2024-07-27", "day"),
     ("on the 27th of July 2024", "2024-07-27", "day"), ("Saturday, July 27, 2024", "2024-07-27", "day"),
     ("at 2024-07-27T10:00:00Z", "2024-07-27", "day"), ("in July 2024", "2024-07", "month"),
     ("in Sept. 2023", "2023-09", "month"), ("in 2014", "2014", "year"), ("the 2014 war", "2014", "year"),
     ("the 1949 Geneva Conventions", "1949", "year"), ("Resolution 2427 (2018)", "2018", "year"),
     ("in the 2010s", "2010s", "decade"), ("in the '90s", "1990s", "decade")],
)  # fmt: skip
def test_explicit_dates(text: str, value: str, precision: str) -> None:
    mention = single(text)
    assert (mention.value, mention.precision, mention.basis) == (value, precision, "explicit")
    assert value.split("-")[0][:3] in mention.text or precision == "decade"


def test_bare_year_is_year_precision_not_a_day() -> None:
    # dateparser would fill in day and month from the reference date; we must not.
    assert mentions("It began in 2014.") == [("2014", "2014", "year", "explicit")]


def test_numeric_dates_only_when_unambiguous() -> None:
    assert single("on 25/12/2020").value == "2020-12-25"
    assert single("on 12/25/2020").value == "2020-12-25"
    ambiguous = single("on 12/05/2021")
    assert (ambiguous.value, ambiguous.precision) == ("2021", "year")


# --- relative to publication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [("on Saturday", "2024-07-27", "day"), ("on Wednesday", "2024-07-31", "day"),
     ("last Wednesday", "2024-07-24", "day"), ("next Monday", "2024-08-05", "day"),
     ("yesterday", "2024-07-30", "day"), ("Today", "2024-07-31", "day"), ("last night", "2024-07-30", "day"),
     ("3 days ago", "2024-07-28", "day"), ("last week", "2024-W30", "week"), ("this week", "2024-W31", "week"),
     ("two weeks ago", "2024-W29", "week"), ("last weekend", "2024-W30", "week"),
     ("last month", "2024-06", "month"), ("earlier this month", "2024-07", "month"),
     ("next month", "2024-08", "month"), ("last year", "2023", "year"), ("earlier this year", "2024", "year"),
     ("five years ago", "2019", "year"), ("in April", "2024-04", "month"), ("in July", "2024-07", "month"),
     ("in September", "2023-09", "month"), ("last July", "2023-07", "month"), ("since early March", "2024-03", "month"),
     ("on July 27", "2024-07-27", "day"), ("on 3 August", "2023-08-03", "day"), ("May 5", "2024-05-05", "day")],
)  # fmt: skip
def test_relative_dates(text: str, value: str, precision: str) -> None:
    mention = single(text)
    assert (mention.value, mention.precision, mention.basis) == (value, precision, "relative_to_published")


def test_relative_dates_without_publication_date_have_no_value() -> None:
    for text in ("on Saturday", "last week", "in April", "yesterday", "on July 27"):
        mention = single(text, published=None)
        assert mention.value is None and mention.basis == "relative_to_published"
    assert single("in 2014", published=None).value == "2014"


def test_a_sentence() -> None:
    text = (
        "On Saturday, gunmen abducted 16-year-olds from a school in Zamfara, officials said on Monday. "
        "A similar raid took place in February 2021."
    )
    assert mentions(text) == [
        ("On Saturday", "2024-07-27", "day", "relative_to_published"),
        ("on Monday", "2024-07-29", "day", "relative_to_published"),
        ("February 2021", "2021-02", "month", "explicit"),
    ]


# --- not dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["30,000 troops", "2000 children were displaced", "16-year-olds", "at 10:30", "Resolution 2014",
     "flight 1920 landed", "a 1984.5 metre wall", "$2015 in aid", "in 1850", "in 2031", "they may march",
     "Route 1999 is closed", "No. 2010", "aged 15 or 16", "page 2012 of the report"],
)  # fmt: skip
def test_not_dates(text: str) -> None:
    assert find_dates(text, PUBLISHED) == []


def test_to_timeref() -> None:
    ref = to_timeref(single("on 27 July 2024"))
    assert (
        ref.date == "2024-07-27"
        and ref.precision == "day"
        and ref.span == (3, 15)
        and ref.basis == "explicit"
        and ref.time_precision == 1
    )


@pytest.mark.parametrize(
    ("phrase", "code"), [("on 27 July 2024", 1), ("last week", 2), ("in July 2024", 3), ("in 2024", None)]
)
def test_to_timeref_precision_code(phrase: str, code: int | None) -> None:
    """ACLED date precision: 1 day, 2 week, 3 month; a year gives no code (no event date is invented)."""
    assert to_timeref(single(phrase)).time_precision == code


def test_no_precision_code_without_a_publication_date_to_resolve_against() -> None:
    [mention] = find_dates("It happened last week.", None)
    assert mention.value is None and to_timeref(mention).time_precision is None


# --- properties --------------------------------------------------------------------------------------------

_pieces = st.sampled_from(
    ["on", "Saturday", "27", "July", "2024", "in", "April", "last", "week", "2014", "the", "'90s", "1990s",
     "yesterday", "12/05/2021", "2024-07-27T10:00:00Z", "30,000", "May", "5", "ago", "two", "days", ",", "."]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_pieces | st.text(max_size=6), max_size=30),
    st.sampled_from([" ", "  ", "\n", ""]),
    st.one_of(st.none(), st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2090, 12, 31))),
)
def test_spans_index_the_text(pieces: list[str], glue: str, published: dt.date | None) -> None:
    text = glue.join(pieces)
    previous_end = 0
    for mention in find_dates(text, published):
        assert text[mention.start : mention.end] == mention.text
        assert mention.start >= previous_end
        previous_end = mention.end
        assert mention.precision in ("day", "week", "month", "year", "decade")
        if mention.value is not None and mention.precision in ("day", "month", "year"):
            assert int(mention.value[:4]) >= 1900
