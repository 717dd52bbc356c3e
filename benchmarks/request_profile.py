"""Where one signed-in request's time goes: its SQL statements, CPU per request, and a profile.

    python benchmarks/request_profile.py --database-url postgresql://postgres@127.0.0.1:5432/DB
    python benchmarks/request_profile.py --database-url URL --page "resident page" --top 40

Run it on a region made by benchmarks/run.py (or by `flask demo region`, with --password).
Each page is requested in-process (Flask test client) as the role that uses it, like run.py
does, beside a bare endpoint, anonymous and signed in, for comparison: the statements of one
request are printed, then CPU and wall milliseconds per request over --requests requests,
then the functions that took the most CPU time (cProfile) over as many again.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from inclusion.access import Rule, access  # noqa: E402
from inclusion.extensions import db  # noqa: E402

BARE = "/bench-bare"


def _app(url: str) -> Flask:
    app = run.create_app(run._config(url))

    @app.route(BARE)
    @access(Rule.PUBLIC)
    def bare() -> str:
        return "ok"

    return app


def _statements(app: Flask, client: FlaskClient, path: str) -> list[str]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen


def measure(app: Flask, label: str, email: str | None, path: str, requests: int, top: int,
            width: int) -> dict[str, Any]:
    client = app.test_client()
    if email:
        signed = client.post("/sign-in", data={"email": email, "password": run.PASSWORD})
        if signed.status_code != 302:
            raise SystemExit(f"signing in as {email} failed ({signed.status_code})")
    for _ in range(20):  # warm: compiled templates and statements, prepared queries
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{label}: {path} answered {response.status_code}")
    statements = _statements(app, client, path)
    cpu, wall = [], []
    for _ in range(requests):
        c0, w0 = time.process_time(), time.perf_counter()
        client.get(path)
        cpu.append(1000 * (time.process_time() - c0))
        wall.append(1000 * (time.perf_counter() - w0))
    print(f"\n== {label}: {path.split('?')[0]} ({'signed in' if email else 'anonymous'}), "
          f"{len(statements)} SQL statements, {statistics.median(cpu):.2f} ms CPU and "
          f"{statistics.median(wall):.2f} ms wall per request (median of {requests})")
    for statement in statements:
        print(f"   {statement[:width]}")
    if top:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(requests):
            client.get(path)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
        print(out.getvalue().split("\n", 4)[-1].rstrip())
    return {"page": label, "statements": len(statements),
            "cpu_ms": round(statistics.median(cpu), 2),
            "wall_ms": round(statistics.median(wall), 2)}


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--password", help="the generated accounts' password, if not run.py's")
    parser.add_argument("--page", action="append",
                        help=f"a page label from benchmarks/run.py (repeatable; default: "
                             f"{', '.join(run.THROUGHPUT_PAGES)})")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25, help="profile lines (0: no profile)")
    parser.add_argument("--width", type=int, default=160, help="characters of each statement")
    args = parser.parse_args(argv)
    if args.password:
        run.PASSWORD = args.password
    if args.requests < 1 or args.top < 0:
        parser.error("--requests must be at least 1 and --top at least 0")
    app = _app(args.database_url)
    with app.app_context():
        planned = {label: (email, path) for label, email, path in run.plan()}
        db.session.remove()
    wanted = args.page or list(run.THROUGHPUT_PAGES)
    unknown = [label for label in wanted if label not in planned]
    if unknown:
        parser.error(f"no page called {', '.join(unknown)}; choose from {', '.join(planned)}")
    email = planned[wanted[0]][0]
    rows = [measure(app, run.BARE, None, BARE, args.requests, args.top, args.width),
            measure(app, run.SIGNED_IN_BARE, email, BARE, args.requests, args.top, args.width)]
    rows += [measure(app, label, planned[label][0], planned[label][1], args.requests, args.top,
                     args.width) for label in wanted]
    print("\n| page | SQL statements | CPU ms | wall ms |\n| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['page']} | {row['statements']} | {row['cpu_ms']} | {row['wall_ms']} |")
    with app.app_context():
        db.engine.dispose()
    return rows


if __name__ == "__main__":
    main()
