"""Mentions of parties to armed conflicts ("the Kremlin" -> Russia, "Israeli strikes" -> Israel)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from caacwatch.extract.lexicons import PartyLexicon, party_lexicon

Span = tuple[int, int]


@dataclass(frozen=True)
class PartyMention:
    start: int
    end: int
    text: str
    party: str
    rule: str  # parties.alias/1 | parties.demonym_actor/1

    @property
    def span(self) -> Span:
        return (self.start, self.end)


def find_party_mentions(text: str, lexicon: PartyLexicon | None = None) -> list[PartyMention]:
    """Non-overlapping party mentions in text order; a longer mention wins over one inside it."""
    return list(_cached_mentions(text, lexicon or party_lexicon()))


@lru_cache(maxsize=512)
def _cached_mentions(text: str, lexicon: PartyLexicon) -> tuple[PartyMention, ...]:
    # The pre-filter and the pipeline component look up the same text one after the other.
    return tuple(_find_party_mentions(text, lexicon))


def _find_party_mentions(text: str, lexicon: PartyLexicon) -> list[PartyMention]:
    candidates: list[PartyMention] = []
    for match in lexicon.demonym_pattern.finditer(text):
        party = lexicon.demonym_to_party[match.group("demonym")]
        candidates.append(PartyMention(match.start(), match.end(), match.group(), party, "parties.demonym_actor/1"))
    for match in lexicon.alias_pattern.finditer(text):
        alias_party = lexicon.party_of_alias(_normalise_space(match.group()))
        if alias_party is not None:
            candidates.append(PartyMention(match.start(), match.end(), match.group(), alias_party, "parties.alias/1"))
    return _longest_non_overlapping(candidates)


def party_in_text(text: str, lexicon: PartyLexicon | None = None) -> str | None:
    """The party a short phrase (a source's name or role) belongs to, by alias or demonym anywhere in it."""
    lexicon = lexicon or party_lexicon()
    mentions = find_party_mentions(text, lexicon)
    generic = "Armed group (unnamed)"
    for mention in mentions:
        if mention.party != generic:
            return mention.party
    for word in text.replace("'s", " ").split():
        party = lexicon.demonym_to_party.get(word.strip(",.;:()\"'"))
        if party is not None:
            return party
    return None


def _normalise_space(value: str) -> str:
    return " ".join(value.split())


def _longest_non_overlapping(candidates: list[PartyMention]) -> list[PartyMention]:
    chosen: list[PartyMention] = []
    for mention in sorted(candidates, key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= c.start or c.end <= mention.start for c in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)
