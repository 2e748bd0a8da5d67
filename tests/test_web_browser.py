"""The workbench in a real browser: Debian's headless Chromium driven by Playwright, against a real
``caacwatch serve`` (subprocess, free port) on a database holding the monitor fixtures.

An analyst signs in, filters the incident list (by violation, then by country) and sees only the
matching rows, opens an incident, moves it to pending verification and then verifies it at a level
(focal point) with notes through the review form and finds the new history entries, then sees the
dashboard map draw one marker per located incident. A viewer, in a second browser context, opens the
same incident and finds no source name, no article text and no town. On every
page: no console error, no uncaught script error, no Content-Security-Policy violation, no failed
request. A screenshot of each step goes to ``artifacts/browser/`` (git-ignored).

The tests share one signed-in browser and run in file order (the review changes an incident that the
map test then finds). No browser is downloaded: the system's ``/usr/bin/chromium`` is used
(``scripts/chromium.sh`` installs it). Without it the module is skipped, unless
``CAACWATCH_REQUIRE_BROWSER=1`` (CI), which makes it a failure.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.web_served import CHROMIUM, LAUNCH_ARGS, create_user, populated_database, serving, sign_in
from tests.web_support import PASSWORD

REQUIRED = os.environ.get("CAACWATCH_REQUIRE_BROWSER") == "1"
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
ANALYST = "amina"

if not REQUIRED:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (scripts/chromium.sh installs it)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")

# Every page of the workbench records the CSP violations it sees (an init script runs before the
# page's own scripts and is not subject to the page's CSP).
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


class Watch:
    """What went wrong on a page: console errors, uncaught errors, CSP violations, failed requests."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda message: self.problems.append(
            f"console {message.type}: {message.text} ({message.location.get('url', '')})") if message.type == "error" else None)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url} {request.failure}"))
        page.on("response", lambda response: self.problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400 else None)

    def csp_violations(self) -> list[str]:
        try:
            return list(self.page.evaluate("() => window.__cspViolations || []"))
        except Exception as exc:  # noqa: BLE001 - a page that is navigating away has no window to ask
            return [f"(could not read the CSP watch: {exc})"]

    def shot(self, name: str) -> None:
        """A screenshot of the whole page, after collecting this document's CSP violations."""
        self.problems += [f"CSP violation: {v}" for v in self.csp_violations()]
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        self.problems += [f"CSP violation: {v}" for v in self.csp_violations()]
        assert self.problems == [], "\n".join(self.problems)


# --- the served workbench and the browser ------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _browser_available():
    """Reached only when CAACWATCH_REQUIRE_BROWSER=1 or everything is there: fail before any set-up."""
    if not CHROMIUM.exists():
        pytest.fail(f"CAACWATCH_REQUIRE_BROWSER=1 but {CHROMIUM} is absent: run scripts/chromium.sh", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("CAACWATCH_REQUIRE_BROWSER=1 but playwright is not installed (pip install -e '.[dev]')", pytrace=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory, analyzer):
    directory = tmp_path_factory.mktemp("browser")
    db = populated_database(directory, analyzer)
    create_user(db, ANALYST, "analyst")
    with serving(db, directory) as server:
        yield server


@pytest.fixture(scope="module")
def browser(site):
    # After ``site``: Playwright's sync API runs an event loop in this thread, and Django refuses
    # database work (populating the store) while one runs.
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def context(site, browser):
    context = _new_context(browser, site.base)
    yield context
    context.close()


def _new_context(browser, base: str):
    """A browser context for one user: the page size of the screenshots, CSP violations recorded."""
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_WATCH)
    return context


@pytest.fixture
def watch(context):
    page = context.new_page()
    yield Watch(page)
    page.close()


def _expect():
    from playwright.sync_api import expect

    return expect


def _rows(page) -> list[dict[str, str]]:
    """The incident rows shown: id, violation and countries (columns 1, 2 and 4)."""
    return page.eval_on_selector_all(
        "[data-testid=incident-row]",
        "rows => rows.map(r => ({id: r.dataset.incidentId, violation: r.cells[1].innerText.trim(),"
        " countries: r.cells[3].innerText.trim()}))",
    )


