"""Voucher rules: schemes, code stock, issuing by SMS, resending, revoking, redemption."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, insert, or_, select, update

from inclusion import audit, sms
from inclusion.exceptions import ConflictError, NotAllowedError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.outcomes import FactKind, record_fact
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.tenancy import Partner
from inclusion.web import format_date
from vouchers import importers
from vouchers.models import (
    DEFAULT_LOW_STOCK,
    BatchSource,
    CodeBatch,
    CodeStatus,
    MovementKind,
    SchemeKind,
    StockMovement,
    StockThreshold,
    Voucher,
    VoucherCode,
    VoucherScheme,
    VoucherStatus,
)

log = logging.getLogger(__name__)

RESEND_LIMIT = 3
RESEND_GAP = timedelta(minutes=10)
FOLLOW_UP_AFTER = timedelta(days=30)
RELATED = "voucher"


def _today() -> date:
    return utcnow().date()


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# -- schemes ---------------------------------------------------------------------------------

def save_scheme(*, scheme: VoucherScheme | None, name: str, provider: str, kind: SchemeKind,
                gives: str, criteria: list[str], validity_days: int, active: bool,
                user_id: int | None) -> VoucherScheme:
    """Create or update a scheme. Raises ValidationError for a duplicate name or no criteria."""
    clean = [c.strip() for c in criteria if c.strip()]
    if not clean:
        raise ValidationError("Enter at least one eligibility criterion", field="criteria")
    if len(set(c.lower() for c in clean)) != len(clean):
        raise ValidationError("Each criterion must be different", field="criteria")
    clash = db.session.scalar(select(VoucherScheme).where(
        func.lower(VoucherScheme.name) == name.strip().lower()))
    if clash is not None and clash is not scheme:
        raise ValidationError("There is already a scheme with this name", field="name")
    if scheme is None:
        scheme = VoucherScheme()
        db.session.add(scheme)
    scheme.name = name.strip()
    scheme.provider = provider.strip()
    scheme.kind = kind
    scheme.gives = gives.strip()
    scheme.criteria = clean
    scheme.validity_days = validity_days
    scheme.active = active
    db.session.flush()
    audit.record("voucher scheme saved", entity_type="voucher scheme", entity_id=scheme.id,
                 user_id=user_id,
                 fields=["name", "provider", "kind", "gives", "criteria", "validity", "active"])
    return scheme


# -- batches and stock -----------------------------------------------------------------------

def _insert_codes(batch: CodeBatch, codes: list[str]) -> None:
    if _is_postgres():
        # COPY in the session's own transaction: a 200,000-code batch in a few seconds,
        # still all or nothing with the batch row.
        cursor = db.session.connection().connection.driver_connection.cursor()  # type: ignore
        columns = "batch_id, scheme_id, code, status, expires_on"
        with cursor.copy(f"COPY voucher_code ({columns}) FROM STDIN") as copy:
            for code in codes:
                copy.write_row((batch.id, batch.scheme_id, code, CodeStatus.AVAILABLE.value,
                                batch.expires_on))
        cursor.close()
        return
    rows = [{"batch_id": batch.id, "scheme_id": batch.scheme_id, "code": code,
             "status": CodeStatus.AVAILABLE, "expires_on": batch.expires_on} for code in codes]
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(VoucherCode), rows[start:start + 10_000])


def import_batch(*, scheme: VoucherScheme, data: bytes, reference: str,
                 expires_on: date | None, user_id: int | None) -> CodeBatch:
    """Import a provider's CSV of codes as one batch; all or nothing.

    Raises importers.ImportProblems (with line-numbered messages) when any row is bad.
    """
    codes = importers.parse_codes(data)
    batch = CodeBatch(scheme_id=scheme.id, reference=reference.strip(),
                      source=BatchSource.IMPORTED, size=len(codes), expires_on=expires_on,
                      created_by_id=user_id)
    db.session.add(batch)
    db.session.flush()
    _insert_codes(batch, codes)
    audit.record("voucher codes imported", entity_type="voucher batch", entity_id=batch.id,
                 user_id=user_id, detail=f"{len(codes)} codes")
    log.info("voucher batch %s imported: %s codes", batch.id, len(codes))
    return batch


def generate_batch(*, scheme: VoucherScheme, count: int, length: int, prefix: str,
                   reference: str, expires_on: date | None, user_id: int | None) -> CodeBatch:
    """Generate `count` random codes as one batch."""
    prefix = prefix.strip().upper()
    if not importers.PREFIX_RE.match(prefix):
        raise ValidationError("A prefix is up to 10 capital letters, digits or hyphens",
                              field="prefix")
    codes = importers.generate_codes(count=count, length=length, prefix=prefix)
    batch = CodeBatch(scheme_id=scheme.id, reference=reference.strip(),
                      source=BatchSource.GENERATED, size=len(codes), expires_on=expires_on,
                      created_by_id=user_id)
    db.session.add(batch)
    db.session.flush()
    _insert_codes(batch, codes)
    audit.record("voucher codes generated", entity_type="voucher batch", entity_id=batch.id,
                 user_id=user_id, detail=f"{len(codes)} codes")
    return batch


def _take_codes(conditions: list[Any], quantity: int) -> list[int]:
    """Lock up to `quantity` available codes matching the conditions (skipping locked ones)."""
    query = (select(VoucherCode.id).where(VoucherCode.status == CodeStatus.AVAILABLE,
                                          *conditions)
             .order_by(VoucherCode.expires_on, VoucherCode.id).limit(quantity))
    if _is_postgres():
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query).all())


def allocate(*, batch: CodeBatch, partner: Partner, quantity: int,
             user_id: int | None) -> StockMovement:
    """Give a partner `quantity` unallocated codes of a batch."""
    ids = _take_codes([VoucherCode.batch_id == batch.id, VoucherCode.partner_id.is_(None)],
                      quantity)
    if len(ids) < quantity:
        raise ValidationError(f"Only {len(ids)} codes of this batch are unallocated",
                              field="quantity")
    db.session.execute(update(VoucherCode).where(VoucherCode.id.in_(ids),
                                                 VoucherCode.partner_id.is_(None))
                       .values(partner_id=partner.id)
                       .execution_options(synchronize_session=False))
    movement = StockMovement(kind=MovementKind.ALLOCATION, scheme_id=batch.scheme_id,
                             batch_id=batch.id, to_partner_id=partner.id, quantity=quantity,
                             by_id=user_id)
    db.session.add(movement)
    db.session.flush()
    audit.record("voucher codes allocated", entity_type="voucher batch", entity_id=batch.id,
                 user_id=user_id, partner_id=partner.id, detail=f"{quantity} codes")
    return movement


def transfer(*, scheme: VoucherScheme, from_partner_id: int, to_partner: Partner,
             quantity: int, user_id: int | None) -> StockMovement:
    """Move `quantity` unissued, unexpired codes of a scheme from one partner to another."""
    if to_partner.id == from_partner_id:
        raise ValidationError("Choose a different partner to transfer to", field="to_partner")
    today = _today()
    ids = _take_codes([VoucherCode.scheme_id == scheme.id,
                       VoucherCode.partner_id == from_partner_id,
                       or_(VoucherCode.expires_on.is_(None), VoucherCode.expires_on >= today)],
                      quantity)
    if len(ids) < quantity:
        raise ValidationError(f"You have only {len(ids)} usable codes of this scheme",
                              field="quantity")
    db.session.execute(update(VoucherCode).where(VoucherCode.id.in_(ids))
                       .values(partner_id=to_partner.id)
                       .execution_options(synchronize_session=False))
    movement = StockMovement(kind=MovementKind.TRANSFER, scheme_id=scheme.id,
                             from_partner_id=from_partner_id, to_partner_id=to_partner.id,
                             quantity=quantity, by_id=user_id)
    db.session.add(movement)
    db.session.flush()
    audit.record("voucher codes transferred", entity_type="voucher scheme",
                 entity_id=scheme.id, user_id=user_id, partner_id=from_partner_id,
                 detail=f"{quantity} codes to partner {to_partner.id}")
    return movement


@dataclass(frozen=True)
class Stock:
    scheme: VoucherScheme
    available: int
    expired: int
    threshold: int

    @property
    def low(self) -> bool:
        return self.available < self.threshold


def stock_for(partner_id: int) -> list[Stock]:
    """Unissued codes per scheme the partner holds: usable now, and expired unissued."""
    today = _today()
    usable = or_(VoucherCode.expires_on.is_(None), VoucherCode.expires_on >= today)
    rows = db.session.execute(
        select(VoucherCode.scheme_id,
               func.sum(case((usable, 1), else_=0)),
               func.sum(case((usable, 0), else_=1)))
        .where(VoucherCode.partner_id == partner_id, VoucherCode.status == CodeStatus.AVAILABLE)
        .group_by(VoucherCode.scheme_id)
    ).all()
    counts = {scheme_id: (int(a or 0), int(e or 0)) for scheme_id, a, e in rows}
    # Schemes the partner has ever had stock of still show (at 0) once they run out.
    held = set(db.session.scalars(select(StockMovement.scheme_id).where(
        StockMovement.to_partner_id == partner_id)).all()) | set(counts)
    if not held:
        return []
    thresholds = dict(db.session.execute(
        select(StockThreshold.scheme_id, StockThreshold.threshold)
        .where(StockThreshold.partner_id == partner_id)).all())
    schemes = db.session.scalars(select(VoucherScheme).where(VoucherScheme.id.in_(held))
                                 .order_by(VoucherScheme.name)).all()
    return [Stock(s, *counts.get(s.id, (0, 0)), thresholds.get(s.id, DEFAULT_LOW_STOCK))
            for s in schemes]


def set_threshold(*, partner_id: int, scheme: VoucherScheme, threshold: int,
                  user_id: int | None) -> StockThreshold:
    """The stock level below which the partner's home page warns them."""
    row = db.session.scalar(select(StockThreshold).where(
        StockThreshold.partner_id == partner_id, StockThreshold.scheme_id == scheme.id))
    if row is None:
        row = StockThreshold(partner_id=partner_id, scheme_id=scheme.id)
        db.session.add(row)
    row.threshold = threshold
    db.session.flush()
    audit.record("voucher stock warning level set", entity_type="voucher scheme",
                 entity_id=scheme.id, user_id=user_id, partner_id=partner_id,
                 fields=["threshold"])
    return row


