"""Setting up two-factor sign-in in a real browser, then signing in with it: axe finds nothing
on any page on the way."""

from __future__ import annotations

import pyotp
import pytest

from tests.browser.conftest import check_page, expect, sign_in

pytestmark = pytest.mark.browser


def test_a_partner_admin_enrols_in_two_factor_sign_in_and_signs_in_with_it(
    page, person, live_server
):
    live_server.app.config["MFA_ENFORCED"] = True
    admin = person("partner_admin", "Erdington Advice Centre")
    tab = page.page

    # The password alone leads straight to setting up two-factor sign-in, and nowhere else.
    sign_in(page, admin.email)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    check_page(page)
    assert tab.locator(".app-qr svg").count() == 1
    tab.goto("/residents/")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    check_page(page)

    # A wrong code is refused with the error summary.
    tab.get_by_label("Code from your authenticator app").fill("000000")
    tab.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(tab.locator(".govuk-error-summary")).to_be_visible()
    check_page(page)

    secret = tab.locator("#totp-secret").inner_text().strip()
    tab.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    tab.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("save your recovery codes")
    check_page(page)
    codes = [c.strip() for c in tab.locator(".app-recovery-codes code").all_inner_texts()]
    assert len(codes) == 10

    tab.get_by_role("link", name="I have saved my recovery codes, continue").click()
    expect(tab.get_by_role("heading", level=1)).not_to_contain_text("recovery codes")
    check_page(page)

    tab.goto("/account")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(tab.locator("main")).to_contain_text("10 unused recovery codes left")
    check_page(page)
    tab.goto("/account/password")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Change your password")
    check_page(page)

    # Next time: password, then the second step (the app's code is spent for this half
    # minute, so a recovery code it is).
    tab.get_by_role("button", name="Sign out").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)
    sign_in(page, admin.email)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    check_page(page)
    tab.get_by_label("Code from your authenticator app").fill(codes[0])
    tab.get_by_role("button", name="Continue").click()
    expect(tab.get_by_role("heading", level=1)).not_to_have_text("Enter your sign-in code")
    check_page(page)


def test_the_password_reset_pages_pass_axe(page, live_server):
    tab = page.page
    tab.goto("/sign-in")
    check_page(page)
    tab.get_by_role("link", name="Forgotten your password?").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Reset your password")
    check_page(page)
    tab.get_by_role("button", name="Send reset link").click()
    expect(tab.locator(".govuk-error-summary")).to_be_visible()
    check_page(page)
    tab.get_by_label("Email address").fill("someone@example.org")
    tab.get_by_role("button", name="Send reset link").click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page)
    tab.goto("/reset-password/not-a-real-token")
    expect(tab.get_by_role("heading", level=1)).to_have_text("This link does not work")
    check_page(page)


def test_an_admin_makes_a_reset_link_for_someone(page, person, live_server):
    from sqlalchemy import select

    from inclusion.auth.models import User
    from inclusion.extensions import db

    admin = person("admin")
    staff = person("staff", "Kingstanding Library")
    with live_server.app.app_context():
        staff_id = db.session.scalar(select(User.id).where(User.email == staff.email))
        db.session.remove()
    tab = page.page
    sign_in(page, admin.email)
    check_page(page)
    tab.goto(f"/partners/users/{staff_id}")
    check_page(page)
    tab.get_by_role("button", name="Make a password reset link").click()
    expect(tab.get_by_role("heading", level=1)).to_contain_text("Password reset link for")
    check_page(page)
    link = tab.locator("#reset-link").inner_text().strip()
    assert "/reset-password/" in link
    tab.get_by_role("button", name="Sign out").click()
    check_page(page)
    tab.goto(link.split("localhost", 1)[-1] if "localhost" in link else link)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check_page(page)
