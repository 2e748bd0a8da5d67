"""How many children a phrase states: "12 children", "at least 10 boys", "dozens of pupils", "between 10 and
15 minors", "a 14-year-old girl". One rule for vague words, kept in ``data/quantities.yaml``: a vague
quantity counts as the lowest number its words guarantee, and the figure is ``estimated``. Plain Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from caacwatch.errors import CaacError, E
from caacwatch.extract.lexicons import compile_words, fold_alternation, load_data_file
from caacwatch.extract.numbers import DIGIT_NUMBER, NUMBER, parse_number

RULE_VERSION = 1
ADULT_AGE = 18

# Nouns that name children. "sons"/"daughters" give a sex but may be adults: they count only with a number.
CHILD_NOUN = (
    r"child soldiers|child fighters|child recruits|children|child|kids|schoolchildren|schoolgirls|schoolboys|"
    r"boys|girls|students|pupils|minors|teenagers|teens|infants|babies|toddlers|adolescents|youngsters|orphans|"
    r"newborns|juveniles|sons|daughters|(?:\d{1,2}|[a-z]+)[- ]years?[- ]olds"
)
SINGLE_NOUN = r"child|boy|girl|baby|infant|toddler|teenager|teen|schoolgirl|schoolboy|newborn|minor|child soldier"
BOY_NOUNS = frozenset({"boys", "schoolboys", "boy", "schoolboy"})
GIRL_NOUNS = frozenset({"girls", "schoolgirls", "girl", "schoolgirl"})
# Words allowed between the number and the noun: "five more children", "three young Palestinian boys",
# "two 15-year-old girls".
_MODIFIER = (
    r"more|other|young|younger|small|little|school|school-age|underage|under-age|teenage|teenaged|"
    r"(?:\d{1,2}|[a-z]+)[- ]years?[- ]old|(?-i:[A-Z][a-z]+)"
)
_MODIFIERS = rf"(?:\s+(?:{_MODIFIER})){{0,2}}"
# After a single child noun these words make it something else ("a child rights group", "a girls' school").
_NOT_A_CHILD_AFTER = re.compile(
    r"(?i)^(?:'s\s+)?(?:\s*(?:rights|protection|welfare|labou?r|marriage|care|benefits?|abuse|soldiers?\s+"
    r"(?:law|treaty|protocol)|psychologist|advocate|agency|fund|poverty|mortality|health|development))\b"
)
# "mother of five children" names a family, not victims.
_PARENT_OF = re.compile(r"(?i)\b(?:mother|father|parents?|grandmother|grandfather|mum|mom|dad)\s+of\s+$")
# Counts that are part of one already given: "12 children, including five girls".
SUBSET_BEFORE = re.compile(
    r"(?i)(?:\bincluding|\bamong\s+(?:them|whom)|\bof\s+(?:them|whom)|\bamong\s+the\s+\w+\s+were|\bincluded)\s*$"
)


@dataclass(frozen=True)
class QuantityLexicon:
    vague: tuple[tuple[str, int], ...]  # (words, figure), longest first
    lower_bound: re.Pattern[str]
    approximate: re.Pattern[str]
    count: re.Pattern[str]  # a number (qualified, ranged) then a child noun
    vague_count: re.Pattern[str]  # a vague quantity then a child noun
    single: re.Pattern[str]  # "a child", "one boy", "a 14-year-old girl"


@cache
def quantity_lexicon() -> QuantityLexicon:
    data = load_data_file("quantities.yaml")
    try:
        vague = tuple(sorted(((str(v["words"]), int(v["count"])) for v in data["vague"]),
                             key=lambda item: len(item[0]), reverse=True))
        lower = fold_alternation(data["lower_bound"])
        approx = fold_alternation(data["approximate"])
        vague_alt = "|".join(re.escape(words).replace(r"\ ", r"\s+") for words, _ in vague)
        qualifier = rf"(?P<qual>{lower}|{approx})\s+"
        number_range = (
            rf"between\s+(?P<lo>{NUMBER})\s+and\s+(?P<hi>{NUMBER})|"
            rf"(?P<lo2>{DIGIT_NUMBER})\s*[-–]\s*(?P<hi2>{DIGIT_NUMBER})|(?P<lo3>{NUMBER})\s+to\s+(?P<hi3>{NUMBER})"
        )
        count = re.compile(
            rf"(?i)(?<![\w,.])(?:{qualifier})?(?:{number_range}|(?P<number>{NUMBER})){_MODIFIERS}\s+"
            rf"(?P<noun>{CHILD_NOUN})(?![\w])"
        )
        vague_count = re.compile(
            rf"(?i)(?<![\w])(?P<vague>{vague_alt})(?:\s+of)?{_MODIFIERS}\s+(?P<noun>{CHILD_NOUN})(?![\w])"
        )
        single = re.compile(
            rf"(?i)(?<![\w])(?:a|an|one)\s+(?:[\w-]+\s+){{0,2}}?(?P<noun>{SINGLE_NOUN})(?![\w])"
        )
        return QuantityLexicon(vague, compile_words(lower), compile_words(approx), count, vague_count, single)
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="quantities.yaml", reason=str(exc)) from exc


@dataclass(frozen=True)
class Quantity:
    """A number of children stated in the text, read conservatively."""

    start: int
    end: int
    text: str
    count: int
    count_max: int | None
    estimated: bool
    noun: str
    rule: str  # quantities.exact | .lower_bound:<words> | .approximate:<words> | .range | .vague:<words> | .single
    subset: bool = False  # "including five girls": part of a figure given just before
    min_age: int | None = None  # from the noun: "three 16-year-olds"

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    @property
    def sex(self) -> str | None:
        noun = self.noun.lower()
        if noun in BOY_NOUNS:
            return "boys"
        if noun in GIRL_NOUNS:
            return "girls"
        return None


def find_child_quantities(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Every statement of a number of children in ``text[start:end]``, in text order, non-overlapping.

    A four-digit year before a noun ("In 2014 children were taken") is a date, not a count; "mother of five
    children" names a family; an age noun above 17 ("30-year-olds") is no child.
    """
    end = len(text) if end is None else end
    lexicon = quantity_lexicon()
    chunk = text[start:end]
    found: list[Quantity] = []
    for match in lexicon.count.finditer(chunk):
        quantity = _numbered(match, chunk, lexicon)
        if quantity is not None:
            found.append(quantity)
    for match in lexicon.vague_count.finditer(chunk):
        words = " ".join(match.group("vague").lower().split())
        figure = next(f for w, f in lexicon.vague if w == words)
        found.append(_quantity(match, figure, None, True, f"quantities.vague:{words}", chunk))
    found = _non_overlapping([q for q in found if not _parent_of(chunk, q) and _is_child(q)])
    if not found:
        found = _singles(chunk, lexicon)
    return [_shift(q, start) for q in found]


