"""The regional-scale figures benchmarks/run.py adds to its page timings: the outcomes dashboard
against the same counts in hand-written SQL and the PDF report, on the region; and the CSV
import, voucher issue and SMS worker rates, on a scratch PostgreSQL database (those scripts
drop and rebuild the schema of the database they are given, so never the region's).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
# The per-package scripts import `_common` as a top-level module, as when they run alone.
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))

import devices_import  # noqa: E402
import sms_worker  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import vouchers_import  # noqa: E402
import vouchers_issue  # noqa: E402
from _common import fresh_app  # noqa: E402
from outcomes_dashboard import time_counts, timed  # noqa: E402

from inclusion import create_app  # noqa: E402
from inclusion.extensions import db  # noqa: E402

RATIO_TARGET = 2.0  # the query layer within 2x of hand-written SQL for the same counts
PDF_TARGET_SECONDS = 5.0
# (key in the results, the script, its label in the table)
RATE_SCRIPTS: tuple[tuple[str, Any, str], ...] = (
    ("devices_import", devices_import, "devices CSV import"),
    ("vouchers_import", vouchers_import, "voucher codes CSV import"),
    ("vouchers_issue", vouchers_issue, "voucher issue, 4 clients"),
    ("sms_worker", sms_worker, "SMS worker, 4 processes"),
)
NEEDS_POSTGRES = ("the rate benchmarks need PostgreSQL (they run several processes against "
                  "one database and drop its schema); give --rates --scratch-database-url "
                  "postgresql://... to run them beside a SQLite region")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outcomes", action=argparse.BooleanOptionalAction, default=True,
                        help="time the outcomes dashboard against hand-written SQL, and the "
                             "PDF report, on the region")
    parser.add_argument("--outcomes-runs", type=int, default=5,
                        help="timed runs of each outcomes figure (the PDF: half as many)")
    parser.add_argument("--rates", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the import, issue and SMS rates on a scratch PostgreSQL "
                             "database (default: on for PostgreSQL)")
    parser.add_argument("--scratch-database-url",
                        help="PostgreSQL database for the rates, its schema dropped and rebuilt, "
                             "created if missing (default: the region's name + _scratch on the "
                             "same server)")
    parser.add_argument("--rates-scale", type=float, default=1.0,
                        help="multiply the rates' sizes (1 = 100,000 devices, 200,000 codes, "
                             "2,000 issues, 3,000 texts)")


def check(parser: argparse.ArgumentParser, args: argparse.Namespace, url: str) -> None:
    """Refuse bad options before anything is generated; settle the scratch database."""
    if args.outcomes_runs < 1:
        parser.error("--outcomes-runs must be at least 1")
    if not args.rates_scale > 0:
        parser.error("--rates-scale must be more than 0")
    region_on_postgres = url.startswith("postgresql")
    args.rates_skipped = None
    if args.rates is None and not region_on_postgres:
        args.rates, args.rates_skipped = False, NEEDS_POSTGRES
    elif args.rates is None:
        args.rates = True
    elif not args.rates:
        args.rates_skipped = "not asked (--no-rates)"
    if not args.rates:
        return
    scratch = args.scratch_database_url
    if not scratch:
        if not region_on_postgres:
            parser.error(f"--rates: {NEEDS_POSTGRES}")
        scratch = scratch_url_for(url)
    if not scratch.startswith("postgresql"):
        parser.error("--scratch-database-url must be a PostgreSQL URL (postgresql://...)")
    if region_on_postgres and _same_database(scratch, url):
        parser.error("--scratch-database-url must not be the region's database: the rates "
                     "drop its schema")
    problem = ensure_database(scratch)
    if problem:
        parser.error(f"--scratch-database-url: {problem}")
    args.scratch_database_url = scratch


def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """The outcomes and rates sections asked for, printed as a table; keyed for the JSON."""
    out: dict[str, Any] = {}
    if args.outcomes:
        print(f"outcomes dashboard on the region ({args.outcomes_runs} runs each):", flush=True)
        out["outcomes"] = outcomes(url, args.outcomes_runs)
    else:
        out["outcomes"] = {"skipped": "not asked (--no-outcomes)"}
    if args.rates:
        name = sa.make_url(args.scratch_database_url).database
        print(f"rates at scale {args.rates_scale:g} on the scratch database {name} (its schema "
              f"is dropped and rebuilt):", flush=True)
        out["rates"] = rates(args.scratch_database_url, args.rates_scale)
    else:
        print(f"rates skipped: {args.rates_skipped}", flush=True)
        out["rates"] = {"skipped": args.rates_skipped}
    print_table(out)
    return rounded(out)


# -- the outcomes dashboard on the region ---------------------------------------------------

def outcomes(url: str, runs: int) -> dict[str, Any]:
    """Time the dashboard's counts through the query layer against the same counts in
    hand-written SQL, every dashboard figure, and the PDF report, for the region's latest
    complete financial year. Reads only: the region is not reloaded or changed."""
    from inclusion.outcomes import dashboard, query, report
    from inclusion.outcomes.models import OutcomeFact

    # Disclosure control off, as in outcomes_dashboard.py, so the app's published totals can be
    # checked against the hand-written SQL's.
    app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "benchmark-only", "SUPPRESSION_THRESHOLD": 0,
                      "ROUNDING_BASE": 1})
    with app.app_context():
        # The region dates its facts up to the day it was generated, about two years back:
        # the financial year before that day's is the latest complete one.
        latest = db.session.scalar(sa.select(sa.func.max(OutcomeFact.occurred_on)))
        today = latest or date.today()
        year = query.financial_year_of(today)
        if today < query.financial_year_range(year)[1]:
            year -= 1
        selection = dashboard.parse_selection({"period": f"fy-{year}"}, today=today)
        assert not selection.errors, selection.errors
        start, end = selection.filters.start, selection.filters.end
        facts = db.session.scalar(sa.select(sa.func.count()).select_from(OutcomeFact).where(
            OutcomeFact.occurred_on.between(start, end))) or 0
        print(f"  financial year {year}-{(year + 1) % 100:02d} ({start} to {end}), "
              f"{facts:,} facts in it", flush=True)

        timings = time_counts(selection, today, runs)
        counts_ms, figures_ms = timings["counts_ms"], timings["dashboard_ms"]
        sql_ms, facts_ms = timings["sql_rollup_ms"], timings["sql_facts_ms"]
        same = timings["same_counts"]

    pdf_bytes = 0
    with app.app_context(), app.test_request_context():
        def pdf() -> None:
            nonlocal pdf_bytes
            built = report.build_report(selection, today=today, partner_name=None)
            pdf_bytes = len(report.render_pdf(built))
            db.session.rollback()

        pdf_ms = timed("PDF impact report (figures + WeasyPrint)", pdf, max(1, runs // 2))
        db.engine.dispose()
    ratio = counts_ms / sql_ms if sql_ms else 0.0
    return {
        "period": f"fy-{year}", "from": start.isoformat(), "to": end.isoformat(),
        "facts_in_period": facts, "runs": runs,
        "counts_ms": counts_ms, "hand_written_sql_ms": sql_ms,
        "hand_written_sql_on_facts_ms": facts_ms,
        "same_counts": same, "ratio": ratio, "target_ratio": RATIO_TARGET,
        "met": same and 0 < ratio <= RATIO_TARGET,
        "dashboard_figures_ms": figures_ms,
        "dashboard_figures_ratio": figures_ms / sql_ms if sql_ms else 0.0,
        "pdf_seconds": pdf_ms / 1000, "pdf_bytes": pdf_bytes,
        "pdf_target_seconds": PDF_TARGET_SECONDS, "pdf_met": pdf_ms < 1000 * PDF_TARGET_SECONDS,
    }


# -- the rates on a scratch database --------------------------------------------------------

def scratch_url_for(url: str) -> str:
    """The region's PostgreSQL URL with the database name + _scratch."""
    made = sa.make_url(url)
    return made.set(database=f"{made.database}_scratch").render_as_string(hide_password=False)


