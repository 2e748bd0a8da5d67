"""Find boilerplate lines (``READ MORE``, picture captions and credits, share buttons...).

The rules are data, not code: ``caacwatch/data/boilerplate.yaml`` (versioned) lists the
patterns per kind with a comment for each, so an analyst can extend them. Boilerplate is
reported with its span and kept out of claims; it is never removed from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from caacwatch.errors import CaacError, E
from caacwatch.records import Boilerplate

RULES_VERSION = 1
_DEFAULT_MAX_CHARS = 200


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    max_chars: int


@dataclass(frozen=True)
class _Kind:
    name: str
    max_chars: int
    patterns: tuple[_Pattern, ...]


@dataclass(frozen=True)
class CaptionContext:
    """The "short line just above a picture credit is its caption" rule."""

    credit_kinds: frozenset[str]
    max_words: int
    max_chars: int


@dataclass(frozen=True)
class BoilerplateRules:
    """Compiled boilerplate rules; build with :func:`load_rules`."""

    version: int
    kinds: tuple[_Kind, ...]
    caption_before_credit: CaptionContext | None
    skip_lowercase_start: bool = True

    @property
    def longest(self) -> int:
        """No pattern can match a line longer than this: longer lines are skipped cheaply."""
        return max((p.max_chars for kind in self.kinds for p in kind.patterns), default=0)

    def classify(self, line: str) -> str | None:
        """The kind of a stripped line, or None if it is (as far as the rules know) content."""
        if self.skip_lowercase_start and line[:1].islower():
            return None
        for kind in self.kinds:
            for pattern in kind.patterns:
                if len(line) <= pattern.max_chars and pattern.regex.search(line):
                    return kind.name
        return None


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str
    starts_block: bool  # first line of the text, or preceded by a blank line


def default_rules_path() -> Path:
    """Where the packaged rules live (``caacwatch/data/boilerplate.yaml``)."""
    return Path(str(resources.files("caacwatch").joinpath("data", "boilerplate.yaml")))


@lru_cache(maxsize=8)
def load_rules(path: Path | str | None = None) -> BoilerplateRules:
    """Load and compile a rules file (the packaged one by default); cached per path.

    Raises ``CaacError`` E202 if the file is missing, not YAML, of another version, or has
    a pattern that does not compile or lacks a comment.
    """
    rules_path = Path(path) if path is not None else default_rules_path()
    try:
        raw = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaacError(E.E202, path=rules_path, reason=str(exc)) from exc
    try:
        return _compile_rules(raw)
    except (ValueError, TypeError, KeyError, re.error) as exc:
        raise CaacError(E.E202, path=rules_path, reason=str(exc)) from exc


def _compile_rules(raw: Any) -> BoilerplateRules:
    if not isinstance(raw, dict):
        raise ValueError("the top level must be a mapping")
    if raw.get("version") != RULES_VERSION:
        raise ValueError(f"'version' must be {RULES_VERSION}, got {raw.get('version')!r}")
    default_max = int(raw.get("max_chars", _DEFAULT_MAX_CHARS))
    kinds_raw = raw.get("kinds")
    if not isinstance(kinds_raw, dict) or not kinds_raw:
        raise ValueError("'kinds' must be a non-empty mapping of kind -> patterns")
    kinds = tuple(_compile_kind(name, spec, default_max) for name, spec in kinds_raw.items())
    return BoilerplateRules(
        version=RULES_VERSION,
        kinds=kinds,
        caption_before_credit=_compile_caption_context(raw.get("caption_before_credit")),
        skip_lowercase_start=bool(raw.get("skip_lowercase_start", True)),
    )


def _compile_kind(name: str, spec: Any, default_max: int) -> _Kind:
    if not isinstance(spec, dict) or not isinstance(spec.get("patterns"), list):
        raise ValueError(f"kind {name!r} needs a 'patterns' list")
    kind_max = int(spec.get("max_chars", default_max))
    patterns = []
    for entry in spec["patterns"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("pattern"), str):
            raise ValueError(f"kind {name!r}: every entry needs a 'pattern' string")
        if not str(entry.get("comment") or "").strip():
            raise ValueError(f"kind {name!r}: pattern {entry['pattern']!r} needs a 'comment'")
        regex = re.compile(entry["pattern"], re.IGNORECASE)
        patterns.append(_Pattern(regex, min(kind_max, int(entry.get("max_chars", kind_max)))))
    return _Kind(name=str(name), max_chars=kind_max, patterns=tuple(patterns))


def _compile_caption_context(spec: Any) -> CaptionContext | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError("'caption_before_credit' must be a mapping")
    return CaptionContext(
        credit_kinds=frozenset(spec.get("credit_kinds") or ()),
        max_words=int(spec.get("max_words", 12)),
        max_chars=int(spec.get("max_chars", 100)),
    )


_LINE = re.compile(r"[^\n]+")


def _lines(text: str) -> list[_Line]:
    """Non-blank lines with the span of their stripped content."""
    lines: list[_Line] = []
    previous_end = 0
    for match in _LINE.finditer(text):
        raw = match.group()
        content = raw.strip()
        if not content:
            continue
        start = match.start() + (len(raw) - len(raw.lstrip()))
        gap = text[previous_end:start]
        starts_block = not lines or gap.count("\n") >= 2
        lines.append(_Line(start, start + len(content), content, starts_block))
        previous_end = start + len(content)
    return lines


def find_boilerplate(text: str, rules: BoilerplateRules | None = None) -> list[Boilerplate]:
    """Return the boilerplate lines of ``text``, in text order.

    Each span is ``[start, end)`` of the line without its surrounding whitespace, so
    ``text[start:end] == boilerplate.text``. Only short lines are candidates; see
    ``caacwatch/data/boilerplate.yaml`` for the rules.
    """
    rules = rules or load_rules()
    lines = _lines(text)
    longest = rules.longest
    kinds = [rules.classify(line.text) if len(line.text) <= longest else None for line in lines]
    if rules.caption_before_credit is not None:
        _mark_captions_above_credits(lines, kinds, rules.caption_before_credit)
    return [
        Boilerplate(text=line.text, span=(line.start, line.end), kind=kind)
        for line, kind in zip(lines, kinds, strict=True)
        if kind is not None
    ]


# A caption is a phrase; a line with sentence punctuation (or a "SPEAKER:" label) is not one.
_SENTENCE_PUNCTUATION = re.compile(r"[.!?:;\"”]")


def _mark_captions_above_credits(
    lines: list[_Line], kinds: list[str | None], rule: CaptionContext
) -> None:
    """A picture's caption often sits in the credit's block, just above it ("Children with
    arms" / "Representative image Twitter"). Read as content it would look like a claim."""
    for i in range(1, len(lines)):
        above, credit = lines[i - 1], lines[i]
        if kinds[i] not in rule.credit_kinds or kinds[i - 1] is not None:
            continue
        block_ends = i + 1 == len(lines) or lines[i + 1].starts_block
        if credit.starts_block or not above.starts_block or not block_ends:
            continue  # the caption and the credit must form one block of their own
        if len(above.text) > rule.max_chars or len(above.text.split()) > rule.max_words:
            continue
        if _SENTENCE_PUNCTUATION.search(above.text) or above.text[:1].islower():
            continue
        kinds[i - 1] = "caption"
