"""Confidentiality (docs/mrm.md): every rule for each role — viewer, analyst, admin, publication — on the
pure functions, on every export format, and on the CLI's publication mode."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from caacwatch.export import (
    FORMATS,
    PUBLIC_COLUMNS,
    VIEWER_COLUMNS,
    detail_for_role,
    incident_for_role,
    propose_public_summary,
    public_incident,
    visibility_for_role,
    write_incidents,
)
from caacwatch.export.public import PUBLIC_FIELDS
from tests.mrm_support import (
    OUTLET,
    SOURCE,
    TOWN,
    URL,
    VICTIM,
    WITNESS,
    Report,
    incident_json,
    source,
    store_reports,
)

SECRET_ID = "ext-oleh-petrenko-1"  # an external id (a file name, a URL) is a document identity too
# Nothing of these may reach a viewer or a publication: victim and witness names, the town, the source's
# name, the outlet, the URL, the report's id, the town's coordinates.
FORBIDDEN = (VICTIM, WITNESS, TOWN, SOURCE, "Denisova", OUTLET, URL, SECRET_ID, "38.0,", "48.6,")
REGION_POINT = (48.02, 37.8)


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A SQLite store with one incident made of two reports (a town, ages, named sources, a relay)."""
    from caacwatch.store import open_store

    db = str(tmp_path_factory.mktemp("conf") / "conf.sqlite3")
    store = open_store(db)
    incident_id = store_reports(store, [
        Report(SECRET_ID, victims={"count": 3, "boys": 2, "sex_unknown": 1, "min_age": 16,
                                   "quantity": {"text": "three", "span": [0, 5]}},
               sources=[source(SOURCE), source(OUTLET, type="media", party=None, relay=True),
                        source(WITNESS, type="witness", party=None, kinds=["testimony"])]),
        Report("ext-2", victims={"count": 5, "killed": 1}),
    ])
    detail = incident_json(store, incident_id)
    yield db, detail
    store.close()


def _leaks(value) -> list[str]:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return [s for s in FORBIDDEN if s in text]


def test_the_full_record_has_the_restricted_fields(stored):
    _, detail = stored
    assert set(_leaks(detail)) >= {TOWN, SOURCE, OUTLET, SECRET_ID, WITNESS}  # else the checks below prove nothing
    assert detail["min_age"] == 16 and detail["counts"]["children"]["by_source"]


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_see_everything(stored, role):
    _, detail = stored
    assert visibility_for_role(role) == "full"
    assert incident_for_role(detail, role) == detail
    assert detail_for_role(detail, role) == detail


def test_viewers_see_no_victim_details_exact_location_or_source_identities(stored):
    _, detail = stored
    assert visibility_for_role("viewer") == "restricted"
    view = incident_for_role(detail, "viewer")
    assert _leaks(view) == []
    # victim details
    assert not {"min_age", "max_age", "ages"} & set(view)
    assert not {"min_age", "max_age", "ages"} & set(view["victims"])
    assert all(set(c) <= {"value", "min", "max", "estimated", "all_low_credibility"} for c in view["counts"].values())
    assert view["counts"]["children"]["value"] == 3 and view["counts"]["killed"]["value"] == 1
    # exact location: regions only, at the region's point
    assert [(loc["name"], loc["precision"], loc["geo_precision"]) for loc in view["locations"]] == [("Donetsk Oblast", "admin1", 3)]
    assert (view["locations"][0]["lat"], view["locations"][0]["lon"]) == REGION_POINT
    assert view["countries"] == ["UA"] and view["admin1"] == ["Donetsk Oblast"]
    # source identities: types, parties and ratings, never a name, a document or an outlet
    assert "documents" not in view
    assert {s["type"] for s in view["sources"]} == {"official", "media", "witness"}
    assert all(set(s) == {"category", "type", "kinds", "party", "relay", "reliability", "credibility"} for s in view["sources"])
    assert view["summary"] == detail["public_summary"]  # the article's sentence is replaced
    # what is not restricted is still there
    for key in ("status", "violation_class", "perpetrator", "perpetrator_type", "location_precision", "date_precision",
                "independent_sources", "flags", "event_date", "first_reported", "recruitment_role"):
        assert view[key] == detail[key], key


def test_viewers_timeline_and_decisions_are_dates_and_roles_only(stored):
    _, detail = stored
    view = detail_for_role(detail, "viewer")
    assert _leaks(view) == []
    assert view["timeline"] and all(set(e) == {"date", "date_basis", "role"} for e in view["timeline"])
    assert all(set(d) == {"action", "score", "at"} for d in view["decisions"])


