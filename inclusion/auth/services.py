"""Sign-in, sign-out and account management, callable without a request where possible."""

from __future__ import annotations

import re

from flask import request

from inclusion import audit
from inclusion.auth import passwords, sessions, throttle
from inclusion.auth.models import User
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db, utcnow

GENERIC_FAILURE = "Enter a correct email address and password"
# Deliberately loose: one @, something either side, a dot in the domain, no spaces.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ThrottledError(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def sign_in(*, email: str, password: str) -> User:
    """Check the credentials and start a new server-side session.

    Raises ThrottledError when too many recent failures, ValidationError (with one message for
    an unknown email, a wrong password and a disabled account alike) otherwise.
    """
    email = normalise_email(email)
    address = request.remote_addr or "unknown"
    wait = throttle.seconds_until_allowed(email=email, address=address)
    if wait:
        audit.record_now("sign-in throttled", detail=f"wait {wait}s")
        raise ThrottledError(wait)
    user = find_user(email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        throttle.note_attempt(email=email, address=address, succeeded=False)
        audit.record(
            "sign-in failed",
            user_id=user.id if user else None,
            detail="disabled account" if (user and ok) else None,
        )
        db.session.commit()
        raise ValidationError(GENERIC_FAILURE)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    throttle.note_attempt(email=email, address=address, succeeded=True)
    user.last_sign_in_at = utcnow()
    sessions.start_session(user)
    audit.record("signed in", user_id=user.id, entity_type="user", entity_id=user.id)
    db.session.commit()
    return user


def sign_out() -> None:
    """End the session on the server and in the browser."""
    audit.record("signed out")
    sessions.end_session()
    db.session.commit()


def create_user(*, email: str, name: str, password: str | None) -> User:
    """Create an account (no role yet). Raises ConflictError if the email is taken,
    ValidationError for an email that is not one, an empty name, or a password that breaks
    the policy."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationError("Enter a real email address, like name@example.org", field="email")
    if not name.strip():
        raise ValidationError("Enter a name", field="name")
    if find_user(email) is not None:
        raise ConflictError("An account with that email address already exists", field="email")
    user = User(email=email, name=name.strip())
    if password is not None:
        set_password(user=user, password=password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(*, user: User, password: str) -> None:
    """Set a new password after checking the policy; raises ValidationError."""
    problem = passwords.password_problem(password, email=user.email)
    if problem:
        raise ValidationError(problem, field="password")
    user.password_hash = passwords.hash_password(password)


def set_active(*, user: User, active: bool) -> None:
    """Enable or disable an account; disabling ends every session it has."""
    user.active = active
    if not active:
        sessions.end_all_sessions(user.id)
    audit.record(
        "user enabled" if active else "user disabled", entity_type="user", entity_id=user.id
    )
