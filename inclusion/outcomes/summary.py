"""Headline figures from outcome facts, disclosure-controlled (the full dashboard builds on this)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from inclusion.extensions import db
from inclusion.outcomes.disclosure import Published, method_note, publish
from inclusion.outcomes.models import FactKind, OutcomeFact


@dataclass(frozen=True)
class Figure:
    label: str
    definition: str
    value: Published


def _people(kind: FactKind, partner_id: int | None, detail: str | None = None) -> int:
    query = select(func.count(distinct(OutcomeFact.resident_key))).where(OutcomeFact.kind == kind)
    if partner_id is not None:
        query = query.where(OutcomeFact.partner_id == partner_id)
    if detail is not None:
        query = query.where(OutcomeFact.detail == detail)
    return int(db.session.scalar(query) or 0)


def headline(*, partner_id: int | None) -> dict[str, object]:
    """The few figures a coalition lead sees on arrival, each already disclosure-controlled."""
    figures = [
        Figure(
            "Residents supported",
            "People registered by a partner.",
            publish(_people(FactKind.RESIDENT_REGISTERED, partner_id)),
        ),
        Figure(
            "Non-users supported",
            "People whose first assessment found no internet use in the last three months.",
            publish(_people(FactKind.ASSESSMENT, partner_id, "first:non-user")),
        ),
        Figure(
            "Limited users supported",
            "People who use the internet but could not do every foundation task unaided.",
            publish(_people(FactKind.ASSESSMENT, partner_id, "first:limited user")),
        ),
    ]
    return {"figures": figures, "method": method_note()}
