"""Retraining-fund rules: rounds, grants, cohorts, enrolments, milestone payments, yearly count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select

from inclusion import audit
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db
from inclusion.outcomes import FactKind, OutcomeFact, record_fact
from inclusion.outcomes.disclosure import Published, publish
from inclusion.residents.models import Resident
from inclusion.tenancy import Partner
from learners.models import (
    PRIORITY_GROUP_NAMES,
    Cohort,
    Delivery,
    Enrolment,
    EnrolmentStatus,
    FundRound,
    Grant,
    OutcomeKind,
    Referral,
    ReferralStatus,
    WithdrawalReason,
)
from learners.models.referrals import NotCompletedReason
from learners.services import referrals as referral_services

PENNY = Decimal("0.01")
HUNDRED = Decimal("100")

# People retrained a year (completions by fund year, April to March): 3,000 rising to 5,000.
RETRAINING_TARGETS: dict[int, int] = {2024: 3000, 2025: 4000, 2026: 5000}
DEFAULT_RETRAINING_TARGET = 5000


def fund_year_of(day: date) -> int:
    """The fund year a date falls in, named by the year it starts (April to March)."""
    return day.year if day.month >= 4 else day.year - 1


def fund_year_label(year: int) -> str:
    return f"April {year} to March {year + 1}"


# -- rounds and grants (system admins) ---------------------------------------------------


def _check_round(values: dict[str, Any]) -> None:
    if not (values.get("name") or "").strip():
        raise ValidationError("Enter a name for the round", field="name")
    if values["closes_on"] < values["opens_on"]:
        raise ValidationError("The closing date must be on or after the opening date",
                              field="closes_on")
    if values["budget"] <= 0:
        raise ValidationError("The budget must be more than £0", field="budget")
    percents = [values["start_percent"], values["completion_percent"], values["outcome_percent"]]
    if any(p < 0 or p > 100 for p in percents):
        raise ValidationError("Each milestone must be between 0% and 100%",
                              field="start_percent")
    if sum(percents) != HUNDRED:
        raise ValidationError(
            f"The milestone percentages must add up to 100 (they add up to {sum(percents)})",
            field="start_percent",
        )
    if any(g not in PRIORITY_GROUP_NAMES for g in values.get("priority_groups", [])):
        raise ValidationError("Select priority groups from the list", field="priority_groups")


def save_round(*, fund_round: FundRound | None, values: dict[str, Any]) -> FundRound:
    """Create a fund round (fund_round None) or change one. Raises ValidationError/ConflictError."""
    _check_round(values)
    name = values["name"].strip()
    clash = db.session.scalar(select(FundRound.id).where(FundRound.name == name))
    if clash is not None and (fund_round is None or clash != fund_round.id):
        raise ConflictError("A round with that name already exists", field="name")
    is_new = fund_round is None
    fund_round = fund_round or FundRound()
    for key, value in values.items():
        setattr(fund_round, key, value.strip() if isinstance(value, str) else value)
    db.session.add(fund_round)
    db.session.flush()
    audit.record("fund round created" if is_new else "fund round changed",
                 entity_type="fund_round", entity_id=fund_round.id, fields=values.keys())
    return fund_round


def save_grant(*, grant: Grant | None, fund_round: FundRound, values: dict[str, Any]) -> Grant:
    """Create or change a grant in a round. Raises ValidationError/ConflictError."""
    if not (values.get("reference") or "").strip():
        raise ValidationError("Enter the grant reference", field="reference")
    if values["value"] <= 0:
        raise ValidationError("The grant value must be more than £0", field="value")
    if min(values["target_starts"], values["target_completions"],
           values["target_outcomes"]) < 0:
        raise ValidationError("Targets cannot be negative", field="target_starts")
    if values["target_starts"] < 1:
        raise ValidationError("Contract at least one start", field="target_starts")
    if values["target_completions"] > values["target_starts"]:
        raise ValidationError("Completions cannot be more than starts",
                              field="target_completions")
    if values["target_outcomes"] > values["target_completions"]:
        raise ValidationError("Outcomes cannot be more than completions",
                              field="target_outcomes")
    partner = db.session.get(Partner, values["partner_id"])
    if partner is None or not partner.active:
        raise ValidationError("Select the provider", field="partner_id")
    committed = Decimal(db.session.scalar(
        select(func.coalesce(func.sum(Grant.value), 0)).where(
            Grant.round_id == fund_round.id, Grant.id != (grant.id if grant else -1)
        )
    ) or 0)
    if committed + values["value"] > fund_round.budget:
        raise ValidationError(
            f"That takes the round over its budget of £{fund_round.budget:,.2f} "
            f"(£{committed:,.2f} is already granted)",
            field="value",
        )
    reference = values["reference"].strip()
    clash = db.session.scalar(select(Grant.id).where(Grant.round_id == fund_round.id,
                                                     Grant.reference == reference))
    if clash is not None and (grant is None or clash != grant.id):
        raise ConflictError("A grant with that reference already exists in this round",
                            field="reference")
    is_new = grant is None
    grant = grant or Grant(round_id=fund_round.id)
    for key, value in values.items():
        setattr(grant, key, value.strip() if isinstance(value, str) else value)
    db.session.add(grant)
    db.session.flush()
    audit.record("grant created" if is_new else "grant changed", entity_type="fund_grant",
                 entity_id=grant.id, fields=values.keys())
    return grant


# -- delivery and payments ---------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    name: str
    percent: Decimal
    pot: Decimal
    achieved: int
    target: int
    earned: Decimal


@dataclass(frozen=True)
class GrantDelivery:
    enrolled: int
    starts: int
    completions: int
    outcomes: int
    withdrawn: int
    milestones: tuple[Milestone, ...]

    @property
    def earned(self) -> Decimal:
        return sum((m.earned for m in self.milestones), Decimal("0.00"))


def milestone_pots(value: Decimal, percents: tuple[Decimal, Decimal, Decimal]
                   ) -> tuple[Decimal, Decimal, Decimal]:
    """Split a grant value into start, completion and outcome pots, exact to the penny.

    The first two are rounded half-up; the outcome pot takes the remainder, so the three
    always add up to the grant value.
    """
    start = (value * percents[0] / HUNDRED).quantize(PENNY, rounding=ROUND_HALF_UP)
    completion = (value * percents[1] / HUNDRED).quantize(PENNY, rounding=ROUND_HALF_UP)
    return start, completion, value - start - completion


def earned_from(pot: Decimal, achieved: int, target: int) -> Decimal:
    """Payment earned from a pot: pro rata per learner up to the target, rounded down to the
    penny (never overpaid); the whole pot once the target is met."""
    if target <= 0 or achieved <= 0:
        return Decimal("0.00")
    if achieved >= target:
        return pot
    return (pot * achieved / target).quantize(PENNY, rounding=ROUND_DOWN)


def grant_delivery(grant: Grant) -> GrantDelivery:
    """Delivery against contract and milestone payments earned to date (counts, no people)."""
    row = db.session.execute(
        select(
            func.count(Enrolment.id),
            func.count(Enrolment.started_on),
            func.count(Enrolment.completed_on),
            func.sum(case(
                (Enrolment.outcome_3_months.in_([k for k in OutcomeKind
                                                 if k is not OutcomeKind.NONE]), 1),
                (Enrolment.outcome_6_months.in_([k for k in OutcomeKind
                                                 if k is not OutcomeKind.NONE]), 1),
                else_=0,
            )),
            func.sum(case((Enrolment.status == EnrolmentStatus.WITHDRAWN, 1), else_=0)),
        ).join(Cohort, Cohort.id == Enrolment.cohort_id).where(Cohort.grant_id == grant.id)
    ).one()
    enrolled, starts, completions = int(row[0]), int(row[1]), int(row[2])
    outcomes, withdrawn = int(row[3] or 0), int(row[4] or 0)
    fund_round = grant.round
    percents = (Decimal(fund_round.start_percent), Decimal(fund_round.completion_percent),
                Decimal(fund_round.outcome_percent))
    pots = milestone_pots(Decimal(grant.value), percents)
    names = ("Start", "Completion", "Job or progression outcome")
    achieved = (starts, completions, outcomes)
    targets = (grant.target_starts, grant.target_completions, grant.target_outcomes)
    milestones = tuple(
        Milestone(names[i], percents[i], pots[i], achieved[i], targets[i],
                  earned_from(pots[i], achieved[i], targets[i]))
        for i in range(3)
    )
    return GrantDelivery(enrolled, starts, completions, outcomes, withdrawn, milestones)


def people_count(count: int) -> str:
    """A count of people as a coalition lead may see it: through the disclosure rule."""
    return publish(count).text


@dataclass(frozen=True)
class YearCount:
    year: int
    completions: int
    target: int

    @property
    def label(self) -> str:
        return fund_year_label(self.year)

    @property
    def published(self) -> Published:
        """The count as it may be shown outside the provider (disclosure-controlled)."""
        return publish(self.completions)


def retrained_by_year() -> list[YearCount]:
    """People retrained (cohort completion facts) per fund year, against the yearly target.

    A person who completes twice in one year counts once that year.
    """
    rows = db.session.execute(
        select(OutcomeFact.occurred_on, OutcomeFact.resident_key)
        .where(OutcomeFact.kind == FactKind.COHORT_COMPLETION).distinct()
    ).all()
    people: dict[int, set[str]] = defaultdict(set)
    for occurred_on, resident_key in rows:
        people[fund_year_of(occurred_on)].add(resident_key)
    return [
        YearCount(year, len(people[year]),
                  RETRAINING_TARGETS.get(year, DEFAULT_RETRAINING_TARGET))
        for year in sorted(people, reverse=True)
    ]


# -- cohorts and enrolments (the provider) -----------------------------------------------


def save_cohort(*, cohort: Cohort | None, grant: Grant, values: dict[str, Any]) -> Cohort:
    """Create or change a cohort under the provider's grant. Raises ValidationError."""
    if not (values.get("course") or "").strip():
        raise ValidationError("Enter the course", field="course")
    if values["ends_on"] < values["starts_on"]:
        raise ValidationError("The end date must be on or after the start date", field="ends_on")
    if values["places"] < 1:
        raise ValidationError("Places must be 1 or more", field="places")
    if values["delivery"] in (Delivery.IN_PERSON, Delivery.BLENDED) and not (
        values.get("location") or ""
    ).strip():
        raise ValidationError("Enter where the cohort meets", field="location")
    is_new = cohort is None
    cohort = cohort or Cohort(grant_id=grant.id, partner_id=grant.partner_id)
    for key, value in values.items():
        setattr(cohort, key, value.strip() if isinstance(value, str) else value)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort created" if is_new else "cohort changed", entity_type="fund_cohort",
                 entity_id=cohort.id, partner_id=grant.partner_id, fields=values.keys())
    return cohort


