"""Password hashing (argon2) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORD_COUNT = 10_000



@lru_cache(maxsize=4)
def _hasher_for(params: tuple[tuple[str, int], ...]) -> PasswordHasher:
    # PasswordHasher's keywords have several types (costs, encoding, hash type): mypy cannot
    # check a **dict against them, so the settings are passed as a loosely typed dict.
    settings: dict[str, Any] = dict(params)
    return PasswordHasher(**settings)


def _hasher() -> PasswordHasher:
    """argon2 with the library's recommended cost; ARGON2_PARAMS may lower it (tests only)."""
    from flask import current_app, has_app_context

    params = current_app.config.get("ARGON2_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the email matches no account, so both paths take the same time.
    return hasher.hash("an unguessable placeholder password for timing")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, from zxcvbn's frequency list (ranked by use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:COMMON_PASSWORD_COUNT])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why this password is refused, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return "That password is too common and easy to guess. Choose a less common one"
    if email and lowered == email.lower():
        return "Password must not be your email address"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same effort when there is no hash."""
    try:
        hasher = _hasher()
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(
            password_hash
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
