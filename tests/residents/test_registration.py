"""Registering a resident: details, consents, the first assessment, facts and audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.reference import AgeBand, age_band_for
from inclusion.residents.models import (
    CONSENT_WORDING_VERSION,
    FOUNDATION_TASK_CODES,
    Classification,
    ConsentKind,
    Resident,
)
from tests import factories
from tests.residents.helpers import registration_data, snapshot


def _age_today(born: date) -> int:
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_registration_saves_resident_consents_assessment_facts_and_audit(
    client, login_as, partner
):
    user = login_as("staff", partner)
    response = client.post("/residents/new", data=registration_data())
    assert response.status_code == 302, response.get_data(as_text=True)

    resident = db.session.scalars(select(Resident)).one()
    assert response.headers["Location"].endswith(f"/residents/{resident.id}")
    assert resident.partner_id == partner.id
    assert resident.registered_by_id == user.id
    assert resident.name == "Amina Khan"
    assert resident.phone == "+447700900123"
    assert resident.postcode == "B11 1AA"
    assert resident.date_of_birth == date(1958, 3, 27)
    assert resident.age_band == age_band_for(_age_today(date(1958, 3, 27)))
    assert resident.ethnic_group == "asian-pakistani"
    assert resident.preferred_language == "ur"

    kinds = {c.kind for c in resident.consents}
    assert kinds == {ConsentKind.SMS_CONTACT, ConsentKind.REFERRAL_SHARING}
    for consent in resident.consents:
        assert consent.wording_version == CONSENT_WORDING_VERSION
        assert consent.recorded_by_id == user.id
        assert consent.recorded_at is not None and consent.is_active

    (assessment,) = resident.assessments
    assert assessment.classification is Classification.NON_USER
    assert assessment.foundation_tasks == ["turn-on", "controls"]
    assert assessment.confidence["handling-information"] == "2"
    assert assessment.assessed_by_id == user.id

    facts = db.session.scalars(select(OutcomeFact).order_by(OutcomeFact.id)).all()
    assert [(f.kind, f.detail) for f in facts] == [
        (FactKind.RESIDENT_REGISTERED, None),
        (FactKind.ASSESSMENT, "first:non-user"),
    ]
    assert all(f.resident_key == resident.fact_key and f.partner_id == partner.id for f in facts)
    assert facts[0].ethnic_group == "asian"  # high-level group only, never the detail

    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resident registered")
    ).one()
    assert entry.entity_id == resident.id and entry.user_id == user.id
    assert entry.partner_id == partner.id
    assert "phone" in entry.fields and "+447700900123" not in str(entry.fields)

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "Amina Khan" in page and "Non-user" in page
    assert CONSENT_WORDING_VERSION in page and user.name in page


def test_registration_without_consent_or_phone_is_allowed(client, login_as, partner):
    login_as("staff", partner)
    data = registration_data(phone="", sms_consent=None, sharing_consent=None)
    assert client.post("/residents/new", data=data).status_code == 302
    resident = db.session.scalars(select(Resident)).one()
    assert resident.phone is None
    assert resident.consents == []


def test_age_band_is_used_when_no_date_of_birth_given(client, login_as, partner):
    login_as("staff", partner)
    data = registration_data(date_of_birth=["", "", ""], age_band="75+")
    assert client.post("/residents/new", data=data).status_code == 302
    resident = db.session.scalars(select(Resident)).one()
    assert resident.date_of_birth is None
    assert resident.age_band is AgeBand.A75_PLUS


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("(0121) 496 0000", "+441214960000"),
        ("0044 7700-900-123", "+447700900123"),
    ],
)
def test_phone_numbers_are_stored_in_e164(client, login_as, partner, typed, stored):
    login_as("staff", partner)
    assert client.post("/residents/new", data=registration_data(phone=typed)).status_code == 302
    assert db.session.scalars(select(Resident)).one().phone == stored


@pytest.mark.parametrize(("typed", "stored"), [("b11aa", "B1 1AA"), (" wv10 7wj ", "WV10 7WJ"),
                                               ("Cv1 2Ab", "CV1 2AB")])
def test_postcodes_are_normalised(client, login_as, partner, typed, stored):
    login_as("staff", partner)
    assert client.post("/residents/new", data=registration_data(postcode=typed)).status_code == 302
    assert db.session.scalars(select(Resident)).one().postcode == stored


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "  "}, "Enter the person&#39;s full name"),
        ({"phone": "12345"}, "phone number"),
        ({"phone": "not a phone"}, "Enter a phone number"),
        ({"postcode": "NOT A POSTCODE"}, "Enter a real UK postcode"),
        ({"email": "nobody-at-example"}, "Enter an email address"),
        ({"local_authority": ""}, "Choose the local authority they live in"),
        ({"local_authority": "E99999999"}, "Choose one of the options listed"),
        ({"date_of_birth": ["", "", ""], "age_band": ""}, "Enter their date of birth, or choose"),
        ({"date_of_birth": ["31", "2", "1960"]}, "must be a real date"),
        ({"date_of_birth": ["1", "1", "2999"]}, "Date of birth must be in the past"),
        ({"date_of_birth": ["1", "", "1960"]}, "must include a month"),
        ({"lawful_basis": "because"}, "Choose one of the options listed"),
        ({"ethnic_group": "martian"}, "Choose one of the options listed"),
        ({"last_use": None}, "Choose when they last used the internet"),
        ({"home_access": "satellite"}, "Choose one of the options listed"),
        ({"device_access": None}, "Choose what device they can use"),
        ({"foundation_tasks": ["fly"]}, "Choose from the options listed"),
        ({"confidence_transacting": None}, "Choose how confident they feel about transacting"),
        ({"confidence_safe_legal": "9"}, "Choose one of the options listed"),
    ],
)
def test_invalid_registration_rerenders_with_errors_and_saves_nothing(
    client, login_as, partner, overrides, message
):
    login_as("staff", partner)
    before = snapshot()
    response = client.post("/residents/new", data=registration_data(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert snapshot() == before


def test_invalid_registration_keeps_what_was_typed(client, login_as, partner):
    login_as("staff", partner)
    page = client.post(
        "/residents/new", data=registration_data(postcode="XX", name="Bartłomiej Nowak")
    ).get_data(as_text=True)
    assert 'value="Bartłomiej Nowak"' in page
    assert 'href="#postcode"' in page  # the error summary links to the field


def test_registration_page_shows_consent_wording_and_every_question(client, login_as, partner):
    login_as("staff", partner)
    page = client.get("/residents/new").get_data(as_text=True)
    assert "Register a resident" in page
    assert CONSENT_WORDING_VERSION in page
    assert "We may send you text messages" in page
    for code in FOUNDATION_TASK_CODES:
        assert f'value="{code}"' in page
    assert page.count('name="confidence_') == 5 * 4


def test_same_phone_at_the_partner_warns_and_register_anyway_confirms(client, login_as, partner):
    login_as("staff", partner)
    existing = factories.make_resident(partner, name="Mary Smith", phone="+447700900123")
    db.session.commit()
    before = snapshot()

    response = client.post("/residents/new", data=registration_data())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This person may already be registered" in page
    assert f'href="/residents/{existing.id}"' in page
    assert "same phone number" in page
    assert "register anyway" in page
    assert snapshot() == before

    response = client.post("/residents/new", data=registration_data(confirm_different="y"))
    assert response.status_code == 302
    assert snapshot()["Resident"] == before["Resident"] + 1


def test_same_name_and_date_of_birth_warns(client, login_as, partner):
    login_as("staff", partner)
    existing = factories.make_resident(partner, name="amina  KHAN", phone=None,
                                       date_of_birth=date(1958, 3, 27))
    existing.name_search = "amina khan"
    db.session.commit()
    page = client.post("/residents/new", data=registration_data(phone="")).get_data(as_text=True)
    assert "This person may already be registered" in page
    assert "same name and date of birth" in page
    assert f'href="/residents/{existing.id}"' in page


def test_same_phone_at_another_partner_is_not_a_duplicate(client, login_as, partner,
                                                          other_partner):
    login_as("staff", partner)
    factories.make_resident(other_partner, phone="+447700900123")
    db.session.commit()
    response = client.post("/residents/new", data=registration_data())
    assert response.status_code == 302


def test_staff_home_offers_register_a_resident(client, login_as, partner):
    login_as("staff", partner)
    page = client.get("/").get_data(as_text=True)
    assert "Register a resident" in page
    assert 'href="/residents/new"' in page
