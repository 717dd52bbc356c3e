"""Referral rules: consent, what is shared, the guarded status moves, staleness and the digest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import abort
from sqlalchemy import Select, func, or_, select

from inclusion import audit, sms
from inclusion.exceptions import ConflictError, NotAllowedError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.outcomes import FactKind, record_fact
from inclusion.reference import (
    AUTHORITY_NAMES,
    BENEFITS,
    DISABILITY,
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUP_NAMES,
    GENDERS,
    LANGUAGE_NAMES,
)
from inclusion.residents.models import ConsentKind, Resident
from inclusion.tenancy import Partner
from learners.models import Offer
from learners.models.referrals import (
    SHAREABLE_FIELD_NAMES,
    NotCompletedReason,
    Referral,
    ReferralEvent,
    ReferralStatus,
)

MOVED_ON = "The referral has moved on since you opened it. Check its status below and try again."

# Which side makes each move: the receiving partner, or the referrer.
RECEIVER_MOVES = {"accept", "decline", "enrol", "complete", "not-completed"}
REFERRER_MOVES = {"withdraw"}
MOVES = RECEIVER_MOVES | REFERRER_MOVES

FACT_FOR_STATUS = {
    ReferralStatus.ACCEPTED: FactKind.REFERRAL_ACCEPTED,
    ReferralStatus.DECLINED: FactKind.REFERRAL_DECLINED,
    ReferralStatus.ENROLLED: FactKind.REFERRAL_ENROLLED,
    ReferralStatus.COMPLETED: FactKind.REFERRAL_COMPLETED,
    ReferralStatus.NOT_COMPLETED: FactKind.REFERRAL_NOT_COMPLETED,
}

# Status texts by language. Only English is written so far; other languages fall back to it
# (the outbox still records the resident's language, so translations slot in here).
STATUS_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "sent": "{partner} has referred you to {offer} at {provider}. They will contact you.",
        "accepted": "{provider} has accepted your referral to {offer}. They will be in touch.",
        "declined": "{provider} cannot offer you a place on {offer}. {partner} will talk to "
                    "you about other options.",
        "enrolled": "You are enrolled on {offer} with {provider}.",
        "completed": "Well done on completing {offer} with {provider}.",
    }
}


def status_text(status: str, language: str, **values: str) -> str | None:
    texts = STATUS_TEXTS.get(language) or STATUS_TEXTS["en"]
    template = texts.get(status)
    return template.format(**values) if template else None


def _label(pairs: tuple[tuple[str, str], ...], code: str | None) -> str | None:
    return dict(pairs).get(code or "", code) if code else None


def snapshot_of(resident: Resident, shared_fields: list[str]) -> dict[str, str]:
    """The values the receiving partner will see: name and contact, plus the ticked fields."""
    values: dict[str, str | None] = {
        "name": resident.name,
        "phone": resident.phone,
        "email": resident.email,
    }
    latest = resident.latest_assessment
    optional: dict[str, str | None] = {
        "postcode": resident.postcode,
        "local_authority": AUTHORITY_NAMES.get(resident.local_authority),
        "age_band": str(resident.age_band) if resident.age_band else None,
        "date_of_birth": resident.date_of_birth.isoformat() if resident.date_of_birth else None,
        "preferred_language": LANGUAGE_NAMES.get(resident.preferred_language),
        "employment_status": _label(EMPLOYMENT_STATUSES, resident.employment_status),
        "receives_benefits": _label(BENEFITS, resident.receives_benefits),
        "gender": _label(GENDERS, resident.gender),
        "ethnic_group": ETHNIC_GROUP_NAMES.get(resident.ethnic_group or ""),
        "disability": _label(DISABILITY, resident.disability),
        "digital_engagement": str(latest.classification) if latest else None,
    }
    for name in shared_fields:
        values[name] = optional.get(name)
    return {k: v for k, v in values.items() if v}


def send_referral(
    *,
    offer: Offer,
    resident: Resident,
    from_partner_id: int,
    user_id: int | None,
    shared_fields: list[str],
    note: str | None,
    override_reason: str | None = None,
    sms_updates: bool = False,
    now: datetime | None = None,
) -> Referral:
    """Refer one of the partner's residents to an offer.

    Needs the resident's active referral-sharing consent, or an override reason: the reason
    is kept on the referral, and the audit log records only that the consent was overridden.
    Raises ValidationError (closed offer, no consent, unknown field) or ConflictError (an open
    referral of this resident to this offer already exists).
    """
    now = now or utcnow()
    if resident.partner_id != from_partner_id:
        raise NotAllowedError("You can only refer your own residents")
    if not offer.active or not offer.accepts_referrals:
        raise ValidationError("This offer is not taking referrals", field="note")
    unknown = [f for f in shared_fields if f not in SHAREABLE_FIELD_NAMES]
    if unknown:
        raise ValidationError("Choose what to share from the list", field="shared_fields")
    reason = (override_reason or "").strip()
    has_consent = resident.has_consent(ConsentKind.REFERRAL_SHARING)
    if not has_consent and len(reason) < 10:
        raise ValidationError(
            "The resident has not agreed to share their details with a referral partner. "
            "Record their consent first, or give the reason for going ahead without it "
            "(at least 10 characters)",
            field="override_reason",
        )
    open_already = db.session.scalar(
        select(func.count()).select_from(Referral).where(
            Referral.resident_id == resident.id,
            Referral.offer_id == offer.id,
            Referral.status.in_(
                (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.ENROLLED)
            ),
        )
    )
    if open_already:
        raise ConflictError("This resident already has an open referral to this offer",
                            field="note")
    referral = Referral(
        offer=offer,
        from_partner_id=from_partner_id,
        to_partner_id=offer.partner_id,
        resident=resident,
        referred_by_id=user_id,
        status=ReferralStatus.SENT,
        version=1,
        shared_fields=sorted(set(shared_fields)),
        snapshot=snapshot_of(resident, shared_fields),
        note=(note or "").strip() or None,
        consent_overridden=not has_consent,
        override_reason=reason if not has_consent else None,
        sms_updates=sms_updates,
        sent_at=now,
        respond_by=now + timedelta(days=offer.response_days),
    )
    db.session.add(referral)
    db.session.flush()
    _event(referral, status=ReferralStatus.SENT, user_id=user_id, partner_id=from_partner_id,
           at=now)
    audit.record("referral sent", entity_type="referral", entity_id=referral.id,
                 partner_id=from_partner_id, user_id=user_id,
                 fields=["name", "phone", "email", *referral.shared_fields])
    if not has_consent:
        # Only the fact of the override: the reason is free text that may describe the
        # person, so it lives on the referral, which erasure and retention clear, and never
        # in the append-only audit log, which they cannot.
        audit.record("referral consent overridden", entity_type="referral",
                     entity_id=referral.id, partner_id=from_partner_id, user_id=user_id)
    record_fact(FactKind.REFERRAL_MADE, resident=resident, partner_id=from_partner_id,
                occurred_on=now.date(), detail=offer.kind.value)
    _text_resident(referral, "sent")
    return referral


def _event(referral: Referral, *, status: ReferralStatus, user_id: int | None,
           partner_id: int | None, at: datetime, reason: str | None = None) -> None:
    db.session.add(ReferralEvent(referral=referral, status=status, user_id=user_id,
                                 partner_id=partner_id, at=at, reason=reason))


def _text_resident(referral: Referral, status: str) -> None:
    resident = referral.resident
    if not referral.sms_updates or resident is None:
        return
    body = status_text(
        status, resident.preferred_language,
        partner=referral.from_partner.name if referral.from_partner else "We",
        provider=referral.to_partner.name if referral.to_partner else "the provider",
        offer=referral.offer.title,
    )
    if body is None:
        return
    # The referrer holds the resident's SMS consent; enqueue checks it and the phone.
    sms.enqueue(resident=resident, partner_id=referral.from_partner_id,
                purpose=f"referral {status}", body=body, related_type="referral",
                related_id=referral.id)


def lock_referral(referral_id: int) -> Referral:
    """Load a referral holding its row lock (PostgreSQL), re-reading it from the database."""
    referral = db.session.scalar(
        select(Referral).where(Referral.id == referral_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if referral is None:
        raise NotAllowedError("There is no such referral")
    return referral


def move_referral(
    *,
    referral_id: int,
    move: str,
    acting_partner_id: int,
    user_id: int | None,
    expected_version: int | None = None,
    reason: str | None = None,
    not_completed_reason: NotCompletedReason | None = None,
    now: datetime | None = None,
) -> Referral:
    """Make one status move on a referral, under its row lock.

    Receiving partner: accept, decline (reason), enrol, complete, not-completed (reason).
    Referrer: withdraw (before enrolment). Raises NotAllowedError for the wrong side,
    ConflictError when the referral has moved on or the move is not allowed from its status,
    ValidationError for a missing reason.
    """
    now = now or utcnow()
    if move not in MOVES:
        raise ValidationError("Unknown action")
    referral = lock_referral(referral_id)
    if acting_partner_id not in (referral.from_partner_id, referral.to_partner_id):
        raise NotAllowedError("This referral is not yours")
    side_ok = (
        acting_partner_id == referral.to_partner_id if move in RECEIVER_MOVES
        else acting_partner_id == referral.from_partner_id
    )
    if not side_ok:
        raise NotAllowedError(
            "Only the partner that made the referral can withdraw it" if move == "withdraw"
            else "Only the partner receiving the referral can do that"
        )
    if expected_version is not None and expected_version != referral.version:
        raise ConflictError(MOVED_ON)
    event_reason: str | None = None
    if move == "accept":
        referral.accept(at=now)
    elif move == "decline":
        text = (reason or "").strip()
        if not text:
            raise ValidationError("Enter why you are declining the referral", field="reason")
        referral.decline(reason=text, at=now)
        event_reason = text
    elif move == "enrol":
        referral.enrol(at=now)
    elif move == "complete":
        referral.complete(at=now)
    elif move == "not-completed":
        if not_completed_reason is None:
            raise ValidationError("Select why the learner did not complete",
                                  field="not_completed_reason")
        referral.mark_not_completed(reason=not_completed_reason, at=now)
        event_reason = not_completed_reason.value
    else:
        referral.withdraw(at=now)
    _event(referral, status=referral.status, user_id=user_id, partner_id=acting_partner_id,
           at=now, reason=event_reason)
    audit.record(f"referral {referral.status.value}", entity_type="referral",
                 entity_id=referral.id, partner_id=acting_partner_id, user_id=user_id,
                 fields=["status"])
    fact = FACT_FOR_STATUS.get(referral.status)
    if fact is not None and referral.resident is not None:
        record_fact(fact, resident=referral.resident, partner_id=acting_partner_id,
                    occurred_on=now.date(), detail=referral.offer.kind.value)
    _text_resident(referral, referral.status.value)
    db.session.flush()
    return referral


def visible_referral_or_404(referral_id: object, partner_id: int) -> Referral:
    """A referral the partner made or received; anyone else gets 404."""
    try:
        key = int(str(referral_id))
    except ValueError:
        abort(404)
    referral = db.session.scalar(
        select(Referral).where(
            Referral.id == key,
            or_(Referral.from_partner_id == partner_id, Referral.to_partner_id == partner_id),
        )
    )
    if referral is None:
        abort(404)
    return referral


def received_query(partner_id: int, *, status: ReferralStatus | None = None,
                   stale_only: bool = False, now: datetime | None = None
                   ) -> Select[Referral]:
    """The partner's referral inbox, newest first."""
    query = select(Referral).where(Referral.to_partner_id == partner_id)
    if stale_only:
        query = query.where(Referral.status == ReferralStatus.SENT,
                            Referral.respond_by < (now or utcnow()))
    elif status is not None:
        query = query.where(Referral.status == status)
    return query.order_by(Referral.sent_at.desc(), Referral.id.desc())


