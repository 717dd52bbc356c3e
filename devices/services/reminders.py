"""Loan reminders by SMS on the partner's schedule; each one considered is logged on the loan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from devices.models import (
    DEFAULT_REMINDER_OFFSETS,
    DeviceSettings,
    Loan,
    LoanKind,
    LoanReminder,
    LoanStatus,
)
from inclusion import audit, sms
from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.tenancy import Partner

__all__ = [
    "CATCH_UP_DAYS",
    "ReminderRun",
    "parse_offsets",
    "reminder_offsets",
    "send_reminders",
    "update_settings",
]

# A reminder missed by a day or two (the command did not run) still goes, with the right words.
CATCH_UP_DAYS = 2
MAX_OFFSET = 365


@dataclass
class ReminderRun:
    sent: int = 0
    no_consent: int = 0
    loans: int = 0


def reminder_offsets(partner_id: int) -> list[int]:
    settings = db.session.get(DeviceSettings, partner_id)
    offsets = settings.reminder_offsets if settings else DEFAULT_REMINDER_OFFSETS
    return sorted(set(int(o) for o in offsets))


def parse_offsets(text: str) -> list[int]:
    """'-7, 0, 7, 30' -> [-7, 0, 7, 30]; raises ValidationError with the reason."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    offsets = []
    for part in parts:
        try:
            value = int(part)
        except ValueError as exc:
            raise ValidationError(f"'{part[:10]}' is not a whole number of days",
                                  field="reminder_offsets") from exc
        if abs(value) > MAX_OFFSET:
            raise ValidationError("Each reminder must be within 365 days of the due date",
                                  field="reminder_offsets")
        offsets.append(value)
    if len(offsets) > 10:
        raise ValidationError("Enter 10 reminders or fewer", field="reminder_offsets")
    return sorted(set(offsets))


def update_settings(*, partner: Partner, default_loan_weeks: int, offsets: list[int]) -> None:
    """Change a partner's default loan length and reminder schedule."""
    if not 1 <= default_loan_weeks <= 104:
        raise ValidationError("Default loan length must be between 1 and 104 weeks",
                              field="default_loan_weeks")
    settings = db.session.get(DeviceSettings, partner.id)
    if settings is None:
        settings = DeviceSettings(partner_id=partner.id)
        db.session.add(settings)
    settings.reminder_offsets = offsets
    partner.default_loan_weeks = default_loan_weeks
    db.session.flush()
    audit.record("lending settings changed", entity_type="partner", entity_id=partner.id,
                 fields=["default_loan_weeks", "reminder_offsets"], partner_id=partner.id)


def _body(loan: Loan, partner_name: str, offset: int, today: date) -> str:
    due = loan.due_on
    assert due is not None
    when = f"{due.day} {due:%B %Y}"
    thing = f"the {loan.device.kind.value} ({loan.device.asset_tag})"
    if today < due:
        days = (due - today).days
        return (f"{partner_name}: a reminder that {thing} you borrowed is due back in {days} "
                f"days, on {when}.")
    if today == due:
        return f"{partner_name}: {thing} you borrowed is due back today. Thank you."
    return (f"{partner_name}: {thing} you borrowed was due back on {when}. Please bring it back "
            "or call us to talk about it.")


def _offset_due(offsets: list[int], due: date, today: date) -> int | None:
    """The latest scheduled reminder whose day has come, if it is still within catch-up."""
    passed = [o for o in offsets if due + timedelta(days=o) <= today]
    if not passed:
        return None
    latest = passed[-1]
    if today - (due + timedelta(days=latest)) > timedelta(days=CATCH_UP_DAYS):
        return None
    return latest


def send_reminders(*, today: date) -> ReminderRun:
    """Queue today's loan reminders for every partner and log each on its loan.

    A (loan, offset) pair is logged once (unique), so running twice queues nothing new. A
    resident without SMS consent or phone gets nothing; the log says so.
    """
    run = ReminderRun()
    names = dict(db.session.execute(select(Partner.id, Partner.name)).all())
    schedules: dict[int, list[int]] = {}
    loans = db.session.scalars(
        select(Loan).where(Loan.status == LoanStatus.OPEN, Loan.kind == LoanKind.LOAN,
                           Loan.due_on.is_not(None))
        .where(Loan.due_on <= today + timedelta(days=MAX_OFFSET))
        .order_by(Loan.id)
    )
    for loan in loans:
        run.loans += 1
        offsets = schedules.setdefault(loan.partner_id, reminder_offsets(loan.partner_id))
        assert loan.due_on is not None
        offset = _offset_due(offsets, loan.due_on, today)
        if offset is None or any(r.offset_days == offset for r in loan.reminders):
            continue
        message = None
        if loan.resident is not None:
            message = sms.enqueue(
                resident=loan.resident, partner_id=loan.partner_id, purpose="loan reminder",
                body=_body(loan, names.get(loan.partner_id, ""), offset, today),
                related_type="loan", related_id=loan.id,
            )
        if message is not None:
            db.session.flush()
            run.sent += 1
        else:
            run.no_consent += 1
        loan.reminders.append(LoanReminder(
            offset_days=offset, run_on=today,
            sms_message_id=message.id if message is not None else None,
            outcome="queued" if message is not None else "not sent: no SMS consent or phone",
        ))
        db.session.flush()
    return run
