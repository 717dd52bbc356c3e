"""Twilio's webhooks: signed receipts that are repeatable and out of order, and STOP/START."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from inclusion import sms
from inclusion.extensions import db
from inclusion.residents.models import Consent, ConsentKind
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.sms.worker import run_pass
from tests import factories
from tests.sms.conftest import texted_resident
from tests.twilio_fake import sign

PUBLIC = "https://inclusion.example.org"


@pytest.fixture
def sent_message(twilio_app, fake_twilio, partner):
    resident = texted_resident(partner)
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Hi")
    db.session.commit()
    run_pass(twilio_app)
    db.session.expire_all()
    return db.session.get(SmsMessage, message.id)


def _post(app, fake, path, params, *, url=None, signature=None, headers=None):
    signed_url = url or PUBLIC + path
    header = {"X-Twilio-Signature": signature if signature is not None
              else sign(signed_url, params, fake.auth_token)}
    header.update(headers or {})
    return app.test_client().post(path, data=params, headers=header)


def _receipt(message, status, **extra):
    return {"MessageSid": message.provider_id, "MessageStatus": status,
            "AccountSid": "AC123", **extra}


def _state(message_id):
    db.session.expire_all()
    m = db.session.get(SmsMessage, message_id)
    return m.status, m.status_at, m.error_code


def test_signed_receipt_marks_the_message_delivered(twilio_app, fake_twilio, sent_message):
    response = _post(twilio_app, fake_twilio, "/sms/status", _receipt(sent_message, "delivered"))
    assert response.status_code == 204
    assert _state(sent_message.id)[0] is MessageStatus.DELIVERED


def test_receipt_is_checked_against_the_public_https_url_behind_a_proxy(
    twilio_app, fake_twilio, sent_message
):
    # The test client speaks http:// to the app, as a TLS-terminating proxy would.
    response = _post(twilio_app, fake_twilio, "/sms/status", _receipt(sent_message, "delivered"),
                     headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 204


@pytest.mark.parametrize("how", ["missing", "wrong", "tampered", "other url", "http scheme",
                                 "other token"])
def test_badly_signed_receipt_is_refused_and_changes_nothing(twilio_app, fake_twilio,
                                                             sent_message, how):
    before = _state(sent_message.id)
    params = _receipt(sent_message, "delivered")
    if how == "missing":
        response = twilio_app.test_client().post("/sms/status", data=params)
    elif how == "wrong":
        response = _post(twilio_app, fake_twilio, "/sms/status", params, signature="bm9wZQ==")
    elif how == "tampered":
        signature = sign(PUBLIC + "/sms/status", _receipt(sent_message, "failed"),
                         fake_twilio.auth_token)
        response = _post(twilio_app, fake_twilio, "/sms/status", params, signature=signature)
    elif how == "other url":
        response = _post(twilio_app, fake_twilio, "/sms/status", params,
                         url="https://attacker.example/sms/status")
    elif how == "http scheme":
        response = _post(twilio_app, fake_twilio, "/sms/status", params,
                         url="http://inclusion.example.org/sms/status")
    else:
        signature = sign(PUBLIC + "/sms/status", params, "not-the-token")
        response = _post(twilio_app, fake_twilio, "/sms/status", params, signature=signature)
    assert response.status_code == 403
    assert _state(sent_message.id) == before


def test_repeated_receipt_changes_nothing(twilio_app, fake_twilio, sent_message):
    params = _receipt(sent_message, "delivered")
    _post(twilio_app, fake_twilio, "/sms/status", params)
    first = _state(sent_message.id)
    assert _post(twilio_app, fake_twilio, "/sms/status", params).status_code == 204
    assert _state(sent_message.id) == first


def test_status_never_moves_backwards_and_final_is_never_overwritten(twilio_app, fake_twilio,
                                                                      sent_message):
    _post(twilio_app, fake_twilio, "/sms/status", _receipt(sent_message, "delivered"))
    final = _state(sent_message.id)
    for late in ("queued", "sent", "undelivered", "failed"):
        response = _post(twilio_app, fake_twilio, "/sms/status",
                         _receipt(sent_message, late, ErrorCode="30003"))
        assert response.status_code == 204
    assert _state(sent_message.id) == final


def test_undelivered_receipt_keeps_the_error_code(twilio_app, fake_twilio, sent_message):
    _post(twilio_app, fake_twilio, "/sms/status",
          _receipt(sent_message, "undelivered", ErrorCode="30003"))
    status, _at, code = _state(sent_message.id)
    assert (status, code) == (MessageStatus.UNDELIVERED, "30003")


def test_receipt_for_an_unknown_message_is_logged_and_ignored(twilio_app, fake_twilio,
                                                               sent_message, caplog):
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    with caplog.at_level(logging.WARNING):
        response = _post(twilio_app, fake_twilio, "/sms/status", params)
    assert response.status_code == 204
    assert "unknown message" in caplog.text
    assert _state(sent_message.id)[0] is MessageStatus.SENT


def test_receipt_that_overtakes_the_worker_finds_its_message_by_the_signed_id(
    twilio_app, fake_twilio, partner
):
    resident = texted_resident(partner)
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Hi")
    message.status = MessageStatus.SENDING
    db.session.commit()
    path = f"/sms/status?message={message.id}"
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered"}
    response = _post(twilio_app, fake_twilio, path, params)
    assert response.status_code == 204
    db.session.expire_all()
    stored = db.session.get(SmsMessage, message.id)
    assert (stored.status, stored.provider_id) == (MessageStatus.DELIVERED, "SM" + "a" * 32)
    # Changing the id in the URL breaks the signature.
    signature = sign(PUBLIC + path, params, fake_twilio.auth_token)
    other = twilio_app.test_client().post(f"/sms/status?message={message.id + 1}", data=params,
                                          headers={"X-Twilio-Signature": signature})
    assert other.status_code == 403


def test_webhooks_refuse_everything_when_twilio_is_not_configured(app, client, partner):
    response = client.post("/sms/status", data={"MessageSid": "SM1", "MessageStatus": "sent"},
                           headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 403


def test_webhooks_work_with_csrf_protection_on(make_app, fake_twilio, partner):
    app = make_app(**fake_twilio.app_config(), WTF_CSRF_ENABLED=True)
    with app.app_context():
        params = {"From": "+447700900999", "Body": "STOP"}
        response = _post(app, fake_twilio, "/sms/inbound", params)
        assert response.status_code == 200
        db.session.remove()


def _has_consent(resident_id):
    db.session.expire_all()
    resident = db.session.get(factories.Resident, resident_id)
    return resident.has_consent(ConsentKind.SMS_CONTACT)


@pytest.mark.parametrize("word", ["STOP", "stop", "  Stop \n", "STOPALL", "unsubscribe",
                                  "Cancel", "END", "quit"])
def test_stop_words_withdraw_sms_consent_for_that_number(twilio_app, fake_twilio, partner,
                                                         other_partner, word):
    resident = texted_resident(partner)
    elsewhere = texted_resident(other_partner, phone=resident.phone)
    bystander = texted_resident(partner)
    waiting = sms.enqueue(resident=resident, partner_id=partner.id, purpose="t", body="x")
    db.session.commit()
    response = _post(twilio_app, fake_twilio, "/sms/inbound",
                     {"From": resident.phone, "Body": word, "MessageSid": "SM1"})
    assert response.status_code == 200
    assert "<Response>" in response.get_data(as_text=True)
    assert not _has_consent(resident.id)
    assert not _has_consent(elsewhere.id)
    assert _has_consent(bystander.id)
    assert db.session.get(SmsMessage, waiting.id).status is MessageStatus.FAILED


@pytest.mark.parametrize("body", ["stop please", "STOPP", "hello", ""])
def test_other_replies_change_nothing(twilio_app, fake_twilio, partner, body):
    resident = texted_resident(partner)
    db.session.commit()
    _post(twilio_app, fake_twilio, "/sms/inbound", {"From": resident.phone, "Body": body})
    assert _has_consent(resident.id)


def test_start_restores_consent_withdrawn_by_stop(twilio_app, fake_twilio, partner):
    resident = texted_resident(partner)
    db.session.commit()
    _post(twilio_app, fake_twilio, "/sms/inbound", {"From": resident.phone, "Body": "STOP"})
    assert not _has_consent(resident.id)
    _post(twilio_app, fake_twilio, "/sms/inbound", {"From": resident.phone, "Body": " start "})
    assert _has_consent(resident.id)
    # A repeated START adds nothing.
    _post(twilio_app, fake_twilio, "/sms/inbound", {"From": resident.phone, "Body": "START"})
    count = db.session.scalar(
        select(db.func.count()).select_from(Consent).where(Consent.resident_id == resident.id)
    )
    assert count == 2


def test_start_does_not_override_a_withdrawal_staff_recorded(twilio_app, fake_twilio, partner):
    resident = texted_resident(partner)
    resident.consents[-1].withdrawn_at = db.func.now()
    resident.consents[-1].withdrawal_note = "Asked in person not to be texted"
    db.session.commit()
    _post(twilio_app, fake_twilio, "/sms/inbound", {"From": resident.phone, "Body": "START"})
    assert not _has_consent(resident.id)


def test_inbound_with_bad_signature_changes_nothing(twilio_app, fake_twilio, partner):
    resident = texted_resident(partner)
    db.session.commit()
    response = _post(twilio_app, fake_twilio, "/sms/inbound",
                     {"From": resident.phone, "Body": "STOP"}, signature="AAAA")
    assert response.status_code == 403
    assert _has_consent(resident.id)


def test_webhooks_are_rate_limited(make_app, fake_twilio, partner):
    app = make_app(**fake_twilio.app_config(), RATELIMIT_ENABLED=True,
                   SMS_WEBHOOK_RATE_LIMIT="2/minute")
    with app.app_context():
        params = {"From": "+447700900998", "Body": "hello"}
        codes = [_post(app, fake_twilio, "/sms/inbound", params).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        db.session.remove()
