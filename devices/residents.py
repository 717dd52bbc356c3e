"""What the devices package adds to a resident: timeline entries and the privacy hooks for loans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time

from flask import Blueprint, url_for
from sqlalchemy import and_, or_, select, update

from devices.models import Loan, LoanKind, LoanStatus
from inclusion import privacy
from inclusion.extensions import db, utcnow
from inclusion.privacy import Expired, RetentionPolicy, Section, section
from inclusion.residents import timeline
from inclusion.residents.models import Resident

# condition_out cannot be empty; what stands in for the staff's note once it is removed.
REMOVED = "(removed)"
BATCH = 500


def _loans_of(resident: Resident) -> list[Loan]:
    """The resident's loans and gifts at their own partner, newest first."""
    return list(db.session.scalars(
        select(Loan)
        .where(Loan.resident_id == resident.id, Loan.partner_id == resident.partner_id)
        .order_by(Loan.lent_on.desc(), Loan.id.desc())
    ))


def _device_words(loan: Loan) -> str:
    return f"{loan.device.kind.value} {loan.device.asset_tag}"


def timeline_entries(resident: Resident) -> Iterable[timeline.TimelineEntry]:
    """Each loan: lent (with its due date) or given, then returned or turned into a gift."""
    from inclusion.web import format_date

    today = date.today()
    for loan in _loans_of(resident):
        href = url_for("devices.loan_detail", loan_id=loan.id)
        device = _device_words(loan)
        if loan.kind is LoanKind.GIFT:
            yield timeline.TimelineEntry(loan.lent_on, f"Given a {device}", href)
            continue
        text = f"Lent a {device}, due back {format_date(loan.due_on)}"
        if loan.is_open and loan.days_overdue(today):
            text += f" (overdue by {loan.days_overdue(today)} days)"
        yield timeline.TimelineEntry(loan.lent_on, text, href)
        if loan.returned_on is not None:
            yield timeline.TimelineEntry(loan.returned_on, f"Returned the {device}", href)
        if loan.gifted_on is not None:
            yield timeline.TimelineEntry(loan.gifted_on, f"Kept the {device} as a gift", href)


def _scrub(loan: Loan) -> None:
    """Empty the free text staff wrote on a loan: it may say anything about the person."""
    loan.accessories = None
    loan.accessories_back = None
    loan.condition_in = None
    loan.condition_out = REMOVED


def erase_loans(resident: Resident) -> list[int]:
    """Scrub the free text on the resident's loans; the loans stay for the devices' history.

    No other partner receives loan data, so no partner needs telling.
    """
    for loan in db.session.scalars(select(Loan).where(Loan.resident_id == resident.id)):
        _scrub(loan)
    db.session.flush()
    return []


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def collect_loans(resident: Resident) -> list[Section]:
    """One export section per loan or gift: the device, dates, notes and reminders sent."""
    from inclusion.web import format_date, format_datetime

    sections = []
    for loan in _loans_of(resident):
        device = loan.device
        pairs: list[tuple[str, object]] = [
            ("Reference", f"{loan.kind.value} {loan.id}"),
            ("Device", f"{device.kind.value}, {device.make} {device.model}"),
            ("Asset tag", device.asset_tag),
            ("Status", loan.status.value),
            ("Handed over", format_date(loan.lent_on)),
            ("Agreement you accepted", loan.agreement.label),
        ]
        if loan.kind is LoanKind.LOAN:
            pairs.append(("Due back", format_date(loan.due_on)))
        pairs += [
            ("Accessories handed over", loan.accessories or "None recorded"),
            ("Condition when handed over", loan.condition_out),
        ]
        if loan.returned_on is not None:
            pairs += [
                ("Returned", format_date(loan.returned_on)),
                ("Condition when returned", loan.condition_in),
                ("Accessories returned", loan.accessories_back or "None recorded"),
                ("Your own data removed from the device", _yes_no(loan.data_removed)),
            ]
        if loan.gifted_on is not None and loan.kind is LoanKind.LOAN:
            pairs.append(("Became a gift", format_date(loan.gifted_on)))
            if loan.gift_agreement is not None:
                pairs.append(("Gift agreement you accepted", loan.gift_agreement.label))
        for reminder in loan.reminders:
            if reminder.sms_message_id is not None:
                pairs.append(("Reminder text message", format_datetime(reminder.created_at)))
        title = (f"Device gift of {format_date(loan.lent_on)}" if loan.kind is LoanKind.GIFT
                 else f"Device loan of {format_date(loan.lent_on)}")
        sections.append(section(title, pairs))
    return sections


def _ended_before(cutoff: date):  # type: ignore[no-untyped-def]
    return or_(
        and_(Loan.status == LoanStatus.RETURNED, Loan.returned_on < cutoff),
        and_(Loan.status == LoanStatus.GIFTED, Loan.gifted_on < cutoff),
    )


def expire_loans(policy: RetentionPolicy, now: datetime, dry_run: bool) -> list[Expired]:
    """Loans that ended before the "loans" line lose their link to the resident and their notes.

    The loan row stays (the device's history and counts need it) but no longer says who had it.
    Running again changes nothing: only loans still linked to a resident are picked.
    """
    cutoff = policy.cutoff("loans").date()
    ids = tuple(db.session.scalars(
        select(Loan.id).where(Loan.resident_id.is_not(None), _ended_before(cutoff))
        .order_by(Loan.id)
    ).all())
    if not dry_run:
        for start in range(0, len(ids), BATCH):
            db.session.execute(
                update(Loan).where(Loan.id.in_(ids[start:start + BATCH])).values(
                    resident_id=None, accessories=None, accessories_back=None,
                    condition_in=None, condition_out=REMOVED, updated_at=now,
                )
            )
        db.session.flush()
    return [Expired("loans", "unlinked from the resident and cleared of notes", ids)]


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def loan_activity(resident_ids: Sequence[int]) -> dict[int, datetime]:
    """The latest loan event for each resident; an open loan counts as now."""
    now = utcnow()
    latest: dict[int, datetime] = {}
    for start in range(0, len(resident_ids), BATCH):
        chunk = list(resident_ids[start:start + BATCH])
        rows = db.session.execute(
            select(Loan.resident_id, Loan.status, Loan.lent_on, Loan.returned_on, Loan.gifted_on)
            .where(Loan.resident_id.in_(chunk))
        )
        for resident_id, status, *days in rows:
            if resident_id is None:  # not reachable: the query asks for these residents
                continue
            moment = now if status is LoanStatus.OPEN else _end_of(max(d for d in days if d))
            if resident_id not in latest or moment > latest[resident_id]:
                latest[resident_id] = moment
    return latest


def loan_audit_refs(resident: Resident) -> list[tuple[str, int]]:
    """Audit entries about the resident's loans (lent, returned, turned into a gift)."""
    ids = db.session.scalars(
        select(Loan.id).where(Loan.resident_id == resident.id).order_by(Loan.id)
    ).all()
    return [("loan", loan_id) for loan_id in ids]


def register(bp: Blueprint) -> None:
    """Put loans on every resident's timeline and into erasure, subject access and retention."""
    timeline.register(bp, timeline_entries)
    privacy.register(bp, erase=erase_loans, collect=collect_loans, expire=expire_loans,
                     last_activity=loan_activity, audit_refs=loan_audit_refs,
                     record_types=["loans"])

