"""The monthly roll-up: outcome facts added up by month and a few dimensions, kept with the facts.

A financial year at regional scale is a million or more facts; counting them for every
dashboard view is too slow. `outcome_rollup` holds the same facts added up per month, kind,
detail, milestones and local authority, once for every *grain*: no further dimension, or one or
two of partner, deprivation decile, age band, gender, ethnic group and disability. A count for
whole months reads the smallest grain that has every column it groups or filters by, plus the
facts not yet rolled up (see inclusion.outcomes.query), so every figure is exact at every
moment, whether or not the roll-up has caught up.

How facts get in: a new fact is PENDING. `refresh` moves pending facts into the roll-up in
batches and marks them ROLLED_UP, in one transaction per batch. It runs from
`flask outcomes rollup` (a cron job every few minutes), after bulk loads, and from the dashboard
when many facts are waiting. On PostgreSQL the batch is claimed with FOR UPDATE SKIP LOCKED in
the same statement that marks it, so a fact committed while a refresh runs is simply left for
the next one; on SQLite, writers are serialised and the batch is claimed by its first write.

How facts change: only their `milestones` bits, when a back-dated fact becomes a person's first
(inclusion.outcomes.milestones). If the fact is already rolled up, `retract` takes its old
contribution back out of every grain, and the fact goes back to PENDING to be added again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from itertools import combinations
from typing import Any

from sqlalchemy import (
    Date,
    String,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from inclusion.outcomes.models import PENDING, ROLLED_UP, ROLLING, OutcomeFact, OutcomeRollup

# The dimensions a grain may keep beside the local authority, in the order grain names use.
ROLLUP_COLUMNS: dict[str, str] = {
    "partner": "partner_id",
    "imd": "imd_decile",
    "age": "age_band",
    "gender": "gender",
    "ethnicity": "ethnic_group",
    "disability": "disability",
}
GRAINS: tuple[tuple[str, ...], ...] = tuple(
    combo for size in range(3) for combo in combinations(ROLLUP_COLUMNS, size))
INTEGER_DIMENSIONS = frozenset({"partner", "imd"})
# An advisory lock key (any constant): one refresh at a time, and no retraction during one.
_LOCK_KEY = 740_221_001
BATCH = 200_000
# Copied from each fact into a batch; the order of the batch table's columns.
_FACT_COLUMNS = ("kind", "occurred_on", "detail", "milestones", "local_authority",
                 "partner_id", "imd_decile", "age_band", "gender", "ethnic_group",
                 "disability", "quantity")


def grain_name(grain: tuple[str, ...]) -> str:
    return "+".join(grain)


def grain_for(dims: Iterable[str], *, partner_filter: bool) -> tuple[str, ...] | None:
    """The grain that can answer a count grouped by `dims` (time and authority are in every
    grain), or None when it needs more than two of the other dimensions."""
    wanted = {d for d in dims if d in ROLLUP_COLUMNS}
    if partner_filter:
        wanted.add("partner")
    if len(wanted) > 2:
        return None
    return tuple(d for d in ROLLUP_COLUMNS if d in wanted)


def to_value(dim: str, stored: str) -> Any:
    """A grain's text value back to the fact column's value ('' is unknown)."""
    if stored == "":
        return None
    return int(stored) if dim in INTEGER_DIMENSIONS else stored


def from_value(value: Any) -> str:
    return "" if value is None else str(value)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session) -> Any:
    return (postgresql.insert if _is_postgresql(session) else sqlite.insert)(OutcomeRollup)


def _upsert(statement: Any) -> Any:
    table = OutcomeRollup.__table__
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"quantity": table.c.quantity + statement.excluded.quantity,
              "facts": table.c.facts + statement.excluded.facts},
    )


def _month(session: Session, column: Any) -> Any:
    if _is_postgresql(session):
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _as_text(column: Any) -> Any:
    # Rendered inline (not a bound parameter) so GROUP BY matches the select list exactly.
    return func.coalesce(cast(column, String), literal_column("''"))


def _aggregate(session: Session, source: Any) -> None:
    """Add every row of `source` (a table or subquery with the fact columns) into every grain."""
    month = _month(session, source.c.occurred_on).label("month")
    detail = _as_text(source.c.detail).label("detail")
    for grain in GRAINS:
        values = [_as_text(source.c[ROLLUP_COLUMNS[d]]) for d in grain]
        values += [literal_column("''")] * (2 - len(values))
        query = (
            select(literal(grain_name(grain), String).label("grain"), month,
                   source.c.kind.label("kind"), detail,
                   source.c.milestones.label("milestones"),
                   source.c.local_authority.label("local_authority"),
                   values[0].label("value1"), values[1].label("value2"),
                   func.sum(source.c.quantity).label("quantity"),
                   func.count().label("facts"))
            # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parsing ambiguity).
            .where(literal_column("1") == literal_column("1"))
            .group_by(text("2"), text("3"), text("4"), text("5"), text("6"), text("7"),
                      text("8"))
        )
        columns = ["grain", "month", "kind", "detail", "milestones", "local_authority",
                   "value1", "value2", "quantity", "facts"]
        session.execute(_upsert(_insert(session).from_select(columns, query)))


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutcomeFact).where(
        OutcomeFact.rollup_state != ROLLED_UP)) or 0)


_BATCH_TABLE = table("outcome_rollup_batch",
                     *[column(c, OutcomeFact.__table__.c[c].type) for c in _FACT_COLUMNS])


def _refresh_batch_postgresql(session: Session, limit: int) -> int:
    columns = ", ".join(_FACT_COLUMNS)
    returned = ", ".join(f"outcome_fact.{c}" for c in _FACT_COLUMNS)
    # Column names are this module's constants, never input.
    session.execute(text(
        "CREATE TEMPORARY TABLE IF NOT EXISTS outcome_rollup_batch ON COMMIT DELETE ROWS "  # noqa: S608
        f"AS SELECT {columns} FROM outcome_fact WITH NO DATA"))
    # One statement claims, marks and copies the batch, so a fact committed meanwhile (or
    # locked by a transaction moving its milestones) is left for the next refresh.
    moved = session.execute(text(
        f"WITH claimed AS (SELECT id FROM outcome_fact WHERE rollup_state = {PENDING} "  # noqa: S608
        "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED), "
        f"moved AS (UPDATE outcome_fact SET rollup_state = {ROLLED_UP} FROM claimed "
        f"WHERE outcome_fact.id = claimed.id RETURNING {returned}) "
        f"INSERT INTO outcome_rollup_batch ({columns}) SELECT {columns} FROM moved"),
        {"limit": limit}).rowcount
    if moved:
        _aggregate(session, _BATCH_TABLE)
    return int(moved or 0)


def _refresh_batch_sqlite(session: Session, limit: int) -> int:
    # The first write takes SQLite's write lock, so nothing else commits until we do.
    claimed = select(OutcomeFact.id).where(OutcomeFact.rollup_state == PENDING).order_by(
        OutcomeFact.id).limit(limit).scalar_subquery()
    moved = session.execute(update(OutcomeFact).where(OutcomeFact.id.in_(claimed)).values(
        rollup_state=ROLLING).execution_options(synchronize_session=False)).rowcount
    if moved:
        fact = OutcomeFact.__table__
        source = select(*[fact.c[c] for c in _FACT_COLUMNS]).where(
            fact.c.rollup_state == ROLLING).subquery("batch")
        _aggregate(session, source)
        session.execute(update(OutcomeFact).where(OutcomeFact.rollup_state == ROLLING).values(
            rollup_state=ROLLED_UP).execution_options(synchronize_session=False))
    return int(moved or 0)


def refresh(session: Session, *, batch: int = BATCH, commit: bool = True) -> int:
    """Move pending facts into the roll-up; returns how many. With `commit`, each batch is
    its own transaction (for the CLI and bulk loads); without, one batch only, left for the
    caller to commit."""
    total = 0
    while True:
        if _is_postgresql(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            moved = _refresh_batch_postgresql(session, batch)
        else:
            moved = _refresh_batch_sqlite(session, batch)
        total += moved
        if not commit:
            return total
        session.commit()
        if moved < batch:
            return total


def catch_up(session: Session, limit: int) -> int:
    """Roll up one batch of `limit` facts when more than that are waiting (left for the
    caller to commit): a dashboard's safety net for a deployment whose cron job is not
    running yet. Counts are exact either way; this keeps them fast."""
    waiting = session.scalar(select(func.count()).select_from(
        select(OutcomeFact.id).where(
            OutcomeFact.rollup_state.op("<>")(literal_column(str(ROLLED_UP))))
        .limit(limit + 1).subquery()))
    if not waiting or waiting <= limit:
        return 0
    return refresh(session, batch=limit, commit=False)


def lock_for_retraction(session: Session) -> None:
    """Wait for any refresh to finish, and keep one from starting until this transaction ends."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _LOCK_KEY})


