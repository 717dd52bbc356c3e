"""Referrals of a resident to another partner's offer, their status machine and timeline."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.auth.models import User
from inclusion.exceptions import ConflictError
from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow
from inclusion.residents.models import ConsentKind, Resident
from inclusion.tenancy import Partner
from learners.models.offers import Offer


class ReferralStatus(enum.StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    NOT_COMPLETED = "not completed"
    WITHDRAWN = "withdrawn"


# The only moves there are; anything else is refused with a message.
ALLOWED_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.ENROLLED, ReferralStatus.WITHDRAWN}),
    ReferralStatus.ENROLLED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.NOT_COMPLETED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.NOT_COMPLETED: frozenset(),
    ReferralStatus.WITHDRAWN: frozenset(),
}
OPEN_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED)


class NotCompletedReason(enum.StrEnum):
    UNABLE_TO_CONTACT = "unable to contact"
    DECLINED_BY_RESIDENT = "declined by resident"
    NO_CAPACITY = "no capacity"
    NO_LONGER_NEEDED = "no longer needed"
    OTHER = "other"


# What a referrer may tick to share, beyond name and contact details (always shared).
SHAREABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("postcode", "Postcode"),
    ("local_authority", "Local authority"),
    ("age_band", "Age band"),
    ("date_of_birth", "Date of birth"),
    ("preferred_language", "Preferred language"),
    ("employment_status", "Employment status"),
    ("receives_benefits", "Receives benefits"),
    ("gender", "Gender"),
    ("ethnic_group", "Ethnic group"),
    ("disability", "Disability"),
    ("digital_engagement", "Digital engagement (latest assessment)"),
)
ALWAYS_SHARED: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("phone", "Phone"),
    ("email", "Email"),
)
SHAREABLE_FIELD_NAMES = dict(SHAREABLE_FIELDS)
FIELD_LABELS = dict(ALWAYS_SHARED + SHAREABLE_FIELDS)


class Referral(Timestamped, Base):
    __tablename__ = "referral"
    __table_args__ = (
        # The inbox and sent lists, newest first with the id breaking ties (keyset pages).
        Index("ix_referral_to_status_sent_id", "to_partner_id", "status", "sent_at", "id"),
        Index("ix_referral_from_status_sent_id", "from_partner_id", "status", "sent_at", "id"),
        Index("ix_referral_to_sent_id", "to_partner_id", "sent_at", "id"),
        Index("ix_referral_from_sent_id", "from_partner_id", "sent_at", "id"),
        # Covers the directory's response record, so it is read from the index alone.
        Index("ix_referral_offer_sent", "offer_id", "sent_at", "status", "responded_at"),
        Index("ix_referral_status_respond_by", "status", "respond_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("learning_offer.id"))
    from_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    to_partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    # Erasing the resident keeps the anonymous referral and its timeline.
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus, 16), default=ReferralStatus.SENT
    )
    # Bumped on every move: a page posted from an old version is told the referral moved on.
    version: Mapped[int] = mapped_column(Integer, default=1)
    shared_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The shared values as they were when sent (display text); emptied on withdrawal.
    snapshot: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    consent_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(String(500))
    sms_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(String(500))
    not_completed_reason: Mapped[NotCompletedReason | None] = mapped_column(
        enum_type(NotCompletedReason, 24)
    )

    offer: Mapped[Offer] = relationship()
    from_partner: Mapped[Partner] = relationship(foreign_keys=[from_partner_id])
    to_partner: Mapped[Partner] = relationship(foreign_keys=[to_partner_id])
    resident: Mapped[Resident | None] = relationship()
    referred_by: Mapped[User | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        order_by="(ReferralEvent.at, ReferralEvent.id)",
    )

    # -- the status machine -------------------------------------------------------------

    def can_move_to(self, target: ReferralStatus) -> bool:
        return target in ALLOWED_MOVES[self.status]

    def _move(self, target: ReferralStatus, *, at: datetime) -> None:
        if not self.can_move_to(target):
            raise ConflictError(
                f"A referral that is {self.status.value} cannot be marked {target.value}. "
                "The referral has moved on: reload the page to see where it is now."
            )
        self.status = target
        self.version = (self.version or 1) + 1
        if target in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
            self.responded_at = at
        if target not in OPEN_STATUSES:
            self.closed_at = at

    def accept(self, *, at: datetime | None = None) -> None:
        self._move(ReferralStatus.ACCEPTED, at=at or utcnow())

    def decline(self, *, reason: str, at: datetime | None = None) -> None:
        self._move(ReferralStatus.DECLINED, at=at or utcnow())
        self.decline_reason = reason

    def enrol(self, *, at: datetime | None = None) -> None:
        self._move(ReferralStatus.ENROLLED, at=at or utcnow())

    def complete(self, *, at: datetime | None = None) -> None:
        self._move(ReferralStatus.COMPLETED, at=at or utcnow())

    def mark_not_completed(self, *, reason: NotCompletedReason, at: datetime | None = None
                           ) -> None:
        self._move(ReferralStatus.NOT_COMPLETED, at=at or utcnow())
        self.not_completed_reason = reason

    def withdraw(self, *, at: datetime | None = None) -> None:
        self._move(ReferralStatus.WITHDRAWN, at=at or utcnow())
        # Nothing personal stays with the receiving partner once the referral is withdrawn.
        self.snapshot = {}

    # -- what each side may see ---------------------------------------------------------

    @property
    def sharing_withdrawn(self) -> bool:
        """True once the resident withdraws a referral-sharing consent after this was sent.

        Hidden from then on, even if they consent again later: a new consent covers new
        referrals, not this one. An erased resident counts as withdrawn.
        """
        if self.resident is None:
            return True
        return any(
            c.kind == ConsentKind.REFERRAL_SHARING
            and c.withdrawn_at is not None
            and c.withdrawn_at >= self.sent_at
            for c in self.resident.consents
        )

    @property
    def personal_fields_visible(self) -> bool:
        """Whether the receiving partner may see the shared fields now."""
        return self.status is not ReferralStatus.WITHDRAWN and not self.sharing_withdrawn

    def shared_values(self) -> list[tuple[str, str]]:
        """(label, value) of each shared field, or nothing when sharing has ended."""
        if not self.personal_fields_visible:
            return []
        snap: dict[str, Any] = self.snapshot or {}
        return [(FIELD_LABELS.get(k, k), str(v)) for k, v in snap.items() if v not in (None, "")]

    def is_stale(self, now: datetime | None = None) -> bool:
        """No response within the offer's committed time."""
        return self.status is ReferralStatus.SENT and self.respond_by < (now or utcnow())

    def __repr__(self) -> str:
        return f"<Referral {self.id} {self.status.value}>"


class ReferralEvent(Base):
    """One line of the timeline both partners see: who did what, when (never personal data)."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    status: Mapped[ReferralStatus] = mapped_column(enum_type(ReferralStatus, 16))
    reason: Mapped[str | None] = mapped_column(String(500))

    referral: Mapped[Referral] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()
    partner: Mapped[Partner | None] = relationship()
