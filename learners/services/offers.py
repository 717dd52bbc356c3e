"""Offer rules: publishing, editing, the directory search and each offer's response record."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, not_, select

from inclusion import audit
from inclusion.exceptions import ValidationError
from inclusion.extensions import db, utcnow
from inclusion.reference import AUTHORITY_NAMES
from learners.models import PRIORITY_GROUP_NAMES, Delivery, Offer, OfferKind
from learners.models.referrals import Referral, ReferralStatus

OFFER_FIELDS = (
    "title", "kind", "level", "delivery", "place", "summary", "authorities", "target_groups",
    "eligibility_notes", "capacity", "start_dates", "accepts_referrals", "response_days",
    "active",
)


def _check(values: dict[str, Any]) -> None:
    if not values.get("title", "").strip():
        raise ValidationError("Enter a title for the offer", field="title")
    if values.get("delivery") in (Delivery.IN_PERSON, Delivery.BLENDED) and not (
        values.get("place") or ""
    ).strip():
        raise ValidationError("Enter where the offer takes place", field="place")
    unknown = [c for c in values.get("authorities", []) if c not in AUTHORITY_NAMES]
    if unknown or not values.get("authorities"):
        raise ValidationError("Select the areas the offer covers", field="authorities")
    if any(g not in PRIORITY_GROUP_NAMES for g in values.get("target_groups", [])):
        raise ValidationError("Select target groups from the list", field="target_groups")
    days = values.get("response_days")
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationError("Response time must be between 1 and 60 days",
                              field="response_days")
    capacity = values.get("capacity")
    if capacity is not None and capacity < 1:
        raise ValidationError("Capacity must be 1 or more", field="capacity")
    if len(values.get("start_dates", [])) > 3:
        raise ValidationError("Enter up to three start dates", field="start_dates")


def create_offer(*, partner_id: int, values: dict[str, Any]) -> Offer:
    """Publish an offer for the partner. Raises ValidationError on a broken rule."""
    _check(values)
    offer = Offer(partner_id=partner_id)
    _apply(offer, values)
    db.session.add(offer)
    db.session.flush()
    audit.record("offer published", entity_type="offer", entity_id=offer.id,
                 partner_id=partner_id, fields=values.keys())
    return offer


def update_offer(*, offer: Offer, values: dict[str, Any]) -> Offer:
    """Change an offer's details. Raises ValidationError on a broken rule."""
    _check(values)
    changed = [k for k in OFFER_FIELDS if k in values and getattr(offer, k) != values[k]]
    _apply(offer, values)
    db.session.flush()
    audit.record("offer changed", entity_type="offer", entity_id=offer.id,
                 partner_id=offer.partner_id, fields=changed)
    return offer


def _apply(offer: Offer, values: dict[str, Any]) -> None:
    for key in OFFER_FIELDS:
        if key in values:
            value = values[key]
            setattr(offer, key, value.strip() if isinstance(value, str) else value)


@dataclass(frozen=True)
class DirectoryFilter:
    kind: OfferKind | None = None
    authority: str | None = None
    target_group: str | None = None
    starts_from: date | None = None
    text: str | None = None


def directory_query(filters: DirectoryFilter) -> Select[Offer]:
    """Active offers from every partner that match the filters, soonest-starting first."""
    query = select(Offer).where(Offer.active.is_(True))
    if filters.kind is not None:
        query = query.where(Offer.kind == filters.kind)
    if filters.authority:
        query = query.where(
            Offer.authorities_packed.contains(f"|{filters.authority}|", autoescape=True)
        )
    if filters.target_group:
        query = query.where(
            Offer.target_groups_packed.contains(f"|{filters.target_group}|", autoescape=True)
        )
    if filters.starts_from is not None:
        query = query.where(Offer.latest_start_on >= filters.starts_from)
    if filters.text:
        query = query.where(Offer.title.ilike(f"%{filters.text}%"))
    return query.order_by(Offer.title, Offer.id)


@dataclass(frozen=True)
class ResponseRecord:
    """How an offer's partner has answered referrals in the last 12 months."""

    received: int
    answered: int
    median_days: float | None
    accepted_share: float | None

    @property
    def median_text(self) -> str:
        if self.median_days is None:
            return "No responses yet"
        days = round(self.median_days, 1)
        return f"{days:g} day" + ("" if days == 1 else "s")

    @property
    def accepted_text(self) -> str:
        if self.accepted_share is None:
            return "No referrals yet"
        return f"{round(self.accepted_share * 100)}% of {self.received}"


ACCEPTED_OR_LATER = (
    ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED, ReferralStatus.COMPLETED,
    ReferralStatus.NOT_COMPLETED,
)


def response_records(offer_ids: list[int], *, now: datetime | None = None
                     ) -> dict[int, ResponseRecord]:
    """Each offer's real record over the last 12 months: median days to respond, share accepted.

    Referrals withdrawn before any answer are left out of both figures. Counted in the
    database; PostgreSQL takes the median too, SQLite leaves it to Python.
    """
    now = now or utcnow()
    out = {i: ResponseRecord(0, 0, None, None) for i in offer_ids}
    if not offer_ids:
        return out
    counted = and_(
        Referral.offer_id.in_(offer_ids),
        Referral.sent_at >= now - timedelta(days=365),
        not_(and_(Referral.status == ReferralStatus.WITHDRAWN, Referral.responded_at.is_(None))),
    )
    postgres = db.session.get_bind().dialect.name == "postgresql"
    columns: list[Any] = [
        Referral.offer_id,
        func.count(),
        func.sum(case((Referral.status.in_(ACCEPTED_OR_LATER), 1), else_=0)),
        func.count(Referral.responded_at),
    ]
    if postgres:
        wait = func.extract("epoch", Referral.responded_at - Referral.sent_at)
        columns.append(func.percentile_cont(0.5).within_group(wait) / 86400)
    rows = db.session.execute(select(*columns).where(counted).group_by(Referral.offer_id)).all()
    medians: dict[int, float | None] = {}
    if postgres:
        medians = {row[0]: float(row[4]) if row[4] is not None else None for row in rows}
    else:
        waits: dict[int, list[float]] = {}
        for offer_id, sent_at, responded_at in db.session.execute(
            select(Referral.offer_id, Referral.sent_at, Referral.responded_at)
            .where(counted, Referral.responded_at.is_not(None))
        ):
            assert responded_at is not None  # the query asks for answered referrals only
            waits.setdefault(offer_id, []).append(
                (responded_at - sent_at).total_seconds() / 86400)
        medians = {k: statistics.median(v) for k, v in waits.items()}
    for row in rows:
        received, accepted, answered = int(row[1]), int(row[2] or 0), int(row[3])
        out[row[0]] = ResponseRecord(
            received=received,
            answered=answered,
            median_days=medians.get(row[0]),
            accepted_share=accepted / received if received else None,
        )
    return out
