"""benchmarks/run.py end to end at a tiny size, in-process (no timings asserted): on SQLite with
the outcomes section, and on PostgreSQL with the rates on a scratch database beside the test
database."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import free_port, postgres_url_or_skip, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_runs_every_page_on_a_small_region(tmp_path: Path) -> None:
    run = _load()
    url = f"sqlite:///{tmp_path / 'region.sqlite'}"
    result = run.main(["--database-url", url, "--residents", "50", "--repeat", "1",
                       "--no-gunicorn", "--outcomes-runs", "1",
                       "--results", str(tmp_path / "results")])
    pages = {row["page"] for row in result["pages"]}
    assert {"resident search: name", "resident search: phone", "resident search: postcode",
            "resident page", "device stock", "overdue loans", "voucher issue page",
            "referral inbox", "offer directory", "grant page", "outcomes dashboard"} <= pages
    assert result["generated"]["resident"] == 50
    written = list((tmp_path / "results").glob("run-sqlite-50-*.json"))
    assert len(written) == 1
    saved = json.loads(written[0].read_text())
    assert saved["pages"] == result["pages"]
    outcomes = saved["outcomes"]
    # The region's facts run up to today: the latest complete financial year is timed.
    assert outcomes["period"].startswith("fy-") and outcomes["facts_in_period"] > 0
    for figure in ("counts_ms", "hand_written_sql_ms", "hand_written_sql_on_facts_ms", "ratio",
                   "dashboard_figures_ms", "pdf_seconds"):
        assert outcomes[figure] > 0, figure
    assert outcomes["target_ratio"] == 2 and outcomes["pdf_target_seconds"] == 5
    assert isinstance(outcomes["met"], bool) and isinstance(outcomes["pdf_met"], bool)
    assert outcomes["same_counts"] is True
    assert outcomes["pdf_bytes"] > 1000
    assert "need PostgreSQL" in saved["rates"]["skipped"]
    # Timed again without generating: the figures are filed under the region's real size,
    # not under what --residents says.
    again = run.main(["--database-url", url, "--reuse", "--residents", "100000", "--repeat",
                      "1", "--no-gunicorn", "--no-outcomes", "--results", str(tmp_path / "again")])
    assert again["residents"] == 50 and again["generated"] == {"reused": True, "resident": 50}
    assert len(list((tmp_path / "again").glob("run-sqlite-50-*.json"))) == 1


def test_benchmark_refuses_a_tiny_region(tmp_path: Path) -> None:
    run = _load()
    with pytest.raises(SystemExit):
        run.main(["--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "--residents", "5",
                  "--no-gunicorn", "--results", str(tmp_path)])
    assert not (tmp_path / "x.sqlite").exists()


def test_benchmark_refuses_rates_on_sqlite_without_a_postgresql_scratch_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _load()
    with pytest.raises(SystemExit):
        run.main(["--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "--rates",
                  "--no-gunicorn", "--results", str(tmp_path)])
    assert "need PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite").exists()


@pytest.fixture
def postgres_region_url() -> Iterator[str]:
    """A database for the region beside the test database (<name>_bench, made if missing), so
    the rates' default scratch database is <name>_bench_scratch: never the test database."""
    url = postgres_url_or_skip()
    suite = _load_suite()
    made = sa.make_url(url)
    region = made.set(database=f"{made.database}_bench").render_as_string(hide_password=False)
    assert suite.ensure_database(region) is None
    yield region


def _load_suite() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))  # as run.py does: suite imports _common
    import suite

    return suite


