"""Every rule data file an analyst may edit loads, is versioned, and is well formed."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from caacwatch.extract.attribution import AttributionLexicon
from caacwatch.extract.hedges import hedge_lexicon
from caacwatch.extract.lexicons import (
    PARTY_TYPES,
    data_version,
    evidence_patterns,
    party_lexicon,
    violation_lexicon,
)
from caacwatch.extract.places import Gazetteer
from caacwatch.extract.quantities import quantity_lexicon
from caacwatch.extract.sources import rating_rules
from caacwatch.extract.victims import role_lexicon
from caacwatch.ingest.boilerplate import load_rules

DATA = resources.files("caacwatch") / "data"
YAML_FILES = sorted(p.name for p in DATA.iterdir() if p.name.endswith(".yaml"))


def test_the_documented_files_exist():
    expected = {"violations.yaml", "parties.yaml", "conflicts.yaml", "evidence.yaml", "reporting_verbs.yaml",
                "hedges.yaml", "outlets.yaml", "source_types.yaml", "places.yaml", "boilerplate.yaml",
                "quantities.yaml", "source_ratings.yaml", "recruitment_roles.yaml"}
    assert expected <= set(YAML_FILES)


@pytest.mark.parametrize("name", YAML_FILES)
def test_every_data_file_is_versioned_yaml(name: str) -> None:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    expected = data_version(name)
    assert data.get("version") == expected, f"{name} must declare 'version: {expected}'"


def test_every_loader_accepts_its_file():
    assert violation_lexicon().rules
    assert party_lexicon().parties
    assert evidence_patterns()
    assert hedge_lexicon()
    assert AttributionLexicon.default()
    assert len(Gazetteer.default()) > 1000
    assert load_rules()
    assert quantity_lexicon().vague
    assert rating_rules().base
    assert role_lexicon().combatant


def test_party_aliases_are_unambiguous():
    """An alias may name only one party, or 'the Kremlin' could mean two perpetrators."""
    data = yaml.safe_load((DATA / "parties.yaml").read_text(encoding="utf-8"))
    owner: dict[str, str] = {}
    for party in data["parties"]:
        for alias in [party["name"], *party.get("aliases", [])]:
            assert owner.setdefault(alias, party["name"]) == party["name"], f"{alias!r} names two parties"
        assert party["type"] in PARTY_TYPES


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        ("testimony", "Witnesses said the soldiers opened fire."),
        ("official_statement", "The ministry said in a statement that 12 people died."),
        ("physical_evidence", "Shell fragments were found near the school."),
        ("video", "Video footage shows the convoy burning."),
        ("photograph", "Photographs posted online show the damaged classrooms."),
        ("satellite_imagery", "Satellite images show the hospital destroyed."),
        ("document", "A UN report documented 300 cases."),
    ],
)
def test_each_evidence_kind_fires(kind: str, sentence: str) -> None:
    assert evidence_patterns()[kind].search(sentence)


def test_violation_classes_have_no_empty_alternative():
    """A stray '|' in a YAML list would match the empty string everywhere."""
    for name, pattern in violation_lexicon().classes.items():
        assert not pattern.search("   "), name
        assert not re.search(r"\|\||\(\?:\||\|\)", pattern.pattern), name
