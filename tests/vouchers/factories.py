"""Builders for voucher tests: schemes, batches of codes allocated to partners, vouchers."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from inclusion.extensions import db
from inclusion.residents.models import ConsentKind
from tests import factories
from vouchers import services
from vouchers.models import SchemeKind, VoucherScheme

_n = itertools.count(1)
CRITERIA = ["On a low income", "No or poor access at home", "Can't afford a contract"]


def make_scheme(**fields: Any) -> VoucherScheme:
    n = next(_n)
    scheme = VoucherScheme(
        name=fields.pop("name", f"Free SIM {n}"),
        provider=fields.pop("provider", "Vodafone"),
        kind=fields.pop("kind", SchemeKind.SIM_WITH_DATA),
        gives=fields.pop("gives", "20 GB a month for 6 months"),
        criteria=fields.pop("criteria", list(CRITERIA)),
        validity_days=fields.pop("validity_days", 90),
        active=fields.pop("active", True),
        **fields,
    )
    db.session.add(scheme)
    db.session.flush()
    return scheme


def stock(partner: Any, scheme: VoucherScheme | None = None, *, count: int = 5,
          expires_on: date | None = None, prefix: str | None = None) -> VoucherScheme:
    """A scheme with `count` codes allocated to the partner."""
    scheme = scheme or make_scheme()
    codes = [f"{prefix or 'T'}{next(_n):06d}X{i:05d}" for i in range(count)]
    data = ("code\n" + "\n".join(codes) + "\n").encode()
    batch = services.import_batch(scheme=scheme, data=data, reference=f"B{next(_n)}",
                                  expires_on=expires_on, user_id=None)
    services.allocate(batch=batch, partner=partner, quantity=count, user_id=None)
    return scheme


def texted_resident(partner: Any, **fields: Any) -> Any:
    resident = factories.make_resident(partner, **fields)
    factories.give_consent(resident, ConsentKind.SMS_CONTACT)
    return resident


def issue(partner: Any, resident: Any, scheme: VoucherScheme, **kw: Any) -> Any:
    voucher, _message = services.issue_voucher(
        partner_id=partner.id, resident=resident, scheme_id=scheme.id,
        criteria=kw.pop("criteria", [CRITERIA[0]]), consent_confirmed=True,
        user_id=kw.pop("user_id", None), **kw)
    return voucher
