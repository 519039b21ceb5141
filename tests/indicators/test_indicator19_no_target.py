"""Indicator 19 (光伏装机容量) in a year without a plan target shows the ledger's value with 无年度目标 and the
linear path to the 2024 goal for reference, never 无数据 (issue 26, item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cyc_geo.indicators import catalogue as ind
from cyc_geo.pv import progress
from cyc_geo.pv.installations import load_ledger

REPO = Path(__file__).resolve().parents[2]


def _row19(year: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "cyc_geo", "indicators", "--year", str(year), "--json"], cwd=REPO,
                         capture_output=True, text=True, env=os.environ.copy(), timeout=600)
    assert out.returncode == 0, out.stderr
    return next(r for r in json.loads(out.stdout) if r["no"] == 19)


@pytest.mark.slow
def test_indicator_19_in_2022_has_the_ledger_value_and_no_annual_target(demo_data_dir: Path) -> None:
    ledger = load_ledger()
    want = progress.cumulative_at_year_end(ledger, 2022)
    start = progress.cumulative_at_year_end(ledger, 2021)
    assert want > 0
    row = _row19(2022)
    assert row["actual"] == pytest.approx(want, abs=1e-6)
    assert row["status"] == ind.NO_TARGET and row["status"] != ind.NO_DATA  # before: 无数据
    assert row["status_en"] == "no annual target" and row["target"] is None
    assert row["reference_path"] == pytest.approx(start + (70 - start) / 3, abs=1e-6)
    assert "不作考核" in row["reason"]
    scored = _row19(2024)  # the goal year is still scored against 70 MW
    assert scored["status"] in (ind.MET, ind.BEHIND) and scored["reference_path"] is None


def test_a_value_without_a_target_is_not_no_data() -> None:
    cat = ind.load_catalogue()
    spatial = {19: ind.SpatialValue(5.0, "test", by_year={2021: ind.SpatialValue(1.0), 2023: ind.SpatialValue(5.0)})}
    ev = ind.evaluate(2023, None, spatial, cat).set_index("no")
    assert ev.at[19, "status"] == ind.NO_TARGET
    assert ev.at[19, "reference_path"] == pytest.approx(1.0 + 69.0 * 2 / 3)
    empty = ind.evaluate(2023, None, {19: ind.SpatialValue(None, "none")}, cat).set_index("no")
    assert empty.at[19, "status"] == ind.NO_DATA
