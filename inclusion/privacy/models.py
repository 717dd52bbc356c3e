"""Retention policies, erasure records and subject access requests."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.extensions import Base, UTCDateTime, enum_type, utcnow


class PeriodUnit(enum.StrEnum):
    MONTHS = "months"
    DAYS = "days"


class ErasureReason(enum.StrEnum):
    """Why a resident was erased. A fixed list, never free text: free text could name them."""

    RESIDENT_ASKED = "the resident asked"
    CONSENT_WITHDRAWN = "consent withdrawn and no other lawful basis"
    OBJECTION_UPHELD = "objection upheld"
    UNLAWFUL = "the data should not have been held"
    RETENTION = "retention period ended"


REQUEST_REASONS = tuple(r for r in ErasureReason if r is not ErasureReason.RETENTION)


class RetentionPolicyRecord(Base):
    """How long one record type is kept, as set by a system admin (defaults live in code)."""

    __tablename__ = "retention_policy"

    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[int] = mapped_column(Integer)
    unit: Mapped[PeriodUnit] = mapped_column(enum_type(PeriodUnit, 8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Erasure(Base):
    """A resident's personal data was erased: when, by whom, why, and who must be told."""

    __tablename__ = "erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One erasure per resident; the scrubbed resident row stays so facts and loans keep a target.
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), unique=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    erased_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[ErasureReason] = mapped_column(enum_type(ErasureReason, 64))
    # Partners that had received the resident's data (referrals), to be told of the erasure.
    notify_partner_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    erased_by = relationship("User")


class SubjectAccessRequest(Base):
    """A resident asked for a copy of their data; the answer is due one calendar month later."""

    __tablename__ = "subject_access_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("resident.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by = relationship("User")
