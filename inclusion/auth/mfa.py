"""Two-factor sign-in: TOTP codes from an authenticator app, and single-use recovery codes.

The TOTP secret is stored encrypted (Fernet, with a key derived from SECRET_KEY), so a copy of
the database alone does not give anyone the codes. Rotating SECRET_KEY therefore means every
user enrols again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session
from sqlalchemy import select

from inclusion.auth.models import RecoveryCode, User
from inclusion.extensions import db, utcnow

RECOVERY_CODE_COUNT = 10
SESSION_FLAG = "mfa_passed"
STEP_SECONDS = 30
# Endpoints a signed-in user who still owes the second step (or must enrol) may reach.
ALLOWED_BEFORE_MFA = frozenset(
    {
        "auth.two_factor",
        "auth.enrol",
        "auth.sign_out",
        "static",
        "main.healthz",
        "main.accessibility",
        "main.privacy",
    }
)


def clock() -> float:
    """Seconds since the epoch; tests replace this to move time."""
    return time.time()


def _fernet() -> Fernet:
    digest = hashlib.sha256(
        b"inclusion totp secret v1:" + str(current_app.config["SECRET_KEY"]).encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


def required_for(user: User) -> bool:
    """True when this user's roles demand two-factor sign-in (and enforcement is on)."""
    if not current_app.config.get("MFA_ENFORCED", True):
        return False
    roles = set(current_app.config.get("MFA_REQUIRED_ROLES", ()))
    if "admin" in roles and user.is_system_admin:
        return True
    if "lead" in roles and user.is_coalition_lead:
        return True
    from inclusion.tenancy import PartnerRole

    if "partner_admin" in roles and any(
        m.role is PartnerRole.PARTNER_ADMIN for m in user.memberships
    ):
        return True
    return "staff" in roles and bool(user.memberships)


def second_step_owed(user: User) -> bool:
    """True while this session has not passed two-factor sign-in but must."""
    if session.get(SESSION_FLAG):
        return False
    return user.has_two_factor or required_for(user)


def mark_passed() -> None:
    session[SESSION_FLAG] = True


def new_secret() -> str:
    return pyotp.random_base32()


def begin_enrolment(*, user: User) -> str:
    """Give the user a fresh secret to add to their app (not live until confirmed)."""
    secret = new_secret()
    user.totp_secret = encrypt_secret(secret)
    db.session.flush()
    return secret


def pending_secret(user: User) -> str | None:
    if user.totp_secret is None:
        return None
    return decrypt_secret(user.totp_secret)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["SERVICE_NAME"]
    )


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no image fetched from anywhere)."""
    return str(
        segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")
    )


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side for clock drift) whose code matches."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = clock()
    current = int(now // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def verify_code(*, user: User, code: str, secret: str | None = None) -> bool:
    """Check a 6-digit code; a code (time step) already accepted once is refused."""
    secret = secret or pending_secret(user)
    if not secret:
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    return True


def confirm_enrolment(*, user: User, code: str) -> list[str] | None:
    """Turn two-factor sign-in on if the code matches; returns the new recovery codes."""
    secret = pending_secret(user)
    if not secret or not verify_code(user=user, code=code, secret=secret):
        return None
    user.totp_enabled_at = utcnow()
    return replace_recovery_codes(user=user)


def _hash_code(code: str) -> str:
    normalised = code.strip().replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


def replace_recovery_codes(*, user: User) -> list[str]:
    """Make 10 new recovery codes (old ones stop working); return them to show once."""
    db.session.execute(
        db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
    )
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 10 hex characters, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    db.session.flush()
    return codes


def use_recovery_code(*, user: User, code: str) -> bool:
    """Accept an unused recovery code once; it is spent from then on."""
    found = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    found.used_at = utcnow()
    db.session.flush()
    return True


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def looks_like_recovery_code(code: str) -> bool:
    cleaned = code.strip().replace("-", "").replace(" ", "")
    return len(cleaned) == 10


def turn_off(*, user: User) -> None:
    """Remove a user's two-factor sign-in (lost phone and recovery codes), ending their
    sessions; a role that needs it must set it up again at the next sign-in."""
    from inclusion import audit
    from inclusion.auth import sessions

    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    sessions.end_all_sessions(user.id)
    audit.record("two-factor turned off", entity_type="user", entity_id=user.id)
