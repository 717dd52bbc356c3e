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


HIDDEN_RATE = Published("–", None)


def publish_rate(numerator: Published, denominator: Published) -> Published:
    """A percentage from two published counts; hidden when either one is suppressed.

    The rate is worked out from the published (rounded, unsuppressed) numbers, never from the
    raw ones, so it cannot reveal a count more exactly than the counts themselves do.
    """
    if numerator.value is None or denominator.value is None or denominator.value == 0:
        return HIDDEN_RATE
    percent = (numerator.value * 100 + denominator.value // 2) // denominator.value
    return Published(f"{percent}%", percent)


@dataclass(frozen=True)
class Heading:
    key: str
    label: str


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Published, ...]
    total: Published | None = None


@dataclass(frozen=True)
class Table:
    """A disclosure-controlled table: it holds only Published cells, never a raw count."""

    caption: str
    row_heading: str
    columns: tuple[Heading, ...]
    rows: tuple[Row, ...]
    totals: Row | None
    method: str

    @property
    def has_row_totals(self) -> bool:
        return any(row.total is not None for row in self.rows)

    def column(self, key: str) -> list[Published]:
        index = [c.key for c in self.columns].index(key)
        return [row.cells[index] for row in self.rows]

    def row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)


def build_table(
    *,
    caption: str,
    row_heading: str,
    rows: list[Heading],
    columns: list[Heading],
    counts: dict[tuple[str, str], int],
    row_totals: bool = False,
    column_totals: bool = True,
) -> Table:
    """Publish a grid of raw counts: every cell and every total goes through `publish`.

    Totals are rounded from the unrounded sums, so they need not equal the sum of the
    published cells. Raw counts go in; only Published values come out.
    """
    published_rows = []
    for r in rows:
        raw = [counts.get((r.key, c.key), 0) for c in columns]
        published_rows.append(
            Row(r.key, r.label, tuple(publish(v) for v in raw),
                publish(sum(raw)) if row_totals else None)
        )
    totals = None
    if column_totals:
        col_sums = [sum(counts.get((r.key, c.key), 0) for r in rows) for c in columns]
        grand = sum(col_sums)
        totals = Row("total", "Total", tuple(publish(v) for v in col_sums),
                     publish(grand) if row_totals else None)
    return Table(caption, row_heading, tuple(columns), tuple(published_rows), totals,
                 method_note())
