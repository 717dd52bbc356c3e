"""The outbox: a message is written in the caller's transaction, and only with consent."""

from __future__ import annotations

from sqlalchemy import func, select

from inclusion import sms
from inclusion.extensions import db, utcnow
from inclusion.residents.models import ConsentKind
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.sms.worker import run_pass
from tests import factories
from tests.sms.conftest import texted_resident


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SmsMessage)) or 0


def test_message_is_written_with_the_change_and_rolled_back_with_it(app, partner):
    resident = texted_resident(partner)
    db.session.commit()
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Hi")
    assert message is not None
    db.session.rollback()
    assert _count() == 0
    sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Hi")
    db.session.commit()
    assert _count() == 1


def test_no_message_is_created_without_sms_consent(app, partner):
    resident = factories.make_resident(partner)
    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="t", body="x") is None
    consent = factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    consent.withdrawn_at = utcnow()
    db.session.flush()
    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="t", body="x") is None
    db.session.commit()
    assert _count() == 0


def test_no_message_is_created_without_a_phone_number(app, partner):
    resident = texted_resident(partner, phone=None)
    assert sms.enqueue(resident=resident, partner_id=partner.id, purpose="t", body="x") is None
    db.session.commit()
    assert _count() == 0


def test_log_provider_keeps_the_message_and_marks_it_delivered(app, partner):
    resident = texted_resident(partner, preferred_language="pl")
    sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Hello")
    db.session.commit()
    result = run_pass(app)
    assert (result.sent, result.failed) == (1, 0)
    message = db.session.scalar(select(SmsMessage))
    db.session.refresh(message)
    assert message.status is MessageStatus.DELIVERED
    assert message.provider == "log"
    assert message.language == "pl"
    assert message.attempts == 1


def test_send_pending_command_does_one_pass(app, partner):
    resident = texted_resident(partner)
    for n in range(3):
        sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body=f"m{n}")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sms", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "Sent 3" in result.output
    statuses = db.session.scalars(select(SmsMessage.status)).all()
    assert statuses == [MessageStatus.DELIVERED] * 3


def test_admin_message_log_shows_messages_and_staff_cannot_see_it(app, client, login_as, partner):
    resident = texted_resident(partner)
    sms.enqueue(resident=resident, partner_id=partner.id, purpose="test", body="Your code ABC")
    db.session.commit()
    login_as("staff", partner)
    assert client.get("/sms/messages").status_code == 403
    client.post("/sign-out")
    login_as("admin")
    page = client.get("/sms/messages")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your code ABC" in text
    assert resident.phone not in text  # numbers are masked even for admins
