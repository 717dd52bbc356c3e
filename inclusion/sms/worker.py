"""The outbox worker: claim due messages, send them holding no database connection, record.

Each message goes through three short steps. A claim (one transaction, rows locked with
FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers, so its UPDATE is the lock)
marks messages "sending". The session is then removed, as GOV.UK Notify does before calling
a provider: a slow provider must not pin a database connection per message in flight. The
result is recorded in a new transaction. Several workers together never claim the same row.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from inclusion.extensions import db, utcnow
from inclusion.sms import delivery
from inclusion.sms.models import (
    NO_CONSENT,
    OPTED_OUT,
    TECHNICAL_FAILURE,
    MessageStatus,
    SmsMessage,
)
from inclusion.sms.providers import (
    Accepted,
    OptedOutError,
    PermanentError,
    Provider,
    SendError,
    TemporaryError,
    provider_for,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    body: str
    attempts: int


@dataclass
class PassResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    timed_out: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: doubling from SMS_BACKOFF_SECONDS, capped."""
    base = current_app.config["SMS_BACKOFF_SECONDS"]
    cap = current_app.config["SMS_BACKOFF_MAX_SECONDS"]
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def release_stale_claims(*, now: datetime | None = None) -> int:
    """Messages claimed by a worker that died (claim older than the lease) go back to pending."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["SMS_LEASE_SECONDS"])
    result = db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.status == MessageStatus.SENDING, SmsMessage.claimed_at < cutoff)
        .values(status=MessageStatus.PENDING, claimed_at=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    released = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if released:
        log.warning("sms: %s message(s) released from a lapsed worker claim", released)
    return released


def claim(*, limit: int, now: datetime | None = None) -> list[Claimed]:
    """Claim up to `limit` due messages for this worker and commit the claim."""
    now = now or utcnow()
    due = (
        select(SmsMessage.id)
        .where(SmsMessage.status == MessageStatus.PENDING, SmsMessage.next_attempt_at <= now)
        .order_by(SmsMessage.next_attempt_at, SmsMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Lock the rows first, skipping those another worker holds. (Inside one UPDATE's
        # IN (...) PostgreSQL may re-run a LIMIT subquery and take more rows than asked.)
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)).all())
        if not ids:
            db.session.commit()
            return []
        target = SmsMessage.id.in_(ids)
    else:
        # SQLite has one writer at a time, so a single UPDATE is the claim.
        target = SmsMessage.id.in_(due.scalar_subquery())
    rows = db.session.execute(
        update(SmsMessage)
        # The status test again: a row another worker claimed meanwhile no longer matches.
        .where(target, SmsMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=SmsMessage.attempts + 1)
        .returning(SmsMessage.id, SmsMessage.to, SmsMessage.body, SmsMessage.attempts,
                   SmsMessage.resident_id)
        .execution_options(synchronize_session=False)
    ).all()
    withdrawn = _without_consent(rows)
    if withdrawn:
        # Consent withdrawn (or the resident erased) after the text was queued: never send it.
        db.session.execute(
            update(SmsMessage).where(SmsMessage.id.in_(withdrawn))
            .values(status=MessageStatus.FAILED, error_code=NO_CONSENT, claimed_at=None,
                    error_message="Not sent: the resident no longer agrees to texts",
                    status_at=now)
            .execution_options(synchronize_session=False))
        log.info("sms: %s claimed message(s) cancelled for lack of consent", len(withdrawn))
    db.session.commit()
    return [Claimed(*row[:4]) for row in sorted(rows) if row[0] not in withdrawn]


def _without_consent(rows: Sequence[Any]) -> set[int]:
    """Ids of claimed messages whose resident is gone or has no active SMS consent now."""
    from inclusion.residents.models import Consent, ConsentKind

    resident_ids = {row[4] for row in rows if row[4] is not None}
    consenting = set(db.session.scalars(
        select(Consent.resident_id).where(
            Consent.resident_id.in_(resident_ids), Consent.kind == ConsentKind.SMS_CONTACT,
            Consent.withdrawn_at.is_(None))
    ).all()) if resident_ids else set()
    return {row[0] for row in rows if row[4] not in consenting}


def record_result(claimed: Claimed, *, provider: Provider, accepted: Accepted | None,
                  error: SendError | None) -> str:
    """Record what the provider said, in its own transaction. Returns sent/retrying/failed."""
    message = db.session.get(SmsMessage, claimed.id, with_for_update=True)
    if message is None:  # erased meanwhile
        db.session.commit()
        return "failed"
    now = utcnow()
    outcome = "sent"
    if accepted is None and message.is_final:
        # A receipt or an opt-out settled it meanwhile; a final status is never overwritten.
        db.session.commit()
        return "failed"
    if accepted is not None:
        message.provider = provider.name
        if message.provider_id is None:
            message.provider_id = accepted.provider_id
        message.sent_at = message.sent_at or now
        message.claimed_at = None
        message.error_code = None
        message.error_message = None
        delivery.advance(message, MessageStatus.SENT, at=now)
        if accepted.delivered:
            delivery.advance(message, MessageStatus.DELIVERED, at=now)
    elif isinstance(error, TemporaryError):
        message.error_code = (error.code or "temporary")[:16]
        message.error_message = error.message
        message.claimed_at = None
        if message.status is not MessageStatus.SENDING:
            outcome = "failed"  # a receipt or an opt-out settled it meanwhile
        elif message.attempts >= current_app.config["SMS_MAX_ATTEMPTS"]:
            message.error_code = TECHNICAL_FAILURE
            message.error_message = f"Gave up after {message.attempts} tries: {error.message}"[
                :200
            ]
            delivery.advance(message, MessageStatus.FAILED, at=now)
            outcome = "failed"
            log.warning("sms %s: technical failure after %s attempts", message.id,
                        message.attempts)
        else:
            message.status = MessageStatus.PENDING
            message.next_attempt_at = now + backoff(message.attempts)
            outcome = "retrying"
    else:
        assert error is not None
        message.provider = provider.name
        message.error_code = (error.code or "refused")[:16]
        message.error_message = error.message
        message.claimed_at = None
        delivery.advance(message, MessageStatus.FAILED, at=now)
        outcome = "failed"
        if isinstance(error, OptedOutError) or error.code == OPTED_OUT:
            delivery.opt_out(phone=message.to, how="the network reports the number opted out")
    db.session.commit()
    return outcome


def send_one(claimed: Claimed, provider: Provider) -> str:
    accepted: Accepted | None = None
    error: SendError | None = None
    try:
        accepted = provider.send(to=claimed.to, body=claimed.body, message_id=claimed.id)
    except (TemporaryError, PermanentError) as exc:
        error = exc
        log.info("sms %s: provider refused (%s)", claimed.id, exc.code)
    except Exception as exc:  # noqa: BLE001 - anything unexpected is retried, never lost
        log.exception("sms %s: unexpected error from the provider", claimed.id)
        error = TemporaryError(f"Unexpected error ({type(exc).__name__})", code="error")
    return record_result(claimed, provider=provider, accepted=accepted, error=error)


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(size: int) -> ThreadPoolExecutor:
    # One pool per size for the process: a worker keeps its threads between passes.
    if size not in _pools:
        _pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="sms-send")
    return _pools[size]


def _send_in_context(app: Flask, claimed: Claimed, provider: Provider) -> str:
    """send_one on a pool thread: its own app context, so its own short-lived session."""
    with app.app_context():
        try:
            return send_one(claimed, provider)
        finally:
            db.session.remove()


def run_pass(app: Flask | None = None, *, provider: Provider | None = None,
             max_messages: int | None = None) -> PassResult:
    """Send every message due now, in batches; release lapsed claims; time out old ones."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    provider = provider or provider_for(app)
    result = PassResult()
    with app.app_context():
        result.released = release_stale_claims()
        result.timed_out = delivery.mark_unknown()
        db.session.commit()
        batch_size = app.config["SMS_BATCH_SIZE"]
        while max_messages is None or result.handled < max_messages:
            limit = batch_size if max_messages is None else min(
                batch_size, max_messages - result.handled)
            batch = claim(limit=limit)
            if not batch:
                break
            # No connection is held while the provider is on the line.
            db.session.remove()
            threads = max(1, int(app.config.get("SMS_WORKER_THREADS", 1)))
            if threads == 1 or len(batch) == 1:
                outcomes = [send_one(claimed, provider) for claimed in batch]
            else:
                outcomes = list(_pool(threads).map(
                    lambda claimed: _send_in_context(app, claimed, provider), batch))
            for claimed, outcome in zip(batch, outcomes, strict=True):
                setattr(result, outcome, getattr(result, outcome) + 1)
                result.ids.append(claimed.id)
            db.session.remove()
        db.session.remove()
    return result


def run_forever(app: Flask, *, stop: threading.Event | None = None) -> None:
    """Keep sending until stopped; sleep a little when there is nothing to do."""
    stop = stop or threading.Event()
    provider = provider_for(app)
    idle = float(app.config["SMS_WORKER_IDLE_SECONDS"])
    log.info("sms worker started (provider %s)", provider.name)
    while not stop.is_set():
        try:
            result = run_pass(app, provider=provider)
        except Exception:  # noqa: BLE001 - a database blip must not end the worker
            log.exception("sms worker pass failed; trying again shortly")
            with app.app_context():
                db.session.remove()
            stop.wait(idle * 5)
            continue
        if not result.handled:
            stop.wait(idle)
        else:
            time.sleep(0)
