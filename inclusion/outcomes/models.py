"""The outcome-facts table: one row per thing that happened, holding no personal data."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from inclusion.extensions import Base, Timestamped, UTCDateTime, enum_type, utcnow


class FactKind(enum.StrEnum):
    RESIDENT_REGISTERED = "resident registered"
    ASSESSMENT = "assessment"
    DEVICE_LENT = "device lent"
    DEVICE_GIFTED = "device gifted"
    DEVICE_RETURNED = "device returned"
    DEVICE_RETIRED = "device retired"
    VOUCHER_ISSUED = "voucher issued"
    VOUCHER_DELIVERED = "voucher delivered"
    VOUCHER_REDEEMED = "voucher redeemed"
    VOUCHER_EXPIRED = "voucher expired unredeemed"
    SOCIAL_TARIFF = "social tariff taken up"
    REFERRAL_MADE = "referral made"
    REFERRAL_ACCEPTED = "referral accepted"
    REFERRAL_DECLINED = "referral declined"
    REFERRAL_ENROLLED = "referral enrolled"
    REFERRAL_COMPLETED = "referral completed"
    REFERRAL_NOT_COMPLETED = "referral not completed"
    COHORT_START = "cohort start"
    COHORT_COMPLETION = "cohort completion"
    OUTCOME_3_MONTHS = "outcome at 3 months"
    OUTCOME_6_MONTHS = "outcome at 6 months"


# Bits of OutcomeFact.milestones: this fact is the person's *first* fact of that kind, so a
# person measure is a plain sum over facts (see inclusion.outcomes.milestones).
MOVED_OUT_OF_NON_USE = 1
MOVED_TO_ENGAGED = 2
FIRST_JOB_OUTCOME = 4


class OutcomeFact(Base):
    __tablename__ = "outcome_fact"
    __table_args__ = (
        Index("ix_outcome_fact_kind_date", "kind", "occurred_on"),
        Index("ix_outcome_fact_resident_key", "resident_key"),
        # Person measures look up a person's earlier facts of a kind ("first time this happened").
        Index("ix_outcome_fact_person_kind", "resident_key", "kind", "occurred_on"),
        # Partner views filter by partner and period.
        Index("ix_outcome_fact_partner_date", "partner_id", "occurred_on"),
        # Every count scans one period and reads only these columns, so PostgreSQL can
        # answer from the index alone (after a VACUUM), whatever the breakdown.
        Index("ix_outcome_fact_date_cover", "occurred_on", "kind",
              postgresql_include=["detail", "milestones", "quantity", "partner_id",
                                  "local_authority", "imd_decile", "age_band", "gender",
                                  "ethnic_group", "disability"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FactKind] = mapped_column(enum_type(FactKind, 40))
    occurred_on: Mapped[date] = mapped_column(Date)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    resident_key: Mapped[str] = mapped_column(String(32))
    local_authority: Mapped[str] = mapped_column(String(9))
    age_band: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    ethnic_group: Mapped[str | None] = mapped_column(String(16))
    disability: Mapped[str | None] = mapped_column(String(16))
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    # Kind-specific, never personal: a classification, a device kind, a scheme or fund id.
    detail: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # Set when the fact is flushed (never by callers): which person milestones it marks.
    milestones: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PendingFact(Base):
    """A fact not yet added into outcome_rollup (written with every fact the app records;
    see inclusion.outcomes.rollup). A narrow table, so claiming a batch touches no fact."""

    __tablename__ = "outcome_fact_pending"

    fact_id: Mapped[int] = mapped_column(ForeignKey("outcome_fact.id"), primary_key=True)


class OutcomeRollup(Base):
    """Facts added up by month and a few dimensions, so a year's counts read thousands of rows
    rather than millions (see inclusion.outcomes.rollup).

    Each `grain` keeps the local authority and at most two more dimensions (`value1`,
    `value2`, as text, in the order the grain's name gives them). Unknown values are stored as
    '' rather than NULL so that the primary key can merge them.
    """

    __tablename__ = "outcome_rollup"
    __table_args__ = (
        PrimaryKeyConstraint("grain", "month", "kind", "detail", "milestones",
                             "local_authority", "value1", "value2",
                             name="pk_outcome_rollup"),
    )

    grain: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)
    kind: Mapped[FactKind] = mapped_column(enum_type(FactKind, 40))
    detail: Mapped[str] = mapped_column(String(64))
    milestones: Mapped[int] = mapped_column(Integer)
    local_authority: Mapped[str] = mapped_column(String(9))
    value1: Mapped[str] = mapped_column(String(16))
    value2: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(BigInteger)
    facts: Mapped[int] = mapped_column(BigInteger)


REGION = "REGION"


class Target(Timestamped, Base):
    """A number a measure should reach over a period, for the region or one local authority."""

    __tablename__ = "outcome_target"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_in_order"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure: Mapped[str] = mapped_column(String(40))
    # REGION for the whole coalition area, otherwise a local authority's ONS code.
    area: Mapped[str] = mapped_column(String(9), default=REGION)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[int | None] = mapped_column(Integer)
    # How the value was worked out (e.g. from a population figure), shown beside it.
    note: Mapped[str | None] = mapped_column(String(300))
