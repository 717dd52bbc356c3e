"""Builders for learners records. They add and flush; tests commit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from inclusion.extensions import db
from inclusion.residents.models import ConsentKind, Resident
from inclusion.tenancy import Partner
from learners.models import Cohort, Delivery, FundRound, Grant, Offer, OfferKind, OfferLevel
from learners.models.referrals import Referral
from learners.services import referrals as referral_services
from tests import factories


def make_offer(partner: Partner, **fields: Any) -> Offer:
    offer = Offer(
        partner_id=partner.id,
        title=fields.pop("title", "Get online with a digital champion"),
        kind=fields.pop("kind", OfferKind.DIGITAL_CHAMPION),
        level=fields.pop("level", OfferLevel.ENTRY),
        delivery=fields.pop("delivery", Delivery.IN_PERSON),
        place=fields.pop("place", "Central Library"),
        response_days=fields.pop("response_days", 5),
        accepts_referrals=fields.pop("accepts_referrals", True),
        active=fields.pop("active", True),
    )
    offer.authorities = fields.pop("authorities", ["E08000025"])
    offer.target_groups = fields.pop("target_groups", [])
    offer.start_dates = fields.pop("start_dates", [date.today() + timedelta(days=14)])
    for key, value in fields.items():
        setattr(offer, key, value)
    db.session.add(offer)
    db.session.flush()
    return offer


def consenting_resident(partner: Partner, *, sms: bool = False, **fields: Any) -> Resident:
    resident = factories.make_resident(partner, **fields)
    factories.give_consent(resident, ConsentKind.REFERRAL_SHARING)
    if sms:
        factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    db.session.refresh(resident)
    return resident


def make_referral(offer: Offer, resident: Resident, *, shared: list[str] | None = None,
                  **kwargs: Any) -> Referral:
    return referral_services.send_referral(
        offer=offer, resident=resident, from_partner_id=resident.partner_id, user_id=None,
        shared_fields=shared or [], note=kwargs.pop("note", "Keen to learn"), **kwargs,
    )


def make_round(**fields: Any) -> FundRound:
    fund_round = FundRound(
        name=fields.pop("name", "Round One"),
        opens_on=fields.pop("opens_on", date(2026, 4, 1)),
        closes_on=fields.pop("closes_on", date(2027, 3, 31)),
        budget=fields.pop("budget", Decimal("1000000.00")),
        priority_groups=fields.pop("priority_groups", ["women"]),
        **fields,
    )
    db.session.add(fund_round)
    db.session.flush()
    return fund_round


def make_grant(fund_round: FundRound, partner: Partner, **fields: Any) -> Grant:
    grant = Grant(
        round_id=fund_round.id,
        partner_id=partner.id,
        reference=fields.pop("reference", "DRF-001"),
        value=fields.pop("value", Decimal("100000.00")),
        target_starts=fields.pop("target_starts", 10),
        target_completions=fields.pop("target_completions", 8),
        target_outcomes=fields.pop("target_outcomes", 5),
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def make_cohort(grant: Grant, **fields: Any) -> Cohort:
    cohort = Cohort(
        grant_id=grant.id,
        partner_id=grant.partner_id,
        course=fields.pop("course", "Cyber security foundations"),
        starts_on=fields.pop("starts_on", date(2026, 5, 1)),
        ends_on=fields.pop("ends_on", date(2026, 7, 31)),
        places=fields.pop("places", 12),
        delivery=fields.pop("delivery", Delivery.ONLINE),
        location=fields.pop("location", None),
    )
    db.session.add(cohort)
    db.session.flush()
    return cohort
