"""Child victims: how many, killed or injured, boys or girls, how old, in which role — only what the text
states (docs/mrm.md, "Child victims and counts").

``extract_victims`` reads one sentence; ``combine_victims`` makes the ``records.Victims`` of an allegation
from the facts of its sentences. Counting rules:

* a figure comes from a number of children in the text (``extract/quantities.py``; vague words follow
  ``data/quantities.yaml``); the figure of a sentence is its largest count, or the sum of parts the text
  keeps apart (killed + injured; boys + girls), whichever is larger; across sentences the largest figure;
* ``killed``/``injured``: a count next to a word of death or of injury ("killed 5 children", "5 children were
  wounded", "... and 7 injured"); "killed or injured 40 children" cannot be split and gives neither;
* ``boys``/``girls`` from counts of boys and girls; ``sex_unknown = count - boys - girls`` when the count is
  known (a figure not stated is taken as 0 there): "12 children, including five girls" gives girls 5, boys
  None, sex_unknown 7;
* ages: "a 14-year-old boy" 14..14; "aged 8 to 13" 8..13; "under 15" ..14; a group named by one age
  ("16-year-olds") has ``min_age`` 16 and no ``max_age``;
* ``role`` (recruitment_use only) from ``data/recruitment_roles.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from caacwatch.extract.lexicons import compile_words, load_data_file
from caacwatch.extract.numbers import NUMBER, parse_number
from caacwatch.extract.quantities import Quantity, find_child_quantities

Span = tuple[int, int]
RULE_VERSION = 1

FEMALE = {"girl", "girls", "schoolgirl", "schoolgirls", "daughter", "daughters"}
MALE = {"boy", "boys", "schoolboy", "schoolboys", "son", "sons"}

# "16-year-olds" (a group named by its age: min_age only) or "16-year-old" (an age: min and max).
AGE = re.compile(r"(?i)(?<!\w)(?P<age>\d{1,2})[- ](?P<unit>years?|months?)[- ]old(?P<plural>s)?(?!\w)")
# Ages under 18 written as words ("aged between eight and 13").
_AGE_WORD = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
_AGE = rf"\d{{1,2}}(?!\d)|(?:{_AGE_WORD})(?!\w)"
AGE_WORDS = re.compile(rf"(?i)(?<!\w)(?P<age>{_AGE_WORD})[- ](?P<unit>years?|months?)[- ]old(?P<plural>s)?(?!\w)")
AGE_RANGE = re.compile(
    rf"(?i)(?:aged(?: between)?|ages?(?: of)?|between(?: the ages of)?)\s+(?P<low>{_AGE})\s*(?:to|and|-|–)\s*(?P<high>{_AGE})"
)
AGE_SINGLE = re.compile(r"(?i)(?:aged|age of)\s+(?P<age>\d{1,2})(?![\d\s]*(?:to|and|-|–))(?!\d)")
AS_YOUNG_AS = re.compile(rf"(?i)as young as\s+(?P<age>{_AGE})")
UNDER = re.compile(r"(?i)(?:under(?: the age of)?|younger than|below the age of)\s+(?P<age>1[0-8]|[1-9])(?!\d)")

KILL = r"killed|killing|kills|dead|died|dies|die|dying|deaths?|slain|slaughtered|massacred|executed|perished|lost their lives|shot dead|death toll|fatalities|lives were lost"
INJURE = r"injured|injuring|injures|injuries|wounded|wounding|wounds|maimed|maiming|hurt|amputees?|amputated|lost (?:their |his |her )?(?:limbs?|legs?|arms?|eyes?|hands?|feet)"
OUTCOME = re.compile(rf"(?i)(?<!\w)(?:(?P<kill>{KILL})|(?P<injure>{INJURE}))(?!\w)")
# "killed or injured", "dead and wounded": one figure for both, which cannot be split.
BOTH = re.compile(rf"(?i)(?<!\w)(?:(?:{KILL})\s*(?:,|and|or|and/or|&)\s*(?:{INJURE})|(?:{INJURE})\s*(?:,|and|or|and/or|&)\s*(?:{KILL}))(?!\w)")
# "... were killed and 7 injured": a bare number after a count of children continues it.
FOLLOW_UP = re.compile(
    rf"(?i)^\s*,?\s*(?:and|while|with|as well as)\s+(?P<number>{NUMBER})\s+(?:more\s+)?"
    rf"(?:(?:were|was|have been|had been|are|being)\s+)?(?:(?P<kill>{KILL})|(?P<injure>{INJURE}))(?!\w)"
)
# "... killing two children and wounding four more (other children)": the verb first, then the number.
# Not "five others": they may be adults, and a child is counted only when the text says so.
FOLLOW_UP_VERB_FIRST = re.compile(
    rf"(?i)^\s*,?\s*(?:and|while|as well as)\s+(?:(?P<kill>{KILL})|(?P<injure>{INJURE}))\s+(?:at least\s+)?"
    rf"(?P<number>{NUMBER})\s+(?:more|other (?:children|students|pupils|boys|girls|minors))(?!\w)"
)
OUTCOME_WINDOW = 45


@dataclass
class _Part:
    quantity: Quantity
    outcome: str | None  # killed | injured | None


@dataclass
class VictimFacts:
    """What one sentence says about child victims."""

    count: int | None = None
    count_max: int | None = None
    estimated: bool = False
    quantity: Span | None = None
    killed: int | None = None
    injured: int | None = None
    boys: int | None = None
    girls: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    open_age: bool = False  # a group named by one age ("16-year-olds"): no upper age stated
    sex: str = "unknown"
    spans: list[Span] = field(default_factory=list)
    rule: str | None = None
    estimated_parts: dict[str, bool] = field(default_factory=dict)


def extract_victims(text: str, span: Span) -> VictimFacts:
    """Child-victim facts stated in ``text[span[0]:span[1]]`` (usually the sentence of an allegation)."""
    start, end = span
    chunk = text[start:end]
    facts = VictimFacts()
    quantities = find_child_quantities(text, start, end)
    parts: list[_Part] = []
    for quantity in quantities:
        # "killing 12 children, including five girls, and injuring ...": a part shares its whole's outcome.
        outcome = parts[-1].outcome if quantity.subset and parts else _outcome(text, quantity, start, end)
        parts.append(_Part(quantity, outcome))
    parts.extend(_follow_ups(text, parts, end))
    _figures(facts, parts)
    facts.spans.extend(q.span for q in quantities)
    _ages(chunk, start, facts, quantities)
    nouns = {q.noun.lower() for q in quantities}
    nouns |= {m.group().lower() for m in re.finditer(r"(?i)(?<!\w)(?:school)?(?:girls?|boys?)(?!\w)", chunk)}
    facts.sex = _sex(nouns)
    return facts


def _outcome(text: str, quantity: Quantity, start: int, end: int) -> str | None:
    """killed / injured when a word of death or injury is next to the count (nearest wins), else None."""
    before = text[max(start, quantity.start - OUTCOME_WINDOW):quantity.start]
    after_end = min(end, quantity.end + OUTCOME_WINDOW)
    candidates: list[tuple[int, re.Match[str], int]] = []  # (distance, match, offset)
    for match in OUTCOME.finditer(before):
        candidates.append((len(before) - match.end(), match, quantity.start - len(before)))
    after = text[quantity.end:after_end]
    for match in OUTCOME.finditer(after):
        candidates.append((match.start(), match, quantity.end))
    if not candidates:
        return None
    distance, match, offset = min(candidates, key=lambda c: c[0])
    word = (offset + match.start(), offset + match.end())
    window = text[max(start, word[0] - 25):min(end, word[1] + 25)]
    base = max(start, word[0] - 25)
    for both in BOTH.finditer(window):
        if base + both.start() <= word[0] and word[1] <= base + both.end():
            return None
    return "killed" if match.group("kill") else "injured"


def _follow_ups(text: str, parts: list[_Part], end: int) -> list[_Part]:
    """ "5 children were killed and 7 injured": the bare 7 is a figure of children too."""
    extra = []
    for part in parts:
        if part.outcome is None:
            continue
        tail_start = part.quantity.end
        # after a part ("including five girls"), "and injured 30 more" are not more girls
        match = None if part.quantity.subset else FOLLOW_UP_VERB_FIRST.match(text[tail_start:end])
        offset = tail_start
        if match is None:
            word = OUTCOME.search(text, tail_start, min(end, tail_start + OUTCOME_WINDOW))
            if word is None:
                continue
            match = FOLLOW_UP.match(text[word.end():end])
            offset = word.end()
        if match is None:
            continue
        outcome = "killed" if match.group("kill") else "injured"
        value = parse_number(match.group("number"))
        if value is None or outcome == part.outcome:
            continue
        quantity = Quantity(
            start=offset + match.start("number"), end=offset + match.end(), text=match.group().strip(" ,"),
            count=value, count_max=None, noun=part.quantity.noun,
            estimated=part.quantity.estimated or "at least" in match.group().lower(),
            rule=f"quantities.follow_up/{RULE_VERSION}",
        )
        extra.append(_Part(quantity, outcome))
    return extra


def _figures(facts: VictimFacts, parts: list[_Part]) -> None:
    if not parts:
        return
    generic = [p for p in parts if p.quantity.sex is None]
    killed = _outcome_figure(parts, "killed")
    injured = _outcome_figure(parts, "injured")
    boys = _largest([p for p in parts if p.quantity.sex == "boys"])
    girls = _largest([p for p in parts if p.quantity.sex == "girls"])
    candidates: list[tuple[int, str, list[_Part]]] = []
    if generic:
        best = max(generic, key=lambda p: p.quantity.count)
        candidates.append((best.quantity.count, best.quantity.rule, [best]))
    if boys or girls:
        sexed = [p for p in (boys, girls) if p is not None]
        candidates.append((sum(p.quantity.count for p in sexed), _sum_rule(sexed, "boys_girls"), sexed))
    if killed and injured:
        both = killed + injured
        candidates.append((sum(p.quantity.count for p in both), _sum_rule(both, "killed_injured"), both))
    count, rule, used = max(candidates, key=lambda c: c[0])
    facts.count = count
    facts.rule = rule
    facts.estimated = any(p.quantity.estimated for p in used)
    facts.count_max = used[0].quantity.count_max if len(used) == 1 else None
    facts.quantity = (min(p.quantity.start for p in used), max(p.quantity.end for p in used))
    facts.killed = sum(p.quantity.count for p in killed) if killed else None
    facts.injured = sum(p.quantity.count for p in injured) if injured else None
    facts.boys = boys.quantity.count if boys else None
    facts.girls = girls.quantity.count if girls else None
    facts.estimated_parts = {
        "killed": any(p.quantity.estimated for p in killed),
        "injured": any(p.quantity.estimated for p in injured),
    }


def _outcome_figure(parts: list[_Part], outcome: str) -> list[_Part]:
    """The parts giving the figure of one outcome: the largest count of children, or boys and girls added
    when the text counts them apart ("killed five boys and three girls")."""
    of_outcome = [p for p in parts if p.outcome == outcome]
    if not of_outcome:
        return []
    generic = [p for p in of_outcome if p.quantity.sex is None]
    best_generic = max(generic, key=lambda p: p.quantity.count) if generic else None
    sexed = [p for p in (_largest([p for p in of_outcome if p.quantity.sex == s]) for s in ("boys", "girls")) if p]
    if best_generic and best_generic.quantity.count >= sum(p.quantity.count for p in sexed):
        return [best_generic]
    return sexed


def _largest(parts: list[_Part]) -> _Part | None:
    return max(parts, key=lambda p: p.quantity.count) if parts else None


def _sum_rule(parts: list[_Part], name: str) -> str:
    return f"victims.sum_{name}/{RULE_VERSION}" if len(parts) > 1 else parts[0].quantity.rule


def _ages(chunk: str, offset: int, facts: VictimFacts, quantities: Sequence[Quantity]) -> None:
    lows: list[int] = []
    highs: list[int] = []
    for match in [*AGE.finditer(chunk), *AGE_WORDS.finditer(chunk)]:
        age = parse_number(match.group("age"))
        if age is None:
            continue
        if match.group("unit").lower().startswith("month"):
            age = 0
        if age >= 18:
            continue
        lows.append(age)
        if match.group("plural"):
            facts.open_age = True  # "16-year-olds": 16 and older
        else:
            highs.append(age)
        facts.spans.append((offset + match.start(), offset + match.end()))
    for match in AGE_RANGE.finditer(chunk):
        low, high = parse_number(match.group("low")), parse_number(match.group("high"))
        if low is not None and high is not None and low <= high < 18:
            lows.append(low)
            highs.append(high)
            facts.spans.append((offset + match.start(), offset + match.end()))
    for match in AGE_SINGLE.finditer(chunk):
        age = int(match.group("age"))
        if age < 18:
            lows.append(age)
            highs.append(age)
    for match in AS_YOUNG_AS.finditer(chunk):
        age = parse_number(match.group("age"))
        if age is not None and age < 18:
            lows.append(age)
    if lows:
        facts.min_age = min(lows)
    if highs:
        facts.max_age = max(highs)
    under = UNDER.search(chunk)
    if under and facts.max_age is None and not facts.open_age:
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


# --- an allegation's victims --------------------------------------------------------------------------------


def combine_victims(text: str, facts: Sequence[VictimFacts], violation: str, role_spans: Sequence[Span] = ()) -> Any:
    """The ``records.Victims`` of an allegation from the facts of its sentences (largest figure wins)."""
    from caacwatch.records import TextSpan, Victims

    counted = [f for f in facts if f.count is not None]
    best = max(counted, key=lambda f: f.count or 0) if counted else None
    killing = violation == "killing_maiming"
    killed = _max_of(facts, "killed") if killing else None
    injured = _max_of(facts, "injured") if killing else None
    boys, girls = _max_of(facts, "boys"), _max_of(facts, "girls")
    count = best.count if best else None
    rule = best.rule if best else None
    estimated = best.estimated if best else False
    count_max = best.count_max if best else None
    quantity = best.quantity if best else None
    # Parts counted apart in different sentences are different children: the figure is at least their sum.
    for parts, name in (((boys, girls), "boys_girls"), ((killed, injured), "killed_injured")):
        total = sum(p or 0 for p in parts)
        if total and (count is None or total > count):
            count, count_max, quantity = total, None, None
            rule = f"victims.sum_{name}/{RULE_VERSION}"
            estimated = any(f.estimated for f in facts if f.count is not None)
    sex_unknown = None
    if count is not None:
        sex_unknown = max(0, count - (boys or 0) - (girls or 0))
    sexes = {f.sex for f in facts if f.sex != "unknown"}
    sex = sexes.pop() if len(sexes) == 1 else ("mixed" if sexes else "unknown")
    if sex in ("female", "male") and sex_unknown:
        sex = "unknown"  # "12 children, including five girls": the other seven may be boys or girls
    min_age, max_age = _age_range(facts)
    role, role_evidence = (None, None)
    if violation == "recruitment_use":
        role, evidence = recruitment_role(text, role_spans)
        role_evidence = TextSpan(text=text[evidence[0]:evidence[1]], span=evidence) if evidence else None
    spans = sorted({s for f in facts for s in f.spans})
    return Victims(
        count=count,
        count_max=count_max,
        estimated=estimated,
        quantity=TextSpan(text=text[quantity[0]:quantity[1]], span=quantity) if quantity else None,
        killed=killed,
        injured=injured,
        boys=boys,
        girls=girls,
        sex_unknown=sex_unknown,
        min_age=min_age,
        max_age=max_age,
        sex=sex,  # type: ignore[arg-type]
        role=role,  # type: ignore[arg-type]
        role_evidence=role_evidence,
        spans=spans,
        rule=rule,
    )


def _max_of(facts: Sequence[VictimFacts], name: str) -> int | None:
    values = [getattr(f, name) for f in facts if getattr(f, name) is not None]
    return max(values) if values else None


def _age_range(facts: Sequence[VictimFacts]) -> tuple[int | None, int | None]:
    lows = [f.min_age for f in facts if f.min_age is not None]
    highs = [f.max_age for f in facts if f.max_age is not None]
    min_age = min(lows) if lows else None
    max_age = max(highs) if highs else None
    open_lows = [f.min_age for f in facts if f.open_age and f.min_age is not None]
    # A group named by one age ("16-year-olds") reaches up to 17: an upper age below it says nothing more.
    if open_lows and (max_age is None or max(open_lows) >= max_age):
        max_age = None
    return min_age, max_age


# --- recruitment and use: the role ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleLexicon:
    combatant: re.Pattern[str]
    support: re.Pattern[str]
    modal: re.Pattern[str]


@cache
def role_lexicon() -> RoleLexicon:
    data = load_data_file("recruitment_roles.yaml")
    return RoleLexicon(compile_words(data["combatant"]), compile_words(data["support"]),
                       re.compile(r"(?i)(?<![\w])" + _fold(data["modal"])))


def _fold(pattern: str) -> str:
    from caacwatch.extract.lexicons import fold_alternation

    return fold_alternation(pattern)


def recruitment_role(text: str, spans: Sequence[Span]) -> tuple[str, Span | None]:
    """combatant / support / unknown, and the words that say so. A cue under a modal ("can be sent to the
    frontline") is what might happen, not what was done: no role. Combatant wins over support."""
    lexicon = role_lexicon()
    found: dict[str, Span] = {}
    for start, end in spans:
        for role, pattern in (("combatant", lexicon.combatant), ("support", lexicon.support)):
            if role in found:
                continue
            for match in pattern.finditer(text, start, end):
                before = text[max(start, match.start() - 40):match.start()]
                if lexicon.modal.search(before):
                    continue
                found[role] = match.span()
                break
    for role in ("combatant", "support"):
        if role in found:
            return role, found[role]
    return "unknown", None
