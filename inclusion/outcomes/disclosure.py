"""Disclosure control for published counts, applied in one place.

0 stays 0; 1 to the threshold shows as '*'; every other value, totals included, is rounded to
the nearest base (totals from their unrounded sums).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context

SUPPRESSED = "*"


@dataclass(frozen=True)
class Published:
    """A count as it may be shown: its display text, and a number only when not suppressed."""

    text: str
    value: int | None

    def __str__(self) -> str:
        return self.text


def _settings() -> tuple[int, int]:
    if has_app_context():
        cfg = current_app.config
        return int(cfg["SUPPRESSION_THRESHOLD"]), int(cfg["ROUNDING_BASE"])
    return 7, 5


def publish(count: int) -> Published:
    """Apply the rule to one unrounded count."""
    threshold, base = _settings()
    if count < 0:
        raise ValueError("counts are never negative")
    if count == 0:
        return Published("0", 0)
    if count <= threshold:
        return Published(SUPPRESSED, None)
    # Round half up to the nearest base (Python's round() would round half to even).
    rounded = ((count + base // 2) // base) * base
    return Published(f"{rounded:,}", rounded)


def method_note() -> str:
    threshold, base = _settings()
    return (
        f"Counts of 1 to {threshold} are shown as {SUPPRESSED}. Every other count, totals "
        f"included, is rounded to the nearest {base}; totals are rounded from the unrounded "
        "sums, so rows may not add up to the total."
    )
