"""System admins add, change, deactivate and reactivate partner organisations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from partners.models import Partner, PartnerKind

GOOD = {
    "name": "Tipton Tech Club",
    "kind": "community group",
    "authorities": ["E08000027", "E08000028", "OUTSIDE"],
    "contact_name": "Ada Contact",
    "contact_email": "hello@tipton.example.org",
    "contact_phone": "0121 496 0000",
    "address": "1 High Street, Tipton",
    "agreement_version": "2026.1",
    "agreement_signed_on": ["3", "4", "2026"],
    "default_loan_weeks": "8",
    "active": "y",
}


def _partners() -> int:
    return db.session.scalar(select(func.count()).select_from(Partner))


def test_new_partner_form_offers_the_seven_authorities_and_outside(client, login_as):
    login_as("admin")
    page = client.get("/partners/new").get_data(as_text=True)
    for name in ("Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall",
                 "Wolverhampton", "Outside the region"):
        assert name in page
    assert page.count('type="checkbox"') == 9  # eight areas and the active flag


def test_system_admin_adds_a_partner_with_every_detail(client, login_as):
    login_as("admin")
    response = client.post("/partners/new", data=GOOD)
    assert response.status_code == 302
    partner = db.session.scalars(select(Partner)).one()
    assert response.headers["Location"] == f"/partners/{partner.id}"
    assert partner.kind is PartnerKind.COMMUNITY_GROUP
    assert partner.authorities == ["E08000027", "E08000028", "OUTSIDE"]
    assert partner.agreement_signed_on == date(2026, 4, 3)
    assert partner.default_loan_weeks == 8
    assert partner.contact_email == "hello@tipton.example.org"
    assert partner.active is True
    page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Dudley, Sandwell, Outside the region" in page
    assert "Version 2026.1, signed 3 April 2026" in page
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "partner created")
    ).one()
    assert entry.entity_id == partner.id and "agreement_version" in entry.fields


def test_invalid_partner_form_shows_every_problem_and_saves_nothing(client, login_as):
    login_as("admin")
    response = client.post(
        "/partners/new",
        data={
            "name": "",
            "kind": "spaceship",
            "contact_email": "nope",
            "agreement_signed_on": ["31", "2", "2026"],
            "default_loan_weeks": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    for message in (
        "Enter the partner&#39;s name",
        "Select the local authorities the partner serves",
        "Enter a real email address",
        "must be a real date",
        "between 1 and 104 weeks",
    ):
        assert message in page, message
    assert _partners() == 0


def test_unknown_authority_code_is_refused(client, login_as):
    login_as("admin")
    response = client.post("/partners/new", data={**GOOD, "authorities": ["E09000001"]})
    assert "There is a problem" in response.get_data(as_text=True)
    assert _partners() == 0


def test_agreement_signed_in_the_future_is_refused(client, login_as):
    login_as("admin")
    response = client.post(
        "/partners/new", data={**GOOD, "agreement_signed_on": ["1", "1", "2999"]}
    )
    assert "today or in the past" in response.get_data(as_text=True)
    assert _partners() == 0


def test_partner_names_are_unique_ignoring_case(client, login_as, partner):
    login_as("admin")
    response = client.post("/partners/new", data={**GOOD, "name": partner.name.upper()})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    assert _partners() == 1


def test_system_admin_edits_a_partner_and_the_audit_names_the_fields(client, login_as, partner):
    login_as("admin")
    form = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert f'value="{partner.name}"' in form
    response = client.post(
        f"/partners/{partner.id}/edit",
        data={**GOOD, "name": partner.name, "kind": partner.kind.value},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert partner.default_loan_weeks == 8
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "partner updated")
    ).one()
    assert "default_loan_weeks" in entry.fields and "name" not in entry.fields
    assert "8" not in entry.fields  # names, never values


def test_invalid_edit_changes_nothing(client, login_as, partner):
    login_as("admin")
    before = (partner.name, partner.default_loan_weeks)
    response = client.post(f"/partners/{partner.id}/edit", data={**GOOD, "default_loan_weeks": "x"})
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (partner.name, partner.default_loan_weeks) == before


def test_deactivating_a_partner_stops_its_people_acting_for_it(app, client, login_as, partner):
    from tests import factories

    staff = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    staff_client = app.test_client()
    staff_client.post("/sign-in", data={"email": staff.email, "password": factories.PASSWORD})
    assert staff_client.get("/residents/").status_code == 200

    login_as("admin")
    assert client.post(f"/partners/{partner.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert partner.active is False
    assert staff_client.get("/residents/").status_code == 403
    again = client.post(f"/partners/{partner.id}/deactivate", follow_redirects=True)
    assert "already inactive" in again.get_data(as_text=True)

    assert client.post(f"/partners/{partner.id}/reactivate").status_code == 302
    assert staff_client.get("/residents/").status_code == 200


def test_missing_partner_answers_404(client, login_as):
    login_as("admin")
    assert client.get("/partners/999999").status_code == 404
    assert client.post("/partners/999999/deactivate").status_code == 404
