"""In a real browser: staff register a resident, correct a mistake the form points out, then
find the resident by search. axe-core checks every page on the way."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import check_page, expect, sign_in

pytestmark = pytest.mark.browser

NAME = "Amina Okafor"
PHONE_LABEL = re.compile("phone number", re.I)
PHONE = "07700 900982"



def _choose(tab, group: str, option: str) -> None:
    """Tick a radio or checkbox by its fieldset legend and its label."""
    tab.get_by_role("group", name=re.compile(group, re.I)).get_by_label(
        re.compile(rf"^\s*{option}\s*$", re.I)
    ).first.check()


def _fill_registration(tab, *, phone: str) -> None:
    tab.get_by_label(re.compile("Full name", re.I)).fill(NAME)
    tab.get_by_label(PHONE_LABEL).fill(phone)
    tab.get_by_label(re.compile("postcode", re.I)).fill("b11aa")
    tab.get_by_label(re.compile("Local authority", re.I)).select_option(label="Birmingham")
    tab.get_by_label(re.compile("Age band", re.I)).select_option(label="65-74")
    tab.get_by_label(re.compile("Preferred language", re.I)).select_option(label="English")
    tab.get_by_label(re.compile("contacted by text message", re.I)).check()
    # The first digital engagement assessment is part of registration.
    _choose(tab, "last use the internet", "never")
    _choose(tab, "internet do they have at home", "no internet at home")
    _choose(tab, "what device", "no device they can use")
    for area in ("communicating", "handling information", "transacting", "problem solving",
                 "safe and legal"):
        _choose(tab, area, "not at all confident")


def test_staff_register_a_resident_after_fixing_a_phone_number_then_find_them(
    page, person, live_server
):
    staff = person("staff", partner_name="Handsworth Community Library")
    sign_in(page, staff.email)
    tab = page.page
    tab.get_by_role("heading", level=1, name="Handsworth Community Library").wait_for()
    check_page(page)

    register = tab.get_by_role("link", name=re.compile("register a resident", re.I))
    assert register.count() >= 1, "the staff home page has no 'Register a resident' action"
    register.first.click()
    tab.get_by_role("heading", level=1).wait_for()
    check_page(page)

    _fill_registration(tab, phone="12345")
    tab.get_by_role("button", name=re.compile("register|save|continue", re.I)).first.click()
    summary = tab.locator(".govuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    expect(summary).to_be_focused()
    phone_error = summary.get_by_role("link", name=re.compile("phone number", re.I))
    assert phone_error.count() == 1
    check_page(page)
    with live_server.app.app_context():
        from inclusion.extensions import db
        from inclusion.residents.models import Resident

        assert db.session.query(Resident).count() == 0, "an invalid form saved a resident"
        db.session.remove()

    # The summary's link takes the user to the field to fix; what they typed is kept.
    phone_error.click()
    phone_field = tab.get_by_label(PHONE_LABEL)
    expect(phone_field).to_be_focused()
    assert tab.get_by_label(re.compile("Full name", re.I)).input_value() == NAME
    phone_field.fill(PHONE)
    tab.get_by_role("button", name=re.compile("register|save|continue", re.I)).first.click()
    tab.get_by_role("heading", level=1, name=NAME).wait_for()
    assert "B1 1AA" in tab.content()
    check_page(page)

    menu = tab.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Residents").click()
    tab.get_by_role("heading", level=1, name="Residents").wait_for()
    check_page(page)

    for query in ("okafor", PHONE.replace(" ", "")):
        tab.get_by_label(re.compile("Find a resident", re.I)).fill(query)
        tab.get_by_role("button", name="Search").click()
        tab.get_by_role("heading", name="1 resident found").wait_for()
        check_page(page)
    tab.get_by_role("link", name=re.compile(NAME)).click()
    tab.get_by_role("heading", level=1, name=NAME).wait_for()
    check_page(page)
