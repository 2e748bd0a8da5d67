"""A drop-in, faster replacement for spaCy's ``AttributeRuler`` (same patterns, same output).

spaCy's ``attribute_ruler`` runs a ``Matcher`` with the model's ~180 patterns and then builds a ``Span`` and
calls ``set_token_attrs`` once per match (two or three per token): ~20 µs per token, more than the parser.
Nearly all of the patterns are single-token tests on TAG, LOWER, DEP and IS_SPACE, so what a token gets
depends only on those few values. This component:

1. reads the attributes the patterns test with one ``Doc.to_array`` call;
2. reduces each value to what the patterns can tell apart: the value itself when a pattern names it, else
   "some other value" together with which of the column's REGEX predicates its string matches. The
   reduced values of a token make one integer code, and the codes seen in practice are few (hundreds);
3. evaluates the patterns once per code (cached), as the ``Matcher`` would, to the merged attributes;
4. scans for the few fixed-length multi-token patterns only where their first token matched;
5. writes the result with one ``Doc.from_array`` call.

Precedence is spaCy's: ``AttributeRuler.match`` sorts matches by pattern number, so for each attribute the
highest-numbered matching pattern wins; a multi-token pattern sets the token at ``index`` (negative counts
from the end). All matching is done on the values before any are set, as in spaCy. The patterns are read
from the model's own ``attribute_ruler`` when the pipeline is built (``replace_attribute_ruler``), never
copied here. Pattern features this does not implement (operators, extension attributes, comparison, set
and fuzzy predicates other than IN/NOT_IN, attributes other than token-level ones) raise
``UnsupportedPattern`` and ``replace_attribute_ruler`` then keeps spaCy's component.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from spacy.attrs import DEP, ENT_IOB, IDS, LEMMA, MORPH, POS, SENT_START, TAG
from spacy.errors import Errors
from spacy.language import Language
from spacy.strings import StringStore, get_string_id
from spacy.tokens import Doc, Token
from spacy.tokens._retokenize import normalize_token_attrs
from spacy.vocab import Vocab

FACTORY = "caacwatch_fast_attribute_ruler_v1"
SPACY_COMPONENT = "attribute_ruler"

# Attributes a pattern may set: plain fields of the token struct. Writing them touches nothing else (no
# lexeme, no sentence or head bookkeeping), so the order in which tokens are written cannot matter.
SETTABLE = (POS, TAG, MORPH, LEMMA, DEP)
_MAX_ROW_CACHE = 200_000  # caches only bound memory: a cleared cache is rebuilt, results do not change
_MAX_MASK_CACHE = 1_000_000


class UnsupportedPattern(ValueError):
    """The patterns use a Matcher feature this component does not reproduce."""


@dataclass(frozen=True)
class _Condition:
    column: int
    kind: str  # "EQ", "IN", "NOT_IN", "REGEX"
    value: Any  # int | frozenset[int] | int (regex number)


@dataclass(frozen=True)
class _Sequence:
    """One fixed-length multi-token alternative (or single-token one with an unusual index)."""

    attr_id: int
    specs: tuple[int, ...]  # spec numbers, one per token
    target: int | None  # offset of the token to set, None when ``index`` is out of range (spaCy's E1001)
    index: int


@dataclass(frozen=True)
class _Row:
    """What the patterns do to a token with one combination of tested values."""

    single: tuple[int, ...]  # numbers of the single-token patterns that match, ascending
    hits: frozenset[int]  # multi-token spec numbers that match
    starts: tuple[int, ...]  # sequences whose first spec matches
    values: tuple[int, ...]  # per written attribute: the value the single-token patterns give it...
    mask: tuple[bool, ...]  # ...and whether they set it at all


class FastAttributeRuler:
    """Applies AttributeRuler patterns with table lookups instead of a Matcher. See the module docstring."""

    def __init__(self, vocab: Vocab, patterns: Sequence[dict[str, Any]], name: str = SPACY_COMPONENT) -> None:
        self.vocab = vocab
        self.name = name
        self._patterns = [dict(p) for p in patterns]
        self._columns: list[int] = []  # attribute ids the patterns test, read from the doc
        self._column_of: dict[int, int] = {}
        self._regexes: list[re.Pattern[str]] = []
        self._regex_column: list[int] = []
        self._specs: list[tuple[_Condition, ...]] = []  # every token spec, single and multi
        self._single: list[tuple[int, int]] = []  # (pattern number, spec number)
        self._sequences: list[_Sequence] = []
        self._attrs: list[dict[int, int]] = []
        for number, pattern in enumerate(self._patterns):
            self._add(number, pattern)
        self._multi_specs = frozenset(s for seq in self._sequences for s in seq.specs)
        self._written: list[int] = [a for a in SETTABLE if any(a in attrs for attrs in self._attrs)]
        self._written_ids: list[int | str] = list(self._written)  # as Doc.to_array/from_array type them
        # Each column's value becomes a digit: its rank among the values the patterns name, or (after those)
        # the bit mask of the column's REGEX outcomes. A token's digits make one integer code.
        self._named: list[np.ndarray] = []
        self._regex_bit = [self._regex_column[:i].count(c) for i, c in enumerate(self._regex_column)]
        self._column_regexes: list[list[re.Pattern[str]]] = []
        self._radix: list[int] = []
        for column in range(len(self._columns)):
            named: set[int] = set()
            for spec in self._specs:
                for cond in spec:
                    if cond.column == column and cond.kind == "EQ":
                        named.add(cond.value)
                    elif cond.column == column and cond.kind in ("IN", "NOT_IN"):
                        named.update(cond.value)
            if any(not 0 <= v < 2**64 for v in named):
                raise UnsupportedPattern("a pattern value is not an unsigned 64-bit attribute value")
            self._named.append(np.array(sorted(named), dtype=np.uint64))
            regexes = [r for r, c in zip(self._regexes, self._regex_column, strict=True) if c == column]
            self._column_regexes.append(regexes)
            self._radix.append(len(named) + (1 << len(regexes)))
        self._multiplier = [math.prod(self._radix[:c]) for c in range(len(self._columns))]
        if math.prod(self._radix) >= 2**62:
            raise UnsupportedPattern("too many distinct pattern values to index")
        self._column_ids: list[int | str] = list(self._columns)
        self._regex_masks: dict[int, dict[int, int]] = {c: {} for c in set(self._regex_column)}
        self._rows: dict[int, _Row] = {}
        self._merged: dict[tuple[int, ...], dict[int, int]] = {}

    @property
    def patterns(self) -> list[dict[str, Any]]:
        """The patterns, as given (the same format as ``AttributeRuler.patterns``)."""
        return [dict(p) for p in self._patterns]

    # ------------------------------------------------------------------ compiling the patterns

    def _add(self, number: int, pattern: dict[str, Any]) -> None:
        unknown = set(pattern) - {"patterns", "attrs", "index"}
        if unknown:
            raise UnsupportedPattern(f"pattern {number}: unknown keys {sorted(unknown)}")
        attrs = normalize_token_attrs(self.vocab, dict(pattern["attrs"]))
        bad = [a for a in attrs if a not in SETTABLE]
        if bad:
            raise UnsupportedPattern(f"pattern {number} sets {bad}: only POS, TAG, MORPH, LEMMA, DEP supported")
        self._attrs.append(attrs)
        index = int(pattern.get("index", 0))
        for alternative in pattern["patterns"]:
            if not isinstance(alternative, list) or not alternative:
                raise UnsupportedPattern(f"pattern {number}: empty or malformed token pattern")
            specs = tuple(self._add_spec(number, spec) for spec in alternative)
            length = len(specs)
            target = index if index >= 0 else length + index
            if length == 1 and target == 0:
                self._single.append((number, specs[0]))
            else:
                in_range = 0 <= target < length
                self._sequences.append(_Sequence(number, specs, target if in_range else None, index))

    def _add_spec(self, number: int, spec: dict[Any, Any]) -> int:
        """Compile one token spec the way ``Matcher._preprocess_pattern`` reads it."""
        if not isinstance(spec, dict):
            raise UnsupportedPattern(f"pattern {number}: a token spec is not a dict")
        conditions: list[_Condition] = []
        for key, value in spec.items():
            attr: int | None
            if isinstance(key, str):
                name = key.upper()
                if name in ("OP", "_"):
                    raise UnsupportedPattern(f"pattern {number}: {key!r} is not supported")
                name = {"TEXT": "ORTH", "IS_SENT_START": "SENT_START"}.get(name, name)
                attr = IDS.get(name)
            else:
                attr = key
            if attr is None or not isinstance(attr, int):
                raise UnsupportedPattern(f"pattern {number}: unknown attribute {key!r}")
            column = self._column(attr)
            if isinstance(value, dict):
                conditions.extend(self._predicates(number, attr, column, value))
            elif isinstance(value, str):
                if attr == ENT_IOB and value in Token.iob_strings():
                    conditions.append(_Condition(column, "EQ", Token.iob_strings().index(value)))
                else:
                    conditions.append(_Condition(column, "EQ", self.vocab.strings.add(value)))
            elif isinstance(value, bool):
                conditions.append(_Condition(column, "EQ", int(value)))
            elif isinstance(value, int):
                conditions.append(_Condition(column, "EQ", value))
            else:
                raise UnsupportedPattern(f"pattern {number}: value {value!r} of type {type(value).__name__}")
        self._specs.append(tuple(conditions))
        return len(self._specs) - 1

    def _predicates(self, number: int, attr: int, column: int, predicates: dict[str, Any]) -> list[_Condition]:
        out = []
        for kind, value in predicates.items():
            kind = kind.upper()
            if kind in ("IN", "NOT_IN"):
                # as _SetPredicate: MORPH values are normalised analyses, others string ids
                if attr == MORPH:
                    ids = frozenset(self.vocab.morphology.add(v) for v in value)
                else:
                    ids = frozenset(get_string_id(v) for v in value)
                out.append(_Condition(column, kind, ids))
            elif kind == "REGEX" and isinstance(value, str):
                self._regexes.append(re.compile(value))
                self._regex_column.append(column)
                out.append(_Condition(column, "REGEX", len(self._regexes) - 1))
            else:
                raise UnsupportedPattern(f"pattern {number}: predicate {kind!r} is not supported")
        return out

    def _column(self, attr: int) -> int:
        if attr not in self._column_of:
            self._column_of[attr] = len(self._columns)
            self._columns.append(attr)
        return self._column_of[attr]

    # ------------------------------------------------------------------ matching

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        strings = doc.vocab.strings  # as the Matcher's predicates: the strings of the token's vocab
        code = np.zeros(n, dtype=np.int64)
        if self._columns:
            table = doc.to_array(self._column_ids).reshape(n, len(self._columns))
            for column, attr in enumerate(self._columns):
                code += self._digits(column, attr, table[:, column], strings) * self._multiplier[column]
        unique, inverse = np.unique(code, return_inverse=True)
        rows = [self._row(key, strings) for key in unique.tolist()]
        self._apply(doc, inverse.reshape(n), rows)
        return doc

    def _digits(self, column: int, attr: int, values: np.ndarray, strings: StringStore) -> np.ndarray:
        if attr == SENT_START:  # the Matcher reads sentence starts as True/False
            values = (values == 1).astype(np.uint64)
        named = self._named[column]
        if len(named):
            rank = np.searchsorted(named, values)
            is_named = named[np.minimum(rank, len(named) - 1)] == values
            digits = np.where(is_named, rank, len(named)).astype(np.int64)
        else:
            is_named = np.zeros(len(values), dtype=bool)
            digits = np.zeros(len(values), dtype=np.int64)
        if self._column_regexes[column]:
            others = np.flatnonzero(~is_named)
            if len(others):
                digits[others] += self._masks(column, values[others], strings)
        return digits

    def _masks(self, column: int, values: np.ndarray, strings: StringStore) -> np.ndarray:
        """For values no pattern names: which of the column's regexes match the string (a bit mask)."""
        cache = self._regex_masks[column]
        if len(cache) >= _MAX_MASK_CACHE:
            cache.clear()
        regexes = self._column_regexes[column]
        distinct, where = np.unique(values, return_inverse=True)
        masks = []
        for value in distinct.tolist():
            mask = cache.get(value)
            if mask is None:
                text = strings[value]  # as _RegexPredicate: the string of the token's attribute
                mask = sum(1 << bit for bit, r in enumerate(regexes) if r.search(text))
                cache[value] = mask
            masks.append(mask)
        return np.array(masks, dtype=np.int64)[where.reshape(-1)]

    def _row(self, code: int, strings: StringStore) -> _Row:
        row = self._rows.get(code)
        if row is None:
            if len(self._rows) >= _MAX_ROW_CACHE:
                self._rows.clear()
            key = []
            for column in range(len(self._columns)):
                digit = (code // self._multiplier[column]) % self._radix[column]
                named = self._named[column]
                key.append((True, int(named[digit])) if digit < len(named) else (False, digit - len(named)))
            hits = frozenset(s for s in range(len(self._specs)) if self._spec_matches(s, key, strings))
            single = tuple(sorted({number for number, spec in self._single if spec in hits}))
            starts = tuple(i for i, seq in enumerate(self._sequences) if seq.specs[0] in hits)
            merged = self._merge(single)
            values = tuple(merged.get(a, 0) for a in self._written)
            mask = tuple(a in merged for a in self._written)
            row = _Row(single, hits & self._multi_specs, starts, values, mask)
            self._rows[code] = row
        return row

    def _spec_matches(self, spec: int, key: list[tuple[bool, int]], strings: StringStore) -> bool:
        """Does a token spec match? ``key`` holds per column (True, value) or (False, regex bit mask)."""
        for cond in self._specs[spec]:
            is_named, value = key[cond.column]
            if cond.kind == "EQ":
                ok = is_named and value == cond.value
            elif cond.kind == "IN":
                ok = is_named and value in cond.value
            elif cond.kind == "NOT_IN":
                ok = not is_named or value not in cond.value
            elif is_named:  # REGEX on a value a pattern names: test its string
                ok = bool(self._regexes[cond.value].search(strings[value]))
            else:
                ok = bool(value >> self._regex_bit[cond.value] & 1)
            if not ok:
                return False
        return True

    def _merge(self, numbers: tuple[int, ...]) -> dict[int, int]:
        merged = self._merged.get(numbers)
        if merged is None:
            merged = {}
            for number in numbers:  # ascending: later patterns win, as AttributeRuler.match sorts them
                merged.update(self._attrs[number])
            self._merged[numbers] = merged
        return merged

    def _apply(self, doc: Doc, inverse: np.ndarray, rows: list[_Row]) -> None:
        if not self._written:
            return
        n, width = len(doc), len(self._written)
        values = np.array([r.values for r in rows], dtype=np.uint64).reshape(len(rows), width)
        mask = np.array([r.mask for r in rows], dtype=bool).reshape(len(rows), width)
        current = doc.to_array(self._written_ids).reshape(n, width)
        final = np.where(mask[inverse], values[inverse], current)
        starting = [u for u, r in enumerate(rows) if r.starts]
        if starting:
            for i, numbers in self._sequence_matches(doc, rows, inverse, starting).items():
                merged = self._merge(tuple(sorted(set(rows[inverse[i]].single) | set(numbers))))
                for j, attr in enumerate(self._written):
                    if attr in merged:
                        final[i, j] = merged[attr]
        doc.from_array(self._written_ids, cast(Any, final))

    def _sequence_matches(
        self, doc: Doc, rows: list[_Row], inverse: np.ndarray, starting: list[int]
    ) -> dict[int, list[int]]:
        """Token -> numbers of the multi-token patterns that set it."""
        extra: dict[int, list[int]] = {}
        n = len(inverse)
        for start in np.flatnonzero(np.isin(inverse, starting)).tolist():
            for s in rows[inverse[start]].starts:
                seq = self._sequences[s]
                end = start + len(seq.specs)
                if end > n:
                    continue
                if all(seq.specs[j] in rows[inverse[start + j]].hits for j in range(1, len(seq.specs))):
                    if seq.target is None:
                        patterns = self._patterns[seq.attr_id]["patterns"]
                        span = [t.text for t in doc[start:end]]
                        raise ValueError(Errors.E1001.format(patterns=patterns, span=span, index=seq.index))
                    extra.setdefault(start + seq.target, []).append(seq.attr_id)
        return extra


@Language.factory(
    FACTORY,
    default_config={"patterns": []},
    assigns=["token.pos", "token.tag", "token.morph", "token.lemma", "token.dep"],
)
def make_fast_attribute_ruler(nlp: Language, name: str, patterns: list[dict[str, Any]]) -> FastAttributeRuler:
    return FastAttributeRuler(nlp.vocab, patterns, name=name)


def replace_attribute_ruler(nlp: Language, name: str = SPACY_COMPONENT) -> bool:
    """Swap the model's AttributeRuler for the fast one, in place and under the same name.

    The patterns are read from the loaded model. Returns False (and leaves spaCy's component) when there is
    no such component or its patterns use a feature the fast one does not implement.
    """
    if name not in nlp.pipe_names:
        return False
    patterns = nlp.get_pipe(name).patterns  # type: ignore[attr-defined]
    try:
        FastAttributeRuler(nlp.vocab, patterns, name=name)
    except UnsupportedPattern as exc:
        warnings.warn(f"keeping spaCy's {name}: {exc}", RuntimeWarning, stacklevel=2)
        return False
    nlp.replace_pipe(name, FACTORY, config={"patterns": patterns})
    return True
