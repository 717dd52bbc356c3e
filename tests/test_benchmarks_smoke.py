"""benchmarks/run.py end to end at a tiny size on SQLite, in-process (no timings asserted)."""

from __future__ import annotations

import importlib.util
import json
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
