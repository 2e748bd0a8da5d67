"""Hedging and distancing markers ("alleged", "reportedly", "so-called", 'scare quotes').

The markers are data (``caacwatch/data/hedges.yaml``); this module compiles them once and finds them in a
span of a parsed ``Doc`` (where part-of-speech constraints such as "may the modal, not the month" can be
checked) or in a bare title string (no parse: :func:`headline_hedges`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from spacy.tokens import Doc

from caacwatch.errors import CaacError, E
from caacwatch.extract.lexicons import load_data_file
from caacwatch.records import TextSpan

Where = Literal["cue", "content", "any"]

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

    def rules_for(self, where: Where) -> Iterable[HedgeRule]:
        return (r for r in self.rules if r.where == "any" or where == "any" or r.where == where)


@cache
def hedge_lexicon() -> HedgeLexicon:
    data = load_data_file("hedges.yaml")
    try:
        rules = []
        for spec in data["hedges"]:
            where = spec.get("where", "any")
            if where not in ("cue", "content", "any"):
                raise ValueError(f"bad 'where' {where!r} for {spec['pattern']!r}")
            pattern = re.compile(rf"(?<![\w-])(?:{spec['pattern']})(?![\w-])", re.IGNORECASE)
            rules.append(HedgeRule(pattern, str(spec["category"]), where, spec.get("tag")))
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="hedges.yaml", reason=str(exc)) from exc
    return HedgeLexicon(tuple(rules), int(data["version"]))


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
        for rule in lex.rules_for(where):
            for match in rule.pattern.finditer(chunk):
                at = start + match.start()
                if rule.tag is not None and _tag_at(doc, at) != rule.tag:
                    continue
                found.append((at, start + match.end()))
    return _longest_first(found)


# A short quoted term: 'child soldiers', "liberated", ‘terrorists’ (at most four words, no sentence inside).
_SCARE_QUOTE = re.compile(
    r"(?:(?<![\w])'(?=\w)(?P<s>[^'\n.!?]{1,60}?)(?<=[\w.])'(?![\w])"
    r"|‘(?P<c>[^’\n.!?]{1,60}?)’(?![\w])"
    r"|“(?P<d>[^”\n.!?]{1,60}?)”"
    r'|(?<![\w])"(?P<q>[^"\n.!?]{1,60}?)")'
)


def scare_quotes(text: str, offset: int = 0, max_words: int = 4) -> list[tuple[int, int]]:
    """Spans (quote marks included) of quoted terms of at most ``max_words`` words."""
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
