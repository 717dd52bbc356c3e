"""Outcome facts: what happened, with no personal data; every published count comes from here."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact
from inclusion.reference import ethnic_high_level


class FactSubject(Protocol):
    """What a fact copies from a resident: dimensions only, never identity."""

    # Read-only members: record_fact only reads them, and a model's typed columns (an AgeBand
    # enum, say) then match without having to be exactly these types.
    @property
    def fact_key(self) -> str: ...
    @property
    def local_authority(self) -> str: ...
    @property
    def age_band(self) -> object: ...
    @property
    def gender(self) -> str | None: ...
    @property
    def ethnic_group(self) -> str | None: ...
    @property
    def disability(self) -> str | None: ...
    @property
    def imd_decile(self) -> int | None: ...


def record_fact(
    kind: FactKind,
    *,
    resident: FactSubject,
    partner_id: int,
    occurred_on: date,
    detail: str | None = None,
    quantity: int = 1,
) -> OutcomeFact:
    """Add one outcome fact to the current transaction.

    The fact copies the resident's reporting dimensions and random key, never a name, contact
    detail or date of birth, so erasing the resident later leaves every count as it was.
    """
    fact = OutcomeFact(
        kind=kind,
        occurred_on=occurred_on,
        partner_id=partner_id,
        resident_key=resident.fact_key,
        local_authority=resident.local_authority,
        age_band=str(resident.age_band),
        gender=resident.gender,
        ethnic_group=ethnic_high_level(resident.ethnic_group),
        disability=resident.disability,
        imd_decile=resident.imd_decile,
        detail=detail,
        quantity=quantity,
    )
    db.session.add(fact)
    return fact


__all__ = ["FactKind", "OutcomeFact", "record_fact"]
