"""The monthly roll-up: outcome facts added up by month and a few dimensions, kept with the facts.

A financial year at regional scale is a million or more facts; counting them for every
dashboard view is too slow. `outcome_rollup` holds the same facts added up per month, kind,
detail (where a measure reads it), milestones and local authority, once for every *grain*: no
further dimension; one of partner, deprivation decile, age band, gender, ethnic group and
disability; or the pairs the PDF report prints. A count for whole months reads the grain that
has exactly the columns it groups or filters by, plus the facts not yet rolled up (see
inclusion.outcomes.query), so every figure is exact at every moment, whether or not the
roll-up has caught up.

How facts get in: every fact the app records gets a row in `outcome_fact_pending` in the same
flush. `refresh` claims a batch of pending rows (deleting them) and adds their facts into every
grain; the caller commits each batch. It runs from `flask outcomes rollup` (a cron job every few
minutes) and from the dashboard when many facts are waiting. On PostgreSQL a batch is claimed
with FOR UPDATE SKIP LOCKED in the statement that deletes it, so a fact committed meanwhile is
left for the next refresh; on SQLite, writers are serialised and the claim is the first write.
Bulk loads (the region generator, benchmarks) write no pending rows: `add_range` adds their
facts straight in, in the transaction that wrote them.

How facts change: only their `milestones` bits, when a back-dated fact becomes a person's first
(inclusion.outcomes.milestones). If the fact is already rolled up, `retract` takes its old
contribution back out of every grain and the fact is made pending again.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import (
    Date,
    String,
    bindparam,
    case,
    cast,
    column,
    event,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.schema import Table

from inclusion.outcomes.models import FactKind, OutcomeFact, OutcomeRollup, PendingFact

# The dimensions a grain may keep beside the local authority, in the order grain names use.
ROLLUP_COLUMNS: dict[str, str] = {
    "partner": "partner_id",
    "imd": "imd_decile",
    "age": "age_band",
    "gender": "gender",
    "ethnicity": "ethnic_group",
    "disability": "disability",
}
# Two dimensions at once only for the pairs the PDF report always prints; any other pair is
# counted from the facts (slower, and rare). Every pair multiplies the roll-up's size, and
# a pair with partner would hold about one row per fact.
PAIRS: tuple[tuple[str, str], ...] = (("age", "gender"), ("ethnicity", "disability"))
GRAINS: tuple[tuple[str, ...], ...] = ((), *((d,) for d in ROLLUP_COLUMNS), *PAIRS)
# Flask-SQLAlchemy's db.session is a scoped session; either kind will do.
AnySession = Session | scoped_session[Any]
INTEGER_DIMENSIONS = frozenset({"partner", "imd"})
# An advisory lock key (any constant): one refresh at a time, and no retraction during one.
_LOCK_KEY = 740_221_001
BATCH = 200_000
# Copied from each fact into a batch; the order of the batch table's columns.
_FACT_COLUMNS = ("kind", "occurred_on", "detail", "milestones", "local_authority",
                 "partner_id", "imd_decile", "age_band", "gender", "ethnic_group",
                 "disability", "quantity")


def _detail_kinds() -> frozenset[FactKind]:
    """Kinds whose detail a measure reads; every other kind is rolled up with detail ''
    (a device kind or scheme id would only multiply the rows)."""
    from inclusion.outcomes.measures import MEASURES

    return frozenset(kind for m in MEASURES if not m.person
                     and (m.detail_in is not None or m.detail_not_in is not None)
                     for kind in m.kinds)


DETAIL_KINDS = _detail_kinds()


def grain_name(grain: tuple[str, ...]) -> str:
    return "+".join(grain)


def grain_for(dims: Iterable[str], *, partner_filter: bool) -> tuple[str, ...] | None:
    """The grain that can answer a count grouped by `dims` (time and authority are in every
    grain), or None when no grain holds exactly the other dimensions it needs."""
    wanted = {d for d in dims if d in ROLLUP_COLUMNS}
    if partner_filter:
        wanted.add("partner")
    return next((grain for grain in GRAINS if set(grain) == wanted), None)


def to_value(dim: str, stored: str) -> Any:
    """A grain's text value back to the fact column's value ('' is unknown)."""
    if stored == "":
        return None
    return int(stored) if dim in INTEGER_DIMENSIONS else stored


def from_value(value: Any) -> str:
    return "" if value is None else str(value)


def cast_table(table: Any) -> Table:
    """A mapped class's __table__, typed as the Table it is."""
    return typing.cast(Table, table)


def _is_postgresql(connection: AnySession | Connection) -> bool:
    if isinstance(connection, Connection):
        return connection.dialect.name == "postgresql"
    return connection.get_bind().dialect.name == "postgresql"


def _insert(connection: AnySession | Connection) -> Any:
    return (postgresql.insert if _is_postgresql(connection) else sqlite.insert)(OutcomeRollup)


def _upsert(statement: Any) -> Any:
    table = cast_table(OutcomeRollup.__table__)
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"quantity": table.c.quantity + statement.excluded.quantity,
              "facts": table.c.facts + statement.excluded.facts},
    )


def _month(connection: AnySession | Connection, column: Any) -> Any:
    if _is_postgresql(connection):
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _as_text(column: Any) -> Any:
    # Rendered inline (not a bound parameter) so GROUP BY matches the select list exactly.
    return func.coalesce(cast(column, String), literal_column("''"))


def _aggregate(connection: AnySession | Connection, source: Any) -> None:
    """Add every row of `source` (a table or subquery with the fact columns) into every grain."""
    month = _month(connection, source.c.occurred_on).label("month")
    detail = case((source.c.kind.in_(sorted(DETAIL_KINDS)), _as_text(source.c.detail)),
                  else_=literal_column("''")).label("detail")
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
        connection.execute(_upsert(_insert(connection).from_select(columns, query)))


