"""benchmarks/run.py end to end at a tiny size on SQLite, in-process (no timings asserted)."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

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
                       "--no-gunicorn", "--results", str(tmp_path / "results")])
    pages = {row["page"] for row in result["pages"]}
    assert {"resident search: name", "resident search: phone", "resident search: postcode",
            "resident page", "device stock", "overdue loans", "voucher issue page",
            "referral inbox", "offer directory", "grant page", "outcomes dashboard"} <= pages
    assert result["generated"]["resident"] == 50
    written = list((tmp_path / "results").glob("run-sqlite-50-*.json"))
    assert len(written) == 1
    assert json.loads(written[0].read_text())["pages"] == result["pages"]


def test_benchmark_refuses_a_tiny_region(tmp_path: Path) -> None:
    run = _load()
    with pytest.raises(SystemExit):
        run.main(["--database-url", f"sqlite:///{tmp_path / 'x.sqlite'}", "--residents", "5",
                  "--no-gunicorn", "--results", str(tmp_path)])
    assert not (tmp_path / "x.sqlite").exists()


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "benchmarks" / "_load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_load_generator_counts_answers_and_reports_anything_but_200_as_an_error(
    tmp_path: Path,
) -> None:
    load = _load_generator()
    (tmp_path / "index.html").write_text("ok")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - the standard library's own test server
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        found = load.hammer(port, "/index.html", clients=2, seconds=0.5, warmup=0.1).summary()
        missing = load.hammer(port, "/missing", clients=2, seconds=0.5, warmup=0.1).summary()
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
