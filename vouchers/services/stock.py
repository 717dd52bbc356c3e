"""Schemes, code batches (imported or generated), allocation, transfers and stock levels."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, or_, select, update

from inclusion import audit
from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.tenancy import Partner
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
    VoucherCode,
    VoucherScheme,
)
from vouchers.services._common import current_date, is_postgres

log = logging.getLogger(__name__)


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
    if is_postgres():
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
    if is_postgres():
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
    today = current_date()
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
    today = current_date()
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


def issuable_schemes(partner_id: int) -> list[Stock]:
    return [s for s in stock_for(partner_id) if s.scheme.active and s.available > 0]


def low_stock_count(partner_id: int) -> int:
    """How many active schemes the partner holds are below its warning level: the same answer
    as counting `stock_for`'s low rows, in one statement (it runs on every staff home page)."""
    today = current_date()
    of_scheme = and_(VoucherCode.partner_id == partner_id,
                     VoucherCode.scheme_id == VoucherScheme.id,
                     VoucherCode.status == CodeStatus.AVAILABLE)
    usable = (select(func.count()).where(
        of_scheme, or_(VoucherCode.expires_on.is_(None), VoucherCode.expires_on >= today))
        .scalar_subquery())
    threshold = func.coalesce(
        select(StockThreshold.threshold).where(StockThreshold.partner_id == partner_id,
                                               StockThreshold.scheme_id == VoucherScheme.id)
        .scalar_subquery(),
        DEFAULT_LOW_STOCK)
    held = or_(
        exists().where(StockMovement.to_partner_id == partner_id,
                       StockMovement.scheme_id == VoucherScheme.id),
        exists().where(of_scheme),
    )
    return db.session.scalar(
        select(func.count()).select_from(VoucherScheme)
        .where(VoucherScheme.active.is_(True), held, usable < threshold)) or 0
