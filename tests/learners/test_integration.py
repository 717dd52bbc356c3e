"""Learners wired into the rest: the resident timeline, erasure, subject access, retention,
the demo data, and what a coalition lead sees of a grant."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import distinct, func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db, utcnow
from inclusion.outcomes.models import OutcomeFact
from inclusion.privacy import retention
from inclusion.privacy.models import Erasure, ErasureReason, SubjectAccessRequest
from inclusion.residents.models import ConsentKind
from learners.models import Enrolment, FundRound, Grant, Offer, Referral, ReferralStatus
from learners.services import fund as fund_services
from learners.services import referrals as referral_services
from tests import factories
from tests.learners.factories import (
    consenting_resident,
    make_cohort,
    make_grant,
    make_offer,
    make_referral,
    make_round,
)
from tests.privacy.helpers import (
    published_counts,
    registered_with_facts,
    resident_with_history,
)
from tests.privacy.scan import needles_for, scan_database

TARGET = dict(name="Agnieszka Wójcik-Pemberton", phone="+441214960777",
              email="agnieszka.pemberton@example.net", postcode="CV4 7AL")
ERASE = {"reason": ErasureReason.RESIDENT_ASKED.value, "confirm": "ERASE"}
SHARED = ["postcode", "date_of_birth", "preferred_language", "digital_engagement"]


def _referred_and_enrolled(partner, provider):
    """A resident of `partner` referred to `provider`'s offer, accepted and enrolled in a
    funded cohort, with their name in the referral note and the provider's decline of a
    second referral."""
    target = resident_with_history(partner, date_of_birth=date(1961, 3, 4), **TARGET)
    factories.give_consent(target, ConsentKind.REFERRAL_SHARING)
    db.session.refresh(target)
    offer = make_offer(provider, title="Cyber bootcamp")
    other_offer = make_offer(provider, title="Coding bootcamp")
    referral = make_referral(offer, target, shared=SHARED,
                             note=f"{TARGET['name']} prefers calls to {TARGET['phone']}")
    referral_services.move_referral(referral_id=referral.id, move="accept",
                                    acting_partner_id=provider.id, user_id=None)
    declined = make_referral(other_offer, target, shared=SHARED)
    referral_services.move_referral(
        referral_id=declined.id, move="decline", acting_partner_id=provider.id, user_id=None,
        reason=f"Spoke to {TARGET['name']}: the course is full")
    cohort = make_cohort(make_grant(make_round(), provider))
    enrolment = fund_services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                                    referral=referral)
    fund_services.move_enrolment(enrolment=enrolment, move="start", on=date(2026, 5, 2),
                                 user_id=None)
    db.session.commit()
    return target, referral, declined, enrolment


# -- the resident's timeline -----------------------------------------------------------------


def test_resident_page_lists_their_referrals_and_enrolments(
        client, login_as, partner, other_partner):
    target, referral, declined, enrolment = _referred_and_enrolled(partner, other_partner)
    login_as("staff", partner)

    page = client.get(f"/residents/{target.id}").get_data(as_text=True)

    assert f"Referred to Cyber bootcamp at {other_partner.name}: enrolled" in page
    assert f"Referred to Coding bootcamp at {other_partner.name}: declined" in page
    assert f"/learners/referrals/{referral.id}" in page
    assert f"Enrolled on Cyber security foundations with {other_partner.name}: started" in page
    # The cohort is the provider's: the referrer gets no link it could not open.
    assert f"/learners/fund/cohorts/{enrolment.cohort_id}" not in page
    assert "Refer to learning" in page
    assert 'href="/learners/offers"' in page


def test_provider_sees_its_own_learners_cohort_linked_from_the_resident_page(
        client, login_as, partner):
    resident = factories.make_resident(partner)
    cohort = make_cohort(make_grant(make_round(), partner))
    fund_services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, resident=resident)
    db.session.commit()
    login_as("staff", partner)

    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)

    assert f"/learners/fund/cohorts/{cohort.id}" in page


# -- erasure ---------------------------------------------------------------------------------


def _fact_counts():
    total = db.session.scalar(select(func.count()).select_from(OutcomeFact))
    people = db.session.scalar(select(func.count(distinct(OutcomeFact.resident_key))))
    return int(total or 0), int(people or 0)


def test_erasing_a_referred_resident_leaves_nothing_of_them_anywhere(
        client, login_as, partner, other_partner):
    target, referral, declined, enrolment = _referred_and_enrolled(partner, other_partner)
    registered_with_facts(partner, 7)
    db.session.commit()
    needles = needles_for(target)
    before = {hit.table for hit in scan_database(needles)}
    # The scan can fail: the referral's snapshot and note, and the decline, hold the person.
    assert {"referral", "referral_event"} <= before
    figures_before = (published_counts(), published_counts(partner.id),
                      published_counts(other_partner.id))
    # Eight people: erasing one would drop the published figure from 10 to * if facts went.
    assert figures_before[0]["residents_supported"].text == "10"
    facts_before = _fact_counts()
    delivery_before = fund_services.grant_delivery(enrolment.cohort.grant)
    login_as("partner_admin", partner)

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE,
                           follow_redirects=True)

    assert response.status_code == 200
    db.session.expire_all()
    assert scan_database(needles) == []
    assert scan_database([date(1961, 3, 4).isoformat()]) == []
    # The receiving partner is listed so it can be told.
    page = response.get_data(as_text=True)
    assert other_partner.name in page
    assert db.session.scalar(select(Erasure)).notify_partner_ids == [other_partner.id]
    # Referrals stay as anonymous history; the enrolment keeps its status, so counts and
    # payments do not move.
    kept = db.session.get(Referral, referral.id)
    assert kept.snapshot == {} and kept.note is None
    assert kept.status is ReferralStatus.ENROLLED and len(kept.events) == 3
    assert db.session.get(Referral, declined.id).decline_reason is None
    assert db.session.get(Enrolment, enrolment.id).resident_id is None
    assert fund_services.grant_delivery(enrolment.cohort.grant) == delivery_before
    assert _fact_counts() == facts_before
    assert (published_counts(), published_counts(partner.id),
            published_counts(other_partner.id)) == figures_before


def test_erasure_leaves_nothing_of_a_consent_override_reason(
        client, login_as, partner, other_partner):
    # No sharing consent: staff override it, with free text about the person.
    target = factories.make_resident(partner, **TARGET)
    offer = make_offer(other_partner, title="Cyber bootcamp")
    db.session.commit()
    reason = "Mrs Wojcik-Pemberton is housebound after her stroke and agreed on the doorstep"
    login_as("staff", partner)
    response = client.post(f"/learners/offers/{offer.id}/refer/{target.id}",
                           data={"override_reason": reason})
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral).where(Referral.resident_id == target.id))
    assert referral.consent_overridden is True
    # The scan can fail: before erasure it finds the reason, on the referral only.
    assert {hit.table for hit in scan_database([reason])} == {"referral"}
    needles = needles_for(target)
    login_as("partner_admin", partner)

    response = client.post(f"/privacy/residents/{target.id}/erase", data=ERASE)

    assert response.status_code == 302
    db.session.expire_all()
    assert scan_database([reason]) == []
    assert scan_database(needles) == []
    # That consent was overridden stays on record, on the referral and in the audit log.
    assert db.session.get(Referral, referral.id).consent_overridden is True
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "referral consent overridden",
        AuditEntry.entity_id == referral.id)) == 1


def test_receiving_partner_no_longer_sees_the_erased_residents_details(
        client, login_as, partner, other_partner):
    target, referral, _, _ = _referred_and_enrolled(partner, other_partner)
    login_as("partner_admin", partner)
    assert client.post(f"/privacy/residents/{target.id}/erase", data=ERASE).status_code == 302
    client.post("/sign-out")
    login_as("staff", other_partner)

    page = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)

    assert TARGET["name"] not in page and "CV4 7AL" not in page


def test_subject_access_export_includes_their_referrals_and_enrolments(
        client, login_as, partner, other_partner):
    target, referral, _, enrolment = _referred_and_enrolled(partner, other_partner)
    login_as("partner_admin", partner)
    today = utcnow().date()
    response = client.post(f"/privacy/residents/{target.id}/subject-access", data={
        "received_on": [str(today.day), str(today.month), str(today.year)]})
    assert response.status_code == 302
    sar = db.session.scalars(select(SubjectAccessRequest)).one()

    response = client.get(f"/privacy/requests/{sar.id}/export.json")
    document = response.get_json()
    response.close()

    sections = {s["title"]: {r["label"]: r["value"] for r in s["rows"]}
                for s in document["sections"]}
    cyber = sections["Referral to Cyber bootcamp"]
    assert cyber["Sent to"] == other_partner.name
    assert cyber["Status"] == "enrolled"
    assert "CV4 7AL" in cyber["Details shared with them"]
    assert sections["Referral to Coding bootcamp"]["Status"] == "declined"
    course = sections["Course: Cyber security foundations"]
    assert course["Provider"] == other_partner.name and course["Status"] == "started"
    activity = next(s for s in document["sections"] if s["title"].startswith("Activity log"))
    assert any("Referral sent" in r["value"] or "referral sent" in r["value"]
               for r in activity["rows"])


# -- retention -------------------------------------------------------------------------------


def test_retention_clears_long_closed_referrals_and_unlinks_long_ended_enrolments(
        app, partner, other_partner):
    resident = consenting_resident(partner)
    offer = make_offer(other_partner)
    old = make_referral(offer, resident, shared=SHARED)
    old.note = "Old note"
    referral_services.move_referral(referral_id=old.id, move="withdraw",
                                    acting_partner_id=partner.id, user_id=None)
    recent = make_referral(make_offer(other_partner, title="Another"), resident, shared=SHARED)
    own = factories.make_resident(other_partner)
    cohort = make_cohort(make_grant(make_round(), other_partner))
    ended = fund_services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, resident=own)
    fund_services.move_enrolment(enrolment=ended, move="start", on=date(2026, 5, 2),
                                 user_id=None)
    fund_services.move_enrolment(enrolment=ended, move="complete", on=date(2026, 7, 1),
                                 user_id=None)
    db.session.commit()
    later = utcnow() + timedelta(days=365 * 7)

    dry = retention.run(now=later, dry_run=True)
    db.session.rollback()
    assert db.session.get(Referral, old.id).note == "Old note"
    counts = dry.counts()
    assert counts["referrals"] == 1 and counts["enrolments"] == 1

    retention.run(now=later, dry_run=False)
    db.session.commit()

    assert db.session.get(Referral, old.id).note is None
    # Still open: kept as it is, and its resident counts as active.
    assert db.session.get(Referral, recent.id).snapshot["name"] == resident.name
    assert db.session.get(Enrolment, ended.id).resident_id is None
    again = retention.run(now=later, dry_run=True)
    assert again.counts()["referrals"] == 0 and again.counts()["enrolments"] == 0


def test_an_open_referral_keeps_the_resident_from_retention(app, partner, other_partner):
    resident = consenting_resident(partner)
    make_referral(make_offer(other_partner), resident)
    db.session.commit()
    policy = retention.Policy(now=utcnow() + timedelta(days=365 * 5),
                              periods=retention.load_periods())

    assert resident.id not in retention.residents_past_retention(policy)


# -- the lead's view of a grant ----------------------------------------------------------------


def _grant_with_learners(partner, started: int) -> Grant:
    cohort = make_cohort(make_grant(make_round(), partner, target_starts=20,
                                    target_completions=10, target_outcomes=5), places=30)
    for _ in range(started):
        enrolment = fund_services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                                        resident=factories.make_resident(partner))
        fund_services.move_enrolment(enrolment=enrolment, move="start", on=date(2026, 5, 2),
                                     user_id=None)
    first = cohort.enrolments[0]
    fund_services.move_enrolment(enrolment=first, move="complete", on=date(2026, 7, 1),
                                 user_id=None)
    db.session.commit()
    return cohort.grant


def _achieved(page: str) -> list[str]:
    rows = page.split("<tbody")[1].split("</tbody>")[0].split("<tr")[1:]
    return [row.split('govuk-table__cell--numeric">')[1].split("<")[0] for row in rows]


def test_a_coalition_lead_sees_people_counts_through_the_disclosure_rule(
        client, login_as, partner):
    grant = _grant_with_learners(partner, started=12)
    login_as("lead")

    page = client.get(f"/learners/fund/grants/{grant.id}").get_data(as_text=True)

    # 12 starts round to 10; 1 completion and 0 outcomes: * and 0.
    assert _achieved(page) == ["10", "*", "0"]
    assert "Enrolled 10, of whom 0 left early" in page
    assert "disclosure rule" in page
    # Payments stay exact: 12 of 20 starts earn 12/20 of the start pot.
    earned = fund_services.grant_delivery(grant).earned
    assert f"£{earned:,.2f}" in page


def test_the_provider_sees_its_own_exact_counts(client, login_as, partner):
    grant = _grant_with_learners(partner, started=12)
    login_as("staff", partner)

    page = client.get(f"/learners/fund/grants/{grant.id}").get_data(as_text=True)

    assert _achieved(page) == ["12", "1", "0"]
    assert "Enrolled 12, of whom 0 left early" in page


# -- demo data -------------------------------------------------------------------------------


def test_demo_seed_makes_offers_referrals_in_every_status_a_round_grants_and_learners(app):
    result = app.test_cli_runner().invoke(
        args=["demo", "seed", "--residents", "30", "--password", "demo-pass-phrase-2026"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Offer)) >= 5
    statuses = set(db.session.scalars(select(Referral.status).distinct()))
    assert statuses == set(ReferralStatus)
    assert any(r.is_stale() for r in db.session.scalars(select(Referral)))
    assert db.session.scalar(select(func.count()).select_from(FundRound)) == 1
    grants = db.session.scalars(select(Grant)).all()
    assert len(grants) >= 2
    assert all(g.cohorts for g in grants)
    enrolments = db.session.scalars(select(Enrolment)).all()
    assert {e.status.value for e in enrolments} >= {"enrolled", "started", "completed",
                                                      "withdrawn"}
    assert any(e.referral_id for e in enrolments) and any(e.resident_id for e in enrolments)
    assert any(fund_services.grant_delivery(g).earned > 0 for g in grants)


# -- the access matrix covers every learners route -------------------------------------------


def test_every_learners_route_is_in_the_access_matrix(app):
    from tests.access_records import OUTSIDE_MATRIX, builder_for
    from tests.test_access import EXPECTED_WITHOUT_IDS

    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("learners.") or rule.endpoint in OUTSIDE_MATRIX:
            continue
        if rule.arguments:
            missing += [f"{rule.endpoint} <{name}>" for name in sorted(rule.arguments)
                        if builder_for(rule.endpoint, name) is None]
        elif "GET" in (rule.methods or ()) and rule.endpoint not in EXPECTED_WITHOUT_IDS:
            missing.append(rule.endpoint)
    assert not missing
