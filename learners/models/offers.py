"""Learning offers that any partner publishes: courses and support others can refer to."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.extensions import Base, Timestamped, enum_type
from inclusion.reference import AUTHORITY_NAMES
from inclusion.tenancy import Partner


class OfferKind(enum.StrEnum):
    DIGITAL_CHAMPION = "basic digital skills with a digital champion"
    EDS_QUALIFICATION = "Essential Digital Skills qualification"
    CODING_BOOTCAMP = "coding bootcamp"
    CYBER_BOOTCAMP = "cyber bootcamp"
    APPRENTICESHIP = "apprenticeship"
    ONE_TO_ONE = "one-to-one help"


class OfferLevel(enum.StrEnum):
    NONE = "no qualification"
    ENTRY = "entry level"
    LEVEL_1 = "level 1"
    LEVEL_2 = "level 2"
    LEVEL_3 = "level 3"
    LEVEL_4_PLUS = "level 4 or above"


class Delivery(enum.StrEnum):
    IN_PERSON = "in person"
    ONLINE = "online"
    BLENDED = "blended"


# The fund's priority groups, also used as an offer's target groups.
PRIORITY_GROUPS: tuple[tuple[str, str], ...] = (
    ("women", "Women"),
    ("ethnic-minorities", "Ethnic minorities"),
    ("care-leavers", "Care leavers"),
    ("refugees", "Refugees"),
    ("autistic-young-people", "Autistic young people"),
    ("low-paid-work", "People in low-paid work"),
    ("redundancy-risk", "People at risk of redundancy"),
    ("older-people", "Older people"),
    ("disabled-people", "Disabled people"),
)
PRIORITY_GROUP_NAMES = dict(PRIORITY_GROUPS)


def pack_codes(codes: list[str]) -> str:
    """Codes stored as '|a|b|', so "covers code X" is one portable LIKE on any backend."""
    return "|" + "|".join(sorted(set(codes))) + "|" if codes else ""


def unpack_codes(value: str | None) -> list[str]:
    return [c for c in (value or "").split("|") if c]


class Offer(Timestamped, Base):
    __tablename__ = "learning_offer"
    __table_args__ = (
        Index("ix_learning_offer_active_kind", "active", "kind"),
        Index("ix_learning_offer_partner", "partner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OfferKind] = mapped_column(enum_type(OfferKind, 48))
    level: Mapped[OfferLevel] = mapped_column(enum_type(OfferLevel, 24))
    delivery: Mapped[Delivery] = mapped_column(enum_type(Delivery, 16))
    place: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    # '|E08000025|E08000026|' and '|women|refugees|': see pack_codes.
    authorities_packed: Mapped[str] = mapped_column(String(200), default="")
    target_groups_packed: Mapped[str] = mapped_column(String(300), default="")
    eligibility_notes: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Up to three next start dates; the latest is kept in a column so it can be filtered.
    start_dates_text: Mapped[str] = mapped_column(String(40), default="")
    latest_start_on: Mapped[date | None] = mapped_column(Date, index=True)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean, default=True)
    response_days: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    partner: Mapped[Partner] = relationship()

    @property
    def authorities(self) -> list[str]:
        return unpack_codes(self.authorities_packed)

    @authorities.setter
    def authorities(self, codes: list[str]) -> None:
        self.authorities_packed = pack_codes(codes)

    @property
    def authority_names(self) -> list[str]:
        return [AUTHORITY_NAMES.get(c, c) for c in self.authorities]

    @property
    def target_groups(self) -> list[str]:
        return unpack_codes(self.target_groups_packed)

    @target_groups.setter
    def target_groups(self, codes: list[str]) -> None:
        self.target_groups_packed = pack_codes(codes)

    @property
    def target_group_names(self) -> list[str]:
        return [PRIORITY_GROUP_NAMES.get(c, c) for c in self.target_groups]

    @property
    def start_dates(self) -> list[date]:
        return [date.fromisoformat(s) for s in unpack_codes(self.start_dates_text)]

    @start_dates.setter
    def start_dates(self, dates: list[date]) -> None:
        ordered = sorted(set(dates))
        self.start_dates_text = pack_codes([d.isoformat() for d in ordered])
        self.latest_start_on = ordered[-1] if ordered else None

    def next_start_on(self, today: date) -> date | None:
        return next((d for d in self.start_dates if d >= today), None)

    def __repr__(self) -> str:
        return f"<Offer {self.id}>"
