"""The dashboard's content, shared by the page, the PDF report and the open-data export.

`parse_selection` turns URL parameters (or CLI options) into a checked selection with plain
messages for anything wrong; `build_dashboard` asks the query layer for published tables and
draws the charts from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from inclusion.extensions import db
from inclusion.outcomes import charts, query, targets
from inclusion.outcomes.disclosure import Published, Table, method_note
from inclusion.outcomes.measures import MEASURE_BY_KEY
from inclusion.reference import AUTHORITY_CHOICES, AUTHORITY_NAMES

DEFAULT_ROWS = "authority"
TREND_MEASURES = ("residents_supported", "non_users_supported", "moved_out_of_non_use",
                  "devices_provided")
EQUALITY_DIMENSIONS = ("age", "gender", "ethnicity", "disability")
EARLIEST = date(2000, 1, 1)
MAX_DAYS = 366 * 10

_FY = re.compile(r"^fy-(\d{4})$")
_QUARTER = re.compile(r"^q-(\d{4})-([1-4])$")
_MONTH = re.compile(r"^m-(\d{4})-(\d{2})$")


@dataclass
class Selection:
    """What the user asked to see, checked; `errors` says what was wrong, in plain words."""

    filters: query.Filters
    period: str
    rows: str = DEFAULT_ROWS
    cols: str = ""
    measure: str = "residents_supported"
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def area_name(self) -> str:
        return AUTHORITY_NAMES.get(self.filters.authority or "", "") or targets.area_name(
            "REGION")


def period_label(filters: query.Filters) -> str:
    return f"{filters.start.day} {filters.start:%B %Y} to {filters.end.day} {filters.end:%B %Y}"


def period_choices(today: date) -> list[tuple[str, str]]:
    """Financial years, quarters and months a user can pick, most recent first."""
    fy = query.financial_year_of(today)
    out = [("custom", "Custom range (enter dates below)")]
    for year in range(fy, fy - 4, -1):
        out.append((f"fy-{year}", f"Financial year {year}-{(year + 1) % 100:02d}"))
    for year in range(fy, fy - 2, -1):
        for q in range(1, 5):
            out.append((f"q-{year}-{q}", f"{year}-{(year + 1) % 100:02d} quarter {q}"))
    y, m = today.year, today.month
    for _ in range(18):
        out.append((f"m-{y}-{m:02d}", f"{date(y, m, 1):%B %Y}"))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def _period_range(period: str) -> tuple[date, date] | None:
    if match := _FY.match(period):
        return query.financial_year_range(int(match[1]))
    if match := _QUARTER.match(period):
        fy, q = int(match[1]), int(match[2])
        first = 3 + (q - 1) * 3  # months after January of the year the financial year starts
        after = first + 3
        start = date(fy + first // 12, first % 12 + 1, 1)
        end = date(fy + after // 12, after % 12 + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)
    if match := _MONTH.match(period):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            return None
        nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return date(year, month, 1), date.fromordinal(nxt.toordinal() - 1)
    return None


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def partner_exists(partner_id: int) -> bool:
    from inclusion.tenancy import Partner

    return db.session.scalar(select(Partner.id).where(Partner.id == partner_id)) is not None


def parse_selection(args: Mapping[str, str], *, today: date,
                    own_partner_id: int | None = None) -> Selection:
    """Check the URL's filters. A partner user's selection is always their own partner."""
    errors: list[tuple[str, str]] = []
    default = query.financial_year_range(query.financial_year_of(today))
    period = (args.get("period") or "").strip() or f"fy-{query.financial_year_of(today)}"
    start, end = default
    if period == "custom" or args.get("from") or args.get("to"):
        period = "custom"
        first, last = _parse_date(args.get("from", "")), _parse_date(args.get("to", ""))
        if first is None:
            errors.append(("from", "Enter the start date as a real date, like 2025-04-01"
                           if args.get("from", "").strip() else
                           "Enter the start date of the custom range, like 2025-04-01"))
        if last is None:
            errors.append(("to", "Enter the end date as a real date, like 2026-03-31"
                           if args.get("to", "").strip() else
                           "Enter the end date of the custom range, like 2026-03-31"))
        if first and last:
            if last < first:
                errors.append(("to", "The end date must be the same as or after the start date"))
            elif first < EARLIEST:
                errors.append(("from", "The start date must be in 2000 or later"))
            elif (last - first).days > MAX_DAYS:
                errors.append(("to", "Choose a range of 10 years or less"))
            else:
                start, end = first, last
    else:
        found = _period_range(period)
        if found is None or found[0] < EARLIEST:
            errors.append(("period", "Select a period from the list"))
            period = f"fy-{query.financial_year_of(today)}"
        else:
            start, end = found

    authority = (args.get("authority") or "").strip() or None
    if authority and authority not in {a.code for a in AUTHORITY_CHOICES}:
        errors.append(("authority", "Select a local authority from the list"))
        authority = None

    partner_id = own_partner_id
    raw_partner = (args.get("partner") or "").strip()
    if own_partner_id is None and raw_partner:
        if raw_partner.isdigit() and partner_exists(int(raw_partner)):
            partner_id = int(raw_partner)
        else:
            errors.append(("partner", "Select a partner from the list"))

    rows = (args.get("rows") or "").strip() or DEFAULT_ROWS
    if rows not in query.DIMENSION_BY_KEY:
        errors.append(("rows", "Select a breakdown from the list"))
        rows = DEFAULT_ROWS
    cols = (args.get("cols") or "").strip()
    if cols and cols not in query.DIMENSION_BY_KEY:
        errors.append(("cols", "Select a second breakdown from the list"))
        cols = ""
    if cols == rows:
        errors.append(("cols", "Choose a second breakdown different from the first"))
        cols = ""
    measure = (args.get("measure") or "").strip() or "residents_supported"
    if measure not in MEASURE_BY_KEY:
        errors.append(("measure", "Select a measure from the list"))
        measure = "residents_supported"
    filters = query.Filters(start, end, authority, partner_id)
    return Selection(filters, period, rows, cols, measure, errors)


@dataclass(frozen=True)
class TargetPanel:
    view: targets.TargetView
    chart: charts.Chart
    trend: charts.Chart


@dataclass(frozen=True)
class Dashboard:
    selection: Selection
    headline: Table
    targets: list[TargetPanel]
    trend: Table
    trend_chart: charts.Chart
    breakdown: Table
    breakdown_chart: charts.Chart
    cross: Table | None
    method: str


def _column_items(table: Table, key: str) -> list[tuple[str, Published]]:
    return list(zip([r.label for r in table.rows], table.column(key), strict=True))


def _straight_line(view: targets.TargetView) -> list[Published]:
    """Where the running total should be at the end of each month shown (a target, not a
    count, so it needs no disclosure control)."""
    t = view.target
    days = (t.period_end - t.period_start).days + 1
    points = []
    for heading, _ in view.progress.months:
        year, month = (int(part) for part in heading.key.split("-"))
        nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        elapsed = min((nxt - t.period_start).days, days)
        value = t.value * elapsed // days
        points.append(Published(f"{value:,}", value))
    return points


def target_panels(selection: Selection, *, today: date,
                  shared: query.Counts | None = None) -> list[TargetPanel]:
    panels = []
    for view in targets.progress_for(selection.filters, as_of=today, shared=shared):
        p = view.progress
        title = f"{view.measure.label}, {view.area_name}"
        chart = charts.progress_bar(title, p.count, view.target.value, p.expected.value or 0,
                                    p.status)
        labels = [h.label for h, _ in p.months]
        trend = charts.line_chart(
            f"{view.measure.label}: running total against target", labels,
            [("Running total", [v for _, v in p.months]),
             ("Straight line to target", _straight_line(view))],
        )
        panels.append(TargetPanel(view, chart, trend))
    return panels


def build_dashboard(selection: Selection, *, today: date) -> Dashboard:
    """Everything the dashboard shows, published: tables first, charts drawn from them."""
    f = selection.filters
    # One round of counting serves every table on the page (all measures add up over months
    # and categories), and the targets too when they cover exactly this period and area.
    counts = query.Counts(f, (selection.rows, selection.cols) if selection.cols
                          else (selection.rows,))
    headline = counts.headline_table()
    trend_measures = tuple(MEASURE_BY_KEY[k] for k in TREND_MEASURES)
    trend = counts.by("month", trend_measures, caption="Month by month")
    trend_chart = charts.line_chart(
        "Month by month", [r.label for r in trend.rows],
        [(m.label, trend.column(m.key)) for m in trend_measures],
    )
    breakdown = counts.by(selection.rows)
    measure = MEASURE_BY_KEY[selection.measure]
    breakdown_chart = charts.bar_chart(
        f"{measure.label} by {query.DIMENSION_BY_KEY[selection.rows].label.lower()}",
        _column_items(breakdown, measure.key),
    )
    cross = (counts.cross(selection.measure, selection.rows, selection.cols)
             if selection.cols else None)
    panels = target_panels(selection, today=today, shared=counts)
    return Dashboard(selection, headline, panels, trend, trend_chart, breakdown,
                     breakdown_chart, cross, method_note())
