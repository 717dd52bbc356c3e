"""The published measures: what each counts, from which facts, in plain English."""

from __future__ import annotations

from dataclasses import dataclass

from inclusion.outcomes.models import (
    FIRST_JOB_OUTCOME,
    MOVED_OUT_OF_NON_USE,
    MOVED_TO_ENGAGED,
    FactKind,
)

FIRST_NON_USER = "first:non-user"
FIRST_LIMITED = "first:limited user"
FOLLOW_UP_LIMITED = "follow-up:limited user"
FOLLOW_UP_ENGAGED = "follow-up:engaged user"
NO_OUTCOME = "none"


@dataclass(frozen=True)
class Measure:
    """One published count.

    An *event* measure adds up the quantity of matching facts in the period. A *person* measure
    counts each person (by resident key) once, on the date of their first matching fact, and only
    when an earlier fact shows where they started (``starts_from``); so moving back and forth
    between classifications never counts anyone twice.
    """

    key: str
    label: str
    definition: str
    unit: str
    kinds: tuple[FactKind, ...]
    detail_in: tuple[str, ...] | None = None
    detail_not_in: tuple[str, ...] | None = None
    person: bool = False
    starts_from: tuple[str, ...] | None = None
    # For a person measure: the OutcomeFact.milestones bit marking the person's first fact.
    milestone: int = 0


MEASURES: tuple[Measure, ...] = (
    Measure(
        "residents_supported", "Residents supported",
        "People registered by a partner in the period.", "people",
        (FactKind.RESIDENT_REGISTERED,),
    ),
    Measure(
        "non_users_supported", "Non-users supported",
        "People registered in the period whose first assessment found no internet use in the "
        "last three months.", "people",
        (FactKind.ASSESSMENT,), detail_in=(FIRST_NON_USER,),
    ),
    Measure(
        "moved_out_of_non_use", "People moved out of non-use",
        "People whose first assessment found them a non-user and a later assessment found them "
        "a limited or engaged user. Each person counts once, in the period of the first "
        "assessment that showed the change.", "people",
        (FactKind.ASSESSMENT,), detail_in=(FOLLOW_UP_LIMITED, FOLLOW_UP_ENGAGED),
        person=True, starts_from=(FIRST_NON_USER,), milestone=MOVED_OUT_OF_NON_USE,
    ),
    Measure(
        "moved_to_engaged", "People moved to engaged use",
        "People whose first assessment found them a non-user or limited user and a later "
        "assessment found them doing every foundation task unaided. Each person counts once.",
        "people",
        (FactKind.ASSESSMENT,), detail_in=(FOLLOW_UP_ENGAGED,),
        person=True, starts_from=(FIRST_NON_USER, FIRST_LIMITED), milestone=MOVED_TO_ENGAGED,
    ),
    Measure(
        "devices_lent", "Devices lent", "Devices handed over on loan in the period.", "devices",
        (FactKind.DEVICE_LENT,),
    ),
    Measure(
        "devices_gifted", "Devices gifted",
        "Devices given to keep in the period, including loans turned into gifts.", "devices",
        (FactKind.DEVICE_GIFTED,),
    ),
    Measure(
        "devices_provided", "Devices lent or gifted",
        "Devices lent plus devices gifted (a loan later turned into a gift counts in both).",
        "devices", (FactKind.DEVICE_LENT, FactKind.DEVICE_GIFTED),
    ),
    Measure(
        "vouchers_issued", "Connectivity vouchers issued",
        "Voucher codes (free SIMs, data, social tariff offers) issued to residents.", "vouchers",
        (FactKind.VOUCHER_ISSUED,),
    ),
    Measure(
        "vouchers_delivered", "Vouchers delivered",
        "Voucher codes whose text message the network confirmed as delivered.", "vouchers",
        (FactKind.VOUCHER_DELIVERED,),
    ),
    Measure(
        "vouchers_redeemed", "Vouchers redeemed",
        "Voucher codes the provider reported as used.", "vouchers",
        (FactKind.VOUCHER_REDEEMED,),
    ),
    Measure(
        "social_tariff", "Social tariff take-up",
        "Residents who took up a broadband or mobile social tariff.", "people",
        (FactKind.SOCIAL_TARIFF,),
    ),
    Measure(
        "referrals_made", "Referrals made", "Referrals sent to a learning or support offer.",
        "referrals", (FactKind.REFERRAL_MADE,),
    ),
    Measure(
        "referrals_accepted", "Referrals accepted",
        "Referrals the receiving partner accepted.", "referrals",
        (FactKind.REFERRAL_ACCEPTED,),
    ),
    Measure(
        "referrals_completed", "Referrals completed",
        "Referrals where the resident completed the course or support.", "referrals",
        (FactKind.REFERRAL_COMPLETED,),
    ),
    Measure(
        "retraining_starts", "Retraining starts",
        "People who started a Digital Retraining Fund cohort.", "people",
        (FactKind.COHORT_START,),
    ),
    Measure(
        "retraining_completions", "Retraining completions",
        "People who completed a Digital Retraining Fund cohort.", "people",
        (FactKind.COHORT_COMPLETION,),
    ),
    Measure(
        "job_outcomes", "Job or progression outcomes",
        "People with a job, better job or further learning recorded at the three or six "
        "month follow-up after retraining. Each person counts once, at the first such outcome.",
        "people",
        (FactKind.OUTCOME_3_MONTHS, FactKind.OUTCOME_6_MONTHS),
        detail_not_in=(NO_OUTCOME,), person=True, milestone=FIRST_JOB_OUTCOME,
    ),
)

MEASURE_BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}
PERSON_MEASURES = tuple(m for m in MEASURES if m.person)
