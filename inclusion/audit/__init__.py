"""The append-only audit log and the one function every package records through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from inclusion.audit.models import AuditEntry
from inclusion.extensions import db


def record(
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: int | None = None,
    fields: Iterable[str] = (),
    partner_id: int | None = None,
    user_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction: who, for which partner, did what to what.

    Field *names* are recorded, never their values. The acting user and partner come from the
    request when not given. The caller commits with the change it describes.
    """
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    if partner_id is None and has_request_context():
        partner = g.get("partner")
        partner_id = partner.id if partner is not None else None
    address = request.remote_addr if has_request_context() else None
    entry = AuditEntry(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        fields=sorted(set(fields)),
        partner_id=partner_id,
        user_id=user_id,
        detail=detail,
        address=address,
    )
    db.session.add(entry)
    return entry


def record_now(action: str, **kwargs: Any) -> None:
    """Record and commit at once, for events with no other change (sign-in, refused access)."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()
