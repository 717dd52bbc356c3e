"""The Digital Retraining Fund: rounds, grants to providers, cohorts and enrolments."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.exceptions import ConflictError
from inclusion.extensions import Base, Timestamped, enum_type
from inclusion.residents.models import Resident
from inclusion.tenancy import Partner
from learners.models.offers import Delivery
from learners.models.referrals import Referral

DEFAULT_MILESTONES = (Decimal("45"), Decimal("35"), Decimal("20"))


class FundRound(Timestamped, Base):
    __tablename__ = "fund_round"
    __table_args__ = (
        CheckConstraint(
            "start_percent + completion_percent + outcome_percent = 100", name="milestones_sum"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    budget: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    priority_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=DEFAULT_MILESTONES[0])
    completion_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=DEFAULT_MILESTONES[1]
    )
    outcome_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=DEFAULT_MILESTONES[2])

    grants: Mapped[list[Grant]] = relationship(back_populates="round", order_by="Grant.id")


class Grant(Timestamped, Base):
    __tablename__ = "fund_grant"
    __table_args__ = (UniqueConstraint("round_id", "reference", name="uq_fund_grant_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("fund_round.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    target_starts: Mapped[int] = mapped_column(Integer)
    target_completions: Mapped[int] = mapped_column(Integer)
    target_outcomes: Mapped[int] = mapped_column(Integer)

    round: Mapped[FundRound] = relationship(back_populates="grants")
    partner: Mapped[Partner] = relationship()
    cohorts: Mapped[list[Cohort]] = relationship(
        back_populates="grant", order_by="(Cohort.starts_on, Cohort.id)"
    )


class Cohort(Timestamped, Base):
    __tablename__ = "fund_cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("fund_grant.id"), index=True)
    # The grant's provider, copied so the scoping helper applies to cohorts directly.
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    places: Mapped[int] = mapped_column(Integer)
    delivery: Mapped[Delivery] = mapped_column(enum_type(Delivery, 16))
    location: Mapped[str | None] = mapped_column(String(300))

    grant: Mapped[Grant] = relationship(back_populates="cohorts")
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="cohort", order_by="Enrolment.id"
    )


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    STARTED = "started"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class WithdrawalReason(enum.StrEnum):
    FOUND_WORK = "found work"
    HEALTH = "health or disability"
    CARING = "caring responsibilities"
    MOVED_AWAY = "moved away"
    COURSE_NOT_SUITABLE = "course not suitable"
    UNABLE_TO_CONTACT = "unable to contact"
    FINANCIAL = "financial reasons"
    OTHER = "other"


class OutcomeKind(enum.StrEnum):
    IN_WORK = "in work"
    BETTER_JOB = "better job"
    FURTHER_LEARNING = "further learning"
    APPRENTICESHIP = "apprenticeship"
    NONE = "none"


def _outcome_type(name: str) -> Enum:
    # Two outcome columns in one table need CHECK constraints with different names.
    return Enum(OutcomeKind, native_enum=False, length=24, validate_strings=True,
                values_callable=lambda members: [m.value for m in members],
                create_constraint=True, name=name)


POSITIVE_OUTCOMES = frozenset(k for k in OutcomeKind if k is not OutcomeKind.NONE)


class Enrolment(Timestamped, Base):
    """A learner in a cohort: the provider's own resident, or one referred to it.

    Both links may become empty when the person is erased; the enrolment stays, anonymous,
    so delivery counts and payments do not change.
    """

    __tablename__ = "fund_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("fund_cohort.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True
    )
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), unique=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        enum_type(EnrolmentStatus, 16), default=EnrolmentStatus.ENROLLED
    )
    enrolled_on: Mapped[date] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[WithdrawalReason | None] = mapped_column(
        enum_type(WithdrawalReason, 32)
    )
    outcome_3_months: Mapped[OutcomeKind | None] = mapped_column(_outcome_type("outcome_3"))
    outcome_6_months: Mapped[OutcomeKind | None] = mapped_column(_outcome_type("outcome_6"))

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    resident: Mapped[Resident | None] = relationship()
    referral: Mapped[Referral | None] = relationship()

    @property
    def learner(self) -> Resident | None:
        """The person, for facts (never shown to anyone but the provider)."""
        if self.resident is not None:
            return self.resident
        return self.referral.resident if self.referral is not None else None

    def _refuse(self, what: str) -> None:
        raise ConflictError(f"A learner who is {self.status.value} cannot be {what}.")

    def mark_started(self, *, on: date) -> None:
        if self.status is not EnrolmentStatus.ENROLLED:
            self._refuse("marked as started")
        self.status = EnrolmentStatus.STARTED
        self.started_on = on

    def mark_completed(self, *, on: date) -> None:
        if self.status is not EnrolmentStatus.STARTED:
            self._refuse("marked as completed")
        self.status = EnrolmentStatus.COMPLETED
        self.completed_on = on

    def withdraw(self, *, on: date, reason: WithdrawalReason) -> None:
        if self.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.STARTED):
            self._refuse("withdrawn")
        self.status = EnrolmentStatus.WITHDRAWN
        self.withdrawn_on = on
        self.withdrawal_reason = reason

    def record_outcome(self, *, months: int, kind: OutcomeKind) -> None:
        if self.status is not EnrolmentStatus.COMPLETED:
            self._refuse("given an outcome before completing")
        if months == 3:
            if self.outcome_3_months is not None:
                raise ConflictError("The 3-month outcome is already recorded.")
            self.outcome_3_months = kind
        elif months == 6:
            if self.outcome_6_months is not None:
                raise ConflictError("The 6-month outcome is already recorded.")
            self.outcome_6_months = kind
        else:
            raise ValueError("outcomes are recorded at 3 or 6 months")

    @property
    def has_positive_outcome(self) -> bool:
        return bool({self.outcome_3_months, self.outcome_6_months} & POSITIVE_OUTCOMES)
