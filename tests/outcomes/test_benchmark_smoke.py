"""benchmarks/outcomes_dashboard.py end to end at a tiny size on SQLite (no timings asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_outcomes_benchmark_counts_the_same_as_plain_sql(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_outcomes", ROOT / "benchmarks" / "outcomes_dashboard.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.main(["--sqlite", str(tmp_path / "facts.sqlite"), "--facts", "4000",
                              "--runs", "1"])
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert result["same_counts"] is True
    assert result["pdf_ms"] > 0 and result["page_ms"] > 0
