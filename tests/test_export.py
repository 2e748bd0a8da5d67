"""Exports: every format parses back, streams, survives hostile text, and says what it left out."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caacwatch.errors import CaacError
from caacwatch.export import (
    FLAT_COLUMNS,
    FORMATS,
    HXL_TAGS,
    PUBLIC_COLUMNS,
    defuse_formula,
    export_incidents,
    flatten_incident,
    write_incidents,
)
from caacwatch.export.hxl import HXL_TAG_PATTERN

CHIBOK: dict[str, Any] = {
    "id": 12,
    "violation": "abduction",
    "status": "reported_not_verified",
    "countries": ["NG"],
    "admin1": ["Borno"],
    "locations": [
        {
            "name": "Chibok",
            "admin1": "Borno",
            "country": "NG",
            "lat": 10.87,
            "lon": 12.84,
            "precision": "city",
        }
    ],
    "perpetrators": [{"name": "Boko Haram", "party": "Boko Haram", "type": "non_state_armed_group"}],
    "first_reported": "2014-04-16T10:00:00+00:00",
    "last_reported": "2014-05-06T09:30:00+00:00",
    "event_date": "2014-04-14",
    "event_date_precision": "day",
    "victims": {"count": 276, "min_age": 12, "max_age": 17, "sex": "female"},
    "documents": ["cnn_test2185", "cnn_test3111"],
    "document_count": 2,
    "independent_sources": 2,
    "sources": [
        {
            "name": "Nigerian military",
            "type": "military",
            "party": "Nigeria",
            "outlets": ["CNN"],
            "documents": ["cnn_test2185"],
        },
        {
            "name": "Human Rights Watch",
            "type": "ngo",
            "party": None,
            "outlets": [],
            "documents": ["cnn_test3111"],
        },
    ],
    "flags": ["single_source", "party_to_conflict_only", "contested", "neutral_source"],
    "summary": "Boko Haram militants abducted more than 200 schoolgirls from a school in Chibok.",
}

SPARSE: dict[str, Any] = {
    "id": 13,
    "violation": "recruitment_use",
    "status": "reported_not_verified",
    "countries": [],
    "admin1": [],
    "locations": [],
    "perpetrators": [],
    "first_reported": None,
    "last_reported": None,
    "event_date": None,
    "event_date_precision": "unknown",
    "victims": None,
    "documents": [],
    "document_count": 0,
    "independent_sources": 0,
    "sources": [],
    "flags": [],
    "summary": "",
}


def incident(**changes: Any) -> dict[str, Any]:
    """A copy of the Chibok incident with some fields changed."""
    result = copy.deepcopy(CHIBOK)
    result.update(changes)
    return result


def export(incidents: list[dict[str, Any]], fmt: str) -> tuple[str, int]:
    out = io.StringIO()
    count = write_incidents(incidents, fmt, out)
    return out.getvalue(), count


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- dispatch ----------------------------------------------------------------------------------


def test_formats_are_the_five_documented_ones():
    assert set(FORMATS) == {"table", "json", "csv", "geojson", "hxl"}


def test_unknown_format_raises_e203_naming_the_choices_and_writes_nothing():
    out = io.StringIO()
    with pytest.raises(CaacError) as error:
        write_incidents([CHIBOK], "xlsx", out)
    assert error.value.code == "E203"
    assert "'xlsx'" in str(error.value) and "geojson" in str(error.value)
    assert out.getvalue() == ""


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "geojson", "hxl"])
def test_every_format_accepts_an_empty_list_and_a_sparse_incident(fmt):
    assert export([], fmt)[1] == 0
    expected = 0 if fmt == "geojson" else 1  # no coordinates: nothing to map
    assert export([SPARSE], fmt)[1] == expected


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "geojson", "hxl"])
def test_every_format_takes_a_one_shot_generator(fmt):
    assert export_incidents((i for i in [CHIBOK, SPARSE]), fmt, io.StringIO()).written >= 1


# --- JSON --------------------------------------------------------------------------------------


def test_json_round_trips_the_incidents_unchanged():
    text, count = export([CHIBOK, SPARSE], "json")
    assert count == 2
    assert json.loads(text) == [CHIBOK, SPARSE]


def test_json_of_an_empty_list_is_an_empty_array():
    assert json.loads(export([], "json")[0]) == []


def test_json_keeps_unicode_unescaped():
    names = "Ñdjamena — قوات الدعم السريع — Мариуполь — 🚸"
    text, _ = export([incident(summary=names)], "json")
    assert names in text
    assert json.loads(text)[0]["summary"] == names


def test_json_turns_non_finite_numbers_into_null_not_invalid_json():
    located = incident(locations=[{"name": "X", "lat": math.nan, "lon": math.inf, "precision": "city"}])
    data = json.loads(export([located], "json")[0])  # json.loads accepts NaN; check the text instead
    assert data[0]["locations"][0]["lat"] is None
    assert "NaN" not in export([located], "json")[0]


def test_json_streams_many_items_without_building_the_list():
    out = io.StringIO()
    seen_before_last: list[bool] = []

    def many() -> Iterator[dict[str, Any]]:
        for number in range(20_000):
            if number == 19_999:  # by now the earlier items must already be on ``out``
                seen_before_last.append('"id": 19998' in out.getvalue())
            yield {**SPARSE, "id": number}

    assert write_incidents(many(), "json", out) == 20_000
    assert seen_before_last == [True]
    data = json.loads(out.getvalue())
    assert len(data) == 20_000 and data[-1]["id"] == 19_999


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_has_one_row_per_incident_with_flattened_fields():
    text, count = export([CHIBOK, SPARSE], "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert count == 2 and len(rows) == 2
    assert list(rows[0]) == list(FLAT_COLUMNS)
    row = rows[0]
    assert row["id"] == "12" and row["countries"] == "NG" and row["locations"] == "Chibok"
    assert (row["lat"], row["lon"], row["location_kind"]) == ("10.87", "12.84", "city")
    assert (row["victims_count"], row["victims_min_age"], row["victims_max_age"]) == ("276", "12", "17")
    assert row["victims_sex"] == "female"
    assert row["documents"] == "cnn_test2185; cnn_test3111"
    assert row["sources"] == "Nigerian military (military); Human Rights Watch (ngo)"
    assert row["flags"] == "single_source; party_to_conflict_only; contested; neutral_source"
    assert row["perpetrators"] == "Boko Haram" and row["perpetrator_types"] == "non_state_armed_group"
    sparse = rows[1]
    assert sparse["victims_count"] == "" and sparse["lat"] == "" and sparse["countries"] == ""


def test_csv_of_an_empty_list_is_just_the_header():
    assert read_csv(export([], "csv")[0]) == [list(FLAT_COLUMNS)]


def test_csv_keeps_unicode_commas_quotes_and_newlines_in_one_cell():
    summary = 'Ataque en "Ñame", Cauca;\nsegunda línea, عربي'
    rows = read_csv(export([incident(summary=summary)], "csv")[0])
    assert rows[1][FLAT_COLUMNS.index("summary")] == summary


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
@pytest.mark.parametrize("fmt", ["csv", "hxl"])
def test_formula_injection_is_defused_in_every_text_cell(payload, fmt):
    hostile = incident(
        summary=payload,
        perpetrators=[{"name": payload, "party": payload, "type": None}],
        flags=[payload],
        sources=[{"name": payload, "type": None}],
        countries=[payload],
    )
    rows = read_csv(export([hostile], fmt)[0])
    row = dict(zip(rows[0], rows[-1], strict=True))
    for column in ("summary", "perpetrators", "perpetrator_parties", "flags", "sources", "countries"):
        assert row[column] == "'" + payload, column


def test_negative_coordinates_stay_numbers_in_csv():
    south_west = incident(locations=[{"name": "Lima", "lat": -12.05, "lon": -77.04, "precision": "city"}])
    row = dict(zip(FLAT_COLUMNS, read_csv(export([south_west], "csv")[0])[1], strict=True))
    assert (row["lat"], row["lon"]) == ("-12.05", "-77.04")


def test_defuse_formula_leaves_ordinary_text_alone():
    assert defuse_formula("Boko Haram") == "Boko Haram"
    assert defuse_formula("a=b") == "a=b"
    assert defuse_formula("-") == "'-"


# --- HXL ---------------------------------------------------------------------------------------


def test_hxl_second_row_is_the_hashtag_row():
    rows = read_csv(export([CHIBOK], "hxl")[0])
    headers, tags, data = rows[0], rows[1], rows[2:]
    assert headers == list(FLAT_COLUMNS)
    assert len(tags) == len(headers)
    assert all(tag.startswith("#") and HXL_TAG_PATTERN.match(tag) for tag in tags)
    assert len(data) == 1 and data[0][0] == "12"


def test_hxl_uses_the_standard_hashtags_for_the_core_columns():
    tags = dict(zip(FLAT_COLUMNS, read_csv(export([], "hxl")[0])[1], strict=True))
    assert tags["id"] == "#event+code"
    assert tags["violation"] == "#event+type"
    assert tags["countries"] == "#country+code+v_iso2"
    assert tags["admin1"] == "#adm1+name"
    assert tags["locations"] == "#loc+name"
    assert (tags["lat"], tags["lon"]) == ("#geo+lat", "#geo+lon")
    assert tags["first_reported"] == "#date+reported"
    assert tags["event_date"] == "#date+occurred"
    assert tags["victims_count"] == "#affected+children"
    assert tags["sources"] == "#meta+source"
    assert tags["summary"] == "#description"


def test_hxl_mapping_covers_every_column_with_distinct_tags():
    assert set(HXL_TAGS) == set(FLAT_COLUMNS) | set(PUBLIC_COLUMNS)
    assert len(set(HXL_TAGS.values())) == len(HXL_TAGS)


def test_hxl_data_rows_equal_the_csv_data_rows():
    csv_rows = read_csv(export([CHIBOK, SPARSE], "csv")[0])
    hxl_rows = read_csv(export([CHIBOK, SPARSE], "hxl")[0])
    assert hxl_rows[0] == csv_rows[0] and hxl_rows[2:] == csv_rows[1:]


# --- GeoJSON -----------------------------------------------------------------------------------


def check_feature_collection(data: dict[str, Any]) -> None:
    """The RFC 7946 shape this exporter promises: Point features, [lon, lat], flat properties."""
    assert data["type"] == "FeatureCollection"
    assert isinstance(data["features"], list)
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert (feature["properties"]["lon"], feature["properties"]["lat"]) == (lon, lat)
        assert all(not isinstance(v, dict | list) for v in feature["properties"].values())


def test_geojson_puts_longitude_first():
    text, count = export([CHIBOK], "geojson")
    data = json.loads(text)
    check_feature_collection(data)
    assert count == 1
    [feature] = data["features"]
    assert feature["geometry"]["coordinates"] == [12.84, 10.87]  # [lon, lat]
    assert feature["properties"]["id"] == 12 and feature["properties"]["location"] == "Chibok"
    assert feature["properties"]["victims_count"] == 276


def test_geojson_has_one_feature_per_located_place_and_counts_the_skipped():
    two_places = incident(
        id=20,
        locations=[
            {"name": "Chibok", "lat": 10.87, "lon": 12.84, "precision": "city"},
            {"name": "Borno", "lat": None, "lon": None, "precision": "admin1"},
            {"name": "Maiduguri", "lat": 11.85, "lon": 13.16, "precision": "city"},
        ],
    )
    bad = [
        incident(id=21, locations=[{"name": "Nowhere", "lat": None, "lon": None}]),
        incident(id=22, locations=[{"name": "NaN", "lat": math.nan, "lon": 1.0}]),
        incident(id=23, locations=[{"name": "Off the globe", "lat": 95.0, "lon": 200.0}]),
        incident(id=24, locations=[{"name": "Text", "lat": "10.8", "lon": "12.8"}]),
        SPARSE,
    ]
    out = io.StringIO()
    result = export_incidents([two_places, *bad], "geojson", out)
    assert (result.written, result.skipped, result.features) == (1, 5, 2)
    data = json.loads(out.getvalue())
    check_feature_collection(data)
    assert [f["properties"]["location"] for f in data["features"]] == ["Chibok", "Maiduguri"]
    assert data["features"][1]["properties"]["lat"] == 11.85


def test_geojson_of_an_empty_list_is_an_empty_collection():
    data = json.loads(export([], "geojson")[0])
    assert data == {"type": "FeatureCollection", "features": []}


# --- table -------------------------------------------------------------------------------------


def test_table_shows_the_key_fields_within_100_columns():
    text, count = export([CHIBOK, SPARSE], "table")
    assert count == 2
    for expected in ("12", "abduction", "NG", "Boko Haram", "2014-04-16", "reported", "single source"):
        assert expected in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_table_does_not_interpret_markup_or_pass_terminal_escapes():
    hostile = incident(
        perpetrators=[{"name": "[bold red]X[/] \x1b[2J\u202egnp.exe", "party": None, "type": None}]
    )
    text, _ = export([hostile], "table")
    assert "[bold red]X[/]" in text
    assert "\x1b" not in text and "\u202e" not in text


def test_table_of_an_empty_list_says_so():
    text, count = export([], "table")
    assert count == 0 and "No incidents" in text


# --- arbitrary text never breaks the structured formats ---------------------------------------

hostile_text = st.text(max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary=hostile_text, name=hostile_text, flag=hostile_text, outlet=hostile_text)
def test_arbitrary_strings_round_trip_through_csv_and_json(summary, name, flag, outlet):
    hostile = incident(
        summary=summary,
        perpetrators=[{"name": name, "party": "P", "type": "state"}],
        flags=[flag],
        sources=[{"name": outlet, "type": None}],
    )
    assert json.loads(export([hostile], "json")[0]) == [hostile]

    flat = flatten_incident(hostile)
    for fmt, data_start in (("csv", 1), ("hxl", 2)):
        rows = read_csv(export([hostile], fmt)[0])
        assert len(rows) == data_start + 1
        row = dict(zip(FLAT_COLUMNS, rows[data_start], strict=True))
        for column in ("summary", "perpetrators", "flags", "sources"):
            assert row[column] == defuse_formula(str(flat[column])), column


@settings(max_examples=50, deadline=None)
@given(name=hostile_text, lat=st.floats(-90, 90), lon=st.floats(-180, 180))
def test_arbitrary_places_give_valid_geojson(name, lat, lon):
    located = incident(locations=[{"name": name, "lat": lat, "lon": lon, "precision": "city"}])
    data = json.loads(export([located], "geojson")[0])
    check_feature_collection(data)
    assert data["features"][0]["geometry"]["coordinates"] == [lon, lat]
    assert data["features"][0]["properties"]["location"] == name
