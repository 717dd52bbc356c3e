"""After issue: redemption (by staff or a provider's report), expiry and the follow-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from inclusion import audit
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.outcomes import FactKind, record_fact
from vouchers import importers
from vouchers.models import (
    Voucher,
    VoucherCode,
    VoucherStatus,
)
from vouchers.services._common import current_date

log = logging.getLogger(__name__)

FOLLOW_UP_AFTER = timedelta(days=30)


def mark_redeemed(*, voucher: Voucher, on: date, user_id: int | None) -> None:
    """Record that the resident used the code."""
    if on > current_date():
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
    rows, problems = importers.parse_redemptions(data, today=current_date())
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
    today = today or current_date()
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
    voucher.followed_up_on = current_date()
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
