"""Vouchers on the resident's page and in data protection: timeline, erasure, subject access,
retention and last activity, registered with the core so it never imports this package."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint, url_for
from sqlalchemy import func, or_, select, update

from inclusion import privacy
from inclusion.extensions import db
from inclusion.privacy import Expired, RetentionPolicy, Section, section
from inclusion.residents import timeline
from inclusion.residents.services import local_date
from vouchers.models import Voucher, VoucherStatus
from vouchers.services import delivery_of
from vouchers.services._common import current_date

BATCH = 500
# Free text staff write on a voucher: it may name the resident or say why they were helped.
FREE_TEXT = ("follow_up_note", "revoke_reason")


def _of_resident(resident_id: int) -> list[Voucher]:
    return list(db.session.scalars(
        select(Voucher).where(Voucher.resident_id == resident_id)
        .order_by(Voucher.issued_at, Voucher.id)
    ))


# -- the resident's timeline -----------------------------------------------------------------

def _delivery_text(voucher: Voucher) -> str:
    if voucher.delivered_at is not None:
        return "text delivered"
    message = delivery_of(voucher)
    if message is None:
        return "no text sent, code given in person"
    return f"text: {message.description[0].lower()}{message.description[1:]}"


def timeline_entries(resident: Any) -> Iterable[timeline.TimelineEntry]:
    """Each voucher issued to the resident (scheme, delivery, status), and its redemption.

    Only the resident's own partner's vouchers: the page is that partner's. Never the code.
    """
    for voucher in _of_resident(resident.id):
        if voucher.partner_id != resident.partner_id:
            continue
        href = url_for("vouchers.voucher_detail", voucher_id=voucher.id)
        status = "" if voucher.status is VoucherStatus.ISSUED else f"; {voucher.status.value}"
        yield timeline.TimelineEntry(
            local_date(voucher.issued_at),
            f"Voucher issued: {voucher.scheme.name} ({_delivery_text(voucher)}{status})", href)
        if voucher.redeemed_on is not None:
            yield timeline.TimelineEntry(
                voucher.redeemed_on, f"Voucher redeemed: {voucher.scheme.name}", href)


# -- data protection ---------------------------------------------------------------------------

def erase(resident: Any) -> list[int]:
    """Empty the free text on the resident's vouchers (follow-up notes, revoke reasons).

    The vouchers stay, with their scheme, dates, statuses and the criteria ticked (a fixed
    list, nothing about who the person is), so stock counts and outcome facts are unchanged.
    The text messages that carried the codes are emptied by the core's handler.
    """
    db.session.execute(
        update(Voucher).where(Voucher.resident_id == resident.id)
        .values(**{name: None for name in FREE_TEXT})
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()
    return []


def collect(resident: Any) -> list[Section]:
    """One section per voucher for a subject access export; the code masked."""
    from inclusion.web import format_date, format_datetime

    def yes_no(value: bool | None) -> str:
        return "" if value is None else ("Yes" if value else "No")

    sections = []
    for voucher in _of_resident(resident.id):
        message = delivery_of(voucher)
        sections.append(section(
            f"Connectivity voucher: {voucher.scheme.name}",
            [
                ("Provider", voucher.scheme.provider),
                ("Gives", voucher.scheme.gives),
                ("Code", voucher.code.masked),
                ("Criteria you met", "; ".join(voucher.criteria or [])),
                ("Issued", format_datetime(voucher.issued_at)),
                ("Use by", format_date(voucher.expires_on) or "No end date"),
                ("Status", voucher.status.value),
                ("Text message", message.description if message else "No text sent"),
                ("Delivered", format_datetime(voucher.delivered_at)),
                ("Redeemed", format_date(voucher.redeemed_on)),
                ("Revoked", format_datetime(voucher.revoked_at)),
                ("Reason for revoking", voucher.revoke_reason),
                ("Followed up", format_date(voucher.followed_up_on)),
                ("Still connected", yes_no(voucher.still_connected)),
                ("On a social tariff", yes_no(voucher.social_tariff)),
                ("Follow-up note", voucher.follow_up_note),
            ],
        ))
    return sections


def audit_refs(resident: Any) -> list[tuple[str, int]]:
    return [("voucher", v.id) for v in _of_resident(resident.id)]


def _aware(moment: datetime | date | str) -> datetime:
    if isinstance(moment, str):  # SQLite hands back aggregates of typed columns as text
        moment = datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time.min)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def last_activity(resident_ids: Sequence[int]) -> dict[int, datetime]:
    """The latest issue, delivery or redemption per resident; a voucher still usable is now."""
    latest: dict[int, datetime] = {}
    now = datetime.now(UTC)
    today = current_date()
    for start in range(0, len(resident_ids), BATCH):
        chunk = list(resident_ids[start:start + BATCH])
        for column in (Voucher.issued_at, Voucher.delivered_at, Voucher.redeemed_on):
            rows = db.session.execute(
                select(Voucher.resident_id, func.max(column))
                .where(Voucher.resident_id.in_(chunk)).group_by(Voucher.resident_id))
            for resident_id, moment in rows:
                if resident_id is not None and moment is not None:
                    moment = _aware(moment)
                    if resident_id not in latest or moment > latest[resident_id]:
                        latest[resident_id] = moment
        open_ids = db.session.scalars(
            select(Voucher.resident_id).where(
                Voucher.resident_id.in_(chunk), Voucher.status == VoucherStatus.ISSUED,
                or_(Voucher.expires_on.is_(None), Voucher.expires_on >= today)))
        for resident_id in open_ids:
            if resident_id is not None:
                latest[resident_id] = now
    return latest


def expire(policy: RetentionPolicy, now: datetime, dry_run: bool) -> list[Expired]:
    """Vouchers issued before the "vouchers" line and no longer usable are unlinked from the
    resident and emptied of free text; the voucher, its code and its facts stay for counts."""
    cutoff = policy.cutoff("vouchers")
    ids = tuple(db.session.scalars(
        select(Voucher.id).where(
            Voucher.issued_at < cutoff,
            or_(Voucher.status != VoucherStatus.ISSUED, Voucher.expires_on < now.date()),
            or_(Voucher.resident_id.is_not(None),
                *(getattr(Voucher, name).is_not(None) for name in FREE_TEXT)),
        ).order_by(Voucher.id)
    ))
    line = Expired("vouchers", "unlinked from the resident and emptied of notes", ids)
    if dry_run:
        return [line]
    for start in range(0, len(ids), BATCH):
        db.session.execute(
            update(Voucher).where(Voucher.id.in_(ids[start:start + BATCH]))
            .values(resident_id=None, **{name: None for name in FREE_TEXT})
            .execution_options(synchronize_session="fetch")
        )
    db.session.flush()
    return [line]


def register(bp: Blueprint) -> None:
    timeline.register(bp, timeline_entries)
    privacy.register(bp, erase=erase, collect=collect, expire=expire,
                     last_activity=last_activity, audit_refs=audit_refs,
                     record_types=["vouchers"])
