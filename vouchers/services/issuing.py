"""Issuing a voucher (one code reserved atomically, texted in the same transaction),
resending, revoking and reissuing, and hearing about delivery."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from inclusion import audit, sms
from inclusion.exceptions import ConflictError, NotAllowedError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.outcomes import FactKind, record_fact
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.web import format_date
from vouchers.models import (
    CodeStatus,
    Voucher,
    VoucherCode,
    VoucherScheme,
)
from vouchers.services._common import current_date, is_postgres

log = logging.getLogger(__name__)

RESEND_LIMIT = 3
RESEND_GAP = timedelta(minutes=10)
RELATED = "voucher"


def _reserve_code(*, partner_id: int, scheme_id: int, today: date) -> VoucherCode | None:
    """Take one unused, unexpired code of the partner's stock, atomically.

    PostgreSQL: lock one row with FOR UPDATE SKIP LOCKED, so simultaneous issues take
    different codes instead of queueing on the same one. SQLite: one UPDATE claims it (one
    writer at a time). Either way the unique voucher.code_id is the last line of defence.
    """
    due = (select(VoucherCode.id)
           .where(VoucherCode.partner_id == partner_id, VoucherCode.scheme_id == scheme_id,
                  VoucherCode.status == CodeStatus.AVAILABLE,
                  or_(VoucherCode.expires_on.is_(None), VoucherCode.expires_on >= today))
           .order_by(VoucherCode.expires_on, VoucherCode.id)
           .limit(1))
    if is_postgres():
        # "= (subquery)" runs the subquery once (an InitPlan), so exactly one row is locked.
        due = due.with_for_update(skip_locked=True)
    return db.session.scalar(
        update(VoucherCode)
        .where(VoucherCode.id == due.scalar_subquery(),
               VoucherCode.status == CodeStatus.AVAILABLE)
        .values(status=CodeStatus.ISSUED)
        .returning(VoucherCode)
        .execution_options(synchronize_session=False, populate_existing=True))


def _text_code(voucher: Voucher, resident: Any) -> SmsMessage | None:
    body = sms.render(
        voucher.scheme.sms_purpose, resident.preferred_language,
        code=voucher.code.code, scheme=voucher.scheme.name, gives=voucher.scheme.gives,
        expires=format_date(voucher.expires_on) if voucher.expires_on else "no end date",
    )
    return sms.enqueue(resident=resident, partner_id=voucher.partner_id,
                       purpose=voucher.scheme.sms_purpose, body=body,
                       related_type=RELATED, related_id=voucher.id)


def issue_voucher(*, partner_id: int, resident: Any, scheme_id: int, criteria: list[str],
                  consent_confirmed: bool, user_id: int | None,
                  replaces: Voucher | None = None) -> tuple[Voucher, SmsMessage | None]:
    """Reserve one code of the partner's stock for a resident and text it to them.

    The voucher, its outcome fact, the audit entry and the text are written in the caller's
    transaction. Raises ValidationError for bad input and ConflictError("no codes left")
    when the partner's stock of the scheme is used up.
    """
    if resident is None or resident.partner_id != partner_id:
        raise NotAllowedError("This resident is not one of your partner's")
    scheme = db.session.get(VoucherScheme, scheme_id)
    if scheme is None or not scheme.active:
        raise ValidationError("Choose a scheme", field="scheme")
    unknown = set(criteria) - set(scheme.criteria)
    if unknown:
        raise ValidationError("Tick only this scheme's criteria", field="criteria")
    if not criteria:
        raise ValidationError("Tick the criteria the resident meets", field="criteria")
    if not consent_confirmed:
        raise ValidationError("Confirm the resident agrees to receive the voucher",
                              field="consent")
    today = current_date()
    code = _reserve_code(partner_id=partner_id, scheme_id=scheme.id, today=today)
    if code is None:
        raise ConflictError(f"No {scheme.name} codes are left in your stock. Ask your "
                            "coalition admin for more, or choose another scheme.",
                            field="scheme")
    ends = today + timedelta(days=scheme.validity_days)
    voucher = Voucher(
        partner_id=partner_id, resident_id=resident.id, scheme_id=scheme.id, code_id=code.id,
        criteria=[c for c in scheme.criteria if c in criteria], issued_by_id=user_id,
        issued_at=utcnow(),
        expires_on=min(ends, code.expires_on) if code.expires_on else ends,
        replaces_id=replaces.id if replaces else None,
    )
    voucher.scheme = scheme
    voucher.code = code
    db.session.add(voucher)
    db.session.flush()
    record_fact(FactKind.VOUCHER_ISSUED, resident=resident, partner_id=partner_id,
                occurred_on=today, detail=f"scheme {scheme.id}")
    audit.record("voucher issued", entity_type="voucher", entity_id=voucher.id,
                 partner_id=partner_id, user_id=user_id, fields=["scheme", "criteria"])
    message = _text_code(voucher, resident)
    log.info("voucher %s issued (scheme %s, partner %s)", voucher.id, scheme.id, partner_id)
    return voucher, message


def resend(*, voucher: Voucher, user_id: int | None) -> SmsMessage:
    """Text the code again. At most RESEND_LIMIT times, RESEND_GAP apart; each is audited."""
    if not voucher.is_open:
        raise ConflictError(f"This voucher is {voucher.status.value}; it cannot be resent")
    if voucher.resident is None or not sms.can_text(voucher.resident):
        raise ValidationError("The resident has no phone number or has not agreed to texts")
    if voucher.resend_count >= RESEND_LIMIT:
        raise ConflictError(f"The code has been resent {RESEND_LIMIT} times already. Give it "
                            "to the resident in person, or revoke and reissue.")
    now = utcnow()
    if voucher.last_resent_at and now - voucher.last_resent_at < RESEND_GAP:
        raise ConflictError("The code was resent a few minutes ago. Wait 10 minutes between "
                            "resends.")
    message = _text_code(voucher, voucher.resident)
    assert message is not None
    voucher.resend_count += 1
    voucher.last_resent_at = now
    audit.record("voucher code resent", entity_type="voucher", entity_id=voucher.id,
                 partner_id=voucher.partner_id, user_id=user_id)
    return message


def revoke(*, voucher: Voucher, reason: str, reissue: bool,
           user_id: int | None) -> Voucher | None:
    """Revoke a voucher (its code is never issued again) and optionally issue a new one."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Enter why the voucher is revoked", field="reason")
    voucher.mark_revoked(reason=reason[:200], by_id=user_id)
    voucher.code.status = CodeStatus.VOID
    audit.record("voucher revoked", entity_type="voucher", entity_id=voucher.id,
                 partner_id=voucher.partner_id, user_id=user_id, fields=["status", "reason"])
    if not reissue:
        return None
    new, _message = issue_voucher(
        partner_id=voucher.partner_id, resident=voucher.resident, scheme_id=voucher.scheme_id,
        criteria=list(voucher.criteria), consent_confirmed=True, user_id=user_id,
        replaces=voucher,
    )
    return new


def vouchers_for_resident(resident_id: int, partner_id: int) -> list[Voucher]:
    """A resident's vouchers at a partner, newest first (for the resident's page)."""
    return list(db.session.scalars(select(Voucher).where(
        Voucher.resident_id == resident_id, Voucher.partner_id == partner_id)
        .order_by(Voucher.issued_at.desc(), Voucher.id.desc())).all())


def delivery_of(voucher: Voucher) -> SmsMessage | None:
    return sms.latest_for(RELATED, voucher.id)


def on_message_status(message: SmsMessage, previous: MessageStatus) -> None:
    """SMS status listener: the first delivered text of a voucher is an outcome fact."""
    if message.status is not MessageStatus.DELIVERED or message.related_id is None:
        return
    voucher = db.session.get(Voucher, message.related_id)
    if voucher is None or voucher.delivered_at is not None:
        return
    voucher.delivered_at = message.status_at or utcnow()
    if voucher.resident is not None:
        record_fact(FactKind.VOUCHER_DELIVERED, resident=voucher.resident,
                    partner_id=voucher.partner_id, occurred_on=voucher.delivered_at.date(),
                    detail=f"scheme {voucher.scheme_id}")
