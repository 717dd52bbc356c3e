"""Referrals between partners: consent, field-level sharing, moves, timeline and access."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db
from inclusion.outcomes import FactKind, OutcomeFact
from inclusion.residents.models import ConsentKind
from inclusion.sms.models import SmsMessage
from learners.models import Referral, ReferralEvent, ReferralStatus
from tests import factories
from tests.learners.factories import consenting_resident, make_offer, make_referral

SECRET_POSTCODE = "B99 9ZZ"


@pytest.fixture
def provider(app):
    p = factories.make_partner(name="Skills Provider")
    db.session.commit()
    return p


@pytest.fixture
def offer(provider):
    o = make_offer(provider, title="Essential Digital Skills course")
    db.session.commit()
    return o


def _resident(partner, **fields):
    fields.setdefault("name", "Ada Quinlan")
    fields.setdefault("postcode", SECRET_POSTCODE)
    fields.setdefault("date_of_birth", date(1958, 3, 14))
    fields.setdefault("ethnic_group", "white-irish")
    fields.setdefault("email", "ada@example.org")
    r = consenting_resident(partner, **fields)
    db.session.commit()
    return r


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_refer_a_consenting_resident_sharing_only_what_they_tick(
        client, sign_in, partner, offer):
    resident = _resident(partner)
    sign_in("staff", partner)
    page = client.get(f"/learners/offers/{offer.id}/refer/{resident.id}")
    assert page.status_code == 200
    response = client.post(f"/learners/offers/{offer.id}/refer/{resident.id}", data={
        "shared_fields": ["local_authority"], "note": "Wants to shop online",
    })
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.status is ReferralStatus.SENT
    assert referral.to_partner_id == offer.partner_id
    assert referral.snapshot == {"name": "Ada Quinlan", "phone": resident.phone,
                                 "email": "ada@example.org", "local_authority": "Birmingham"}
    fact = db.session.scalar(select(OutcomeFact))
    assert fact.kind is FactKind.REFERRAL_MADE
    assert fact.resident_key == resident.fact_key and "Ada" not in (fact.detail or "")


def test_receiving_partner_sees_only_the_shared_fields(client, sign_in, partner, provider,
                                                       offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident, shared=["age_band"])
    db.session.commit()
    sign_in("staff", provider)
    for url in (f"/learners/referrals/{referral.id}", "/learners/referrals"):
        html = client.get(url).get_data(as_text=True)
        assert SECRET_POSTCODE not in html
        assert "1958" not in html and "14 March" not in html
        assert "Irish" not in html
    detail = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    assert "Ada Quinlan" in detail and "65-74" in detail and "Keen to learn" in detail


def test_shared_postcode_is_shown_when_ticked(client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident, shared=["postcode"])
    db.session.commit()
    sign_in("staff", provider)
    assert SECRET_POSTCODE in client.get(f"/learners/referrals/{referral.id}").get_data(
        as_text=True)


def test_without_sharing_consent_the_referral_is_refused_and_nothing_saved(
        client, sign_in, partner, offer):
    resident = factories.make_resident(partner)
    db.session.commit()
    sign_in("staff", partner)
    response = client.post(f"/learners/offers/{offer.id}/refer/{resident.id}",
                           data={"note": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and "has not agreed to share" in html
    assert _count(Referral) == 0 and _count(OutcomeFact) == 0


def test_consent_override_needs_a_reason_and_is_audited(client, sign_in, partner, offer):
    resident = factories.make_resident(partner)
    db.session.commit()
    user = sign_in("staff", partner)
    short = client.post(f"/learners/offers/{offer.id}/refer/{resident.id}",
                        data={"override_reason": "urgent"})
    assert "There is a problem" in short.get_data(as_text=True)
    assert _count(Referral) == 0
    reason = "Resident agreed by phone; form to follow on Monday"
    response = client.post(f"/learners/offers/{offer.id}/refer/{resident.id}", data={
        "override_reason": reason})
    assert response.status_code == 302
    referral = db.session.scalar(select(Referral))
    assert referral.consent_overridden is True and referral.override_reason == reason
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "referral consent overridden"))
    assert entry is not None and entry.entity_id == referral.id and entry.user_id == user.id
    # The log says that it happened, not why: the free text stays on the referral, where
    # erasure can reach it.
    assert entry.detail is None


def test_referring_another_partners_resident_is_404(client, sign_in, partner, other_partner,
                                                    offer):
    resident = _resident(other_partner)
    sign_in("staff", partner)
    assert client.get(f"/learners/offers/{offer.id}/refer/{resident.id}").status_code == 404
    assert client.post(f"/learners/offers/{offer.id}/refer/{resident.id}",
                       data={"note": "x"}).status_code == 404
    assert _count(Referral) == 0


def test_invalid_referral_form_rerenders_with_errors(client, sign_in, partner, offer):
    resident = _resident(partner)
    sign_in("staff", partner)
    response = client.post(f"/learners/offers/{offer.id}/refer/{resident.id}",
                           data={"shared_fields": ["national_insurance"]})
    assert "There is a problem" in response.get_data(as_text=True)
    assert _count(Referral) == 0


def test_withdrawn_referral_shows_no_personal_fields_to_the_receiver(
        client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident, shared=["postcode"])
    db.session.commit()
    sign_in("staff", partner)
    response = client.post(f"/learners/referrals/{referral.id}/withdraw",
                           data={"version": referral.version})
    assert response.status_code == 302
    sign_in("staff", provider)
    html = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    assert "Ada Quinlan" not in html and SECRET_POSTCODE not in html
    assert resident.phone not in html and "Keen to learn" not in html
    assert "Withdrawn" in html and "No personal details are shown" in html
    listed = client.get("/learners/referrals?status=withdrawn").get_data(as_text=True)
    assert f"Referral {referral.id}" in listed and "Ada Quinlan" not in listed


def test_withdrawing_sharing_consent_hides_fields_from_the_receiver(
        client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident, shared=["postcode"])
    consent = resident.active_consent(ConsentKind.REFERRAL_SHARING)
    consent.withdrawn_at = datetime.now(UTC)
    db.session.commit()
    sign_in("staff", provider)
    html = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    assert "Ada Quinlan" not in html and SECRET_POSTCODE not in html
    assert "withdrew their consent" in html
    assert "Ada Quinlan" not in client.get("/learners/referrals").get_data(as_text=True)
    assert "Sent" in html  # the anonymous status history stays
    factories.give_consent(resident, ConsentKind.REFERRAL_SHARING)
    db.session.commit()
    html = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    assert "Ada Quinlan" not in html  # a later consent does not reopen this referral


def test_third_partner_gets_404_and_changes_nothing(client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    third = factories.make_partner(name="Third Partner")
    db.session.commit()
    sign_in("staff", third)
    assert client.get(f"/learners/referrals/{referral.id}").status_code == 404
    for move in ("accept", "decline", "withdraw"):
        assert client.post(f"/learners/referrals/{referral.id}/{move}",
                           data={"version": 1, "reason": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.SENT


def test_referrer_cannot_accept_and_receiver_cannot_withdraw(
        client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    sign_in("staff", partner)
    assert client.post(f"/learners/referrals/{referral.id}/accept",
                       data={"version": 1}).status_code == 403
    sign_in("staff", provider)
    assert client.post(f"/learners/referrals/{referral.id}/withdraw",
                       data={"version": 1}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.SENT


def test_full_journey_with_a_timeline_both_sides_see(client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    receiver = sign_in("staff", provider, name="Rita Receiver")
    for move, data in (("accept", {}), ("enrol", {}),
                       ("not-completed", {"not_completed_reason": "no longer needed"})):
        version = db.session.scalar(select(Referral.version).where(Referral.id == referral.id))
        response = client.post(f"/learners/referrals/{referral.id}/{move}",
                               data={"version": version, **data})
        assert response.status_code == 302, move
    timeline_receiver = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    sign_in("staff", partner)
    timeline_referrer = client.get(f"/learners/referrals/{referral.id}").get_data(as_text=True)
    for html in (timeline_receiver, timeline_referrer):
        assert "Rita Receiver" in html and "Not completed: no longer needed" in html
        assert "Enrolled" in html and "Accepted" in html
    kinds = set(db.session.scalars(select(OutcomeFact.kind)))
    assert kinds == {FactKind.REFERRAL_MADE, FactKind.REFERRAL_ACCEPTED,
                     FactKind.REFERRAL_ENROLLED, FactKind.REFERRAL_NOT_COMPLETED}
    assert receiver.id in set(db.session.scalars(select(ReferralEvent.user_id)))


def test_decline_needs_a_reason(client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    sign_in("staff", provider)
    response = client.post(f"/learners/referrals/{referral.id}/decline",
                           data={"version": 1, "reason": ""})
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.SENT


def test_not_completed_needs_a_reason_from_the_list(client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    referral.accept()
    referral.enrol()
    db.session.commit()
    sign_in("staff", provider)
    response = client.post(f"/learners/referrals/{referral.id}/not-completed",
                           data={"version": referral.version, "not_completed_reason": "bored"})
    assert "There is a problem" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.ENROLLED


def test_illegal_move_is_refused_with_a_clear_message(client, sign_in, partner, provider,
                                                      offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    sign_in("staff", provider)
    response = client.post(f"/learners/referrals/{referral.id}/complete",
                           data={"version": referral.version})
    assert response.status_code == 409
    assert "cannot be marked completed" in response.get_data(as_text=True)


def test_a_page_from_an_old_version_is_told_the_referral_moved_on(
        client, sign_in, partner, provider, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    sign_in("staff", provider)
    assert client.post(f"/learners/referrals/{referral.id}/accept",
                       data={"version": 1}).status_code == 302
    response = client.post(f"/learners/referrals/{referral.id}/decline",
                           data={"version": 1, "reason": "No room"})
    assert response.status_code == 409
    assert "moved on" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is ReferralStatus.ACCEPTED


def test_status_texts_go_only_to_residents_who_agreed_to_sms(client, sign_in, partner,
                                                             provider, offer):
    texted = consenting_resident(partner, sms=True)
    silent = consenting_resident(partner, sms=False)
    make_referral(offer, texted, sms_updates=True)
    make_referral(offer, silent, sms_updates=True)
    db.session.commit()
    messages = db.session.scalars(select(SmsMessage)).all()
    assert [m.resident_id for m in messages] == [texted.id]
    assert offer.title in messages[0].body and texted.name not in messages[0].body


def test_lead_and_signed_out_users_cannot_see_referrals(client, sign_in, partner, offer):
    resident = _resident(partner)
    referral = make_referral(offer, resident)
    db.session.commit()
    assert client.get(f"/learners/referrals/{referral.id}").status_code == 302
    sign_in("lead")
    assert client.get(f"/learners/referrals/{referral.id}").status_code == 403
