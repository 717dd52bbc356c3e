"""Partners and memberships: who acts for which organisation, and the one scoping helper."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from flask import abort, g
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import Select

from inclusion.extensions import Base, Timestamped, db, enum_type
from inclusion.reference import AUTHORITY_NAMES

if TYPE_CHECKING:
    from inclusion.auth.models import User


class PartnerKind(enum.StrEnum):
    LOCAL_AUTHORITY = "local authority"
    CHARITY = "charity"
    COMMUNITY_GROUP = "community group"
    LIBRARY = "library"
    HOUSING_ASSOCIATION = "housing association"
    TRAINING_PROVIDER = "training provider"
    COLLEGE = "college"
    NETWORK = "network"
    DONOR = "donor"


class PartnerRole(enum.StrEnum):
    STAFF = "staff"
    PARTNER_ADMIN = "partner admin"


class Partner(Timestamped, Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[PartnerKind] = mapped_column(enum_type(PartnerKind))
    # ONS codes of the authorities served (see inclusion.reference).
    authorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    agreement_version: Mapped[str | None] = mapped_column(String(32))
    agreement_signed_on: Mapped[date | None] = mapped_column(Date)
    # Lending defaults that later packages read (weeks a loan runs by default).
    default_loan_weeks: Mapped[int] = mapped_column(Integer, default=12)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )

    @property
    def authority_names(self) -> list[str]:
        return [AUTHORITY_NAMES.get(code, code) for code in self.authorities or []]

    def __repr__(self) -> str:
        return f"<Partner {self.id}>"


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "partner_id", name="uq_membership_user_partner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    role: Mapped[PartnerRole] = mapped_column(enum_type(PartnerRole))

    user: Mapped[User] = relationship(back_populates="memberships")
    partner: Mapped[Partner] = relationship(back_populates="memberships")


M = TypeVar("M", bound=Base)


def current_partner() -> Partner | None:
    """The partner the signed-in user is acting for in this request, if any."""
    return g.get("partner")


def current_partner_id() -> int:
    """The acting partner's id; 404 when nobody is acting for a partner."""
    partner = current_partner()
    if partner is None:
        abort(404)
    return partner.id


def scoped(model: type[M]) -> Select[M]:
    """`select(model)` limited to the acting partner's records: written once, used everywhere."""
    return select(model).where(model.partner_id == current_partner_id())  # type: ignore[attr-defined]


def get_scoped_or_404(model: type[M], record_id: Any) -> M:
    """Load one of the acting partner's records, or answer 404 (never 403) for anyone else's."""
    try:
        key = int(record_id)
    except (TypeError, ValueError):
        abort(404)
    query = scoped(model).where(model.id == key)  # type: ignore[attr-defined]
    record = db.session.scalar(query)
    if record is None:
        abort(404)
    return record