def retract(session: Session, old_facts: Iterable[Mapping[str, Any]]) -> None:
    """Take rolled-up facts (as they were when rolled up) back out of every grain."""
    deltas: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for fact in old_facts:
        occurred: date = fact["occurred_on"]
        month = date(occurred.year, occurred.month, 1)
        for grain in GRAINS:
            values = [from_value(fact[ROLLUP_COLUMNS[d]]) for d in grain] + ["", ""]
            key = (grain_name(grain), month, fact["kind"], from_value(fact["detail"]),
                   fact["milestones"], fact["local_authority"], values[0], values[1])
            deltas[key][0] -= fact["quantity"]
            deltas[key][1] -= 1
    if not deltas:
        return
    rows = [
        {"grain": k[0], "month": k[1], "kind": k[2], "detail": k[3], "milestones": k[4],
         "local_authority": k[5], "value1": k[6], "value2": k[7], "quantity": q, "facts": n}
        # Sorted so that two transactions touch rows in the same order (no deadlock).
        for k, (q, n) in sorted(deltas.items(), key=lambda item: tuple(map(str, item[0])))
    ]
    session.execute(_upsert(_insert(session).values(rows)))


__all__ = ["GRAINS", "PENDING", "ROLLED_UP", "catch_up", "grain_for", "grain_name", "lock_for_retraction",
           "pending_count", "refresh", "retract", "to_value"]
