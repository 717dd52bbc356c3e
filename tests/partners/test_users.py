"""System admins see every user with their roles, and disable or enable accounts."""

from __future__ import annotations

from sqlalchemy import select

from inclusion.audit.models import AuditEntry
from inclusion.auth.models import UserSession
from inclusion.extensions import db
from tests import factories


def test_user_page_shows_roles_at_each_partner(client, login_as, partner, other_partner):
    login_as("admin")
    person = factories.user_with_role("staff", partner=partner, is_coalition_lead=True)
    from partners.models import Membership, PartnerRole

    db.session.add(Membership(user=person, partner=other_partner, role=PartnerRole.PARTNER_ADMIN))
    db.session.commit()
    users = client.get("/partners/users").get_data(as_text=True)
    assert person.name in users
    page = client.get(f"/partners/users/{person.id}").get_data(as_text=True)
    assert "Coalition lead" in page
    assert partner.name in page and other_partner.name in page
    assert "Partner admin" in page and "Staff" in page


def test_disabling_a_user_ends_their_sessions_at_once(app, client, login_as, partner):
    login_as("admin")
    person = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    theirs = app.test_client()
    theirs.post("/sign-in", data={"email": person.email, "password": factories.PASSWORD})
    assert theirs.get("/").status_code == 200

    response = client.post(f"/partners/users/{person.id}/disable")
    assert response.status_code == 302
    db.session.expire_all()
    assert person.active is False
    live = db.session.scalars(
        select(UserSession).where(UserSession.user_id == person.id, UserSession.ended_at.is_(None))
    ).all()
    assert live == []
    refused = theirs.get("/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/sign-in")
    # And they cannot sign in again while disabled.
    again = theirs.post("/sign-in", data={"email": person.email, "password": factories.PASSWORD})
    assert again.status_code == 200
    assert "Enter a correct email address and password" in again.get_data(as_text=True)
    assert db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user disabled")
    ).one().entity_id == person.id


def test_enabling_lets_them_sign_in_again(app, client, login_as, partner):
    login_as("admin")
    person = factories.user_with_role("staff", partner=partner, active=False)
    db.session.commit()
    assert client.post(f"/partners/users/{person.id}/enable").status_code == 302
    theirs = app.test_client()
    response = theirs.post("/sign-in", data={"email": person.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_admin_cannot_disable_themselves(client, login_as):
    admin = login_as("admin")
    page = client.post(f"/partners/users/{admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account" in page.get_data(as_text=True)
    db.session.expire_all()
    assert admin.active is True


def test_coalition_invitation_form_refuses_bad_input(client, login_as):
    from partners.models import Invitation

    login_as("admin")
    response = client.post("/partners/users/invite", data={"email": "", "role": "staff"})
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Enter the email address" in page
    assert db.session.scalars(select(Invitation)).all() == []


def test_inviting_an_existing_admin_as_admin_is_a_conflict(client, login_as):
    admin = login_as("admin")
    response = client.post(
        "/partners/users/invite", data={"email": admin.email, "role": "system admin"}
    )
    assert response.status_code == 409
    assert "already a system admin" in response.get_data(as_text=True)