# --- the steps -------------------------------------------------------------------------------------
def test_sign_in(watch, site):
    expect = _expect()
    page = watch.page
    page.goto("/")
    page.wait_for_url(re.compile(r"/login\?next=/$"))  # anonymous: sent to sign in first
    expect(page.get_by_test_id("login-form")).to_be_visible()
    watch.shot("01-login")

    page.get_by_test_id("login-username").fill(ANALYST)
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-errors")).to_be_visible()
    watch.shot("02-login-refused")
    assert watch.problems == [], watch.problems

    sign_in(page, site.base, ANALYST, PASSWORD)
    expect(page.get_by_test_id("current-user")).to_have_text(ANALYST)
    expect(page.get_by_test_id("current-role")).to_have_text("analyst")
    expect(page.get_by_test_id("nav-audit")).to_be_visible()  # analysts see the audit log
    watch.shot("03-signed-in-dashboard")
    watch.assert_clean()


def test_filter_the_incident_list_by_violation(watch, site):
    expect = _expect()
    page = watch.page
    page.goto("/incidents")
    everything = _rows(page)
    violations = sorted({row["violation"] for row in everything})
    assert len(everything) >= 2 and len(violations) >= 2, everything
    chosen = min(violations, key=lambda v: sum(r["violation"] == v for r in everything))
    wanted = {row["id"] for row in everything if row["violation"] == chosen}
    watch.shot("04-incidents")

    page.get_by_test_id("filter-violation").select_option(chosen)
    page.get_by_test_id("filter-submit").click()  # htmx swaps the results and pushes the URL
    page.wait_for_url(re.compile(rf"violation={chosen}"))
    expect(page.get_by_test_id("incident-row")).to_have_count(len(wanted))
    shown = _rows(page)
    assert {row["id"] for row in shown} == wanted
    assert {row["violation"] for row in shown} == {chosen}
    expect(page.get_by_test_id("exports")).to_contain_text(f"{len(wanted)} incidents")
    assert f"violation={chosen}" in page.get_by_test_id("export-csv").get_attribute("href")
    watch.shot("05-filtered-by-violation")
    watch.assert_clean()


def test_filter_the_incident_list_by_country(watch, site):
    expect = _expect()
    page = watch.page
    page.goto("/incidents")
    everything = _rows(page)
    countries = sorted({c.strip() for row in everything for c in row["countries"].split(",") if c.strip()})
    assert len(countries) >= 2, everything
    chosen = countries[0]
    wanted = {row["id"] for row in everything if chosen in [c.strip() for c in row["countries"].split(",")]}
    assert 0 < len(wanted) < len(everything)

    page.get_by_test_id("filter-country").fill(chosen)
    page.get_by_test_id("filter-submit").click()
    page.wait_for_url(re.compile(rf"country={chosen}"))
    expect(page.get_by_test_id("incident-row")).to_have_count(len(wanted))
    shown = _rows(page)
    assert {row["id"] for row in shown} == wanted
    assert all(chosen in row["countries"] for row in shown)
    watch.shot("06-filtered-by-country")

    page.reload()  # the pushed URL is a real page: the same rows come back from the server
    expect(page.get_by_test_id("incident-row")).to_have_count(len(wanted))
    expect(page.get_by_test_id("filter-country")).to_have_value(chosen)
    watch.assert_clean()


REVIEWED: dict[str, str] = {}  # the incident reviewed below, for the viewer's test


