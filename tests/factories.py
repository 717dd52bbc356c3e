"""Builders for test records. They add to the session and flush; tests commit."""

from __future__ import annotations

import itertools
from datetime import date
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher

from inclusion.auth.models import User
from inclusion.config import TestConfig
from inclusion.extensions import db
from inclusion.reference import AgeBand
from inclusion.residents.models import (
    Assessment,
    AssessmentKind,
    Classification,
    Consent,
    ConsentKind,
    DeviceAccess,
    HomeAccess,
    LastUse,
    LawfulBasis,
    Resident,
    classify,
)
from inclusion.tenancy import Membership, Partner, PartnerKind, PartnerRole

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    # The test config's cheap argon2 cost, so signing in does not need a rehash.
    return PasswordHasher(**TestConfig.ARGON2_PARAMS).hash(PASSWORD)


def make_partner(name: str | None = None, **fields: Any) -> Partner:
    n = next(_counter)
    partner = Partner(
        name=name or f"Partner {n}",
        kind=fields.pop("kind", PartnerKind.CHARITY),
        authorities=fields.pop("authorities", ["E08000025"]),
        **fields,
    )
    db.session.add(partner)
    db.session.flush()
    return partner


def make_user(email: str | None = None, name: str | None = None, **fields: Any) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.org",
        name=name or f"Test User {n}",
        password_hash=password_hash(),
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def user_with_role(role: str, *, partner: Partner | None = None, **fields: Any) -> User:
    """role: staff, partner_admin, lead, admin (or none)."""
    user = make_user(**fields)
    if role in ("staff", "partner_admin"):
        partner = partner or make_partner()
        db.session.add(
            Membership(
                user=user,
                partner=partner,
                role=PartnerRole.STAFF if role == "staff" else PartnerRole.PARTNER_ADMIN,
            )
        )
    elif role == "lead":
        user.is_coalition_lead = True
    elif role == "admin":
        user.is_system_admin = True
    elif role != "none":
        raise ValueError(f"unknown role {role}")
    db.session.flush()
    return user


def make_resident(partner: Partner, **fields: Any) -> Resident:
    n = next(_counter)
    name = fields.pop("name", f"Resident {n}")
    resident = Resident(
        partner_id=partner.id,
        name=name,
        name_search=name.lower(),
        # Within Ofcom's drama range (07700 900000-900999) however many records a run makes,
        # so a factory phone number typed into a form is still accepted.
        phone=fields.pop("phone", f"+447700900{n % 1000:03d}"),
        postcode=fields.pop("postcode", "B1 1AA"),
        local_authority=fields.pop("local_authority", "E08000025"),
        age_band=fields.pop("age_band", AgeBand.A65_74),
        lawful_basis=fields.pop("lawful_basis", LawfulBasis.CONSENT),
        preferred_language=fields.pop("preferred_language", "en"),
        **fields,
    )
    db.session.add(resident)
    db.session.flush()
    return resident


def give_consent(resident: Resident, kind: ConsentKind, by: User | None = None) -> Consent:
    consent = Consent(resident=resident, kind=kind, wording_version="2026.1",
                      recorded_by_id=by.id if by else None)
    db.session.add(consent)
    db.session.flush()
    return consent


def make_assessment(resident: Resident, *, last_use: LastUse = LastUse.NEVER,
                    tasks: list[str] | None = None, on: date | None = None,
                    kind: AssessmentKind = AssessmentKind.REGISTRATION) -> Assessment:
    tasks = tasks or []
    assessment = Assessment(
        resident=resident,
        partner_id=resident.partner_id,
        kind=kind,
        assessed_on=on or date.today(),
        last_use=last_use,
        home_access=HomeAccess.NONE,
        device_access=DeviceAccess.NONE,
        foundation_tasks=tasks,
        confidence={},
        classification=classify(last_use, tasks),
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


__all__ = ["Classification", "PASSWORD"]
