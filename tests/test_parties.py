"""Party lexicon: aliases and demonym + actor phrases resolve to canonical parties."""

from __future__ import annotations

import pytest

from caacwatch.extract.lexicons import party_lexicon
from caacwatch.extract.parties import find_party_mentions, party_in_text


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ("They accused the Kremlin of recruiting children.", "Russia"),
        ("Russian forces shelled the town overnight.", "Russia"),
        ("An Israeli air strike hit the camp.", "Israel"),
        ("The IDF said it was reviewing the incident.", "Israel"),
        ("Boko Haram fighters stormed the school.", "Boko Haram"),
        ("Fighters of the Rapid Support Forces entered the city.", "RSF"),
        ("The Houthi rebels denied the claim.", "Houthis"),
        ("al-Shabaab claimed responsibility.", "al-Shabaab"),
    ],
)
def test_mentions_resolve_to_party(text: str, party: str) -> None:
    assert party in {m.party for m in find_party_mentions(text)}


def test_longest_mention_wins_and_spans_index_text():
    text = "Israeli military officials and the Israeli army said so."
    mentions = find_party_mentions(text)
    for mention in mentions:
        assert text[mention.start:mention.end] == mention.text
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))


def test_nationality_of_children_is_not_an_actor():
    assert find_party_mentions("Ukrainian children were taken to camps.") == []


def test_source_party_from_role_or_demonym():
    assert party_in_text("the Ukrainian parliament commissioner on human rights") == "Ukraine"
    assert party_in_text("Ukraine's human rights officials") == "Ukraine"
    assert party_in_text("Human Rights Watch") is None


def test_conflicts_relate_parties():
    lexicon = party_lexicon()
    assert lexicon.same_conflict("Ukraine", "Russia")
    assert lexicon.same_conflict("Israel", "Hamas")
    assert not lexicon.same_conflict("Ukraine", "Hamas")


def test_every_conflict_party_is_defined():
    lexicon = party_lexicon()
    for conflict, parties in lexicon.conflicts.items():
        for party in parties:
            assert party in lexicon.parties, (conflict, party)
    for party in lexicon.parties.values():
        for conflict in party.conflicts:
            assert conflict in lexicon.conflicts, (party.name, conflict)
