"""Person milestones, marked on facts as they are written, so counting people is a plain sum.

A person measure ("moved out of non-use", "moved to engaged", "first job outcome") counts each
person once, at their first qualifying fact. Working that out at query time means a
correlated look-up per fact, which is slow over millions of facts; instead, whenever facts
for a person are flushed, their facts of the relevant kinds are re-examined in date order and
the `milestones` bits set on exactly the first qualifying one (moving the bit if a back-dated
fact now comes first). Every writer of facts is covered: `record_fact`, imports, and tests
that add OutcomeFact rows directly. Bulk loads that bypass the ORM (COPY) must set the bits
themselves with `milestones_for`, as benchmarks/outcomes_dashboard.py does.

A stored fact whose bits move may already be in the monthly roll-up: it is taken back out and
waits to be rolled up again (inclusion.outcomes.rollup).

Not guarded: two transactions adding facts for the *same person* at the same instant could
each mark a first fact. One person's facts come from staff working with that person, so this
is left unlocked; a PostgreSQL advisory lock on the resident key would close it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from inclusion.outcomes.models import OutcomeFact, PendingFact

_CHUNK = 500


def _measures() -> tuple[Any, ...]:
    from inclusion.outcomes.measures import PERSON_MEASURES

    return PERSON_MEASURES


def _qualifies(measure: Any, fact: OutcomeFact) -> bool:
    if fact.kind not in measure.kinds:
        return False
    if measure.detail_in is not None and fact.detail not in measure.detail_in:
        return False
    return not (measure.detail_not_in is not None and (
        fact.detail is None or fact.detail in measure.detail_not_in))


def milestones_for(facts: list[OutcomeFact]) -> dict[int, int]:
    """For one person's facts, the milestones bits each fact should carry (by list index)."""
    order = sorted(range(len(facts)), key=lambda i: (
        facts[i].occurred_on, facts[i].id is None, facts[i].id or 0, i))
    bits: dict[int, int] = defaultdict(int)
    for measure in _measures():
        started: set[str] | None = None if measure.starts_from is None else set()
        for i in order:
            fact = facts[i]
            if started is not None and fact.detail is not None and (
                    fact.detail in measure.starts_from):
                started.add(fact.detail)
            if _qualifies(measure, fact) and (started is None or started):
                bits[i] |= measure.milestone
                break
    return bits


def _relevant_kinds() -> set[Any]:
    return {kind for m in _measures() for kind in m.kinds}


def mark(session: Session, new_facts: Iterable[OutcomeFact]) -> None:
    """Set milestones on the new facts and on their people's earlier facts, in the session."""
    kinds = _relevant_kinds()
    pending: dict[str, list[OutcomeFact]] = defaultdict(list)
    for fact in new_facts:
        if fact.kind in kinds:
            pending[fact.resident_key].append(fact)
    if not pending:
        return
    keys = list(pending)
    stored: dict[str, list[OutcomeFact]] = defaultdict(list)
    with session.no_autoflush:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            for fact in session.scalars(
                select(OutcomeFact).where(OutcomeFact.resident_key.in_(chunk),
                                          OutcomeFact.kind.in_(kinds))
            ):
                stored[fact.resident_key].append(fact)
    changes: dict[OutcomeFact, int] = {}
    for key, new in pending.items():
        everything = stored[key] + [f for f in new if f not in stored[key]]
        bits = milestones_for(everything)
        for index, fact in enumerate(everything):
            wanted = bits.get(index, 0)
            if (fact.milestones or 0) != wanted:
                changes[fact] = wanted
    stored_changes = [fact for fact in changes if fact.id is not None]
    if stored_changes:
        _take_out_of_rollup(session, stored_changes)
    for fact, wanted in changes.items():
        fact.milestones = wanted


def _take_out_of_rollup(session: Session, facts: list[OutcomeFact]) -> None:
    """Stored facts whose milestones are about to move: any already in the monthly roll-up
    come back out of it (as they are stored) and are made pending again."""
    from inclusion.outcomes import rollup

    ids = [f.id for f in facts]
    with session.no_autoflush:
        rollup.lock_for_retraction(session)
        # Locked, so a refresh cannot claim them meanwhile; a refresh that claimed them since
        # they were loaded has deleted their pending rows, and they count as rolled up.
        waiting = set(session.scalars(
            select(PendingFact.fact_id).where(PendingFact.fact_id.in_(ids)).with_for_update()))
        rolled = [i for i in ids if i not in waiting]
        if not rolled:
            return
        table = OutcomeFact.__table__
        stored = session.execute(select(table).where(table.c.id.in_(rolled))).mappings().all()
        rollup.retract(session, stored)
        rollup.mark_pending(session.connection(), rolled)


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, OutcomeFact)]
    if new:
        mark(session, new)


def listen() -> None:
    """Mark milestones on every flush that adds facts (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
