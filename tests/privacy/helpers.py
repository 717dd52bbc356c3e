"""Builders for privacy tests: a resident with a history, facts, and a snapshot of the database."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from inclusion import sms
from inclusion.extensions import db, utcnow
from inclusion.outcomes import FactKind, record_fact
from inclusion.outcomes.disclosure import Published
from inclusion.outcomes.query import Filters, headline
from inclusion.residents.models import ConsentKind, LastUse, Resident
from inclusion.sms.models import MessageStatus, SmsMessage
from tests.factories import give_consent, make_assessment, make_resident


def resident_with_history(partner: Any, *, name: str, phone: str, email: str, postcode: str,
                          when: datetime | None = None, **fields: Any) -> Resident:
    """A resident with an SMS consent, a first assessment, a delivered text message and facts.

    `when` back-dates everything (the record, its consent, assessment and message).
    """
    moment = when or utcnow()
    resident = make_resident(partner, name=name, phone=phone, email=email, postcode=postcode,
                             created_at=moment, updated_at=moment, **fields)
    consent = give_consent(resident, ConsentKind.SMS_CONTACT)
    consent.recorded_at = moment
    assessment = make_assessment(resident, last_use=LastUse.NEVER, on=moment.date())
    assessment.created_at = moment
    message = sms.enqueue(resident=resident, partner_id=partner.id, purpose="welcome",
                          body=f"Hello {name}, welcome to Get Online. Reply STOP to opt out.")
    assert message is not None
    message.created_at = moment
    message.status = MessageStatus.DELIVERED
    record_fact(FactKind.RESIDENT_REGISTERED, resident=resident, partner_id=partner.id,
                occurred_on=moment.date())
    record_fact(FactKind.ASSESSMENT, resident=resident, partner_id=partner.id,
                occurred_on=moment.date(), detail="first:non-user")
    db.session.flush()
    return resident


def registered_with_facts(partner: Any, count: int, *, on: date | None = None) -> list[Resident]:
    """`count` plain residents, each with registration and first-assessment facts."""
    out = []
    for _ in range(count):
        resident = make_resident(partner)
        record_fact(FactKind.RESIDENT_REGISTERED, resident=resident, partner_id=partner.id,
                    occurred_on=on or date.today())
        record_fact(FactKind.ASSESSMENT, resident=resident, partner_id=partner.id,
                    occurred_on=on or date.today(), detail="first:non-user")
        out.append(resident)
    db.session.flush()
    return out


def published_counts(partner_id: int | None = None) -> dict[str, Published]:
    """Every measure's published total over all time, through the outcomes query layer (the
    disclosure-controlled figures any page, report or export shows), for one partner or all."""
    return headline(Filters(start=date.min, end=date.max, partner_id=partner_id))


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, as text: for proving that something changed nothing."""
    out = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[table.name] = [json.dumps([str(v) for v in row]) for row in rows]
    return out


def messages_of(resident: Resident) -> list[SmsMessage]:
    return list(db.session.scalars(
        select(SmsMessage).where(SmsMessage.resident_id == resident.id).order_by(SmsMessage.id)
    ))
