"""Hand-built outcome facts for the outcomes tests (no residents needed: facts stand alone)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from inclusion.extensions import db
from inclusion.outcomes.models import FactKind, OutcomeFact

_keys = itertools.count(1)


def new_key() -> str:
    return f"person{next(_keys):08d}"


def fact(kind: FactKind, on: date, partner: Any, *, key: str | None = None,
         detail: str | None = None, quantity: int = 1, **dims: Any) -> OutcomeFact:
    row = OutcomeFact(
        kind=kind, occurred_on=on, partner_id=partner.id if hasattr(partner, "id") else partner,
        resident_key=key or new_key(),
        local_authority=dims.pop("local_authority", "E08000025"),
        age_band=dims.pop("age_band", "65-74"), gender=dims.pop("gender", "woman"),
        ethnic_group=dims.pop("ethnic_group", "white"), disability=dims.pop("disability", "no"),
        imd_decile=dims.pop("imd_decile", 1), detail=detail, quantity=quantity,
    )
    if dims:
        raise TypeError(f"unknown fact fields {sorted(dims)}")
    db.session.add(row)
    return row


def facts(n: int, kind: FactKind, on: date, partner: Any, **fields: Any) -> list[OutcomeFact]:
    """n facts of one kind, each for a different person."""
    return [fact(kind, on, partner, **fields) for _ in range(n)]


def assessments(key: str, partner: Any, *steps: tuple[date, str], **dims: Any) -> None:
    """A person's assessments in order: the first as 'first:...', later ones 'follow-up:...'."""
    for index, (on, classification) in enumerate(steps):
        prefix = "first" if index == 0 else "follow-up"
        fact(FactKind.ASSESSMENT, on, partner, key=key, detail=f"{prefix}:{classification}",
             **dims)
