"""The SMS outbox: a message row is written with the change that causes it, sent after commit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow


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

# How far along a message is; a receipt may only move a message forwards.
STATUS_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.UNKNOWN: 3,
}

# error_code values the platform itself sets (Twilio's codes are numbers).
TECHNICAL_FAILURE = "technical"
OPTED_OUT = "21610"
NO_CONSENT = "no-consent"

STATUS_DESCRIPTIONS = {
    MessageStatus.PENDING: "Waiting to send",
    MessageStatus.SENDING: "Sending",
    MessageStatus.SENT: "Sent to the network",
    MessageStatus.DELIVERED: "Delivered",
    MessageStatus.UNDELIVERED: "Not delivered (phone off or number not in use)",
    MessageStatus.FAILED: "Failed",
    MessageStatus.UNKNOWN: "No delivery receipt came back",
}


class SmsMessage(Base):
    __tablename__ = "sms_message"
    __table_args__ = (
        Index("ix_sms_message_status_next", "status", "next_attempt_at"),
        Index("ix_sms_message_related", "related_type", "related_id"),
        # The message log filtered by status, newest first: without it a rare status (failed)
        # would be found by reading back through every message.
        Index("ix_sms_message_status_id", "status", "id"),
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
    # When a worker claimed it; a claim older than the lease means the worker died.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
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

    @validates("provider_id")
    def _no_provider_id_once_erased(self, key: str, value: str | None) -> str | None:
        # Erasure empties the number and drops the provider's id, which leads back to the
        # number in the provider's logs. A text that was mid-send when its resident was erased,
        # or a late receipt, must not bring the id back: a message with no number keeps none.
        return None if self.to == "" else value

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_technical_failure(self) -> bool:
        return self.status is MessageStatus.FAILED and self.error_code == TECHNICAL_FAILURE

    @property
    def description(self) -> str:
        if self.is_technical_failure:
            return "Failed: the text service could not be reached (retries ran out)"
        if self.status is MessageStatus.FAILED and self.error_code == OPTED_OUT:
            return "Failed: the resident has opted out of texts"
        if self.status is MessageStatus.FAILED and self.error_code == NO_CONSENT:
            return "Not sent: the resident withdrew consent to texts"
        return STATUS_DESCRIPTIONS[self.status]

    @property
    def masked_to(self) -> str:
        return f"•••• {self.to[-3:]}" if self.to else ""

    def advance(self, status: MessageStatus, *, at: datetime | None = None) -> bool:
        """Move to a later status; never backwards, never off a final status. True if moved."""
        if self.is_final or STATUS_RANK[status] <= STATUS_RANK[self.status]:
            return False
        self.status = status
        self.status_at = at or utcnow()
        return True


class SmsTemplate(Timestamped, Base):
    """The wording of one kind of message in one language; English is the fallback."""

    __tablename__ = "sms_template"
    __table_args__ = (UniqueConstraint("purpose", "language", name="uq_sms_template_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(48))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
