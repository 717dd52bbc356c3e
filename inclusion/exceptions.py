"""Domain errors raised by services and turned by views into form errors, a flash, 404 or 409."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the change; the message is written for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """The input breaks a rule beyond what the form checks."""


class ConflictError(DomainError):
    """The record moved on (someone else changed it, or it is already taken)."""


class NotAllowedError(DomainError):
    """The user may not make this change."""
