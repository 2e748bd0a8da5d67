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
    assert allegation.perpetrator.type == "state_armed_force"
    assert allegation.violation_class == "grave_violation"
    places = {(loc.name, loc.country) for loc in allegation.locations}
    assert ("Luhansk Oblast", "UA") in places
    assert ("Donetsk Oblast", "UA") in places
    assert allegation.victims.min_age == 16
    assert allegation.claims, "the allegation names the claims that support it"
    assert allegation.rule.startswith("violations.recruitment_use.")


def test_seed_states_no_event_date(seed_analysis: Analysis) -> None:
    # The article dates the clubs (2014, 2015), not the recruitment: no finer time may be invented.
    allegation = next(a for a in seed_analysis.allegations if a.violation == "recruitment_use")
    assert allegation.time is None
    assert allegation.date_precision is None


def test_seed_children_counted_as_the_text_states(seed_analysis: Analysis) -> None:
    """Boys and girls unknown, no figure, ages 16+ ("conscripting 16-year-olds"), role unknown ("can be
    sent to the frontline" is a possibility, not use in combat)."""
    victims = next(a for a in seed_analysis.allegations if a.violation == "recruitment_use").victims
    assert (victims.count, victims.boys, victims.girls, victims.sex_unknown) == (None, None, None, None)
    assert victims.sex == "unknown" and not victims.estimated
    assert (victims.min_age, victims.max_age) == (16, None)
    assert victims.role == "unknown" and victims.role_evidence is None


def test_seed_location_precision_is_the_region(seed_analysis: Analysis) -> None:
    allegation = next(a for a in seed_analysis.allegations if a.violation == "recruitment_use")
    assert allegation.location_precision == 3
    admin1 = {loc.admin1 for loc in allegation.locations if loc.admin1}
    assert {"Luhansk Oblast", "Donetsk Oblast"} <= admin1
    assert all(loc.geo_precision == 3 for loc in allegation.locations)


def test_seed_sources_typed(seed_analysis: Analysis) -> None:
    """Officials of Ukraine (a party to the conflict, accusing Russia) and the Daily Mail relaying them."""
    allegation = next(a for a in seed_analysis.allegations if a.violation == "recruitment_use")
    sources = {s.name: s for s in allegation.sources}
    denisova = sources["Lyudmyla Denisova"]
    assert (denisova.category, denisova.type, denisova.party, denisova.relay) == ("secondary", "official", "Ukraine", False)
    assert denisova.kinds == ["official_statement"]
    assert denisova.credibility == "low", "a party's official accusing the opposing party, hedged"
    officials = [s for s in allegation.sources if s.type == "official" and s.party == "Ukraine"]
    assert {s.name for s in officials} >= {"Ukraine's human rights officials", "Lyudmyla Denisova"}
    mail = sources["Daily Mail"]
    assert (mail.category, mail.type, mail.relay, mail.kinds) == ("secondary", "media", True, ["media_report"])
    assert mail.reliability == "medium"
    assert not any(s.type == "alleged_perpetrator" for s in allegation.sources)
    assert all(set(s.claims) <= set(allegation.claims) for s in allegation.sources)
    assert all(s.rule.startswith("sources.") and "source_ratings/1" in s.rule for s in allegation.sources)


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
        for source in allegation.sources:
            if source.span is not None:
                assert text[source.span[0]:source.span[1]] in source.name or source.name in text[source.span[0]:source.span[1]]
        for quoted in (allegation.victims.quantity, allegation.victims.role_evidence):
            if quoted is not None:
                assert text[quoted.span[0]:quoted.span[1]] == quoted.text


def test_json_contract_round_trips(seed_analysis: Analysis) -> None:
    data = seed_analysis.to_json_dict()
    assert data["schema"] == SCHEMA == "caacwatch.analysis/2"
    assert set(data) >= {"id", "document", "relevant", "claims", "allegations", "flags"}
    assert Analysis.model_validate(data) == seed_analysis
