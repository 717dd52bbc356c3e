"""Issuing a voucher: one code reserved, the voucher, its fact and its text in one transaction."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.sms.models import MessageStatus, SmsMessage, SmsTemplate
from inclusion.sms.worker import run_pass
from tests import factories
from tests.vouchers.factories import CRITERIA, issue, make_scheme, stock, texted_resident
from vouchers.models import CodeStatus, Voucher, VoucherCode


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _issue_page(client, resident, scheme, **data):
    form = {"criteria": [CRITERIA[0]], "consent": "y", **data}
    return client.post(f"/vouchers/issue/{resident.id}?scheme={scheme.id}", data=form)


def test_staff_issue_a_voucher_and_it_is_texted_in_the_residents_language(
    app, client, login_as, partner
):
    user = login_as("staff", partner)
    scheme = stock(partner, count=3)
    resident = texted_resident(partner, preferred_language="pl")
    db.session.add(SmsTemplate(purpose="voucher issued", language="pl",
                               body="Twój kod {scheme}: {code}. Ważny do {expires}."))
    db.session.commit()
    response = _issue_page(client, resident, scheme, criteria=CRITERIA[:2])
    assert response.status_code == 302
    voucher = db.session.scalar(select(Voucher))
    assert (voucher.resident_id, voucher.issued_by_id) == (resident.id, user.id)
    assert voucher.criteria == CRITERIA[:2]
    assert voucher.code.status is CodeStatus.ISSUED
    assert voucher.expires_on == date.today() + timedelta(days=90)
    message = db.session.scalar(select(SmsMessage))
    assert message.body.startswith(f"Twój kod {scheme.name}: {voucher.code.code}.")
    assert (message.related_type, message.related_id) == ("voucher", voucher.id)
    assert _count(OutcomeFact, OutcomeFact.kind == FactKind.VOUCHER_ISSUED) == 1
    # The full code shows once, right after issue; afterwards it is masked.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert voucher.code.code in page
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert voucher.code.code not in again
    assert voucher.code.masked in again


def test_issue_without_sms_consent_creates_no_message_and_says_so(app, client, login_as,
                                                                  partner):
    login_as("staff", partner)
    scheme = stock(partner)
    resident = factories.make_resident(partner)
    db.session.commit()
    page = client.get(f"/vouchers/issue/{resident.id}?scheme={scheme.id}").get_data(
        as_text=True)
    assert "No text will be sent" in page
    response = _issue_page(client, resident, scheme)
    assert response.status_code == 302
    assert _count(Voucher) == 1
    assert _count(SmsMessage) == 0


def test_english_wording_is_the_fallback(app, partner):
    scheme = stock(partner)
    resident = texted_resident(partner, preferred_language="so")
    voucher = issue(partner, resident, scheme)
    db.session.commit()
    message = db.session.scalar(select(SmsMessage))
    assert message.body.startswith(f"Your {scheme.name} voucher code is {voucher.code.code}.")


@pytest.mark.parametrize("data, error", [
    ({"criteria": []}, "Tick the criteria"),
    ({"consent": ""}, "Confirm the resident agrees"),
    ({"criteria": ["Has a cat"]}, "not a valid choice"),
])
def test_invalid_issue_re_renders_and_saves_nothing(app, client, login_as, partner, data,
                                                    error):
    login_as("staff", partner)
    scheme = stock(partner)
    resident = texted_resident(partner)
    db.session.commit()
    response = _issue_page(client, resident, scheme, **data)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in text and error in text
    assert _count(Voucher) == 0 and _count(SmsMessage) == 0
    assert _count(VoucherCode, VoucherCode.status == CodeStatus.AVAILABLE) == 5


def test_no_stock_is_a_clear_answer(app, client, login_as, partner):
    login_as("staff", partner)
    scheme = stock(partner, count=1)
    first, second = texted_resident(partner), texted_resident(partner)
    db.session.commit()
    assert _issue_page(client, first, scheme).status_code == 302
    # The scheme has no stock left, so the form offers it no more.
    page = client.get(f"/vouchers/issue/{second.id}?scheme={scheme.id}").get_data(as_text=True)
    assert "no voucher codes in stock" in page
    assert _count(Voucher) == 1


def test_no_stock_from_the_service_raises_a_conflict(app, partner):
    scheme = stock(partner, count=1)
    issue(partner, texted_resident(partner), scheme)
    with pytest.raises(Exception) as exc:
        issue(partner, texted_resident(partner), scheme)
    assert "No " in str(exc.value.message) and "codes are left" in exc.value.message


def test_expired_codes_are_not_issued_but_stay_counted(app, partner):
    scheme = stock(partner, count=2, expires_on=date.today() - timedelta(days=1))
    from vouchers import services

    (row,) = services.stock_for(partner.id)
    assert (row.available, row.expired) == (0, 2)
    with pytest.raises(Exception, match="codes are left"):
        issue(partner, texted_resident(partner), scheme)


def test_voucher_end_date_is_the_code_expiry_when_sooner(app, partner):
    soon = date.today() + timedelta(days=10)
    scheme = stock(partner, count=1, expires_on=soon)
    voucher = issue(partner, texted_resident(partner), scheme)
    assert voucher.expires_on == soon


def test_other_partners_stock_is_never_used(app, partner, other_partner):
    scheme = stock(other_partner, count=3)
    with pytest.raises(Exception, match="codes are left"):
        issue(partner, texted_resident(partner), scheme)


def test_issuing_to_another_partners_resident_is_404(app, client, login_as, partner,
                                                     other_partner):
    login_as("staff", partner)
    scheme = stock(partner)
    stranger = texted_resident(other_partner)
    db.session.commit()
    assert _issue_page(client, stranger, scheme).status_code == 404
    assert client.get(f"/vouchers/issue/{stranger.id}").status_code == 404
    assert _count(Voucher) == 0


def test_delivered_receipt_shows_on_the_voucher_and_records_one_fact(app, client, login_as,
                                                                     partner):
    login_as("staff", partner)
    scheme = stock(partner)
    resident = texted_resident(partner)
    db.session.commit()
    _issue_page(client, resident, scheme)
    voucher = db.session.scalar(select(Voucher))
    page = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    assert "Waiting to send" in page
    run_pass(app)  # log provider: delivered
    db.session.expire_all()
    page = client.get(f"/vouchers/{voucher.id}").get_data(as_text=True)
    assert "Delivered" in page
    listing = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert f"Voucher issued: {scheme.name} (text delivered)" in listing
    db.session.expire_all()
    assert db.session.get(Voucher, voucher.id).delivered_at is not None
    assert _count(OutcomeFact, OutcomeFact.kind == FactKind.VOUCHER_DELIVERED) == 1


def test_choose_scheme_lists_only_schemes_with_stock(app, client, login_as, partner):
    login_as("staff", partner)
    with_stock = stock(partner)
    empty = make_scheme(name="Empty scheme")
    resident = texted_resident(partner)
    db.session.commit()
    page = client.get(f"/vouchers/issue/{resident.id}").get_data(as_text=True)
    assert with_stock.name in page and empty.name not in page
    refused = client.get(f"/vouchers/issue/{resident.id}?scheme=")
    assert "There is a problem" in refused.get_data(as_text=True)


def test_message_outbox_survives_provider_outage_for_issued_vouchers(app, partner):
    """Issuing never waits on the provider: the voucher and its text commit together."""
    scheme = stock(partner, count=3)
    for _ in range(3):
        issue(partner, texted_resident(partner), scheme)
    db.session.commit()
    assert _count(SmsMessage, SmsMessage.status == MessageStatus.PENDING) == 3
    assert _count(Voucher) == 3
