"""Learners' part in erasure, subject access and retention (registered with inclusion.privacy).

What is personal here: the snapshot of shared details a referral carries to the receiving
partner, the free text on a referral (the referrer's note, an override reason, a decline
reason), and on an enrolment the link to the learner and why they left. Statuses, dates,
milestones and outcomes stay: delivery counts, payments and outcome facts must not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Text, cast, func, or_, select, update

from inclusion import privacy
from inclusion.extensions import db
from inclusion.privacy import Expired, RetentionPolicy, Section, section
from inclusion.residents.models import Resident
from learners import bp
from learners.models import Enrolment, EnrolmentStatus, Referral, ReferralEvent, ReferralStatus
from learners.models.referrals import FIELD_LABELS, OPEN_STATUSES

BATCH = 500
STILL_OPEN = datetime.max.replace(tzinfo=UTC)
OPEN_ENROLMENTS = (EnrolmentStatus.ENROLLED, EnrolmentStatus.STARTED)


def _referrals_of(resident: Resident) -> list[Referral]:
    return list(db.session.scalars(
        select(Referral).where(Referral.resident_id == resident.id).order_by(Referral.id)
    ))


def _enrolments_of(resident: Resident) -> list[Enrolment]:
    """The resident's enrolments: as the provider's own resident, or through a referral."""
    referred = select(Referral.id).where(Referral.resident_id == resident.id)
    return list(db.session.scalars(
        select(Enrolment).where(
            or_(Enrolment.resident_id == resident.id, Enrolment.referral_id.in_(referred))
        ).order_by(Enrolment.id)
    ))


def _scrub_referrals(referral_ids: Sequence[int]) -> None:
    """Empty the shared details and free text of these referrals and their timelines."""
    for start in range(0, len(referral_ids), BATCH):
        chunk = list(referral_ids[start:start + BATCH])
        db.session.execute(
            update(Referral).where(Referral.id.in_(chunk))
            .values(snapshot={}, note=None, override_reason=None, decline_reason=None)
        )
        # A decline reason is written by the receiving partner in free text; it goes too.
        db.session.execute(
            update(ReferralEvent).where(ReferralEvent.referral_id.in_(chunk),
                                        ReferralEvent.reason.is_not(None),
                                        ReferralEvent.status == ReferralStatus.DECLINED)
            .values(reason=None)
        )


def erase_learner(resident: Resident) -> list[int]:
    """Scrub the resident's referrals (the receiving partner's copy included) and enrolments.

    Referrals keep their status and timeline, anonymous; enrolments keep status, dates and
    outcomes (payments and counts depend on them) but lose the link to the person and the
    reason they left. Returns the partners the referrals were sent to, so they can be told.
    """
    referrals = _referrals_of(resident)
    enrolments = _enrolments_of(resident)
    _scrub_referrals([r.id for r in referrals])
    for enrolment in enrolments:
        enrolment.resident_id = None
        enrolment.withdrawal_reason = None
    db.session.flush()
    for referral in referrals:
        db.session.refresh(referral)
    return sorted({r.to_partner_id for r in referrals})


def collect_learner(resident: Resident) -> list[Section]:
    """A section per referral (what was shared, with whom, what happened) and per enrolment."""
    from inclusion.web import format_date, format_datetime

    sections: list[Section] = []
    for referral in _referrals_of(resident):
        shared = "; ".join(
            f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in (referral.snapshot or {}).items() if v
        )
        history = "; ".join(
            f"{format_datetime(e.at)} {e.status.value}" for e in referral.events
        )
        sections.append(section(
            f"Referral to {referral.offer.title}",
            [
                ("Reference", referral.id),
                ("Referred by", referral.from_partner.name),
                ("Sent to", referral.to_partner.name),
                ("Sent", format_datetime(referral.sent_at)),
                ("Status", referral.status.value),
                ("Details shared with them", shared or "None (no longer shared)"),
                ("Note sent with the referral", referral.note),
                ("Shared without your consent, because", referral.override_reason),
                ("Reason it was declined", referral.decline_reason),
                ("Why it was not completed", referral.not_completed_reason),
                ("History", history),
            ],
        ))
    for enrolment in _enrolments_of(resident):
        cohort = enrolment.cohort
        sections.append(section(
            f"Course: {cohort.course}",
            [
                ("Reference", enrolment.id),
                ("Provider", cohort.grant.partner.name),
                ("Course dates",
                 f"{format_date(cohort.starts_on)} to {format_date(cohort.ends_on)}"),
                ("Status", enrolment.status.value),
                ("Enrolled", format_date(enrolment.enrolled_on)),
                ("Started", format_date(enrolment.started_on)),
                ("Completed", format_date(enrolment.completed_on)),
                ("Left", format_date(enrolment.withdrawn_on)),
                ("Why you left", enrolment.withdrawal_reason),
                ("Outcome after 3 months", enrolment.outcome_3_months),
                ("Outcome after 6 months", enrolment.outcome_6_months),
            ],
        ))
    return sections


def audit_refs_learner(resident: Resident) -> list[tuple[str, int]]:
    """Audit entries about the resident's referrals and enrolments."""
    refs = [("referral", r.id) for r in _referrals_of(resident)]
    refs += [("fund_enrolment", e.id) for e in _enrolments_of(resident)]
    return refs


