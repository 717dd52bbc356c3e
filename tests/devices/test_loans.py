"""Lending, giving, returning: the web flows and their rules."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from devices.models import AgreementKind, Device, DeviceStatus, Loan, LoanStatus
from inclusion.extensions import db
from inclusion.outcomes import FactKind, OutcomeFact
from inclusion.sms import SmsMessage
from tests import factories
from tests.devices.factories import make_agreement, make_device, make_loan


def _lend_data(device, agreements, **overrides):
    due = date.today() + timedelta(weeks=12)
    data = {
        "asset_tag": device.asset_tag, "kind": "loan",
        "due_on": [str(due.day), str(due.month), str(due.year)],
        "accessories": "Charger", "condition_out": "Good, small scratch on lid",
        "agreement_id": str(agreements[AgreementKind.LOAN].id),
        "gift_agreement_id": str(agreements[AgreementKind.GIFT].id),
        "agreement_accepted": "y", "request_token": "token-1",
    }
    data.update(overrides)
    return data


def _count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_lend_form_shows_default_due_date_and_the_current_agreement(client, staff, partner,
                                                                      resident, agreements):
    partner.default_loan_weeks = 6
    db.session.commit()
    page = client.get(f"/devices/lend/{resident.id}").get_data(as_text=True)
    due = date.today() + timedelta(weeks=6)
    assert f'value="{due:%d}"' in page and f'value="{due:%m}"' in page
    assert "Loan agreement, version 1" in page


def test_lending_a_ready_device_records_loan_fact_history_and_due_date_sms(
        client, staff, partner, resident, agreements):
    device = make_device(partner)
    db.session.commit()
    response = client.post(f"/devices/lend/{resident.id}",
                           data=_lend_data(device, agreements, asset_tag=device.asset_tag.lower()))
    assert response.status_code == 302
    db.session.expire_all()
    loan = db.session.scalar(select(Loan))
    assert loan.status is LoanStatus.OPEN and loan.resident_id == resident.id
    assert loan.agreement_id == agreements[AgreementKind.LOAN].id
    assert db.session.get(Device, device.id).status is DeviceStatus.ON_LOAN
    fact = db.session.scalar(select(OutcomeFact))
    assert fact.kind is FactKind.DEVICE_LENT and fact.detail == "laptop"
    message = db.session.scalar(select(SmsMessage))
    assert message.related_id == loan.id and "bring it back by" in message.body
    assert resident.name not in message.body
    page = client.get(f"/devices/{device.id}").get_data(as_text=True)
    assert f"Loan {loan.id}" in page and "Marked on loan" in page


def test_lending_without_sms_consent_sends_nothing(client, staff, partner, agreements):
    quiet = factories.make_resident(partner)
    device = make_device(partner)
    db.session.commit()
    client.post(f"/devices/lend/{quiet.id}", data=_lend_data(device, agreements))
    assert _count(Loan) == 1
    assert _count(SmsMessage) == 0


def test_double_submitted_loan_form_creates_one_loan(client, staff, partner, resident,
                                                      agreements):
    device = make_device(partner)
    db.session.commit()
    first = client.post(f"/devices/lend/{resident.id}", data=_lend_data(device, agreements))
    second = client.post(f"/devices/lend/{resident.id}", data=_lend_data(device, agreements))
    assert first.status_code == 302 and second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Loan) == 1
    assert _count(OutcomeFact) == 1


def test_second_loan_of_same_device_is_refused_as_already_on_loan(client, staff, partner,
                                                                   resident, agreements):
    device = make_device(partner)
    db.session.commit()
    client.post(f"/devices/lend/{resident.id}", data=_lend_data(device, agreements))
    again = client.post(f"/devices/lend/{resident.id}",
                        data=_lend_data(device, agreements, request_token="token-2"))
    assert again.status_code == 409
    assert "is already on loan" in again.get_data(as_text=True)
    api = client.post(f"/devices/lend/{resident.id}", headers={"Accept": "application/json"},
                      data=_lend_data(device, agreements, request_token="token-3"))
    assert api.status_code == 409
    assert "already on loan" in api.get_json()["message"]
    assert _count(Loan) == 1


def test_database_refuses_a_second_open_loan_even_without_the_code(app, partner):
    import pytest
    from sqlalchemy.exc import IntegrityError

    r = factories.make_resident(partner)
    loan = make_loan(partner, r)
    db.session.commit()
    db.session.add(Loan(partner_id=partner.id, device_id=loan.device_id, resident_id=r.id,
                        kind=loan.kind, status=LoanStatus.OPEN, lent_on=date.today(),
                        condition_out="ok", agreement_id=loan.agreement_id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_device_not_ready_cannot_be_lent(client, staff, partner, resident, agreements):
    device = make_device(partner, status=DeviceStatus.RECEIVED)
    db.session.commit()
    response = client.post(f"/devices/lend/{resident.id}", data=_lend_data(device, agreements))
    assert response.status_code == 409
    assert "only a ready device can be lent" in response.get_data(as_text=True)
    assert _count(Loan) == 0


def test_invalid_lend_form_shows_errors_and_saves_nothing(client, staff, partner, resident,
                                                          agreements):
    device = make_device(partner)
    db.session.commit()
    for bad in (
        {"asset_tag": "", "condition_out": ""},
        {"agreement_accepted": ""},
        {"due_on": ["31", "2", "2027"]},
        {"due_on": ["1", "1", "2020"]},
        {"asset_tag": "WM-XXX-XXX"},
        {"agreement_id": str(agreements[AgreementKind.LOAN].id + 999)},
    ):
        response = client.post(f"/devices/lend/{resident.id}",
                               data=_lend_data(device, agreements, **bad))
        assert response.status_code == 200, bad
        assert "There is a problem" in response.get_data(as_text=True), bad
    assert _count(Loan) == 0
    assert db.session.get(Device, device.id).status is DeviceStatus.READY


def test_lending_needs_the_latest_agreement_version(client, staff, partner, resident, agreements):
    device = make_device(partner)
    make_agreement(partner, AgreementKind.LOAN, version=2)
    db.session.commit()
    response = client.post(f"/devices/lend/{resident.id}", data=_lend_data(device, agreements))
    assert "show the resident version 2" in response.get_data(as_text=True)
    assert _count(Loan) == 0


def test_giving_a_device_directly_records_a_gift(client, staff, partner, resident, agreements):
    device = make_device(partner)
    db.session.commit()
    response = client.post(f"/devices/lend/{resident.id}",
                           data=_lend_data(device, agreements, kind="gift"))
    assert response.status_code == 302
    db.session.expire_all()
    loan = db.session.scalar(select(Loan))
    assert loan.status is LoanStatus.GIFTED and loan.due_on is None
    assert loan.agreement_id == agreements[AgreementKind.GIFT].id
    assert db.session.get(Device, device.id).status is DeviceStatus.GIFTED
    assert db.session.scalar(select(OutcomeFact.kind)) is FactKind.DEVICE_GIFTED


def test_loan_converted_to_gift(client, staff, partner, resident, agreements):
    loan = make_loan(partner, resident, agreement=agreements[AgreementKind.LOAN])
    db.session.commit()
    missing = client.post(f"/devices/loans/{loan.id}/gift",
                          data={"agreement_id": str(agreements[AgreementKind.GIFT].id)})
    assert "There is a problem" in missing.get_data(as_text=True)
    response = client.post(f"/devices/loans/{loan.id}/gift", data={
        "agreement_id": str(agreements[AgreementKind.GIFT].id), "agreement_accepted": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.status is LoanStatus.GIFTED and loan.gift_agreement_id is not None
    assert loan.device.status is DeviceStatus.GIFTED
    again = client.post(f"/devices/loans/{loan.id}/gift", data={
        "agreement_id": str(agreements[AgreementKind.GIFT].id), "agreement_accepted": "y"})
    assert again.status_code == 409


def test_return_needs_data_removed_then_wipe_before_ready(client, staff, partner, resident,
                                                          agreements):
    loan = make_loan(partner, resident, agreement=agreements[AgreementKind.LOAN])
    db.session.commit()
    today = date.today()
    form = {"returned_on": [str(today.day), str(today.month), str(today.year)],
            "condition_in": "Good", "accessories_back": "Charger"}
    refused = client.post(f"/devices/loans/{loan.id}/return", data=form)
    assert "There is a problem" in refused.get_data(as_text=True)
    assert _count(Loan, Loan.status == LoanStatus.OPEN) == 1
    done = client.post(f"/devices/loans/{loan.id}/return", data={**form, "data_removed": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    device_id = loan.device_id
    assert loan.status is LoanStatus.RETURNED and loan.data_removed
    assert loan.device.status is DeviceStatus.RETURNED
    assert _count(OutcomeFact, OutcomeFact.kind == FactKind.DEVICE_RETURNED) == 1
    not_yet = client.post(f"/devices/{device_id}/ready")
    assert not_yet.status_code == 409
    client.post(f"/devices/{device_id}/wipe", data={
        "method": "factory reset with encryption", "wiped_on": [str(today.day), str(today.month),
                                                                str(today.year)],
        "wiped_by": "Volunteer team", "certificate_ref": "FR-22"})
    assert client.post(f"/devices/{device_id}/ready").status_code == 302
    db.session.expire_all()
    assert db.session.get(Device, device_id).status is DeviceStatus.READY
    assert client.post(f"/devices/loans/{loan.id}/return",
                       data={**form, "data_removed": "y"}).status_code == 409


def test_overdue_list_is_oldest_first_and_home_panels_count(client, staff, partner, resident,
                                                            agreements):
    today = date.today()
    recent = make_loan(partner, resident, lent_on=today - timedelta(days=90),
                       due_on=today - timedelta(days=2))
    oldest = make_loan(partner, resident, lent_on=today - timedelta(days=120),
                       due_on=today - timedelta(days=40))
    make_loan(partner, resident, due_on=today + timedelta(days=5))
    make_device(partner)
    db.session.commit()
    page = client.get("/devices/loans/overdue").get_data(as_text=True)
    assert page.index(f"Loan {oldest.id}") < page.index(f"Loan {recent.id}")
    assert "2 overdue" in page
    home = client.get("/").get_data(as_text=True)
    assert "Lend a device" in home and "Overdue loans" in home and "Devices ready to lend" in home


def test_resident_page_timeline_lists_their_loans_and_links_to_lending(
        client, staff, partner, resident, agreements):
    loan = make_loan(partner, resident)
    db.session.commit()
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert f"/devices/loans/{loan.id}" in page
    assert f"Lent a laptop {loan.device.asset_tag}, due back" in page
    assert f"/devices/lend/{resident.id}" in page
    assert client.get(f"/devices/residents/{resident.id}/loans").status_code == 404


def test_lend_search_finds_the_resident(client, staff, partner, resident):
    page = client.get(f"/devices/lend?q={resident.name}").get_data(as_text=True)
    assert f"/devices/lend/{resident.id}" in page
