"""The retraining fund: rounds, grants, cohorts, learners, milestone payments, yearly count."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from inclusion.extensions import db
from inclusion.outcomes import FactKind, OutcomeFact
from learners.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    FundRound,
    Grant,
    OutcomeKind,
    Referral,
    ReferralStatus,
)
from learners.services import fund as services
from tests import factories
from tests.learners.factories import (
    consenting_resident,
    make_cohort,
    make_grant,
    make_offer,
    make_referral,
    make_round,
)

ROUND = {
    "name": "Round Two", "opens_on": ["1", "4", "2027"], "closes_on": ["31", "3", "2028"],
    "budget": "2500000.00", "priority_groups": ["women", "refugees"],
    "start_percent": "45", "completion_percent": "35", "outcome_percent": "20",
}


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# -- arithmetic --------------------------------------------------------------------------


def test_default_pots_split_the_value_exactly():
    pots = services.milestone_pots(Decimal("100000.00"),
                                   (Decimal(45), Decimal(35), Decimal(20)))
    assert pots == (Decimal("45000.00"), Decimal("35000.00"), Decimal("20000.00"))


def test_awkward_values_still_add_up_to_the_penny():
    value = Decimal("33333.33")
    pots = services.milestone_pots(value, (Decimal("33.33"), Decimal("33.33"), Decimal("33.34")))
    assert pots == (Decimal("11110.00"), Decimal("11110.00"), Decimal("11113.33"))
    assert sum(pots) == value


@pytest.mark.parametrize(("achieved", "target", "earned"), [
    (0, 10, "0.00"), (1, 3, "3333.33"), (2, 3, "6666.66"), (3, 3, "10000.00"),
    (5, 3, "10000.00"), (1, 0, "0.00"),
])
def test_earned_is_pro_rata_rounded_down_and_capped(achieved, target, earned):
    assert services.earned_from(Decimal("10000.00"), achieved, target) == Decimal(earned)


def _learners(grant, *, started=0, completed=0, positive=0, partner=None):
    cohort = make_cohort(grant)
    for n in range(started):
        resident = factories.make_resident(partner)
        e = services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, resident=resident)
        services.move_enrolment(enrolment=e, move="start", on=date(2026, 5, 8), user_id=None)
        if n < completed:
            services.move_enrolment(enrolment=e, move="complete", on=date(2026, 7, 31),
                                    user_id=None)
            if n < positive:
                services.move_enrolment(enrolment=e, move="outcome-3", on=date(2026, 10, 31),
                                        user_id=None, outcome=OutcomeKind.IN_WORK)
            else:
                services.move_enrolment(enrolment=e, move="outcome-3", on=date(2026, 10, 31),
                                        user_id=None, outcome=OutcomeKind.NONE)
    return cohort


def test_payments_earned_with_default_milestones(app, partner):
    grant = make_grant(make_round(), partner, value=Decimal("100000.00"), target_starts=10,
                       target_completions=8, target_outcomes=5)
    _learners(grant, started=4, completed=3, positive=2, partner=partner)
    delivery = services.grant_delivery(grant)
    assert (delivery.starts, delivery.completions, delivery.outcomes) == (4, 3, 2)
    # 45,000 x 4/10 + 35,000 x 3/8 + 20,000 x 2/5
    assert [m.earned for m in delivery.milestones] == [
        Decimal("18000.00"), Decimal("13125.00"), Decimal("8000.00")]
    assert delivery.earned == Decimal("39125.00")


def test_payments_earned_with_a_round_of_custom_percentages(app, partner):
    fund_round = make_round(name="Custom", start_percent=Decimal("30"),
                            completion_percent=Decimal("30"), outcome_percent=Decimal("40"))
    grant = make_grant(fund_round, partner, value=Decimal("10000.01"), target_starts=3,
                       target_completions=3, target_outcomes=3)
    _learners(grant, started=3, completed=1, positive=1, partner=partner)
    delivery = services.grant_delivery(grant)
    pots = [m.pot for m in delivery.milestones]
    assert pots == [Decimal("3000.00"), Decimal("3000.00"), Decimal("4000.01")]
    assert [m.earned for m in delivery.milestones] == [
        Decimal("3000.00"), Decimal("1000.00"), Decimal("1333.33")]
    assert delivery.earned == Decimal("5333.33")


# -- rounds and grants -------------------------------------------------------------------


def test_admin_creates_a_round_with_custom_milestones(client, sign_in):
    sign_in("admin")
    response = client.post("/learners/fund/rounds/new", data={
        **ROUND, "start_percent": "40", "completion_percent": "40", "outcome_percent": "20"})
    assert response.status_code == 302
    fund_round = db.session.scalar(select(FundRound))
    assert fund_round.start_percent == Decimal("40") and fund_round.budget == Decimal("2500000")
    assert fund_round.priority_groups == ["women", "refugees"]


@pytest.mark.parametrize("broken", [
    {"start_percent": "50"}, {"name": ""}, {"budget": "-5"}, {"budget": "lots"},
    {"closes_on": ["1", "1", "2027"]}, {"opens_on": ["", "4", "2027"]},
    {"outcome_percent": "120", "start_percent": "-55"},
])
def test_invalid_round_is_refused(client, sign_in, broken):
    sign_in("admin")
    response = client.post("/learners/fund/rounds/new", data={**ROUND, **broken})
    assert response.status_code == 200
    assert "There is a problem" in response.get_data(as_text=True)
    assert _count(FundRound) == 0


def test_only_admins_manage_rounds_and_grants(client, sign_in, partner):
    fund_round = make_round()
    db.session.commit()
    for role in ("staff", "partner_admin", "lead"):
        sign_in(role, partner if role != "lead" else None)
        assert client.post("/learners/fund/rounds/new", data=ROUND).status_code == 403
        assert client.post(f"/learners/fund/rounds/{fund_round.id}/grants/new",
                           data={}).status_code == 403
    assert _count(FundRound) == 1 and _count(Grant) == 0


def test_admin_adds_a_grant_and_over_budget_is_refused(client, sign_in, partner):
    fund_round = make_round(budget=Decimal("150000.00"))
    db.session.commit()
    sign_in("admin")
    data = {"partner_id": str(partner.id), "reference": "DRF-7", "value": "100000",
            "target_starts": "10", "target_completions": "8", "target_outcomes": "5"}
    assert client.post(f"/learners/fund/rounds/{fund_round.id}/grants/new",
                       data=data).status_code == 302
    over = client.post(f"/learners/fund/rounds/{fund_round.id}/grants/new",
                       data={**data, "reference": "DRF-8"})
    assert "over its budget" in over.get_data(as_text=True)
    for broken in ({"target_completions": "11"}, {"partner_id": "999"}, {"value": "0"},
                   {"reference": "DRF-7", "value": "1"}, {"target_starts": "x"}):
        response = client.post(f"/learners/fund/rounds/{fund_round.id}/grants/new",
                               data={**data, "value": "1", **broken})
        assert "There is a problem" in response.get_data(as_text=True), broken
    assert _count(Grant) == 1


# -- grant page: provider and lead -------------------------------------------------------


def test_lead_sees_grant_numbers_but_never_learners(client, sign_in, partner):
    grant = make_grant(make_round(), partner)
    cohort = make_cohort(grant)
    resident = factories.make_resident(partner, name="Lionel Learnerson")
    services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, resident=resident)
    db.session.commit()
    sign_in("lead")
    html = client.get(f"/learners/fund/grants/{grant.id}").get_data(as_text=True)
    assert "£45,000.00" in html and "Lionel" not in html
    assert f"/learners/fund/cohorts/{cohort.id}" not in html
    assert client.get(f"/learners/fund/cohorts/{cohort.id}").status_code == 403
    sign_in("staff", partner)
    assert "Lionel Learnerson" in client.get(f"/learners/fund/cohorts/{cohort.id}").get_data(
        as_text=True)


def test_other_partner_gets_404_for_grants_cohorts_and_learners(client, sign_in, partner,
                                                                other_partner):
    grant = make_grant(make_round(), partner)
    cohort = make_cohort(grant)
    enrolment = services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                               resident=factories.make_resident(partner))
    db.session.commit()
    sign_in("staff", other_partner)
    for url in (f"/learners/fund/grants/{grant.id}", f"/learners/fund/cohorts/{cohort.id}",
                f"/learners/fund/grants/{grant.id}/cohorts/new",
                f"/learners/fund/cohorts/{cohort.id}/enrol"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/learners/fund/enrolments/{enrolment.id}/start",
                           data={"on": ["8", "5", "2026"]})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).status is EnrolmentStatus.ENROLLED


# -- cohorts and learners ----------------------------------------------------------------


def test_provider_adds_a_cohort_and_invalid_input_is_refused(client, sign_in, partner):
    grant = make_grant(make_round(), partner)
    db.session.commit()
    sign_in("staff", partner)
    data = {"course": "Data analyst bootcamp", "starts_on": ["1", "9", "2026"],
            "ends_on": ["30", "11", "2026"], "places": "15", "delivery": "blended",
            "location": "Coventry campus"}
    for broken in ({"course": ""}, {"ends_on": ["1", "8", "2026"]}, {"places": "0"},
                   {"location": ""}, {"delivery": "carrier pigeon"}):
        response = client.post(f"/learners/fund/grants/{grant.id}/cohorts/new",
                               data={**data, **broken})
        assert "There is a problem" in response.get_data(as_text=True), broken
    assert _count(Cohort) == 0
    assert client.post(f"/learners/fund/grants/{grant.id}/cohorts/new",
                       data=data).status_code == 302
    assert db.session.scalar(select(Cohort)).partner_id == partner.id


def test_enrolling_an_accepted_referral_keeps_the_referral_in_step(client, sign_in, partner,
                                                                    other_partner):
    grant = make_grant(make_round(), partner)
    cohort = make_cohort(grant)
    offer = make_offer(partner)
    referral = make_referral(offer, consenting_resident(other_partner, name="Rhea Referred"))
    referral.accept()
    db.session.commit()
    sign_in("staff", partner)
    page = client.get(f"/learners/fund/cohorts/{cohort.id}/enrol").get_data(as_text=True)
    assert "Rhea Referred" in page
    response = client.post(f"/learners/fund/cohorts/{cohort.id}/enrol", data={
        "learner": f"referral:{referral.id}", "enrolled_on": ["1", "5", "2026"]})
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.ENROLLED
    for move, extra in (("start", {}), ("complete", {})):
        assert client.post(f"/learners/fund/enrolments/{enrolment.id}/{move}",
                           data={"on": ["20", "7", "2026"], **extra}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.COMPLETED
    kinds = [f.kind for f in db.session.scalars(select(OutcomeFact).order_by(OutcomeFact.id))]
    assert FactKind.COHORT_START in kinds and FactKind.COHORT_COMPLETION in kinds
    assert FactKind.REFERRAL_COMPLETED in kinds


def test_learner_moves_refuse_bad_input_and_illegal_order(client, sign_in, partner):
    grant = make_grant(make_round(), partner)
    cohort = make_cohort(grant)
    enrolment = services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                               resident=factories.make_resident(partner))
    db.session.commit()
    sign_in("staff", partner)
    url = f"/learners/fund/enrolments/{enrolment.id}"
    assert "There is a problem" in client.post(f"{url}/start", data={"on": ["", "", ""]}
                                               ).get_data(as_text=True)
    assert "before the learner enrolled" in client.post(
        f"{url}/start", data={"on": ["1", "1", "2026"]}).get_data(as_text=True)
    early = client.post(f"{url}/complete", data={"on": ["1", "8", "2026"]})
    assert early.status_code == 409
    assert "There is a problem" in client.post(
        f"{url}/withdraw", data={"on": ["1", "6", "2026"], "reason": "bored"}
    ).get_data(as_text=True)
    assert client.post(f"{url}/withdraw", data={"on": ["1", "6", "2026"],
                                                "reason": "found work"}).status_code == 302
    db.session.expire_all()
    left = db.session.get(Enrolment, enrolment.id)
    assert left.status is EnrolmentStatus.WITHDRAWN and left.withdrawal_reason.value == "found work"
    outcome = client.post(f"{url}/outcome-3", data={"on": ["1", "9", "2026"],
                                                    "outcome": "in work"})
    assert outcome.status_code == 409


def test_full_cohort_refuses_another_learner(app, partner):
    cohort = make_cohort(make_grant(make_round(), partner), places=1)
    services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                   resident=factories.make_resident(partner))
    from inclusion.exceptions import ConflictError

    with pytest.raises(ConflictError, match="full"):
        services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                       resident=factories.make_resident(partner))


def test_enrol_form_without_a_choice_shows_an_error(client, sign_in, partner):
    cohort = make_cohort(make_grant(make_round(), partner))
    db.session.commit()
    sign_in("staff", partner)
    response = client.post(f"/learners/fund/cohorts/{cohort.id}/enrol?q=resident",
                           data={"enrolled_on": ["1", "5", "2026"]})
    assert response.status_code == 200
    assert "Select the learner to enrol" in response.get_data(as_text=True)
    assert _count(Enrolment) == 0


# -- the yearly retrained count ----------------------------------------------------------


def test_retrained_count_counts_a_person_once_a_year(app, partner):
    grant = make_grant(make_round(), partner, target_starts=50, target_completions=50)
    cohorts = [make_cohort(grant), make_cohort(grant, course="Second course")]
    resident = factories.make_resident(partner)
    for cohort in cohorts:
        e = services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, resident=resident)
        services.move_enrolment(enrolment=e, move="start", on=date(2026, 5, 2), user_id=None)
        services.move_enrolment(enrolment=e, move="complete", on=date(2026, 9, 1), user_id=None)
    assert [(y.year, y.completions) for y in services.retrained_by_year()] == [(2026, 1)]


def test_retrained_count_groups_completions_by_april_to_march_year(client, sign_in, partner):
    grant = make_grant(make_round(), partner, target_starts=50, target_completions=50)
    cohort = make_cohort(grant)
    for completed_on in (date(2026, 3, 31), date(2026, 4, 1), date(2027, 3, 1)):
        e = services.enrol(cohort=cohort, on=date(2025, 12, 1), user_id=None,
                           resident=factories.make_resident(partner))
        services.move_enrolment(enrolment=e, move="start", on=date(2025, 12, 2), user_id=None)
        services.move_enrolment(enrolment=e, move="complete", on=completed_on, user_id=None)
    db.session.commit()
    years = {y.year: y.completions for y in services.retrained_by_year()}
    assert years == {2025: 1, 2026: 2}
    sign_in("lead")
    html = client.get("/learners/fund").get_data(as_text=True)
    assert "April 2026 to March 2027" in html and "5,000" in html
    assert "<td class=\"govuk-table__cell govuk-table__cell--numeric\">*</td>" in html


def test_erasing_a_learner_keeps_delivery_counts_and_referral_history(client, sign_in, partner,
                                                                      other_partner):
    grant = make_grant(make_round(), partner)
    cohort = make_cohort(grant)
    direct = factories.make_resident(partner, name="Dora Direct")
    offer = make_offer(partner)
    referral = make_referral(offer, consenting_resident(other_partner, name="Reggie Referred"))
    referral.accept()
    for learner in ({"resident": direct}, {"referral": referral}):
        e = services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None, **learner)
        services.move_enrolment(enrolment=e, move="start", on=date(2026, 5, 2), user_id=None)
    db.session.commit()
    db.session.delete(direct)
    db.session.delete(referral.resident)
    db.session.commit()
    db.session.expire_all()
    assert services.grant_delivery(db.session.get(Grant, grant.id)).starts == 2
    sign_in("staff", partner)
    html = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    assert "Reggie" not in html, html[html.find("Reggie") - 300:html.find("Reggie") + 100]
    assert "Enrolled" in html  # the status history stays
    cohort_page = client.get(f"/learners/fund/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Dora" not in cohort_page and "Reggie" not in cohort_page