def _aware(moment: datetime | str) -> datetime:
    if isinstance(moment, str):  # SQLite returns aggregates of typed columns as text
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def last_activity_learner(resident_ids: Sequence[int]) -> dict[int, datetime]:
    """Latest referral or enrolment change per resident.

    An open referral or enrolment means the person is still being helped: it is reported as
    never-ending (the far future), so no retention line, whatever date it is run for, passes it.
    """
    now = STILL_OPEN
    latest: dict[int, datetime] = {}

    def keep(resident_id: int | None, moment: datetime | str | None) -> None:
        if resident_id is None or moment is None:
            return
        moment = _aware(moment)
        if resident_id not in latest or moment > latest[resident_id]:
            latest[resident_id] = moment

    for start in range(0, len(resident_ids), BATCH):
        chunk = list(resident_ids[start:start + BATCH])
        for resident_id, moment in db.session.execute(
            select(Referral.resident_id, func.max(Referral.updated_at))
            .where(Referral.resident_id.in_(chunk)).group_by(Referral.resident_id)
        ):
            keep(resident_id, moment)
        for resident_id in db.session.scalars(
            select(Referral.resident_id).where(Referral.resident_id.in_(chunk),
                                               Referral.status.in_(OPEN_STATUSES)).distinct()
        ):
            keep(resident_id, now)
        learner = func.coalesce(Enrolment.resident_id, Referral.resident_id)
        enrolments = (
            select(learner, Enrolment.status, Enrolment.updated_at)
            .outerjoin(Referral, Referral.id == Enrolment.referral_id)
            .where(learner.in_(chunk))
        )
        for resident_id, status, moment in db.session.execute(enrolments):
            keep(resident_id, now if status in OPEN_ENROLMENTS else moment)
    return latest


def expire_learner(policy: RetentionPolicy, now: datetime, dry_run: bool) -> list[Expired]:
    """Closed referrals past their time lose their shared details and free text; ended
    enrolments past theirs lose the link to the learner and the reason they left."""
    # A scrubbed snapshot is stored as '{}' on both backends (JSON emptiness is not portable).
    referral_ids = tuple(db.session.scalars(
        select(Referral.id).where(
            Referral.status.not_in(OPEN_STATUSES),
            Referral.closed_at.is_not(None),
            Referral.closed_at < policy.cutoff("referrals"),
            or_(cast(Referral.snapshot, Text) != "{}", Referral.note.is_not(None),
                Referral.override_reason.is_not(None), Referral.decline_reason.is_not(None)),
        ).order_by(Referral.id)
    ).all())
    ended_on = func.coalesce(Enrolment.completed_on, Enrolment.withdrawn_on)
    enrolment_ids = tuple(db.session.scalars(
        select(Enrolment.id).where(
            Enrolment.status.in_((EnrolmentStatus.COMPLETED, EnrolmentStatus.WITHDRAWN)),
            ended_on < policy.cutoff("enrolments").date(),
            or_(Enrolment.resident_id.is_not(None), Enrolment.withdrawal_reason.is_not(None)),
        ).order_by(Enrolment.id)
    ).all())
    lines = [
        Expired("referrals", "cleared of shared details and notes", referral_ids),
        Expired("enrolments", "unlinked from the learner", enrolment_ids),
    ]
    if dry_run:
        return lines
    _scrub_referrals(referral_ids)
    for start in range(0, len(enrolment_ids), BATCH):
        db.session.execute(
            update(Enrolment).where(Enrolment.id.in_(enrolment_ids[start:start + BATCH]))
            .values(resident_id=None, withdrawal_reason=None)
        )
    db.session.flush()
    return lines


privacy.register(
    bp,
    erase=erase_learner,
    collect=collect_learner,
    expire=expire_learner,
    last_activity=last_activity_learner,
    audit_refs=audit_refs_learner,
    record_types=["referrals", "enrolments"],
)
