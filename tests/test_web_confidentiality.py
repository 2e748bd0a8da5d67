"""Confidentiality per role (docs/mrm.md, "Confidentiality"), on SQLite and PostgreSQL: analysts and
admins see everything; viewers never see a restricted field — victim details (ages, the words a figure
was read from), exact locations (towns and their coordinates: a viewer's places and map markers are
regions), source identities (source names, claims, documents, article text, URLs, outlets, evidence,
notes) — on any page, JSON twin, map, export or history; document, source and allegation pages are
refused to viewers; the publication export holds only public-safe fields, whoever makes it.

Every rule is checked for every role (anonymous, viewer, analyst, admin) over one populated store per
backend. The module changes the store once, in its fixture (a verification, a note naming a source, a
rating, an edited public summary), so that the history is covered too; the tests only read.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import BACKENDS, fresh_database_url
from tests.web_support import make_web

ROLES = ("viewer", "analyst", "admin")
# Words of the fixtures (tests/fixtures/monitor) that only restricted fields hold: a village named in
# the articles only (Kauru), the documents' ids and URLs, named sources, the words a count was read from.
RESTRICTED_WORDS = ("Kauru", "kauru", "wire.example", "Syniehubov", "Local officials", "regional governor",
                    "defence ministry", "40 pupils", "Parents gathered", "NOTE-NAMES-A-SOURCE")
NOTE = "NOTE-NAMES-A-SOURCE: asked Oleh Syniehubov for the figures"
PUBLIC_JSON_KEYS = {"id", "violation", "violation_class", "status", "countries", "regions", "month", "month_basis",
                    "counts", "perpetrator", "perpetrator_type", "location_precision", "date_precision",
                    "independent_sources", "source_types", "public_summary"}


@pytest.fixture(scope="module", params=BACKENDS)
def web(request, tmp_path_factory, analyzer):
    from caacwatch.store import open_store

    store = open_store(fresh_database_url(request.param, tmp_path_factory.mktemp(request.param)))
    web = make_web(store, analyzer)
    kharkiv = _find(web, "killing_maiming", "UA")
    calls = [
        ("POST", f"/api/incidents/{kharkiv}/review", {"status": "verified", "level": "focal_point", "note": NOTE}),
        ("POST", f"/api/incidents/{kharkiv}/notes", {"note": NOTE}),
        ("POST", f"/api/incidents/{kharkiv}/public-summary", {"text": "Two children killed in Kharkiv Oblast, Ukraine.", "note": NOTE}),
    ]
    source = web.api("analyst", "GET", f"/api/incidents/{kharkiv}").json()["sources"][0]["id"]
    calls.append(("POST", f"/api/incidents/{kharkiv}/sources/{source}/rating", {"credibility": "high", "note": NOTE}))
    for method, path, body in calls:
        response = web.api("analyst", method, path, body)
        assert response.status_code in (200, 201), (path, response.content)
    yield web
    store.close()


def _find(web, violation: str, country: str) -> int:
    rows = web.api("analyst", "GET", f"/api/incidents?violation={violation}&country={country}").json()["results"]
    assert rows, (violation, country)
    return rows[0]["id"]


@pytest.fixture(scope="module")
def truth(web):
    """What analysts see: every incident's town-level places and region points, and the ids to visit."""
    from caacwatch.store.models import Allegation, Claim, Document

    full = {i: web.api("analyst", "GET", f"/api/incidents/{i}").json() for i in web.incident_ids()}
    towns = {(round(loc["lat"], 4), round(loc["lon"], 4)) for i in full.values() for loc in i["locations"]
             if loc.get("precision") in ("city", "point") and loc.get("lat") is not None}
    regions = {(round(r["lat"], 4), round(r["lon"], 4)) for i in full.values() for r in i["regions"] if r.get("lat") is not None}
    assert towns and regions and not towns & regions
    with web.active():
        ids = {
            "document": Document.objects.order_by("id").values_list("id", flat=True).first(),
            "allegation": Allegation.objects.order_by("id").values_list("id", flat=True).first(),
            "source": Claim.objects.exclude(source_name=None).values_list("source_name", flat=True).first(),
        }
    return {"full": full, "towns": towns, "regions": regions, "ids": ids,
            "kharkiv": _find(web, "killing_maiming", "UA")}


