"""Demo learning offers, referrals in every status, a fund round with grants, cohorts and learners.

Everything goes through the package's services, so audit entries, referral timelines and
outcome facts are what real use would leave behind. Registered with `inclusion.demo`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from inclusion import demo
from inclusion.extensions import db
from inclusion.residents.models import ConsentKind, Resident
from inclusion.tenancy import Partner, PartnerKind
from learners import bp
from learners.models import (
    Delivery,
    EnrolmentStatus,
    NotCompletedReason,
    Offer,
    OfferKind,
    OfferLevel,
    OutcomeKind,
    Referral,
    WithdrawalReason,
)
from learners.services import fund as fund_services
from learners.services import offers as offer_services
from learners.services import referrals as referral_services

PROVIDER_KINDS = (PartnerKind.TRAINING_PROVIDER, PartnerKind.COLLEGE, PartnerKind.LIBRARY)
OFFERS: tuple[tuple[str, OfferKind, OfferLevel, Delivery], ...] = (
    ("Get online with a digital champion", OfferKind.DIGITAL_CHAMPION, OfferLevel.NONE,
     Delivery.IN_PERSON),
    ("Essential Digital Skills (entry level)", OfferKind.EDS_QUALIFICATION, OfferLevel.ENTRY,
     Delivery.BLENDED),
    ("Twelve-week coding bootcamp", OfferKind.CODING_BOOTCAMP, OfferLevel.LEVEL_3,
     Delivery.ONLINE),
    ("Cyber security bootcamp", OfferKind.CYBER_BOOTCAMP, OfferLevel.LEVEL_3, Delivery.BLENDED),
    ("One-to-one help with your phone", OfferKind.ONE_TO_ONE, OfferLevel.NONE,
     Delivery.IN_PERSON),
)
# Where each demo referral ends up: every status, and two left unanswered past their time.
REFERRAL_PLAN: tuple[str, ...] = (
    "sent", "stale", "accepted", "declined", "enrolled", "completed", "not completed",
    "withdrawn", "sent", "accepted", "completed", "stale",
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), tzinfo=UTC)


def _offers(providers: list[Partner], rng: random.Random, today: date) -> list[Offer]:
    offers = []
    for index, partner in enumerate(providers):
        for title, kind, level, delivery in rng.sample(OFFERS, 2 if index % 2 == 0 else 1):
            offers.append(offer_services.create_offer(partner_id=partner.id, values={
                "title": title, "kind": kind, "level": level, "delivery": delivery,
                "place": None if delivery is Delivery.ONLINE else f"{partner.name}, main site",
                "summary": f"{title}, free for residents referred by coalition partners.",
                "authorities": list(partner.authorities),
                "target_groups": rng.sample(["women", "older-people", "refugees",
                                             "low-paid-work", "disabled-people"], 2),
                "eligibility_notes": None,
                "capacity": rng.choice([None, 12, 20]),
                "start_dates": [today + timedelta(days=d) for d in (14, 42)],
                "accepts_referrals": True,
                "response_days": rng.choice([5, 7, 10]),
                "active": True,
            }))
    # The service strips text values, which turns str-based enums into plain strings until
    # the row is read back; read them back so the objects hold their enums.
    for offer in offers:
        db.session.refresh(offer)
    return offers


def seed_learning(*, partners: list[Partner], rng: random.Random) -> None:
    """Offers from the providers, referrals to them, a fund round, grants, cohorts, learners."""
    today = date.today()
    providers = [p for p in partners if p.kind in PROVIDER_KINDS]
    if not providers:
        return
    offers = _offers(providers, rng, today)
    fund_round = fund_services.save_round(fund_round=None, values={
        "name": f"Digital Retraining Fund {today.year}", "opens_on": today - timedelta(days=200),
        "closes_on": today + timedelta(days=165), "budget": Decimal("750000.00"),
        "priority_groups": ["women", "care-leavers", "low-paid-work"],
        "start_percent": Decimal("45"), "completion_percent": Decimal("35"),
        "outcome_percent": Decimal("20"),
    })
    funded = [p for p in providers if p.kind is not PartnerKind.LIBRARY][:3] or providers[:1]
    cohorts = {}
    for index, partner in enumerate(funded, start=1):
        grant = fund_services.save_grant(grant=None, fund_round=fund_round, values={
            "reference": f"DRF-{today.year}-{index:03d}", "partner_id": partner.id,
            "value": Decimal("120000.00"), "target_starts": 30, "target_completions": 24,
            "target_outcomes": 15,
        })
        cohorts[partner.id] = fund_services.save_cohort(cohort=None, grant=grant, values={
            "course": rng.choice(["Software development foundations", "Cyber security analyst",
                                  "Data skills for work"]),
            "starts_on": today - timedelta(days=120), "ends_on": today - timedelta(days=10),
            "places": 20, "delivery": Delivery.BLENDED,
            "location": f"{partner.name}, main site",
        })
        db.session.refresh(cohorts[partner.id])
    _referrals(partners, offers, cohorts, rng, today)
    _own_learners(cohorts, rng, today)


def _consenting(partners: list[Partner]) -> list[Resident]:
    ids = [p.id for p in partners]
    residents = db.session.scalars(
        select(Resident).where(Resident.partner_id.in_(ids)).order_by(Resident.id)
    ).all()
    return [r for r in residents if r.has_consent(ConsentKind.REFERRAL_SHARING)]


def _referrals(partners: list[Partner], offers: list[Offer], cohorts: dict, rng: random.Random,
               today: date) -> None:
    funded_offers = [o for o in offers if o.partner_id in cohorts]
    others = [o for o in offers if o.partner_id not in cohorts] or offers
    candidates = _consenting(partners)
    used: set[int] = set()
    for index, outcome in enumerate(REFERRAL_PLAN):
        needs_cohort = outcome in ("enrolled", "completed", "not completed")
        pool = funded_offers if needs_cohort and funded_offers else others
        offer = pool[index % len(pool)]
        resident = next((r for r in candidates
                         if r.id not in used and r.partner_id != offer.partner_id), None)
        if resident is None:
            return
        used.add(resident.id)
        sent_on = today - timedelta(days=(40 if outcome != "sent" else 2) + index)
        referral = referral_services.send_referral(
            offer=offer, resident=resident, from_partner_id=resident.partner_id, user_id=None,
            shared_fields=rng.sample(["postcode", "age_band", "preferred_language",
                                      "employment_status", "digital_engagement"], 3),
            note="Keen to build skills for work; prefers mornings.", now=_at(sent_on),
        )
        if outcome in ("sent", "stale"):
            continue
        to = offer.partner_id

        def move(name: str, days: int, referral: Referral = referral, sent_on: date = sent_on,
                 by: int = to, referrer: int = resident.partner_id, **extra: Any) -> None:
            referral_services.move_referral(
                referral_id=referral.id, move=name, user_id=None,
                now=_at(sent_on + timedelta(days=days)),
                acting_partner_id=referrer if name == "withdraw" else by, **extra,
            )

        if outcome == "withdrawn":
            move("withdraw", 3)
            continue
        if outcome == "declined":
            move("decline", 2, reason="The course is full until the spring.")
            continue
        move("accept", 2)
        if outcome == "accepted":
            continue
        cohort = cohorts.get(to)
        if cohort is None:
            move("enrol", 9)
            if outcome == "completed":
                move("complete", 30)
            elif outcome == "not completed":
                move("not-completed", 30, not_completed_reason=NotCompletedReason.OTHER)
            continue
        enrolled_on = sent_on + timedelta(days=5)
        enrolment = fund_services.enrol(cohort=cohort, on=enrolled_on, user_id=None,
                                        referral=referral)
        fund_services.move_enrolment(enrolment=enrolment, move="start",
                                     on=enrolled_on + timedelta(days=2), user_id=None)
        if outcome == "completed":
            fund_services.move_enrolment(enrolment=enrolment, move="complete",
                                         on=enrolled_on + timedelta(days=30), user_id=None)
        elif outcome == "not completed":
            fund_services.move_enrolment(enrolment=enrolment, move="withdraw",
                                         on=enrolled_on + timedelta(days=12), user_id=None,
                                         reason=WithdrawalReason.FOUND_WORK)


def _own_learners(cohorts: dict, rng: random.Random, today: date) -> None:
    """Each funded provider also enrols some of its own residents, at every stage."""
    for partner_id, cohort in cohorts.items():
        residents = db.session.scalars(
            select(Resident).where(Resident.partner_id == partner_id).order_by(Resident.id)
            .limit(6)
        ).all()
        for index, resident in enumerate(residents):
            enrolled_on = cohort.starts_on - timedelta(days=7)
            enrolment = fund_services.enrol(cohort=cohort, on=enrolled_on, user_id=None,
                                            resident=resident)
            stage = index % 4
            if stage == 0:
                continue
            fund_services.move_enrolment(enrolment=enrolment, move="start",
                                         on=cohort.starts_on, user_id=None)
            if stage == 1:
                continue
            if stage == 2:
                fund_services.move_enrolment(enrolment=enrolment, move="withdraw",
                                             on=cohort.starts_on + timedelta(days=20),
                                             user_id=None, reason=rng.choice(list(
                                                 WithdrawalReason)))
                continue
            fund_services.move_enrolment(enrolment=enrolment, move="complete",
                                         on=cohort.ends_on, user_id=None)
            assert enrolment.status is EnrolmentStatus.COMPLETED
            fund_services.move_enrolment(enrolment=enrolment, move="outcome-3",
                                         on=min(today, cohort.ends_on + timedelta(days=90)),
                                         user_id=None, outcome=OutcomeKind.IN_WORK)


demo.register(bp, seed_learning)