def _numbered(match: re.Match[str], chunk: str, lexicon: QuantityLexicon) -> Quantity | None:
    raw = match.group("number")
    qualifier = match.group("qual")
    if raw is not None:
        if len(raw) == 4 and raw.startswith(("19", "20")) and raw.isdigit():
            return None  # a year
        value = parse_number(raw)
        if value is None:
            return None
        if qualifier:
            words = " ".join(qualifier.lower().split())
            kind = "lower_bound" if lexicon.lower_bound.fullmatch(qualifier) else "approximate"
            return _quantity(match, value, None, True, f"quantities.{kind}:{words}", chunk)
        return _quantity(match, value, None, False, "quantities.exact", chunk)
    low = parse_number(match.group("lo") or match.group("lo2") or match.group("lo3") or "")
    high = parse_number(match.group("hi") or match.group("hi2") or match.group("hi3") or "")
    if low is None or high is None or high < low:
        return None
    return _quantity(match, low, high, True, "quantities.range", chunk)


def _quantity(match: re.Match[str], count: int, count_max: int | None, estimated: bool, rule: str,
              chunk: str) -> Quantity:
    noun = match.group("noun")
    age = re.match(r"(?i)(\d{1,2}|[a-z]+)[- ]years?[- ]olds", noun)
    min_age = parse_number(age.group(1)) if age else None
    return Quantity(
        start=match.start(), end=match.end(), text=match.group(), count=count, count_max=count_max,
        estimated=estimated, noun=noun, rule=f"{rule}/{RULE_VERSION}",
        subset=bool(SUBSET_BEFORE.search(chunk[max(0, match.start() - 30):match.start()])), min_age=min_age,
    )


def _singles(chunk: str, lexicon: QuantityLexicon) -> list[Quantity]:
    """ "a boy and a girl were killed": each distinct single child named counts once."""
    singles = []
    for match in lexicon.single.finditer(chunk):
        if _NOT_A_CHILD_AFTER.match(chunk[match.end():match.end() + 40]):
            continue
        singles.append(Quantity(
            start=match.start(), end=match.end(), text=match.group(), count=1, count_max=None, estimated=False,
            noun=match.group("noun"), rule=f"quantities.single/{RULE_VERSION}",
        ))
    return singles


def _parent_of(chunk: str, quantity: Quantity) -> bool:
    return bool(_PARENT_OF.search(chunk[max(0, quantity.start - 30):quantity.start]))


def _is_child(quantity: Quantity) -> bool:
    return quantity.min_age is None or quantity.min_age < ADULT_AGE


def _non_overlapping(found: list[Quantity]) -> list[Quantity]:
    chosen: list[Quantity] = []
    for quantity in sorted(found, key=lambda q: (-(q.end - q.start), q.start)):
        if all(quantity.end <= c.start or c.end <= quantity.start for c in chosen):
            chosen.append(quantity)
    return sorted(chosen, key=lambda q: q.start)


def _shift(quantity: Quantity, offset: int) -> Quantity:
    if offset == 0:
        return quantity
    from dataclasses import replace

    return replace(quantity, start=quantity.start + offset, end=quantity.end + offset)
