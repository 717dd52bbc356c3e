"""The query layer: counts from outcome facts, returned only as disclosure-controlled tables.

Every page, PDF and export asks this module for figures. Raw counts stay inside it (the
underscored functions); what leaves is a `Table` of `Published` cells or a `Published` value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from inclusion.extensions import db
from inclusion.outcomes import rollup
from inclusion.outcomes.disclosure import (
    Heading,
    Published,
    Table,
    build_table,
    publish,
    publish_rate,
)
from inclusion.outcomes.measures import (
    MEASURE_BY_KEY,
    MEASURES,
    Measure,
)
from inclusion.outcomes.models import FactKind, OutcomeFact, OutcomeRollup, PendingFact
from inclusion.reference import AUTHORITY_CHOICES, AUTHORITY_NAMES, AgeBand

NOT_KNOWN = "Not known"
AGE_BANDS_ORDER = [band.value for band in AgeBand]

Month = tuple[int, int]


@dataclass(frozen=True)
class Filters:
    """Which facts count: a date range (inclusive), optionally one authority and one partner."""

    start: date
    end: date
    authority: str | None = None
    partner_id: int | None = None


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    column: str | None  # the fact column; None for the period dimensions, made from months
    time: bool = False


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("month", "Month", None, time=True),
    Dimension("quarter", "Quarter", None, time=True),
    Dimension("year", "Financial year", None, time=True),
    Dimension("authority", "Local authority", "local_authority"),
    Dimension("partner", "Partner", "partner_id"),
    Dimension("imd", "Deprivation decile (IMD)", "imd_decile"),
    Dimension("age", "Age band", "age_band"),
    Dimension("gender", "Gender", "gender"),
    Dimension("ethnicity", "Ethnic group", "ethnic_group"),
    Dimension("disability", "Disability", "disability"),
)
DIMENSION_BY_KEY = {d.key: d for d in DIMENSIONS}

_GENDER_LABELS = {
    "woman": "Woman", "man": "Man", "non-binary": "Non-binary",
    "other": "Another way", "not-said": "Prefers not to say",
}
_ETHNIC_LABELS = {
    "asian": "Asian or Asian British", "black": "Black, Black British, Caribbean or African",
    "mixed": "Mixed or multiple ethnic groups", "white": "White", "other": "Other ethnic group",
}
_DISABILITY_LABELS = {"yes": "Disabled", "no": "Not disabled", "not-said": "Prefers not to say"}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# ---------------------------------------------------------------------------------------------
# Periods


def financial_year_of(day: date) -> int:
    """The starting calendar year of the April-to-March financial year containing `day`."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_range(year: int) -> tuple[date, date]:
    return date(year, 4, 1), date(year + 1, 3, 31)


def months_between(start: date, end: date) -> list[Month]:
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _time_key(dim: str, month: Month) -> tuple[str, str]:
    y, m = month
    if dim == "month":
        return f"{y}-{m:02d}", f"{_MONTHS[m - 1]} {y}"
    fy = y if m >= 4 else y - 1
    if dim == "quarter":
        q = (m - 4) % 12 // 3 + 1
        return f"{fy}-Q{q}", f"{fy}-{(fy + 1) % 100:02d} Q{q}"
    return f"{fy}", f"{fy}-{(fy + 1) % 100:02d}"


# ---------------------------------------------------------------------------------------------
# Raw counting (private: nothing outside this module sees a raw number)


def _constant(value: Any) -> Any:
    """A constant of this module (a kind, a detail, a number) written into the SQL itself:
    each statement shape then compiles to one fixed string, with nothing to expand or bind
    per run but the dates, authority and partner."""
    if isinstance(value, int):
        return literal_column(str(value))
    text = str(value.value if isinstance(value, FactKind) else value)
    return literal_column("'" + text.replace("'", "''") + "'")


def _one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    return column.in_([_constant(v) for v in values])


