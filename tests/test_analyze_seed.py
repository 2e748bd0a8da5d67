"""The canonical input: what a monitor must see at once in the seed article."""

from __future__ import annotations

from caacwatch.records import SCHEMA, Analysis


def test_recruitment_allegation_against_russia_in_luhansk_and_donetsk(seed_analysis: Analysis) -> None:
    assert seed_analysis.relevant
    recruitment = [a for a in seed_analysis.allegations if a.violation == "recruitment_use"]
    assert len(recruitment) == 1
    allegation = recruitment[0]
    assert allegation.perpetrator is not None
    assert allegation.perpetrator.party == "Russia"
    assert allegation.perpetrator.type == "state"
    places = {(loc.name, loc.country) for loc in allegation.locations}
    assert ("Luhansk Oblast", "UA") in places
    assert ("Donetsk Oblast", "UA") in places
    assert allegation.victims.min_age == 16
    assert allegation.claims, "the allegation names the claims that support it"
    assert allegation.rule.startswith("violations.recruitment_use.")


def test_seed_states_no_event_date(seed_analysis: Analysis) -> None:
    # The article dates the clubs (2014, 2015), not the recruitment: no finer time may be invented.
    allegation = next(a for a in seed_analysis.allegations if a.violation == "recruitment_use")
    assert allegation.time is None or allegation.time.precision in {"year", "unknown"}


def test_denisova_is_a_source_with_her_role_via_the_daily_mail(seed_analysis: Analysis) -> None:
    denisova = [c for c in seed_analysis.claims if c.source and c.source.name == "Lyudmyla Denisova"]
    assert len(denisova) >= 3, "her later mentions (Denisova, She) resolve to her full name"
    assert any(c.source.role == "the Ukrainian parliament commissioner on human rights" for c in denisova)
    assert any("Daily Mail" in c.via for c in denisova)
    assert any(c.source.resolved_from == "She" for c in denisova)
    assert all(c.source.party == "Ukraine" for c in denisova)
    assert any(c.stance == "accuses" for c in denisova)


def test_officials_and_pronoun_source(seed_analysis: Analysis) -> None:
    names = {c.source.name for c in seed_analysis.claims if c.source}
    assert "Ukraine's human rights officials" in names
    they = [c for c in seed_analysis.claims if c.source and c.source.resolved_from == "They"]
    assert they and they[0].source.name == "Ukraine's human rights officials"
    kinds = {c.kind for c in seed_analysis.claims}
    assert {"according_to", "indirect", "unattributed"} <= kinds


def test_hedges(seed_analysis: Analysis) -> None:
    hedges = {h.text.lower() for c in seed_analysis.claims for h in c.hedges}
    assert {"so-called", "alleged"} <= hedges


def test_flags(seed_analysis: Analysis) -> None:
    flags = set(seed_analysis.flags)
    assert {"question_headline", "representative_image", "party_to_conflict_source"} <= flags
    assert "secondary_reporting" in flags


def test_boilerplate_kept_out_of_claims_and_reported(seed_analysis: Analysis) -> None:
    kinds = {b.kind for b in seed_analysis.document.boilerplate}
    assert {"representative_image", "read_more"} <= kinds
    for boiler in seed_analysis.document.boilerplate:
        for claim in seed_analysis.claims:
            start, end = claim.content.span
            assert end <= boiler.span[0] or start >= boiler.span[1]
        for allegation in seed_analysis.allegations:
            assert all(not (e.span[0] >= boiler.span[0] and e.span[1] <= boiler.span[1])
                       for e in allegation.evidence), "a representative image is not evidence"


def test_every_span_indexes_the_text(seed_analysis: Analysis) -> None:
    text = seed_analysis.document.text
    for claim in seed_analysis.claims:
        for piece in [claim.content, claim.cue, *claim.hedges]:
            if piece is not None:
                assert text[piece.span[0]:piece.span[1]] == piece.text
        if claim.source and claim.source.span:
            assert text[claim.source.span[0]:claim.source.span[1]] == claim.source.text
    for allegation in seed_analysis.allegations:
        assert text[allegation.trigger.span[0]:allegation.trigger.span[1]] == allegation.trigger.text
        for evidence in allegation.evidence:
            assert text[evidence.span[0]:evidence.span[1]] == evidence.text


def test_json_contract_round_trips(seed_analysis: Analysis) -> None:
    data = seed_analysis.to_json_dict()
    assert data["schema"] == SCHEMA
    assert set(data) >= {"id", "document", "relevant", "claims", "allegations", "flags"}
    assert Analysis.model_validate(data) == seed_analysis
