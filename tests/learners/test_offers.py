"""Offers: publishing, editing, the directory filters and each offer's response record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from inclusion.extensions import db
from learners.models import Offer, OfferKind, Referral, ReferralStatus
from learners.services import offers as services
from tests import factories
from tests.learners.factories import consenting_resident, make_offer, make_referral

VALID = {
    "title": "Coding bootcamp for women", "kind": "coding bootcamp", "level": "level 3",
    "delivery": "online", "authorities": ["E08000025", "E08000026"],
    "target_groups": ["women"], "capacity": "20", "start_1": ["1", "9", "2030"],
    "accepts_referrals": "yes",
    "response_days": "3", "active": "yes",
}


def _offers():
    return db.session.scalar(select(func.count()).select_from(Offer))


def test_staff_publish_an_offer(client, sign_in, partner):
    sign_in("staff", partner)
    response = client.post("/learners/offers/new", data=VALID)
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer))
    assert offer.partner_id == partner.id and offer.kind is OfferKind.CODING_BOOTCAMP
    assert offer.authorities == ["E08000025", "E08000026"] and offer.target_groups == ["women"]
    assert offer.start_dates == [date(2030, 9, 1)] and offer.response_days == 3
    page = client.get(f"/learners/offers/{offer.id}").get_data(as_text=True)
    assert "Coding bootcamp for women" in page and "Coventry" in page


def test_invalid_offer_form_shows_errors_and_saves_nothing(client, sign_in, partner):
    sign_in("staff", partner)
    for broken in ({"title": ""}, {"response_days": "0"}, {"authorities": []},
                   {"delivery": "in person"}, {"start_1": ["1", "13", "2030"]}, {"kind": "circus"}):
        response = client.post("/learners/offers/new", data={**VALID, **broken})
        assert response.status_code == 200, broken
        assert "There is a problem" in response.get_data(as_text=True), broken
    assert _offers() == 0


def test_only_the_owner_can_change_an_offer(client, sign_in, partner, other_partner):
    offer = make_offer(other_partner, title="Theirs")
    db.session.commit()
    sign_in("staff", partner)
    assert client.get(f"/learners/offers/{offer.id}/edit").status_code == 404
    assert client.post(f"/learners/offers/{offer.id}/edit", data=VALID).status_code == 404
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).title == "Theirs"


def test_owner_changes_an_offer(client, sign_in, partner):
    offer = make_offer(partner, title="Old title")
    db.session.commit()
    sign_in("staff", partner)
    assert "Old title" in client.get(f"/learners/offers/{offer.id}/edit").get_data(as_text=True)
    assert client.post(f"/learners/offers/{offer.id}/edit", data=VALID).status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).title == "Coding bootcamp for women"


def test_directory_filters_by_kind_area_group_and_start_date(client, sign_in, partner,
                                                             other_partner):
    soon = date.today() + timedelta(days=10)
    later = date.today() + timedelta(days=200)
    make_offer(other_partner, title="Alpha champion", kind=OfferKind.DIGITAL_CHAMPION,
               authorities=["E08000026"], start_dates=[soon])
    make_offer(other_partner, title="Bravo cyber", kind=OfferKind.CYBER_BOOTCAMP,
               authorities=["E08000025"], target_groups=["refugees"], start_dates=[later])
    make_offer(other_partner, title="Charlie hidden", active=False)
    db.session.commit()
    sign_in("staff", partner)

    def titles(query):
        html = client.get("/learners/offers" + query).get_data(as_text=True)
        return {t for t in ("Alpha champion", "Bravo cyber", "Charlie hidden") if t in html}

    assert titles("") == {"Alpha champion", "Bravo cyber"}
    assert titles("?kind=cyber+bootcamp") == {"Bravo cyber"}
    assert titles("?area=E08000026") == {"Alpha champion"}
    assert titles("?group=refugees") == {"Bravo cyber"}
    start = soon + timedelta(days=30)
    assert titles(f"?starts_from={start.day}&starts_from={start.month}"
                  f"&starts_from={start.year}") == {"Bravo cyber"}
    bad = client.get("/learners/offers?starts_from=40&starts_from=2&starts_from=2026")
    assert bad.status_code == 200 and "There is a problem" in bad.get_data(as_text=True)


def test_directory_is_paginated(make_app, sign_in, client, partner, app):
    for n in range(27):
        make_offer(partner, title=f"Offer {n:02d}")
    db.session.commit()
    sign_in("staff", partner)
    first = client.get("/learners/offers").get_data(as_text=True)
    second = client.get("/learners/offers?page=2").get_data(as_text=True)
    assert "Offer 00" in first and "Offer 25" not in first and 'rel="next"' in first
    assert "Offer 25" in second and "Offer 26" in second and "Offer 00" not in second


def test_response_record_counts_the_last_twelve_months(app, partner, other_partner):
    offer = make_offer(other_partner)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    days = [1, 2, 6]
    for n, wait in enumerate(days):
        r = make_referral(offer, consenting_resident(partner), now=now - timedelta(days=30 + n))
        r.accept(at=r.sent_at + timedelta(days=wait)) if n < 2 else r.decline(
            reason="Full", at=r.sent_at + timedelta(days=wait))
    unanswered = make_referral(offer, consenting_resident(partner), now=now - timedelta(days=3))
    withdrawn = make_referral(offer, consenting_resident(partner), now=now - timedelta(days=3))
    withdrawn.withdraw()
    old = make_referral(offer, consenting_resident(partner), now=now - timedelta(days=400))
    old.decline(reason="Old", at=old.sent_at + timedelta(days=50))
    db.session.commit()
    record = services.response_records([offer.id], now=now)[offer.id]
    assert record.received == 4  # three answered + one waiting; withdrawn and old left out
    assert record.median_days == 2
    assert record.accepted_share == 0.5
    assert record.median_text == "2 days" and record.accepted_text == "50% of 4"
    assert unanswered.status is ReferralStatus.SENT


def test_offer_not_taking_referrals_cannot_be_referred_to(client, sign_in, partner,
                                                          other_partner):
    offer = make_offer(other_partner, accepts_referrals=False)
    resident = consenting_resident(partner)
    db.session.commit()
    sign_in("staff", partner)
    assert client.post(f"/learners/offers/{offer.id}/refer/{resident.id}",
                       data={"note": "x"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_refer_choose_finds_only_own_residents(client, sign_in, partner, other_partner):
    offer = make_offer(other_partner)
    factories.make_resident(partner, name="Mine Zebedee")
    factories.make_resident(other_partner, name="Theirs Zebedee")
    db.session.commit()
    sign_in("staff", partner)
    html = client.get(f"/learners/offers/{offer.id}/refer?q=zebedee").get_data(as_text=True)
    assert "Mine Zebedee" in html and "Theirs Zebedee" not in html
