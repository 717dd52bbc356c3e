"""In a real browser: signing in, each role's landing page, the audit log, the 404 page and a
narrow screen. axe-core checks every page visited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.browser.conftest import check_page, expect, sign_in

pytestmark = pytest.mark.browser


def test_wrong_password_shows_a_focused_error_summary_then_the_right_one_signs_in(
    page, person, live_server
):
    staff = person("staff", partner_name="Aston Library")
    tab = page.page
    tab.goto("/")
    assert tab.url.startswith(live_server("/sign-in"))
    check_page(page)

    tab.get_by_label("Email address").fill(staff.email)
    tab.get_by_label("Password", exact=True).fill("not the password at all")
    tab.get_by_role("button", name="Sign in").click()
    summary = tab.locator(".govuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    assert tab.title().startswith("Error: Sign in")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    check_page(page)

    link = summary.get_by_role("link")
    assert link.count() == 1
    link.click()
    expect(tab.get_by_label("Email address")).to_be_focused()
    # Nothing was kept but the email address.
    assert tab.get_by_label("Password", exact=True).input_value() == ""

    tab.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_role("heading", level=1, name="Aston Library").wait_for()
    assert tab.url == live_server("/")
    assert tab.get_by_role("heading", name="What do you want to do?").is_visible()
    assert "Acting for Aston Library" in tab.locator("header").inner_text()
    check_page(page)

    # Sign-out is a form post with a CSRF token, as in real use.
    tab.get_by_role("button", name="Sign out").click()
    tab.get_by_text("You have signed out.").wait_for()
    assert tab.url.startswith(live_server("/sign-in"))
    check_page(page)
    tab.goto("/")
    assert tab.url.startswith(live_server("/sign-in"))
    check_page(page)


def test_coalition_lead_lands_on_anonymised_progress(page, person):
    lead = person("lead")
    sign_in(page, lead.email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Coalition outcomes").wait_for()
    assert "You never see a person's record" in tab.content()
    assert tab.get_by_role("link", name="Residents").count() == 0
    check_page(page)


def test_system_admin_sees_partners_users_and_everyones_audit_log(page, person):
    person("staff", partner_name="Dudley Community Hub")
    admin = person("admin")
    sign_in(page, admin.email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Partners").wait_for()
    assert tab.get_by_role("cell", name="Dudley Community Hub").is_visible()
    check_page(page)

    tab.get_by_role("navigation", name="Main menu").get_by_role("link", name="Users").click()
    tab.get_by_role("heading", level=1, name="Users").wait_for()
    check_page(page)

    tab.get_by_role("navigation", name="Main menu").get_by_role("link", name="Audit log").click()
    tab.get_by_role("heading", level=1, name="Audit log").wait_for()
    # The admin's own sign-in is in it, with the partner column shown for everyone's entries.
    table = tab.get_by_role("table")
    assert table.get_by_role("columnheader", name="Partner").is_visible()
    assert table.get_by_role("cell", name=admin.name).count() >= 1
    check_page(page)


def test_partner_admin_sees_their_team_and_refused_access_in_the_partner_audit_log(page, person):
    boss = person("partner_admin", partner_name="Walsall Refugee Welcome")
    sign_in(page, boss.email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Walsall Refugee Welcome").wait_for()
    check_page(page)

    menu = tab.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Team").click()
    tab.get_by_role("heading", level=1).wait_for()
    assert tab.get_by_text(boss.name).count() >= 1
    check_page(page)

    # A page for system admins only: refused, and the refusal is logged for the partner.
    response = tab.goto("/partners/")
    assert response is not None and response.status == 403
    assert tab.get_by_role("heading", level=1).inner_text() == "You do not have access to this page"
    check_page(page)

    tab.get_by_role("navigation", name="Main menu").get_by_role("link", name="Audit log").click()
    tab.get_by_role("heading", level=1, name="Audit log for Walsall Refugee Welcome").wait_for()
    table = tab.get_by_role("table")
    assert table.get_by_role("columnheader", name="Partner").count() == 0
    refused = table.get_by_role("row").filter(has_text="Access refused")
    assert refused.count() == 1
    assert boss.name in refused.inner_text()
    check_page(page)


def test_partner_admin_pages_through_a_long_audit_log_older_then_newer(page, person,
                                                                       live_server):
    boss = person("partner_admin", partner_name="Sandwell Digital Champions")
    with live_server.app.app_context():
        from inclusion import audit
        from inclusion.extensions import db
        from inclusion.tenancy import Partner

        partner = db.session.scalar(sa.select(Partner).where(Partner.name == boss.partner_name))
        for n in range(60):
            audit.record("resident updated", partner_id=partner.id, detail=f"entry {n:02d}")
        db.session.commit()
        db.session.remove()
    sign_in(page, boss.email)
    tab = page.page
    tab.get_by_role("heading", level=1).wait_for()
    check_page(page)
    tab.goto("/audit/")
    pages = tab.get_by_role("navigation", name="Pages of the audit log")
    assert pages.get_by_role("link", name=re.compile("Newer")).count() == 0
    assert tab.get_by_role("cell", name=re.compile("entry 59")).count() == 1
    check_page(page)

    pages.get_by_role("link", name=re.compile("Older")).click()
    expect(tab.get_by_role("cell", name=re.compile("entry 00"))).to_have_count(1)
    assert tab.get_by_role("cell", name=re.compile("entry 59")).count() == 0
    check_page(page)

    pages.get_by_role("link", name=re.compile("Newer")).click()
    expect(tab.get_by_role("cell", name=re.compile("entry 59"))).to_have_count(1)
    assert pages.get_by_role("link", name=re.compile("Newer")).count() == 0
    check_page(page)


def test_unknown_address_shows_the_not_found_page(page, person):
    tab = page.page
    response = tab.goto("/no-such-page")
    assert response is not None and response.status == 404
    assert tab.get_by_role("heading", level=1).inner_text() == "Page not found"
    check_page(page)

    staff = person("staff")
    sign_in(page, staff.email)
    check_page(page)
    response = tab.goto("/residents/999999/no-such-thing")
    assert response is not None and response.status == 404
    assert tab.get_by_role("heading", level=1).inner_text() == "Page not found"
    check_page(page)


def _horizontal_overflow(tab) -> int:
    return tab.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )


def test_sign_in_page_fits_a_320_pixel_screen(new_page):
    narrow = new_page(width=320, height=640)
    tab = narrow.page
    tab.goto("/sign-in")
    assert _horizontal_overflow(tab) <= 320
    check_page(narrow)

    tab.get_by_role("button", name="Sign in").click()
    tab.locator(".govuk-error-summary").wait_for()
    assert _horizontal_overflow(tab) <= 320
    check_page(narrow)


def test_staff_home_fits_a_320_pixel_screen(new_page, person):
    staff = person("staff", partner_name="Wolverhampton Digital Skills Centre")
    narrow = new_page(width=320, height=640)
    sign_in(narrow, staff.email)
    tab = narrow.page
    tab.get_by_role("heading", level=1).wait_for()
    assert re.search("Wolverhampton", tab.get_by_role("heading", level=1).inner_text())
    assert _horizontal_overflow(tab) <= 320
    check_page(narrow)


def test_the_axe_check_fails_on_a_page_with_a_violation(page):
    # The check must be able to fail: an unlabelled field is added to a clean page.
    tab = page.page
    tab.goto("/accessibility")
    check_page(page)
    tab.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML('beforeend', "
        "'<input type=\"text\" class=\"govuk-input\">')"
    )
    with pytest.raises(AssertionError, match=r"- label \(critical\)"):
        check_page(page)


def test_user_without_a_role_is_told_so_and_footer_pages_open(page, person):
    nobody = person("none")
    sign_in(page, nobody.email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Your account has no role yet").wait_for()
    check_page(page)

    footer = tab.get_by_role("contentinfo")
    footer.get_by_role("link", name="Accessibility").click()
    tab.get_by_role("heading", level=1, name="Accessibility statement").wait_for()
    check_page(page)
    tab.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    tab.get_by_role("heading", level=1, name="How residents' information is used").wait_for()
    check_page(page)


def test_a_form_sent_without_its_session_gets_a_clear_message_not_a_crash(page, person):
    staff = person("staff")
    tab = page.page
    tab.goto("/sign-in")
    check_page(page)
    # The session cookie (and with it the CSRF token's secret) is gone, as after a long wait.
    tab.context.clear_cookies()
    tab.get_by_label("Email address").fill(staff.email)
    tab.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    with tab.expect_response(lambda r: r.request.method == "POST") as sent:
        tab.get_by_role("button", name="Sign in").click()
    assert sent.value.status == 400
    assert "The form had expired" in tab.get_by_role("main").inner_text()
    check_page(page)


def test_someone_working_for_two_partners_switches_the_partner_they_act_for(page, live_server):
    from inclusion.extensions import db
    from inclusion.tenancy import Membership, PartnerRole

    with live_server.app.app_context():
        first = factories.make_partner(name="Coventry Libraries")
        second = factories.make_partner(name="Solihull Homes")
        user = factories.user_with_role("staff", partner=first)
        db.session.add(Membership(user=user, partner=second, role=PartnerRole.STAFF))
        db.session.commit()
        email = user.email
        db.session.remove()

    sign_in(page, email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Coventry Libraries").wait_for()
    check_page(page)

    tab.get_by_role("banner").get_by_role("link", name="Switch partner").click()
    tab.get_by_role("heading", level=1, name="Choose the partner you are acting for").wait_for()
    check_page(page)
    # A form post with its CSRF token, as in real use.
    tab.get_by_role("button", name="Solihull Homes").click()
    tab.get_by_role("heading", level=1, name="Solihull Homes").wait_for()
    assert "You are now acting for Solihull Homes." in tab.get_by_role("main").inner_text()
    assert "Acting for Solihull Homes" in tab.get_by_role("banner").inner_text()
    check_page(page)
