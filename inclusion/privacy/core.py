"""The core's privacy handler: residents, consents, assessments, text messages, audit entries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Enum, String, Table, delete, func, or_, select, update

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db, utcnow
from inclusion.privacy import Expired, Handler, RetentionPolicy, Section, section
from inclusion.reference import AUTHORITY_NAMES, LANGUAGE_NAMES
from inclusion.residents.models import (
    CONFIDENCE_LEVELS,
    FOUNDATION_TASKS,
    SKILL_AREAS,
    Assessment,
    Consent,
    Resident,
    new_fact_key,
)
from inclusion.sms.models import MessageStatus, SmsMessage
from inclusion.sms.text import purposes

ERASED_NAME = "Erased resident"
# Resident columns that say nothing about who the person is, and so survive erasure; the name
# and the fact key are replaced, and every other nullable text column is emptied.
RESIDENT_KEPT = frozenset(
    {"name", "name_search", "fact_key", "local_authority", "preferred_language", "partner_id"}
)
IN_FLIGHT = (MessageStatus.PENDING, MessageStatus.SENDING)
ERASED_ERROR_CODE = "erased"
BATCH = 500


def _free_text_columns(table_columns: Iterable[Any], kept: frozenset[str]) -> list[str]:
    """Nullable text columns that are not enums and not in `kept`: the ones to empty.

    Written generically so a column added later (notes, an address) is erased too without
    anyone remembering to add it here.
    """
    names = []
    for column in table_columns:
        if column.name in kept or not column.nullable or column.foreign_keys:
            continue
        kind = column.type
        if isinstance(kind, Enum):
            continue
        if isinstance(kind, String | JSON):
            names.append(column.key)
    return names


def erase_core(resident: Resident) -> list[int]:
    """Scrub the resident record, their consents' notes, assessments' free text and messages.

    The row stays (loans and facts point at it) but says nothing about who it was: the name is
    replaced, contact details, date of birth and equality fields are emptied, and the fact key
    is rotated, so outcome facts remain but can no longer be linked to this row.
    """
    now = utcnow()
    resident.name = ERASED_NAME
    resident.name_search = ERASED_NAME.lower()
    resident.fact_key = new_fact_key()
    resident.date_of_birth = None
    resident.imd_decile = None
    for attr in _free_text_columns(Resident.__table__.columns, RESIDENT_KEPT):
        setattr(resident, attr, None)

    for consent in resident.consents:
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now
        for attr in _free_text_columns(Consent.__table__.columns, frozenset()):
            setattr(consent, attr, None)

    assessment_text = _free_text_columns(
        Assessment.__table__.columns, frozenset({"foundation_tasks", "confidence"})
    )
    for assessment in resident.assessments:
        for attr in assessment_text:
            setattr(assessment, attr, None)

    # A message still waiting in the outbox is reported failed, never sent to nobody.
    db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.resident_id == resident.id, SmsMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.FAILED, error_code=ERASED_ERROR_CODE, status_at=now)
    )
    # The provider's message id goes with the number: Twilio keeps the number and the text in
    # its own logs under that id, so anyone holding both could look the person up again.
    db.session.execute(
        update(SmsMessage)
        .where(SmsMessage.resident_id == resident.id)
        .values(body="", to="", error_message=None, provider_id=None)
    )
    db.session.flush()
    return []


def _label(pairs: Sequence[tuple[str, str]], code: str) -> str:
    return dict(pairs).get(code, code)


def collect_core(resident: Resident) -> list[Section]:
    """The resident record, consents, assessments and text messages, as export sections."""
    from inclusion.web import format_date, format_datetime

    sections = [
        section(
            "Your record",
            [
                ("Reference", resident.id),
                ("Name", resident.name),
                ("Phone", resident.phone),
                ("Email", resident.email),
                ("Postcode", resident.postcode),
                ("Local authority", AUTHORITY_NAMES.get(resident.local_authority,
                                                        resident.local_authority)),
                ("Date of birth", format_date(resident.date_of_birth)),
                ("Age band", resident.age_band),
                ("Gender", resident.gender),
                ("Ethnic group", resident.ethnic_group),
                ("Disability", resident.disability),
                ("Employment status", resident.employment_status),
                ("Receives benefits", resident.receives_benefits),
                ("Preferred language", LANGUAGE_NAMES.get(resident.preferred_language,
                                                          resident.preferred_language)),
                ("Lawful basis for holding your data", resident.lawful_basis),
                ("Registered", format_datetime(resident.created_at)),
                ("Last changed", format_datetime(resident.updated_at)),
            ],
        )
    ]
    for consent in resident.consents:
        sections.append(section(
            f"Consent: {consent.kind}",
            [
                ("Wording version", consent.wording_version),
                ("Given", format_datetime(consent.recorded_at)),
                ("Withdrawn", format_datetime(consent.withdrawn_at) or "Not withdrawn"),
                ("Note on withdrawal", consent.withdrawal_note),
            ],
        ))
    for assessment in resident.assessments:
        sections.append(section(
            f"Digital skills assessment on {format_date(assessment.assessed_on)}",
            [
                ("Kind", assessment.kind),
                ("Last used the internet", assessment.last_use),
                ("Access at home", assessment.home_access),
                ("Device access", assessment.device_access),
                ("Tasks you can do unaided", "; ".join(
                    _label(FOUNDATION_TASKS, code) for code in assessment.foundation_tasks or []
                ) or "None"),
                *(
                    (f"Confidence: {_label(SKILL_AREAS, area)}", _label(CONFIDENCE_LEVELS, level))
                    for area, level in sorted((assessment.confidence or {}).items())
                ),
                ("Result", assessment.classification),
            ],
        ))
    messages = db.session.scalars(
        select(SmsMessage).where(SmsMessage.resident_id == resident.id).order_by(SmsMessage.id)
    ).all()
    secret = {name for name, purpose in purposes().items() if purpose.secret}
    for message in messages:
        text = message.body or "(removed)"
        if message.body and message.purpose in secret:
            text = "(not shown: it carried a code that works like cash)"
        sections.append(section(
            f"Text message of {format_datetime(message.created_at)}",
            [
                ("To", message.to),
                ("About", message.purpose),
                ("Text", text),
                ("Status", message.status),
                ("Sent", format_datetime(message.sent_at)),
            ],
        ))
    return sections


def audit_refs_core(resident: Resident) -> list[tuple[str, int]]:
    """Audit entries about the resident record itself, its consents, assessments and messages."""
    refs = [("resident", resident.id)]
    refs += [("consent", c.id) for c in resident.consents]
    refs += [("assessment", a.id) for a in resident.assessments]
    message_ids = db.session.scalars(
        select(SmsMessage.id).where(SmsMessage.resident_id == resident.id)
    ).all()
    refs += [("sms message", i) for i in message_ids]
    return refs


def last_activity_core(resident_ids: Sequence[int]) -> dict[int, datetime]:
    """The latest assessment, consent change or text message for each resident."""
    latest: dict[int, datetime] = {}

    def keep(rows: object) -> None:
        for resident_id, moment in rows:  # type: ignore[attr-defined]
            if moment is not None and (resident_id not in latest or moment > latest[resident_id]):
                latest[resident_id] = moment

    for start in range(0, len(resident_ids), BATCH):
        chunk = list(resident_ids[start:start + BATCH])
        keep(db.session.execute(
            select(Assessment.resident_id, func.max(Assessment.created_at))
            .where(Assessment.resident_id.in_(chunk)).group_by(Assessment.resident_id)
        ))
        keep(db.session.execute(
            select(SmsMessage.resident_id, func.max(SmsMessage.created_at))
            .where(SmsMessage.resident_id.in_(chunk)).group_by(SmsMessage.resident_id)
        ))
        keep(db.session.execute(
            select(Consent.resident_id, func.max(Consent.recorded_at))
            .where(Consent.resident_id.in_(chunk)).group_by(Consent.resident_id)
        ))
        keep(db.session.execute(
            select(Consent.resident_id, func.max(Consent.withdrawn_at))
            .where(Consent.resident_id.in_(chunk)).group_by(Consent.resident_id)
        ))
    # SQLite hands back naive values from an aggregate; they are UTC.
    return {k: _aware(v) for k, v in latest.items()}


def _aware(moment: datetime | str) -> datetime:
    from datetime import UTC

    if isinstance(moment, str):  # SQLite returns aggregates of typed columns as text
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def expire_core(policy: RetentionPolicy, now: datetime, dry_run: bool) -> list[Expired]:
    """Remove the text of old text messages and delete audit entries past their time."""
    lines = []
    message_cutoff = policy.cutoff("messages")
    message_ids = tuple(db.session.scalars(
        select(SmsMessage.id).where(
            SmsMessage.created_at < message_cutoff,
            SmsMessage.status.not_in(IN_FLIGHT),
            or_(SmsMessage.body != "", SmsMessage.to != "", SmsMessage.provider_id.is_not(None)),
        ).order_by(SmsMessage.id)
    ).all())
    lines.append(Expired("messages", "cleared of text, number and provider id", message_ids))
    audit_ids = tuple(db.session.scalars(
        select(AuditEntry.id).where(AuditEntry.at < policy.cutoff("audit entries"))
        .order_by(AuditEntry.id)
    ).all())
    lines.append(Expired("audit entries", "deleted", audit_ids))
    if dry_run:
        return lines
    for start in range(0, len(message_ids), BATCH):
        db.session.execute(
            update(SmsMessage).where(SmsMessage.id.in_(message_ids[start:start + BATCH]))
            .values(body="", to="", error_message=None, provider_id=None)
        )
    # The audit log is append-only for the application; retention is the one exception, done
    # as a bulk statement (the ORM's delete guard applies to single entries).
    table = cast(Table, AuditEntry.__table__)
    for start in range(0, len(audit_ids), BATCH):
        db.session.execute(delete(table).where(table.c.id.in_(audit_ids[start:start + BATCH])))
    db.session.flush()
    return lines


CORE_HANDLER = Handler(
    name="core",
    erase=erase_core,
    collect=collect_core,
    expire=expire_core,
    last_activity=last_activity_core,
    audit_refs=audit_refs_core,
    record_types=("residents", "messages", "audit entries"),
)
