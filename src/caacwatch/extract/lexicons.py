"""Load the versioned rule data files (``caacwatch/data/*.yaml``) into compiled, cached objects.

Rules are data: analysts extend the YAML files; this module only turns them into regular expressions and
lookup tables, and fails with a coded error (E202) that names the file when one is malformed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, get_args

import yaml

from caacwatch.errors import CaacError, E

SUPPORTED_VERSION = 1
# Files whose format changed: the version this code reads. Every other data file is at SUPPORTED_VERSION.
#   parties.yaml 2   party types renamed to state_armed_force / non_state_armed_group / other_party
#   evidence.yaml 2  image_video split into photograph / video / satellite_imagery
DATA_VERSIONS = {"parties.yaml": 2, "evidence.yaml": 2}


def data_version(name: str) -> int:
    """The ``version`` this code expects in ``caacwatch/data/<name>``."""
    return DATA_VERSIONS.get(name, SUPPORTED_VERSION)


def load_data_file(name: str) -> dict[str, Any]:
    """Read ``caacwatch/data/<name>`` and check its ``version``."""
    path = resources.files("caacwatch") / "data" / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaacError(E.E202, path=str(path), reason=str(exc)) from exc
    expected = data_version(name)
    if not isinstance(data, dict) or data.get("version") != expected:
        raise CaacError(E.E202, path=str(path), reason=f"expected a mapping with 'version: {expected}'")
    return data


def fold_alternation(pattern: str) -> str:
    """YAML folded scalars put spaces after each ``|``; remove them so alternatives stay exact."""
    return re.sub(r"\s*\|\s*", "|", pattern.strip()).strip("|")


def whole_words(pattern: str) -> str:
    """Wrap an alternation so it matches whole words only (no 'child' inside 'childhood')."""
    return rf"(?<![\w])(?:{pattern})(?![\w])"


def _expand_classes(pattern: str, classes: dict[str, str], depth: int = 0) -> str:
    if depth > 5:
        raise ValueError("class references nest too deeply")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in classes:
            raise ValueError(f"unknown class {{{name}}}")
        return f"(?:{_expand_classes(classes[name], classes, depth + 1)})"

    return re.sub(r"\{([a-z_]+)\}", replace, pattern)


def compile_words(pattern: str, classes: dict[str, str] | None = None, *, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    folded = fold_alternation(pattern)
    if classes:
        folded = _expand_classes(folded, classes)
    return re.compile(whole_words(folded), flags)


# --- violations -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViolationRule:
    violation: str
    triggers: re.Pattern[str]
    self_targeting: re.Pattern[str] | None
    targets: tuple[str, ...]
    context: tuple[str, ...]
    exclude: re.Pattern[str] | None
    # Related categories: cues of these violations in the same sentence are dropped when their trigger matches
    # the pattern or lies inside this rule's cue (military use of a school is not an attack on it).
    overrides: dict[str, re.Pattern[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ViolationLexicon:
    window: int
    classes: dict[str, re.Pattern[str]]
    rules: dict[str, ViolationRule]
    version: int = SUPPORTED_VERSION

    def target_pattern(self, name: str) -> re.Pattern[str]:
        return self.classes[name]


@cache
def violation_lexicon() -> ViolationLexicon:
    data = load_data_file("violations.yaml")
    try:
        raw_classes = {name: fold_alternation(p) for name, p in data["classes"].items()}
        classes = {name: compile_words(p, raw_classes) for name, p in raw_classes.items()}
        rules = {}
        for violation, spec in data["rules"].items():
            rules[violation] = ViolationRule(
                violation=violation,
                triggers=compile_words(spec["triggers"], raw_classes),
                self_targeting=compile_words(spec["self_targeting"], raw_classes) if spec.get("self_targeting") else None,
                targets=tuple(spec.get("targets", [])),
                context=tuple(spec.get("context", [])),
                exclude=compile_words(spec["exclude"], raw_classes) if spec.get("exclude") else None,
                overrides={name: compile_words(p, raw_classes) for name, p in (spec.get("overrides") or {}).items()},
            )
        from caacwatch.records import CATEGORIES

        for rule in rules.values():
            if rule.violation not in CATEGORIES:
                raise ValueError(f"rule {rule.violation!r} is not a category of records.CATEGORIES")
            for name in rule.overrides:
                if name not in rules:
                    raise ValueError(f"rule {rule.violation} overrides unknown rule {name!r}")
            for name in rule.targets + rule.context:
                if name not in classes:
                    raise ValueError(f"rule {rule.violation} refers to unknown class {name!r}")
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="violations.yaml", reason=str(exc)) from exc
    return ViolationLexicon(window=int(data.get("window", 160)), classes=classes, rules=rules)


# --- parties and conflicts ----------------------------------------------------------------------------------


# The perpetrator types of docs/mrm.md ("unknown" is what an allegation gets when no party is named).
PARTY_TYPES = ("state_armed_force", "non_state_armed_group", "other_party")


@dataclass(frozen=True)
class Party:
    name: str
    type: str  # one of PARTY_TYPES
    country: str | None
    conflicts: tuple[str, ...]


@dataclass(eq=False)  # hashed by identity: one cached instance per process, used as a cache key
class PartyLexicon:
    parties: dict[str, Party]
    alias_pattern: re.Pattern[str]
    alias_to_party: dict[str, str]
    demonym_pattern: re.Pattern[str]
    demonym_to_party: dict[str, str]
    conflicts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def party_of_alias(self, alias: str) -> str | None:
        return self.alias_to_party.get(alias) or self.alias_to_party.get(alias.lower())

    def same_conflict(self, a: str, b: str) -> bool:
        """True when parties ``a`` and ``b`` are both parties to one conflict (or are the same party)."""
        if a == b:
            return True
        pa, pb = self.parties.get(a), self.parties.get(b)
        if pa is None or pb is None:
            return False
        return bool(set(pa.conflicts) & set(pb.conflicts))


def _alias_regex(aliases: list[str]) -> str:
    # Longest first so "Israeli military" wins over "Israeli"; lower-case aliases match any case.
    parts = []
    for alias in sorted(set(aliases), key=len, reverse=True):
        escaped = re.escape(alias).replace(r"\ ", r"\s+")
        parts.append(f"(?i:{escaped})" if alias.islower() else escaped)
    return "|".join(parts)


@cache
def party_lexicon() -> PartyLexicon:
    data = load_data_file("parties.yaml")
    conflicts_data = load_data_file("conflicts.yaml")
    try:
        parties: dict[str, Party] = {}
        alias_to_party: dict[str, str] = {}
        demonym_to_party: dict[str, str] = {}
        for spec in data["parties"]:
            if spec["type"] not in PARTY_TYPES:
                raise ValueError(f"party {spec['name']!r}: type must be one of {PARTY_TYPES}")
            party = Party(spec["name"], spec["type"], spec.get("country"), tuple(spec.get("conflicts", [])))
            parties[party.name] = party
            for alias in [party.name, *spec.get("aliases", [])]:
                key = alias if not alias.islower() else alias.lower()
                alias_to_party.setdefault(key, party.name)
            for demonym in spec.get("demonyms", []):
                demonym_to_party.setdefault(demonym, party.name)
        actor_nouns = sorted(set(data["actor_nouns"]), key=len, reverse=True)
        actor = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in actor_nouns)
        demonyms = "|".join(re.escape(d) for d in sorted(demonym_to_party, key=len, reverse=True))
        # "Russian forces", "Israeli air strikes", "Russian-installed occupation authorities"
        demonym_pattern = re.compile(
            rf"(?<![\w-])(?P<demonym>{demonyms})(?:\s+(?:and\s+\w+\s+)?[\w-]+){{0,2}}?\s+(?P<actor>(?i:{actor}))(?!\w)"
        )
        alias_pattern = re.compile(rf"(?<![\w-])(?:{_alias_regex(list(alias_to_party))})(?![\w-])")
        conflicts = {cid: tuple(spec.get("parties", [])) for cid, spec in conflicts_data["conflicts"].items()}
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="parties.yaml", reason=str(exc)) from exc
    return PartyLexicon(parties, alias_pattern, alias_to_party, demonym_pattern, demonym_to_party, conflicts)


# --- evidence ----------------------------------------------------------------------------------------------


@cache
def evidence_patterns() -> dict[str, re.Pattern[str]]:
    from caacwatch.records import EvidenceKind

    data = load_data_file("evidence.yaml")
    try:
        unknown = set(data["kinds"]) - set(get_args(EvidenceKind))
        if unknown:
            raise ValueError(f"unknown evidence kinds {sorted(unknown)}; allowed: {get_args(EvidenceKind)}")
        return {kind: compile_words(pattern) for kind, pattern in data["kinds"].items()}
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise CaacError(E.E202, path="evidence.yaml", reason=str(exc)) from exc