def _detail_predicate(measure: Measure, fact: Any, *, rolled: bool = False
                      ) -> ColumnElement[bool]:
    """Which facts (or roll-up rows, where an unknown detail is '') a measure adds up. A person
    measure adds up the facts marked as each person's first qualifying one (see
    inclusion.outcomes.milestones)."""
    clauses: list[ColumnElement[bool]] = [_one_of(fact.kind, measure.kinds)]
    if measure.person:
        clauses.append(fact.milestones.op("&")(_constant(measure.milestone)) != _constant(0))
        return and_(*clauses)
    if measure.detail_in is not None:
        clauses.append(_one_of(fact.detail, measure.detail_in))
    if measure.detail_not_in is not None:
        clauses.append(fact.detail != _constant("") if rolled else fact.detail.is_not(None))
        clauses.append(~_one_of(fact.detail, measure.detail_not_in))
    return and_(*clauses)


RawCounts = dict[tuple[Any, ...], dict[str, int]]


def _month_expression(fact: Any, dialect: str) -> Any:
    # date_trunc is several times cheaper than two EXTRACTs over millions of rows.
    if dialect == "postgresql":
        return func.date_trunc(_constant("month"), fact.occurred_on).label("month")
    return func.strftime(_constant("%Y-%m"), fact.occurred_on).label("month")


def _month_of(value: Any) -> Month:
    if isinstance(value, str):
        year, month = value.split("-")
        return int(year), int(month)
    return value.year, value.month