def _leaks(text: str) -> list[str]:
    return [w for w in RESTRICTED_WORDS if w in text]


def _points(text: str) -> set[tuple[float, float]]:
    """Every "lat"/"lon" pair in a JSON text (rounded as the analysts' places are)."""
    found = set()
    for match in re.finditer(r'"lat":\s*(-?[\d.]+),\s*"lon":\s*(-?[\d.]+)', text):
        found.add((round(float(match[1]), 4), round(float(match[2]), 4)))
    return found


# --- the JSON API ----------------------------------------------------------------------------------
READS = ["/api/incidents", "/api/incidents?page_size=500", "/api/incidents/{kharkiv}", "/api/incidents/{kharkiv}/history",
         "/api/review-queue", "/api/dashboard"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("who", [None, *ROLES])
def test_api_reads_hold_no_restricted_field_for_viewers(web, truth, who, path):
    response = web.api(who, "GET", path.format(kharkiv=truth["kharkiv"]))
    if who is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    text = response.content.decode()
    if who == "viewer":
        assert _leaks(text) == [], path
        assert not _points(text) & truth["towns"], path
        assert '"min_age"' not in text and '"by_source"' not in text and '"documents"' not in text
    elif path == "/api/incidents?page_size=500":
        assert "Syniehubov" in text and '"by_source"' in text and _points(text) & truth["towns"]


@pytest.mark.parametrize("who", ROLES)
def test_every_incident_as_each_role_sees_it(web, truth, who):
    for incident, full in truth["full"].items():
        seen = web.api(who, "GET", f"/api/incidents/{incident}").json()
        if who != "viewer":
            assert {k: v for k, v in seen.items() if k != "history"} == {k: v for k, v in full.items() if k != "history"}
            continue
        for key in ("reports", "decisions", "documents", "min_age", "max_age", "ages"):
            assert key not in seen, key
        assert all(set(s) <= {"category", "type", "kinds", "party", "relay", "reliability", "credibility"} for s in seen["sources"])
        assert all(loc["precision"] in ("admin1", "country") for loc in seen["locations"])
        assert all("by_source" not in c and "source" not in c and "document" not in c for c in seen["counts"].values())
        assert {k: c["value"] for k, c in seen["counts"].items()} == {k: c["value"] for k, c in full["counts"].items()}
        assert "min_age" not in seen["victims"]
        assert seen["summary"] == full["public_summary"]  # the article's sentence is replaced
        # what is not restricted is the same for every role
        for key in ("id", "violation", "violation_class", "status", "verified_by", "verified_at", "verification_level",
                    "countries", "regions", "perpetrator", "perpetrator_type", "date_precision", "location_precision",
                    "independent_sources", "public_summary", "flags"):
            assert seen[key] == full[key], key


@pytest.mark.parametrize("who", ROLES)
def test_history_hides_notes_and_names_from_viewers(web, truth, who):
    history = web.api(who, "GET", f"/api/incidents/{truth['kharkiv']}/history").json()
    assert [h["action"] for h in history] == ["review", "note", "public_summary", "rate_source"]
    if who == "viewer":
        assert all(h["note"] == "" for h in history)
        assert history[0]["after"]["status"] == "verified" and history[0]["after"]["verification_level"] == "focal_point"
        assert history[3]["after"] == {"reliability": history[3]["after"]["reliability"], "credibility": "high"}
    else:
        assert all(h["note"] == NOTE for h in history)


@pytest.mark.parametrize("who", [None, *ROLES])
@pytest.mark.parametrize("path", ["/api/documents/{document}", "/api/sources", "/api/sources/{source}",
                                  "/api/allegations/{allegation}"])
def test_documents_sources_and_allegations_are_refused_to_viewers(web, truth, who, path):
    response = web.api(who, "GET", path.format(**truth["ids"]))
    assert response.status_code == {None: 401, "viewer": 403}.get(who, 200)
    if who in ("analyst", "admin"):
        assert response.json()


def test_a_viewers_search_does_not_look_in_the_articles(web):
    assert web.api("analyst", "GET", "/api/incidents?q=Kauru").json()["results"]
    assert web.api("admin", "GET", "/api/incidents?q=Syniehubov").json()["results"]
    for word in ("Kauru", "Syniehubov", "pupils"):
        assert web.api("viewer", "GET", f"/api/incidents?q={word}").json()["results"] == [], word
        assert web.api("viewer", "GET", f"/api/incidents/export?format=json&q={word}").json() == [], word
    assert web.api("viewer", "GET", "/api/incidents?q=Kharkiv Oblast").json()["results"]  # the public summary


# --- exports -------------------------------------------------------------------------------------
FORMATS = ("csv", "json", "geojson", "hxl")


def _rows(fmt: str, text: str) -> list[dict]:
    if fmt == "json":
        return json.loads(text)
    if fmt == "geojson":
        return [f["properties"] for f in json.loads(text)["features"]]
    lines = text.splitlines()
    if fmt == "hxl":
        lines = lines[:1] + lines[2:]  # the hashtag row under the header
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", [None, *ROLES])
def test_exports_made_by_viewers_leave_restricted_fields_out(web, truth, who, fmt):
    response = web.api(who, "GET", f"/api/incidents/export?format={fmt}")
    if who is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    text = response.content.decode()
    rows = _rows(fmt, text)
    assert {str(r["id"]) for r in rows} == {str(i) for i in truth["full"]}  # (GeoJSON: a feature per place)
    if who == "viewer":
        assert _leaks(text) == []
        assert not _points(text) & truth["towns"]
        for row in rows:
            assert not {"documents", "min_age", "max_age", "victims_min_age", "victims_max_age", "ages", "sources_detail"} & set(row)
        if fmt != "json":
            located = {(round(float(r["lat"]), 4), round(float(r["lon"]), 4)) for r in rows if r.get("lat") not in (None, "")}
            assert located and located <= truth["regions"]
    else:
        assert "Kauru" in text or "Syniehubov" in text or "wire-kauru" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_publication_export_is_the_same_for_every_role_and_public_safe(web, truth, fmt):
    bodies = {}
    for who in ROLES:
        response = web.api(who, "GET", f"/api/incidents/export?format={fmt}&mode=public")
        assert response.status_code == 200
        assert "incidents-public" in response["Content-Disposition"]
        bodies[who] = response.content.decode()
    assert bodies["viewer"] == bodies["analyst"] == bodies["admin"]
    text = bodies["viewer"]
    assert _leaks(text) == []
    assert not _points(text) & truth["towns"]
    rows = _rows(fmt, text)
    assert {str(r["id"]) for r in rows} == {str(i) for i in truth["full"]}
    if fmt == "json":
        assert all(set(row) <= PUBLIC_JSON_KEYS for row in rows)
    else:
        columns = set(rows[0])
        assert not {"locations", "summary", "sources", "documents", "victims_min_age", "perpetrators", "flags"} & columns
        assert {"id", "violation", "violation_class", "status", "public_summary"} <= columns
    summaries = {str(r["id"]): r["public_summary"] for r in rows}
    assert summaries[str(truth["kharkiv"])] == "Two children killed in Kharkiv Oblast, Ukraine."
    assert web.api(None, "GET", f"/api/incidents/export?format={fmt}&mode=public").status_code == 401
    assert web.api("viewer", "GET", f"/api/incidents/export?format={fmt}&mode=everything").status_code == 400


# --- pages and the map -----------------------------------------------------------------------------
PAGES = ["/", "/incidents", "/incidents/{kharkiv}", "/review", "/incidents?q=Kauru"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("who", [None, *ROLES])
def test_pages_hold_no_restricted_field_for_viewers(web, truth, who, path):
    url = path.format(kharkiv=truth["kharkiv"])
    with web.active():
        response = web.client(who).get(url)
    if who is None:
        assert response.status_code == 302 and response["Location"].startswith("/login?next=")
        return
    assert response.status_code == 200
    page = response.content.decode()
    if who == "viewer":
        searched = "q=" in url  # the viewer's own search words are echoed back (the box, the export links)
        assert [w for w in _leaks(page) if not (searched and w.lower() == "kauru")] == [], url
        assert not searched or "No incidents match." in page
        assert 'data-testid="nav-sources"' not in page and 'href="/documents/' not in page and 'href="/sources/' not in page
    elif path == "/incidents/{kharkiv}":
        assert "Syniehubov" in page and 'data-testid="article-text"' in page and NOTE in page


@pytest.mark.parametrize("who", ROLES)
def test_every_incident_page_as_each_role_sees_it(web, truth, who):
    with web.active():
        client = web.client(who)
        for incident, full in truth["full"].items():
            page = client.get(f"/incidents/{incident}").content.decode()
            restricted = ('data-testid="article-text"', 'data-testid="source-name"', 'data-testid="ages"',
                          'data-testid="places"', 'data-testid="report"')
            if who == "viewer":
                assert _leaks(page) == [], incident
                assert not [m for m in restricted if m in page], incident
                assert 'data-testid="restricted-note"' in page
                for source in full["sources"]:
                    assert f">{source['name']}<" not in page, source["name"]
            else:
                assert 'data-testid="source-name"' in page or not full["sources"]
                assert 'data-testid="report"' in page
            assert 'data-testid="public-summary"' in page and 'data-testid="counts-table"' in page


@pytest.mark.parametrize("who", [None, *ROLES])
@pytest.mark.parametrize("path", ["/documents/{document}", "/sources", "/sources/{source}", "/allegations/{allegation}/edit"])
def test_document_and_source_pages_are_refused_to_viewers(web, truth, who, path):
    with web.active():
        response = web.client(who).get(path.format(**truth["ids"]))
    assert response.status_code == {None: 302, "viewer": 403}.get(who, 200)


@pytest.mark.parametrize("who", ROLES)
def test_map_markers_are_at_the_region_for_viewers(web, truth, who):
    from html import unescape

    points = web.api(who, "GET", "/api/dashboard").json()["points"]
    located = {(round(p["lat"], 4), round(p["lon"], 4)) for p in points}
    with web.active():
        page = web.client(who).get("/").content.decode()
    attribute = re.search(r'data-points="([^"]*)"', page)
    rows = json.loads(unescape(attribute[1]))
    assert sorted(r[0] for r in rows) == sorted(p["incident"] for p in points)
    drawn = {(round(r[1], 4), round(r[2], 4)) for r in rows}
    if who == "viewer":
        assert located <= truth["regions"] and drawn <= truth["regions"]
        names = {r["name"] for i in truth["full"].values() for r in i["regions"]}
        assert {p["name"] for p in points} <= names and {r[5] for r in rows} <= names
    else:
        assert located & truth["towns"] and drawn & truth["towns"]  # analysts see the towns


@pytest.mark.parametrize("who", ROLES)
def test_the_dashboard_counts_grave_violations_and_related_categories_apart(web, truth, who):
    data = web.api(who, "GET", "/api/dashboard").json()
    classes = {i["violation_class"] for i in truth["full"].values()}
    assert data["by_class"]["grave_violation"] == sum(data["by_violation"].values())
    assert data["by_class"]["related_category"] == sum(data["by_related_category"].values())
    assert set(data["by_violation"]) <= {"recruitment_use", "killing_maiming", "sexual_violence", "attacks_schools_hospitals",
                                         "abduction", "denial_humanitarian_access"}
    assert set(data["by_related_category"]) <= {"military_use_schools_hospitals", "deprivation_of_liberty"}
    assert sum(data["by_class"].values()) == data["total"]
    if "related_category" in classes:
        assert data["by_related_category"]
        with web.active():
            page = web.client(who).get("/").content.decode()
        assert 'data-testid="counts-related"' in page and "military_use_schools_hospitals" in page
