"""The resident page's timeline: the resident's referrals and enrolments (for their partner)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from inclusion.extensions import db
from inclusion.residents import timeline
from inclusion.residents.models import Resident
from learners import bp
from learners.models import Cohort, Enrolment, Grant, Referral


def learning_entries(resident: Resident) -> Iterator[timeline.TimelineEntry]:
    """Referrals made for the resident (sent to whom, where they are now) and enrolments.

    The resident page is only shown to the resident's own partner: it made the referrals, so
    each links to the shared referral page; a cohort links only when that partner runs it.
    """
    referrals = db.session.scalars(
        select(Referral).where(Referral.resident_id == resident.id)
        .options(selectinload(Referral.offer), selectinload(Referral.to_partner))
        .order_by(Referral.id)
    ).all()
    for referral in referrals:
        yield timeline.TimelineEntry(
            on=referral.sent_at.date(),
            text=(f"Referred to {referral.offer.title} at {referral.to_partner.name}: "
                  f"{referral.status.value}"),
            href=url_for("learners.referral_detail", referral_id=referral.id),
        )
    enrolments = db.session.scalars(
        select(Enrolment).where(or_(
            Enrolment.resident_id == resident.id,
            Enrolment.referral_id.in_([r.id for r in referrals]),
        )).options(selectinload(Enrolment.cohort).selectinload(Cohort.grant)
                   .selectinload(Grant.partner))
        .order_by(Enrolment.id)
    ).all()
    for enrolment in enrolments:
        cohort = enrolment.cohort
        own = cohort.partner_id == resident.partner_id
        yield timeline.TimelineEntry(
            on=enrolment.enrolled_on,
            text=(f"Enrolled on {cohort.course} with {cohort.grant.partner.name}: "
                  f"{enrolment.status.value}"),
            href=url_for("learners.cohort_detail", cohort_id=cohort.id) if own else None,
        )


timeline.register(bp, learning_entries)
