"""Access matrix for the learners pages: who gets what, by role and by partner."""

from __future__ import annotations

from datetime import date

import pytest

from inclusion.extensions import db
from learners.services import fund as fund_services
from tests import factories
from tests.learners.factories import (
    consenting_resident,
    make_cohort,
    make_grant,
    make_offer,
    make_referral,
    make_round,
)


@pytest.fixture
def world(app, partner, other_partner):
    """partner refers to other_partner's offer; partner also holds a grant with a cohort."""
    offer = make_offer(other_partner)
    own_offer = make_offer(partner, title="Our own course")
    resident = consenting_resident(partner)
    referral = make_referral(offer, resident)
    fund_round = make_round()
    grant = make_grant(fund_round, partner)
    cohort = make_cohort(grant)
    enrolment = fund_services.enrol(cohort=cohort, on=date(2026, 5, 1), user_id=None,
                                    resident=resident)
    db.session.commit()
    return {"offer": offer.id, "own_offer": own_offer.id, "resident": resident.id,
            "referral": referral.id, "round": fund_round.id, "grant": grant.id,
            "cohort": cohort.id, "enrolment": enrolment.id}


STAFF_PAGES = [
    "/learners/", "/learners/offers", "/learners/offers/ours", "/learners/offers/new",
    "/learners/offers/{offer}", "/learners/offers/{own_offer}/edit",
    "/learners/offers/{offer}/refer", "/learners/offers/{offer}/refer/{resident}",
    "/learners/referrals", "/learners/referrals/sent", "/learners/referrals/stale",
    "/learners/referrals/{referral}", "/learners/referrals/{referral}/withdraw",
    "/learners/fund", "/learners/fund/grants/{grant}", "/learners/fund/grants/{grant}/cohorts/new",
    "/learners/fund/cohorts/{cohort}", "/learners/fund/cohorts/{cohort}/enrol",
    "/learners/fund/enrolments/{enrolment}/start",
]
ADMIN_PAGES = ["/learners/fund/rounds/new", "/learners/fund/rounds/{round}/edit",
               "/learners/fund/rounds/{round}/grants/new", "/learners/fund/grants/{grant}/edit"]
LEAD_PAGES = ["/learners/fund", "/learners/fund/grants/{grant}"]


def test_staff_of_the_partner_reach_every_staff_page(client, sign_in, partner, world):
    sign_in("staff", partner)
    for url in STAFF_PAGES:
        assert client.get(url.format(**world)).status_code == 200, url


def test_signed_out_users_are_sent_to_sign_in(client, world):
    for url in STAFF_PAGES + ADMIN_PAGES:
        response = client.get(url.format(**world))
        assert response.status_code == 302 and "/sign-in" in response.location, url


def test_lead_sees_fund_numbers_only(client, sign_in, world):
    sign_in("lead")
    for url in LEAD_PAGES:
        assert client.get(url.format(**world)).status_code == 200, url
    for url in set(STAFF_PAGES) - set(LEAD_PAGES) | set(ADMIN_PAGES):
        assert client.get(url.format(**world)).status_code == 403, url


def test_admin_manages_rounds_and_grants_but_sees_no_people(client, sign_in, world):
    sign_in("admin")
    for url in ADMIN_PAGES + LEAD_PAGES:
        assert client.get(url.format(**world)).status_code == 200, url
    for url in ("/learners/referrals/{referral}", "/learners/fund/cohorts/{cohort}"):
        assert client.get(url.format(**world)).status_code == 403, url


def test_partner_staff_cannot_reach_admin_pages(client, sign_in, partner, world):
    sign_in("partner_admin", partner)
    for url in ADMIN_PAGES:
        assert client.get(url.format(**world)).status_code == 403, url


def test_another_partner_gets_404_for_this_partners_records(client, sign_in, world):
    third = factories.make_partner(name="Third Partner")
    db.session.commit()
    sign_in("staff", third)
    for url in ("/learners/offers/{own_offer}/edit", "/learners/offers/{offer}/refer/{resident}",
                "/learners/referrals/{referral}", "/learners/referrals/{referral}/withdraw",
                "/learners/fund/grants/{grant}", "/learners/fund/cohorts/{cohort}",
                "/learners/fund/enrolments/{enrolment}/start"):
        assert client.get(url.format(**world)).status_code == 404, url


def test_lead_finds_the_fund_in_the_navigation(client, sign_in):
    sign_in("lead")
    assert 'href="/learners/fund"' in client.get("/", follow_redirects=True).get_data(as_text=True)
