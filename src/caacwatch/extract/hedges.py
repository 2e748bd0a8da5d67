"""Hedging and distancing markers ("alleged", "reportedly", "so-called", 'scare quotes').

The markers are data (``caacwatch/data/hedges.yaml``); this module compiles them once and finds them in a
span of a parsed ``Doc`` (where part-of-speech constraints such as "may the modal, not the month" can be
checked) or in a bare title string (no parse: :func:`headline_hedges`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from spacy.tokens import Doc

from caacwatch.errors import CaacError, E
from caacwatch.extract.lexicons import load_data_file
from caacwatch.records import TextSpan

Where = Literal["cue", "content", "any"]
WHERE: tuple[Where, ...] = ("cue", "content", "any")

# A hedge is a whole word or phrase: not inside a word, not part of a hyphenated compound.
_WORD_START = r"(?<![\w-])"
_WORD_END = r"(?![\w-])"

# Words before "May" that make it the month ("in May", "since May") in an unparsed title.
_MONTH_CONTEXT = re.compile(r"(?i)(?:in|on|since|of|until|by|last|next|early|late|mid|from|through)\s+$")


@dataclass(frozen=True)
class HedgeRule:
    pattern: re.Pattern[str]
    category: str
    where: Where
    tag: str | None


@dataclass(frozen=True)
class HedgeLexicon:
    rules: tuple[HedgeRule, ...]
    version: int = 1
    # Per ``where``: one regex that matches a text exactly when at least one of the rules for that ``where``
    # does (see :func:`_screens`). Most claim texts have no hedge at all, and one search rules them out
    # where a search per rule would cost ~30 times as much. Empty: no screening.
    screens: Mapping[str, re.Pattern[str]] = field(default_factory=dict, compare=False, repr=False)

    def rules_for(self, where: Where) -> Iterable[HedgeRule]:
        return (r for r in self.rules if r.where == "any" or where == "any" or r.where == where)

    def first_possible_match(self, text: str, where: Where) -> int | None:
        """Where the first match of any rule for ``where`` can start in ``text`` at the earliest; None when no
        rule matches anywhere in ``text``."""
        screen = self.screens.get(where)
        if screen is None:
            return 0
        found = screen.search(text)
        return None if found is None else found.start()


@cache
def hedge_lexicon() -> HedgeLexicon:
    data = load_data_file("hedges.yaml")
    try:
        rules = []
        sources = []
        for spec in data["hedges"]:
            where = spec.get("where", "any")
            if where not in WHERE:
                raise ValueError(f"bad 'where' {where!r} for {spec['pattern']!r}")
            pattern = re.compile(rf"{_WORD_START}(?:{spec['pattern']}){_WORD_END}", re.IGNORECASE)
            rules.append(HedgeRule(pattern, str(spec["category"]), where, spec.get("tag")))
            sources.append(str(spec["pattern"]))
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="hedges.yaml", reason=str(exc)) from exc
    return HedgeLexicon(tuple(rules), int(data["version"]), screens=_screens(rules, sources))


def _screens(rules: Sequence[HedgeRule], sources: Sequence[str]) -> dict[str, re.Pattern[str]]:
    r"""Per ``where``, the alternation of its rules' patterns inside a single pair of word boundaries.

    ``(?<![\w-])(?:A|B)(?![\w-])`` matches somewhere exactly when ``A`` or ``B`` (each with its own
    boundaries) does; sharing the boundaries makes the regex engine reject a position inside a word once,
    not once per rule. Patterns with groups are left unscreened: an alternation would renumber a
    backreference.
    """
    if any(rule.pattern.groups for rule in rules):
        return {}
    screens: dict[str, re.Pattern[str]] = {}
    for where in WHERE:
        chosen = [f"(?:{source})" for rule, source in zip(rules, sources, strict=True)
                  if rule.where == "any" or where == "any" or rule.where == where]
        if chosen:
            screens[where] = re.compile(rf"{_WORD_START}(?:{'|'.join(chosen)}){_WORD_END}", re.IGNORECASE)
    return screens


def _longest_first(found: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop matches inside a longer one ("were reported" wins over "reported"); keep text order."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(found), key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and start < kept[-1][1]:
            if end > kept[-1][1] and end - start > kept[-1][1] - kept[-1][0]:
                kept[-1] = (start, end)
            continue
        kept.append((start, end))
    return kept


def _tag_at(doc: Doc, char: int) -> str | None:
    span = doc.char_span(char, char + 1, alignment_mode="expand")
    return span[0].tag_ if span is not None and len(span) else None


def find_hedges_in_doc(
    doc: Doc,
    ranges: Sequence[tuple[int, int, Where]],
    lexicon: HedgeLexicon | None = None,
    *,
    text: str | None = None,
) -> list[tuple[int, int]]:
    """Char spans of hedge markers inside each ``(start, end, where)`` range of ``doc.text``.

    Pass ``text`` (= ``doc.text``) when calling in a loop: ``Doc.text`` rebuilds the string on every access.
    """
    lex = lexicon or hedge_lexicon()
    found: list[tuple[int, int]] = []
    text = doc.text if text is None else text
    for start, end, where in ranges:
        if end <= start:
            continue
        chunk = text[start:end]
        first = lex.first_possible_match(chunk, where)
        if first is None:
            continue
        for rule in lex.rules_for(where):
            # No rule matches before the screen's first match, so scanning from there finds the same matches
            # (a lookbehind still sees the text before ``first``).
            for match in rule.pattern.finditer(chunk, first):
                at = start + match.start()
                if rule.tag is not None and _tag_at(doc, at) != rule.tag:
                    continue
                found.append((at, start + match.end()))
    return _longest_first(found) if found else []


# A short quoted term: 'child soldiers', "liberated", ‘terrorists’ (at most four words, no sentence inside).
_SCARE_QUOTE = re.compile(
    r"(?:(?<![\w])'(?=\w)(?P<s>[^'\n.!?]{1,60}?)(?<=[\w.])'(?![\w])"
    r"|‘(?P<c>[^’\n.!?]{1,60}?)’(?![\w])"
    r"|“(?P<d>[^”\n.!?]{1,60}?)”"
    r'|(?<![\w])"(?P<q>[^"\n.!?]{1,60}?)")'
)


_QUOTE_MARK = re.compile("['‘“\"]")  # every alternative of _SCARE_QUOTE opens with one of these


def scare_quotes(text: str, offset: int = 0, max_words: int = 4) -> list[tuple[int, int]]:
    """Spans (quote marks included) of quoted terms of at most ``max_words`` words."""
    if not _QUOTE_MARK.search(text):
        return []  # a cheap test first: most texts quote nothing
    spans = []
    for match in _SCARE_QUOTE.finditer(text):
        inner = next(g for g in match.groups() if g is not None)
        if 1 <= len(inner.split()) <= max_words:
            spans.append((offset + match.start(), offset + match.end()))
    return spans


def headline_hedges(title: str, lexicon: HedgeLexicon | None = None) -> list[TextSpan]:
    """Hedges in a title: a question mark ("Russia Recruits Child Soldiers?"), hedge words, scare quotes.

    Titles are not parsed, so a rule restricted to a tag (the modal "may") is applied only where the word
    cannot be the month (not before a number, not after "in"/"since"/...).
    """
    lex = lexicon or hedge_lexicon()
    found: list[tuple[int, int]] = []
    for rule in lex.rules_for("any"):
        for match in rule.pattern.finditer(title):
            if rule.tag is not None and not _modal_in_title(title, match):
                continue
            found.append(match.span())
    found.extend(scare_quotes(title))
    found.extend((m.start(), m.end()) for m in re.finditer(r"\?", title))
    return [TextSpan(text=title[s:e], span=(s, e)) for s, e in _longest_first(found)]


def _modal_in_title(title: str, match: re.Match[str]) -> bool:
    after = title[match.end():].lstrip()
    if not after or after[0].isdigit():
        return False
    return match.start() > 0 and not _MONTH_CONTEXT.search(title[: match.start()])
