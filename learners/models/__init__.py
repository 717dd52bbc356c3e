"""Learners models: offers, referrals and the Digital Retraining Fund."""

from learners.models.fund import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    FundRound,
    Grant,
    OutcomeKind,
    WithdrawalReason,
)
from learners.models.offers import (
    PRIORITY_GROUP_NAMES,
    PRIORITY_GROUPS,
    Delivery,
    Offer,
    OfferKind,
    OfferLevel,
)
from learners.models.referrals import (
    SHAREABLE_FIELD_NAMES,
    SHAREABLE_FIELDS,
    NotCompletedReason,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

__all__ = [
    "PRIORITY_GROUPS",
    "PRIORITY_GROUP_NAMES",
    "SHAREABLE_FIELDS",
    "SHAREABLE_FIELD_NAMES",
    "Cohort",
    "Delivery",
    "Enrolment",
    "EnrolmentStatus",
    "FundRound",
    "Grant",
    "NotCompletedReason",
    "Offer",
    "OfferKind",
    "OfferLevel",
    "OutcomeKind",
    "Referral",
    "ReferralEvent",
    "ReferralStatus",
    "WithdrawalReason",
]
