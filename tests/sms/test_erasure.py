"""Erasure and text messages: the provider's message id goes with the number, and stays gone."""

from __future__ import annotations

from sqlalchemy import select

from inclusion import sms
from inclusion.extensions import db
from inclusion.privacy import services
from inclusion.privacy.models import ErasureReason
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.sms.providers import Accepted, provider_for
from inclusion.sms.worker import claim, record_result, run_pass
from tests.sms.conftest import texted_resident
from tests.twilio_fake import sign

PUBLIC = "https://inclusion.example.org"


def _texted(partner, body="Your voucher code is 4471"):
    resident = texted_resident(partner)
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body=body)
    db.session.commit()
    return resident, message.id


def _erase(resident):
    services.erase_resident(resident=resident, reason=ErasureReason.RESIDENT_ASKED, by=None)
    db.session.commit()
    db.session.expire_all()


def _message(message_id):
    db.session.expire_all()
    return db.session.get(SmsMessage, message_id)


def test_erasure_clears_twilios_message_id_and_keeps_other_residents_ids(
        twilio_app, fake_twilio, partner):
    target, target_message = _texted(partner)
    other, other_message = _texted(partner)
    run_pass(twilio_app)
    sid = _message(target_message).provider_id
    # The id is Twilio's, and its logs hold the number under it.
    assert sid is not None and sid.startswith("SM")
    assert [m.to for m in fake_twilio.sent if m.sid == sid] == [target.phone]

    _erase(target)

    erased = _message(target_message)
    assert (erased.provider_id, erased.to, erased.body) == (None, "", "")
    assert erased.status is MessageStatus.SENT
    assert db.session.scalar(select(SmsMessage.id).where(SmsMessage.provider_id == sid)) is None
    assert _message(other_message).provider_id is not None


def test_a_receipt_after_erasure_moves_the_status_on_but_does_not_bring_the_id_back(
        twilio_app, fake_twilio, partner):
    target, message_id = _texted(partner)
    run_pass(twilio_app)
    sid = _message(message_id).provider_id
    _erase(target)
    # Twilio's receipt carries our id in the signed callback URL, so it still finds the row.
    path = f"/sms/status?message={message_id}"
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC123"}

    response = twilio_app.test_client().post(path, data=params, headers={
        "X-Twilio-Signature": sign(PUBLIC + path, params, fake_twilio.auth_token)})

    assert response.status_code == 204
    message = _message(message_id)
    assert (message.status, message.provider_id) == (MessageStatus.DELIVERED, None)


def test_a_text_mid_send_when_the_resident_is_erased_does_not_keep_twilios_id(
        twilio_app, partner):
    target, message_id = _texted(partner)
    (claimed,) = claim(limit=10)
    _erase(target)

    record_result(claimed, provider=provider_for(twilio_app),
                  accepted=Accepted(provider_id="SM" + "e" * 32), error=None)

    message = _message(message_id)
    assert (message.status, message.provider_id) == (MessageStatus.SENT, None)
