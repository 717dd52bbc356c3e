"""The monthly roll-up changes how fast counts are, never what they are."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inclusion.extensions import db
from inclusion.outcomes import query, rollup
from inclusion.outcomes.models import FactKind, OutcomeFact, OutcomeRollup
from tests import factories
from tests.outcomes.factories import assessments, fact, new_key

FY = (date(2025, 4, 1), date(2026, 3, 31))
AUTHORITIES = ["E08000025", "E08000026", "E08000029"]


@pytest.fixture
def exact_app(app: Flask) -> Flask:
    """Disclosure control off (threshold 0, base 1), so tables show the exact counts."""
    app.config.update(SUPPRESSION_THRESHOLD=0, ROUNDING_BASE=1)
    return app


def _region(partners: list[Any], people: int = 120, seed: int = 3) -> None:
    """Facts of every kind for `people` made-up people, over March 2025 to May 2026, with
    some dimensions unknown and journeys that move between classifications."""
    rng = random.Random(seed)
    start = date(2025, 3, 1)
    for _ in range(people):
        key = new_key()
        dims = {
            "local_authority": rng.choice(AUTHORITIES),
            "age_band": rng.choice(["25-34", "65-74", "75+", None]),
            "gender": rng.choice(["woman", "man", None]),
            "ethnic_group": rng.choice(["white", "asian", None]),
            "disability": rng.choice(["yes", "no", None]),
            "imd_decile": rng.choice([1, 2, 9, None]),
        }
        partner = rng.choice(partners)
        day = start + timedelta(days=rng.randrange(430))
        steps = [(day, rng.choice(["non-user", "limited user"]))]
        for gap in (40, 95, 150)[: rng.randrange(4)]:
            steps.append((day + timedelta(days=gap),
                          rng.choice(["non-user", "limited user", "engaged user"])))
        fact(FactKind.RESIDENT_REGISTERED, day, partner, key=key, **dims)
        assessments(key, partner, *steps, **dims)
        for kind, detail, quantity in rng.sample([
            (FactKind.DEVICE_LENT, "laptop", 1), (FactKind.DEVICE_GIFTED, None, 1),
            (FactKind.VOUCHER_ISSUED, "scheme-1", rng.randint(1, 3)),
            (FactKind.VOUCHER_REDEEMED, None, 1), (FactKind.REFERRAL_MADE, None, 1),
            (FactKind.COHORT_START, "fund-1", 1),
            (FactKind.OUTCOME_3_MONTHS, rng.choice(["job", "none"]), 1),
            (FactKind.OUTCOME_6_MONTHS, rng.choice(["progression", "none", None]), 1),
        ], 4):
            fact(kind, day + timedelta(days=rng.randrange(120)), partner, key=key,
                 detail=detail, quantity=quantity, **dims)


def _selections(partner_id: int) -> list[query.Filters]:
    return [
        query.Filters(*FY),
        query.Filters(date(2025, 7, 1), date(2025, 9, 30)),  # a quarter
        query.Filters(date(2025, 11, 1), date(2025, 11, 30)),  # a month
        query.Filters(date(2025, 4, 15), date(2026, 2, 10)),  # part months at both ends
        query.Filters(date(2025, 6, 3), date(2025, 6, 20)),  # inside one month
        query.Filters(*FY, authority="E08000026"),
        query.Filters(*FY, partner_id=partner_id),
        query.Filters(*FY, authority="E08000025", partner_id=partner_id),
    ]


DIMENSION_SETS: list[tuple[str, ...]] = [
    (), ("authority",), ("partner",), ("imd",), ("age", "gender"), ("partner", "disability"),
    ("authority", "ethnicity"), ("disability", "ethnicity"),
    ("imd", "age", "ethnicity"),  # more than any grain holds: counted from the facts
]


def _everything(partner_id: int) -> list[Any]:
    """Every table the dashboard could publish for a spread of selections."""
    out: list[Any] = []
    for filters in _selections(partner_id):
        for dims in DIMENSION_SETS:
            counts = query.Counts(filters, dims)
            out.append(counts.headline_table())
            out.append(counts.by("month"))
            out.extend(counts.by(d) for d in dims)
            if len(dims) >= 2:
                out.append(counts.cross("moved_out_of_non_use", dims[0], dims[1]))
                out.append(counts.cross("vouchers_issued", dims[0], dims[1]))
    return out


def _rollup_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(OutcomeRollup)) or 0


def test_counts_are_the_same_before_during_and_after_the_rollup(exact_app: Flask) -> None:
    partners = [factories.make_partner() for _ in range(3)]
    db.session.commit()
    _region(partners)
    db.session.commit()
    before = _everything(partners[0].id)
    assert _rollup_rows() == 0

    # Part way: one batch rolled up, the rest still pending.
    moved = rollup.refresh(db.session, batch=300)
    db.session.commit()
    assert moved == 300
    assert rollup.pending_count(db.session) > 0
    assert _everything(partners[0].id) == before

    while rollup.refresh(db.session, batch=250):
        db.session.commit()
    assert rollup.pending_count(db.session) == 0
    assert _rollup_rows() > 0
    assert _everything(partners[0].id) == before
    # A second refresh finds nothing to do and changes nothing.
    assert rollup.refresh(db.session) == 0
    db.session.commit()
    assert _everything(partners[0].id) == before


def test_a_back_dated_assessment_moves_a_rolled_up_milestone(exact_app: Flask,
                                                             partner: Any) -> None:
    people = [new_key() for _ in range(3)]
    for key in people:
        assessments(key, partner, (date(2025, 5, 10), "non-user"),
                    (date(2025, 9, 10), "limited user"))
    db.session.commit()
    rollup.refresh(db.session)
    db.session.commit()
    filters = query.Filters(*FY)
    by_month = query.measures_by(filters, "month")
    assert by_month.row("2025-09").cells[2].value == 3  # moved_out_of_non_use, September

    # A follow-up in July is entered late: July is now each person's first move.
    for key in people:
        fact(FactKind.ASSESSMENT, date(2025, 7, 2), partner, key=key,
             detail="follow-up:engaged user")
    db.session.commit()
    for table in (query.measures_by(filters, "month"), ):
        moved = table.column("moved_out_of_non_use")
        months = [row.key for row in table.rows]
        assert moved[months.index("2025-07")].value == 3
        assert moved[months.index("2025-09")].value == 0
    rollup.refresh(db.session)
    db.session.commit()
    assert rollup.pending_count(db.session) == 0
    table = query.measures_by(filters, "month")
    moved = table.column("moved_out_of_non_use")
    months = [row.key for row in table.rows]
    assert moved[months.index("2025-07")].value == 3
    assert moved[months.index("2025-09")].value == 0
    assert query.headline(filters)["moved_out_of_non_use"].value == 3
    assert query.headline(filters)["moved_to_engaged"].value == 3


@pytest.mark.postgres_only
def test_a_fact_committed_while_a_refresh_runs_waits_for_the_next(exact_app: Flask,
                                                                  partner: Any) -> None:
    for _ in range(5):
        fact(FactKind.DEVICE_LENT, date(2025, 6, 1), partner)
    db.session.commit()
    assert rollup.refresh(db.session) == 5  # this transaction still open
    with Session(db.engine) as other:
        other.add(OutcomeFact(kind=FactKind.DEVICE_LENT, occurred_on=date(2025, 6, 2),
                              partner_id=partner.id, resident_key=new_key(),
                              local_authority="E08000025", age_band="65-74"))
        other.commit()
    db.session.commit()
    assert rollup.pending_count(db.session) == 1
    assert query.headline(query.Filters(*FY))["devices_lent"].value == 6
    assert rollup.refresh(db.session) == 1
    db.session.commit()
    assert query.headline(query.Filters(*FY))["devices_lent"].value == 6


def test_rollup_command_reports_what_it_added(exact_app: Flask, partner: Any) -> None:
    for _ in range(4):
        fact(FactKind.VOUCHER_ISSUED, date(2025, 6, 1), partner, quantity=2)
    db.session.commit()
    runner = exact_app.test_cli_runner()
    result = runner.invoke(args=["outcomes", "rollup"])
    assert result.exit_code == 0, result.output
    assert "Rolled up 4 outcome facts." in result.output
    assert runner.invoke(args=["outcomes", "rollup"]).output.strip() == (
        "Rolled up 0 outcome facts.")
    bad = runner.invoke(args=["outcomes", "rollup", "--batch", "0"])
    assert bad.exit_code != 0
    assert "--batch" in bad.output
    assert query.headline(query.Filters(*FY))["vouchers_issued"].value == 8


def test_dashboard_catches_up_when_far_behind(exact_app: Flask, client: Any, login_as: Any,
                                              partner: Any) -> None:
    exact_app.config["OUTCOMES_ROLLUP_CATCH_UP"] = 3
    for _ in range(10):
        fact(FactKind.DEVICE_GIFTED, date(2025, 6, 1), partner)
    db.session.commit()
    login_as("lead")
    first = client.get("/outcomes/?period=fy-2025")
    assert first.status_code == 200
    assert rollup.pending_count(db.session) == 7  # one batch of 3 rolled up
    assert query.headline(query.Filters(*FY))["devices_gifted"].value == 10
    client.get("/outcomes/?period=fy-2025")
    client.get("/outcomes/?period=fy-2025")
    assert rollup.pending_count(db.session) == 1  # never fewer than the limit left waiting
    again = client.get("/outcomes/?period=fy-2025")
    assert again.get_data(as_text=True) .count("Devices gifted") == first.get_data(
        as_text=True).count("Devices gifted")


@pytest.mark.parametrize(("start", "end", "whole"), [
    (date(2025, 4, 1), date(2026, 3, 31), (date(2025, 4, 1), date(2026, 3, 31))),
    (date(2025, 4, 2), date(2026, 3, 30), (date(2025, 5, 1), date(2026, 2, 28))),
    (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29))),
    (date(2025, 6, 3), date(2025, 6, 20), None),
    (date(2025, 12, 15), date(2026, 1, 31), (date(2026, 1, 1), date(2026, 1, 31))),
    (date.min, date.max, (date.min, date.max)),
    (date(1, 1, 2), date(1, 1, 30), None),
    (date(9999, 12, 2), date.max, None),
])
def test_whole_months_inside_a_range(start: date, end: date, whole: Any) -> None:
    assert query._whole_months(start, end) == whole
