"""What happens to a message after it leaves the outbox: receipts, opt-outs, time-outs.

Receipts may come twice or out of order: a status only ever moves forwards, a final status is
never overwritten, and a repeat changes nothing. Domain packages hear about status changes of
their own messages through listeners (the core knows nothing of vouchers or loans).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import select, update

from inclusion import audit
from inclusion.extensions import db, utcnow
from inclusion.sms.models import OPTED_OUT, MessageStatus, SmsMessage

log = logging.getLogger(__name__)

StatusListener = Callable[[SmsMessage, MessageStatus], None]

# Twilio's message statuses, as the platform's. Anything else is ignored (and logged).
TWILIO_STATUSES = {
    "accepted": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT,
    "queued": MessageStatus.SENT,
    "sending": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
OPT_OUT_NOTE = "Opted out by text"


def register_status_listener(bp: Blueprint, related_type: str, listener: StatusListener) -> None:
    """Called by a domain package: hear when a message about one of its records changes status.

    The listener runs inside the transaction that records the change, with the message and
    its previous status.
    """

    def _record(state: Any) -> None:
        listeners = state.app.extensions.setdefault("inclusion.sms.listeners", {})
        listeners.setdefault(related_type, []).append(listener)

    bp.record_once(_record)


def advance(message: SmsMessage, status: MessageStatus, *, at: datetime | None = None) -> bool:
    """Move a message forwards and tell the listeners; False (and no change) otherwise."""
    previous = message.status
    if not message.advance(status, at=at):
        return False
    if message.related_type:
        listeners = current_app.extensions.get("inclusion.sms.listeners", {})
        for listener in listeners.get(message.related_type, []):
            listener(message, previous)
    return True


def apply_receipt(message: SmsMessage, provider_status: str, *, error_code: str | None) -> bool:
    """Apply a provider's delivery receipt. True when it changed the message."""
    status = TWILIO_STATUSES.get(provider_status.strip().lower())
    if status is None:
        log.warning("sms %s: receipt with unknown status ignored", message.id)
        return False
    if message.status in (MessageStatus.PENDING, MessageStatus.SENDING) and status is (
        MessageStatus.SENT
    ):
        # The provider has it: make sure no worker sends it again.
        message.claimed_at = None
    moved = advance(message, status)
    if moved and error_code and status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
        message.error_code = error_code[:16]
    if moved and error_code == OPTED_OUT:
        opt_out(phone=message.to, how="the network reported an opt-out")
    return moved


def _residents_with_phone(phone: str) -> list[Any]:
    from inclusion.residents.models import Resident

    return list(db.session.scalars(select(Resident).where(Resident.phone == phone)).all())


def opt_out(*, phone: str, how: str) -> int:
    """Withdraw SMS consent for every resident with this number; cancel their waiting texts.

    Returns how many residents' consent was withdrawn.
    """
    from inclusion.residents.models import ConsentKind

    now = utcnow()
    changed = 0
    for resident in _residents_with_phone(phone):
        consent = resident.active_consent(ConsentKind.SMS_CONTACT)
        if consent is None:
            continue
        consent.withdrawn_at = now
        consent.withdrawal_note = f"{OPT_OUT_NOTE}: {how}"[:200]
        audit.record(
            "sms consent withdrawn",
            entity_type="resident",
            entity_id=resident.id,
            partner_id=resident.partner_id,
            fields=["consent"],
            detail=how[:200],
        )
        changed += 1
    db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.to == phone, SmsMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.FAILED, error_code=OPTED_OUT,
                error_message="The resident opted out of texts", status_at=now)
        .execution_options(synchronize_session=False)
    )
    log.info("sms opt-out applied to %s resident(s): %s", changed, how)
    return changed


def opt_in(*, phone: str) -> int:
    """Restore SMS consent withdrawn by an earlier text opt-out (never one staff withdrew)."""
    from inclusion.residents.models import Consent, ConsentKind

    restored = 0
    for resident in _residents_with_phone(phone):
        latest = next(
            (c for c in reversed(resident.consents) if c.kind == ConsentKind.SMS_CONTACT), None
        )
        if latest is None or latest.is_active:
            continue
        if not (latest.withdrawal_note or "").startswith(OPT_OUT_NOTE):
            continue
        db.session.add(
            Consent(resident=resident, kind=ConsentKind.SMS_CONTACT,
                    wording_version="text reply START")
        )
        audit.record(
            "sms consent restored",
            entity_type="resident",
            entity_id=resident.id,
            partner_id=resident.partner_id,
            fields=["consent"],
            detail="replied START",
        )
        restored += 1
    return restored


def mark_unknown(*, now: datetime | None = None) -> int:
    """Messages sent long ago with no final receipt become "unknown". Returns how many."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=current_app.config["SMS_UNKNOWN_AFTER_HOURS"])
    result = db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.status == MessageStatus.SENT, SmsMessage.sent_at < cutoff)
        .values(status=MessageStatus.UNKNOWN, status_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
