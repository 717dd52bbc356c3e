"""Lending, giving and returns: one open loan per device, under any number of requests."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from devices.models import (
    Agreement,
    AgreementKind,
    Device,
    DeviceStatus,
    Loan,
    LoanKind,
    LoanStatus,
    normalise_tag,
)
from inclusion import audit, sms
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db
from inclusion.outcomes import FactKind, record_fact
from inclusion.privacy.services import erasure_of
from inclusion.residents.models import Resident
from inclusion.tenancy import Partner

__all__ = [
    "ALREADY_ON_LOAN",
    "convert_to_gift",
    "current_agreement",
    "default_due_date",
    "lend_device",
    "loans_for_device",
    "loans_for_resident",
    "new_agreement_version",
    "count_overdue",
    "open_loans_query",
    "overdue_loans",
    "record_return",
]

ALREADY_ON_LOAN = "Device {tag} is already on loan."
MAX_LOAN_DAYS = 2 * 366


def current_agreement(*, partner_id: int, kind: AgreementKind) -> Agreement | None:
    """The partner's latest agreement of this kind, the one residents accept now."""
    return db.session.scalar(
        select(Agreement)
        .where(Agreement.partner_id == partner_id, Agreement.kind == kind)
        .order_by(Agreement.version.desc())
        .limit(1)
    )


def new_agreement_version(*, partner_id: int, kind: AgreementKind, title: str, body: str,
                          user_id: int | None) -> Agreement:
    """Publish a new version of a partner's loan or gift agreement; older versions are kept."""
    latest = current_agreement(partner_id=partner_id, kind=kind)
    if latest is not None and latest.title == title.strip() and latest.body == body.strip():
        raise ValidationError("This is the same as the current version: change the text first",
                              field="body")
    agreement = Agreement(partner_id=partner_id, kind=kind,
                          version=(latest.version + 1) if latest else 1,
                          title=title.strip(), body=body.strip(), created_by_id=user_id)
    db.session.add(agreement)
    db.session.flush()
    audit.record("agreement version published", entity_type="device_agreement",
                 entity_id=agreement.id, fields=["title", "body"], partner_id=partner_id)
    return agreement


def default_due_date(partner: Partner, today: date) -> date:
    return today + timedelta(weeks=partner.default_loan_weeks or 12)


def _accepted_agreement(partner_id: int, kind: AgreementKind, agreement_id: int | None
                        ) -> Agreement:
    current = current_agreement(partner_id=partner_id, kind=kind)
    if current is None:
        raise ValidationError(
            f"Your partner has no {kind.value} agreement yet: a partner admin adds one under "
            "Agreements", field="agreement_accepted")
    if agreement_id != current.id:
        raise ValidationError(
            f"The {kind.value} agreement has changed: show the resident version "
            f"{current.version} and ask again", field="agreement_accepted")
    return current


