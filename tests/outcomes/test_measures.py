"""Measures count what their definitions say, on hand-built fact sets."""

from __future__ import annotations

from datetime import date

from inclusion.extensions import db
from inclusion.outcomes import query
from inclusion.outcomes.models import FactKind
from tests.outcomes.factories import assessments, fact, facts, new_key

FY = query.Filters(date(2025, 4, 1), date(2026, 3, 31))


def _value(filters, key):
    return query.headline(filters)[key].value


def test_event_measures_add_up_quantities_in_the_period_only(app, partner):
    facts(10, FactKind.DEVICE_LENT, date(2025, 5, 1), partner)
    facts(9, FactKind.DEVICE_GIFTED, date(2025, 6, 1), partner)
    fact(FactKind.VOUCHER_ISSUED, date(2025, 7, 1), partner, quantity=12)
    facts(20, FactKind.DEVICE_LENT, date(2025, 3, 31), partner)  # the year before
    facts(20, FactKind.DEVICE_LENT, date(2026, 4, 1), partner)  # the year after
    db.session.commit()
    figures = query.headline(FY)
    assert figures["devices_lent"].value == 10
    assert figures["devices_gifted"].value == 10  # 9 rounds to 10
    assert figures["devices_provided"].value == 20  # 19 rounds to 20
    assert figures["vouchers_issued"].value == 10  # 12 rounds to 10
    assert figures["residents_supported"].value == 0


def test_non_users_supported_counts_first_assessments_that_found_a_non_user(app, partner):
    for _ in range(9):
        assessments(new_key(), partner, (date(2025, 5, 1), "non-user"))
    for _ in range(9):
        assessments(new_key(), partner, (date(2025, 5, 1), "limited user"))
    db.session.commit()
    assert _value(FY, "non_users_supported") == 10


def test_moving_back_and_forth_counts_a_person_once_at_their_first_move(app, partner):
    # 8 people: non-user, then limited (Jun), back to non-user (Aug), then engaged (Jan).
    for _ in range(8):
        assessments(new_key(), partner,
                    (date(2025, 4, 10), "non-user"), (date(2025, 6, 10), "limited user"),
                    (date(2025, 8, 10), "non-user"), (date(2026, 1, 10), "engaged user"))
    db.session.commit()
    by_quarter = query.measures_by(FY, "quarter")
    moved = dict(zip([r.key for r in by_quarter.rows],
                     by_quarter.column("moved_out_of_non_use"), strict=True))
    assert moved["2025-Q1"].value == 10  # 8 people, rounded; all in Apr-Jun
    assert moved["2025-Q2"].value == 0  # going back to non-use and out again is not a new move
    assert moved["2025-Q4"].value == 0
    engaged = dict(zip([r.key for r in by_quarter.rows],
                       by_quarter.column("moved_to_engaged"), strict=True))
    assert engaged["2025-Q4"].value == 10
    assert engaged["2025-Q1"].value == 0
    assert _value(FY, "moved_out_of_non_use") == 10


def test_a_move_before_the_period_is_not_counted_again_inside_it(app, partner):
    for _ in range(8):
        assessments(new_key(), partner, (date(2025, 1, 5), "non-user"),
                    (date(2025, 3, 5), "limited user"), (date(2025, 9, 5), "engaged user"))
    db.session.commit()
    assert _value(FY, "moved_out_of_non_use") == 0
    assert _value(FY, "moved_to_engaged") == 10  # first engaged follow-up is in the year


def test_people_who_started_as_users_never_count_as_moved_out_of_non_use(app, partner):
    for _ in range(9):
        assessments(new_key(), partner, (date(2025, 5, 1), "limited user"),
                    (date(2025, 9, 1), "engaged user"))
    for _ in range(9):  # non-users never followed up as users
        assessments(new_key(), partner, (date(2025, 5, 1), "non-user"),
                    (date(2025, 9, 1), "non-user"))
    db.session.commit()
    assert _value(FY, "moved_out_of_non_use") == 0
    assert _value(FY, "moved_to_engaged") == 10


def test_job_outcomes_count_people_once_and_ignore_none(app, partner):
    for _ in range(9):
        key = new_key()
        fact(FactKind.OUTCOME_3_MONTHS, date(2025, 6, 1), partner, key=key, detail="job")
        fact(FactKind.OUTCOME_6_MONTHS, date(2025, 9, 1), partner, key=key, detail="progression")
    facts(20, FactKind.OUTCOME_3_MONTHS, date(2025, 6, 1), partner, detail="none")
    db.session.commit()
    assert _value(FY, "job_outcomes") == 10


def test_partner_and_authority_filters_narrow_every_measure(app, partner, other_partner):
    facts(12, FactKind.REFERRAL_MADE, date(2025, 5, 1), partner, local_authority="E08000026")
    facts(30, FactKind.REFERRAL_MADE, date(2025, 5, 1), other_partner)
    db.session.commit()
    assert _value(FY, "referrals_made") == 40
    mine = query.Filters(FY.start, FY.end, partner_id=partner.id)
    assert _value(mine, "referrals_made") == 10
    coventry = query.Filters(FY.start, FY.end, authority="E08000026")
    assert _value(coventry, "referrals_made") == 10


