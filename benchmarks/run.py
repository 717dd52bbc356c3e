"""Page latency and throughput against a generated region (`make bench` runs this).

    # SQLite, a small region in a temporary folder (the default):
    python benchmarks/run.py
    # PostgreSQL, 100,000 residents (the database's public schema is dropped and rebuilt):
    python benchmarks/run.py --database-url postgresql://postgres@127.0.0.1:5432/DB \
        --residents 100000
    # Re-time a region generated before (skips generation):  --reuse
    # Throughput against gunicorn with 2 workers (skipped with --no-gunicorn)
    # Then benchmarks/suite.py: the outcomes dashboard against hand-written SQL and the PDF
    # report on the region (--no-outcomes), and the import, voucher issue and SMS rates on a
    # scratch PostgreSQL database, the region's name + _scratch (--no-rates, --rates-scale)

Each page is requested --repeat times in-process (Flask test client, full request: sign-in
session, access rules, queries, template) signed in as the role that uses it, at the partner
with the most rows for that page; the median and 95th percentile are printed and written with
the machine's details to benchmarks/results/run-<time>.json.

Throughput: gunicorn serves the app with 2 sync workers; --clients client processes (16,
each with its own connection; see benchmarks/_load.py) request each of --throughput-pages,
then a bare endpoint (the app's request handling with no session, database or template),
then the bare endpoint with a signed-in session (what every signed-in page pays before its
own work), then an anonymous endpoint that reads one row through the app's database session
(what the first trip to the database costs), all on the same server for --seconds each. The
time is cut into --rounds turns that alternate between them, after --warmup seconds that are
not counted. Printed for each: requests/s, median and 95th-percentile latency, errors (any
answer but 200), and CPU milliseconds per request of gunicorn's workers, the database's
backends and the clients. The ratio is each page's requests/s over the bare endpoint's; the
CPU ratio compares CPU time per request instead, which other work on the machine hardly
moves. The first of --throughput-pages (the name search, database-bound at scale) gives the
headline ratio; the resident page and staff home are the typical pages.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import suite  # noqa: E402
from _common import follow_next  # noqa: E402

from inclusion import create_app, freeze_startup_objects  # noqa: E402
from inclusion.extensions import db  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
import _load  # noqa: E402

# Throughput is measured for the search (database-bound at scale) and for typical pages.
THROUGHPUT_PAGES = ("resident search: name", "resident page", "staff home")
BARE = "bare endpoint"
# The bare endpoint with a signed-in session: what every signed-in page costs before its own
# work (session, user and memberships read, access rules), so the best ratio a page can reach.
SIGNED_IN_BARE = "bare endpoint, signed in"
# The bare endpoint reading one row through the app's database session, anonymous: what the
# first trip to the database costs any page (pool checkout, statement, transaction's end).
ONE_READ = "bare endpoint, one database read"
PASSWORD = "benchmark-password-2026"  # noqa: S105 - generated accounts, throwaway database
RESULTS = ROOT / "benchmarks" / "results"
# A path marked DEEP is timed at this page of its (keyset-paged) list.
DEEP = "#deep"
DEEP_PAGE = 200


def _config(url: str) -> dict[str, Any]:
    return {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False, "SECRET_KEY": "benchmark-only"}


def prepare(url: str, residents: int, seed: int, reuse: bool) -> dict[str, Any]:
    """Empty and migrate the database, then generate the region; returns what was made."""
    from flask_migrate import upgrade

    from inclusion.demo_region import generate, new_password_hash

    app = create_app(_config(url))
    with app.app_context():
        if reuse:
            found = db.session.scalar(sa.text("SELECT COUNT(*) FROM resident"))
            db.session.remove()
            db.engine.dispose()
            return {"reused": True, "resident": found}
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        started = time.perf_counter()
        counts = generate(residents=residents, seed=seed,
                          password_hash=new_password_hash(PASSWORD))
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    print(f"generated {residents:,} residents ({sum(counts.values()):,} rows) "
          f"in {elapsed:.1f} s", flush=True)
    return {"generate_seconds": round(elapsed, 1), **counts}


def _busiest(sql: str) -> int:
    rows = [r for r in db.session.execute(sa.text(sql)).all() if r[0] is not None]
    return max(rows, key=lambda r: (r[1], -r[0]))[0]


def _staff_email(partner_id: int, role: str = "staff") -> str:
    first = db.session.scalar(sa.text("SELECT MIN(id) FROM partner"))
    prefix = "staff" if role == "staff" else "admin"
    return f"{prefix}{partner_id - first + 1}@example.org"


def plan() -> list[tuple[str, str, str]]:
    """(label, email to sign in as, path) for every timed page."""
    busy = _busiest("SELECT partner_id, COUNT(*) FROM resident GROUP BY partner_id")
    sample = db.session.execute(sa.text(
        "SELECT id, name, phone, postcode FROM resident WHERE partner_id = :p AND phone IS NOT "
        "NULL AND postcode IS NOT NULL ORDER BY id LIMIT 11"), {"p": busy}).all()[-1]
    staff = _staff_email(busy)
    family = sample.name.split()[-1]
    q = urllib.parse.quote
    stock = _busiest("SELECT partner_id, COUNT(*) FROM device GROUP BY partner_id")
    overdue = _busiest("SELECT partner_id, COUNT(*) FROM loan WHERE status = 'open' "
                       "GROUP BY partner_id")
    inbox = _busiest("SELECT to_partner_id, COUNT(*) FROM referral WHERE status = 'sent' "
                     "GROUP BY to_partner_id")
    grant = db.session.execute(sa.text(
        "SELECT g.id, g.partner_id FROM fund_grant g JOIN fund_cohort c ON c.grant_id = g.id "
        "LEFT JOIN fund_enrolment e ON e.cohort_id = c.id GROUP BY g.id, g.partner_id "
        "ORDER BY COUNT(e.id) DESC, g.id LIMIT 1")).one()
    return [
        ("resident search: name", staff, f"/residents/?q={q(family)}"),
        ("resident search: phone", staff, f"/residents/?q={q(sample.phone)}"),
        ("resident search: postcode", staff, f"/residents/?q={q(sample.postcode)}"),
        ("resident page", staff, f"/residents/{sample.id}"),
        ("staff home", staff, "/"),
        ("device stock", _staff_email(stock), "/devices/stock"),
        ("overdue loans", _staff_email(overdue), "/devices/loans/overdue"),
        ("voucher issue page", staff, f"/vouchers/issue/{sample.id}"),
        ("referral inbox", _staff_email(inbox), "/learners/referrals"),
        ("offer directory", staff, "/learners/offers"),
        ("grant page", _staff_email(grant.partner_id), f"/learners/fund/grants/{grant.id}"),
        ("outcomes dashboard", "lead@example.org", "/outcomes/"),
        ("open loans", _staff_email(overdue), "/devices/loans"),
        ("audit log", "admin@example.org", "/audit/"),
        ("audit log, deep page", "admin@example.org", f"/audit/{DEEP}"),
        ("message log", "admin@example.org", "/sms/messages"),
        ("message log, deep page", "admin@example.org", f"/sms/messages{DEEP}"),
    ]


def _resolve(client: Any, label: str, path: str) -> tuple[str, str]:
    """(label, path) to time. A path ending in DEEP is reached by following its list's "next"
    links DEEP_PAGE - 1 times (keyset pages have no numbers to jump to); a short list stops
    at its last page, and the label says which page that was."""
    if not path.endswith(DEEP):
        return label, path
    path, reached = follow_next(client, path.removesuffix(DEEP), DEEP_PAGE)
    return label.replace("deep page", f"page {reached}"), path


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def time_pages(url: str, repeat: int) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    app = create_app(_config(url))
    rows = []
    with app.app_context():
        pages = plan()
        db.session.remove()
    freeze_startup_objects()  # as a production worker does (inclusion/wsgi.py)
    # Requests run outside any app context: one held open would carry `g` between requests.
    for label, email, path in pages:
        client = app.test_client()
        signed = client.post("/sign-in", data={"email": email, "password": PASSWORD})
        assert signed.status_code == 302, (label, email, signed.status_code)
        label, path = _resolve(client, label, path)
        first = client.get(path)
        if first.status_code != 200:
            raise SystemExit(f"{label}: {path} answered {first.status_code}")
        timings = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            response = client.get(path)
            response.get_data()
            timings.append(1000 * (time.perf_counter() - t0))
        rows.append({"page": label, "path": path.split("?")[0],
                     "median_ms": round(statistics.median(timings), 1),
                     "p95_ms": round(_percentile(timings, 0.95), 1), "requests": repeat})
        print(f"  {label:28} {rows[-1]['median_ms']:8.1f} ms median "
              f"{rows[-1]['p95_ms']:8.1f} ms p95", flush=True)
    with app.app_context():
        db.engine.dispose()
    return rows, pages


# -- throughput against gunicorn ------------------------------------------------------------

WSGI = '''
import os
import sqlalchemy as sa
from inclusion import create_app, freeze_startup_objects
from inclusion.access import Rule, access
from inclusion.extensions import db
from inclusion.tenancy import Partner

app = create_app({"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_URL"],
                  "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                  "SECRET_KEY": "benchmark-only"})


@app.route("/bench-bare")
@access(Rule.PUBLIC)
def bare():
    return "ok"


@app.route("/bench-one-read")
@access(Rule.PUBLIC)
def one_read():
    return db.session.scalar(sa.select(Partner.name).order_by(Partner.id).limit(1)) or "none"


freeze_startup_objects()  # as inclusion/wsgi.py does in production
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sign_in(port: int, email: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urllib.parse.urlencode({"email": email, "password": PASSWORD})
    conn.request("POST", "/sign-in", body=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie") or ""
    conn.close()
    if response.status != 302 or not cookie:
        raise SystemExit(f"signing in to gunicorn failed ({response.status})")
    return cookie.split(";", 1)[0]


def _watched(server: subprocess.Popen[bytes], url: str) -> Callable[[], dict[str, list[int]]]:
    """The processes whose CPU time a load run reports: gunicorn's workers, and on a local
    PostgreSQL the backends serving this database."""

    def groups() -> dict[str, list[int]]:
        found = {"server": _load.children(server.pid)}
        if url.startswith("postgresql"):
            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                      poolclass=sa.pool.NullPool)
            with engine.connect() as conn:
                found["database"] = list(conn.scalars(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")))
            engine.dispose()
        return found

    return groups


def _line(label: str, run: dict[str, Any]) -> str:
    cpu = ", ".join(f"{key.removesuffix('_cpu_ms_per_request')} {value:.2f}"
                    for key, value in run.items() if key.endswith("_cpu_ms_per_request"))
    cpu += f" (total {run['cpu_ms_per_request']:.2f})"
    errors = f", {run['errors']} ERRORS {run['error_kinds']}" if run["errors"] else ", 0 errors"
    return (f"  {label:32} {run['per_second']:8.1f} requests/s, {run['median_ms']} ms median, "
            f"{run['p95_ms']} ms p95{errors}; CPU ms per request: {cpu}")


def throughput(url: str, pages: list[tuple[str, str, str]], clients: int, seconds: float,
               warmup: float, rounds: int) -> dict[str, Any]:
    """Serve the app with gunicorn (2 sync workers) and load each page and the bare endpoint
    with the same clients for the same time; the ratio is page requests/s over bare.

    The time is cut into rounds that take turns (page, page, ..., bare, signed-in bare; again),
    so a burst of other work on the machine falls on all of them alike rather than on one.
    """
    folder = Path(tempfile.mkdtemp())
    (folder / "bench_wsgi.py").write_text(WSGI)
    port = _free_port()
    env = {**os.environ, "BENCH_URL": url, "PYTHONPATH": f"{folder}:{ROOT}"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "bench_wsgi:app"], cwd=ROOT, env=env)
    watched = _watched(server, url)
    totals: dict[str, _load.Run] = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        cookies = {email: _sign_in(port, email) for _, email, _ in pages}
        targets = [(label, path, cookies[email]) for label, email, path in pages]
        targets += [(BARE, "/bench-bare", ""),
                    (SIGNED_IN_BARE, "/bench-bare", cookies[pages[0][1]]),
                    (ONE_READ, "/bench-one-read", "")]
        print(f"gunicorn, 2 sync workers, {clients} client processes, {seconds:g} s each in "
              f"{rounds} rounds taking turns ({warmup:g} s warm-up first, uncounted):",
              flush=True)
        for round_ in range(rounds):
            for label, path, cookie in targets:
                run = _load.hammer(port, path, cookie=cookie, clients=clients,
                                   seconds=seconds / rounds,
                                   warmup=warmup if round_ == 0 else min(warmup, 0.5),
                                   processes_to_watch=watched)
                if label in totals:
                    totals[label].add(run)
                else:
                    totals[label] = run
    finally:
        server.terminate()
        server.wait(timeout=30)
    runs = {label: run.summary() for label, run in totals.items()}
    bare = runs.pop(BARE)
    for run in runs.values():
        run["ratio"] = round(run["per_second"] / bare["per_second"], 3) if bare["per_second"] else 0
        # The same comparison by CPU time spent per request (clients, server and database):
        # hardly moved by other work on the machine, unlike requests per second.
        run["cpu_ratio"] = (round(bare["cpu_ms_per_request"] / run["cpu_ms_per_request"], 3)
                            if run["cpu_ms_per_request"] else 0)
    for label, run in [*runs.items(), (BARE, bare)]:
        print(_line(label, run), flush=True)
    for label, run in runs.items():
        print(f"  ratio to the bare endpoint, {label}: {run['ratio']:.2f} "
              f"(by CPU time per request: {run['cpu_ratio']:.2f})", flush=True)
    return {"workers": 2, "worker_class": "sync", "clients": clients, "client": "processes",
            "seconds": seconds, "rounds": rounds, "warmup_seconds": warmup, "pages": runs,
            "bare": bare, "ratio": runs[pages[0][0]]["ratio"]}


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in load],
            "python": platform.python_version(), "platform": platform.platform()}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    global PASSWORD  # noqa: PLW0603 - one run, one password, used by every sign-in
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=20, help="requests per page")
    parser.add_argument("--reuse", action="store_true",
                        help="time the region already in the database (no generation)")
    parser.add_argument("--password",
                        help="the generated accounts' password (with --reuse, the one given to "
                             "`demo region`)")
    parser.add_argument("--gunicorn", action=argparse.BooleanOptionalAction, default=True,
                        help="measure throughput against gunicorn (2 workers)")
    parser.add_argument("--clients", type=int, default=16,
                        help="concurrent clients, each its own process")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per page (and for the bare endpoint)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of load before the first measured window, not counted")
    parser.add_argument("--rounds", type=int, default=5,
                        help="--seconds is cut into this many turns per page, interleaved")
    parser.add_argument("--throughput-pages", default=",".join(THROUGHPUT_PAGES),
                        help="comma-separated page labels to load (the first gives the "
                             "headline ratio)")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="folder for the JSON results")
    suite.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.password:
        PASSWORD = args.password
    if args.residents < 20:
        parser.error("--residents must be at least 20")
    wanted = [label.strip() for label in args.throughput_pages.split(",") if label.strip()]
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or args.rounds < 1 or not wanted:
        parser.error("--clients, --seconds and --throughput-pages need positive values")
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'region.sqlite'}"
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    suite.check(parser, args, url)
    what = ("the region already in the database" if args.reuse
            else f"a new region of {args.residents:,} residents")
    print(f"timing {what} on {backend}; machine {machine()}", flush=True)
    made = prepare(url, args.residents, args.seed, args.reuse)
    # A reused region is as big as it is, whatever --residents says.
    residents = int(made["resident"]) if args.reuse else args.residents
    if args.reuse:
        print(f"reusing {residents:,} residents", flush=True)
    print(f"pages ({args.repeat} requests each):", flush=True)
    pages, planned = time_pages(url, args.repeat)
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"), "backend": backend,
        "residents": residents, "seed": args.seed, "machine": machine(),
        "generated": made, "pages": pages,
    }
    if args.gunicorn:
        by_label = {page[0]: page for page in planned}
        unknown = [label for label in wanted if label not in by_label]
        if unknown:
            raise SystemExit(f"--throughput-pages: no page called {', '.join(unknown)}; "
                             f"choose from {', '.join(by_label)}")
        result["throughput"] = throughput(url, [by_label[label] for label in wanted],
                                          args.clients, args.seconds, args.warmup,
                                          args.rounds)
        result["machine_after"] = machine()
    args.results.mkdir(parents=True, exist_ok=True)
    result.update(suite.run(args, url))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = args.results / f"run-{backend}-{residents}-{stamp}.json"
    target.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"written {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return result


if __name__ == "__main__":
    main()
