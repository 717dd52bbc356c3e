"""In a real browser: a referral goes from one partner to another and back, axe-clean."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from inclusion.extensions import db
from tests import factories
from tests.conftest import AXE
from tests.learners.factories import consenting_resident, make_offer


def expect(locator):  # imported late: playwright is optional
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture
def browser_page(browser):
    """A page in the session's shared Chromium (tests/conftest.py)."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


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
    page.wait_for_load_state("load")
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
    page.wait_for_url(lambda url: "/sign-in" not in url)


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
        expect(page.locator("h1")).to_have_text("Find a learning offer")
        assert_axe_clean(page)
        page.get_by_role("link", name="Essential Digital Skills course").click()
        expect(page.locator("h1")).to_have_text("Essential Digital Skills course")
        assert_axe_clean(page)
        page.get_by_role("link", name="Refer a resident").click()
        page.get_by_label("Find one of your residents").fill("Bea")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Bea Browser, B98 8YY").click()
        expect(page.locator("h1")).to_have_text("Refer Bea Browser")
        assert_axe_clean(page)
        page.get_by_label("Local authority").check()
        page.get_by_label("Note for the receiving partner").fill("Wants to video call family")
        page.get_by_role("button", name="Send referral").click()
        expect(page.locator("main")).to_contain_text("Referral sent to Skills Provider")
        assert_axe_clean(page)
        page.wait_for_load_state("load")
        referral_url = page.url
        sign_out(page)

        sign_in(page, base, receiver.email)
        page.goto(base + "/learners/referrals")
        assert_axe_clean(page)
        page.get_by_role("link", name="Referral ").first.click()
        expect(page.locator("h1")).to_contain_text("Referral")
        html = page.content()
        assert "Bea Browser" in html and "Birmingham" in html and "B98 8YY" not in html
        assert_axe_clean(page)
        page.get_by_role("link", name="Accept the referral").click()
        expect(page.locator("h1")).to_have_text("Accept the referral")
        assert_axe_clean(page)
        page.get_by_role("button", name="Confirm").click()
        expect(page.locator("main")).to_contain_text("Referral accepted")
        sign_out(page)

        sign_in(page, base, referrer.email)
        page.goto(referral_url)
        timeline = page.get_by_role("table").last.inner_text()
        assert "Accepted" in timeline and "Rory Receiver" in timeline
        assert_axe_clean(page)


@pytest.mark.browser
def test_fund_pages_are_axe_clean_for_provider_admin_and_lead(app, partner, browser_page):
    from learners.services import fund as fund_services
    from tests.learners.factories import make_cohort, make_grant, make_round

    page = browser_page
    grant = make_grant(make_round(), partner, reference="DRF-AXE")
    cohort = make_cohort(grant, course="Cloud skills")
    fund_services.enrol(cohort=cohort, on=cohort.starts_on, user_id=None,
                        resident=factories.make_resident(partner, name="Fay Funded"))
    staff = factories.user_with_role("staff", partner=partner)
    admin = factories.user_with_role("admin")
    lead = factories.user_with_role("lead")
    db.session.commit()
    with live_server(app) as base:
        sign_in(page, base, staff.email)
        for path in (f"/learners/fund/grants/{grant.id}", f"/learners/fund/cohorts/{cohort.id}",
                     f"/learners/fund/grants/{grant.id}/cohorts/new",
                     f"/learners/fund/cohorts/{cohort.id}/enrol?q=Fay",
                     "/learners/offers/new", "/learners/offers/ours", "/learners/"):
            page.goto(base + path)
            assert_axe_clean(page)
        page.goto(base + f"/learners/fund/cohorts/{cohort.id}")
        page.get_by_role("link", name=re.compile(r"^Started\s*: Fay Funded$")).click()
        expect(page.locator("h1")).to_have_text("Record the start milestone")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("main")).to_contain_text("Saved.")
        page.get_by_role("link", name=re.compile(r"^Left\s*: Fay Funded$")).click()
        expect(page.locator("h1")).to_have_text("Record that the learner left")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("main")).to_contain_text("There is a problem")
        assert_axe_clean(page)
        sign_out(page)
        sign_in(page, base, admin.email)
        for path in ("/learners/fund", "/learners/fund/rounds/new",
                     f"/learners/fund/rounds/{grant.round_id}/grants/new"):
            page.goto(base + path)
            assert_axe_clean(page)
        sign_out(page)
        sign_in(page, base, lead.email)
        page.goto(base + f"/learners/fund/grants/{grant.id}")
        expect(page.locator("h1")).to_contain_text("DRF-AXE")
        assert "Fay" not in page.content()
        assert_axe_clean(page)
