"""The benchmark runner and its measuring helpers (no timing is asserted, only what is measured)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import __main__ as runner
from bench import common

REPO = Path(__file__).resolve().parents[2]


def test_subprocess_measure_sees_a_large_allocation():
    """A child that holds 300 MB (numpy.ones(37.5 M float64)) must report a peak above that."""
    m = common.measure_subprocess("numpy:ones", 37_500_000)
    assert m.result.nbytes == 300_000_000
    assert m.peak_mb >= 300_000_000 / common.MB
    assert m.delta_mb >= 250  # what the call added on top of the child's start-up
    assert m.extra["maxrss_mb"] >= 286 and m.seconds > 0


def test_subprocess_failure_is_reported_with_the_error():
    with pytest.raises(RuntimeError, match="ModuleNotFoundError"):
        common.measure_subprocess("no_such_module_xyz:run")
    with pytest.raises(ValueError, match="package.module:function"):
        common._resolve("numpy.ones")


def test_in_process_measure_and_row():
    def alloc():
        a = np.ones(25_000_000)  # 200 MB, held for a moment so the sampler sees it
        import time

        time.sleep(0.2)
        return float(a.sum())

    m = common.measure(alloc, interval=0.01)
    assert m.result == 25_000_000.0
    assert m.delta_mb >= 150
    row = common.result_row("x", "cyc-geo", 1_000, m, note="n")
    assert row["rows_per_s"] == pytest.approx(1_000 / m.seconds, rel=1e-3)
    assert row["note"] == "n" and row["bench"] == "x" and row["variant"] == "cyc-geo"


def test_failing_module_is_a_row_not_a_crash():
    rows = runner.run_module("no_such_topic_xyz", quick=True)
    assert rows == [{"bench": "no_such_topic_xyz", "variant": "ERROR", "rows": None,
                     "error": "ModuleNotFoundError: No module named 'bench.bench_no_such_topic_xyz'"}]


def test_ratios_and_tables():
    rows = [
        {"bench": "b", "variant": "baseline", "rows": 10, "seconds": 4.0, "peak_mb": 100.0},
        {"bench": "b", "variant": "cyc-geo", "rows": 10, "seconds": 1.0, "peak_mb": 50.0, "extra": "y"},
        {"bench": "b", "variant": "cyc-geo", "rows": 20, "seconds": 1.0},  # no baseline at 20 rows
        {"bench": "c", "variant": "dask", "rows": 10, "seconds": 2.0, "ratio": 9.0},  # module's own ratio kept
    ]
    runner.add_ratios(rows)
    assert [r.get("ratio") for r in rows] == [1.0, 0.25, None, 9.0]
    md = runner.format_markdown(rows).splitlines()
    assert md[0] == "| bench | variant | rows | seconds | peak_mb | rows_per_s | ratio | notes |"
    assert md[3] == "| b | cyc-geo | 10 | 1 | 50.0 |  | 0.25 | extra=y |"
    text = runner.format_text(rows)
    assert "extra=y" in text and len(text.splitlines()) == 6


def test_entry_point_lists_and_rejects_unknown_names():
    out = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0 and "scale" in out.stdout.split()
    bad = subprocess.run([sys.executable, "-m", "bench", "--only", "nope_xyz"], cwd=REPO, capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "unknown benchmark" in bad.stderr


def test_subprocess_module_run_reports_errors():
    """Each module runs in a child; a child that dies without writing rows becomes an ERROR row."""
    rows = runner.run_module_subprocess("no_such_topic_xyz", quick=True, timeout=120)
    assert rows[0]["variant"] == "ERROR" and "no_such_topic_xyz" in rows[0]["error"]
    json.dumps(rows)


def test_linear_fit_separates_fixed_cost_from_cost_per_roof():
    from bench.bench_scale import _add_linear_fit

    rows = [{"rows": n, "seconds": 0.05 + 0.5e-6 * n} for n in (250_000, 1_000_000, 2_500_000, 5_000_000)]
    _add_linear_fit(rows)
    assert rows[-1]["fit_fixed_s"] == pytest.approx(0.05, abs=1e-3)
    assert rows[-1]["fit_us_per_roof"] == pytest.approx(0.5, abs=1e-3)
    assert rows[-1]["fit_r2"] == pytest.approx(1.0)
    assert "fit_r2" not in rows[0]
    noisy = [{"rows": 1, "seconds": 1.0}, {"rows": 2, "seconds": 3.0}, {"rows": 3, "seconds": 2.0}]
    _add_linear_fit(noisy)
    assert noisy[-1]["fit_r2"] == pytest.approx(0.25)  # slope 0.5: residuals -0.5, 1, -0.5 over total 2
