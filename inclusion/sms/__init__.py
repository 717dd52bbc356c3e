"""SMS to residents through a transactional outbox.

`enqueue(...)` writes the message in the caller's transaction; a worker sends it after commit,
holding no database connection while it waits on the provider.
"""

from __future__ import annotations

from typing import Any, Protocol

from inclusion.extensions import db
from inclusion.sms.delivery import register_status_listener
from inclusion.sms.models import FINAL_STATUSES, MessageStatus, SmsMessage
from inclusion.sms.text import Purpose, measure, register_purpose, render


class Recipient(Protocol):
    """What the outbox reads from a resident. The members are read-only (properties), so a
    model or a frozen dataclass whose attributes are typed more narrowly still matches."""

    @property
    def id(self) -> int: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def preferred_language(self) -> str: ...

    def has_consent(self, kind: Any) -> bool: ...


def can_text(resident: Recipient) -> bool:
    """True when the resident has a phone number and an active SMS consent."""
    from inclusion.residents.models import ConsentKind

    return bool(resident.phone) and resident.has_consent(ConsentKind.SMS_CONTACT)


def enqueue(
    *,
    resident: Recipient,
    partner_id: int,
    purpose: str,
    body: str,
    language: str | None = None,
    related_type: str | None = None,
    related_id: int | None = None,
) -> SmsMessage | None:
    """Put a message in the outbox, in the current transaction; nothing is sent yet.

    Returns None, creating nothing, when the resident has no phone or no SMS consent.
    """
    if not can_text(resident):
        return None
    message = SmsMessage(
        resident_id=resident.id,
        partner_id=partner_id,
        purpose=purpose,
        language=language or resident.preferred_language or "en",
        to=resident.phone or "",
        body=body,
        status=MessageStatus.PENDING,
        related_type=related_type,
        related_id=related_id,
    )
    db.session.add(message)
    return message


def latest_for(related_type: str, related_id: int) -> SmsMessage | None:
    """The newest message about a record (a voucher, a loan), for showing delivery status."""
    from sqlalchemy import select

    return db.session.scalar(
        select(SmsMessage)
        .where(SmsMessage.related_type == related_type, SmsMessage.related_id == related_id)
        .order_by(SmsMessage.id.desc())
        .limit(1)
    )


__all__ = [
    "FINAL_STATUSES",
    "MessageStatus",
    "Purpose",
    "SmsMessage",
    "can_text",
    "enqueue",
    "latest_for",
    "measure",
    "register_purpose",
    "register_status_listener",
    "render",
]
