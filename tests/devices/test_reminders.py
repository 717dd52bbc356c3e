"""Loan reminders: the right days, consent respected, each logged once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from devices.models import DeviceSettings, LoanReminder
from devices.services import parse_offsets, send_reminders
from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.residents.models import ConsentKind
from inclusion.sms import SmsMessage
from tests import factories
from tests.devices.factories import make_loan

DUE = date(2027, 3, 15)


def _messages() -> list[SmsMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


@pytest.mark.parametrize(("offset", "words"), [
    (-7, "due back in 7 days"), (0, "due back today"), (7, "was due back on 15 March 2027"),
    (30, "was due back on 15 March 2027"),
])
def test_reminder_goes_on_each_scheduled_day_with_the_right_words(app, partner, resident,
                                                                  offset, words):
    loan = make_loan(partner, resident, lent_on=date(2026, 12, 1), due_on=DUE)
    db.session.commit()
    run = send_reminders(today=DUE + timedelta(days=offset))
    db.session.commit()
    assert run.sent == 1
    [message] = _messages()
    assert words in message.body and loan.device.asset_tag in message.body
    assert message.related_type == "loan" and message.related_id == loan.id
    reminder = db.session.scalar(select(LoanReminder))
    assert reminder.offset_days == offset and reminder.sms_message_id == message.id


@pytest.mark.parametrize("offset", [-8, -4, -3, 3, 4, 10, 20, 33, 60])
def test_no_reminder_between_scheduled_days(app, partner, resident, offset):
    make_loan(partner, resident, lent_on=date(2026, 12, 1), due_on=DUE)
    db.session.commit()
    run = send_reminders(today=DUE + timedelta(days=offset))
    db.session.commit()
    assert run.sent == 0 and _messages() == []


def test_running_twice_sends_nothing_new(app, partner, resident):
    make_loan(partner, resident, lent_on=date(2026, 12, 1), due_on=DUE)
    db.session.commit()
    send_reminders(today=DUE)
    db.session.commit()
    second = send_reminders(today=DUE)
    db.session.commit()
    late_catch_up = send_reminders(today=DUE + timedelta(days=1))
    db.session.commit()
    assert second.sent == 0 and late_catch_up.sent == 0
    assert len(_messages()) == 1
    assert db.session.scalar(select(func.count()).select_from(LoanReminder)) == 1


def test_a_missed_day_is_caught_up_once(app, partner, resident):
    make_loan(partner, resident, lent_on=date(2026, 12, 1), due_on=DUE)
    db.session.commit()
    assert send_reminders(today=DUE - timedelta(days=5)).sent == 1
    db.session.commit()
    assert "due back in 5 days" in _messages()[0].body


def test_resident_without_sms_consent_is_never_texted_and_the_loan_says_so(app, partner):
    quiet = factories.make_resident(partner)
    withdrawn = factories.make_resident(partner)
    consent = factories.give_consent(withdrawn, ConsentKind.SMS_CONTACT)
    from inclusion.extensions import utcnow
    consent.withdrawn_at = utcnow()
    make_loan(partner, quiet, due_on=DUE)
    make_loan(partner, withdrawn, due_on=DUE)
    db.session.commit()
    run = send_reminders(today=DUE)
    db.session.commit()
    assert run.sent == 0 and run.no_consent == 2
    assert _messages() == []
    outcomes = db.session.scalars(select(LoanReminder.outcome)).all()
    assert outcomes == ["not sent: no SMS consent or phone"] * 2


def test_partner_schedule_replaces_the_default(app, partner, resident):
    make_loan(partner, resident, due_on=DUE)
    db.session.add(DeviceSettings(partner_id=partner.id, reminder_offsets=[-3, 14]))
    db.session.commit()
    assert send_reminders(today=DUE - timedelta(days=7)).sent == 0
    assert send_reminders(today=DUE - timedelta(days=3)).sent == 1
    db.session.commit()
    assert send_reminders(today=DUE + timedelta(days=14)).sent == 1


def test_returned_loans_get_no_reminders(app, partner, resident):
    from devices.models import LoanStatus

    loan = make_loan(partner, resident, due_on=DUE)
    loan.status = LoanStatus.RETURNED
    db.session.commit()
    assert send_reminders(today=DUE).sent == 0


def test_cli_command_queues_reminders_and_refuses_a_bad_date(app, partner, resident):
    make_loan(partner, resident, due_on=DUE)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["devices", "send-reminders", "--today", DUE.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 reminders queued" in result.output
    again = runner.invoke(args=["devices", "send-reminders", "--today", DUE.isoformat()])
    assert "0 reminders queued" in again.output
    bad = runner.invoke(args=["devices", "send-reminders", "--today", "15/03/2027"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
    assert len(_messages()) == 1


def test_schedule_text_is_parsed_and_checked():
    assert parse_offsets("-7, 0,7 ,30, 7") == [-7, 0, 7, 30]
    with pytest.raises(ValidationError):
        parse_offsets("-7, soon")
    with pytest.raises(ValidationError):
        parse_offsets("400")