def lend_device(*, partner: Partner, resident: Resident, asset_tag: str, kind: LoanKind,
                due_on: date | None, accessories: str | None, condition_out: str,
                agreement_id: int | None, user_id: int | None, today: date,
                request_token: str | None = None) -> Loan:
    """Lend (or give) one of the partner's ready devices to one of its residents.

    The device row is locked (SELECT ... FOR UPDATE) so concurrent requests queue; the partial
    unique index on open loans is the last word. A repeated request token returns the loan it
    already made. Raises ValidationError for bad input (or an erased resident) and ConflictError
    when the device is already on loan or not ready.
    """
    if resident.partner_id != partner.id:
        raise ValidationError("Choose one of your own residents", field="asset_tag")
    if erasure_of(resident.id) is not None:
        raise ValidationError("This resident's data has been erased: register them again "
                              "before lending them a device", field="asset_tag")
    tag = normalise_tag(asset_tag)
    device = db.session.scalar(
        select(Device)
        .where(Device.partner_id == partner.id, Device.asset_tag == tag)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if device is None:
        raise ValidationError(f"No device with asset tag {tag} is in your stock",
                              field="asset_tag")
    if request_token:
        earlier = db.session.scalar(select(Loan).where(Loan.request_token == request_token))
        if earlier is not None and earlier.partner_id == partner.id:
            return earlier
    if device.status is DeviceStatus.ON_LOAN:
        raise ConflictError(ALREADY_ON_LOAN.format(tag=tag), field="asset_tag")
    if device.status is not DeviceStatus.READY:
        raise ConflictError(f"Device {tag} is {device.status.value}: only a ready device can be "
                            "lent or given.", field="asset_tag")
    agreement_kind = AgreementKind.LOAN if kind is LoanKind.LOAN else AgreementKind.GIFT
    agreement = _accepted_agreement(partner.id, agreement_kind, agreement_id)
    if kind is LoanKind.LOAN:
        if due_on is None:
            raise ValidationError("Enter the date the device is due back", field="due_on")
        if due_on <= today:
            raise ValidationError("Due date must be in the future", field="due_on")
        if (due_on - today).days > MAX_LOAN_DAYS:
            raise ValidationError("Due date must be within 2 years", field="due_on")
    else:
        due_on = None
    loan = Loan(
        partner_id=partner.id, device_id=device.id, resident_id=resident.id, kind=kind,
        status=LoanStatus.OPEN if kind is LoanKind.LOAN else LoanStatus.GIFTED,
        lent_on=today, due_on=due_on, accessories=(accessories or "").strip() or None,
        condition_out=condition_out.strip(), agreement_id=agreement.id, lent_by_id=user_id,
        request_token=request_token or None,
        gifted_on=today if kind is LoanKind.GIFT else None,
        gift_agreement_id=agreement.id if kind is LoanKind.GIFT else None,
    )
    if kind is LoanKind.LOAN:
        device.mark_on_loan(user_id=user_id)
    else:
        device.mark_gifted(user_id=user_id)
    db.session.add(loan)
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Only reachable if the lock was bypassed: the partial unique index still says no.
        raise ConflictError(ALREADY_ON_LOAN.format(tag=tag), field="asset_tag") from exc
    device.events[-1].note = f"{kind.value} {loan.id}"
    action = "device lent" if kind is LoanKind.LOAN else "device gifted"
    audit.record(action, entity_type="loan", entity_id=loan.id,
                 fields=["device_id", "resident_id", "due_on", "accessories", "condition_out",
                         "agreement_id"], partner_id=partner.id)
    record_fact(FactKind.DEVICE_LENT if kind is LoanKind.LOAN else FactKind.DEVICE_GIFTED,
                resident=resident, partner_id=partner.id, occurred_on=today,
                detail=device.kind.value)
    if kind is LoanKind.LOAN and due_on is not None:
        sms.enqueue(
            resident=resident, partner_id=partner.id, purpose="device loan",
            body=(f"{partner.name}: thank you for borrowing a {device.kind.value} "
                  f"({device.asset_tag}). Please bring it back by "
                  f"{due_on.day} {due_on:%B %Y}."),
            related_type="loan", related_id=loan.id,
        )
    return loan


def record_return(*, loan: Loan, returned_on: date, condition_in: str,
                  accessories_back: str | None, data_removed: bool, user_id: int | None,
                  today: date) -> None:
    """Record a device coming back. It then needs a new wipe record before it is ready again.

    Raises ValidationError without the data-removed confirmation, ConflictError if not open.
    """
    if not data_removed:
        raise ValidationError("Confirm the resident's own data has been removed from the device",
                              field="data_removed")
    if returned_on > today:
        raise ValidationError("Date returned must be today or in the past", field="returned_on")
    if returned_on < loan.lent_on:
        raise ValidationError("Date returned must be on or after the date it was lent",
                              field="returned_on")
    device = db.session.scalar(select(Device).where(Device.id == loan.device_id)
                               .with_for_update().execution_options(populate_existing=True))
    assert device is not None
    loan.mark_returned(on=returned_on, condition_in=condition_in.strip(),
                       accessories_back=(accessories_back or "").strip() or None,
                       data_removed=data_removed, user_id=user_id)
    device.mark_returned(user_id=user_id)
    device.events[-1].note = f"loan {loan.id}"
    db.session.flush()
    audit.record("device returned", entity_type="loan", entity_id=loan.id,
                 fields=["returned_on", "condition_in", "accessories_back", "data_removed"],
                 partner_id=loan.partner_id)
    if loan.resident is not None:
        record_fact(FactKind.DEVICE_RETURNED, resident=loan.resident, partner_id=loan.partner_id,
                    occurred_on=returned_on, detail=device.kind.value)


def convert_to_gift(*, loan: Loan, agreement_id: int | None, user_id: int | None,
                    today: date) -> None:
    """Turn an open loan into a gift: ownership passes to the resident under the gift agreement.

    Raises ValidationError when the gift agreement was not accepted, ConflictError if not open.
    """
    agreement = _accepted_agreement(loan.partner_id, AgreementKind.GIFT, agreement_id)
    device = db.session.scalar(select(Device).where(Device.id == loan.device_id)
                               .with_for_update().execution_options(populate_existing=True))
    assert device is not None
    loan.mark_gifted(on=today, agreement_id=agreement.id)
    device.mark_gifted(user_id=user_id)
    device.events[-1].note = f"loan {loan.id} converted to gift"
    db.session.flush()
    audit.record("loan converted to gift", entity_type="loan", entity_id=loan.id,
                 fields=["status", "gifted_on", "gift_agreement_id"], partner_id=loan.partner_id)
    if loan.resident is not None:
        record_fact(FactKind.DEVICE_GIFTED, resident=loan.resident, partner_id=loan.partner_id,
                    occurred_on=today, detail=device.kind.value)


def open_loans_query(partner_id: int):  # type: ignore[no-untyped-def]
    # Lists show each loan's device and resident: load them with the loans, not one by one.
    return (select(Loan).where(Loan.partner_id == partner_id, Loan.status == LoanStatus.OPEN)
            .options(selectinload(Loan.device), selectinload(Loan.resident))
            .order_by(Loan.due_on, Loan.id))


def overdue_loans(*, partner_id: int, today: date, limit: int | None = None) -> list[Loan]:
    """Open loans past their due date, the longest overdue first (at most `limit`)."""
    query = open_loans_query(partner_id).where(Loan.due_on < today)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def count_overdue(*, partner_id: int, today: date) -> int:
    """How many open loans are past their due date."""
    return db.session.scalar(
        select(func.count()).select_from(Loan).where(
            Loan.partner_id == partner_id, Loan.status == LoanStatus.OPEN, Loan.due_on < today)
    ) or 0


def loans_for_device(device: Device) -> list[Loan]:
    return list(db.session.scalars(
        select(Loan).where(Loan.device_id == device.id).order_by(Loan.lent_on.desc(),
                                                                 Loan.id.desc())
    ))


def loans_for_resident(*, partner_id: int, resident_id: int) -> list[Loan]:
    """A resident's loans and gifts at this partner, newest first (for the resident's page)."""
    return list(db.session.scalars(
        select(Loan).where(Loan.partner_id == partner_id, Loan.resident_id == resident_id)
        .order_by(Loan.lent_on.desc(), Loan.id.desc())
    ))
