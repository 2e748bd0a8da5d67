"""Dates in news text, resolved against the publication date, never more precise than the text.

Plain Python with regular expressions (no spaCy). ``find_dates`` returns :class:`DateMention` objects whose
``value`` is an ISO 8601 string truncated to the precision the words support:

=========  ===============  ===================================================================
precision  value            from
=========  ===============  ===================================================================
day        ``2024-07-27``   "27 July 2024", "July 27", "on Saturday", "yesterday", "2 days ago"
week       ``2024-W30``     "last week", "this week", "last weekend", "two weeks ago" (ISO week)
month      ``2024-07``      "July 2024", "in April", "last month", "earlier this month"
year       ``2024``         "in 2024", "the 2014 war", "last year", "12/05/2021" (day/month order unknown)
decade     ``2010s``        "the 2010s", "the '90s"
=========  ===============  ===================================================================

A week is written as an ISO week (``YYYY-Www``), not as a date, so no day is invented. Mentions relative to
the publication date ("on Saturday", "in April", "last year") have ``basis='relative_to_published'``; with no
publication date their ``value`` is None. Years outside 1900..(publication year + 1) are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal

from caacwatch.extract.numbers import parse_number

if TYPE_CHECKING:
    from caacwatch.records import TimeRef

Precision = Literal["day", "week", "month", "year", "decade"]
Basis = Literal["explicit", "relative_to_published"]

MIN_YEAR = 1900


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str | None
    precision: Precision
    basis: Basis


# ----------------------------------------------------------------------------------------------------------
# vocabulary
# ----------------------------------------------------------------------------------------------------------

_MONTH_NUMBERS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Month names are matched capitalised only: "may" and "march" are also verbs.
_MONTH = (
    r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?\.?|July?\.?|Aug(?:ust|\.)?"
    r"|Sep(?:t(?:ember)?)?\.?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)"
)
_FULL_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|Sept(?:ember)?|October|November|December)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
# An optional weekday in front of a full date belongs to it: "Saturday, July 27, 2024".
_WEEKDAY_PREFIX = rf"(?:{_WEEKDAY},?\s+(?:the\s+)?)?"
# A number glued to other digits or decimals is part of something else ("30,000", "2014.5", "12:30").
_NOT_IN_NUMBER_BEFORE = r"(?<![\d,.:/\-])"
_NOT_IN_NUMBER_AFTER = r"(?![\d:]|[.,]\d|/\d)"

_DMY = re.compile(
    rf"\b{_WEEKDAY_PREFIX}{_NOT_IN_NUMBER_BEFORE}(?P<day>{_DAY})\s+(?:of\s+)?(?P<month>{_MONTH}),?\s+(?P<year>{_YEAR})\b"
)
_MDY = re.compile(
    rf"\b{_WEEKDAY_PREFIX}(?P<month>{_MONTH})\s+(?P<day>{_DAY}),?\s+(?P<year>{_YEAR})\b{_NOT_IN_NUMBER_AFTER}"
)
_ISO = re.compile(
    rf"{_NOT_IN_NUMBER_BEFORE}\b(?P<year>{_YEAR})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])(?![\d\-/])"
)
_NUMERIC = re.compile(
    rf"{_NOT_IN_NUMBER_BEFORE}\b(?P<a>\d{{1,2}})(?P<sep>[/.])(?P<b>\d{{1,2}})(?P=sep)(?P<year>{_YEAR})\b{_NOT_IN_NUMBER_AFTER}"
)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH}),?\s+(?:of\s+)?(?P<year>{_YEAR})\b{_NOT_IN_NUMBER_AFTER}")
_DAY_MONTH = re.compile(
    rf"\b{_WEEKDAY_PREFIX}{_NOT_IN_NUMBER_BEFORE}(?P<day>{_DAY})\s+(?:of\s+)?(?P<month>{_MONTH})(?![\w])"
)
_MONTH_DAY = re.compile(
    rf"\b{_WEEKDAY_PREFIX}(?P<month>{_MONTH})\s+(?P<day>{_DAY})\b(?!\s*(?:%|percent|per\s+cent))"
    rf"{_NOT_IN_NUMBER_AFTER}"
)
_DECADE = re.compile(r"(?:\b(?P<full>(?:19|20)\d0)|(?<![\w'’])['’](?P<short>\d0))s\b")
_YEAR_ONLY = re.compile(rf"{_NOT_IN_NUMBER_BEFORE}\b(?P<year>{_YEAR})\b{_NOT_IN_NUMBER_AFTER}")
_RELATIVE_DAY = re.compile(r"\b(?P<word>[Yy]esterday|[Tt]oday|[Tt]onight|[Tt]omorrow|[Ll]ast night)\b")
_WEEKDAY_MENTION = re.compile(
    rf"\b(?:(?P<mod>[Ll]ast|[Nn]ext|[Tt]his(?:\s+past)?|[Oo]n|[Ee]arly|[Ll]ate)\s+)?(?P<weekday>{_WEEKDAY})\b"
    r"(?!,?\s+(?:the\s+)?(?:\d|" + _MONTH + r"))"
)
_RELATIVE_PERIOD = re.compile(
    r"\b(?P<mod>[Ll]ast|[Pp]revious|[Nn]ext|[Tt]his|(?:[Ee]arlier|[Ll]ater)\s+this|(?:[Ee]arly|[Ll]ate)\s+this"
    r"|[Ee]arlier\s+in\s+the)\s+(?P<unit>week|weekend|month|year)\b"
)
_AGO = re.compile(
    r"\b(?P<count>\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
    r"(?P<unit>day|week|month|year)s?\s+ago\b",
    re.IGNORECASE,
)
_BARE_MONTH = re.compile(
    r"\b(?P<mod>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id-?|[Ll]ast|[Tt]his|[Nn]ext"
    r"|[Tt]hrough|[Ff]rom|[Bb]efore|[Aa]fter|[Ss]ince\s+early|[Ee]nd\s+of|[Ss]tart\s+of|[Bb]eginning\s+of)\s*"
    rf"(?P<month>{_FULL_MONTH})\b(?!\.?,?\s+(?:\d|of\s+\d))"
)

# When a bare year counts as a date (see _year_is_date).
_STRONG_YEAR_CUES = re.compile(
    r"(?:\b(?:in|In|since|Since|until|till|during|During|before|Before|after|After|between|Between|early|late"
    r"|Early|Late|mid|summer|winter|spring|autumn|fall|year|throughout|circa|c\.|end\s+of|start\s+of"
    r"|beginning\s+of|as\s+of|spring\s+of|summer\s+of|autumn\s+of|winter\s+of|fall\s+of)|mid-)\s*$"
)
_ID_CUES = re.compile(
    r"(?:\b(?:[Rr]esolution|[Nn]o\.|[Nn]umber|[Aa]rticle|[Ff]light|[Rr]oute|[Cc]ode|[Cc]ase|[Rr]oom|[Ss]ection|[Pp]aragraph"
    r"|[Cc]hapter|[Pp]age|[Uu]nit|[Mm]odel|[Vv]ersion|ID|[Bb]ill|[Ll]aw\s+[Nn]o\.?)|[#$£€¥])\s*$"
)
_YEAR_NOUNS = frozenset(
    "to and or until till through war wars election elections attack attacks invasion offensive ceasefire truce "
    "conflict report census uprising revolution coup agreement accord law survey study famine massacre genocide "
    "crisis campaign season budget deal earthquake operation operations protests protest floods flood bombing "
    "bombings raid raids incursion siege kidnapping kidnappings abduction abductions fighting clashes violence "
    "referendum constitution resolution peace treaty convention declaration annual figures data edition levels "
    "level estimate estimates cohort peak total".split()
)


# ----------------------------------------------------------------------------------------------------------
# publication date
# ----------------------------------------------------------------------------------------------------------

_PUBLISHED_FORMS = (
    re.compile(rf"^(?:{_WEEKDAY},?\s+)?(?P<month>{_MONTH})\s+(?P<day>{_DAY}),?\s+(?P<year>{_YEAR})\b"),
    re.compile(rf"^(?:{_WEEKDAY},?\s+)?(?P<day>{_DAY})\s+(?P<month>{_MONTH}),?\s+(?P<year>{_YEAR})\b"),
    re.compile(rf"^(?P<year>{_YEAR})[/.](?P<month>\d{{1,2}})[/.](?P<day>\d{{1,2}})\b"),
)


def parse_published(value: str | None) -> dt.date | None:
    """A publication date from metadata: ISO 8601, RFC 2822, "July 27, 2024", "27 July 2024"... else None."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    for parse in (_parse_iso, _parse_rfc2822, _parse_written, _parse_numeric, _parse_embedded):
        try:
            result = parse(text)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError):
            result = None
        if result is not None and MIN_YEAR <= result.year <= 2100:
            return result
    return None


