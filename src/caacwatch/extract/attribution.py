"""Attribution extraction: who says so, through which outlets, how hedged.

Input is the full-pipeline parse (tagger, parser, NER, lemmatizer) of a document; output is the public
``Claim`` records of ``caacwatch.records``. Rules are versioned (``attribution.<rule>/1``) and their words are
data (``reporting_verbs.yaml``, ``hedges.yaml``, ``outlets.yaml``, ``source_types.yaml``).

How a document is read:

1. **Units.** spaCy's sentences are split again at line breaks: the small English model often glues a
   headline or a caption to the next paragraph's first sentence, so no dependency arc is trusted across a
   line break. Headings (no final punctuation, or a title-case question) and units that overlap a
   ``skip_spans`` boilerplate line never yield claims.
2. **Cues.** In each unit: reporting verbs (lemma in ``reporting_verbs.yaml``; not adjectival "the said
   property"), "according to X", and passives ("It was reported that", "X is alleged to have", "X was
   quoted as saying").
3. **Source and content** come from the dependency tree (``nsubj``, ``ccomp``, the verb's content
   prepositions), with two surface fallbacks for what the small parser gets wrong: inversion
   ("..., claimed Ukrainian officials") and a noun phrase left of the verb when the subject arc is missing.
   Content that is mostly a quotation becomes a ``direct`` claim whose content is the quotation (which may
   run over several sentences); a later quotation with no speaker continues the previous direct claim.
4. **Relays.** "according to Y" in a unit that already has a speaker, "told CNN", "state media", "in a post
   on X" go into ``via`` of that claim instead of making a second claim.
5. **Resolution** in text order: he/she to the latest person source, they to the latest plural or group
   source, it to the latest group source, "the minister"/"the ministry" to the latest source whose name or
   role ends in that noun, a surname ("Denisova") or short name ("The Post") to the earlier full name.
   The role of the first mention is kept for later mentions of the same source.
6. **Unattributed** (the article's own voice): a unit that has no attributed claim yields one only if it
   asserts something, i.e. it has a finite verb with a subject (or is the root), at least four words and is
   not a question.

Stance precedence: a negated cue ("did not confirm") falls back to ``reports``; otherwise a call for an
investigation anywhere from the cue to the end of the unit ("..., claimed Ukrainian officials calling on
the UN to conduct a probe") wins over the verb's own stance (except denials), since that is what a monitor
needs to follow up.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from itertools import accumulate
from typing import Any, cast

import numpy as np
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc, Token

from caacwatch.errors import CaacError, E
from caacwatch.extract.hedges import (
    HedgeLexicon,
    Where,
    find_hedges_in_doc,
    headline_hedges,
    hedge_lexicon,
    scare_quotes,
)
from caacwatch.extract.lexicons import load_data_file
from caacwatch.records import Claim, ClaimKind, Source, SourceType, Stance, TextSpan

__all__ = ["AttributionLexicon", "VerbEntry", "extract_claims", "headline_hedges"]

RULE_VERSION = 1


def _rule(name: str) -> str:
    return f"attribution.{name}/{RULE_VERSION}"


# --- lexicon -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerbEntry:
    lemma: str
    stance: str
    strength: str
    needs: frozenset[str] = frozenset()
    preps: frozenset[str] = frozenset()
    addressee: bool = False


_GROUP_TYPES = frozenset({"government", "military", "un", "ngo", "organisation", "outlet", "armed_group"})


@dataclass(frozen=True)
class AttributionLexicon:
    """Compiled words of the attribution rules (load once with :meth:`default`)."""

    verbs: Mapping[str, VerbEntry]
    negated_stance: str
    investigation: re.Pattern[str]
    hedges: HedgeLexicon
    outlet_pattern: re.Pattern[str]
    outlet_names: Mapping[str, str]
    media_pattern: re.Pattern[str]
    documents: frozenset[str]
    platform_pattern: re.Pattern[str]
    platform_names: Mapping[str, str]
    type_name_pattern: re.Pattern[str]
    type_of_name: Mapping[str, str]
    type_words: Mapping[str, str]
    plural_groups: frozenset[str]
    passive_unnamed: frozenset[str] = frozenset()

    @classmethod
    def default(cls) -> AttributionLexicon:
        return _default_lexicon()

    def outlet_of(self, text: str) -> str | None:
        """Canonical outlet name when ``text`` is exactly an outlet alias ("the Daily Mail" -> "Daily Mail")."""
        key = text.strip()
        found = self.outlet_names.get(key) or self.outlet_names.get(_strip_article(key))
        return found

    def type_of_names_in(self, text: str) -> str | None:
        best: tuple[int, str] | None = None
        for match in self.type_name_pattern.finditer(text):
            kind = self.type_of_name.get(match.group(0))
            if kind and (best is None or len(match.group(0)) > best[0]):
                best = (len(match.group(0)), kind)
        return best[1] if best else None


def _alias_pattern(aliases: Iterable[str], *, ignore_case: bool = False) -> re.Pattern[str]:
    parts = [re.escape(a).replace(r"\ ", r"\s+") for a in sorted(set(aliases), key=len, reverse=True)]
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<![\w-])(?:{'|'.join(parts)})(?![\w-])", flags)


def _armed_group_aliases() -> list[str]:
    """Non-state parties of parties.yaml: their names make a source an ``armed_group``."""
    try:
        from caacwatch.extract.lexicons import party_lexicon

        parties = party_lexicon()
    except (CaacError, ImportError, KeyError):  # a broken parties file must not stop attribution
        return []
    return [
        alias
        for alias, party in parties.alias_to_party.items()
        if parties.parties[party].type == "non_state_armed_group" and not alias.islower()
    ]


def _load_verbs(data: dict) -> dict[str, VerbEntry]:
    verbs = {}
    for lemma, spec in data["verbs"].items():
        verbs[lemma] = VerbEntry(
            lemma=lemma,
            stance=str(spec["stance"]),
            strength=str(spec.get("strength", "neutral")),
            needs=frozenset(spec.get("needs", [])),
            preps=frozenset(spec.get("preps", [])),
            addressee=bool(spec.get("addressee", False)),
        )
    return verbs


@cache
def _default_lexicon() -> AttributionLexicon:
    verbs_data = load_data_file("reporting_verbs.yaml")
    outlets_data = load_data_file("outlets.yaml")
    types_data = load_data_file("source_types.yaml")
    try:
        verbs = _load_verbs(verbs_data)
        investigation = re.compile(re.sub(r"\s+", "", verbs_data["investigation"]), re.IGNORECASE)
        outlet_names: dict[str, str] = {}
        for canonical, aliases in outlets_data["outlets"].items():
            for alias in [canonical, *aliases]:
                outlet_names[alias] = canonical
        platform_names = {a: c for c, aliases in outlets_data["platforms"].items() for a in [c, *aliases]}
        type_of_name: dict[str, str] = {}
        for kind, names in types_data["names"].items():
            for name in names:
                type_of_name.setdefault(name, kind)
        for alias in _armed_group_aliases():
            type_of_name.setdefault(alias, "armed_group")
        type_words: dict[str, str] = {}
        for kind, words in types_data["words"].items():
            for word in words:
                type_words.setdefault(str(word).lower(), kind)
    except (KeyError, TypeError, AttributeError, re.error) as exc:
        raise CaacError(E.E202, path="reporting_verbs.yaml/outlets.yaml/source_types.yaml", reason=str(exc)) from exc
    return AttributionLexicon(
        verbs=verbs,
        negated_stance=str(verbs_data.get("negated_stance", "reports")),
        investigation=investigation,
        hedges=hedge_lexicon(),
        outlet_pattern=_alias_pattern(outlet_names),
        outlet_names=outlet_names,
        media_pattern=_alias_pattern(outlets_data["media"], ignore_case=True),
        documents=frozenset(str(d).lower() for d in outlets_data["documents"]),
        platform_pattern=re.compile(
            rf"\b(?:on|via)\s+(?P<p>{'|'.join(re.escape(p) for p in sorted(platform_names, key=len, reverse=True))})(?![\w-])"
        ),
        platform_names=platform_names,
        type_name_pattern=_alias_pattern(type_of_name),
        type_of_name=type_of_name,
        type_words=type_words,
        plural_groups=frozenset(str(w).lower() for w in types_data["plural_groups"]),
        passive_unnamed=frozenset(verbs_data.get("passive_unnamed", [])),
    )


# --- small text helpers ----------------------------------------------------------------------------------------

_ARTICLES = ("the ", "a ", "an ", "The ", "A ", "An ")
_QUOTE_CHARS = "\"'“”‘’"
_TRAIL = " \t\n,;:.!?—–-" + _QUOTE_CHARS
_LEAD = " \t\n,;:—–-" + _QUOTE_CHARS
_HONORIFICS = {"mr": "m", "mr.": "m", "mrs": "f", "mrs.": "f", "ms": "f", "ms.": "f", "miss": "f", "dr": None, "dr.": None}
_PERSONAL = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}
_PLURAL_PRONOUNS = {"they", "them", "we", "us", "their", "our"}
_OBJECT_PRONOUNS = {"it", "him", "her", "them", "us", "me", "this", "that", "these", "those"}
_TERMINAL = {".", "!", "?", ":", '"', "”", "’", "'", ")", "…"}
_FINITE = {"VBD", "VBZ", "VBP", "MD"}
_SUBJECTS = {"nsubj", "nsubjpass", "expl", "csubj"}
_NP_DROP = {"appos", "relcl", "acl", "advcl", "parataxis", "ccomp", "xcomp", "punct", "dep", "mark", "advmod"}
_NP_PUNCT_KEEP = {"-", "(", ")", "–", "&", "/", "."}
_NP_POS = {"DET", "ADJ", "NOUN", "PROPN", "NUM", "PART"}
_COMPLEMENTIZERS = {"that", "whether", "if", "why", "how", "what", "when", "where", "who"}


def _strip_article(text: str) -> str:
    for article in _ARTICLES:
        if text.startswith(article):
            return text[len(article):]
    return text


_OPENER = {"”": "“", "’": "‘", '"': '"', "'": "'"}


def _clean(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding spaces, punctuation and unbalanced quote marks."""
    while True:
        before = (start, end)
        while start < end and text[start] in _LEAD:
            start += 1
        while end > start and text[end - 1] in _TRAIL:
            closer = text[end - 1]
            if closer in _OPENER and _balanced_close(text[start:end - 1], closer):
                break  # 'the strike was "a grave violation"': keep the closing mark
            end -= 1
        if (start, end) == before:
            return start, end


