"""Consent: withdrawing SMS consent stops every text message from being created."""

from __future__ import annotations

from sqlalchemy import func, select

from inclusion import sms
from inclusion.extensions import db, utcnow
from inclusion.residents.models import ConsentKind
from inclusion.sms.models import SmsMessage
from tests.factories import give_consent, make_resident, make_user


def _count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(SmsMessage)) or 0)


def test_consent_records_basis_wording_time_and_who(app, partner):
    staff = make_user()
    resident = make_resident(partner)

    consent = give_consent(resident, ConsentKind.SMS_CONTACT, by=staff)

    assert resident.lawful_basis is not None
    assert (consent.wording_version, consent.recorded_by_id) == ("2026.1", staff.id)
    assert consent.recorded_at is not None and consent.is_active


def test_after_sms_consent_is_withdrawn_no_message_is_created(app, partner):
    resident = make_resident(partner)
    consent = give_consent(resident, ConsentKind.SMS_CONTACT)
    # With consent a message is created, so the refusal below is the withdrawal's doing.
    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="test",
                       body="Your voucher code is ready.") is not None
    db.session.commit()
    assert _count() == 1

    consent.withdrawn_at = utcnow()
    db.session.commit()
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="test",
                          body="Your voucher code is ready.")
    db.session.commit()

    assert message is None
    assert _count() == 1


def test_consent_given_again_after_withdrawal_allows_messages_again(app, partner):
    resident = make_resident(partner)
    first = give_consent(resident, ConsentKind.SMS_CONTACT)
    first.withdrawn_at = utcnow()
    give_consent(resident, ConsentKind.SMS_CONTACT)
    db.session.commit()

    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="test",
                       body="Welcome back.") is not None