def _lock_cohort(cohort_id: int) -> Cohort:
    cohort = db.session.scalar(
        select(Cohort).where(Cohort.id == cohort_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    assert cohort is not None
    return cohort


def enrol(
    *,
    cohort: Cohort,
    on: date,
    user_id: int | None,
    resident: Resident | None = None,
    referral: Referral | None = None,
) -> Enrolment:
    """Enrol a learner: the provider's own resident, or one from a referral it accepted.

    Enrolling from a referral also moves the referral to enrolled. Raises ValidationError or
    ConflictError (cohort full, already enrolled, referral not accepted).
    """
    if (resident is None) == (referral is None):
        raise ValidationError("Choose one learner to enrol", field="learner")
    cohort = _lock_cohort(cohort.id)
    active = sum(1 for e in cohort.enrolments if e.status is not EnrolmentStatus.WITHDRAWN)
    if active >= cohort.places:
        raise ConflictError("This cohort is full", field="learner")
    if resident is not None:
        if resident.partner_id != cohort.partner_id:
            raise ValidationError("Choose one of your own residents", field="learner")
        if any(e.resident_id == resident.id and e.status is not EnrolmentStatus.WITHDRAWN
               for e in cohort.enrolments):
            raise ConflictError("This resident is already enrolled in the cohort",
                                field="learner")
    if referral is not None:
        if referral.to_partner_id != cohort.partner_id:
            raise ValidationError("Choose a referral made to your organisation", field="learner")
        if referral.status is not ReferralStatus.ACCEPTED:
            raise ConflictError("Only an accepted referral can be enrolled", field="learner")
        referral_services.move_referral(
            referral_id=referral.id, move="enrol", acting_partner_id=cohort.partner_id,
            user_id=user_id,
        )
    enrolment = Enrolment(cohort=cohort, partner_id=cohort.partner_id, resident=resident,
                          referral=referral, enrolled_on=on, status=EnrolmentStatus.ENROLLED)
    db.session.add(enrolment)
    db.session.flush()
    audit.record("learner enrolled", entity_type="fund_enrolment", entity_id=enrolment.id,
                 partner_id=cohort.partner_id, user_id=user_id)
    return enrolment


def _round_detail(enrolment: Enrolment) -> str:
    return f"round {enrolment.cohort.grant.round_id}"


def _fact(kind: FactKind, enrolment: Enrolment, on: date, detail: str) -> None:
    learner = enrolment.learner
    if learner is not None:
        record_fact(kind, resident=learner, partner_id=enrolment.partner_id, occurred_on=on,
                    detail=detail)


WITHDRAWAL_TO_REFERRAL = {
    WithdrawalReason.UNABLE_TO_CONTACT: NotCompletedReason.UNABLE_TO_CONTACT,
    WithdrawalReason.FOUND_WORK: NotCompletedReason.NO_LONGER_NEEDED,
}

ENROLMENT_MOVES = ("start", "complete", "withdraw", "outcome-3", "outcome-6")


def move_enrolment(
    *,
    enrolment: Enrolment,
    move: str,
    on: date,
    user_id: int | None,
    reason: WithdrawalReason | None = None,
    outcome: OutcomeKind | None = None,
) -> Enrolment:
    """Record a learner's start, completion, withdrawal (reason) or 3/6-month outcome.

    Keeps a linked referral in step and records the outcome facts. Raises ValidationError or
    ConflictError.
    """
    if move not in ENROLMENT_MOVES:
        raise ValidationError("Unknown action")
    if on < enrolment.enrolled_on:
        raise ValidationError("The date cannot be before the learner enrolled", field="on")
    if move == "start":
        enrolment.mark_started(on=on)
        _fact(FactKind.COHORT_START, enrolment, on, _round_detail(enrolment))
    elif move == "complete":
        if enrolment.started_on and on < enrolment.started_on:
            raise ValidationError("Completion cannot be before the start", field="on")
        enrolment.mark_completed(on=on)
        _fact(FactKind.COHORT_COMPLETION, enrolment, on, _round_detail(enrolment))
        if enrolment.referral is not None and enrolment.referral.status is ReferralStatus.ENROLLED:
            referral_services.move_referral(
                referral_id=enrolment.referral.id, move="complete",
                acting_partner_id=enrolment.partner_id, user_id=user_id)
    elif move == "withdraw":
        if reason is None:
            raise ValidationError("Select why the learner left", field="reason")
        enrolment.withdraw(on=on, reason=reason)
        if enrolment.referral is not None and enrolment.referral.status is ReferralStatus.ENROLLED:
            referral_services.move_referral(
                referral_id=enrolment.referral.id, move="not-completed",
                acting_partner_id=enrolment.partner_id, user_id=user_id,
                not_completed_reason=WITHDRAWAL_TO_REFERRAL.get(reason, NotCompletedReason.OTHER),
            )
    else:
        if outcome is None:
            raise ValidationError("Select the outcome", field="outcome")
        months = 3 if move == "outcome-3" else 6
        enrolment.record_outcome(months=months, kind=outcome)
        kind = FactKind.OUTCOME_3_MONTHS if months == 3 else FactKind.OUTCOME_6_MONTHS
        _fact(kind, enrolment, on, outcome.value)
    db.session.flush()
    audit.record(f"learner {move}", entity_type="fund_enrolment", entity_id=enrolment.id,
                 partner_id=enrolment.partner_id, user_id=user_id, fields=["status"])
    return enrolment