def _balanced_close(inner: str, closer: str) -> bool:
    opener = _OPENER[closer]
    if opener == closer:
        return inner.count(closer) % 2 == 1
    return inner.count(opener) > inner.count(closer)


def _text_span(text: str, start: int, end: int) -> TextSpan:
    # Takes the text, not the Doc: Doc.text rebuilds the whole string on every access.
    return TextSpan(text=text[start:end], span=(start, end))


# --- the parse, read once per document ----------------------------------------------------------------------------


class _TokenTable:
    """What the token-by-token loops need from one parsed Doc, read once per document.

    Why: spaCy builds a new ``Token`` object on every ``doc[i]``, every step of ``token.children`` and every
    iteration over a ``Span``, and rebuilds ``Doc.text`` and ``Doc.ents`` on every access. The loops that visit
    every token of a document (units, headings, cues, "does this unit assert something") use this table
    instead: ``Doc.text`` and ``Doc.ents`` read once, one ``Doc.to_array`` of attribute IDs, plain lists, and
    token positions found with numpy on the ID columns (:meth:`positions`). The rules that run once per cue
    keep using ``Token`` objects (``table.doc[i]``): there are few of them. Every value equals the spaCy
    attribute it stands for (``idx[i] == doc[i].idx``, ``head[i] == doc[i].head.i``,
    ``word(i) == doc[i].text``, ...).
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.ids = doc.to_array(list(_TABLE_ATTRS))  # one row per token, one column per _TABLE_ATTRS entry
        # Doc.text is the tokens and their trailing spaces laid end to end, so Token.idx is a running sum.
        lengths = self._column("LENGTH").astype(np.int64)
        starts = np.zeros(len(doc), dtype=np.int64)
        np.cumsum((lengths + self._column("SPACY").astype(np.int64))[:-1], out=starts[1:])
        self.idx: list[int] = starts.tolist()
        self.length: list[int] = lengths.tolist()
        self.is_space: list[bool] = self._column("IS_SPACE").astype(bool).tolist()
        self.is_alpha: list[bool] = self._column("IS_ALPHA").astype(bool).tolist()
        self._children_cache: dict[str, dict[int, list[int]]] = {}

    def __len__(self) -> int:
        return len(self.idx)

    def _column(self, attr: str) -> Any:
        return self.ids[:, _TABLE_ATTRS[attr]]

    def word(self, i: int) -> str:
        """``doc[i].text``."""
        return self.text[self.idx[i]:self.idx[i] + self.length[i]]

    def end_char(self, i: int) -> int:
        """``doc[i].idx + len(doc[i].text)``."""
        return self.idx[i] + self.length[i]

    def text_of(self, start: int, end: int) -> str:
        """``doc[start:end].text``."""
        return self.text[self.idx[start]:self.end_char(end - 1)] if end > start else ""

    def positions(self, attr: str, values: Iterable[str]) -> list[int]:
        """Tokens whose ``attr`` (``"TAG"``, ``"DEP"``, ``"LOWER"``, ``"POS"``, ...) is one of ``values``, in text order.

        Compared as IDs, as spaCy's ``Matcher`` does: the StringStore maps a string to one ID and back.
        """
        to_id = POS_IDS.__getitem__ if attr == "POS" else self.doc.vocab.strings.as_int
        column = self._column(attr)
        found = np.zeros(len(self), dtype=bool)
        for value in values:  # a few values each time: cheaper than np.isin
            found |= column == to_id(value)
        return found.nonzero()[0].tolist()

    def strings_at(self, attr: str, positions: Sequence[int]) -> list[str]:
        """The ``attr`` strings (``"LEMMA"``, ...) of the tokens at ``positions``, each distinct ID looked up once."""
        ids = self._column(attr)[list(positions)].tolist()
        strings = self.doc.vocab.strings
        names = {id_: strings[id_] for id_ in set(ids)}
        return [names[id_] for id_ in ids]

    @cached_property
    def head(self) -> list[int]:
        # HEAD is stored relative to the token in an unsigned column: reinterpret it as signed.
        relative = self._column("HEAD").astype(np.int64)
        return (np.arange(len(self)) + relative).tolist()

    def heads_with_child(self, deps: Iterable[str]) -> set[int]:
        """Tokens with a child (in ``token.children``) whose dependency label is one of ``deps``."""
        head = self.head
        return {head[i] for i in self.positions("DEP", deps) if head[i] != i}

    def children_with_dep(self, i: int, dep: str) -> list[int]:
        """``[c.i for c in doc[i].children if c.dep_ == dep]``."""
        return self._children_by_dep(dep).get(i, [])

    def _children_by_dep(self, dep: str) -> dict[int, list[int]]:
        """Head -> its children (in text order) with dependency label ``dep``; built once per label."""
        if dep not in self._children_cache:
            children: dict[int, list[int]] = {}
            for i in self.positions("DEP", [dep]):
                if self.head[i] != i:  # token.children never includes the token itself
                    children.setdefault(self.head[i], []).append(i)
            self._children_cache[dep] = children
        return self._children_cache[dep]

    def sentences(self) -> list[tuple[int, int]]:
        """Token ranges of ``doc.sents``."""
        doc = self.doc
        if "sents" in doc.user_hooks or not doc.has_annotation("SENT_START") or not len(self):
            return [(sent.start, sent.end) for sent in doc.sents]  # spaCy's own hook (or its error)
        starts = (np.flatnonzero(self._column("SENT_START")[1:] == 1) + 1).tolist()
        return list(zip([0, *starts], [*starts, len(self)], strict=True))

    @cached_property
    def alpha_before(self) -> list[int]:
        """``alpha_before[i]``: how many of the tokens before token ``i`` are alphabetic (``len(doc) + 1`` entries),
        so that a range's count is one subtraction."""
        counts = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(self._column("IS_ALPHA").astype(np.int64), out=counts[1:])
        return counts.tolist()

    def line_breaks(self) -> list[int]:
        """Whitespace tokens that contain a line break, in text order."""
        spaces = np.flatnonzero(self._column("IS_SPACE")).tolist()
        return [i for i in spaces if "\n" in self.word(i)]

    @cached_property
    def ents(self) -> list[tuple[int, int, str]]:
        """``(start, end, label)`` of each of ``doc.ents``, in order."""
        return [(ent.start, ent.end, ent.label_) for ent in self.doc.ents]

    @cached_property
    def _ent_starts(self) -> list[int]:
        return [start for start, _, _ in self.ents]

    def ents_within(self, start: int, end: int) -> Iterator[tuple[int, int, str]]:
        """The entities of ``doc[start:end].ents``: those inside the range, up to the first that runs past it."""
        ents = self.ents
        for k in range(bisect_left(self._ent_starts, start), len(ents)):
            if ents[k][1] > end:
                return
            yield ents[k]


_TABLE_ATTRS = {name: k for k, name in enumerate(
    ["LENGTH", "SPACY", "IS_ALPHA", "IS_SPACE", "SENT_START", "LOWER", "LEMMA", "POS", "TAG", "DEP", "HEAD"]
)}


# --- units (sentences split at line breaks) ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    index: int
    start: int  # token index
    end: int  # token index, exclusive
    char_start: int
    char_end: int
    heading: bool
    skipped: bool

    def has(self, token: Token | int) -> bool:
        i = token if isinstance(token, int) else token.i
        return self.start <= i < self.end


def _is_heading(table: _TokenTable, start: int, end: int) -> bool:
    alpha = table.alpha_before
    if alpha[end] == alpha[start]:  # no word at all
        return True
    last = table.text[table.end_char(end - 1) - 1]  # "X." can be one token
    if last not in _TERMINAL:
        return True
    if last not in {"?", "!"}:
        return False  # only a title-case question or exclamation is a heading (checked on these few only)
    long_words = [table.word(i) for i in range(start, end) if table.is_alpha[i] and table.length[i] > 3]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.75


def _units(table: _TokenTable, skip_spans: Sequence[tuple[int, int]]) -> list[_Unit]:
    line_breaks = table.line_breaks()
    ranges: list[tuple[int, int]] = []
    for sent_start, sent_end in table.sentences():
        begin = sent_start
        for i in line_breaks[bisect_left(line_breaks, sent_start):bisect_left(line_breaks, sent_end)]:
            ranges.append((begin, i))
            begin = i + 1
        ranges.append((begin, sent_end))
    units: list[_Unit] = []
    is_space = table.is_space
    for start, end in ranges:
        while start < end and is_space[start]:
            start += 1
        while end > start and is_space[end - 1]:
            end -= 1
        if start >= end:
            continue
        c0, c1 = table.idx[start], table.end_char(end - 1)
        skipped = bool(skip_spans) and any(s < c1 and c0 < e for s, e in skip_spans)
        units.append(_Unit(len(units), start, end, c0, c1, _is_heading(table, start, end), skipped))
    return units


# --- quotations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quote:
    start: int  # inner text, quote marks excluded
    end: int
    words: int


def _pair_quotes(line: str, offset: int, opener: str, closer: str) -> Iterable[tuple[int, int]]:
    at = 0
    while True:
        open_at = line.find(opener, at)
        if open_at < 0:
            return
        close_at = line.find(closer, open_at + 1)
        if close_at < 0:  # a quotation running on into the next paragraph
            yield offset + open_at + 1, offset + len(line)
            return
        yield offset + open_at + 1, offset + close_at
        at = close_at + 1


_STRAIGHT_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–]))'(?=\w)(?P<inner>[^'\n]{1,400}?)(?<=[\w.,!?])'(?=[\s.,;:!?)\]—–]|$)")
_CURLY_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–]))‘(?P<inner>[^’\n]{1,400}?)’(?!\w)")


