"""In a real browser: staff find a resident, lend them a ready device from their stock (after
the form points out a missing confirmation), then see the loan on its page, in the open loans,
in stock and on the resident's timeline, and the overdue list. axe-core checks every page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from devices.models import AgreementKind, DeviceKind, DeviceStatus, Loan
from inclusion.extensions import db
from inclusion.residents.models import ConsentKind
from tests import factories
from tests.browser.conftest import check_page, expect, sign_in
from tests.devices.factories import make_agreement, make_device, make_loan

pytestmark = pytest.mark.browser

NAME = "Grace Adeyemi"


def _stock(live_server):
    """A partner with agreements, a ready tablet, a resident, and someone else's overdue loan."""
    with live_server.app.app_context():
        partner = factories.make_partner(name="Aston Digital Hub")
        staff = factories.user_with_role("staff", partner=partner)
        loan_agreement = make_agreement(partner, AgreementKind.LOAN)
        make_agreement(partner, AgreementKind.GIFT)
        ready = make_device(partner, kind=DeviceKind.TABLET, make="Samsung",
                            model="Galaxy Tab A8")
        resident = factories.make_resident(partner, name=NAME)
        factories.give_consent(resident, ConsentKind.SMS_CONTACT)
        late = make_loan(partner, factories.make_resident(partner, name="Olu Bankole"),
                         lent_on=date.today() - timedelta(days=100),
                         due_on=date.today() - timedelta(days=9), agreement=loan_agreement)
        db.session.commit()
        made = {"email": staff.email, "tag": ready.asset_tag, "device": ready.id,
                "resident": resident.id, "late_tag": late.device.asset_tag}
        db.session.remove()
        return made


def _go(page, path: str) -> None:
    page.page.goto(path)
    assert page.page.locator("h1").count() == 1, path
    check_page(page)


def test_staff_lend_a_ready_device_to_a_resident_and_see_it_everywhere(page, live_server):
    made = _stock(live_server)
    tab = page.page
    sign_in(page, made["email"])
    tab.get_by_role("heading", level=1, name="Aston Digital Hub").wait_for()
    check_page(page)

    tab.get_by_role("link", name="Lend a device").first.click()
    tab.get_by_role("heading", level=1, name="Lend a device").wait_for()
    check_page(page)

    tab.get_by_label(re.compile("Who is the device for", re.I)).fill("Adeyemi")
    tab.get_by_role("button", name="Search").click()
    tab.get_by_role("heading", level=2, name=re.compile("1 resident found")).wait_for()
    check_page(page)

    tab.get_by_role("link", name=re.compile(f"Lend to {NAME}")).click()
    tab.get_by_role("heading", level=1, name="Lend or give a device").wait_for()
    check_page(page)

    # Forgetting the agreement confirmation: the form says so and nothing is lent.
    tab.get_by_label("Asset tag").fill(made["tag"].replace("-", "").lower())
    tab.get_by_label("Condition when handed over").fill("Good, small scratch on the back")
    tab.get_by_label(re.compile("Accessories handed over")).fill("Charger and case")
    tab.get_by_role("button", name="Record and hand over").click()
    summary = tab.locator(".govuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    expect(summary).to_be_focused()
    check_page(page)
    with live_server.app.app_context():
        assert db.session.query(Loan).count() == 1, "an invalid form lent a device"
        db.session.remove()

    tab.get_by_label(re.compile("read and accepted the agreement")).check()
    tab.get_by_role("button", name="Record and hand over").click()
    tab.get_by_role("heading", level=1).wait_for()
    check_page(page)
    body = tab.locator("main").inner_text()
    assert made["tag"] in body and NAME in body
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("lent")
    with live_server.app.app_context():
        loan = db.session.query(Loan).filter(Loan.device_id == made["device"]).one()
        assert loan.device.status is DeviceStatus.ON_LOAN
        assert loan.accessories == "Charger and case"
        db.session.remove()

    _go(page, "/devices/loans")
    expect(tab.locator("main")).to_contain_text(made["tag"])

    _go(page, "/devices/loans/overdue")
    overdue = tab.locator("main")
    expect(overdue).to_contain_text(made["late_tag"])
    expect(overdue).not_to_contain_text(made["tag"])

    _go(page, "/devices/stock")
    _go(page, f"/devices/{made['device']}")
    expect(tab.locator("main")).to_contain_text("on loan")

    _go(page, f"/residents/{made['resident']}")
    timeline = tab.get_by_role("link", name=re.compile(f"Lent a tablet {made['tag']}"))
    expect(timeline).to_have_count(1)
    timeline.click()
    tab.get_by_role("heading", level=1).wait_for()
    check_page(page)
    expect(tab.locator("main")).to_contain_text(made["tag"])


def test_every_device_page_and_its_error_messages_pass_axe(page, live_server):
    from devices.models import DonationBatch

    with live_server.app.app_context():
        partner = factories.make_partner(name="Sparkhill Library")
        other = factories.make_partner(name="Balsall Heath Centre")
        admin = factories.user_with_role("partner_admin", partner=partner)
        loan_agreement = make_agreement(partner, AgreementKind.LOAN)
        make_agreement(partner, AgreementKind.GIFT)
        batch = DonationBatch(partner_id=partner.id, donor="Midlands Refurb Ltd",
                              received_on=date.today() - timedelta(days=30))
        db.session.add(batch)
        db.session.flush()
        received = make_device(partner, status=DeviceStatus.RECEIVED, batch_id=batch.id)
        resident = factories.make_resident(partner, name="Hamza Iqbal")
        loan = make_loan(partner, resident, agreement=loan_agreement)
        bank_admin = factories.user_with_role("admin")
        db.session.commit()
        ids = {"batch": batch.id, "device": received.id, "loan": loan.id,
               "agreement": loan_agreement.id, "resident": resident.id}
        emails = (admin.email, bank_admin.email)
        assert other.id
        db.session.remove()

    tab = page.page
    sign_in(page, emails[0])
    check_page(page)
    for path in ("/devices/", "/devices/?status=ready", "/devices/stock", "/devices/new",
                 "/devices/batches", "/devices/batches/new", f"/devices/batches/{ids['batch']}",
                 f"/devices/batches/{ids['batch']}/import", f"/devices/{ids['device']}",
                 f"/devices/{ids['device']}/wipe", f"/devices/{ids['device']}/retire",
                 f"/devices/{ids['device']}/transfer", "/devices/lend?q=Iqbal",
                 f"/devices/lend/{ids['resident']}", "/devices/loans",
                 "/devices/loans/overdue", f"/devices/loans/{ids['loan']}",
                 f"/devices/loans/{ids['loan']}/return", f"/devices/loans/{ids['loan']}/gift",
                 "/devices/agreements", "/devices/agreements/new",
                 f"/devices/agreements/{ids['agreement']}", "/devices/settings"):
        _go(page, path)

    # Forms sent empty: the error summary and the messages beside the fields pass too.
    for path in (f"/devices/{ids['device']}/wipe", f"/devices/{ids['device']}/retire",
                 f"/devices/loans/{ids['loan']}/return", "/devices/batches/new",
                 "/devices/new", f"/devices/lend/{ids['resident']}"):
        _go(page, path)
        tab.locator("main form[method=post] [type=submit]").last.click()
        tab.locator(".govuk-error-summary").wait_for()
        check_page(page)

    tab.context.clear_cookies()
    sign_in(page, emails[1])
    check_page(page)
    for path in ("/devices/", "/devices/stock", "/devices/batches", "/devices/new"):
        _go(page, path)
