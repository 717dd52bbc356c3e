"""Sign-in, sign-out and account management, callable without a request where possible."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update

from inclusion import audit
from inclusion.auth import passwords, sessions, throttle
from inclusion.auth.models import PasswordReset, User
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


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """Change a signed-in user's password after checking the current one; every other session
    the user has ends. Raises ValidationError (field current_password or password)."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationError("Your current password is not correct", field="current_password")
    set_password(user=user, password=new_password)
    sessions.end_all_sessions(user.id, except_current=True)
    audit.record("password changed", entity_type="user", entity_id=user.id)


def _reset_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_reset(*, user: User, issued_by: User | None = None) -> str:
    """Make a single-use reset token (valid PASSWORD_RESET_HOURS); returns the token, which is
    shown or emailed once and stored only as a hash. Earlier unused tokens stop working."""
    now = utcnow()
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(
        PasswordReset(
            token_hash=_reset_hash(token),
            user_id=user.id,
            issued_by_id=issued_by.id if issued_by else None,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    audit.record(
        "password reset issued",
        entity_type="user",
        entity_id=user.id,
        detail="by an admin" if issued_by else "requested by email",
    )
    db.session.flush()
    return token


def reset_for_token(token: str) -> PasswordReset | None:
    """The live reset for this token, or None if it is unknown, used or expired."""
    found = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _reset_hash(token))
    )
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    if not found.user.active:
        return None
    return found


def reset_password(*, token: str, password: str) -> User:
    """Set a new password from a reset link: the link is spent, every session of the user ends,
    and they sign in again (with their second factor, if they have one). Raises
    ValidationError for a dead link (field None) or a password that breaks the policy."""
    reset = reset_for_token(token)
    if reset is None:
        raise ValidationError("This link has expired or has already been used")
    user = reset.user
    set_password(user=user, password=password)
    reset.used_at = utcnow()
    sessions.end_all_sessions(user.id)
    audit.record("password reset used", user_id=user.id, entity_type="user", entity_id=user.id)
    return user


def request_password_reset(*, email: str, link_for: Callable[[str], str]) -> None:
    """Email a reset link when the email has an active account and SMTP is configured.

    Does the same visible thing whatever the email is; commits, then sends after the commit.
    """
    from inclusion import mail

    user = find_user(email)
    if user is None or not user.active or not mail.is_configured():
        return
    token = issue_password_reset(user=user)
    db.session.commit()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    mail.send(
        to=user.email,
        subject=f"Reset your {current_app.config['SERVICE_NAME']} password",
        body=(
            "Someone asked to reset the password for this account. If it was you, open this "
            f"link within {hours} hours to choose a new password:\n\n{link_for(token)}\n\n"
            "The link works once. If you did not ask, ignore this email: your password has "
            "not changed."
        ),
    )


def pass_two_factor(*, user: User, code: str) -> bool:
    """Check a sign-in code or recovery code; on success mark this session as passed."""
    from inclusion.auth import mfa

    if mfa.looks_like_recovery_code(code):
        ok = mfa.use_recovery_code(user=user, code=code)
        how = "recovery code"
    else:
        ok = mfa.verify_code(user=user, code=code)
        how = "authenticator code"
    if ok:
        mfa.mark_passed()
        audit.record("two-factor passed", detail=how, entity_type="user", entity_id=user.id)
    else:
        audit.record("two-factor failed", detail=how, entity_type="user", entity_id=user.id)
    return ok
