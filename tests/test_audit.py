"""The audit log page: partner admins see their own partner's entries, system admins all."""

from __future__ import annotations

from inclusion import audit
from inclusion.extensions import db
from tests import factories, paging


def _entries(partner, other_partner) -> None:
    audit.record("resident updated", partner_id=partner.id, entity_type="resident", entity_id=1,
                 fields=["phone"], detail="mine-entry")
    audit.record("resident updated", partner_id=other_partner.id, entity_type="resident",
                 entity_id=2, fields=["postcode"], detail="their-entry")
    audit.record("sign-in failed", detail="no-partner-entry")
    db.session.commit()


def test_partner_admin_sees_only_their_partners_entries(client, login_as, partner, other_partner):
    login_as("partner_admin", partner)
    _entries(partner, other_partner)
    page = client.get("/audit/").get_data(as_text=True)
    assert "mine-entry" in page and "phone" in page
    assert "their-entry" not in page and "postcode" not in page
    assert "no-partner-entry" not in page
    # Asking for everything changes nothing for a partner admin.
    assert "their-entry" not in client.get("/audit/?scope=all").get_data(as_text=True)


def test_system_admin_sees_every_entry_including_failed_sign_ins(
    app, client, login_as, partner, other_partner
):
    login_as("admin")
    _entries(partner, other_partner)
    app.test_client().post("/sign-in", data={"email": "who@example.org", "password": "guessing"})
    page = client.get("/audit/").get_data(as_text=True)
    assert "mine-entry" in page and "their-entry" in page and "no-partner-entry" in page
    assert page.count("Sign-in failed") == 2
    # No acting partner to narrow to: still everything, not an error.
    assert "their-entry" in client.get("/audit/?scope=partner").get_data(as_text=True)


def test_system_admin_who_acts_for_a_partner_can_narrow_to_it(client, partner, other_partner):
    user = factories.user_with_role("partner_admin", partner=partner, is_system_admin=True)
    db.session.commit()
    client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    _entries(partner, other_partner)
    assert "their-entry" in client.get("/audit/").get_data(as_text=True)
    narrowed = client.get("/audit/?scope=partner").get_data(as_text=True)
    assert "mine-entry" in narrowed and "their-entry" not in narrowed


def test_audit_records_field_names_never_values(client, login_as, partner):
    login_as("admin")
    client.post(
        f"/partners/{partner.id}/edit",
        data={"name": partner.name, "kind": partner.kind.value, "authorities": ["E08000025"],
              "contact_phone": "0121 496 0999", "default_loan_weeks": "12", "active": "y"},
    )
    page = client.get("/audit/").get_data(as_text=True)
    assert "contact_phone" in page
    assert "496 0999" not in page.split("<h1", 1)[1].split("</table>", 1)[0]


def test_older_entries_link_keeps_a_system_admin_narrowed_to_their_partner(
    client, partner, other_partner
):
    user = factories.user_with_role("partner_admin", partner=partner, is_system_admin=True)
    db.session.commit()
    client.post("/sign-in", data={"email": user.email, "password": factories.PASSWORD})
    for n in range(60):
        audit.record("resident updated", partner_id=partner.id, detail=f"mine-{n}")
        audit.record("resident updated", partner_id=other_partner.id, detail=f"theirs-{n}")
    db.session.commit()
    first = client.get("/audit/?scope=partner").get_data(as_text=True)
    older = paging.links(first)["next"]
    assert "scope=partner" in older
    page = client.get(older).get_data(as_text=True)
    assert "mine-" in page and "theirs-" not in page
