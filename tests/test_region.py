"""`demo region`: a generated region whose records, statuses and facts agree with each other."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from inclusion import demo_region
from inclusion.demo_region import generate
from inclusion.extensions import db
from inclusion.outcomes.milestones import milestones_for
from tests.conftest import _empty_tables

TODAY = date(2026, 6, 1)
HASH = "not-a-real-hash"


def _make(residents: int = 300, seed: int = 7) -> dict[str, int]:
    return generate(residents=residents, seed=seed, password_hash=HASH, today=TODAY)


def _one(sql: str) -> Any:
    return db.session.execute(sa.text(sql)).scalar()


def _facts(kind: str) -> int:
    return _one(f"SELECT COUNT(*) FROM outcome_fact WHERE kind = '{kind}'")  # noqa: S608


def test_region_facts_agree_with_the_records(app: Flask) -> None:
    counts = _make()
    assert counts["resident"] == 300
    assert _facts("resident registered") == _one("SELECT COUNT(*) FROM resident") == 300
    assert _facts("assessment") == _one("SELECT COUNT(*) FROM assessment")
    assert _facts("device lent") == _one("SELECT COUNT(*) FROM loan WHERE kind = 'loan'") > 0
    assert _facts("device gifted") == _one("SELECT COUNT(*) FROM loan WHERE status = 'gifted'")
    assert _facts("device returned") == _one(
        "SELECT COUNT(*) FROM loan WHERE status = 'returned'")
    assert _facts("voucher issued") == _one("SELECT COUNT(*) FROM voucher") > 0
    assert _facts("voucher delivered") == _one(
        "SELECT COUNT(*) FROM voucher WHERE delivered_at IS NOT NULL")
    assert _facts("voucher redeemed") == _one(
        "SELECT COUNT(*) FROM voucher WHERE status = 'redeemed'")
    assert _facts("voucher expired unredeemed") == _one(
        "SELECT COUNT(*) FROM voucher WHERE status = 'expired'")
    assert _facts("social tariff taken up") == _one(
        "SELECT COUNT(*) FROM voucher WHERE social_tariff = TRUE")
    assert _facts("referral made") == _one("SELECT COUNT(*) FROM referral") > 0
    for status in ("accepted", "declined", "enrolled", "completed", "not completed"):
        assert _facts(f"referral {status}") == _one(
            f"SELECT COUNT(*) FROM referral_event WHERE status = '{status}'")  # noqa: S608
    assert _facts("cohort start") == _one(
        "SELECT COUNT(*) FROM fund_enrolment WHERE started_on IS NOT NULL")
    assert _facts("cohort completion") == _one(
        "SELECT COUNT(*) FROM fund_enrolment WHERE completed_on IS NOT NULL")
    assert _facts("outcome at 3 months") == _one(
        "SELECT COUNT(*) FROM fund_enrolment WHERE outcome_3_months IS NOT NULL")
    assert _one("SELECT COUNT(*) FROM sms_message WHERE related_type = 'voucher'") == _one(
        "SELECT COUNT(*) FROM voucher")
    assert _one("SELECT COUNT(*) FROM audit_entry WHERE action = 'resident registered'") == 300
    # No fact dated after the day the region was generated for.
    assert str(_one("SELECT MAX(occurred_on) FROM outcome_fact"))[:10] <= TODAY.isoformat()
    # Every fact is in the monthly roll-up, and the roll-up adds up to the facts.
    assert _one("SELECT COUNT(*) FROM outcome_fact_pending") == 0
    assert _one("SELECT SUM(facts) FROM outcome_rollup WHERE grain = ''") == _one(
        "SELECT COUNT(*) FROM outcome_fact")
    assert _one("SELECT SUM(quantity) FROM outcome_rollup WHERE grain = 'age+gender'") == _one(
        "SELECT SUM(quantity) FROM outcome_fact")


def test_region_statuses_are_legal(app: Flask) -> None:
    _make()
    # At most one open loan per device, and a device's status follows its loan.
    assert _one("SELECT COUNT(*) FROM (SELECT device_id FROM loan WHERE status = 'open' "
                "GROUP BY device_id HAVING COUNT(*) > 1) AS x") == 0
    assert _one("SELECT COUNT(*) FROM loan JOIN device ON device.id = loan.device_id "
                "WHERE loan.status = 'open' AND device.status <> 'on loan'") == 0
    assert _one("SELECT COUNT(*) FROM device WHERE status = 'on loan' AND NOT EXISTS "
                "(SELECT 1 FROM loan WHERE loan.device_id = device.id AND loan.status = 'open')"
                ) == 0
    assert _one("SELECT COUNT(*) FROM loan WHERE status = 'returned' AND returned_on IS NULL") == 0
    assert _one("SELECT COUNT(*) FROM loan WHERE status = 'open' AND due_on < :today".replace(
        ":today", f"'{TODAY}'")) > 0, "some loans are overdue"
    # Each code is issued at most once; a voucher's code is issued (or void when revoked).
    assert _one("SELECT COUNT(*) FROM voucher") == _one(
        "SELECT COUNT(DISTINCT code_id) FROM voucher")
    assert _one("SELECT COUNT(*) FROM voucher JOIN voucher_code c ON c.id = voucher.code_id "
                "WHERE (voucher.status = 'revoked') <> (c.status = 'void') "
                "OR c.status = 'available'") == 0
    assert _one("SELECT COUNT(*) FROM voucher_code WHERE status = 'available'") > 0
    # Referrals: closed ones have a closing time, open ones none; every one has a 'sent' event.
    assert _one("SELECT COUNT(*) FROM referral WHERE status IN ('sent', 'accepted', 'enrolled') "
                "AND closed_at IS NOT NULL") == 0
    assert _one("SELECT COUNT(*) FROM referral WHERE status IN ('declined', 'completed', "
                "'not completed', 'withdrawn') AND closed_at IS NULL") == 0
    assert _one("SELECT COUNT(*) FROM referral_event WHERE status = 'sent'") == _one(
        "SELECT COUNT(*) FROM referral")
    statuses = {row[0] for row in db.session.execute(
        sa.text("SELECT DISTINCT status FROM referral"))}
    assert {"sent", "declined", "completed", "not completed"} <= statuses


def test_region_shares_follow_the_baseline(app: Flask) -> None:
    _make(residents=600)
    first = dict(db.session.execute(sa.text(
        "SELECT classification, COUNT(*) FROM assessment WHERE kind = 'registration' "
        "GROUP BY classification")).all())
    assert 0.12 < first["non-user"] / 600 < 0.32
    assert 0.12 < first["limited user"] / 600 < 0.30
    # Skewed to deprived areas: most residents live in the poorest four deciles.
    poorest = _one("SELECT COUNT(*) FROM resident WHERE imd_decile <= 4")
    assert poorest > 0.5 * _one("SELECT COUNT(*) FROM resident WHERE imd_decile IS NOT NULL")
    kinds = {row[0] for row in db.session.execute(sa.text("SELECT DISTINCT kind FROM partner"))}
    assert len(kinds) == 9
    authorities = {row[0] for row in db.session.execute(
        sa.text("SELECT DISTINCT local_authority FROM resident"))}
    assert len(authorities) == 7


def test_region_milestones_are_what_the_app_would_mark(app: Flask) -> None:
    _make()
    people: dict[str, list[Any]] = defaultdict(list)
    for row in db.session.execute(sa.text(
            "SELECT id, resident_key, kind, occurred_on, detail, milestones FROM outcome_fact "
            "ORDER BY id")):
        occurred = row.occurred_on
        if isinstance(occurred, str):
            occurred = date.fromisoformat(occurred)
        people[row.resident_key].append(SimpleNamespace(
            id=row.id, kind=row.kind, occurred_on=occurred, detail=row.detail,
            milestones=row.milestones))
    marked = 0
    for facts in people.values():
        bits = milestones_for(facts)  # type: ignore[arg-type]
        for index, fact in enumerate(facts):
            assert fact.milestones == bits.get(index, 0)
            marked += fact.milestones != 0
    assert marked > 0


def test_region_rollup_gives_the_same_figures_as_the_facts(app: Flask) -> None:
    from inclusion.outcomes import query

    _make()
    app.config.update(SUPPRESSION_THRESHOLD=0, ROUNDING_BASE=1)  # exact figures
    year = query.Filters(date(2025, 4, 1), date(2026, 3, 31))
    tables = lambda: [  # noqa: E731
        query.measures_by(year, "authority"), query.measures_by(year, "imd"),
        query.measures_by(year, "month"), query.cross_table(year, "devices_lent", "age", "gender")]
    from_rollup = tables()
    # Empty the roll-up and make every fact pending: the same figures, counted from the facts.
    db.session.execute(sa.text("DELETE FROM outcome_rollup"))
    db.session.execute(sa.text("INSERT INTO outcome_fact_pending SELECT id FROM outcome_fact"))
    db.session.commit()
    assert tables() == from_rollup
    assert from_rollup[0].totals is not None and from_rollup[0].totals.cells[0].value


def _digest() -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for sql in ("SELECT name, phone, postcode, partner_id FROM resident ORDER BY id",
                "SELECT kind, status, lent_on, due_on, returned_on FROM loan ORDER BY id",
                "SELECT status, scheme_id, redeemed_on FROM voucher ORDER BY id",
                "SELECT status, offer_id FROM referral ORDER BY id",
                "SELECT kind, occurred_on, detail, milestones FROM outcome_fact ORDER BY id"):
        out.extend(tuple(row) for row in db.session.execute(sa.text(sql)))
    return out


def test_region_is_reproducible_with_the_same_seed(app: Flask) -> None:
    _make(residents=120, seed=11)
    first = _digest()
    db.session.remove()
    _empty_tables(app)
    _make(residents=120, seed=11)
    assert _digest() == first
    db.session.remove()
    _empty_tables(app)
    _make(residents=120, seed=12)
    assert _digest() != first


def _indexes() -> list[str]:
    """Every index's definition, as the database reports it."""
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    return sorted(db.session.scalars(sa.text(sql)))