def test_the_publication_record_holds_only_public_safe_fields(stored):
    _, detail = stored
    record = incident_for_role(detail, "public")
    assert record == public_incident(detail) and tuple(record) == PUBLIC_FIELDS
    assert _leaks(record) == []
    assert record["month"] == "2024-03" and record["month_basis"] == "event"  # never the day
    assert "2024-03-03" not in json.dumps(record)
    assert record["counts"]["children"] == {"value": 3, "min": 3, "max": 5, "estimated": False}
    assert record["perpetrator"] == "Russia" and record["perpetrator_type"] == "state_armed_force"
    assert [(r["name"], r["lat"], r["lon"]) for r in record["regions"]] == [("Donetsk Oblast", *REGION_POINT)]
    assert record["source_types"] == {"media": 1, "official": 1, "witness": 1}
    assert detail_for_role(detail, "public").keys() == set(PUBLIC_FIELDS)


def test_the_publication_never_names_an_untyped_perpetrator():
    named = {"perpetrator": "Commander Ivan Ivanov", "perpetrator_type": "unknown", "violation": "abduction"}
    assert public_incident(named)["perpetrator"] is None
    assert "Ivanov" not in propose_public_summary(named)


def test_the_proposed_public_summary_is_safe(stored):
    _, detail = stored
    summary = propose_public_summary(detail)
    assert _leaks(summary) == []
    assert "16" not in summary  # no ages
    assert summary.startswith("Recruitment and use of children (a grave violation), attributed to a state armed force (Russia)")
    assert "Donetsk Oblast, Ukraine" in summary and "March 2024" in summary and "3 March" not in summary
    assert "3 children (reports range 3–5)" in summary and "2 boys" in summary and "1 killed" in summary
    assert "Status: reported, not verified." in summary and "3 sources (1 media, 1 official, 1 witness)" in summary
    undated = propose_public_summary({**detail, "event_date": None, "date_precision": None, "counts": {}})
    assert "first reported in March 2024" in undated and "number not stated" in undated


def test_an_analysts_public_summary_wins(stored):
    _, detail = stored
    edited = {**detail, "public_summary": "Edited text."}
    assert incident_for_role(edited, "viewer")["summary"] == "Edited text."
    assert public_incident(edited)["public_summary"] == "Edited text."


@pytest.mark.parametrize("role", [None, "", "guest", "superuser"])
def test_unknown_roles_are_refused(stored, role):
    _, detail = stored
    with pytest.raises(ValueError):
        incident_for_role(detail, role)
    with pytest.raises(ValueError):
        write_incidents([detail], "json", io.StringIO(), visibility="secret")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("visibility", ["restricted", "public"])
def test_every_export_format_leaves_the_restricted_fields_out(stored, fmt, visibility):
    _, detail = stored
    out = io.StringIO()
    assert write_incidents([detail], fmt, out, visibility=visibility) == 1
    text = out.getvalue()
    assert _leaks(text) == [], fmt
    if fmt in ("csv", "hxl"):
        header = next(csv.reader(io.StringIO(text)))
        assert header == list(VIEWER_COLUMNS if visibility == "restricted" else PUBLIC_COLUMNS)
    if fmt == "geojson":
        [feature] = json.loads(text)["features"]
        assert feature["geometry"]["coordinates"] == [REGION_POINT[1], REGION_POINT[0]]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "table"])  # the table never shows places
def test_full_exports_keep_everything_for_analysts(stored, fmt):
    _, detail = stored
    out = io.StringIO()
    write_incidents([detail], fmt, out)
    assert TOWN in out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cli_publication_mode(stored, fmt):
    from caacwatch.cli import app

    db, _ = stored
    result = CliRunner().invoke(app, ["incidents", "--public", "--format", fmt, "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _leaks(result.stdout) == []
    if fmt == "json":
        [record] = json.loads(result.stdout)
        assert tuple(record) == PUBLIC_FIELDS and record["month"] == "2024-03"
    full = CliRunner().invoke(app, ["incidents", "--format", fmt, "--db", db], catch_exceptions=False)
    assert TOWN in full.stdout or fmt == "table"


def test_incident_show_prints_counts_sources_precision_verification_and_public_summary(stored):
    from caacwatch.cli import app

    db, detail = stored
    result = CliRunner().invoke(app, ["incident", "show", str(detail["id"]), "--db", db], catch_exceptions=False,
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.stdout
    for expected in ("reports range 3–5", "location precision 1 (the town itself)", "date precision 1 (the exact day)",
                     "verification: not verified", "state armed force (Russia)", "public summary (proposed)",
                     "ages 16+", "witness (primary)", "media (secondary, relay)", "Figures (conservative"):
        assert expected in text, expected


def test_link_refresh_recomputes_every_incident(stored):
    from caacwatch.cli import app

    db, _ = stored
    result = CliRunner().invoke(app, ["link", "--refresh", "--json", "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refreshed"] == 1
