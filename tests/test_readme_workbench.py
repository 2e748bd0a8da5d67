"""The README's workbench walk-through, as a new user does it: ingest the seed article and a folder of
corpus articles with the `caacwatch` command, create an admin, run `caacwatch serve`, sign in in a
real browser (Debian's Chromium) and review the seed's incident.

Skipped without ../shared (the seed and the corpus) or without the browser (unless
CAACWATCH_REQUIRE_BROWSER=1, as in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, SEED
from tests.web_served import CHROMIUM, LAUNCH_ARGS, serving, sign_in

FOLDER = CORPUS / "raw" / "badely-bbc-copies-2025" / "posts"  # four republished BBC stories
PASSWORD = "a long passphrase for the walk-through"

if not SEED.is_file() or not FOLDER.is_dir():
    pytest.skip("../shared (seed and corpus) is not beside the repository", allow_module_level=True)
if os.environ.get("CAACWATCH_REQUIRE_BROWSER") != "1":
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (scripts/chromium.sh installs it)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api")


def caacwatch(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "caacwatch.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_readme_walk_through(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    db = str(tmp_path / "caacwatch.sqlite3")
    assert '"new": 1' in caacwatch("ingest", str(SEED), "--db", db, "--json")
    folder = caacwatch("ingest", str(FOLDER), "--db", db, "--json")
    assert '"new": 4' in folder
    caacwatch("users", "create", "amina", "--role", "admin", "--password-stdin", "--db", db, stdin=PASSWORD + "\n")

    with serving(db, tmp_path) as site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(base_url=site.base)
        sign_in(page, site.base, "amina", PASSWORD)
        expect(page.get_by_test_id("current-role")).to_have_text("admin")

        page.goto("/incidents?violation=recruitment_use")
        rows = page.get_by_test_id("incident-row")
        expect(rows).to_have_count(1)  # the seed: Russia recruiting 16-year-olds in Luhansk and Donetsk
        rows.first.get_by_test_id("incident-link").click()
        expect(page.get_by_test_id("incident-status")).to_have_text("reported_not_verified")
        form = page.get_by_test_id("review-form")
        form.locator("select[name=status]").select_option("pending_verification")
        form.locator("textarea[name=note]").fill("Single party-to-conflict source relayed via the Daily Mail.")
        form.get_by_test_id("review-submit").click()
        expect(page.get_by_test_id("incident-status")).to_have_text("pending_verification")
        expect(page.get_by_test_id("history-entry").last).to_contain_text("Daily Mail")
        form = page.get_by_test_id("review-form")
        form.locator("select[name=status]").select_option("verified")
        form.locator("select[name=level]").select_option("focal_point")
        form.locator("textarea[name=note]").fill("Confirmed by the focal point with a second, independent source.")
        form.get_by_test_id("review-submit").click()
        expect(page.get_by_test_id("incident-status")).to_have_text("verified")
        expect(page.get_by_test_id("verification-level")).to_have_text("focal point")
        expect(page.get_by_test_id("verified-by")).to_have_text("amina")
        browser.close()
