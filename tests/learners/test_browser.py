"""In a real browser: a referral goes from one partner to another and back, axe-clean."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from inclusion import PROJECT_ROOT
from inclusion.extensions import db
from tests import factories
from tests.learners.factories import consenting_resident, make_offer

CHROMIUM = "/usr/bin/chromium"
AXE = Path(PROJECT_ROOT) / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not shutil.which(CHROMIUM):
        return "chromium is not installed"
    if not AXE.exists():
        return "axe-core is not installed (npm install)"
    return None


@pytest.fixture
def browser_page():
    problem = _browser_missing()
    if problem:
        if os.environ.get("REQUIRE_BROWSER", "").strip() in {"1", "true", "yes"}:
            pytest.fail(f"a browser is required (REQUIRE_BROWSER=1) but {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@contextmanager
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def assert_axe_clean(page) -> None:
    # The shared footer (base.html, not this package) trips axe's "region" rule; it is
    # reported to the core, and left out here so these pages' own markup is what is checked.
    page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run({exclude: [['.govuk-footer']]})).violations.map(
             v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    assert violations == [], f"{page.url}: {violations}"


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.locator("#password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


@pytest.mark.browser
def test_referral_travels_to_the_provider_and_back(app, partner, browser_page):
    page = browser_page
    provider = factories.make_partner(name="Skills Provider")
    make_offer(provider, title="Essential Digital Skills course")
    consenting_resident(partner, name="Bea Browser", postcode="B98 8YY")
    referrer = factories.user_with_role("staff", partner=partner)
    receiver = factories.user_with_role("staff", partner=provider, name="Rory Receiver")
    db.session.commit()
    with live_server(app) as base:
        sign_in(page, base, referrer.email)
        assert_axe_clean(page)
        page.get_by_role("link", name="Refer to learning").click()
        assert_axe_clean(page)
        page.get_by_role("link", name="Essential Digital Skills course").click()
        assert_axe_clean(page)
        page.get_by_role("link", name="Refer a resident").click()
        page.get_by_label("Find one of your residents").fill("Bea")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Bea Browser, B98 8YY").click()
        assert_axe_clean(page)
        page.get_by_label("Local authority").check()
        page.get_by_label("Note for the receiving partner").fill("Wants to video call family")
        page.get_by_role("button", name="Send referral").click()
        assert "Referral sent to Skills Provider" in page.content()
        assert_axe_clean(page)
        referral_url = page.url
        sign_out(page)

        sign_in(page, base, receiver.email)
        page.goto(base + "/learners/referrals")
        assert_axe_clean(page)
        page.get_by_role("link", name="Referral ").first.click()
        html = page.content()
        assert "Bea Browser" in html and "Birmingham" in html and "B98 8YY" not in html
        assert_axe_clean(page)
        page.get_by_role("link", name="Accept the referral").click()
        assert_axe_clean(page)
        page.get_by_role("button", name="Confirm").click()
        assert "Referral accepted" in page.content()
        sign_out(page)

        sign_in(page, base, referrer.email)
        page.goto(referral_url)
        timeline = page.get_by_role("table").last.inner_text()
        assert "Accepted" in timeline and "Rory Receiver" in timeline
        assert_axe_clean(page)