def test_breakdowns_by_two_dimensions_have_rows_columns_and_totals(app, partner):
    facts(10, FactKind.RESIDENT_REGISTERED, date(2025, 5, 1), partner,
          local_authority="E08000026")
    facts(3, FactKind.RESIDENT_REGISTERED, date(2025, 11, 1), partner,
          local_authority="E08000026")
    facts(20, FactKind.RESIDENT_REGISTERED, date(2025, 11, 1), partner, imd_decile=None)
    db.session.commit()
    table = query.cross_table(FY, "residents_supported", "authority", "quarter")
    coventry = table.row("E08000026")
    quarters = [c.key for c in table.columns]
    assert quarters == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert [c.text for c in coventry.cells] == ["10", "0", "*", "0"]
    assert coventry.total.value == 15  # 13 unrounded
    assert table.totals.total.value == 35  # 33 unrounded
    by_imd = query.measures_by(FY, "imd")
    assert by_imd.row("not-known").cells[0].value == 20
    assert by_imd.row("1").label.startswith("Decile 1")


def test_month_quarter_and_financial_year_buckets(app, partner):
    facts(10, FactKind.COHORT_START, date(2025, 3, 31), partner)
    facts(10, FactKind.COHORT_START, date(2025, 4, 1), partner)
    db.session.commit()
    span = query.Filters(date(2025, 3, 1), date(2025, 4, 30))
    months = query.measures_by(span, "month", caption="x")
    assert [r.label for r in months.rows] == ["Mar 2025", "Apr 2025"]
    years = query.measures_by(span, "year")
    assert [r.label for r in years.rows] == ["2024-25", "2025-26"]
    assert [r.cells[[c.key for c in years.columns].index("retraining_starts")].value
            for r in years.rows] == [10, 10]


def test_a_back_dated_assessment_moves_the_persons_milestone(app, partner):
    keys = [new_key() for _ in range(8)]
    for key in keys:
        assessments(key, partner, (date(2025, 4, 1), "non-user"))
    db.session.commit()
    for key in keys:  # recorded first: a follow-up in January
        fact(FactKind.ASSESSMENT, date(2026, 1, 5), partner, key=key,
             detail="follow-up:limited user")
    db.session.commit()
    for key in keys:  # recorded later, but it happened in June
        fact(FactKind.ASSESSMENT, date(2025, 6, 5), partner, key=key,
             detail="follow-up:limited user")
    db.session.commit()
    by_quarter = query.measures_by(FY, "quarter")
    moved = dict(zip([r.key for r in by_quarter.rows],
                     by_quarter.column("moved_out_of_non_use"), strict=True))
    assert moved["2025-Q1"].value == 10
    assert moved["2025-Q4"].value == 0
    assert _value(FY, "moved_out_of_non_use") == 10


def test_migration_marks_facts_recorded_before_it_like_new_ones(tmp_path):
    """Facts already in the table when the milestones column arrives are marked the same way."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from inclusion import create_app
    from inclusion.outcomes.models import OutcomeFact

    app = create_app({"ENV_NAME": "test",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        from tests import factories

        partner = factories.make_partner()
        plans = [
            [(date(2025, 4, 1), "first:non-user"), (date(2025, 6, 1), "follow-up:non-user"),
             (date(2025, 8, 1), "follow-up:limited user"),
             (date(2025, 9, 1), "follow-up:engaged user")],
            [(date(2025, 4, 1), "first:limited user"), (date(2025, 7, 1),
                                                        "follow-up:engaged user"),
             (date(2025, 9, 1), "follow-up:engaged user")],
        ]
        for n, plan in enumerate(plans):
            for on, detail in plan:
                fact(FactKind.ASSESSMENT, on, partner, key=f"m{n}", detail=detail)
        fact(FactKind.OUTCOME_3_MONTHS, date(2025, 9, 1), partner, key="m1", detail="job")
        fact(FactKind.OUTCOME_6_MONTHS, date(2025, 12, 1), partner, key="m1", detail="job")
        db.session.commit()
        marked = db.session.execute(
            sa.select(OutcomeFact.id, OutcomeFact.milestones).order_by(OutcomeFact.id)).all()
        assert sorted(m for _, m in marked if m) == [1, 2, 2, 4]
        partner_id = partner.id
        db.session.remove()
        # Rebuild the table without milestones, copy the facts back, and migrate again.
        rows = db.session.execute(sa.text(
            "SELECT kind, occurred_on, resident_key, local_authority, detail, quantity, "
            "recorded_at FROM outcome_fact ORDER BY id")).all()
        db.session.remove()
        downgrade(revision="0002_sms_outbox")
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM outcome_fact"))
            for row in rows:
                conn.execute(sa.text(
                    "INSERT INTO outcome_fact (kind, occurred_on, partner_id, resident_key, "
                    "local_authority, detail, quantity, recorded_at) VALUES (:k, :o, :p, :r, "
                    ":la, :d, :q, :ra)"),
                    {"k": row[0], "o": row[1], "p": partner_id, "r": row[2], "la": row[3],
                     "d": row[4], "q": row[5], "ra": row[6]})
        upgrade()
        again = db.session.execute(
            sa.select(OutcomeFact.id, OutcomeFact.milestones).order_by(OutcomeFact.id)).all()
        assert [m for _, m in again] == [m for _, m in marked]
        db.session.remove()
        db.engine.dispose()