def sent_query(partner_id: int, *, status: ReferralStatus | None = None,
               stale_only: bool = False, now: datetime | None = None
               ) -> Select[Referral]:
    """Referrals the partner made, newest first."""
    query = select(Referral).where(Referral.from_partner_id == partner_id)
    if stale_only:
        query = query.where(Referral.status == ReferralStatus.SENT,
                            Referral.respond_by < (now or utcnow()))
    elif status is not None:
        query = query.where(Referral.status == status)
    return query.order_by(Referral.sent_at.desc(), Referral.id.desc())


def home_counts(partner_id: int, *, now: datetime | None = None) -> tuple[int, int]:
    """(waiting, stale) for the partner's home page in one query: referrals sent to it and not
    yet answered, and stale ones on either side (as received_query and sent_query count them,
    a referral the partner sent to itself counting on both sides)."""
    now = now or utcnow()
    stale = Referral.respond_by < now
    received = Referral.to_partner_id == partner_id
    made = Referral.from_partner_id == partner_id
    row = db.session.execute(
        select(func.count().filter(received),
               func.count().filter(received, stale),
               func.count().filter(made, stale))
        .where(Referral.status == ReferralStatus.SENT, or_(received, made))
    ).one()
    return row[0], row[1] + row[2]


def count(query: Select[Referral]) -> int:
    return db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())
    ) or 0


@dataclass
class DigestEntry:
    partner: Partner
    to_answer: list[Referral] = field(default_factory=list)
    awaiting: list[Referral] = field(default_factory=list)


def stale_digest(*, now: datetime | None = None) -> list[DigestEntry]:
    """Stale referrals per partner: those it must answer, and those it waits on others for."""
    now = now or utcnow()
    stale = db.session.scalars(
        select(Referral).where(Referral.status == ReferralStatus.SENT,
                               Referral.respond_by < now)
        .order_by(Referral.respond_by, Referral.id)
    ).all()
    entries: dict[int, DigestEntry] = {}
    partners = {p.id: p for p in db.session.scalars(select(Partner))}
    for referral in stale:
        to = entries.setdefault(referral.to_partner_id,
                                DigestEntry(partners[referral.to_partner_id]))
        to.to_answer.append(referral)
        by = entries.setdefault(referral.from_partner_id,
                                DigestEntry(partners[referral.from_partner_id]))
        if referral.from_partner_id != referral.to_partner_id:
            by.awaiting.append(referral)
    return sorted(entries.values(), key=lambda e: e.partner.name)


def days_overdue(referral: Referral, today: date) -> int:
    return max(0, (today - referral.respond_by.date()).days)