# -- issuing ---------------------------------------------------------------------------------

def issuable_schemes(partner_id: int) -> list[Stock]:
    return [s for s in stock_for(partner_id) if s.scheme.active and s.available > 0]


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
    if _is_postgres():
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
    today = _today()
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


def mark_redeemed(*, voucher: Voucher, on: date, user_id: int | None) -> None:
    """Record that the resident used the code."""
    if on > _today():
        raise ValidationError("The date cannot be in the future", field="redeemed_on")
    voucher.mark_redeemed(on)
    _redeemed_fact(voucher)
    audit.record("voucher redeemed", entity_type="voucher", entity_id=voucher.id,
                 partner_id=voucher.partner_id, user_id=user_id, fields=["status"])


def _redeemed_fact(voucher: Voucher) -> None:
    if voucher.resident is not None and voucher.redeemed_on is not None:
        record_fact(FactKind.VOUCHER_REDEEMED, resident=voucher.resident,
                    partner_id=voucher.partner_id, occurred_on=voucher.redeemed_on,
                    detail=f"scheme {voucher.scheme_id}")


@dataclass(frozen=True)
class RedemptionResult:
    redeemed: int
    already: int


def import_redemptions(*, data: bytes, partner_id: int | None,
                       user_id: int | None) -> RedemptionResult:
    """Apply a provider's redemption report; all or nothing.

    partner_id limits the report to that partner's vouchers (None: a coalition admin).
    A code already marked redeemed is counted, not refused, so a report can be re-imported.
    """
    rows, problems = importers.parse_redemptions(data, today=_today())
    by_code: dict[str, Voucher] = {}
    codes = [r.code for r in rows]
    for start in range(0, len(codes), 5000):
        chunk = codes[start:start + 5000]
        found = db.session.execute(
            select(VoucherCode.code, Voucher).join(Voucher, Voucher.code_id == VoucherCode.id)
            .where(VoucherCode.code.in_(chunk))).all()
        by_code.update({code: voucher for code, voucher in found})
    redeemed = already = 0
    todo: list[tuple[Voucher, date]] = []
    for row in rows:
        voucher = by_code.get(row.code)
        masked = importers.mask(row.code)
        if voucher is None or (partner_id is not None and voucher.partner_id != partner_id):
            problems.add(row.line, f"code {masked} is not one of the issued codes"
                         + (" of your partner" if partner_id is not None else ""))
        elif voucher.status is VoucherStatus.REDEEMED:
            already += 1
        elif voucher.status is VoucherStatus.REVOKED:
            problems.add(row.line, f"code {masked} was revoked; check with the provider")
        elif row.redeemed_on < voucher.issued_at.date():
            problems.add(row.line, f"code {masked} was redeemed before it was issued")
        else:
            todo.append((voucher, row.redeemed_on))
    problems.raise_if_any()
    for voucher, on in todo:
        voucher.status = VoucherStatus.REDEEMED  # an expired code the provider honoured too
        voucher.redeemed_on = on
        _redeemed_fact(voucher)
        redeemed += 1
    audit.record("voucher redemptions imported", entity_type="voucher", user_id=user_id,
                 partner_id=partner_id, detail=f"{redeemed} redeemed, {already} already")
    return RedemptionResult(redeemed, already)


