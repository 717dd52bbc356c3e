"""Invitations: an expiring, single-use link that brings a person into a partner or a role.

Partner and Membership live in the core (inclusion.tenancy) because every package scopes by
them; they are re-exported here so this package reads as the home of partners.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.exceptions import ConflictError
from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow
from inclusion.tenancy import Membership, Partner, PartnerKind, PartnerRole

__all__ = [
    "Invitation",
    "InvitationRole",
    "InvitationStatus",
    "Membership",
    "Partner",
    "PartnerKind",
    "PartnerRole",
    "hash_token",
]


class InvitationRole(enum.StrEnum):
    STAFF = "staff"
    PARTNER_ADMIN = "partner admin"
    COALITION_LEAD = "coalition lead"
    SYSTEM_ADMIN = "system admin"

    @property
    def partner_role(self) -> PartnerRole | None:
        """The role at a partner this invitation grants (None for coalition-wide roles)."""
        return {
            InvitationRole.STAFF: PartnerRole.STAFF,
            InvitationRole.PARTNER_ADMIN: PartnerRole.PARTNER_ADMIN,
        }.get(self)


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


def hash_token(token: str) -> str:
    """SHA-256 of an invitation token: only the hash is stored, so a database copy opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(Timestamped, Base):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for coalition-wide roles (coalition lead, system admin).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[InvitationRole] = mapped_column(enum_type(InvitationRole))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    partner: Mapped[Partner | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    def status(self, now: datetime | None = None) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if (now or utcnow()) >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_pending(self) -> bool:
        return self.status() is InvitationStatus.PENDING

    def mark_accepted(self, user: User, now: datetime | None = None) -> None:
        """Use the invitation up; refuses one that is not pending."""
        if self.status(now) is not InvitationStatus.PENDING:
            raise ConflictError(f"This invitation is {self.status(now).value}")
        self.accepted_at = now or utcnow()
        self.accepted_by = user

    def mark_revoked(self, now: datetime | None = None) -> None:
        """Withdraw a pending invitation so its link stops working."""
        if self.status(now) is not InvitationStatus.PENDING:
            raise ConflictError(f"This invitation is already {self.status(now).value}")
        self.revoked_at = now or utcnow()

    def __repr__(self) -> str:
        return f"<Invitation {self.id}>"