def _positions_of(char: str, line: str) -> list[int]:
    found = []
    at = line.find(char)
    while at >= 0:
        found.append(at)
        at = line.find(char, at + 1)
    return found


def _quotes_in_line(line: str, offset: int) -> list[tuple[int, int]]:
    spans = list(_pair_quotes(line, offset, "“", "”"))
    straight = _positions_of('"', line)
    for k in range(0, len(straight), 2):
        inner_start = straight[k] + 1
        inner_end = straight[k + 1] if k + 1 < len(straight) else len(line)
        spans.append((offset + inner_start, offset + inner_end))
    for mark, pattern in (("'", _STRAIGHT_SINGLE), ("‘", _CURLY_SINGLE)):
        if mark in line:  # a cheap test first: most lines have no single quotation mark
            spans.extend((offset + m.start("inner"), offset + m.end("inner")) for m in pattern.finditer(line))
    return spans


_QUOTE_MARK = re.compile("[“\"'‘]")  # every quotation _quotes_in_line finds opens with one of these


def _find_quotes(text: str) -> list[_Quote]:
    quotes = []
    for line in re.finditer(r"[^\n]+", text):
        if not _QUOTE_MARK.search(line.group()):
            continue  # a cheap test first: most lines quote nothing
        for start, end in _quotes_in_line(line.group(), line.start()):
            if end > start:
                quotes.append(_Quote(start, end, len(text[start:end].split())))
    return sorted(set(quotes), key=lambda q: (q.start, -q.end))


# --- mentions and noun phrases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    start: int  # token range of the mention as written
    end: int
    appos: tuple[int, int] | None = None


def _np_range(head: Token, unit: _Unit) -> tuple[int, int]:
    """Contiguous token range of the noun phrase headed by ``head``: modifiers, "of"/"in" phrases and
    coordination kept; appositions, relative and participial clauses left out (they are roles or more)."""
    keep = set()
    stack = [head]
    while stack:
        token = stack.pop()
        if not unit.has(token):
            continue
        keep.add(token.i)
        for child in token.children:
            if child.dep_ in _NP_DROP and not (child.dep_ == "punct" and child.text in _NP_PUNCT_KEEP):
                continue
            if child.dep_ == "prep" and any(g.dep_ == "pcomp" for g in child.children):
                continue  # "the league [of breaking rules]": a gerund clause is what is said, not who
            stack.append(child)
    start = end = head.i
    while start - 1 in keep:
        start -= 1
    while end + 1 in keep:
        end += 1
    return start, end + 1


def _trim_range(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Drop edge punctuation and a dangling trailing conjunction or preposition from a token range."""
    while start < end and (
        (doc[start].is_punct or doc[start].is_space) and doc[start].text != "(" or doc[start].pos_ in ("ADP", "CCONJ")
    ):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space or doc[end - 1].pos_ in ("CCONJ", "ADP")):
        if doc[end - 1].text == ")" and "(" in doc[start:end].text:
            break
        end -= 1
    return start, end


def _appos_of(head: Token, unit: _Unit) -> tuple[int, int] | None:
    for child in head.children:
        if child.dep_ == "appos" and unit.has(child) and child.i > head.i:
            start, end = _np_range(child, unit)
            return _trim_range(head.doc, start, end)
    return None


def _mention_for(head: Token, unit: _Unit) -> _Mention:
    if head.dep_ == "relcl" or head.lower_ in ("who", "which", "that"):
        head = head.head.head if head.lower_ in ("who", "which", "that") else head.head
    start, end = _trim_range(head.doc, *_np_range(head, unit))
    if start >= end:
        start, end = head.i, head.i + 1
    return _Mention(start, end, _appos_of(head, unit))


def _np_token(token: Token) -> bool:
    if token.pos_ in _NP_POS:
        return token.pos_ != "PART" or token.tag_ == "POS"
    return token.tag_ == "HYPH" or (token.pos_ == "ADP" and token.lower_ in ("of", "for", "on", "in"))


def _surface_np_right(doc: Doc, i: int, unit: _Unit) -> tuple[int, int] | None:
    """Noun phrase starting at token ``i`` read off the surface (for "..., claimed Ukrainian officials")."""
    end = i
    while end < unit.end and end - i < 12 and _np_token(doc[end]):
        end += 1
    start, end = _trim_range(doc, i, end)
    if start >= end or not any(t.pos_ in ("NOUN", "PROPN") for t in doc[start:end]):
        return None
    return start, end


def _surface_np_left(doc: Doc, i: int, unit: _Unit) -> tuple[int, int] | None:
    """Noun phrase ending just before token ``i`` (exclusive), read leftwards off the surface."""
    start = i
    while start > unit.start and i - start < 12 and _np_token(doc[start - 1]):
        start -= 1
    start, end = _trim_range(doc, start, i)
    if start >= end or not any(t.pos_ in ("NOUN", "PROPN") for t in doc[start:end]):
        return None
    if start > unit.start and doc[start - 1].pos_ in ("ADP", "VERB", "AUX"):
        return None  # "looks me in [the eye]": an object, not a subject
    return start, end


def _left_subject_fallback(doc: Doc, verb: Token, unit: _Unit) -> _Mention | None:
    """Subject of ``verb`` when the parser lost the arc: "Lyudmyla Denisova, the ... commissioner, has revealed"."""
    i = verb.i
    while i > unit.start and (doc[i - 1].pos_ in ("AUX", "ADV", "PART") or doc[i - 1].dep_ in ("aux", "neg")):
        i -= 1
    if i > unit.start and doc[i - 1].text == ",":
        appos_end = i - 1
        j = appos_end
        while j > unit.start and doc[j - 1].text != ",":
            j -= 1
        if j <= unit.start:
            return None
        appos = _trim_range(doc, j, appos_end)
        head = _surface_np_left(doc, j - 1, unit)
        if head is None or not appos[1] > appos[0] or doc[appos[0]].lower_ in ("who", "which"):
            return None
        return _Mention(head[0], head[1], appos)
    head = _surface_np_left(doc, i, unit)
    return _Mention(*head) if head else None


# --- candidates -------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    kind: str
    rule: str
    unit: _Unit
    content: tuple[int, int]  # chars
    cue: tuple[int, int] | None = None  # chars
    cue_token: int | None = None
    source: _Mention | None = None
    entry: VerbEntry | None = None
    negated: bool = False
    stance_region: tuple[int, int] | None = None
    via: list[str] = field(default_factory=list)
    claimed_tokens: tuple[int, int] | None = None  # tokens this claim owns besides its content (inversion tail)
    resolved: Source | None = None
    nested: bool = False


def _governs(verb: Token, words: frozenset[str]) -> bool:
    for child in verb.children:
        if child.lower_ in words:
            return True
        if child.dep_ in ("ccomp", "advcl", "xcomp") and any(g.lower_ in words and g.dep_ == "mark" for g in child.children):
            return True
        if child.dep_ == "ccomp" and "that" in words:
            return True  # "said [that] X": the complementizer is optional
    return False


def _is_cue(token: Token, lex: AttributionLexicon) -> VerbEntry | None:
    entry = lex.verbs.get(token.lemma_.lower())
    if entry is None or token.pos_ != "VERB":
        return None
    if token.dep_ in ("amod", "compound", "nmod", "npadvmod") or (token.dep_ == "acl" and token.tag_ == "VBN"):
        return None  # "the said property", "a report released on Monday"
    if entry.needs and not _governs(token, entry.needs) and not any(c.dep_ == "agent" for c in token.children):
        return None  # ("has been called 'the rape capital' by the UN envoy" is attribution all the same)
    return entry


def _negated(token: Token) -> bool:
    if any(c.dep_ == "neg" for c in token.children):
        return True
    head = token.head  # "refused to confirm", "declined to deny"
    return token.dep_ == "xcomp" and head.lemma_ in ("refuse", "decline", "fail")


def _subtree_range(token: Token, unit: _Unit) -> tuple[int, int]:
    left = max(token.left_edge.i, unit.start)
    right = min(token.right_edge.i + 1, unit.end)
    return left, right


def _char_range(table: _TokenTable, start: int, end: int) -> tuple[int, int]:
    if end <= start:
        return table.idx[start], table.idx[start]
    return table.idx[start], table.end_char(end - 1)


def _right_content(
    verb: Token, entry: VerbEntry, unit: _Unit, exclude: tuple[int, int] | None, verbs: Mapping[str, VerbEntry]
) -> tuple[int, int] | None:
    """Token range of what ``verb`` reports, to its right: the ccomp; else xcomp; else object and content
    prepositions ("accused Kremlin of recruiting ...")."""
    children = [c for c in verb.children if c.i > verb.i and unit.has(c)]
    if exclude:
        children = [c for c in children if not exclude[0] <= c.i < exclude[1]]
    chosen = [c for c in children if c.dep_ == "ccomp"]
    if not chosen:
        chosen = [c for c in children if c.dep_ in ("xcomp", "oprd")]
        objects = [c for c in children if c.dep_ in ("dobj", "dative", "attr") and not entry.addressee]
        preps = [c for c in children if c.dep_ == "prep" and c.lower_ in entry.preps]
        chosen = objects + chosen + preps
        if entry.addressee:  # "told him to leave": the infinitive, not the addressee
            chosen = [c for c in children if c.dep_ in ("xcomp", "ccomp")]
    if not chosen:
        return None
    ranges = [_subtree_range(c, unit) for c in chosen]
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    end = _cut_coordinated_cue(verb.doc, chosen, start, end, verbs)
    return _skip_mark(verb.doc, start, end), _extend_dangling(verb, unit, end)


def _skip_mark(doc: Doc, start: int, end: int) -> int:
    while start < end - 1 and doc[start].dep_ == "mark" and doc[start].lower_ == "that":
        start += 1  # the complementizer is not part of what was said
    return start


def _cut_coordinated_cue(doc: Doc, chosen: Sequence[Token], start: int, end: int, verbs: Mapping[str, VerbEntry]) -> int:
    """"said the bridge was safe [and denied that ...]": the parser hangs the second reporting verb on the
    reported clause; it is the speaker's, so the first content ends before it."""
    for head in chosen:
        for child in head.children:
            if child.dep_ == "conj" and child.lemma_.lower() in verbs and start < child.i < end:
                cut = child.left_edge.i
                while cut > start and doc[cut - 1].dep_ in ("cc", "punct"):
                    cut -= 1
                end = min(end, cut)
    return end


def _extend_dangling(verb: Token, unit: _Unit, end: int) -> int:
    """Content ending in a bare function word ("... for the army as") lost its clause to a wrong arc: take in
    the verb's next dependent, which starts right there."""
    doc = verb.doc
    last = doc[end - 1]
    if last.pos_ not in ("ADP", "SCONJ", "CCONJ") or any(True for _ in last.children):
        return end
    for child in verb.children:
        if child.i >= end and child.left_edge.i == end and child.dep_ not in ("punct", "cc"):
            return min(child.right_edge.i + 1, unit.end)
    return end


def _preceded_by_comma(doc: Doc, i: int, unit: _Unit) -> int | None:
    """Index of the comma (possibly followed by a closing quote) just before token ``i``."""
    j = i - 1
    if j >= unit.start and doc[j].text in _QUOTE_CHARS:
        j -= 1
    if j >= unit.start and doc[j].text in (",", "—", "–", ":"):
        return j
    if j >= unit.start and doc[j].text in ("”", '"', "’", "'"):
        return j
    if i - 1 >= unit.start and doc[i - 1].text in ("”", '"', "’", "'") and i - 2 >= unit.start and doc[i - 2].text in ".!?,":
        return i - 1
    return None


def _left_content(doc: Doc, boundary: int, unit: _Unit) -> tuple[int, int] | None:
    """Text of the unit before the comma at ``boundary``: "The attack killed five, police said."."""
    if boundary - unit.start < 2:
        return None
    return unit.start, boundary


def _inversion_source(doc: Doc, verb: Token, unit: _Unit) -> _Mention | None:
    """"..., said the minister" / "..., claimed Ukrainian officials calling on ...": the subject after the verb."""
    if verb.tag_ not in ("VBD", "VBZ", "VBP") or verb.i + 1 >= unit.end:
        return None
    if any(c.dep_ in _SUBJECTS and c.i < verb.i and unit.has(c) for c in verb.children):
        return None
    nxt = doc[verb.i + 1]
    if nxt.lower_ in _OBJECT_PRONOUNS or nxt.lower_ in _COMPLEMENTIZERS or nxt.pos_ not in _NP_POS | {"PRON"}:
        return None
    for child in verb.children:
        if child.dep_ == "nsubj" and child.i > verb.i and unit.has(child):
            start, end = _trim_range(doc, *_np_range(child, unit))
            if start == verb.i + 1:
                return _Mention(start, end, _appos_of(child, unit))
    if nxt.pos_ == "PRON" and nxt.lower_ in _PERSONAL | dict.fromkeys(_PLURAL_PRONOUNS):
        return _Mention(nxt.i, nxt.i + 1)
    found = _surface_np_right(doc, verb.i + 1, unit)
    if found is None:
        return None
    head = doc[found[1] - 1]
    if head.dep_ in ("dobj", "dative") and head.head.i == verb.i:
        return None  # "..., blamed Israel for it": an object, not an inverted subject
    appos = None
    if found[1] + 1 < unit.end and doc[found[1]].text == "," and doc[found[1] + 1].pos_ == "PROPN":
        appos = _surface_np_right(doc, found[1] + 1, unit)
    return _Mention(found[0], found[1], appos)


def _subject_token(verb: Token, unit: _Unit, verbs: Mapping[str, VerbEntry], hops: int = 0) -> Token | None:
    for child in verb.children:
        if child.dep_ in ("nsubj", "csubj") and unit.has(child):
            return child
    head = verb.head
    if verb.dep_ == "conj" and head.dep_ == "ccomp" and head.head.lemma_.lower() in verbs and unit.has(head.head):
        return _subject_token(head.head, unit, verbs, hops + 1)  # see _cut_coordinated_cue
    if hops < 3 and unit.has(verb.head) and verb.head.i != verb.i:
        if verb.dep_ == "acl" and verb.head.pos_ in ("NOUN", "PROPN"):
            return verb.head  # "officials, saying that ..."
        if verb.dep_ in ("conj", "advcl", "xcomp"):
            return _subject_token(verb.head, unit, verbs, hops + 1)
    return None


def _is_passive(verb: Token) -> bool:
    return any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)


