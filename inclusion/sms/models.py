"""The SMS outbox: a message row is written with the change that causes it, sent after commit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusion.extensions import Base, UTCDateTime, enum_type, utcnow


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # in the outbox, waiting for a worker
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"  # the provider refused it, or retries ran out
    UNKNOWN = "unknown"  # no final receipt in time


FINAL_STATUSES = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED,
     MessageStatus.UNKNOWN}
)


class SmsMessage(Base):
    __tablename__ = "sms_message"
    __table_args__ = (
        Index("ix_sms_message_status_next", "status", "next_attempt_at"),
        Index("ix_sms_message_related", "related_type", "related_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(48))
    language: Mapped[str] = mapped_column(String(8), default="en")
    to: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus, 16), default=MessageStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    provider: Mapped[str | None] = mapped_column(String(16))
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(200))
    # What caused the message (a voucher, a loan, a referral), by type and id.
    related_type: Mapped[str | None] = mapped_column(String(32))
    related_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