def test_open_an_incident_and_review_it(watch, site):
    expect = _expect()
    page = watch.page
    page.goto("/incidents?status=reported_not_verified")
    first = page.get_by_test_id("incident-row").first
    incident = first.get_attribute("data-incident-id")
    REVIEWED["incident"] = incident
    first.get_by_test_id("incident-link").click()
    page.wait_for_url(f"{site.base}/incidents/{incident}")
    expect(page.get_by_test_id("incident-title")).to_contain_text(f"Incident #{incident}")
    expect(page.get_by_test_id("incident-status")).to_have_text("reported_not_verified")
    expect(page.get_by_test_id("report").first).to_be_visible()
    expect(page.get_by_test_id("public-summary-proposed")).to_be_visible()
    history = page.get_by_test_id("history-entry")
    before = history.count()
    watch.shot("07-incident")

    form = page.get_by_test_id("review-form")
    note = form.locator("textarea[name=note]")
    form.locator("select[name=status]").select_option("pending_verification")
    form.get_by_test_id("review-submit").click()  # no note: the browser refuses to send the form
    assert note.evaluate("element => element.validity.valueMissing") is True
    expect(page.get_by_test_id("incident-status")).to_have_text("reported_not_verified")

    text = f"Checked against the original report ({incident}); two sources agree."
    note.fill(text)
    form.get_by_test_id("review-submit").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("incident-status")).to_have_text("pending_verification")
    expect(page.get_by_test_id("messages")).to_contain_text("Status: pending verification.")
    expect(history).to_have_count(before + 1)
    entry = history.last
    for expected in (ANALYST, "review", "reported_not_verified", "pending_verification", text):
        expect(entry).to_contain_text(expected)
    expect(page.get_by_test_id("notes")).to_contain_text(text)
    watch.shot("08-pending-verification")

    page.get_by_test_id("nav-review").click()  # it has moved to "pending verification" in the queue
    expect(page.get_by_test_id("queue-pending-verification").locator(f"[data-incident-id='{incident}']")).to_have_count(1)
    expect(page.get_by_test_id("queue-reported-not-verified").locator(f"[data-incident-id='{incident}']")).to_have_count(0)
    watch.shot("09-review-queue")

    page.goto(f"/incidents/{incident}")  # verified, at the focal point's level
    form = page.get_by_test_id("review-form")
    form.locator("select[name=status]").select_option("verified")
    form.locator("select[name=level]").select_option("focal_point")
    form.locator("textarea[name=note]").fill("Focal point spoke to the school's head teacher.")
    form.get_by_test_id("review-submit").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("incident-status")).to_have_text("verified")
    expect(page.get_by_test_id("messages")).to_contain_text("Status: verified (focal point).")
    expect(page.get_by_test_id("verification-level")).to_have_text("focal point")
    expect(page.get_by_test_id("verified-by")).to_have_text(ANALYST)
    expect(history).to_have_count(before + 2)
    expect(history.last).to_contain_text("focal_point")
    watch.shot("10-verified")
    watch.assert_clean()


def test_dashboard_map_draws_the_located_incidents(watch, site):
    """One marker (``data-testid=map-point``) per located incident of the dashboard's JSON twin, drawn
    inside the map; a marker leads to its incident (directly, or through the popup it opens)."""
    expect = _expect()
    page = watch.page
    page.goto("/")
    api = page.request.get("/api/dashboard")  # the page's JSON twin, with the same session
    assert api.ok, api.status
    points = json.loads(api.body())["points"]
    assert points, "the fixtures hold located incidents"

    the_map = page.get_by_test_id("incident-map")
    expect(the_map).to_be_visible()
    markers = the_map.get_by_test_id("map-point")
    expect(markers).to_have_count(len(points))
    box = the_map.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    for i in range(markers.count()):  # each marker is drawn, inside the map
        expect(markers.nth(i)).to_be_visible()
        marker = markers.nth(i).bounding_box()
        assert marker and marker["width"] > 0 and marker["height"] > 0
        middle = (marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2)
        assert box["x"] <= middle[0] <= box["x"] + box["width"] and box["y"] <= middle[1] <= box["y"] + box["height"]
    drawn = markers.evaluate_all(
        "nodes => nodes.map(n => n.dataset.incident || (n.getAttribute('href') || '').split('/').pop())")
    assert sorted(int(i) for i in drawn) == sorted(p["incident"] for p in points)
    assert the_map.get_attribute("data-map-error") is None
    assert [p for p in points if p["status"] == "verified"], "the incident reviewed before is on the map"
    expect(page.get_by_test_id("total-incidents").locator("xpath=..")).to_contain_text("verified: 1")
    page.wait_for_load_state("networkidle")  # whatever the map still fetches (boundaries), for the picture
    watch.shot("11-dashboard")
    the_map.screenshot(path=str(SHOTS / "12-map.png"))

    # A marker alone at its place and on top at its centre (a town and its region's point can be a few
    # pixels apart at this zoom, and Leaflet draws the southern one above): a real click reaches it.
    places = Counter((p["lat"], p["lon"]) for p in points)
    on_top = set(markers.evaluate_all(
        "nodes => nodes.filter(n => { const r = n.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === n; })"
        ".map(n => Number(n.dataset.incident))"))
    alone = [p["incident"] for p in points if places[p["lat"], p["lon"]] == 1 and p["incident"] in on_top]
    assert alone, "some marker stands alone on the map"
    target = alone[0]
    the_map.locator(f"[data-testid=map-point][data-incident='{target}'], "
                    f"[data-testid=map-point][href$='/incidents/{target}']").click()
    popup_link = page.get_by_test_id("map-popup-link")
    page.wait_for_function(
        "() => /\\/incidents\\/\\d+$/.test(location.pathname) || document.querySelector('[data-testid=map-popup-link]')")
    if not re.search(r"/incidents/\d+$", page.url):  # the marker opened a popup listing its incidents
        expect(popup_link).to_have_count(1)
        watch.shot("13-map-popup")
        popup_link.click()
    page.wait_for_url(f"{site.base}/incidents/{target}")
    expect(page.get_by_test_id("incident-title")).to_contain_text(f"Incident #{target}")
    watch.assert_clean()