def _agent(verb: Token, unit: _Unit) -> _Mention | None:
    for child in verb.children:
        if child.dep_ == "agent" and unit.has(child):
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    return _mention_for(pobj, unit)
    return None


# Nouns for people by their ending: forecaster, investigator, analyst, physician, assistant, resident, spokesman.
_AGENT_NOUN = re.compile(r"(?:er|or|ist|ian|ant|ent|man|woman|men|women|people|one|body|ee|ive|ary|ic)$")


class _CueReader:
    """Builds candidates for one unit; shared state is the Doc (and its table), the quotes and the lexicon."""

    def __init__(self, table: _TokenTable, quotes: Sequence[_Quote], lex: AttributionLexicon) -> None:
        self.table = table
        self.doc = table.doc
        self.quotes = quotes
        self.lex = lex

    # reporting verbs ------------------------------------------------------------------------------------------

    def verb_candidate(self, verb: Token, entry: VerbEntry, unit: _Unit, prev: _Unit | None, nxt: _Unit | None) -> _Candidate | None:
        doc = self.doc
        cue = (verb.idx, verb.idx + len(verb.text))
        negated = _negated(verb)
        if verb.lemma_ == "quote" and _is_passive(verb):
            return self._quoted_as_saying(verb, entry, unit)
        comma = _preceded_by_comma(doc, verb.i, unit)
        inverted = _inversion_source(doc, verb, unit) if comma is not None else None
        if inverted is not None and comma is not None:
            before = _left_content(doc, comma, unit)
            if before is None:
                return None
            return _Candidate(
                kind="indirect", rule=_rule("inversion"), unit=unit, content=_char_range(self.table, *before), cue=cue,
                cue_token=verb.i, source=inverted, entry=entry, negated=negated,
                stance_region=(cue[0], unit.char_end), claimed_tokens=(verb.i, unit.end),
            )
        if _is_passive(verb):
            return self._passive(verb, entry, unit, cue, negated)
        subject = _subject_token(verb, unit, self.lex.verbs)
        rule = "indirect_nsubj_ccomp"
        via: list[str] = []
        if subject is not None:  # "A statement from the military said": the military, via the statement
            author = self._unwrap_document(subject, unit)
            if author is not subject:
                via.append(subject.lemma_.lower())
                subject = author
        if subject is not None and not self._can_speak(subject):
            return None  # "These arrests indicate that ...", "All told, ..."
        source = _mention_for(subject, unit) if subject is not None else None
        if source is None:
            source = _left_subject_fallback(doc, verb, unit)
            rule = "indirect_surface_subject"
        if source is None:
            return None
        content_tokens = _right_content(verb, entry, unit, (source.start, source.end), self.lex.verbs)
        content: tuple[int, int] | None = _char_range(self.table, *content_tokens) if content_tokens else None
        if content is None:
            boundary = _preceded_by_comma(doc, source.start, unit) if source.start < verb.i else None
            left = _left_content(doc, boundary, unit) if boundary is not None else None
            if left is not None:
                content, rule = _char_range(self.table, *left), "indirect_postposed"
        if content is None:
            content = self._adjacent_quote(verb, unit, prev, nxt)
        if content is None:
            return None
        return _Candidate(
            kind="indirect", rule=_rule(rule), unit=unit, content=content, cue=cue, cue_token=verb.i,
            source=source, entry=entry, negated=negated, stance_region=(cue[0], unit.char_end), via=via,
        )

    def _adjacent_quote(self, verb: Token, unit: _Unit, prev: _Unit | None, nxt: _Unit | None) -> tuple[int, int] | None:
        """`"...." He said.` (quote in the unit before) or `He said:` + a quotation in the next unit."""
        rest = self.doc[verb.i + 1:unit.end]
        if nxt is not None and rest.text.strip().startswith(":") or (nxt is not None and rest.text.strip() == ":"):
            for quote in self.quotes:
                if nxt.char_start <= quote.start < nxt.char_end:
                    return quote.start, quote.end
        if prev is not None and unit.end - unit.start <= 8:
            inside = [q for q in self.quotes if q.start >= prev.char_start and q.end <= prev.char_end + 1]
            if inside and sum(q.end - q.start for q in inside) >= 0.6 * (prev.char_end - prev.char_start):
                return inside[0].start, inside[-1].end
        return None

    def _quoted_as_saying(self, verb: Token, entry: VerbEntry, unit: _Unit) -> _Candidate | None:
        """"X was quoted as saying that ...": X is the speaker, the content is what "saying" governs."""
        subject = next((c for c in verb.children if c.dep_ == "nsubjpass" and unit.has(c)), None)
        saying = next((g for c in verb.children if c.lower_ == "as" for g in c.children if g.lemma_ == "say"), None)
        if subject is None or saying is None:
            return None
        say_entry = self.lex.verbs.get("say", entry)
        said = _right_content(saying, say_entry, unit, None, self.lex.verbs)
        if said is None:
            return None
        return _Candidate(
            kind="indirect", rule=_rule("quoted_as_saying"), unit=unit, content=_char_range(self.table, *said),
            cue=(verb.idx, saying.idx + len(saying.text)), cue_token=verb.i, source=_mention_for(subject, unit),
            entry=say_entry, stance_region=(verb.idx, unit.char_end),
        )

    def _passive(self, verb: Token, entry: VerbEntry, unit: _Unit, cue: tuple[int, int], negated: bool) -> _Candidate | None:
        """"It was reported that ...", "X is alleged to have ...", "X was accused by Y of ..."."""
        doc = self.doc
        agent = _agent(verb, unit)
        ccomp = next((c for c in verb.children if c.dep_ == "ccomp" and c.i > verb.i and unit.has(c)), None)
        subject = next((c for c in verb.children if c.dep_ == "nsubjpass" and unit.has(c)), None)
        if ccomp is not None:
            content = _subtree_range(ccomp, unit)
            content = (_skip_mark(doc, *content), content[1])
        elif subject is not None and subject.lower_ != "it":
            start = _subtree_range(subject, unit)[0]
            content = (start, _subtree_range(verb, unit)[1])
        elif agent is not None:
            content = (unit.start, unit.end)
        else:
            return None
        if agent is None and verb.lemma_.lower() not in self.lex.passive_unnamed:
            return None  # "The video could not be verified" is the article's voice, not a report
        if agent is not None:  # keep the agent ("by the FBI") out of the content when it ends it
            content = (content[0], min(content[1], agent.start - 1)) if agent.start > content[0] else content
        return _Candidate(
            kind="indirect", rule=_rule("passive"), unit=unit, content=_char_range(self.table, *content), cue=cue,
            cue_token=verb.i, source=agent, entry=entry, negated=negated, stance_region=(cue[0], unit.char_end),
        )

    # "according to" ------------------------------------------------------------------------------------------

    def according_to(self, token: Token, unit: _Unit) -> tuple[_Mention, tuple[int, int]] | None:
        """Target of "according to X" and the token range of the whole phrase; None for "according to plan"."""
        doc = self.doc
        if token.i + 2 >= unit.end or doc[token.i + 1].lower_ != "to":
            return None
        to = doc[token.i + 1]
        pobj = next((c for c in to.children if c.dep_ == "pobj" and unit.has(c)), None)
        if pobj is None:
            found = _surface_np_right(doc, token.i + 2, unit)
            if found is None:
                return None
            pobj = doc[found[1] - 1]
        if not self._source_like(pobj):
            return None
        inner = self._unwrap_document(pobj, unit)
        mention = _mention_for(inner, unit)
        phrase_end = max(_subtree_range(pobj, unit)[1], mention.end)
        return mention, (token.i, phrase_end)

    def _can_speak(self, token: Token) -> bool:
        """A subject that can be a source: a name, a pronoun, a known source word, a document, or a noun for a
        person ("forecasters", "analysts", "lawyer": agent suffixes) -- not "these arrests", "the second"."""
        if token.lower_ in ("who", "which", "that") or self._source_like(token):
            return True
        if any(c.dep_ in ("compound", "poss", "amod", "nmod") and self._source_like(c) for c in token.children):
            return True  # "Israel's Magen David Adom emergency service": a named body
        lemma = token.lemma_.lower()
        return token.pos_ == "NOUN" and bool(_AGENT_NOUN.search(lemma))

    def _source_like(self, token: Token) -> bool:
        lemma = token.lemma_.lower()
        return (
            token.pos_ in ("PROPN", "PRON")
            or token.ent_type_ in ("PERSON", "ORG", "GPE", "NORP")
            or lemma in self.lex.type_words
            or lemma in self.lex.documents
            or lemma in ("source", "figure", "data", "estimate", "statistic", "tally", "toll", "record", "report")
            or bool(self.lex.media_pattern.search(token.text))
        )

    def _unwrap_document(self, token: Token, unit: _Unit) -> Token:
        """"a report by Amnesty" / "figures from the ministry" / "the ministry's statement" -> the author."""
        lemma = token.lemma_.lower()
        if lemma not in self.lex.documents and lemma not in ("figure", "data", "estimate", "statistic", "tally", "toll"):
            return token
        for child in token.children:
            if child.dep_ == "prep" and child.lower_ in ("by", "from", "of") and unit.has(child):
                pobj = next((g for g in child.children if g.dep_ == "pobj"), None)
                if pobj is not None and self._source_like(pobj) and pobj.lemma_.lower() not in self.lex.documents:
                    return pobj
            if child.dep_ == "poss" and unit.has(child) and child.pos_ != "PRON":
                return child
        return token


