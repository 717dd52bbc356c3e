"""Outcomes dashboard and PDF report timings at scale, against hand-written SQL for the same counts.

    # PostgreSQL, 5,000,000 facts (the target: dashboard < 300 ms, within 2x of plain SQL;
    # PDF < 5 s). The database is emptied and rebuilt: give it one of your own.
    python benchmarks/outcomes_dashboard.py --url postgresql://postgres@127.0.0.1:5432/DB
    # SQLite, 500,000 facts (the target: dashboard < 500 ms)
    python benchmarks/outcomes_dashboard.py --sqlite /tmp/outcomes-bench.sqlite
    # Smaller runs: --facts 200000

Facts span three financial years (April 2023 to March 2026) over 20 partners and the seven
authorities; the timed dashboard is financial year 2025-26 with the roadmap's targets set.
"""
# The SQL here is built from this module's own constant text, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402
from inclusion.outcomes.milestones import milestones_for  # noqa: E402

AUTHORITIES = ["E08000025", "E08000026", "E08000027", "E08000028", "E08000029", "E08000030",
               "E08000031", "OUTSIDE"]
AGES = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
GENDERS = ["woman", "man", "non-binary", "not-said", None]
ETHNIC = ["asian", "black", "mixed", "white", "other", None]
DISABILITY = ["yes", "no", "not-said", None]
START = date(2023, 4, 1)
DAYS = (date(2026, 3, 31) - START).days + 1
COLUMNS = ("kind", "occurred_on", "partner_id", "resident_key", "local_authority", "age_band",
           "gender", "ethnic_group", "disability", "imd_decile", "detail", "quantity",
           "milestones", "recorded_at")

# Column names are this module's own constants, not input.
INSERT_SQL = (f"INSERT INTO outcome_fact ({', '.join(COLUMNS)}) "  # noqa: S608
              f"VALUES ({', '.join('?' * len(COLUMNS))})")


def person_facts(rng: random.Random, n: int, partners: int) -> list[tuple]:
    """About nine facts for one made-up person over their journey."""
    key = f"bench{n:010d}"
    partner = rng.randint(1, partners)
    dims = (rng.choice(AUTHORITIES), rng.choice(AGES), rng.choice(GENDERS),
            rng.choice(ETHNIC), rng.choice(DISABILITY), rng.choice([*range(1, 11), None]))
    day = START + timedelta(days=rng.randrange(DAYS))
    out = []

    def add(kind: str, offset: int, detail: str | None = None) -> None:
        when = day + timedelta(days=offset)
        if when <= date(2026, 3, 31):
            out.append((kind, when, partner, key, *dims, detail, 1))

    first = rng.choices(["non-user", "limited user", "engaged user"], [4, 4, 2])[0]
    add("resident registered", 0)
    add("assessment", 0, f"first:{first}")
    later = rng.choices(["non-user", "limited user", "engaged user"], [2, 5, 3])[0]
    add("assessment", 90, f"follow-up:{later}")
    if rng.random() < 0.5:
        add("assessment", 180, f"follow-up:{rng.choice(['limited user', 'engaged user'])}")
    if rng.random() < 0.5:
        add(rng.choice(["device lent", "device gifted"]), 3, "laptop")
    if rng.random() < 0.6:
        add("voucher issued", 2, "scheme-1")
        add("voucher delivered", 2)
        if rng.random() < 0.7:
            add("voucher redeemed", 10)
    if rng.random() < 0.1:
        add("social tariff taken up", 20)
    if rng.random() < 0.3:
        add("referral made", 5)
        add("referral accepted", 9)
        if rng.random() < 0.6:
            add("referral completed", 60)
    if rng.random() < 0.15:
        add("cohort start", 30, "fund-1")
        add("cohort completion", 120, "fund-1")
        add("outcome at 3 months", 210, rng.choice(["job", "progression", "none"]))
    # The same milestone marking the app does on every flush (COPY bypasses the ORM).
    shaped = [SimpleNamespace(kind=r[0], occurred_on=r[1], detail=r[10], id=i)
              for i, r in enumerate(out)]
    bits = milestones_for(shaped)
    return [(*row, bits.get(i, 0)) for i, row in enumerate(out)]