def _same_database(a: str, b: str) -> bool:
    def where(url: str) -> tuple[str, int, str | None]:
        made = sa.make_url(url)
        host = made.host or "localhost"
        local = host in {"localhost", "127.0.0.1", "::1"} or host.startswith("/")
        return ("localhost" if local else host, made.port or 5432, made.database)

    return where(a) == where(b)


def ensure_database(url: str) -> str | None:
    """Create the PostgreSQL database if it is missing, through the server's `postgres`
    database; returns what went wrong, or None."""
    target = sa.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if not target.database:
        return "the URL names no database"
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            found = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                {"name": target.database})
            if not found:
                quoted = conn.dialect.identifier_preparer.quote_identifier(target.database)
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
                print(f"created the scratch database {target.database}", flush=True)
    except sa.exc.SQLAlchemyError as exc:
        return str(getattr(exc, "orig", None) or exc).splitlines()[0]
    finally:
        admin.dispose()
    return None


def rates(scratch_url: str, scale: float) -> dict[str, Any]:
    """Run the four rate benchmarks, one after another, on the scratch database (each drops
    and rebuilds its schema); every result carries its target and whether it was met."""
    problem = ensure_database(scratch_url)
    if problem:
        raise SystemExit(f"scratch database: {problem}")
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)  # as the scripts do alone: the apps' warnings are noise
    try:
        fresh_app(scratch_url)  # the devices import keeps data: start it on an empty schema
        out: dict[str, Any] = {"database": sa.make_url(scratch_url).database, "scale": scale}
        for key, script, _ in RATE_SCRIPTS:
            out[key] = script.measure(scratch_url, scale=scale)
            print("  " + script.describe(out[key]).replace("\n", "\n  "), flush=True)
    finally:
        logging.disable(previous)
    return out


