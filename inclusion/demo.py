"""A demo coalition: partners of every kind across the seven authorities, users, residents.

Domain packages add their own demo records without the core importing them: each registers
a seeder with `demo.register(bp, seeder)`, where `seeder(partners=..., rng=...)` adds to the
session (flush, never commit). Seeders run after the residents, in registration order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app

from inclusion.auth.models import User
from inclusion.auth.passwords import hash_password
from inclusion.extensions import db
from inclusion.reference import LOCAL_AUTHORITIES
from inclusion.tenancy import Membership, Partner, PartnerKind, PartnerRole

DEMO_PARTNERS: tuple[tuple[str, PartnerKind, tuple[str, ...]], ...] = (
    ("Birmingham City Council Digital Team", PartnerKind.LOCAL_AUTHORITY, ("E08000025",)),
    ("Coventry Libraries", PartnerKind.LIBRARY, ("E08000026",)),
    ("Dudley Community Hub", PartnerKind.COMMUNITY_GROUP, ("E08000027",)),
    ("Sandwell Age Well Charity", PartnerKind.CHARITY, ("E08000028",)),
    ("Solihull Homes", PartnerKind.HOUSING_ASSOCIATION, ("E08000029",)),
    ("Walsall Refugee Welcome", PartnerKind.CHARITY, ("E08000030",)),
    ("Wolverhampton Digital Skills Centre", PartnerKind.TRAINING_PROVIDER, ("E08000031",)),
    ("Black Country College", PartnerKind.COLLEGE, ("E08000027", "E08000028", "E08000030")),
    ("Midlands Code Academy", PartnerKind.TRAINING_PROVIDER, ("E08000025", "E08000026")),
    ("West Midlands Device Bank", PartnerKind.DONOR, tuple(la.code for la in LOCAL_AUTHORITIES)),
    ("Get Connected Network", PartnerKind.NETWORK, tuple(la.code for la in LOCAL_AUTHORITIES)),
    ("Handsworth Community Library", PartnerKind.LIBRARY, ("E08000025",)),
)


EXTENSION_KEY = "inclusion.demo"

DemoSeeder = Callable[..., None]


def register(bp: Blueprint, seeder: DemoSeeder) -> None:
    """Called by a package: run `seeder(partners=..., rng=...)` in `flask demo seed`."""

    def _record(state: Any) -> None:
        state.app.extensions.setdefault(EXTENSION_KEY, []).append(seeder)

    bp.record_once(_record)


def _user(email: str, name: str, password_hash: str) -> User:
    user = User(email=email, name=name, password_hash=password_hash)
    db.session.add(user)
    return user


def seed(*, password: str, residents: int, random_seed: int) -> list[tuple[str, str]]:
    """Add the demo coalition to the session; return (email, role) for every account made."""
    rng = random.Random(random_seed)
    pw = hash_password(password)
    accounts: list[tuple[str, str]] = []
    partners = []
    for index, (name, kind, areas) in enumerate(DEMO_PARTNERS):
        partner = Partner(
            name=name,
            kind=kind,
            authorities=list(areas),
            contact_email=f"hello{index + 1}@partners.example.org",
            agreement_version="2026.1",
            agreement_signed_on=date(2026, 4, 1) - timedelta(days=rng.randint(0, 300)),
        )
        db.session.add(partner)
        partners.append(partner)
    db.session.flush()

    admin = _user("admin@example.org", "Sam Admin", pw)
    admin.is_system_admin = True
    accounts.append((admin.email, "system admin"))
    lead = _user("lead@example.org", "Lee Lead", pw)
    lead.is_coalition_lead = True
    accounts.append((lead.email, "coalition lead"))

    for index, partner in enumerate(partners, start=1):
        boss = _user(f"admin{index}@example.org", f"Partner Admin {index}", pw)
        worker = _user(f"staff{index}@example.org", f"Staff Member {index}", pw)
        db.session.add(Membership(user=boss, partner=partner, role=PartnerRole.PARTNER_ADMIN))
        db.session.add(Membership(user=worker, partner=partner, role=PartnerRole.STAFF))
        accounts.append((boss.email, f"partner admin, {partner.name}"))
        accounts.append((worker.email, f"staff, {partner.name}"))
    # Someone who works for two partners and switches between them.
    floater = _user("multi@example.org", "Morgan Multi", pw)
    db.session.add(Membership(user=floater, partner=partners[0], role=PartnerRole.STAFF))
    db.session.add(Membership(user=floater, partner=partners[11], role=PartnerRole.STAFF))
    accounts.append((floater.email, f"staff, {partners[0].name} and {partners[11].name}"))
    db.session.flush()

    from inclusion.residents.demo import seed_residents

    seed_residents(partners=partners, count=residents, rng=rng)
    db.session.flush()
    for seeder in current_app.extensions.get(EXTENSION_KEY, []):
        seeder(partners=partners, rng=rng)
        db.session.flush()

    from inclusion.outcomes.query import financial_year_of
    from inclusion.outcomes.targets import seed_roadmap_targets

    # The roadmap's targets, for the region's roughly 2.3 million adults.
    seed_roadmap_targets(adult_population=2_300_000,
                         first_year=financial_year_of(date.today()), years=2)
    return accounts