def test_benchmark_measures_the_rates_on_a_scratch_database_beside_a_postgresql_region(
        postgres_region_url: str, tmp_path: Path) -> None:
    # Its own interpreter, as a user runs it: the rate benchmarks fork worker processes, and
    # forking a test worker that has other threads running (a browser driver) can hang.
    finished = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--database-url",
         postgres_region_url, "--residents", "50", "--repeat", "1", "--no-gunicorn",
         "--outcomes-runs", "1", "--rates-scale", "0.005", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    region = sa.make_url(postgres_region_url).database
    saved = json.loads(next(tmp_path.glob("run-postgresql-50-*.json")).read_text())
    assert saved["outcomes"]["facts_in_period"] > 0 and saved["outcomes"]["pdf_seconds"] > 0
    rates = saved["rates"]
    assert rates["database"] == f"{region}_scratch"
    assert rates["devices_import"]["imported"] == rates["devices_import"]["stored"] == 500
    assert rates["vouchers_import"]["stored"] == rates["vouchers_import"]["codes"] == 1000
    assert rates["vouchers_import"]["duplicate_codes"] == 0
    assert rates["vouchers_issue"]["vouchers"] == 10
    assert rates["vouchers_issue"]["duplicate_codes"] == 0
    assert rates["vouchers_issue"]["failures"] == 0
    assert rates["sms_worker"]["sent"] == rates["sms_worker"]["distinct_provider_ids"] == 15
    for key in ("devices_import", "vouchers_import", "vouchers_issue", "sms_worker"):
        assert rates[key]["per_second"] > 0 and rates[key]["target_per_second"] > 0, key
        assert isinstance(rates[key]["met"], bool), key
    # The rates dropped and rebuilt the scratch database only: the region is still there.
    engine = sa.create_engine(postgres_region_url.replace("postgresql://",
                                                          "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT COUNT(*) FROM resident")) == 50
    finally:
        engine.dispose()


def test_benchmark_refuses_the_region_database_as_the_scratch_database(
        postgres_region_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _load()
    with pytest.raises(SystemExit):
        run.main(["--database-url", postgres_region_url, "--reuse", "--no-gunicorn",
                  "--scratch-database-url", postgres_region_url, "--results", str(tmp_path)])
    assert "must not be the region's database" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))


def _hammer_in_own_process(port: int, path: str) -> dict[str, Any]:
    """The load generator run in its own interpreter: it forks its clients, and forking a test
    worker that has other threads running (a browser driver) can hang."""
    script = ("import json, sys; sys.path.insert(0, 'benchmarks'); import _load; "
              f"print(json.dumps(_load.hammer({port}, {path!r}, clients=2, seconds=0.5, "
              "warmup=0.1).summary()))")
    finished = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False)
    assert finished.returncode == 0, finished.stderr[-2000:]
    result: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def test_load_generator_counts_answers_and_reports_anything_but_200_as_an_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "index.html").write_text("ok")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - the standard library's own test server
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(port, server)
        found = _hammer_in_own_process(port, "/index.html")
        missing = _hammer_in_own_process(port, "/missing")
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert found["requests"] > 0 and found["errors"] == 0
    assert found["median_ms"] is not None and found["p95_ms"] >= found["median_ms"]
    assert missing["requests"] == 0
    assert missing["errors"] > 0 and missing["error_kinds"] == {"HTTP 404": missing["errors"]}


def test_request_profile_reports_statements_and_cpu_for_each_page(tmp_path: Path) -> None:
    run = _load()
    url = f"sqlite:///{tmp_path / 'region.sqlite'}"
    run.main(["--database-url", url, "--residents", "50", "--repeat", "1", "--no-gunicorn",
              "--results", str(tmp_path / "results")])
    spec = importlib.util.spec_from_file_location(
        "bench_request_profile", ROOT / "benchmarks" / "request_profile.py")
    assert spec is not None and spec.loader is not None
    profile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profile)
    rows = profile.main(["--database-url", url, "--page", "resident page", "--requests", "2",
                         "--top", "0"])
    by_page = {row["page"]: row for row in rows}
    assert set(by_page) == {"bare endpoint", "bare endpoint, signed in", "resident page"}
    assert by_page["bare endpoint"]["statements"] == 0
    # Signed in: the session, the user and their memberships in one statement.
    assert by_page["bare endpoint, signed in"]["statements"] == 1
    assert by_page["resident page"]["statements"] > 1