# --- source naming, typing and resolution -----------------------------------------------------------------------


@dataclass
class _Entity:
    name: str
    role: str | None
    type: str
    person: bool
    plural: bool
    gender: str | None
    name_keys: tuple[str, ...]
    role_keys: frozenset[str]


_TITLE_WORDS = {"minister", "president", "secretary", "general", "commissioner", "spokesman", "spokeswoman",
                "spokesperson", "governor", "mayor", "senator", "ambassador", "chief", "director", "prime",
                "colonel", "captain", "major", "lieutenant", "sergeant", "judge", "prosecutor", "envoy", "king",
                "queen", "prince", "leader", "rep", "sen", "gov", "gen", "col", "capt", "lt", "sgt", "pope"}


def _person_ent(table: _TokenTable, start: int, end: int) -> tuple[int, int] | None:
    best = None
    for ent_start, ent_end, label in table.ents_within(start, end):
        if label == "PERSON" and ent_start >= start and ent_end <= end:
            best = (ent_start, ent_end)
    return best


def _split_title(table: _TokenTable, start: int, end: int) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """("Foreign Minister Sergey Lavrov") -> name range, role range ("UNICEF spokesperson James Elder")."""
    doc = table.doc
    person = _person_ent(table, start, end)
    if person is not None and person[1] == end and person[0] > start and doc[person[0] - 1].pos_ != "ADP":
        name_start = person[0]
        # NER sometimes swallows the title ("Minister Sergey Lavrov"): move title words out of the name
        while name_start < end - 1 and doc[name_start].lower_ in _TITLE_WORDS:
            name_start += 1
        return (name_start, end), (start, name_start)
    run = end
    while run > start and doc[run - 1].pos_ == "PROPN":
        run -= 1
    title_at = None
    for i in range(start, end - 1):
        lemma = doc[i].lemma_.lower()
        if doc[i].lower_ in _TITLE_WORDS or (lemma in _TITLE_WORDS or (doc[i].pos_ == "NOUN" and lemma in _ROLE_NOUNS)):
            title_at = i
    if title_at is not None and title_at + 1 >= run and end - (title_at + 1) >= 1 and all(
        t.pos_ == "PROPN" for t in doc[title_at + 1:end]
    ):
        return (title_at + 1, end), (start, title_at + 1)
    return (start, end), None


_ROLE_NOUNS = {"spokesman", "spokeswoman", "spokesperson", "official", "minister", "commissioner", "director",
               "chief", "head", "editor", "researcher", "commander", "governor", "mayor", "envoy", "ambassador",
               "secretary", "president", "analyst", "expert", "lawyer", "doctor", "nurse", "teacher", "father",
               "mother", "prosecutor", "coordinator", "representative", "adviser", "advisor", "aide"}


def _role_like(doc: Doc, start: int, end: int) -> bool:
    """A role names something ("spokesperson", "the editor of ..."): not "33", "Most", "and with a sigh"."""
    if end <= start or doc[start].pos_ in ("CCONJ", "ADP", "SCONJ"):
        return False
    return doc[start:end].root.pos_ in ("NOUN", "PROPN") and any(t.is_alpha for t in doc[start:end])


def _text_of(table: _TokenTable, start: int, end: int) -> str:
    return table.text_of(start, end)


@dataclass(frozen=True)
class _Named:
    name: str
    role: str | None
    name_range: tuple[int, int]
    gender: str | None


def _name_and_role(table: _TokenTable, mention: _Mention) -> _Named:
    doc = table.doc
    start, end = mention.start, mention.end
    role_text: str | None = None
    if mention.appos is not None:
        a0, a1 = mention.appos
        appos_is_name = doc[a0:a1].root.pos_ == "PROPN" and _person_ent(table, a0, a1) is not None
        head_is_name = _person_ent(table, start, end) is not None or doc[start:end].root.pos_ == "PROPN"
        if appos_is_name and not head_is_name:  # "the chief executive, John Smith"
            role_text = _text_of(table, start, end)
            start, end = a0, a1
        elif _role_like(doc, a0, a1):  # "Lyudmyla Denisova, the Ukrainian parliament commissioner on human rights"
            role_text = _text_of(table, a0, a1)
    person = _person_ent(table, start, end)
    if person is not None and person[0] == start and person[1] < end and doc[person[1]].pos_ == "ADP":
        if role_text is None and _role_like(doc, person[1] + 1, end):  # "Tirana Hassan of Human Rights Watch"
            role_text = _text_of(table, person[1] + 1, end)
        end = person[1]
    (n0, n1), title = _split_title(table, start, end)
    gender = None
    if title is not None:
        t0, t1 = title
        while t0 < t1 and (doc[t0].pos_ == "DET" or doc[t0].lower_ in _HONORIFICS):
            gender = _HONORIFICS.get(doc[t0].lower_, gender)
            t0 += 1
        if role_text is None and _role_like(doc, t0, t1):
            role_text = _text_of(table, t0, t1)
    if n1 - n0 > 1 and doc[n0].lower_ in _HONORIFICS:
        gender = _HONORIFICS[doc[n0].lower_]
        n0 += 1
    while n0 < n1 - 1 and doc[n0].pos_ == "DET":
        n0 += 1
    name = _strip_article(_text_of(table, n0, n1))
    return _Named(name=name, role=role_text, name_range=(n0, n1), gender=gender)


def _word_type(doc: Doc, start: int, end: int, lex: AttributionLexicon) -> str | None:
    """Type from the nouns of a range, head (rightmost noun) first: "aid agencies" -> ngo."""
    tokens = [t for t in doc[start:end] if t.pos_ in ("NOUN", "PROPN", "ADJ")]
    for k in range(len(tokens) - 1, -1, -1):
        lemma = tokens[k].lemma_.lower()
        if k > 0:
            pair = f"{tokens[k - 1].lemma_.lower()} {lemma}"
            if pair in lex.type_words:
                return lex.type_words[pair]
        if lemma in lex.type_words:
            return lex.type_words[lemma]
        if tokens[k].lower_ in lex.type_words:
            return lex.type_words[tokens[k].lower_]
    return None


