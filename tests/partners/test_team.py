"""A partner admin manages their team: roles, removal, and never leaving it without an admin."""

from __future__ import annotations

from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from partners.models import Membership, PartnerRole
from tests import factories


def _membership(user, partner) -> Membership:
    return db.session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.partner_id == partner.id)
    ).one()


def test_team_page_lists_members_and_pending_invitations(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    staff = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    client.post("/partners/team/invite", data={"email": "waiting@example.org", "role": "staff"})
    page = client.get("/partners/team").get_data(as_text=True)
    assert admin.name in page and staff.name in page
    assert "waiting@example.org" in page


def test_partner_admin_changes_a_members_role(client, login_as, partner):
    login_as("partner_admin", partner)
    staff = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    membership = _membership(staff, partner)
    url = f"/partners/team/members/{membership.id}/role"
    assert "Staff" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"role": "partner admin"})
    assert response.status_code == 302
    db.session.expire_all()
    assert membership.role is PartnerRole.PARTNER_ADMIN
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "member role changed")
    ).one()
    assert entry.partner_id == partner.id and entry.fields == ["role"]


def test_role_form_without_a_choice_shows_an_error(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    membership = _membership(admin, partner)
    response = client.post(f"/partners/team/members/{membership.id}/role", data={"role": "boss"})
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert membership.role is PartnerRole.PARTNER_ADMIN


def test_last_partner_admin_cannot_demote_or_remove_themselves(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    membership = _membership(admin, partner)
    demote = client.post(f"/partners/team/members/{membership.id}/role", data={"role": "staff"})
    assert "at least one partner admin" in demote.get_data(as_text=True)
    remove = client.post(f"/partners/team/members/{membership.id}/remove")
    assert remove.status_code == 409
    assert "last partner admin" in remove.get_data(as_text=True)
    db.session.expire_all()
    assert _membership(admin, partner).role is PartnerRole.PARTNER_ADMIN


def test_a_disabled_admin_does_not_count_as_the_other_admin(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    factories.user_with_role("partner_admin", partner=partner, active=False)
    db.session.commit()
    response = client.post(f"/partners/team/members/{_membership(admin, partner).id}/remove")
    assert response.status_code == 409


def test_partner_admin_removes_a_member_who_then_cannot_act_for_the_partner(
    app, client, login_as, partner
):
    login_as("partner_admin", partner)
    staff = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    staff_client = app.test_client()
    staff_client.post("/sign-in", data={"email": staff.email, "password": factories.PASSWORD})
    assert staff_client.get("/residents/").status_code == 200

    membership_id = _membership(staff, partner).id
    page = client.get(f"/partners/team/members/{membership_id}/remove").get_data(as_text=True)
    assert f"Remove {staff.name}" in page
    assert client.post(f"/partners/team/members/{membership_id}/remove").status_code == 302
    assert db.session.get(Membership, membership_id) is None
    assert staff_client.get("/residents/").status_code == 403


def test_an_admin_may_step_down_when_another_admin_remains(client, login_as, partner):
    admin = login_as("partner_admin", partner)
    factories.user_with_role("partner_admin", partner=partner)
    db.session.commit()
    response = client.post(
        f"/partners/team/members/{_membership(admin, partner).id}/role", data={"role": "staff"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/partners/team").status_code == 403


def test_other_partners_members_answer_404_and_nothing_changes(
    client, login_as, partner, other_partner
):
    login_as("partner_admin", partner)
    theirs = factories.user_with_role("staff", partner=other_partner)
    db.session.commit()
    membership_id = _membership(theirs, other_partner).id
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for method, url, data in [
        ("get", f"/partners/team/members/{membership_id}/role", None),
        ("post", f"/partners/team/members/{membership_id}/role", {"role": "partner admin"}),
        ("get", f"/partners/team/members/{membership_id}/remove", None),
        ("post", f"/partners/team/members/{membership_id}/remove", {}),
    ]:
        assert getattr(client, method)(url, data=data).status_code == 404, url
    db.session.expire_all()
    assert _membership(theirs, other_partner).role is PartnerRole.STAFF
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_system_admin_changes_a_role_from_the_partner_page(client, login_as, partner):
    login_as("admin")
    staff = factories.user_with_role("staff", partner=partner)
    db.session.commit()
    membership = _membership(staff, partner)
    response = client.post(
        f"/partners/team/members/{membership.id}/role", data={"role": "partner admin"}
    )
    assert response.headers["Location"] == f"/partners/{partner.id}"
    db.session.expire_all()
    assert membership.role is PartnerRole.PARTNER_ADMIN


def test_user_with_several_partners_switches_the_partner_they_act_for(
    client, login_as, partner, other_partner
):
    user = login_as("staff", partner)
    db.session.add(Membership(user=user, partner=other_partner, role=PartnerRole.PARTNER_ADMIN))
    db.session.commit()
    choose = client.get("/partners/choose").get_data(as_text=True)
    assert partner.name in choose and other_partner.name in choose

    def acting_for() -> str:
        page = client.get("/").get_data(as_text=True)
        return page.split("Acting for <strong>", 1)[1].split("</strong>", 1)[0]

    first = acting_for()
    target = other_partner if first == partner.name else partner
    response = client.post(f"/partner/{target.id}/act")
    assert response.status_code == 302
    assert acting_for() == target.name
    # The role follows the acting partner: team management only where they are admin.
    expected_team = 200 if target is other_partner else 403
    assert client.get("/partners/team").status_code == expected_team
    assert db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "switched partner", AuditEntry.partner_id == target.id
        )
    ) == 1


def test_switching_to_a_partner_you_do_not_belong_to_answers_404(
    client, login_as, partner, other_partner
):
    login_as("staff", partner)
    assert client.post(f"/partner/{other_partner.id}/act").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert f"Acting for <strong>{partner.name}</strong>" in page


def test_switching_to_an_inactive_partner_answers_404(client, login_as, partner, other_partner):
    user = login_as("staff", partner)
    db.session.add(Membership(user=user, partner=other_partner, role=PartnerRole.STAFF))
    other_partner.active = False
    db.session.commit()
    assert client.post(f"/partner/{other_partner.id}/act").status_code == 404