_BATCH_TABLE = table("outcome_rollup_batch",
                     *[column(c, OutcomeFact.__table__.c[c].type) for c in _FACT_COLUMNS])


def pending_count(session: AnySession) -> int:
    return int(session.scalar(select(func.count()).select_from(PendingFact)) or 0)


def _claim_postgresql(session: AnySession, limit: int) -> int:
    columns = ", ".join(_FACT_COLUMNS)
    joined = ", ".join(f"f.{c}" for c in _FACT_COLUMNS)
    # Column names are this module's constants, never input.
    session.execute(text(
        "CREATE TEMPORARY TABLE IF NOT EXISTS outcome_rollup_batch ON COMMIT DELETE ROWS "  # noqa: S608
        f"AS SELECT {columns} FROM outcome_fact WITH NO DATA"))
    # One statement claims, deletes and copies the batch, so a fact committed meanwhile (or
    # held by a transaction moving its milestones) is left for the next refresh.
    result = session.execute(text(
        "WITH claimed AS (DELETE FROM outcome_fact_pending WHERE fact_id IN ("  # noqa: S608
        "SELECT fact_id FROM outcome_fact_pending ORDER BY fact_id LIMIT :limit "
        "FOR UPDATE SKIP LOCKED) RETURNING fact_id) "
        f"INSERT INTO outcome_rollup_batch ({columns}) SELECT {joined} "
        "FROM outcome_fact f JOIN claimed ON f.id = claimed.fact_id"),
        {"limit": limit})
    return int(typing.cast(CursorResult[Any], result).rowcount or 0)


def _claim_sqlite(session: AnySession, limit: int) -> int:
    # The DELETE is the transaction's first write: it takes SQLite's write lock, so nothing
    # else commits until this batch does.
    claimed = list(session.execute(text(
        "DELETE FROM outcome_fact_pending WHERE fact_id IN (SELECT fact_id FROM "
        "outcome_fact_pending ORDER BY fact_id LIMIT :limit) RETURNING fact_id"),
        {"limit": limit}).scalars())
    columns = ", ".join(_FACT_COLUMNS)
    session.execute(text(
        "CREATE TEMPORARY TABLE IF NOT EXISTS outcome_rollup_batch AS "  # noqa: S608
        f"SELECT {columns} FROM outcome_fact WHERE 0"))
    session.execute(text("DELETE FROM temp.outcome_rollup_batch"))
    copy = text(
        f"INSERT INTO temp.outcome_rollup_batch ({columns}) SELECT {columns} "  # noqa: S608
        "FROM outcome_fact WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    for start in range(0, len(claimed), 500):
        session.execute(copy, {"ids": claimed[start:start + 500]})
    return len(claimed)


def refresh(session: AnySession, *, batch: int = BATCH) -> int:
    """Add up to `batch` pending facts into the roll-up, in the caller's transaction (which
    the caller commits); returns how many."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        moved = _claim_postgresql(session, batch)
    else:
        moved = _claim_sqlite(session, batch)
    if moved:
        _aggregate(session, _BATCH_TABLE)
    return moved


def catch_up(session: AnySession, limit: int) -> int:
    """Roll up one batch of `limit` facts when more than that are waiting (left for the
    caller to commit): the dashboard's safety net for a deployment whose cron job is not
    running yet. Counts are exact either way; this keeps them fast."""
    waiting = session.scalar(select(func.count()).select_from(
        select(PendingFact.fact_id).limit(limit + 1).subquery()))
    if not waiting or waiting <= limit:
        return 0
    return refresh(session, batch=limit)


def add_range(connection: Connection, first_id: int, last_id: int) -> None:
    """Add facts first_id..last_id, bulk-loaded without pending rows, into the roll-up (in
    the caller's transaction, so the facts and their sums commit together)."""
    fact = OutcomeFact.__table__
    source = select(*[fact.c[c] for c in _FACT_COLUMNS]).where(
        fact.c.id.between(first_id, last_id)).subquery("loaded")
    _aggregate(connection, source)


def mark_pending(connection: AnySession | Connection, fact_ids: Iterable[int]) -> None:
    """Record facts as waiting to be rolled up."""
    rows = [{"fact_id": fact_id} for fact_id in fact_ids]
    if rows:
        connection.execute(cast_table(PendingFact.__table__).insert(), rows)


def lock_for_retraction(session: AnySession) -> None:
    """Wait for any refresh to finish, and keep one from starting until this transaction ends."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _LOCK_KEY})


def retract(session: AnySession, old_facts: Iterable[Mapping[Any, Any]]) -> None:
    """Take rolled-up facts (as they were when rolled up) back out of every grain."""
    deltas: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for fact in old_facts:
        occurred: date = fact["occurred_on"]
        month = date(occurred.year, occurred.month, 1)
        for grain in GRAINS:
            values = [from_value(fact[ROLLUP_COLUMNS[d]]) for d in grain] + ["", ""]
            detail = from_value(fact["detail"]) if fact["kind"] in DETAIL_KINDS else ""
            key = (grain_name(grain), month, fact["kind"], detail,
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


def _after_flush(session: AnySession, flush_context: Any) -> None:
    # Ids are assigned by now; the session's `new` still lists what this flush inserted.
    new = [obj.id for obj in session.new if isinstance(obj, OutcomeFact)]
    if new:
        mark_pending(session.connection(), new)


def listen() -> None:
    """Give every fact flushed through the ORM its pending row (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


__all__ = ["GRAINS", "add_range", "catch_up", "grain_for", "grain_name", "lock_for_retraction",
           "mark_pending", "pending_count", "refresh", "retract", "to_value"]