def _source_type(table: _TokenTable, named: _Named, mention: _Mention, lex: AttributionLexicon) -> str:
    doc = table.doc
    start, end = named.name_range
    text = named.name
    if lex.outlet_of(text) or lex.media_pattern.fullmatch(text.strip()):
        return "outlet"
    by_name = lex.type_of_names_in(text)
    if by_name:
        return by_name
    if start > mention.start:  # a title before the name: "marketing company Doubleclick"
        by_title = _word_type(doc, mention.start, start, lex)
        if by_title in _GROUP_TYPES:
            return by_title
    if named.role:
        by_role = lex.type_of_names_in(named.role)
        if by_role:
            return by_role
        head_part = re.split(r"\s+(?:of|at|with|for|from|in|on|to|under)\s+", named.role, maxsplit=1)[0]
        role_type = _word_type_text(head_part, lex)  # "a professor at the LSE": the professor, not the school
        if role_type:
            return "official" if role_type == "government" else role_type
    person = _person_ent(table, start, end)
    if person is not None and person[1] == end:
        return "person"
    by_word = _word_type(doc, start, end, lex)
    if by_word:
        return by_word
    labels = {t.ent_type_ for t in doc[start:end]}
    if "ORG" in labels:
        return "organisation"
    if "GPE" in labels and all(t.pos_ == "PROPN" for t in doc[start:end]):
        return "government"
    return "unknown"


def _word_type_text(text: str, lex: AttributionLexicon) -> str | None:
    words = re.findall(r"[\w-]+", text.lower())
    for k in range(len(words) - 1, -1, -1):
        for candidate in (f"{words[k - 1]} {words[k]}" if k else "", words[k], words[k].rstrip("s")):
            if candidate and candidate in lex.type_words:
                return lex.type_words[candidate]
    return None


def _is_plural(doc: Doc, mention: _Mention, kind: str, lex: AttributionLexicon) -> bool:
    tokens = doc[mention.start:mention.end]
    head = tokens.root
    if head.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in head.children):
        return True
    return kind in _GROUP_TYPES and kind != "person" or head.lemma_.lower() in lex.plural_groups


class _Resolver:
    """Names sources in text order, resolving pronouns, short names and "the minister" to earlier sources."""

    def __init__(self, table: _TokenTable, lex: AttributionLexicon) -> None:
        self.table = table
        self.doc = table.doc
        self.lex = lex
        self.entities: list[_Entity] = []

    def resolve(self, mention: _Mention) -> Source:
        doc = self.doc
        tokens = doc[mention.start:mention.end]
        text = self.table.text_of(mention.start, mention.end)
        span = _char_range(self.table, mention.start, mention.end)
        first = tokens[0]
        if len(tokens) == 1 and first.pos_ == "PRON":
            entity = self._pronoun(first)
            if entity is not None:
                return self._source(text, span, entity, entity.role, resolved_from=text)
            return Source(text=text, span=span, name=text, type="unknown")
        if first.tag_ == "PRP$" and len(tokens) > 1:
            return self._possessive(mention, text, span)
        named = _name_and_role(self.table, mention)
        kind = _source_type(self.table, named, mention, self.lex)
        outlet = self.lex.outlet_of(named.name)
        if outlet:  # "the Daily Mail", "Washington Post" -> the canonical outlet name
            named = replace(named, name=outlet)
        earlier = self._earlier(doc, mention, named)
        if earlier is not None:
            return self._source(text, span, earlier, named.role or earlier.role, resolved_from=text)
        entity = self._register(named, kind, mention)
        return self._source(text, span, entity, named.role, resolved_from=None)

    def _earlier_person_ent(self, surname: Token) -> _Entity | None:
        """"Haley said" after "Nikki Haley" was named (not as a source): the full name seen earlier."""
        full_name = self._first_full_names.get(surname.text)
        if full_name is None or full_name[0] >= surname.i:
            return None
        start, end = full_name
        named = _Named(self.table.text_of(start, end), None, (start, end), None)
        return self._register(named, "person", _Mention(start, end))

    @cached_property
    def _first_full_names(self) -> dict[str, tuple[int, int]]:
        """Last word -> the first PERSON entity of two or more tokens ending in it (token range)."""
        first: dict[str, tuple[int, int]] = {}
        for start, end, label in self.table.ents:
            if label == "PERSON" and end - start >= 2:
                first.setdefault(self.table.word(end - 1), (start, end))
        return first

    def register_outlet(self, name: str) -> None:
        if not any(e.name == name for e in self.entities):
            self.entities.append(_Entity(name, None, "outlet", False, True, None, tuple(name.lower().split()), frozenset()))

    # ---------------------------------------------------------------------------------------------------------

    def _source(self, text: str, span: tuple[int, int], entity: _Entity, role: str | None, *, resolved_from: str | None) -> Source:
        self._touch(entity)
        kind = cast(SourceType, entity.type)
        return Source(text=text, span=span, name=entity.name, type=kind, role=role, resolved_from=resolved_from)

    def _touch(self, entity: _Entity) -> None:
        """Most recent mention last: pronouns look for the latest compatible source."""
        # By identity, which here is the same as list.remove's equality (names are unique among entities)
        # without calling the dataclass __eq__ on every entity before it.
        self.entities = [e for e in self.entities if e is not entity]
        self.entities.append(entity)

    def _register(self, named: _Named, kind: str, mention: _Mention) -> _Entity:
        doc = self.doc
        n0, n1 = named.name_range
        name_tokens = doc[n0:n1]
        person = kind == "person" or (
            _person_ent(self.table, n0, n1) is not None and kind not in _GROUP_TYPES
        ) or (2 <= len(name_tokens) <= 4 and all(t.pos_ == "PROPN" for t in name_tokens) and named.role is not None
              and kind in ("person", "official", "witness", "military", "un", "ngo"))
        plural = not person and _is_plural(doc, mention, kind, self.lex)
        role_keys = frozenset(w.lower().rstrip("s") for w in re.findall(r"[\w-]+", named.role or ""))
        for entity in self.entities:
            if entity.name == named.name:
                if entity.role is None and named.role:
                    entity.role = named.role
                return entity
        entity = _Entity(
            name=named.name, role=named.role, type=kind, person=person, plural=plural, gender=named.gender,
            name_keys=tuple(t.lemma_.lower() if t.pos_ == "NOUN" else t.lower_ for t in name_tokens),
            role_keys=role_keys,
        )
        self.entities.append(entity)
        return entity

    def _pronoun(self, token: Token) -> _Entity | None:
        word = token.lower_
        if word in _PERSONAL:
            gender = _PERSONAL[word]
            for entity in reversed(self.entities):
                if entity.person and entity.gender in (None, gender):
                    entity.gender = gender
                    return entity
            return self._nearest_person_ent(token, gender)
        if word in _PLURAL_PRONOUNS:
            return next((e for e in reversed(self.entities) if e.plural), None)
        if word in ("it", "its"):
            found = next((e for e in reversed(self.entities) if not e.person and e.type in _GROUP_TYPES), None)
            return found or self._nearest_ent(token, "ORG", None)
        return None

    def _nearest_person_ent(self, token: Token, gender: str) -> _Entity | None:
        return self._nearest_ent(token, "PERSON", gender)

    def _nearest_ent(self, token: Token, label: str, gender: str | None) -> _Entity | None:
        """No compatible source yet: the nearest entity of ``label`` named before the pronoun (~2 paragraphs)."""
        table = self.table
        for start, end, ent_label in reversed(table.ents):
            if token.idx - table.idx[start] >= 600:
                break
            if end <= token.i and ent_label == label:
                named = _Named(_strip_article(table.text_of(start, end)), None, (start, end), gender)
                kind = "person" if label == "PERSON" else "organisation"
                return self._register(named, kind, _Mention(start, end))
        return None

    def _possessive(self, mention: _Mention, text: str, span: tuple[int, int]) -> Source:
        """"his office", "its spokesman": name the owner ("Benjamin Netanyahu's office")."""
        doc = self.doc
        owner = self._pronoun(doc[mention.start])
        rest = _text_of(self.table, mention.start + 1, mention.end)
        kind = _word_type(doc, mention.start + 1, mention.end, self.lex)
        if owner is None:
            return Source(text=text, span=span, name=text, type=cast(SourceType, kind or "unknown"))
        self._touch(owner)
        return Source(
            text=text, span=span, name=f"{owner.name}'s {rest}", type=cast(SourceType, kind or owner.type),
            role=None, resolved_from=text,
        )

    def _earlier(self, doc: Doc, mention: _Mention, named: _Named) -> _Entity | None:
        """A short mention of a source named before: "Denisova", "Mr O'Bryant", "The Post", "the minister"."""
        n0, n1 = named.name_range
        tokens = doc[n0:n1]
        if not len(tokens) or len(tokens) > 3:
            return None
        keys = tuple(t.lemma_.lower() if t.pos_ == "NOUN" else t.lower_ for t in tokens)
        proper = all(t.pos_ == "PROPN" for t in tokens)
        definite = doc[mention.start].lower_ in ("the", "this", "that") and not any(t.pos_ == "PROPN" for t in tokens)
        found = self._earlier_source(keys, proper, definite, named)
        if found is None and proper and len(keys) == 1:
            found = self._earlier_person_ent(tokens[0])
        return found

    def _earlier_source(self, keys: tuple[str, ...], proper: bool, definite: bool, named: _Named) -> _Entity | None:
        for entity in reversed(self.entities):
            if entity.name == named.name:
                return None  # the same full name: registered as is
            longer = len(entity.name_keys) > len(keys)
            if (proper or definite) and longer and entity.name_keys[-len(keys):] == keys:
                return entity
            if definite and len(keys) == 1 and (keys[0] in entity.role_keys or keys[0].rstrip("s") in entity.role_keys):
                return entity
        return None


# --- relays (via) -----------------------------------------------------------------------------------------------

_IN_DOCUMENT = re.compile(r"\b(?:in|via|through)\s+(?:a|an|the|its|his|her|their)\s+(?:[\w-]+\s+)?(?P<doc>statement|press release|interview|post|tweet|letter|video|briefing|report|televised address|speech)\b", re.IGNORECASE)
_INTERVIEW_WITH = re.compile(r"\binterview\s+with\s+(?P<who>(?:the\s+)?[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*){0,4})")


def _outside(regions: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s < end and start < e for s, e in regions)


