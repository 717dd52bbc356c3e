"""Inviting people: hashed single-use links that expire, shown to the admin and emailed when
SMTP is configured; accepting sets a password (policy enforced) or adds a membership."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.auth.models import User, UserSession
from inclusion.extensions import db, utcnow
from partners.models import Invitation, InvitationRole, Membership, PartnerRole, hash_token
from tests import factories
from tests.partners.factories import make_invitation
from tests.smtp_sink import smtp_sink

NEW_PASSWORD = "plum orchard lantern seven"
LINK_RE = re.compile(r"http://localhost/partners/join/([A-Za-z0-9_\-]+)")


def _invite(client, email="new.person@example.org", role="staff"):
    response = client.post("/partners/team/invite", data={"email": email, "role": role})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    page = response.get_data(as_text=True)
    match = LINK_RE.search(page)
    assert match, "the invitation link is shown to the admin"
    return match.group(1), page


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_partner_admin_invite_shows_a_link_and_stores_only_its_hash(client, login_as, partner):
    login_as("partner_admin", partner)
    token, page = _invite(client, email="  New.Person@Example.org ")
    assert "not emailed" in page
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.email == "new.person@example.org"
    assert invitation.partner_id == partner.id
    assert invitation.role is InvitationRole.STAFF
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert invitation.expires_at - utcnow() > timedelta(days=6, hours=23)
    created = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "invitation created"
    )
    assert db.session.scalar(created) == 1


def test_invitation_expiry_follows_the_configured_days(make_app):
    app = make_app(INVITATION_DAYS=2)
    with app.app_context():
        admin = factories.user_with_role("partner_admin")
        new = make_invitation(admin.memberships[0].partner, by=admin)
        remaining = new.invitation.expires_at - utcnow()
        assert timedelta(days=1, hours=23) < remaining <= timedelta(days=2)
        db.session.rollback()


def test_invitation_is_emailed_when_smtp_is_configured(make_app):
    with smtp_sink() as sink:
        app = make_app(SMTP_HOST=sink.host, SMTP_PORT=sink.port, MAIL_FROM="team@example.org")
        client = app.test_client()
        with app.app_context():
            admin = factories.user_with_role("partner_admin")
            db.session.commit()
            email = admin.email
        client.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
        token, page = _invite(client, email="mailed@example.org")
    assert "We have emailed them the link" in page
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert sink.recipients == [["mailed@example.org"]]
    assert message["To"] == "mailed@example.org"
    assert message["From"] == "team@example.org"
    assert f"/partners/join/{token}" in message.get_payload(decode=True).decode()


def test_unreachable_smtp_still_shows_the_link_and_keeps_the_invitation(make_app):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=9)  # nothing listens on the discard port
    client = app.test_client()
    with app.app_context():
        admin = factories.user_with_role("partner_admin")
        db.session.commit()
        email = admin.email
    client.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
    token, page = _invite(client)
    assert "not emailed" in page
    with app.app_context():
        assert db.session.scalar(select(Invitation.token_hash)) == hash_token(token)


def test_invalid_invitation_form_shows_errors_and_saves_nothing(client, login_as, partner):
    login_as("partner_admin", partner)
    response = client.post("/partners/team/invite", data={"email": "not-an-email", "role": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a real email address" in page
    assert "Choose a role" in page
    assert _count(Invitation) == 0


def test_partner_admin_cannot_invite_a_coalition_role(client, login_as, partner):
    login_as("partner_admin", partner)
    response = client.post(
        "/partners/team/invite", data={"email": "x@example.org", "role": "system admin"}
    )
    assert "There is a problem" in response.get_data(as_text=True)
    assert _count(Invitation) == 0


def test_inviting_someone_already_in_the_team_is_refused(client, login_as, partner):
    login_as("partner_admin", partner)
    member = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    response = client.post("/partners/team/invite", data={"email": member.email, "role": "staff"})
    assert response.status_code == 409
    assert "already in this team" in response.get_data(as_text=True)
    assert _count(Invitation) == 0


def test_invitee_sets_name_and_password_and_is_signed_in(app, client, login_as, partner):
    login_as("partner_admin", partner)
    token, _ = _invite(client, email="newbie@example.org", role="partner admin")
    client.post("/sign-out")
    invitee = app.test_client()
    opened = invitee.get(f"/partners/join/{token}")
    assert opened.headers["Cache-Control"] == "no-store"
    page = opened.get_data(as_text=True)
    assert "newbie@example.org" in page and partner.name in page
    response = invitee.post(
        f"/partners/join/{token}",
        data={"name": "Nia Newbie", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "newbie@example.org")).one()
    assert user.name == "Nia Newbie"
    assert user.role_at(partner.id) is PartnerRole.PARTNER_ADMIN
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.accepted_by_id == user.id
    home = invitee.get("/").get_data(as_text=True)
    assert partner.name in home and "Nia Newbie" in home
    assert _count(UserSession) >= 1


def test_invitation_link_works_only_once(app, client, login_as, partner):
    login_as("partner_admin", partner)
    token, _ = _invite(client)
    data = {"name": "First", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert app.test_client().post(f"/partners/join/{token}", data=data).status_code == 302
    again = app.test_client().post(f"/partners/join/{token}", data={**data, "name": "Second"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert _count(User) == 2  # the admin and the first acceptance only


def test_weak_password_is_refused_and_the_invitation_stays_usable(app, client, login_as, partner):
    login_as("partner_admin", partner)
    token, _ = _invite(client)
    invitee = app.test_client()
    for password, message in [
        ("short words", "12 characters or more"),
        ("123456qwerty", "too common"),
    ]:
        response = invitee.post(
            f"/partners/join/{token}",
            data={"name": "Pat", "password": password, "confirm": password},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "There is a problem" in page and message in page
    mismatch = invitee.post(
        f"/partners/join/{token}",
        data={"name": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"},
    ).get_data(as_text=True)
    assert "Enter your full name" in mismatch and "The passwords do not match" in mismatch
    assert _count(User) == 1
    assert db.session.scalars(select(Invitation)).one().is_pending


def test_expired_unknown_and_revoked_links_get_a_clear_page(app, client, login_as, partner):
    admin = login_as("partner_admin", partner)
    anonymous = app.test_client()
    unknown = anonymous.get("/partners/join/" + "x" * 43)
    assert unknown.status_code == 404
    assert "not valid" in unknown.get_data(as_text=True)
    assert anonymous.get("/partners/join/short").status_code == 404

    expired = make_invitation(partner, by=admin)
    expired.invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = anonymous.post(
        f"/partners/join/{expired.token}",
        data={"name": "Late", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)

    revoked = make_invitation(partner, by=admin)
    db.session.commit()
    assert client.post(
        f"/partners/invitations/{revoked.invitation.id}/revoke"
    ).status_code == 302
    response = anonymous.get(f"/partners/join/{revoked.token}")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    assert _count(User) == 1


def test_revoking_twice_says_so_without_error(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    new = make_invitation(partner, by=admin)
    db.session.commit()
    url = f"/partners/invitations/{new.invitation.id}/revoke"
    client.post(url)
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "already revoked" in page


def test_reinviting_the_same_email_replaces_the_earlier_link(client, login_as, partner):
    login_as("partner_admin", partner)
    first, _ = _invite(client, email="twice@example.org")
    second, _ = _invite(client, email="twice@example.org")
    assert first != second
    assert client.get(f"/partners/join/{first}").status_code == 410
    assert client.application.test_client().get(f"/partners/join/{second}").status_code == 200


def test_existing_account_accepts_by_signing_in_and_gains_a_membership(
    app, client, login_as, partner, other_partner
):
    login_as("partner_admin", partner)
    existing = factories.user_with_role("staff", partner=other_partner)
    db.session.commit()
    token, _ = _invite(client, email=existing.email.upper(), role="staff")

    person = app.test_client()
    page = person.get(f"/partners/join/{token}").get_data(as_text=True)
    assert "Sign in to accept" in page
    signed_in = person.post(
        f"/sign-in?next=/partners/join/{token}",
        data={"email": existing.email, "password": factories.PASSWORD},
    )
    assert signed_in.headers["Location"] == f"/partners/join/{token}"
    assert "Accept invitation" in person.get(f"/partners/join/{token}").get_data(as_text=True)
    response = person.post(f"/partners/join/{token}")
    assert response.status_code == 302
    db.session.expire_all()
    assert _count(User) == 2
    assert existing.role_at(partner.id) is PartnerRole.STAFF
    assert existing.role_at(other_partner.id) is PartnerRole.STAFF
    # Accepting makes the new partner the acting one.
    assert partner.name in person.get("/").get_data(as_text=True).split("Acting for", 1)[1][:200]


def test_signed_in_as_someone_else_cannot_accept(app, client, login_as, partner):
    login_as("partner_admin", partner)
    token, _ = _invite(client, email="meant.for@example.org")
    page = client.get(f"/partners/join/{token}").get_data(as_text=True)
    assert "This invitation is for someone else" in page
    client.post(
        f"/partners/join/{token}",
        data={"name": "Hijack", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert db.session.scalars(select(Invitation)).one().is_pending
    assert _count(User) == 1


def test_other_partners_invitation_cannot_be_revoked(client, login_as, partner, other_partner):
    login_as("partner_admin", partner)
    their_admin = factories.user_with_role("partner_admin", partner=other_partner)
    theirs = make_invitation(other_partner, by=their_admin)
    db.session.commit()
    entries = _count(AuditEntry)
    response = client.post(f"/partners/invitations/{theirs.invitation.id}/revoke")
    assert response.status_code == 404
    db.session.expire_all()
    assert theirs.invitation.is_pending
    assert _count(AuditEntry) == entries


def test_system_admin_invites_a_coalition_lead(app, client, login_as):
    login_as("admin")
    response = client.post(
        "/partners/users/invite", data={"email": "lead@example.org", "role": "coalition lead"}
    )
    token = LINK_RE.search(response.get_data(as_text=True)).group(1)
    invitee = app.test_client()
    invitee.post(
        f"/partners/join/{token}",
        data={"name": "Lee Lead", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    lead = db.session.scalars(select(User).where(User.email == "lead@example.org")).one()
    assert lead.is_coalition_lead and not lead.is_system_admin
    assert lead.memberships == []
    # A lead's home is the outcomes dashboard, with their name in the header.
    assert "Lee Lead" in invitee.get("/", follow_redirects=True).get_data(as_text=True)


def test_system_admin_invites_the_first_partner_admin_of_a_partner(app, client, login_as, partner):
    login_as("admin")
    response = client.post(
        f"/partners/{partner.id}/invite",
        data={"email": "first@example.org", "role": "partner admin"},
    )
    token = LINK_RE.search(response.get_data(as_text=True)).group(1)
    app.test_client().post(
        f"/partners/join/{token}",
        data={"name": "First Admin", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    membership = db.session.scalars(select(Membership)).one()
    assert membership.partner_id == partner.id
    assert membership.role is PartnerRole.PARTNER_ADMIN


def test_invitation_to_an_inactive_partner_cannot_be_used(app, client, login_as, partner):
    admin = login_as("partner_admin", partner)
    new = make_invitation(partner, by=admin)
    partner.active = False
    db.session.commit()
    response = app.test_client().get(f"/partners/join/{new.token}")
    assert response.status_code == 410
    assert "no longer active" in response.get_data(as_text=True)


@pytest.mark.postgres_only
def test_two_simultaneous_acceptances_make_one_account(app, partner):
    admin = factories.user_with_role("partner_admin", partner=partner)
    new = make_invitation(partner, by=admin, email="racer@example.org")
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def accept(name: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post(
            f"/partners/join/{new.token}",
            data={"name": name, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=accept, args=(n,)) for n in ("One", "Two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [302, 410]
    assert db.session.scalar(
        select(func.count()).select_from(User).where(User.email == "racer@example.org")
    ) == 1
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 2
