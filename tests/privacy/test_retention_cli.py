"""`flask retention ...`: clear output, clear errors, nothing changed on a dry run or an error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inclusion import privacy
from inclusion.extensions import db, utcnow
from inclusion.privacy.models import Erasure, RetentionPolicyRecord
from tests.privacy.helpers import resident_with_history, snapshot

OLD = dict(name="Hermione Cattermole-Ndiaye", phone="+441214960999",
           email="hermione.cn@example.net", postcode="B4 7DA")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def old_resident(app, partner):
    resident = resident_with_history(partner, when=utcnow() - timedelta(days=1000), **OLD)
    db.session.commit()
    return resident


def test_dry_run_prints_what_would_go_and_changes_nothing(runner, old_resident):
    before = snapshot()

    result = runner.invoke(args=["retention", "run", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "nothing was changed" in result.output
    assert f"residents: 1 would be erased (ids {old_resident.id})" in result.output
    assert OLD["name"] not in result.output
    db.session.expire_all()
    assert snapshot() == before


def test_run_reports_counts_and_a_second_run_does_nothing(runner, old_resident):
    first = runner.invoke(args=["retention", "run"])
    second = runner.invoke(args=["retention", "run"])

    assert first.exit_code == 0, first.output
    assert "residents: 1 erased" in first.output
    assert "messages: 0 cleared of text, number and provider id" in first.output
    assert second.exit_code == 0, second.output
    assert "Nothing is past its retention period." in second.output
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 1


def test_as_of_a_past_date_keeps_what_was_then_recent(runner, old_resident):
    as_of = (utcnow() - timedelta(days=600)).date().isoformat()

    result = runner.invoke(args=["retention", "run", "--dry-run", "--as-of", as_of])

    assert result.exit_code == 0, result.output
    assert "residents: 0 would be erased" in result.output


@pytest.mark.parametrize("args, code, message", [
    (["retention", "run", "--as-of", "2026-13-01"], 2, "'2026-13-01' does not match the format"),
    (["retention", "run", "--as-of", "2999-01-01"], 2, "must not be in the future"),
    (["retention", "set", "spaceships", "3", "days"], 2, "unknown record type 'spaceships'"),
    (["retention", "set", "messages", "0", "days"], 1, "Enter a period between 1 and 36500 days"),
    (["retention", "set", "residents", "2000", "months"], 1, "between 1 and 1200 months"),
    (["retention", "set", "messages", "ten", "days"], 2, "'ten' is not a valid integer"),
    (["retention", "set", "messages", "10", "weeks"], 2, "'weeks' is not one of 'months', 'days'"),
])
def test_bad_arguments_get_a_clear_message_and_change_nothing(runner, old_resident, args, code,
                                                              message):
    before = snapshot()

    result = runner.invoke(args=args)

    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split()), result.output
    db.session.expire_all()
    assert snapshot() == before


def test_a_failing_handler_stops_the_run_with_nothing_changed(app, runner, old_resident):
    def broken(policy, now, dry_run):
        raise RuntimeError(f"could not reach {OLD['name']}")

    privacy.install(app, privacy.Handler(name="test-broken", expire=broken))
    before = snapshot()

    result = runner.invoke(args=["retention", "run"])

    assert result.exit_code == 1
    assert "Retention run failed (RuntimeError); nothing was changed." in result.output
    assert OLD["name"] not in result.output
    db.session.expire_all()
    assert snapshot() == before


def test_set_and_show_periods(runner):
    result = runner.invoke(args=["retention", "set", "messages", "30", "days"])

    assert result.exit_code == 0, result.output
    assert "messages: kept for 30 days" in result.output
    row = db.session.get(RetentionPolicyRecord, "messages")
    assert (row.period, row.unit.value) == (30, "days")
    shown = runner.invoke(args=["retention", "show"]).output
    assert "messages         30 days" in shown
    assert "audit entries    72 months" in shown