# -- the table and the JSON -----------------------------------------------------------------

def _rows(out: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    o = out.get("outcomes", {})
    if "skipped" not in o:
        rows += [
            (f"outcomes {o['period']}: query layer / hand-written SQL",
             f"{o['ratio']:.2f}x ({o['counts_ms']:.1f} / {o['hand_written_sql_ms']:.1f} ms), "
             f"same counts: {'yes' if o['same_counts'] else 'NO'}",
             f"within {RATIO_TARGET:g}x, same counts", verdict(o["met"])),
            ("outcomes: all dashboard figures",
             f"{o['dashboard_figures_ms']:.1f} ms ({o['dashboard_figures_ratio']:.2f}x SQL)",
             "", ""),
            ("outcomes: PDF report", f"{o['pdf_seconds']:.2f} s",
             f"< {PDF_TARGET_SECONDS:g} s", verdict(o["pdf_met"])),
        ]
    r = out.get("rates", {})
    if "skipped" not in r:
        for key, _, label in RATE_SCRIPTS:
            result = r[key]
            done = result.get("stored", result.get("vouchers", result.get("sent")))
            rows.append((label, f"{done:,} in {result['seconds']:.2f} s = "
                                f"{result['per_second']:,.0f}/s",
                         f">= {result['target_per_second']:,.0f}/s", verdict(result["met"])))
    return rows


def print_table(out: dict[str, Any]) -> None:
    rows = _rows(out)
    if not rows:
        return
    heads = ("figure", "measured", "target", "met?")
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(4)]
    print()
    for row in [heads, *rows]:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    print(flush=True)


def rounded(value: Any) -> Any:
    """Floats to 3 decimals for the JSON (milliseconds, seconds, ratios and rates)."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value
