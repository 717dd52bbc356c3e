"""The resident page, editing with an audit trail, consents and follow-up assessments."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.reference import AgeBand
from inclusion.residents.models import (
    FOUNDATION_TASK_CODES,
    AssessmentKind,
    Classification,
    ConsentKind,
    LastUse,
    Resident,
)
from tests import factories
from tests.residents.helpers import assessment_data, details_data, follow_up_data, snapshot


def _resident(partner, **fields):
    resident = factories.make_resident(partner, name="Winston Campbell", phone="+447700900555",
                                       postcode="B66 1AA", date_of_birth=date(1950, 5, 1),
                                       age_band=AgeBand.A75_PLUS, **fields)
    factories.make_assessment(resident, on=date.today() - timedelta(days=60))
    db.session.commit()
    return resident


def test_resident_page_shows_details_consents_assessments_and_timeline(client, login_as,
                                                                      partner):
    user = login_as("staff", partner)
    resident = _resident(partner)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT, by=user)
    db.session.commit()
    response = client.get(f"/residents/{resident.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Winston Campbell" in page and "07700 900555" in page and "B66 1AA" in page
    assert f"by {user.name}" in page and "wording version 2026.1" in page
    assert "Non-user" in page
    assert "Registered and assessed: non-user" in page
    assert "Gave consent: contact by text message" in page


def test_edit_changes_details_and_audits_field_names_only(client, login_as, partner):
    user = login_as("staff", partner)
    resident = _resident(partner)
    form = client.get(f"/residents/{resident.id}/edit").get_data(as_text=True)
    assert 'value="Winston Campbell"' in form

    data = details_data(name="Winston Campbell", phone="07700 900556", postcode="b66 1aa",
                        date_of_birth=["1", "5", "1950"], email="winston@example.com")
    response = client.post(f"/residents/{resident.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    assert resident.phone == "+447700900556"
    assert resident.email == "winston@example.com"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resident updated")
    ).one()
    assert entry.user_id == user.id and entry.entity_id == resident.id
    assert "phone" in entry.fields and "email" in entry.fields
    assert "name" not in entry.fields and "postcode" not in entry.fields
    assert "900556" not in str(entry.fields) and "winston@" not in (entry.detail or "")


def test_edit_with_no_change_writes_no_audit(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    data = details_data(name="Winston Campbell", phone="07700 900555", postcode="B66 1AA",
                        date_of_birth=["1", "5", "1950"], gender="", ethnic_group="",
                        disability="", employment_status="", receives_benefits="",
                        preferred_language="en")
    before = snapshot()
    response = client.post(f"/residents/{resident.id}/edit", data=data)
    assert response.status_code == 302
    assert snapshot() == before


def test_invalid_edit_rerenders_and_changes_nothing(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    before = snapshot()
    response = client.post(f"/residents/{resident.id}/edit",
                           data=details_data(phone="123", name="Someone Else"))
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).name == "Winston Campbell"
    assert snapshot() == before


def test_withdrawing_a_consent_asks_then_records_who_and_when(client, login_as, partner):
    user = login_as("staff", partner)
    resident = _resident(partner)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    db.session.commit()
    url = f"/residents/{resident.id}/consents/sms/withdraw"
    page = client.get(url).get_data(as_text=True)
    assert "Withdraw consent" in page and "We may send you text messages" in page

    response = client.post(url, data={"note": "Phoned to ask us to stop"})
    assert response.status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    assert not resident.has_consent(ConsentKind.SMS_CONTACT)
    (consent,) = resident.consents
    assert consent.withdrawn_by_id == user.id and consent.withdrawn_at is not None
    assert consent.withdrawal_note == "Phoned to ask us to stop"
    assert db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "consent withdrawn")
    ).one().entity_id == consent.id


def test_withdrawing_twice_is_a_conflict_and_changes_nothing(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    before = snapshot()
    response = client.post(f"/residents/{resident.id}/consents/sms/withdraw", data={})
    assert response.status_code == 409
    assert "There is a problem" in response.get_data(as_text=True)
    assert snapshot() == before


def test_withdraw_note_that_is_too_long_is_refused(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    factories.give_consent(resident, ConsentKind.REFERRAL_SHARING)
    db.session.commit()
    before = snapshot()
    response = client.post(f"/residents/{resident.id}/consents/sharing/withdraw",
                           data={"note": "x" * 201})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).has_consent(ConsentKind.REFERRAL_SHARING)
    assert snapshot() == before


def test_consent_can_be_given_again_after_withdrawal(client, login_as, partner):
    user = login_as("staff", partner)
    resident = _resident(partner)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    db.session.commit()
    client.post(f"/residents/{resident.id}/consents/sms/withdraw", data={})
    url = f"/residents/{resident.id}/consents/sms/give"
    assert "We may send you text messages" in client.get(url).get_data(as_text=True)

    before = snapshot()
    response = client.post(url, data={})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert snapshot() == before

    assert client.post(url, data={"agreed": "y"}).status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    active = resident.active_consent(ConsentKind.SMS_CONTACT)
    assert active is not None and active.recorded_by_id == user.id
    assert len(resident.consents) == 2


def test_unknown_consent_kind_is_not_found(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    assert client.get(f"/residents/{resident.id}/consents/email/withdraw").status_code == 404
    assert client.post(f"/residents/{resident.id}/consents/email/give").status_code == 404


def test_follow_up_assessment_is_classified_and_recorded_as_a_fact(client, login_as, partner):
    user = login_as("staff", partner)
    resident = _resident(partner)
    data = follow_up_data(kind="3-month follow-up", last_use="within the last 3 months",
                          foundation_tasks=list(FOUNDATION_TASK_CODES))
    response = client.post(f"/residents/{resident.id}/assessments/new", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    first, latest = resident.assessments
    assert latest.kind is AssessmentKind.THREE_MONTHS
    assert latest.classification is Classification.ENGAGED_USER
    assert latest.assessed_on == date.today() and latest.assessed_by_id == user.id
    fact = db.session.scalars(select(OutcomeFact)).one()
    assert fact.kind is FactKind.ASSESSMENT and fact.detail == "follow-up:engaged user"
    assert fact.resident_key == resident.fact_key
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "Assessment (3-month follow-up): engaged user" in page


def test_follow_up_with_a_past_date_is_kept(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    past = date.today() - timedelta(days=10)
    data = follow_up_data(assessed_on=[str(past.day), str(past.month), str(past.year)],
                          last_use="within the last 3 months")
    assert client.post(f"/residents/{resident.id}/assessments/new", data=data).status_code == 302
    db.session.expire_all()
    latest = db.session.get(Resident, resident.id).latest_assessment
    assert latest.assessed_on == past
    assert latest.classification is Classification.LIMITED_USER


def test_invalid_follow_up_rerenders_and_saves_nothing(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    too_early = date.today() - timedelta(days=400)
    tomorrow = date.today() + timedelta(days=1)
    cases = [
        follow_up_data(kind=None),
        follow_up_data(kind="registration"),
        follow_up_data(last_use=None),
        follow_up_data(assessed_on=[str(tomorrow.day), str(tomorrow.month), str(tomorrow.year)]),
        follow_up_data(assessed_on=[str(too_early.day), str(too_early.month),
                                    str(too_early.year)]),
        follow_up_data(confidence_communicating=None),
    ]
    before = snapshot()
    for data in cases:
        response = client.post(f"/residents/{resident.id}/assessments/new", data=data)
        assert response.status_code == 200
        assert "There is a problem" in response.get_data(as_text=True), data
    assert snapshot() == before


def test_classification_rules():
    from inclusion.residents.models import classify

    every = list(FOUNDATION_TASK_CODES)
    assert classify(LastUse.NEVER, every) is Classification.NON_USER
    assert classify(LastUse.MONTHS_3_TO_12, every) is Classification.NON_USER
    assert classify(LastUse.OVER_A_YEAR, []) is Classification.NON_USER
    assert classify(LastUse.WITHIN_3_MONTHS, every[:-1]) is Classification.LIMITED_USER
    assert classify(LastUse.WITHIN_3_MONTHS, []) is Classification.LIMITED_USER
    assert classify(LastUse.WITHIN_3_MONTHS, every) is Classification.ENGAGED_USER


def test_assessment_answers_round_trip(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    client.post(f"/residents/{resident.id}/assessments/new",
                data=follow_up_data(**assessment_data(device_access="shared")))
    db.session.expire_all()
    latest = db.session.get(Resident, resident.id).latest_assessment
    assert latest.device_access.value == "shared"
    assert set(latest.confidence) == {"communicating", "handling-information", "transacting",
                                      "problem-solving", "safe-legal"}


def test_consent_pages_send_staff_back_when_there_is_nothing_to_do(client, login_as, partner):
    login_as("staff", partner)
    resident = _resident(partner)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    db.session.commit()
    give = client.get(f"/residents/{resident.id}/consents/sms/give")
    assert give.status_code == 302
    assert give.headers["Location"].endswith(f"/residents/{resident.id}")
    withdraw = client.get(f"/residents/{resident.id}/consents/sharing/withdraw")
    assert withdraw.status_code == 302
    before = snapshot()
    assert client.post(f"/residents/{resident.id}/consents/sms/give",
                       data={"agreed": "y"}).status_code == 409
    assert snapshot() == before
