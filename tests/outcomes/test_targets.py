"""Targets: set by system admins, seeded from the roadmap, progress and trajectory."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from inclusion.exceptions import ValidationError
from inclusion.extensions import db
from inclusion.outcomes import query, targets
from inclusion.outcomes.models import FactKind, Target
from tests.outcomes.factories import facts

FY = query.Filters(date(2025, 4, 1), date(2026, 3, 31))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Target))


def test_non_use_target_closes_the_gap_from_22_to_15_percent(app):
    # 7% of 2,000,000 adults is 140,000 people; over 5 years, 28,000 a year.
    assert targets.non_use_target_per_year(adult_population=2_000_000, years=5) == 28_000
    assert targets.non_use_target_per_year(adult_population=1000, years=3) == 24  # 23.3 up
    with pytest.raises(ValidationError):
        targets.non_use_target_per_year(adult_population=0, years=5)


def test_seeding_sets_the_roadmap_targets_once(app):
    made = targets.seed_roadmap_targets(adult_population=2_000_000, first_year=2025, years=2)
    db.session.commit()
    by_key = {(t.measure, t.period_start.year): t for t in made}
    assert by_key[("retraining_completions", 2025)].value == 3000
    assert by_key[("retraining_completions", 2026)].value == 5000
    non_use = by_key[("moved_out_of_non_use", 2025)]
    assert non_use.value == 70_000 and non_use.baseline == 440_000
    assert ("devices_provided", 2025) in by_key and ("vouchers_issued", 2026) in by_key
    before = _count()
    assert targets.seed_roadmap_targets(adult_population=2_000_000, first_year=2025,
                                        years=2) == []
    assert _count() == before


@pytest.mark.parametrize(("today", "count", "status"), [
    (date(2025, 3, 1), 0, "not started"),
    (date(2025, 9, 30), 500, "behind"),  # 183 of 365 days: expected 501
    (date(2025, 9, 30), 501, "on track"),
    (date(2025, 9, 30), 600, "on track"),
    (date(2025, 9, 30), 400, "behind"),
    (date(2026, 2, 1), 1000, "met"),
])
def test_trajectory_compares_with_a_straight_line_over_the_period(app, partner, today, count,
                                                                   status):
    if count:
        facts(count, FactKind.COHORT_COMPLETION, date(2025, 4, 10), partner)
    db.session.commit()
    progress = query.progress(FY, "retraining_completions", 1000, today)
    assert progress.status == status
    assert progress.count.value == (count + 2) // 5 * 5


def test_progress_shows_running_totals_by_month_up_to_today(app, partner):
    facts(10, FactKind.COHORT_COMPLETION, date(2025, 4, 10), partner)
    facts(10, FactKind.COHORT_COMPLETION, date(2025, 6, 10), partner)
    db.session.commit()
    progress = query.progress(FY, "retraining_completions", 1000, date(2025, 6, 20))
    assert [(h.label, v.text) for h, v in progress.months] == [
        ("Apr 2025", "10"), ("May 2025", "10"), ("Jun 2025", "20")]


def test_small_progress_is_hidden_and_so_is_its_percentage(app, partner):
    facts(4, FactKind.COHORT_COMPLETION, date(2025, 4, 10), partner)
    db.session.commit()
    progress = query.progress(FY, "retraining_completions", 40, date(2025, 6, 20))
    assert progress.count.text == "*" and progress.percent.text == "–"


def test_admin_sets_a_target_with_the_form(client, login_as):
    login_as("admin")
    assert client.get("/outcomes/targets/new").status_code == 200
    response = client.post("/outcomes/targets/new", data={
        "measure": "moved_out_of_non_use", "area": "E08000026",
        "period_start": ["1", "4", "2025"],
        "period_end": ["31", "3", "2026"],
        "value": "", "adult_population": "300000", "years": "5",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    target = db.session.scalar(select(Target))
    assert (target.area, target.value) == ("E08000026", 4200)
    assert "300,000 adults" in target.note
    page = client.get("/outcomes/targets").get_data(as_text=True)
    assert "Coventry" in page and "4,200" in page


def test_target_form_rejects_bad_input_and_saves_nothing(client, login_as):
    login_as("admin")
    for data in (
        {"measure": "", "area": "REGION"},
        {"measure": "devices_lent", "area": "REGION",
         "period_start": ["31", "2", "2025"], "period_end": ["1", "3", "2025"], "value": "10"},
        {"measure": "devices_lent", "area": "REGION",
         "period_start": ["1", "4", "2026"], "period_end": ["1", "3", "2025"], "value": "10"},
        {"measure": "devices_lent", "area": "NOWHERE",
         "period_start": ["1", "4", "2025"], "period_end": ["1", "3", "2026"], "value": "-4"},
        {"measure": "devices_lent", "area": "REGION",
         "period_start": ["1", "4", "2025"], "period_end": ["1", "3", "2026"], "value": ""},
    ):
        response = client.post("/outcomes/targets/new", data=data)
        assert response.status_code == 200
        assert "There is a problem" in response.get_data(as_text=True)
    assert _count() == 0


def test_only_system_admins_change_targets(client, login_as, partner):
    target = targets.create_target(measure="devices_lent", area="REGION",
                                   period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                                   value=100)
    db.session.commit()
    login_as("lead")
    assert client.get("/outcomes/targets").status_code == 200
    assert client.get("/outcomes/targets/new").status_code == 403
    assert client.post(f"/outcomes/targets/{target.id}/delete").status_code == 403
    assert client.post(f"/outcomes/targets/{target.id}/edit",
                       data={"value": "1"}).status_code == 403
    db.session.refresh(target)
    assert target.value == 100 and _count() == 1


def test_admin_changes_and_removes_a_target(client, login_as):
    target = targets.create_target(measure="devices_lent", area="REGION",
                                   period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                                   value=100)
    db.session.commit()
    login_as("admin")
    response = client.post(f"/outcomes/targets/{target.id}/edit", data={
        "measure": "devices_lent", "area": "REGION",
        "period_start": ["1", "4", "2025"],
        "period_end": ["31", "3", "2026"],
        "value": "250", "baseline": "20",
    })
    assert response.status_code == 302
    db.session.refresh(target)
    assert (target.value, target.baseline) == (250, 20)
    assert client.post("/outcomes/targets/999999/delete").status_code == 404
    assert client.post(f"/outcomes/targets/{target.id}/delete").status_code == 302
    assert _count() == 0


def test_dashboard_shows_target_progress_with_a_chart(client, login_as, partner):
    targets.create_target(measure="retraining_completions", area="REGION",
                          period_start=date(2025, 4, 1), period_end=date(2026, 3, 31),
                          value=3000)
    facts(20, FactKind.COHORT_COMPLETION, date(2025, 5, 1), partner)
    db.session.commit()
    login_as("lead")
    page = client.get("/outcomes/?period=fy-2025").get_data(as_text=True)
    assert "Retraining completions, West Midlands" in page
    assert "20 of 3,000" in page
    assert "app-chart--progress" in page


def test_seed_targets_command(app):
    result = app.test_cli_runner().invoke(args=["outcomes", "seed-targets",
                                                "--adult-population", "2000000"])
    assert result.exit_code == 0, result.output
    assert _count() == 25
    bad = app.test_cli_runner().invoke(args=["outcomes", "seed-targets",
                                             "--adult-population", "-5"])
    assert bad.exit_code == 2
