"""Demo vouchers for `flask demo seed`: schemes, batches allocated to partners, vouchers issued
to demo residents (some delivered, redeemed or expired) and the text messages that carried them.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask import Blueprint
from sqlalchemy import select

from inclusion import demo
from inclusion.extensions import db
from inclusion.residents.models import Resident
from inclusion.sms import delivery
from inclusion.sms.models import SmsMessage
from inclusion.tenancy import PartnerKind
from vouchers import services
from vouchers.models import SchemeKind, Voucher, VoucherScheme
from vouchers.services._common import current_date

DEMO_SCHEMES = (
    ("National Databank SIM", "Good Things Foundation", SchemeKind.SIM_WITH_DATA,
     "a SIM with 20 GB a month for 6 months",
     ["On a low income or benefits", "No or poor internet access at home",
      "Cannot afford a contract"], 90),
    ("Mobile data top-up", "Three", SchemeKind.DATA_TOP_UP, "30 GB of mobile data",
     ["On a low income or benefits", "Mobile is their only way online"], 60),
    ("Home broadband social tariff", "BT", SchemeKind.SOCIAL_TARIFF,
     "a referral to a £15-a-month broadband tariff",
     ["Receives Universal Credit or Pension Credit"], 120),
)
CODES_PER_PARTNER = 25
VOUCHERS_PER_PARTNER = 6


def _staff_id(partner: Any) -> int | None:
    ids = [m.user_id for m in partner.memberships]
    return ids[-1] if ids else None


def seed_vouchers(*, partners: list[Any], rng: random.Random) -> None:
    """Schemes, a generated batch per scheme allocated to the working partners, and vouchers."""
    working = [p for p in partners if p.kind not in (PartnerKind.DONOR, PartnerKind.NETWORK)]
    if not working:
        return
    today = current_date()
    schemes: list[VoucherScheme] = []
    for name, provider, kind, gives, criteria, days in DEMO_SCHEMES:
        scheme = services.save_scheme(scheme=None, name=name, provider=provider, kind=kind,
                                      gives=gives, criteria=criteria, validity_days=days,
                                      active=True, user_id=None)
        batch = services.generate_batch(
            scheme=scheme, count=CODES_PER_PARTNER * len(working) + 50, length=10,
            prefix=f"DEMO{len(schemes) + 1}", reference=f"Demo delivery {len(schemes) + 1}",
            expires_on=today + timedelta(days=365), user_id=None)
        for partner in working:
            services.allocate(batch=batch, partner=partner, quantity=CODES_PER_PARTNER,
                              user_id=None)
        schemes.append(scheme)
    db.session.flush()
    for partner in working:
        residents = list(db.session.scalars(
            select(Resident).where(Resident.partner_id == partner.id).order_by(Resident.id)
            .limit(VOUCHERS_PER_PARTNER)))
        user_id = _staff_id(partner)
        for resident in residents:
            scheme = rng.choice(schemes)
            voucher, message = services.issue_voucher(
                partner_id=partner.id, resident=resident, scheme_id=scheme.id,
                criteria=scheme.criteria[:1], consent_confirmed=True, user_id=user_id)
            db.session.flush()
            _what_happened(voucher, message, rng, today)


def _what_happened(voucher: Voucher, message: SmsMessage | None, rng: random.Random,
                   today: Any) -> None:
    """The text's fate (delivered mostly, sometimes not), then redeemed, expired or still open."""
    if message is not None:
        delivery.apply_receipt(message, "sent", error_code=None)
        if rng.random() < 0.85:
            delivery.apply_receipt(message, "delivered", error_code=None)
        else:
            delivery.apply_receipt(message, "undelivered", error_code="30003")
    roll = rng.random()
    if roll < 0.4:
        services.mark_redeemed(voucher=voucher, on=today, user_id=voucher.issued_by_id)
    elif roll < 0.6:
        voucher.expires_on = today - timedelta(days=1)
        services.expire_vouchers(today=today)


def register(bp: Blueprint) -> None:
    demo.register(bp, seed_vouchers)
