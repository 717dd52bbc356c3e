"""Data protection: retention, erasure on request and subject access, with a registry of handlers.

Each domain package plugs in with a few lines and the core never imports it:

    from inclusion import privacy

    privacy.register(bp, erase=erase_loans, collect=loan_sections, expire=expire_loans,
                     last_activity=loan_activity, record_types=["loans"])

- ``erase(resident)`` scrubs the package's personal fields for that resident (in the caller's
  transaction: flush, never commit) and returns the ids of partners that had received the data
  (referral partners), so they can be told.
- ``collect(resident)`` returns ``Section``s for a subject access export (mask secrets such
  as voucher codes: ``"••••3F7A"``).
- ``expire(policy, now, dry_run)`` applies retention to the package's record types and returns
  ``Expired`` lines (counts, and ids of what went or would go); ``policy.cutoff("loans")`` says
  where the line falls. A dry run changes nothing.
- ``last_activity(resident_ids)`` returns ``{resident_id: datetime}`` of the latest thing the
  package holds for each resident (an open loan should report ``now``), so retention never
  erases someone who is still being helped.
- ``audit_refs(resident)`` returns ``(entity_type, entity_id)`` pairs whose audit entries are
  about the resident, for the subject access export.

Hooks run inside the caller's transaction, which may still roll back: a hook that removes
something outside the database (an uploaded file) should do so only after commit (for example
from a SQLAlchemy ``after_commit`` session event), never directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from flask import Blueprint, Flask, current_app

if TYPE_CHECKING:
    from inclusion.residents.models import Resident

EXTENSION_KEY = "inclusion.privacy"


@dataclass(frozen=True)
class Row:
    """One labelled value in a subject access export; the value is always text."""

    label: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class Section:
    """A titled group of rows (one record, or one kind of record) in a subject access export."""

    title: str
    rows: Sequence[Row] = ()
    empty_text: str = "Nothing held."

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rows": [row.as_dict() for row in self.rows]}


def section(title: str, pairs: Iterable[tuple[str, object]], *, empty_text: str = "Nothing held."
            ) -> Section:
    """A Section from (label, value) pairs; None becomes an empty string, the rest text."""
    rows = tuple(Row(label, "" if value is None else str(value)) for label, value in pairs)
    return Section(title=title, rows=rows, empty_text=empty_text)


@dataclass(frozen=True)
class Expired:
    """What retention did (or would do) to one record type: a count and the record ids."""

    record_type: str
    action: str
    ids: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.ids)


class RetentionPolicy(Protocol):
    """What an expire hook is given: where the retention line falls for each record type."""

    def cutoff(self, record_type: str) -> datetime: ...


EraseHook = Callable[["Resident"], list[int]]
CollectHook = Callable[["Resident"], list[Section]]
ExpireHook = Callable[[RetentionPolicy, datetime, bool], list[Expired]]
ActivityHook = Callable[[Sequence[int]], dict[int, datetime]]
AuditRefsHook = Callable[["Resident"], list[tuple[str, int]]]


@dataclass(frozen=True)
class Handler:
    """One package's part in erasure, subject access and retention."""

    name: str
    erase: EraseHook | None = None
    collect: CollectHook | None = None
    expire: ExpireHook | None = None
    last_activity: ActivityHook | None = None
    audit_refs: AuditRefsHook | None = None
    record_types: tuple[str, ...] = field(default_factory=tuple)


def register(
    bp: Blueprint,
    *,
    erase: EraseHook | None = None,
    collect: CollectHook | None = None,
    expire: ExpireHook | None = None,
    last_activity: ActivityHook | None = None,
    audit_refs: AuditRefsHook | None = None,
    record_types: Iterable[str] = (),
) -> None:
    """Called by a domain package: take part in erasure, subject access and retention."""
    handler = Handler(
        name=bp.name,
        erase=erase,
        collect=collect,
        expire=expire,
        last_activity=last_activity,
        audit_refs=audit_refs,
        record_types=tuple(record_types),
    )

    def _record(state: Any) -> None:
        install(state.app, handler)

    bp.record_once(_record)


def install(app: Flask, handler: Handler) -> None:
    """Add a handler to an app (``register`` does this when the blueprint is registered)."""
    registry: list[Handler] = app.extensions.setdefault(EXTENSION_KEY, [])
    if any(h.name == handler.name for h in registry):
        raise ValueError(f"privacy handler {handler.name!r} is already registered")
    registry.append(handler)


def handlers() -> list[Handler]:
    """Every handler for the current app: the core's first, then the packages' in order."""
    from inclusion.privacy.core import CORE_HANDLER

    return [CORE_HANDLER, *current_app.extensions.get(EXTENSION_KEY, [])]


__all__ = ["Expired", "Handler", "Row", "Section", "handlers", "install", "register", "section"]
