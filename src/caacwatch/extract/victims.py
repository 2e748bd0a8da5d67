"""Child victims in a sentence: how many, how old, which sex — only what the text states."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from caacwatch.extract.numbers import NUMBER_WORDS, parse_number

Span = tuple[int, int]

FEMALE = {"girl", "girls", "schoolgirl", "schoolgirls", "daughter", "daughters"}
MALE = {"boy", "boys", "schoolboy", "schoolboys", "son", "sons"}

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_CHILD_NOUN = (
    r"children|child|kids|boys|girls|schoolgirls|schoolboys|schoolchildren|students|pupils|minors|teenagers|"
    r"teens|infants|babies|toddlers|adolescents|youngsters|orphans|sons|daughters|child soldiers"
)
COUNT = re.compile(
    rf"(?i)(?<![\w,])(?P<number>{_NUMBER})(?:\s+(?:more|other|young|small|little|school|Palestinian|Ukrainian|"
    rf"Israeli|Syrian|Nigerian|Afghan|Yemeni|Sudanese|Somali|Congolese|[A-Z][a-z]+))?\s+(?P<noun>{_CHILD_NOUN})(?!\w)"
)
SINGLE = re.compile(r"(?i)(?<!\w)(?:a|an|one)\s+(?:\w+\s+)?(?P<noun>child|boy|girl|baby|infant|toddler|teenager|schoolgirl|schoolboy)(?!\w)")
AGE = re.compile(r"(?i)(?<!\w)(?P<age>\d{1,2})[- ](?P<unit>years?|months?)[- ]olds?(?!\w)")
# Ages under 18 written as words ("aged between eight and 13").
_AGE_WORD = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
_AGE = rf"\d{{1,2}}(?!\d)|(?:{_AGE_WORD})(?!\w)"
AGE_RANGE = re.compile(
    rf"(?i)(?:aged(?: between)?|ages?(?: of)?|between(?: the ages of)?)\s+(?P<low>{_AGE})\s*(?:to|and|-|–)\s*(?P<high>{_AGE})"
)
AGE_SINGLE = re.compile(r"(?i)(?:aged|age of|as young as)\s+(?P<age>\d{1,2})(?!\d)")
UNDER = re.compile(r"(?i)(?:under(?: the age of)?|younger than|below the age of)\s+(?P<age>1[0-8]|[1-9])(?!\d)")


@dataclass
class VictimFacts:
    count: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    sex: str = "unknown"
    spans: list[Span] = field(default_factory=list)


def extract_victims(text: str, span: Span) -> VictimFacts:
    """Child-victim facts stated in ``text[span[0]:span[1]]`` (usually the sentence of an allegation)."""
    start, end = span
    chunk = text[start:end]
    facts = VictimFacts()
    nouns: set[str] = set()
    for match in COUNT.finditer(chunk):
        number = parse_number(match.group("number"))
        if number is not None and _is_count_not_year(match.group("number"), chunk, match.end()):
            facts.count = max(facts.count or 0, number)
            nouns.add(match.group("noun").lower())
            facts.spans.append((start + match.start(), start + match.end()))
    if facts.count is None:
        single = SINGLE.search(chunk)
        if single:
            facts.count = 1
            nouns.add(single.group("noun").lower())
            facts.spans.append((start + single.start(), start + single.end()))
    _ages(chunk, start, facts)
    nouns |= {m.group().lower() for m in re.finditer(r"(?i)(?<!\w)(?:school)?(?:girls?|boys?)(?!\w)", chunk)}
    facts.sex = _sex(nouns)
    return facts


def _is_count_not_year(number: str, chunk: str, end: int) -> bool:
    # "In 2014 children were..." — a four-digit year before a noun is a date, not a count.
    return not (len(number) == 4 and number.startswith(("19", "20")) and "," not in number)


def _ages(chunk: str, offset: int, facts: VictimFacts) -> None:
    ages: list[int] = []
    for match in AGE.finditer(chunk):
        age = int(match.group("age"))
        if match.group("unit").lower().startswith("month"):
            age = 0
        if age < 18:
            ages.append(age)
            facts.spans.append((offset + match.start(), offset + match.end()))
    for match in AGE_RANGE.finditer(chunk):
        low, high = parse_number(match.group("low")), parse_number(match.group("high"))
        if low is not None and high is not None and low <= high < 18:
            ages.extend([low, high])
            facts.spans.append((offset + match.start(), offset + match.end()))
    for match in AGE_SINGLE.finditer(chunk):
        age = int(match.group("age"))
        if age < 18:
            ages.append(age)
    if ages:
        facts.min_age, facts.max_age = min(ages), max(ages)
    under = UNDER.search(chunk)
    if under and facts.max_age is None:
        facts.max_age = int(under.group("age")) - 1


def _sex(nouns: set[str]) -> str:
    female = bool(nouns & FEMALE)
    male = bool(nouns & MALE)
    if female and male:
        return "mixed"
    if female:
        return "female"
    if male:
        return "male"
    return "unknown"