def expire_vouchers(*, today: date | None = None) -> int:
    """Issued vouchers past their end date become expired (an outcome fact each)."""
    today = today or _today()
    vouchers = db.session.scalars(select(Voucher).where(
        Voucher.status == VoucherStatus.ISSUED, Voucher.expires_on < today)).all()
    for voucher in vouchers:
        voucher.mark_expired()
        if voucher.resident is not None:
            record_fact(FactKind.VOUCHER_EXPIRED, resident=voucher.resident,
                        partner_id=voucher.partner_id, occurred_on=today,
                        detail=f"scheme {voucher.scheme_id}")
    return len(vouchers)


def record_follow_up(*, voucher: Voucher, still_connected: bool, social_tariff: bool,
                     note: str, user_id: int | None) -> None:
    """A month on: is the resident still connected, and did they move to a social tariff?"""
    if voucher.status is VoucherStatus.REVOKED:
        raise ConflictError("This voucher was revoked; follow up on its replacement")
    if voucher.followed_up_on is not None:
        raise ConflictError("The follow-up for this voucher is already recorded")
    voucher.followed_up_on = _today()
    voucher.still_connected = still_connected
    voucher.social_tariff = social_tariff
    voucher.follow_up_note = note.strip() or None
    if social_tariff and voucher.resident is not None:
        record_fact(FactKind.SOCIAL_TARIFF, resident=voucher.resident,
                    partner_id=voucher.partner_id, occurred_on=voucher.followed_up_on,
                    detail=f"scheme {voucher.scheme_id}")
    audit.record("voucher follow-up recorded", entity_type="voucher", entity_id=voucher.id,
                 partner_id=voucher.partner_id, user_id=user_id,
                 fields=["still_connected", "social_tariff", "note"])


def follow_ups_due(partner_id: int) -> Any:
    """The query for vouchers issued a month or more ago with no follow-up yet."""
    return (select(Voucher).where(
        Voucher.partner_id == partner_id, Voucher.followed_up_on.is_(None),
        Voucher.status != VoucherStatus.REVOKED,
        Voucher.issued_at <= utcnow() - FOLLOW_UP_AFTER))


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


def low_stock_count(partner_id: int) -> int:
    return sum(1 for s in stock_for(partner_id) if s.scheme.active and s.low)