def _parse_iso(text: str) -> dt.date | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("z", "Z")).date()


def _parse_rfc2822(text: str) -> dt.date | None:
    if not re.search(r"\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4}\s+\d{1,2}:\d{2}", text):
        return None
    return parsedate_to_datetime(text).date()


def _parse_written(text: str) -> dt.date | None:
    for pattern in _PUBLISHED_FORMS:
        m = pattern.match(text)
        if m:
            month = int(m["month"]) if m["month"].isdigit() else _month_number(m["month"])
            return dt.date(int(m["year"]), month, _day_number(m["day"]))
    return None


def _parse_embedded(text: str) -> dt.date | None:
    """A full written date inside a decorated string: "Updated 10:00 AM EDT, Sat July 27, 2024"."""
    for pattern in (_MDY, _DMY):
        m = pattern.search(text)
        if m:
            return dt.date(int(m["year"]), _month_number(m["month"]), _day_number(m["day"]))
    return None


def _parse_numeric(text: str) -> dt.date | None:
    """27/07/2024 or 07/27/2024 when the order is certain; 05/07/2024 is refused rather than guessed."""
    m = re.match(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b", text)
    if not m:
        return None
    a, b, year = int(m[1]), int(m[2]), int(m[3])
    if a > 12 >= b or a == b:
        return dt.date(year, b, a)
    if b > 12 >= a:
        return dt.date(year, a, b)
    raise ValueError("ambiguous day/month order")


# ----------------------------------------------------------------------------------------------------------
# finding dates
# ----------------------------------------------------------------------------------------------------------


def find_dates(text: str, published: dt.date | None) -> list[DateMention]:
    """Date mentions in ``text``, non-overlapping (the longest wins), in text order."""
    max_year = (published or dt.date.today()).year + 1
    candidates: list[DateMention] = []
    for finder in _FINDERS:
        candidates.extend(finder(text, published, max_year))
    # Longest first, so "Sept. 2023" beats the "in Sept" that overlaps it; then leftmost.
    candidates.sort(key=lambda m: (-(m.end - m.start), m.start))
    taken = bytearray(len(text) + 1)
    chosen: list[DateMention] = []
    for mention in candidates:
        if not any(taken[mention.start : mention.end]):
            chosen.append(mention)
            taken[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
    return sorted(chosen, key=lambda m: m.start)


def to_timeref(mention: DateMention) -> TimeRef:
    """The ``records.TimeRef`` for a mention, with ACLED's date precision code (extract/precision.py)."""
    from caacwatch.extract.precision import time_precision
    from caacwatch.records import TimeRef

    return TimeRef(
        text=mention.text,
        span=(mention.start, mention.end),
        date=mention.value,
        precision=mention.precision,
        time_precision=time_precision(mention.precision, mention.value, mention.basis),
        basis=mention.basis,
    )


def _mention(
    m: re.Match[str], value: str | None, precision: Precision, basis: Basis = "explicit"
) -> DateMention:
    return DateMention(m.start(), m.end(), m.group(), value, precision, basis)


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name[:3].lower()]


def _day_number(day: str) -> int:
    return int(re.match(r"\d+", day).group())  # type: ignore[union-attr]


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year_ok(year: int, max_year: int) -> bool:
    return MIN_YEAR <= year <= max_year


# --- explicit full dates ---


def _full_dates(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for pattern in (_DMY, _MDY, _ISO):
        for m in pattern.finditer(text):
            year = int(m["year"])
            month = int(m["month"]) if m["month"].isdigit() else _month_number(m["month"])
            date = _safe_date(year, month, _day_number(m["day"]))
            if date is not None and _year_ok(year, max_year):
                yield _mention(m, date.isoformat(), "day")


def _numeric_dates(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    """12/05/2021: a day only when the order is certain (a part > 12, or both equal), else only the year."""
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
        if not _year_ok(year, max_year) or a == 0 or b == 0:
            continue
        if a > 12 >= b:
            date = _safe_date(year, b, a)
        elif b > 12 >= a:
            date = _safe_date(year, a, b)
        elif a == b:
            date = _safe_date(year, a, a)
        else:
            yield _mention(m, str(year), "year")
            continue
        if date is not None:
            yield _mention(m, date.isoformat(), "day")


def _month_years(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for m in _MONTH_YEAR.finditer(text):
        year = int(m["year"])
        if _year_ok(year, max_year):
            yield _mention(m, f"{year:04d}-{_month_number(m['month']):02d}", "month")


# --- dates without a year: the most recent one not after publication ---


def _day_months(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            month, day = _month_number(m["month"]), _day_number(m["day"])
            if _safe_date(2000, month, day) is None:  # 2000 is a leap year: 29 February is allowed
                continue
            value = None
            if published is not None:
                date = _latest_not_after(published, month, day)
                value = date.isoformat() if date else None
            yield _mention(m, value, "day", "relative_to_published")


def _latest_not_after(published: dt.date, month: int, day: int) -> dt.date | None:
    for year in range(published.year, published.year - 5, -1):  # 29 February may be up to 4 years back
        date = _safe_date(year, month, day)
        if date is not None and date <= published:
            return date
    return None


def _bare_months(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    """Bare month ("in April"): the most recent April not after publication ("last April": strictly before its month)."""
    for m in _BARE_MONTH.finditer(text):
        month = _month_number(m["month"])
        value = None
        if published is not None:
            year = _month_year(published, month, m["mod"].lower())
            value = f"{year:04d}-{month:02d}"
        yield _mention(m, value, "month", "relative_to_published")


def _month_year(published: dt.date, month: int, modifier: str) -> int:
    if modifier == "next":
        return published.year if month > published.month else published.year + 1
    if modifier == "this":
        return published.year
    if modifier == "last":
        return published.year if month < published.month else published.year - 1
    return published.year if month <= published.month else published.year - 1


# --- years and decades ---


def _years(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for m in _YEAR_ONLY.finditer(text):
        year = int(m["year"])
        if _year_ok(year, max_year) and _year_is_date(text, m.start(), m.end()):
            yield _mention(m, str(year), "year")


def _year_is_date(text: str, start: int, end: int) -> bool:
    """Tell "in 2014" / "the 2014 war" / "(2018)" from "2000 children" and "Resolution 2014".

    A four-digit number is a year when a cue word precedes it, when punctuation or a capitalised name follows
    it ("the 1949 Geneva Conventions"), or when an event noun follows it ("the 2014 war").
    """
    before = text[max(0, start - 24) : start]
    if _ID_CUES.search(before):
        return False
    if _STRONG_YEAR_CUES.search(before):
        return True
    after = text[end : end + 30]
    following = re.match(r"\s*(?P<word>[^\W\d_][\w\-]*)", after)
    if following is None:
        return True  # end of text, punctuation ("in 2014." "(2018)" "2014's") or a number
    if not re.match(r"\s", after):
        return after[:2] in ("'s", "’s") or after[:1] in "-–"
    word = following["word"]
    return word[0].isupper() or word.lower() in _YEAR_NOUNS


def _decades(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for m in _DECADE.finditer(text):
        if m["full"]:
            decade = int(m["full"])
        else:
            short = int(m["short"])
            decade = 2000 + short if 2000 + short <= max_year else 1900 + short
        if MIN_YEAR <= decade <= max_year:
            yield _mention(m, f"{decade}s", "decade")


# --- relative to publication ---


def _relative_days(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    offsets = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1, "last night": -1}
    for m in _RELATIVE_DAY.finditer(text):
        offset = offsets[m["word"].lower()]
        value = (published + dt.timedelta(days=offset)).isoformat() if published else None
        yield _mention(m, value, "day", "relative_to_published")


def _weekdays(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    """Weekday ("on Saturday"): the most recent Saturday on or before publication; "last Saturday": strictly before."""
    for m in _WEEKDAY_MENTION.finditer(text):
        value = None
        if published is not None:
            target = _WEEKDAYS.index(m["weekday"])
            modifier = (m["mod"] or "").lower()
            modifier = "last" if "past" in modifier else modifier  # "this past Saturday"
            value = _weekday_date(published, target, modifier).isoformat()
        yield _mention(m, value, "day", "relative_to_published")


def _weekday_date(published: dt.date, weekday: int, modifier: str) -> dt.date:
    back = (published.weekday() - weekday) % 7
    if modifier == "next":
        return published + dt.timedelta(days=(weekday - published.weekday()) % 7 or 7)
    if modifier.startswith("last") and back == 0:
        back = 7
    return published - dt.timedelta(days=back)


def _relative_periods(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for m in _RELATIVE_PERIOD.finditer(text):
        modifier = " ".join(m["mod"].lower().split())
        step = -1 if modifier in ("last", "previous") else 1 if modifier == "next" else 0
        unit = m["unit"]
        precision: Precision = "week" if unit == "weekend" else unit  # type: ignore[assignment]
        value = _shift(published, unit, step) if published else None
        yield _mention(m, value, precision, "relative_to_published")


def _ago(text: str, published: dt.date | None, max_year: int) -> Iterator[DateMention]:
    for m in _AGO.finditer(text):
        raw = m["count"].lower()
        count = parse_number(raw) or 1
        unit = m["unit"].lower()
        value = _shift(published, unit, -count) if published else None
        precision: Precision = unit  # type: ignore[assignment]
        yield _mention(m, value, precision, "relative_to_published")


def _shift(published: dt.date, unit: str, step: int) -> str:
    """The day/week/month/year ``step`` units from publication, as ISO text of that precision."""
    if unit == "day":
        return (published + dt.timedelta(days=step)).isoformat()
    if unit == "week":
        return _iso_week(published + dt.timedelta(weeks=step))
    if unit == "weekend":
        saturday = published - dt.timedelta(days=(published.weekday() - 5) % 7)
        if step < 0 and saturday == published:
            saturday -= dt.timedelta(weeks=1)
        return _iso_week(saturday + dt.timedelta(weeks=max(step, 0)))
    if unit == "month":
        index = published.year * 12 + published.month - 1 + step
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{published.year + step:04d}"


def _iso_week(date: dt.date) -> str:
    year, week, _ = date.isocalendar()
    return f"{year:04d}-W{week:02d}"


_Finder = Callable[[str, "dt.date | None", int], Iterator[DateMention]]
_FINDERS: tuple[_Finder, ...] = (
    _full_dates,
    _numeric_dates,
    _month_years,
    _day_months,
    _bare_months,
    _years,
    _decades,
    _relative_days,
    _weekdays,
    _relative_periods,
    _ago,
)
