"""A resident's timeline, filled by the packages that do things for residents.

The core knows no domain package: each one registers a source with
`timeline.register(bp, source)`, where `source(resident)` returns `TimelineEntry` items
(loans, vouchers, referrals). The resident page shows them all, newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app

if TYPE_CHECKING:
    from inclusion.residents.models import Resident

EXTENSION_KEY = "inclusion.timeline"


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened for a resident: when, what (no more than a line), and a link."""

    on: date
    text: str
    href: str | None = None


TimelineSource = Callable[["Resident"], Iterable[TimelineEntry]]


def register(bp: Blueprint, source: TimelineSource) -> None:
    """Called by a package: add `source` to every resident's timeline when `bp` is registered."""

    def _record(state: Any) -> None:
        state.app.extensions.setdefault(EXTENSION_KEY, []).append(source)

    bp.record_once(_record)


def entries_for(resident: Resident) -> list[TimelineEntry]:
    """Every registered source's entries for this resident, newest first."""
    entries: list[TimelineEntry] = []
    for source in current_app.extensions.get(EXTENSION_KEY, []):
        entries.extend(source(resident))
    return sorted(entries, key=lambda e: e.on, reverse=True)
