"""Erasure on request and subject access: the rules, callable without a request."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from inclusion import audit, privacy
from inclusion.audit.models import AuditEntry
from inclusion.exceptions import ConflictError, ValidationError
from inclusion.extensions import db, utcnow
from inclusion.privacy import Section, section
from inclusion.privacy.dates import response_due
from inclusion.privacy.models import Erasure, ErasureReason, SubjectAccessRequest
from inclusion.residents.models import Resident
from inclusion.tenancy import Partner


def erasure_of(resident_id: int) -> Erasure | None:
    """The erasure record of a resident, if they were erased."""
    return db.session.scalar(select(Erasure).where(Erasure.resident_id == resident_id))


def erase_resident(*, resident: Resident, reason: ErasureReason, by: int | None) -> Erasure:
    """Erase a resident's personal data through every registered handler, in this transaction.

    The resident row is locked first. Each handler scrubs its own records and names the
    partners that had received the data; those (other than the resident's own partner) are
    kept on the erasure record so they can be told. Outcome facts are not touched. Flushes,
    never commits: if any handler fails the caller rolls back and nothing is erased.

    Raises ConflictError when the resident was already erased.
    """
    db.session.execute(select(Resident.id).where(Resident.id == resident.id).with_for_update())
    if erasure_of(resident.id) is not None:
        raise ConflictError("This resident's data has already been erased.")
    notify: set[int] = set()
    for handler in privacy.handlers():
        if handler.erase is not None:
            notify.update(handler.erase(resident))
    notify.discard(resident.partner_id)
    erasure = Erasure(
        resident_id=resident.id,
        partner_id=resident.partner_id,
        erased_at=utcnow(),
        erased_by_id=by,
        reason=reason,
        notify_partner_ids=sorted(notify),
    )
    db.session.add(erasure)
    db.session.flush()
    audit.record(
        "resident erased",
        entity_type="resident",
        entity_id=resident.id,
        partner_id=resident.partner_id,
        user_id=by,
        detail=f"{reason.value}; {len(notify)} other partner(s) to tell"[:200],
    )
    db.session.flush()
    return erasure


def partners_to_tell(erasure: Erasure) -> list[Partner]:
    """The partners that had received the erased resident's data, by name."""
    if not erasure.notify_partner_ids:
        return []
    return list(db.session.scalars(
        select(Partner).where(Partner.id.in_(erasure.notify_partner_ids)).order_by(Partner.name)
    ))


def record_access_request(*, resident: Resident, received_on: date, today: date,
                          by: int | None) -> SubjectAccessRequest:
    """Record that a resident asked for their data; the answer is due a calendar month later.

    Raises ValidationError (field ``received_on``) for a date in the future, and
    ConflictError when the resident's data has been erased (there is nothing left to send).
    """
    if received_on > today:
        raise ValidationError("The date the request was received must be today or in the past",
                              field="received_on")
    if erasure_of(resident.id) is not None:
        raise ConflictError("This resident's data has been erased; there is nothing to export.")
    request = SubjectAccessRequest(
        resident_id=resident.id,
        partner_id=resident.partner_id,
        received_on=received_on,
        due_on=response_due(received_on),
        recorded_by_id=by,
    )
    db.session.add(request)
    db.session.flush()
    audit.record("subject access request recorded", entity_type="resident",
                 entity_id=resident.id, user_id=by)
    return request


def _audit_section(resident: Resident) -> Section:
    """Audit entries about the resident and their records in every package: what, when, where."""
    from inclusion.web import format_datetime

    refs: list[tuple[str, int]] = []
    for handler in privacy.handlers():
        if handler.audit_refs is not None:
            refs.extend(handler.audit_refs(resident))
    if not refs:
        return section("Activity log entries about you", [])
    by_type: dict[str, set[int]] = {}
    for kind, ident in refs:
        by_type.setdefault(kind, set()).add(ident)
    entries = db.session.scalars(
        select(AuditEntry)
        .where(or_(*(
            and_(AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(sorted(ids)))
            for kind, ids in by_type.items()
        )))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    rows = []
    for entry in entries:
        what = entry.action.capitalize()
        if entry.fields:
            what += f" ({', '.join(entry.fields)})"
        who = entry.partner.name if entry.partner else "The coalition"
        rows.append((format_datetime(entry.at), f"{what}, by {who}"))
    return section("Activity log entries about you", rows)


def build_export(*, resident: Resident) -> dict[str, Any]:
    """Everything held about a resident, as sections from every registered handler (JSON-able)."""
    sections: list[Section] = []
    for handler in privacy.handlers():
        if handler.collect is not None:
            sections.extend(handler.collect(resident))
    sections.append(_audit_section(resident))
    return {
        "resident_id": resident.id,
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "sections": [s.as_dict() for s in sections],
    }


def record_export(*, request: SubjectAccessRequest, file_format: str, by: int | None) -> None:
    """Audit that a subject access file was produced (who, which resident, which format)."""
    audit.record("subject access export", entity_type="resident", entity_id=request.resident_id,
                 user_id=by, detail=f"request {request.id}, {file_format}")
