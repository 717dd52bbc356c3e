"""Targets: what the coalition aims for, set by system admins, and progress against them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.outcomes import query
from inclusion.outcomes.measures import MEASURE_BY_KEY, Measure
from inclusion.outcomes.models import REGION, Target
from inclusion.reference import AUTHORITY_NAMES, LOCAL_AUTHORITIES

# The roadmap: non-users from 22% to 15% of adults; 3,000 retrained in year one, 5,000 after.
NON_USE_BASELINE_PERCENT = 22
NON_USE_GOAL_PERCENT = 15
RETRAINED_FIRST_YEAR = 3000
RETRAINED_LATER_YEARS = 5000
# Device and connectivity targets are the coalition's planning figures; admins can change them.
DEVICES_PER_YEAR = 2000
VOUCHERS_PER_YEAR = 4000
SOCIAL_TARIFF_PER_YEAR = 1000

AREA_CODES = {REGION, *(la.code for la in LOCAL_AUTHORITIES)}


def area_name(code: str) -> str:
    return "West Midlands (all seven authorities)" if code == REGION else AUTHORITY_NAMES.get(
        code, code
    )


def non_use_target_per_year(*, adult_population: int, years: int) -> int:
    """People to move out of non-use each year to take the region from 22% to 15% of adults."""
    if adult_population <= 0:
        raise ValidationError("Enter the adult population as a whole number above 0",
                              field="adult_population")
    if years <= 0:
        raise ValidationError("Enter the number of years as a whole number above 0",
                              field="years")
    gap = adult_population * (NON_USE_BASELINE_PERCENT - NON_USE_GOAL_PERCENT)
    return -(-gap // (100 * years))  # round up: the target is met only when the gap closes


def _check(measure: str, area: str, period_start: date, period_end: date, value: int,
           baseline: int | None) -> None:
    if measure not in MEASURE_BY_KEY:
        raise ValidationError("Select a measure from the list", field="measure")
    if area not in AREA_CODES:
        raise ValidationError("Select the region or one of the seven local authorities",
                              field="area")
    if period_end < period_start:
        raise ValidationError("The end date must be on or after the start date",
                              field="period_end")
    if value <= 0:
        raise ValidationError("Enter a target above 0", field="value")
    if baseline is not None and baseline < 0:
        raise ValidationError("The baseline cannot be negative", field="baseline")


def create_target(*, measure: str, area: str, period_start: date, period_end: date,
                  value: int, baseline: int | None = None, note: str | None = None) -> Target:
    """Add a target. Raises ValidationError for an unknown measure or area, or a bad period."""
    _check(measure, area, period_start, period_end, value, baseline)
    target = Target(measure=measure, area=area, period_start=period_start,
                    period_end=period_end, value=value, baseline=baseline, note=note)
    db.session.add(target)
    db.session.flush()
    return target


def update_target(*, target: Target, measure: str, area: str, period_start: date,
                  period_end: date, value: int, baseline: int | None = None,
                  note: str | None = None) -> Target:
    """Change a target. Raises ValidationError as `create_target` does."""
    _check(measure, area, period_start, period_end, value, baseline)
    target.measure, target.area = measure, area
    target.period_start, target.period_end = period_start, period_end
    target.value, target.baseline, target.note = value, baseline, note
    db.session.flush()
    return target


def delete_target(*, target: Target) -> None:
    """Remove a target (facts are untouched; only the goal goes)."""
    db.session.delete(target)
    db.session.flush()


def seed_roadmap_targets(*, adult_population: int, first_year: int, years: int = 2) -> list[Target]:
    """The roadmap's targets for `years` financial years from April of `first_year`.

    Skips any (measure, area, period) that already has a target, so it can run twice.
    """
    per_year = non_use_target_per_year(adult_population=adult_population, years=years)
    baseline = adult_population * NON_USE_BASELINE_PERCENT // 100
    made = []
    for index in range(years):
        start, end = query.financial_year_range(first_year + index)
        plan = [
            ("moved_out_of_non_use", per_year, baseline,
             f"{NON_USE_BASELINE_PERCENT}% to {NON_USE_GOAL_PERCENT}% of "
             f"{adult_population:,} adults over {years} years"),
            ("retraining_completions",
             RETRAINED_FIRST_YEAR if index == 0 else RETRAINED_LATER_YEARS, None,
             "Digital Retraining Fund: 3,000 in the first year, 5,000 a year after"),
            ("devices_provided", DEVICES_PER_YEAR, None, "Devices lent or gifted"),
            ("vouchers_issued", VOUCHERS_PER_YEAR, None, "Connectivity vouchers"),
            ("social_tariff", SOCIAL_TARIFF_PER_YEAR, None, "Social tariff take-up"),
        ]
        for measure, value, base, note in plan:
            exists = db.session.scalar(
                select(Target.id).where(Target.measure == measure, Target.area == REGION,
                                        Target.period_start == start, Target.period_end == end)
            )
            if exists is None:
                made.append(create_target(measure=measure, area=REGION, period_start=start,
                                          period_end=end, value=value, baseline=base,
                                          note=note))
    return made


def all_targets() -> list[Target]:
    return list(db.session.scalars(
        select(Target).order_by(Target.period_start, Target.area, Target.measure, Target.id)
    ))


@dataclass(frozen=True)
class TargetView:
    target: Target
    measure: Measure
    area_name: str
    progress: query.Progress


def progress_for(filters: query.Filters, *, as_of: date,
                 shared: query.Counts | None = None) -> list[TargetView]:
    """Targets overlapping the filtered period for its area, each with published progress.

    Progress is counted over the target's own period and area, within the partner filter.
    Targets with the same period and area share one round of counting (and reuse `shared`
    when it was made for exactly that scope).
    """
    area = filters.authority or REGION
    found = list(db.session.scalars(
        select(Target).where(Target.area == area, Target.period_start <= filters.end,
                             Target.period_end >= filters.start)
        .order_by(Target.period_start, Target.measure)
    ))
    by_scope: dict[query.Filters, query.Counts] = {}
    if shared is not None:
        by_scope[shared.filters] = shared
    views = []
    for target in found:
        scope = query.Filters(target.period_start, target.period_end,
                              None if target.area == REGION else target.area, filters.partner_id)
        if scope not in by_scope:
            measures = tuple(MEASURE_BY_KEY[t.measure] for t in found
                             if (t.period_start, t.period_end, t.area) ==
                             (target.period_start, target.period_end, target.area))
            by_scope[scope] = query.Counts(scope, (), measures)
        views.append(TargetView(
            target, MEASURE_BY_KEY[target.measure], area_name(target.area),
            by_scope[scope].progress(target.measure, target.value, as_of),
        ))
    return views