def test_region_leaves_every_index_as_the_migrations_made_it(app: Flask) -> None:
    # On PostgreSQL the plain indexes are dropped for the load and built again at the end.
    before = _indexes()
    assert any("gin_trgm_ops" in d for d in before) or db.engine.dialect.name == "sqlite"
    db.session.remove()
    _make(residents=60)
    assert _indexes() == before
    # The rebuilt indexes answer queries: a trigram name search finds the generated names.
    name = _one("SELECT name_search FROM resident ORDER BY id LIMIT 1")
    assert _one(f"SELECT COUNT(*) FROM resident WHERE name_search LIKE '%{name[1:5]}%'") >= 1  # noqa: S608


def test_region_that_fails_part_way_still_leaves_every_index(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _indexes()
    db.session.remove()
    made = demo_region._residents
    calls = []

    def second_chunk_fails(region: Any, count: int, first_index: int) -> Any:
        calls.append(first_index)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return made(region, count, first_index)

    monkeypatch.setattr(demo_region, "_residents", second_chunk_fails)
    monkeypatch.setattr(demo_region, "CHUNK", 25)
    with pytest.raises(RuntimeError, match="disk full"):
        _make(residents=60)
    assert _indexes() == before
    # The first chunk was committed; nothing of the failed one was.
    assert _one("SELECT COUNT(*) FROM resident") == 25


def test_region_command_fills_an_empty_database_and_refuses_a_used_one(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "region", "--residents", "40", "--seed", "3",
                                 "--password", "correct-horse-battery-staple"])
    assert result.exit_code == 0, result.output
    assert "resident" in result.output and "40" in result.output
    assert _one("SELECT COUNT(*) FROM resident") == 40
    # New records after the generated ones get fresh ids (sequences moved on).
    again = runner.invoke(args=["demo", "region", "--residents", "40"])
    assert again.exit_code != 0
    assert "already has users" in again.output
    assert _one("SELECT COUNT(*) FROM resident") == 40


def test_region_command_refuses_a_bad_size(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "region", "--residents", "0"])
    assert result.exit_code != 0
    assert "--residents" in result.output
    assert _one("SELECT COUNT(*) FROM resident") == 0