class _PointCover:
    """Ranges indexed for "is ``x`` inside ``[start, end)`` of any range but the ``k``-th?" in logarithmic time.

    Sorted by start, the ranges that start at or before ``x`` are a prefix; the two that reach furthest within
    that prefix decide for any ``k``.
    """

    def __init__(self, regions: Sequence[tuple[int, int]]) -> None:
        order = sorted(range(len(regions)), key=lambda k: regions[k][0])
        self.starts = [regions[k][0] for k in order]
        self.furthest: list[tuple[int, int]] = []  # (end, which range) reaching furthest in each prefix
        self.runner_up: list[int] = []  # the furthest end among the prefix's other ranges (-1: none)
        best_end, best, second_end = -1, -1, -1
        for k in order:
            end = regions[k][1]
            if end > best_end:
                best_end, best, second_end = end, k, best_end
            elif end > second_end:
                second_end = end
            self.furthest.append((best_end, best))
            self.runner_up.append(second_end)

    def covered(self, x: int, *, excluding: int) -> bool:
        prefix = bisect_right(self.starts, x)
        if prefix == 0:
            return False
        best_end, best = self.furthest[prefix - 1]
        return (best_end if best != excluding else self.runner_up[prefix - 1]) > x


class _Regions:
    """Char ranges indexed for "does any overlap ``[start, end)``?" (``not _outside``) in logarithmic time.

    Sorted by start, the ranges that start before ``end`` are a prefix; one of them overlaps exactly when the
    furthest end within that prefix lies after ``start``.
    """

    def __init__(self, regions: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(regions)
        self.starts = [s for s, _ in ordered]
        self.furthest_end = list(accumulate((e for _, e in ordered), max))

    def overlap(self, start: int, end: int) -> bool:
        before_end = bisect_left(self.starts, end)
        return before_end > 0 and self.furthest_end[before_end - 1] > start


def _relays_in(text: str, offset: int, regions: Sequence[tuple[int, int]], lex: AttributionLexicon) -> list[str]:
    """Outlets, media and platforms named in ``text`` (outside ``regions``, i.e. outside sources and content)."""
    found: list[tuple[int, str]] = []
    for match in lex.outlet_pattern.finditer(text):
        if _outside(regions, offset + match.start(), offset + match.end()):
            found.append((match.start(), lex.outlet_names.get(match.group(0), match.group(0))))
    for match in lex.media_pattern.finditer(text):
        if _outside(regions, offset + match.start(), offset + match.end()):
            found.append((match.start(), match.group(0)))
    platforms = list(lex.platform_pattern.finditer(text))
    for match in platforms:
        if _outside(regions, offset + match.start("p"), offset + match.end("p")):
            found.append((match.start(), lex.platform_names[match.group("p")]))
    for match in _INTERVIEW_WITH.finditer(text):
        if _outside(regions, offset + match.start("who"), offset + match.end("who")):
            found.append((match.start(), _strip_article(match.group("who"))))
    platforms_at = [m.start() for m in platforms]
    for match in _IN_DOCUMENT.finditer(text):
        on_platform = any(0 <= p - match.end() <= 3 for p in platforms_at)  # "in a post on X": X says it all
        if on_platform or match.group("doc").lower() == "interview":
            continue
        if _outside(regions, offset + match.start("doc"), offset + match.end("doc")):
            found.append((match.start(), match.group("doc").lower()))
    return _dedupe([name for _, name in sorted(found)])


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name and not any(name.lower() in s.lower() for s in seen):
            seen = [s for s in seen if s.lower() not in name.lower()]
            seen.append(name)
    return seen


# --- the extractor ----------------------------------------------------------------------------------------------


class _QuoteIndex:
    """The quotations (in text order) indexed for "which overlap ``[start, end)``?"."""

    def __init__(self, quotes: Sequence[_Quote]) -> None:
        self.quotes = quotes
        self.starts = [q.start for q in quotes]
        self.longest = max((q.end - q.start for q in quotes), default=0)

    def overlapping(self, start: int, end: int) -> list[_Quote]:
        """``[q for q in quotes if q.start < end and start < q.end]``, looking only at quotations that start
        late enough to reach ``start`` (no quotation is longer than ``longest``) and before ``end``."""
        first = bisect_right(self.starts, start - self.longest)
        last = bisect_left(self.starts, end)
        return [q for q in self.quotes[first:last] if start < q.end]


def _to_direct(cand: _Candidate, quotes: _QuoteIndex, text: str) -> _Candidate:
    """Content that is mostly quotation becomes a direct claim whose content is the quotation."""
    start, end = _clean(text, *cand.content)
    if end <= start:
        return cand
    inside = [q for q in quotes.overlapping(start, end) if not (q.start <= (cand.cue or (-1, -1))[0] < q.end)]
    covered = sum(min(end, q.end) - max(start, q.start) for q in inside)
    if not inside or covered < 0.6 * (end - start):
        return cand
    q_start = min(q.start for q in inside)
    q_end = max(q.end for q in inside)
    rule = _rule("direct_quote")
    return replace(cand, kind="direct", rule=rule, content=(q_start, q_end))


def _cut_according(cand: _Candidate, phrases: Sequence[tuple[int, int]], text: str) -> _Candidate:
    """Keep an "according to X" that ends the content out of it: it is a relay, not what was said."""
    start, end = cand.content
    for p_start, p_end in phrases:
        if start < p_start < end and p_end >= end - 2:
            end = p_start
        elif p_start <= start < p_end:
            start = p_end
    return cand if (start, end) == cand.content else replace(cand, content=(start, end))


def _stance(cand: _Candidate, text: str, lex: AttributionLexicon) -> str:
    base = cand.entry.stance if cand.entry else "reports"
    if cand.negated:
        return lex.negated_stance if base != "reports" else "reports"
    if base != "denies" and cand.stance_region is not None:
        region = text[cand.stance_region[0]:cand.stance_region[1]]
        if lex.investigation.search(region):
            return "calls_for_investigation"
    return base


def _hedges(table: _TokenTable, cand: _Candidate, lex: AttributionLexicon) -> list[TextSpan]:
    text = table.text
    ranges: list[tuple[int, int, Where]] = [(cand.content[0], cand.content[1], "content")]
    if cand.cue is not None:
        ranges.append((cand.cue[0], cand.cue[1], "cue"))
        if cand.cue_token is not None:  # "reportedly said", "allegedly told"
            for child in table.children_with_dep(cand.cue_token, "advmod"):
                ranges.append((table.idx[child], table.end_char(child), "any"))
    if cand.claimed_tokens is not None:  # the inverted source's tail: "calling for a probe into alleged ..."
        tail = _char_range(table, *cand.claimed_tokens)
        if cand.source is not None:
            tail = (_char_range(table, cand.source.start, cand.source.end)[1], tail[1])
        ranges.append((tail[0], tail[1], "content"))
    found = set(find_hedges_in_doc(table.doc, ranges, lex.hedges, text=text))
    for start, end, where in ranges:
        if where == "content" and not (cand.kind == "direct" and (start, end) == cand.content):
            found.update(scare_quotes(text[start:end], start))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(found):
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return [_text_span(text, s, e) for s, e in merged]


@dataclass(frozen=True)
class _Predicates:
    """Per document, what :func:`_asserts` looks for, found once on the whole parse."""

    verbs: list[int]  # finite verbs, and participles with an auxiliary ("has been killed"), in text order
    roots: set[int]
    with_subject: set[int]

    @classmethod
    def of(cls, table: _TokenTable) -> _Predicates:
        with_aux = table.heads_with_child(("aux", "auxpass"))
        finite = table.positions("TAG", _FINITE)
        participles = [i for i in table.positions("TAG", ("VBN", "VBG")) if i in with_aux]
        return cls(
            verbs=sorted(finite + participles),
            roots=set(table.positions("DEP", ["ROOT"])),
            with_subject=table.heads_with_child(_SUBJECTS),
        )


def _asserts(table: _TokenTable, predicates: _Predicates, unit: _Unit) -> bool:
    """A unit "asserts" when it has a finite verb that is the root or has a subject; questions do not."""
    alpha = table.alpha_before
    if table.word(unit.end - 1) == "?" or alpha[unit.end] - alpha[unit.start] < 4:
        return False
    verbs = predicates.verbs
    for i in verbs[bisect_left(verbs, unit.start):bisect_left(verbs, unit.end)]:
        root_like = i in predicates.roots or not unit.has(table.head[i])
        if root_like or i in predicates.with_subject:
            return True
    return False


def _cue_positions(table: _TokenTable, lex: AttributionLexicon) -> list[int]:
    """The only tokens the unit loop acts on: "according", and verbs whose lemma is a reporting verb (see
    :func:`_is_cue`), in text order."""
    verbs = table.positions("POS", ["VERB"])
    reporting = [i for i, lemma in zip(verbs, table.strings_at("LEMMA", verbs), strict=True) if lemma.lower() in lex.verbs]
    return sorted(table.positions("LOWER", ["according"]) + reporting)


class _Extractor:
    def __init__(self, doc: Doc, skip_spans: Sequence[tuple[int, int]], lex: AttributionLexicon) -> None:
        self.doc = doc
        self.table = _TokenTable(doc)
        self.text = self.table.text
        self.lex = lex
        self.skip_spans = list(skip_spans)
        self.units = _units(self.table, skip_spans)
        self.unit_starts = [unit.char_start for unit in self.units]
        self.quotes = _find_quotes(self.text)
        self.quote_index = _QuoteIndex(self.quotes)
        self.reader = _CueReader(self.table, self.quotes, lex)
        self.cue_positions = _cue_positions(self.table, lex)

    def run(self) -> list[Claim]:
        candidates: list[_Candidate] = []
        for k, unit in enumerate(self.units):
            if unit.heading or unit.skipped:
                continue
            prev = self.units[k - 1] if k and not self.units[k - 1].skipped else None
            nxt = self.units[k + 1] if k + 1 < len(self.units) and not self.units[k + 1].skipped else None
            candidates.extend(self._unit_candidates(unit, prev, nxt))
        candidates = self._drop_nested(candidates)
        candidates.sort(key=lambda c: (c.unit.index, min(c.cue[0] if c.cue else c.content[0], c.content[0])))
        self._resolve(candidates)
        candidates = self._fold_outlet_relays(candidates)
        candidates.extend(self._continuations(candidates))
        candidates.extend(self._unattributed(candidates))
        candidates = [c for c in candidates if self._clear_of_boilerplate(c)]
        candidates.sort(key=lambda c: (c.unit.index, min(c.cue[0] if c.cue else c.content[0], c.content[0])))
        return [self._claim(f"c{n}", cand) for n, cand in enumerate(candidates, start=1)]

    # per unit -------------------------------------------------------------------------------------------------

    def _unit_candidates(self, unit: _Unit, prev: _Unit | None, nxt: _Unit | None) -> list[_Candidate]:
        doc = self.doc
        found: list[_Candidate] = []
        according: list[tuple[_Mention, tuple[int, int]]] = []
        owned: tuple[int, int] | None = None
        first, last = bisect_left(self.cue_positions, unit.start), bisect_left(self.cue_positions, unit.end)
        if first == last:
            return found  # no cue in this unit (most units)
        for i in self.cue_positions[first:last]:
            token = doc[i]
            if token.lower_ == "according":
                hit = self.reader.according_to(token, unit)
                if hit is not None:
                    according.append(hit)
                continue
            if owned is not None and owned[0] < token.i < owned[1]:
                continue  # the participle after an inverted source: part of that claim
            entry = _is_cue(token, self.lex)
            if entry is None:
                continue
            cand = self.reader.verb_candidate(token, entry, unit, prev, nxt)
            if cand is not None:
                found.append(cand)
                owned = cand.claimed_tokens or owned
        phrases = [_char_range(self.table, *phrase) for _, phrase in according]
        found = [_to_direct(_cut_according(c, phrases, self.text), self.quote_index, self.text) for c in found]
        found = [c for c in found if c.content[1] > c.content[0]]
        attributed = [c for c in found if c.source is not None]
        if according and attributed:
            for cand in attributed:
                cand.via.extend(self._relay_name(m) for m, _ in according)
        elif according:
            found = [c for c in found if c.source is not None]  # the passive's unnamed source is the target
            found.extend(self._according_claim(unit, m, phrase) for m, phrase in according[:1])
        return found

    def _relay_name(self, mention: _Mention) -> str:
        text = _text_of(self.table, mention.start, mention.end)
        return self.lex.outlet_of(text) or _strip_article(text)

    def _according_claim(self, unit: _Unit, mention: _Mention, phrase: tuple[int, int]) -> _Candidate:
        doc = self.doc
        p_start, p_end = _char_range(self.table, *phrase)
        before = _clean(self.text, unit.char_start, p_start)
        after = _clean(self.text, p_end, unit.char_end)
        content = before if before[1] - before[0] >= after[1] - after[0] else after
        cand = _Candidate(
            kind="according_to", rule=_rule("according_to"), unit=unit, content=content, cue=(p_start, doc[phrase[0] + 1].idx + 2),
            source=mention, stance_region=content,
        )
        return cand

    # across units ---------------------------------------------------------------------------------------------

    def _drop_nested(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """A cue inside another claim's content is a report within a report: keep it only with a named source
        ("Israel said Hezbollah denied it"), never an unnamed passive or a pronoun inside a quotation."""
        kept = []
        contents = _PointCover([c.content for c in candidates])
        for k, cand in enumerate(candidates):
            if cand.cue is None:
                kept.append(cand)
                continue
            inside = contents.covered(cand.cue[0], excluding=k)  # by another candidate's content
            if inside and not self._worth_nesting(cand):
                continue
            cand.nested = inside
            kept.append(cand)
        return kept

    def _worth_nesting(self, cand: _Candidate) -> bool:
        """A report inside a report is kept when it names its source ("the UN", "Hezbollah") or takes a stance
        ("... said the group denied it"); "he said the young man had written ..." is not a separate claim."""
        if cand.source is None:
            return False
        tokens = self.doc[cand.source.start:cand.source.end]
        if len(tokens) == 1 and tokens[0].pos_ == "PRON":
            return False
        proper = any(t.pos_ == "PROPN" or t.ent_type_ in ("PERSON", "ORG", "GPE", "NORP") for t in tokens)
        return proper or (cand.entry is not None and cand.entry.stance != "reports")

    def _resolve(self, candidates: list[_Candidate]) -> None:
        resolver = _Resolver(self.table, self.lex)
        in_unit: dict[int, list[_Candidate]] = {}
        for cand in candidates:
            in_unit.setdefault(cand.unit.index, []).append(cand)
        relays_by_unit: dict[int, list[str]] = {}  # the same for every candidate of a unit
        for cand in candidates:
            if cand.source is not None:
                cand.resolved = resolver.resolve(cand.source)
            if cand.kind != "according_to":
                if cand.unit.index not in relays_by_unit:
                    relays_by_unit[cand.unit.index] = self._relays(cand.unit, in_unit[cand.unit.index])
                cand.via = _dedupe([*cand.via, *relays_by_unit[cand.unit.index]])
                if cand.resolved is not None:  # "X said ..., according to the spokesperson" (X itself)
                    own = (cand.resolved.name.lower(), cand.resolved.text.lower())
                    cand.via = [v for v in cand.via if v.lower() != own[0] and v.lower() not in own[1]]
            for name in cand.via:
                if self.lex.outlet_of(name):
                    resolver.register_outlet(name)

    def _fold_outlet_relays(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """"A said ..., state media reported": one claim by A via the outlet, as with "according to"."""
        dropped: list[_Candidate] = []
        for outer in candidates:
            name = outer.resolved.name if outer.resolved else ""
            if not name or not (self.lex.outlet_of(name) or self.lex.media_pattern.fullmatch(name)):
                continue
            inner = [c for c in candidates if c is not outer and c.nested and c.cue is not None
                     and outer.content[0] <= c.cue[0] < outer.content[1] and c.resolved is not None]
            for cand in inner:
                cand.via = _dedupe([*cand.via, name])
            if inner:
                dropped.append(outer)
        return [c for c in candidates if all(c is not d for d in dropped)]

    def _relays(self, unit: _Unit, unit_candidates: Sequence[_Candidate]) -> list[str]:
        """Relays named in ``unit`` outside the sources and contents of its candidates (``unit_candidates``)."""
        regions = [c.content for c in unit_candidates]
        for other in unit_candidates:
            if other.source is not None:
                regions.append(_char_range(self.table, other.source.start, other.source.end))
        return _relays_in(self.text[unit.char_start:unit.char_end], unit.char_start, regions, self.lex)

    def _continuations(self, candidates: Sequence[_Candidate]) -> list[_Candidate]:
        """A quotation with no speaker of its own, right after a direct claim, continues it."""
        extra: list[_Candidate] = []
        taken = _Regions([c.content for c in candidates])  # and the contents of ``extra``, as they come
        directs = sorted((c for c in candidates if c.kind == "direct"), key=lambda c: c.content[0])
        for quote in self.quotes:
            if quote.words < 4 or taken.overlap(quote.start, quote.end):
                continue
            if not _outside([c.content for c in extra], quote.start, quote.end):
                continue
            unit = self._unit_at(quote.start)
            if unit is None or unit.skipped or unit.heading:
                continue
            before = [c for c in [*directs, *extra] if c.content[1] <= quote.start]
            if not before:
                continue
            last = max(before, key=lambda c: c.content[1])
            later = [c for c in candidates if last.content[1] <= (c.cue or c.content)[0] < quote.start and c is not last]
            same_unit = last.unit.index == unit.index
            unit_chars = unit.char_end - unit.char_start
            if later or not (same_unit or (unit.index - last.unit.index <= 1 and quote.end - quote.start >= 0.5 * unit_chars)):
                continue
            cont = replace(
                last, rule=_rule("direct_quote_continuation"), unit=unit, content=_clean(self.text, quote.start, quote.end),
                via=list(last.via), nested=False,
            )
            extra.append(cont)
        return extra

    def _unit_at(self, char: int) -> _Unit | None:
        # Units are disjoint and in text order: only the last one starting at or before ``char`` can hold it.
        k = bisect_right(self.unit_starts, char) - 1
        return self.units[k] if k >= 0 and char < self.units[k].char_end else None

    def _unattributed(self, candidates: Sequence[_Candidate]) -> list[_Candidate]:
        busy = _Regions([c.content for c in candidates] + [c.cue for c in candidates if c.cue])
        predicates = _Predicates.of(self.table)
        extra = []
        for unit in self.units:
            if unit.heading or unit.skipped or busy.overlap(unit.char_start, unit.char_end):
                continue
            quoted = sum(q.end - q.start for q in self.quote_index.overlapping(unit.char_start, unit.char_end))
            if quoted >= 0.5 * (unit.char_end - unit.char_start) or not _asserts(self.table, predicates, unit):
                continue
            content = _clean(self.text, unit.char_start, unit.char_end)
            extra.append(_Candidate(kind="unattributed", rule=_rule("unattributed"), unit=unit, content=content))
        return extra

    def _clear_of_boilerplate(self, cand: _Candidate) -> bool:
        spans = [cand.content] + ([cand.cue] if cand.cue else [])
        return all(_outside(self.skip_spans, s, e) for s, e in spans)

    def _claim(self, claim_id: str, cand: _Candidate) -> Claim:
        content = _clean(self.text, *cand.content)
        if content != cand.content:
            cand = replace(cand, content=content)
        return Claim(
            id=claim_id,
            kind=cast(ClaimKind, cand.kind),
            cue=_text_span(self.text, *cand.cue) if cand.cue else None,
            source=cand.resolved,
            content=_text_span(self.text, *content),
            hedges=_hedges(self.table, cand, self.lex),
            via=cand.via,
            stance=cast(Stance, _stance(cand, self.text, self.lex)),
            rule=cand.rule,
        )


def extract_claims(
    doc: Doc,
    *,
    skip_spans: Sequence[tuple[int, int]] = (),
    lexicon: AttributionLexicon | None = None,
) -> list[Claim]:
    """Claims (who says what, via whom, how hedged) of a parsed document, in text order (ids c1, c2, ...).

    ``skip_spans`` are boilerplate lines (char spans): no claim comes from a unit that overlaps one.
    """
    if not len(doc):
        return []
    return _Extractor(doc, skip_spans, lexicon or AttributionLexicon.default()).run()
