"""Sign-in throttling per account and per address.

Failures slow an account down for a while, doubling up to a cap, and never lock it for good:
an attacker can delay a real user by minutes at most, not shut them out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from inclusion.auth.models import LoginAttempt
from inclusion.extensions import db, utcnow


def seconds_until_allowed(*, email: str, address: str, now: datetime | None = None) -> int:
    """How long this email and address must wait before another attempt (0: go ahead)."""
    now = now or utcnow()
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_THROTTLE_WINDOW_SECONDS"])
    waits = [
        _wait(LoginAttempt.email == email, cfg["LOGIN_ACCOUNT_FAILURES"], now, window),
        _wait(LoginAttempt.address == address, cfg["LOGIN_ADDRESS_FAILURES"], now, window),
    ]
    return max(waits)


def _wait(condition: object, allowed: int, now: datetime, window: timedelta) -> int:
    since = now - window
    failures = db.session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            condition,  # type: ignore[arg-type]
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
        )
    ).one()
    count, last = failures
    if count < allowed or last is None:
        return 0
    if last.tzinfo is None:
        from datetime import UTC

        last = last.replace(tzinfo=UTC)
    cap = current_app.config["LOGIN_MAX_LOCK_SECONDS"]
    lock = min(cap, 30 * 2 ** (count - allowed))
    remaining = (last + timedelta(seconds=lock) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def note_attempt(*, email: str, address: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, address=address, succeeded=succeeded))
    if succeeded:
        # A successful sign-in clears the account's failures.
        db.session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.email == email, LoginAttempt.succeeded.is_(False)
            )
        )
    cutoff = utcnow() - timedelta(days=1)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
