"""Demo residents carry consistent facts; other packages can add to the timeline."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask import Blueprint
from sqlalchemy import select

from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.reference import LOCAL_AUTHORITIES
from inclusion.residents import timeline
from inclusion.residents.models import AssessmentKind, Resident
from tests import factories

WEST_MIDLANDS = {la.code for la in LOCAL_AUTHORITIES}


def test_demo_seed_makes_residents_with_consistent_facts(app):
    result = app.test_cli_runner().invoke(
        args=["demo", "seed", "--password", "a long demo password 123", "--residents", "30"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    residents = db.session.scalars(select(Resident)).all()
    assert len(residents) == 30
    facts = db.session.scalars(select(OutcomeFact)).all()
    by_key: dict[str, list[OutcomeFact]] = {}
    for fact in facts:
        by_key.setdefault(fact.resident_key, []).append(fact)
    partners = set()
    for resident in residents:
        partners.add(resident.partner_id)
        mine = by_key[resident.fact_key]
        kinds = Counter(f.kind for f in mine)
        assert kinds[FactKind.RESIDENT_REGISTERED] == 1
        assert kinds[FactKind.ASSESSMENT] == len(resident.assessments)
        first = resident.assessments[0]
        assert first.kind is AssessmentKind.REGISTRATION
        details = sorted(f.detail for f in mine if f.kind is FactKind.ASSESSMENT)
        assert f"first:{first.classification.value}" in details
        for later in resident.assessments[1:]:
            assert f"follow-up:{later.classification.value}" in details
        # Registration and assessments are the resident's own partner's; other packages' facts
        # (a referral accepted by its provider) carry the partner that acted.
        assert all(f.partner_id == resident.partner_id for f in mine
                   if f.kind in (FactKind.RESIDENT_REGISTERED, FactKind.ASSESSMENT))
        assert resident.phone is None or resident.phone.startswith("+447700900")
        assert resident.local_authority in WEST_MIDLANDS
    assert len(partners) > 5
    assert len(by_key) == 30  # no fact without a resident


def test_a_package_can_add_entries_to_the_timeline(make_app):
    app = make_app()
    extra = Blueprint("extra_timeline_test", __name__)

    def loans(resident):
        return [timeline.TimelineEntry(date(2026, 1, 2), f"Laptop lent to resident {resident.id}",
                                       "/devices/")]

    timeline.register(extra, loans)
    app.register_blueprint(extra)
    with app.app_context():
        partner = factories.make_partner()
        user = factories.user_with_role("staff", partner=partner)
        resident = factories.make_resident(partner)
        factories.make_assessment(resident, on=date(2026, 3, 1))
        db.session.commit()
        resident_id, email = resident.id, user.email
    client = app.test_client()
    client.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    assert f"Laptop lent to resident {resident_id}" in page
    assert page.index("Registered and assessed") < page.index("Laptop lent")  # newest first