def _whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first and last day of the whole calendar months inside [start, end], if any."""
    if start.day == 1:
        first = start
    elif (start.year, start.month) == (date.max.year, date.max.month):
        return None
    else:
        first = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if end == date.max or (end + timedelta(days=1)).day == 1:
        last = end
    elif (end.year, end.month) == (date.min.year, date.min.month):
        return None
    else:
        last = end.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def _sums(measures: tuple[Measure, ...], source: Any, *, rolled: bool) -> list[Any]:
    """Every measure as a conditional sum: quantities for events, one per marked fact for
    people (the roll-up keeps the number of facts for that)."""
    def amount(m: Measure) -> Any:
        if not m.person:
            return source.quantity
        return source.facts if rolled else _constant(1)

    return [func.sum(case((_detail_predicate(m, source, rolled=rolled), amount(m)),
                          else_=_constant(0))).label(m.key) for m in measures]


# Statements are built once per shape (SQLAlchemy then caches their compiled SQL too); the
# dates, authority and partner are bound parameters.
@lru_cache(maxsize=256)
def _facts_statement(dialect: str, fact_dims: tuple[str, ...], measures: tuple[Measure, ...],
                     by_authority: bool, by_partner: bool, pending_only: bool) -> Any:
    f = OutcomeFact
    group = [_month_expression(f, dialect),
             *(getattr(f, DIMENSION_BY_KEY[d].column or "").label(d) for d in fact_dims)]
    kinds = sorted({k for m in measures for k in m.kinds})
    where = [_one_of(f.kind, kinds), f.occurred_on >= bindparam("start", type_=Date),
             f.occurred_on <= bindparam("end", type_=Date)]
    if by_authority:
        where.append(f.local_authority == bindparam("authority"))
    if by_partner:
        where.append(f.partner_id == bindparam("partner", type_=Integer))
    statement = select(*group, *_sums(measures, f, rolled=False))
    if pending_only:
        statement = statement.join_from(f, PendingFact, PendingFact.fact_id == f.id)
    return statement.where(*where).group_by(*[c.name for c in group])


@lru_cache(maxsize=256)
def _rolled_statement(fact_dims: tuple[str, ...], measures: tuple[Measure, ...],
                      grain: tuple[str, ...], by_authority: bool, by_partner: bool) -> Any:
    r = OutcomeRollup
    value_columns = {dim: (r.value1, r.value2)[i] for i, dim in enumerate(grain)}
    columns: dict[str, Any] = {"authority": r.local_authority, **value_columns}
    group = [r.month.label("month"), *(columns[d].label(d) for d in fact_dims)]
    kinds = sorted({k for m in measures for k in m.kinds})
    where = [r.grain == _constant(rollup.grain_name(grain)),
             r.month >= bindparam("start", type_=Date), r.month <= bindparam("end", type_=Date),
             _one_of(r.kind, kinds)]
    if by_authority:
        where.append(r.local_authority == bindparam("authority"))
    if by_partner:
        where.append(value_columns["partner"] == bindparam("partner"))
    return (select(*group, *_sums(measures, r, rolled=True)).where(*where)
            .group_by(*[c.name for c in group]))


def _add_rows(out: RawCounts, rows: Any, fact_dims: tuple[str, ...],
              measures: tuple[Measure, ...], rolled: bool) -> None:
    for row in rows:
        key = (*_month_of(row["month"]), *(
            rollup.to_value(d, row[d]) if rolled and d != "authority" else row[d]
            for d in fact_dims))
        for m in measures:
            if row[m.key]:
                out[key][m.key] += int(row[m.key])


def _add_facts(out: RawCounts, filters: Filters, fact_dims: tuple[str, ...],
               measures: tuple[Measure, ...], start: date, end: date,
               pending_only: bool = False) -> None:
    """Add the facts themselves from start to end (only those not rolled up, if asked)."""
    dialect = db.session.get_bind().dialect.name
    statement = _facts_statement(dialect, fact_dims, measures, bool(filters.authority),
                                 filters.partner_id is not None, pending_only)
    params = {"start": start, "end": end, "authority": filters.authority,
              "partner": filters.partner_id}
    _add_rows(out, db.session.execute(statement, params).mappings(), fact_dims, measures,
              rolled=False)


def _add_rolled(out: RawCounts, filters: Filters, fact_dims: tuple[str, ...],
                measures: tuple[Measure, ...], grain: tuple[str, ...],
                months: tuple[date, date]) -> None:
    """Add the rolled-up facts of whole months from the grain that has every column needed."""
    statement = _rolled_statement(fact_dims, measures, grain, bool(filters.authority),
                                  filters.partner_id is not None)
    params = {"start": months[0], "end": months[1], "authority": filters.authority,
              "partner": rollup.from_value(filters.partner_id)}
    _add_rows(out, db.session.execute(statement, params).mappings(), fact_dims, measures,
              rolled=True)


def _raw_counts(filters: Filters, dims: tuple[str, ...],
                measures: tuple[Measure, ...] = MEASURES) -> RawCounts:
    """Unrounded counts keyed by (year, month, *dimension values), per measure key.

    Whole months come from the roll-up plus the facts not yet rolled up; part months at
    either end, and groupings no grain holds, from the facts. Each is one grouped query, every
    measure a conditional sum."""
    fact_dims = tuple(d for d in dims if DIMENSION_BY_KEY[d].column)
    out: RawCounts = defaultdict(lambda: defaultdict(int))
    grain = rollup.grain_for(fact_dims, partner_filter=filters.partner_id is not None)
    months = _whole_months(filters.start, filters.end)
    if grain is None or months is None:
        _add_facts(out, filters, fact_dims, measures, filters.start, filters.end)
        return out
    _add_rolled(out, filters, fact_dims, measures, grain, months)
    _add_facts(out, filters, fact_dims, measures, months[0], months[1], pending_only=True)
    if filters.start < months[0]:
        _add_facts(out, filters, fact_dims, measures, filters.start,
                   months[0] - timedelta(days=1))
    if months[1] < filters.end:
        _add_facts(out, filters, fact_dims, measures, months[1] + timedelta(days=1),
                   filters.end)
    return out


# ---------------------------------------------------------------------------------------------
# Categories of each dimension, with labels


def partner_names() -> dict[int, str]:
    from inclusion.tenancy import Partner

    return {row[0]: row[1] for row in db.session.execute(select(Partner.id, Partner.name))}


def _categories(dim: str, filters: Filters, seen: Iterable[Any]) -> list[tuple[Any, Heading]]:
    """(raw value, heading) for every category to show: the known list plus any seen value."""
    seen = set(seen)
    if DIMENSION_BY_KEY[dim].time:
        out: dict[str, Heading] = {}
        for month in months_between(filters.start, filters.end):
            key, label = _time_key(dim, month)
            out.setdefault(key, Heading(key, label))
        return [(h.key, h) for h in out.values()]
    known: list[tuple[Any, str]]
    if dim == "authority":
        codes = [filters.authority] if filters.authority else [a.code for a in AUTHORITY_CHOICES]
        known = [(c, AUTHORITY_NAMES.get(c, c)) for c in codes]
        known += [(v, AUTHORITY_NAMES.get(v, v)) for v in sorted(seen - set(codes), key=str)]
    elif dim == "partner":
        names = partner_names()
        ids = {filters.partner_id} if filters.partner_id is not None else set(seen)
        known = sorted(((i, names.get(i, f"Partner {i}")) for i in ids if i is not None),
                       key=lambda p: p[1])
    elif dim == "imd":
        known = [(d, f"Decile {d}{' (most deprived)' if d == 1 else ''}"
                  f"{' (least deprived)' if d == 10 else ''}") for d in range(1, 11)]
    elif dim == "age":
        known = [(a, a) for a in AGE_BANDS_ORDER]
        known += [(v, v) for v in sorted(v for v in seen if v and v not in AGE_BANDS_ORDER)]
    else:
        labels = {"gender": _GENDER_LABELS, "ethnicity": _ETHNIC_LABELS,
                  "disability": _DISABILITY_LABELS}[dim]
        known = list(labels.items())
        known += [(v, v) for v in sorted(v for v in seen if v and v not in labels)]
    result = [(raw, Heading(str(raw), label)) for raw, label in known]
    if None in seen:
        result.append((None, Heading("not-known", NOT_KNOWN)))
    return result


def _bucket(dim: str, key: tuple[Any, ...], fact_dims: tuple[str, ...]) -> Any:
    if DIMENSION_BY_KEY[dim].time:
        return _time_key(dim, (key[0], key[1]))[0]
    return key[2 + fact_dims.index(dim)]


# ---------------------------------------------------------------------------------------------
# Public: published figures only


class Counts:
    """One round of counting (by month and up to two fact dimensions), from which every table
    the dashboard, report and export need is published. The raw numbers stay private; the
    methods hand out `Table`s and `Published` values only."""

    def __init__(self, filters: Filters, dims: Iterable[str] = (),
                 measures: tuple[Measure, ...] = MEASURES) -> None:
        self.filters = filters
        self.measures = measures
        self._dims = tuple(dict.fromkeys(d for d in dims if DIMENSION_BY_KEY[d].column))
        self.__raw = _raw_counts(filters, self._dims, measures)

    @property
    def dims(self) -> tuple[str, ...]:
        return self._dims

    def _check(self, *dims: str) -> None:
        for dim in dims:
            if DIMENSION_BY_KEY[dim].column and dim not in self._dims:
                raise ValueError(f"these counts were not made by {dim}")

    def _grid(self, row_dim: str | None, col_dim: str | None,
              measures: tuple[Measure, ...]) -> tuple[list[tuple[Any, Heading]],
                                                      list[tuple[Any, Heading]],
                                                      dict[tuple[str, str], int]]:
        """Raw sums by (row, column) where a None dimension means 'by measure'."""
        def categories(dim: str | None) -> list[tuple[Any, Heading]]:
            if dim is None:
                return [(m.key, Heading(m.key, m.label)) for m in measures]
            seen = {_bucket(dim, key, self._dims) for key in self.__raw}
            return _categories(dim, self.filters, seen)

        rows, cols = categories(row_dim), categories(col_dim)
        row_of, col_of = dict(rows), dict(cols)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for key, values in self.__raw.items():
            for m in measures:
                value = values.get(m.key, 0)
                if not value:
                    continue
                r = row_of[m.key if row_dim is None else _bucket(row_dim, key, self._dims)]
                c = col_of[m.key if col_dim is None else _bucket(col_dim, key, self._dims)]
                counts[(r.key, c.key)] += value
        return rows, cols, counts

    def totals(self, measures: tuple[Measure, ...] | None = None) -> dict[str, Published]:
        measures = measures or self.measures
        sums = {m.key: sum(v.get(m.key, 0) for v in self.__raw.values()) for m in measures}
        return {key: publish(value) for key, value in sums.items()}

    def headline_table(self, caption: str = "Headline figures") -> Table:
        rows, _, counts = self._grid(None, None, self.measures)
        flat = {(r.key, "count"): counts.get((r.key, r.key), 0) for _, r in rows}
        return build_table(caption=caption, row_heading="Measure", rows=[h for _, h in rows],
                           columns=[Heading("count", "Count")], counts=flat,
                           column_totals=False)

    def by(self, dim: str, measures: tuple[Measure, ...] | None = None,
           caption: str | None = None) -> Table:
        """Measures (columns) by one dimension (rows), with column totals."""
        self._check(dim)
        measures = measures or self.measures
        rows, cols, counts = self._grid(dim, None, measures)
        label = DIMENSION_BY_KEY[dim].label
        return build_table(caption=caption or f"Measures by {label.lower()}", row_heading=label,
                           rows=[h for _, h in rows], columns=[h for _, h in cols],
                           counts=counts)

    def cross(self, measure_key: str, row_dim: str, col_dim: str) -> Table:
        """One measure by two dimensions at once, with row, column and grand totals."""
        self._check(row_dim, col_dim)
        measure = MEASURE_BY_KEY[measure_key]
        rows_d, cols_d = DIMENSION_BY_KEY[row_dim], DIMENSION_BY_KEY[col_dim]
        counts: dict[tuple[str, str], int] = defaultdict(int)
        seen_r = {_bucket(row_dim, key, self._dims) for key in self.__raw}
        seen_c = {_bucket(col_dim, key, self._dims) for key in self.__raw}
        rows, cols = (_categories(row_dim, self.filters, seen_r),
                      _categories(col_dim, self.filters, seen_c))
        row_of, col_of = dict(rows), dict(cols)
        for key, values in self.__raw.items():
            value = values.get(measure.key, 0)
            if value:
                counts[(row_of[_bucket(row_dim, key, self._dims)].key,
                        col_of[_bucket(col_dim, key, self._dims)].key)] += value
        return build_table(
            caption=f"{measure.label} by {rows_d.label.lower()} and {cols_d.label.lower()}",
            row_heading=rows_d.label, rows=[h for _, h in rows], columns=[h for _, h in cols],
            counts=counts, row_totals=True,
        )

    def progress(self, measure_key: str, target_value: int, as_of: date) -> Progress:
        """Count, share of target, and trajectory: on track when the count has reached the
        straight line from 0 at the start of the period to the target at its end."""
        measure = MEASURE_BY_KEY[measure_key]
        by_month: dict[Month, int] = defaultdict(int)
        for key, values in self.__raw.items():
            by_month[(key[0], key[1])] += values.get(measure.key, 0)
        total = sum(by_month.values())
        running = 0
        months = []
        for month in months_between(self.filters.start, self.filters.end):
            if month > (as_of.year, as_of.month):
                break
            running += by_month.get(month, 0)
            month_key, label = _time_key("month", month)
            months.append((Heading(month_key, label), publish(running)))
        days = (self.filters.end - self.filters.start).days + 1
        elapsed = min(max((as_of - self.filters.start).days + 1, 0), days)
        expected_raw = target_value * elapsed // days
        count = publish(total)
        if elapsed == 0:
            status = "not started"
        elif total >= target_value:
            status = "met"
        elif total >= expected_raw:
            status = "on track"
        else:
            status = "behind"
        target = Published(f"{target_value:,}", target_value)
        return Progress(count, publish_rate(count, target),
                        Published(f"{expected_raw:,}", expected_raw), status, tuple(months))


@dataclass(frozen=True)
class Progress:
    """How far a measure has come against a target, all published."""

    count: Published
    percent: Published
    expected: Published
    status: str
    months: tuple[tuple[Heading, Published], ...]


def headline(filters: Filters, measures: tuple[Measure, ...] = MEASURES) -> dict[str, Published]:
    """Each measure's published total for the filtered period."""
    return Counts(filters, (), measures).totals()


def headline_table(filters: Filters, caption: str = "Headline figures") -> Table:
    return Counts(filters).headline_table(caption)


def measures_by(filters: Filters, dim: str, measures: tuple[Measure, ...] = MEASURES,
                caption: str | None = None) -> Table:
    """Every measure (columns) broken down by one dimension (rows), with column totals."""
    return Counts(filters, (dim,), measures).by(dim, measures, caption)


def cross_table(filters: Filters, measure_key: str, row_dim: str, col_dim: str) -> Table:
    """One measure by two dimensions at once (e.g. authority x quarter), with both totals."""
    counts = Counts(filters, (row_dim, col_dim), (MEASURE_BY_KEY[measure_key],))
    return counts.cross(measure_key, row_dim, col_dim)


def progress(filters: Filters, measure_key: str, target_value: int, as_of: date) -> Progress:
    return Counts(filters, (), (MEASURE_BY_KEY[measure_key],)).progress(
        measure_key, target_value, as_of)


__all__ = [
    "DIMENSIONS", "DIMENSION_BY_KEY", "Counts", "Filters",
    "Progress", "cross_table", "financial_year_of", "financial_year_range", "headline",
    "headline_table", "measures_by", "progress",
]
