"""Another partner's residents answer 404 on every route and nothing changes; leads and
admins without a membership open no resident page at all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inclusion.extensions import db
from inclusion.residents.models import ConsentKind, Resident
from tests import factories
from tests.residents.helpers import details_data, follow_up_data, snapshot


def _routes(resident_id: int) -> list[tuple[str, str, dict]]:
    base = f"/residents/{resident_id}"
    return [
        ("GET", base, {}),
        ("GET", f"{base}/edit", {}),
        ("POST", f"{base}/edit", details_data(name="Changed Name")),
        ("GET", f"{base}/consents/sms/withdraw", {}),
        ("POST", f"{base}/consents/sms/withdraw", {"note": "x"}),
        ("GET", f"{base}/consents/sharing/give", {}),
        ("POST", f"{base}/consents/sharing/give", {"agreed": "y"}),
        ("GET", f"{base}/assessments/new", {}),
        ("POST", f"{base}/assessments/new", follow_up_data()),
    ]


@pytest.fixture
def theirs(other_partner):
    resident = factories.make_resident(other_partner, name="Their Resident",
                                       date_of_birth=date(1980, 1, 1))
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    factories.make_assessment(resident, on=date.today() - timedelta(days=30))
    db.session.commit()
    return resident


def _state(resident_id: int) -> tuple:
    db.session.expire_all()
    r = db.session.get(Resident, resident_id)
    return (r.name, r.phone, r.postcode, r.updated_at,
            [(c.kind, c.withdrawn_at) for c in r.consents], len(r.assessments))


@pytest.mark.parametrize("role", ["staff", "partner_admin"])
def test_other_partners_resident_is_not_found_on_every_route_and_unchanged(
    client, login_as, partner, theirs, role
):
    login_as(role, partner)
    before_state, before_counts = _state(theirs.id), snapshot()
    for method, url, data in _routes(theirs.id):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url)
        assert "Their Resident" not in response.get_data(as_text=True)
    assert _state(theirs.id) == before_state
    assert snapshot() == before_counts


def test_missing_resident_is_not_found(client, login_as, partner):
    login_as("staff", partner)
    for method, url, data in _routes(999999):
        assert client.open(url, method=method, data=data).status_code == 404


def test_other_partners_resident_is_never_offered_as_a_duplicate(client, login_as, partner,
                                                                 theirs):
    login_as("staff", partner)
    from tests.residents.helpers import registration_data

    page = client.post("/residents/new", data=registration_data(
        name="Their Resident", phone=theirs.phone, date_of_birth=["1", "1", "1980"],
    ))
    assert page.status_code == 302


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_lead_and_admin_without_membership_open_no_resident_page(client, login_as, theirs,
                                                                  role):
    login_as(role)
    before_state, before_counts = _state(theirs.id), snapshot()
    urls = [("GET", "/residents/", {}), ("GET", "/residents/?q=their", {}),
            ("GET", "/residents/new", {}), *_routes(theirs.id)]
    for method, url, data in urls:
        response = client.open(url, method=method, data=data)
        assert response.status_code in (403, 404), (method, url, response.status_code)
        assert "Their Resident" not in response.get_data(as_text=True)
    assert _state(theirs.id) == before_state
    # Refused access is audited; nothing else is written.
    after = snapshot()
    assert {k: v for k, v in after.items() if k != "AuditEntry"} == {
        k: v for k, v in before_counts.items() if k != "AuditEntry"
    }


def test_anonymous_visitor_is_sent_to_sign_in(client, theirs):
    response = client.get(f"/residents/{theirs.id}")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert client.post("/residents/new", data={}).status_code == 401