def test_a_viewer_sees_no_source_name_article_text_or_town(site, browser):
    """A viewer's incident page: the public-safe summary, counts and typed sources, but no source names,
    no article text, no town, no review forms; document and source pages are refused."""
    expect = _expect()
    incident = REVIEWED.get("incident") or "1"
    analyst = json.loads(_api(site, f"/api/incidents/{incident}"))  # what is restricted, read by the analyst
    names = [s["name"] for s in analyst["sources"]]
    towns = [loc["name"] for loc in analyst["locations"] if loc.get("precision") in ("city", "point")]
    assert names, "the incident has named sources"
    create_user(site.db, "vera", "viewer")
    context = _new_context(browser, site.base)
    try:
        watch = Watch(context.new_page())
        page = watch.page
        sign_in(page, site.base, "vera", PASSWORD)
        expect(page.get_by_test_id("current-role")).to_have_text("viewer")
        expect(page.get_by_test_id("nav-sources")).to_have_count(0)
        page.goto(f"/incidents/{incident}")
        expect(page.get_by_test_id("incident-status")).to_have_text("verified")
        expect(page.get_by_test_id("public-summary")).to_be_visible()
        expect(page.get_by_test_id("counts-table")).to_be_visible()
        expect(page.get_by_test_id("source-row")).to_have_count(len(analyst["sources"]))
        expect(page.get_by_test_id("restricted-note")).to_be_visible()
        for hidden in ("article-text", "report", "source-name", "review-form", "rating-form", "public-summary-form", "ages", "places"):
            expect(page.get_by_test_id(hidden)).to_have_count(0)
        shown = page.locator("main").inner_text()
        for region in analyst["regions"]:  # "Kharkiv Oblast" may be shown; the town "Kharkiv" may not
            shown = shown.replace(region["name"], "")
        public = {str(v).lower() for v in [analyst["perpetrator"], *(p["name"] for p in analyst["perpetrators"]),
                                           *(s.get("party") for s in analyst["sources"])] if v}
        for name in names + towns:
            if name.lower() not in public:  # a source named after a party shows as that party, not by name
                assert not re.search(rf"\b{re.escape(name)}\b", shown, re.IGNORECASE), name
        for document in analyst["documents"]:
            assert document not in page.content()
        watch.shot("14-viewer-incident")
        watch.assert_clean()
        refused = page.request.get(f"/documents/{analyst['reports'][0]['document']}")
        assert refused.status == 403
    finally:
        context.close()


def _api(site, path: str) -> bytes:
    """GET with the analyst's session-less token (made once for this module)."""
    import urllib.request

    from tests.web_served import create_user

    if "analyst" not in site.tokens:
        site.tokens["analyst"] = create_user(site.db, "ana-api", "analyst", token=True)
    request = urllib.request.Request(site.base + path, headers={"Authorization": f"Token {site.tokens['analyst']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_the_watch_sees_a_csp_violation(watch, site):
    """The control: an inline script is blocked by the policy and the watch reports it (so the clean
    pages above are clean because nothing was blocked, not because nothing was watched)."""
    page = watch.page
    page.goto("/incidents")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = true";
                            document.head.appendChild(s); }""")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran") is None  # it did not run
    assert any("script-src" in v for v in watch.csp_violations())
    assert any("Content Security Policy" in p for p in watch.problems), watch.problems
