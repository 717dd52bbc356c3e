"""Voucher schemes, code batches and codes, allocations to partners, and issued vouchers."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.exceptions import ConflictError
from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow


class SchemeKind(enum.StrEnum):
    SIM_WITH_DATA = "SIM with data"
    DATA_TOP_UP = "data top-up code"
    SOCIAL_TARIFF = "social tariff referral"
    COALITION = "coalition voucher"


class BatchSource(enum.StrEnum):
    IMPORTED = "imported"
    GENERATED = "generated"


class CodeStatus(enum.StrEnum):
    AVAILABLE = "available"
    ISSUED = "issued"
    VOID = "void"  # revoked with its voucher: never issued again


class VoucherStatus(enum.StrEnum):
    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVOKED = "revoked"


class MovementKind(enum.StrEnum):
    ALLOCATION = "allocation"
    TRANSFER = "transfer"


DEFAULT_LOW_STOCK = 10
ISSUE_PURPOSE = "voucher issued"


def mask(code: str) -> str:
    """A code as lists show it: enough to tell codes apart, not enough to use one."""
    return "•" * max(4, len(code) - 4) + code[-4:] if len(code) > 4 else "••••"


class VoucherScheme(Timestamped, Base):
    __tablename__ = "voucher_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    provider: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SchemeKind] = mapped_column(enum_type(SchemeKind))
    gives: Mapped[str] = mapped_column(String(200))
    # Eligibility criteria staff tick (the record keeps which, never evidence).
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    validity_days: Mapped[int] = mapped_column(Integer, default=90)
    sms_purpose: Mapped[str] = mapped_column(String(48), default=ISSUE_PURPOSE)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CodeBatch(Base):
    __tablename__ = "voucher_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("voucher_scheme.id"), index=True)
    reference: Mapped[str] = mapped_column(String(120))
    source: Mapped[BatchSource] = mapped_column(enum_type(BatchSource, 16))
    size: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scheme: Mapped[VoucherScheme] = relationship()


class VoucherCode(Base):
    """One code: a bearer secret. Shown masked, in full only when issued and to admins."""

    __tablename__ = "voucher_code"
    __table_args__ = (
        Index("ix_voucher_code_stock", "partner_id", "scheme_id", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("voucher_batch.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("voucher_scheme.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # The partner holding it; none while it waits in the coalition's unallocated stock.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[CodeStatus] = mapped_column(enum_type(CodeStatus, 16),
                                               default=CodeStatus.AVAILABLE)
    expires_on: Mapped[date | None] = mapped_column(Date)

    @property
    def masked(self) -> str:
        return mask(self.code)


class StockMovement(Base):
    """Codes allocated to a partner from a batch, or transferred between partners."""

    __tablename__ = "voucher_stock_movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MovementKind] = mapped_column(enum_type(MovementKind, 16))
    scheme_id: Mapped[int] = mapped_column(ForeignKey("voucher_scheme.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("voucher_batch.id"))
    from_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    to_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockThreshold(Base):
    """The stock level below which a partner is warned, per scheme (set by the partner)."""

    __tablename__ = "voucher_stock_threshold"
    __table_args__ = (UniqueConstraint("partner_id", "scheme_id",
                                       name="uq_voucher_stock_threshold_partner_scheme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    scheme_id: Mapped[int] = mapped_column(ForeignKey("voucher_scheme.id"))
    threshold: Mapped[int] = mapped_column(Integer)


class Voucher(Timestamped, Base):
    """A code issued to a resident. The unique code_id holds "one code, one resident"."""

    __tablename__ = "voucher"
    __table_args__ = (Index("ix_voucher_partner_status", "partner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    scheme_id: Mapped[int] = mapped_column(ForeignKey("voucher_scheme.id"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("voucher_code.id"), unique=True)
    status: Mapped[VoucherStatus] = mapped_column(enum_type(VoucherStatus, 16),
                                                  default=VoucherStatus.ISSUED)
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_on: Mapped[date | None] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    resend_count: Mapped[int] = mapped_column(Integer, default=0)
    last_resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_up_on: Mapped[date | None] = mapped_column(Date)
    still_connected: Mapped[bool | None] = mapped_column(Boolean)
    social_tariff: Mapped[bool | None] = mapped_column(Boolean)
    follow_up_note: Mapped[str | None] = mapped_column(Text)

    scheme: Mapped[VoucherScheme] = relationship()
    code: Mapped[VoucherCode] = relationship()
    resident = relationship("Resident")
    issued_by = relationship("User", foreign_keys=[issued_by_id])

    @property
    def is_open(self) -> bool:
        return self.status is VoucherStatus.ISSUED

    def mark_redeemed(self, on: date) -> None:
        if self.status is VoucherStatus.REVOKED:
            raise ConflictError("This voucher was revoked, so it cannot be redeemed")
        if self.status is VoucherStatus.REDEEMED:
            raise ConflictError("This voucher is already marked redeemed")
        self.status = VoucherStatus.REDEEMED
        self.redeemed_on = on

    def mark_revoked(self, *, reason: str, by_id: int | None) -> None:
        if self.status is not VoucherStatus.ISSUED:
            raise ConflictError(f"Only an issued voucher can be revoked; this one is "
                                f"{self.status.value}")
        self.status = VoucherStatus.REVOKED
        self.revoked_at = utcnow()
        self.revoked_by_id = by_id
        self.revoke_reason = reason

    def mark_expired(self) -> None:
        if self.status is not VoucherStatus.ISSUED:
            raise ConflictError("Only an issued voucher can expire")
        self.status = VoucherStatus.EXPIRED