def load(app, facts: int, seed: int) -> int:
    """Empty the database, migrate it, add partners and `facts` facts; returns facts loaded."""
    from flask_migrate import upgrade

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        from inclusion.outcomes.targets import seed_roadmap_targets
        from inclusion.tenancy import Partner, PartnerKind

        partners = 20
        for i in range(partners):
            db.session.add(Partner(name=f"Bench partner {i + 1}", kind=PartnerKind.CHARITY,
                                   authorities=[AUTHORITIES[i % 7]]))
        seed_roadmap_targets(adult_population=2_300_000, first_year=2025, years=2)
        db.session.commit()
        rng = random.Random(seed)
        total, person = 0, 0
        started = time.perf_counter()
        batch: list[tuple] = []
        stamp = "2026-04-01 00:00:00+00"

        def flush() -> None:
            if not batch:
                return
            if engine.dialect.name == "postgresql":
                raw = engine.raw_connection()
                try:
                    cur = raw.cursor()
                    cols = ", ".join(COLUMNS)
                    with cur.copy(f"COPY outcome_fact ({cols}) FROM STDIN") as copy:
                        buf = io.StringIO()
                        for row in batch:
                            buf.write("\t".join(r"\N" if v is None else str(v)
                                                for v in (*row, stamp)) + "\n")
                        copy.write(buf.getvalue())
                    raw.commit()
                finally:
                    raw.close()
            else:
                with engine.begin() as conn:
                    conn.exec_driver_sql(
                        INSERT_SQL,
                        [(r[0], r[1].isoformat(), *r[2:], stamp) for r in batch])
            batch.clear()

        while total < facts:
            rows = person_facts(rng, person, partners)[: facts - total]
            person += 1
            batch.extend(rows)
            total += len(rows)
            if len(batch) >= 200_000:
                flush()
        flush()
        print(f"loaded {total:,} facts for {person:,} people in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        from inclusion.outcomes import rollup

        # A bulk load writes no pending rows: its facts go into the roll-up in one pass.
        started = time.perf_counter()
        with engine.begin() as conn:
            first, last = conn.execute(sa.text("SELECT MIN(id), MAX(id) FROM outcome_fact")).one()
            rollup.add_range(conn, first, last)
        rows = db.session.scalar(sa.text("SELECT COUNT(*) FROM outcome_rollup"))
        print(f"rolled up into {rows:,} roll-up rows in {time.perf_counter() - started:.1f} s",
              flush=True)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM ANALYZE"))
            else:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        return total


# The dashboard's measures as conditional sums; {n} is "quantity" on the facts, and on the
# roll-up "quantity" for events and "facts" for people.
MEASURE_SUMS = """
       SUM(CASE WHEN kind = 'resident registered' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'assessment' AND detail = 'first:non-user' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'device lent' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'device gifted' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind IN ('device lent', 'device gifted') THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'voucher issued' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'voucher delivered' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'voucher redeemed' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'social tariff taken up' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'referral made' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'referral accepted' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'referral completed' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'cohort start' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'cohort completion' THEN quantity ELSE 0 END),
       SUM(CASE WHEN kind = 'assessment' AND (milestones & 1) <> 0 THEN {n} ELSE 0 END),
       SUM(CASE WHEN kind = 'assessment' AND (milestones & 2) <> 0 THEN {n} ELSE 0 END),
       SUM(CASE WHEN kind IN ('outcome at 3 months', 'outcome at 6 months')
                AND (milestones & 4) <> 0 THEN {n} ELSE 0 END)
"""
KINDS = """kind IN ('resident registered', 'assessment',
  'device lent', 'device gifted', 'voucher issued', 'voucher delivered', 'voucher redeemed',
  'social tariff taken up', 'referral made', 'referral accepted', 'referral completed',
  'cohort start', 'cohort completion', 'outcome at 3 months', 'outcome at 6 months')"""
# Every fact of the period, counted from the facts table.
HAND_SQL_FACTS = f"""
SELECT DATE_TRUNC('month', occurred_on) AS month, local_authority, {MEASURE_SUMS.format(n=1)}
FROM outcome_fact WHERE occurred_on BETWEEN :start AND :end AND {KINDS}
GROUP BY 1, 2
"""
# The same counts as the app reads them for whole months: the roll-up's smallest grain, and
# beside it the facts not rolled up yet.
HAND_SQL_ROLLUP = f"""
SELECT month, local_authority, {MEASURE_SUMS.format(n="facts")}
FROM outcome_rollup WHERE grain = '' AND month BETWEEN :start AND :end AND {KINDS}
GROUP BY 1, 2
"""
HAND_SQL_PENDING = f"""
SELECT DATE_TRUNC('month', occurred_on) AS month, local_authority, {MEASURE_SUMS.format(n=1)}
FROM outcome_fact JOIN outcome_fact_pending ON fact_id = id
WHERE occurred_on BETWEEN :start AND :end AND {KINDS}
GROUP BY 1, 2
"""


def _dialect_sql(conn: sa.Connection, text: str) -> str:
    if conn.dialect.name == "sqlite":
        return text.replace("DATE_TRUNC('month', occurred_on)", "strftime('%Y-%m', occurred_on)")
    return text


def hand_written_facts(conn: sa.Connection, start: date, end: date) -> None:
    """The dashboard's counts in plain SQL from the facts: one scan, conditional sums."""
    conn.execute(sa.text(_dialect_sql(conn, HAND_SQL_FACTS)),
                 {"start": start, "end": end}).all()


# The measures in the order of MEASURE_SUMS.
SUM_ORDER = ("residents_supported", "non_users_supported", "devices_lent", "devices_gifted",
             "devices_provided", "vouchers_issued", "vouchers_delivered", "vouchers_redeemed",
             "social_tariff", "referrals_made", "referrals_accepted", "referrals_completed",
             "retraining_starts", "retraining_completions", "moved_out_of_non_use",
             "moved_to_engaged", "job_outcomes")


def hand_written_rollup(conn: sa.Connection, start: date, end: date) -> dict[str, int]:
    """The same counts in plain SQL the way the app reads them (the period is whole months);
    returns each measure's total."""
    params = {"start": start, "end": end}
    totals = dict.fromkeys(SUM_ORDER, 0)
    for sql in (HAND_SQL_ROLLUP, _dialect_sql(conn, HAND_SQL_PENDING)):
        for row in conn.execute(sa.text(sql), params):
            for key, value in zip(SUM_ORDER, row[2:], strict=True):
                totals[key] += int(value or 0)
    return totals


def timed(label: str, fn, runs: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    print(f"{label:<46} median {median:8.1f} ms   (min {min(samples):.1f}, {runs} runs)",
          flush=True)
    return median


def time_counts(selection: Any, today: date, runs: int) -> dict[str, Any]:
    """In an app context: the dashboard's counts through the query layer, all its figures,
    and the same counts in hand-written SQL (on the roll-up, and on the facts alone), each
    timed; and whether the query layer and the SQL agree on every measure (the app must have
    disclosure control off for that)."""
    from inclusion.outcomes import dashboard, query

    start, end = selection.filters.start, selection.filters.end

    def counts() -> None:
        query.Counts(selection.filters, (selection.rows,))
        db.session.rollback()

    def figures() -> None:
        dashboard.build_dashboard(selection, today=today)
        db.session.rollback()

    def plain_rollup() -> None:
        with db.engine.connect() as conn:
            hand_written_rollup(conn, start, end)

    def plain_facts() -> None:
        with db.engine.connect() as conn:
            hand_written_facts(conn, start, end)

    out: dict[str, Any] = {
        "counts_ms": timed("counts through the query layer", counts, runs),
        "dashboard_ms": timed("dashboard figures (all tables, charts, targets)", figures, runs),
        "sql_rollup_ms": timed("same counts, hand-written SQL on the roll-up", plain_rollup, runs),
        "sql_facts_ms": timed("same counts, hand-written SQL on the facts", plain_facts, runs),
    }
    # The comparison means something only if both sides counted the same thing.
    published = {k: v.value for k, v in query.Counts(selection.filters).totals().items()}
    with db.engine.connect() as conn:
        by_hand = hand_written_rollup(conn, start, end)
    out["same_counts"] = all(published[key] == value for key, value in by_hand.items())
    print(f"query layer and hand-written SQL agree on every measure: "
          f"{'yes' if out['same_counts'] else 'NO'}", flush=True)
    db.session.rollback()
    return out


def main(argv: list[str] | None = None) -> dict[str, float | bool]:
    """Run the benchmark; returns the figures (milliseconds) and whether the counts agreed."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="PostgreSQL URL of a database to empty and fill")
    where.add_argument("--sqlite", help="path of a SQLite file to (re)create")
    parser.add_argument("--facts", type=int, help="default 5,000,000 (PostgreSQL) or 500,000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-load", action="store_true", help="reuse the data already there")
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args(argv)

    if args.sqlite:
        path = Path(args.sqlite)
        if not args.no_load and path.exists():
            path.unlink()
        url, facts = f"sqlite:///{path}", args.facts or 500_000
    else:
        url, facts = args.url, args.facts or 5_000_000
    # Disclosure control off, so the app's published totals can be checked against plain SQL.
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url,
                      "SUPPRESSION_THRESHOLD": 0, "ROUNDING_BASE": 1})
    if not args.no_load:
        load(app, facts, args.seed)

    from inclusion.outcomes import dashboard, report

    today = date(2026, 3, 31)
    with app.app_context():
        backend = db.engine.dialect.name
        count = db.session.scalar(sa.text("SELECT COUNT(*) FROM outcome_fact"))
        print(f"backend {backend}, {count:,} facts; dashboard for financial year 2025-26")
        selection = dashboard.parse_selection({"period": "fy-2025"}, today=today)
        assert not selection.errors

        timings = time_counts(selection, today, args.runs)
        counts_ms, app_ms = timings["counts_ms"], timings["dashboard_ms"]
        sql_ms, facts_ms = timings["sql_rollup_ms"], timings["sql_facts_ms"]
        same = timings["same_counts"]

        from inclusion.auth.models import User
        from inclusion.auth.passwords import hash_password

        lead = db.session.scalar(sa.select(User).where(User.email == "bench-lead@example.org"))
        if lead is None:
            lead = User(email="bench-lead@example.org", name="Bench lead",
                        password_hash=hash_password("bench password 123"),
                        is_coalition_lead=True)
            db.session.add(lead)
            db.session.commit()
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench-lead@example.org",
                                  "password": "bench password 123"})

    def page() -> None:
        response = client.get("/outcomes/?period=fy-2025")
        assert response.status_code == 200, response.status_code

    page_ms = timed("dashboard page (HTTP GET, rendered HTML)", page, args.runs)
    pdf_ms = None
    if not args.no_pdf:
        with app.app_context(), app.test_request_context():
            def pdf() -> None:
                built = report.build_report(selection, today=today, partner_name=None)
                report.render_pdf(built)
                db.session.rollback()

            pdf_ms = timed("PDF impact report (figures + WeasyPrint)", pdf, max(1, args.runs // 2))
    print()
    limit = 300 if backend == "postgresql" else 500
    print(f"dashboard page {page_ms:.0f} ms (target < {limit} ms): "
          f"{'met' if page_ms < limit else 'NOT met'}")
    print(f"counts through the query layer / the same counts in hand-written SQL = "
          f"{counts_ms / sql_ms:.2f}x (target within 2x): "
          f"{'met' if counts_ms <= 2 * sql_ms else 'NOT met'}")
    print(f"all dashboard figures / hand-written SQL = {app_ms / sql_ms:.2f}x; "
          f"/ hand-written SQL on the facts alone = {app_ms / facts_ms:.2f}x")
    if pdf_ms is not None:
        print(f"PDF report {pdf_ms / 1000:.2f} s (target < 5 s): "
              f"{'met' if pdf_ms < 5000 else 'NOT met'}")
    return {"counts_ms": counts_ms, "dashboard_ms": app_ms, "sql_rollup_ms": sql_ms,
            "sql_facts_ms": facts_ms, "page_ms": page_ms, "pdf_ms": pdf_ms or 0.0,
            "same_counts": same}


if __name__ == "__main__":
    main()
