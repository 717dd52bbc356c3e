"""Audit entries: appended, never updated or deleted by the application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusion.extensions import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        # The log's orderings, newest first with the id breaking ties (inclusion.pagination):
        # one partner's entries, and everyone's.
        Index("ix_audit_entry_partner_at_id", "partner_id", "at", "id"),
        Index("ix_audit_entry_at_id", "at", "id"),
        Index("ix_audit_entry_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column()
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64))

    user = relationship("User")
    partner = relationship("Partner")


class AuditLogIsAppendOnlyError(RuntimeError):
    """Something tried to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnlyError("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnlyError("audit entries cannot be deleted")
