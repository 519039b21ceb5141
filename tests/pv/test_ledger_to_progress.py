"""End to end: a planner's messy ledger imported on the CLI becomes the installed capacity of
``pv progress`` and of indicator 19 (the registered layer, no test TOML)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pv.test_ledger import write_kw_xlsx

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy())


@pytest.mark.slow
def test_an_imported_ledger_drives_progress_and_indicator_19(demo_data_dir, tmp_path):
    xlsx = write_kw_xlsx(tmp_path / "台账.xlsx")
    refused = _cli("import", str(xlsx), "--layer", "pv_installations", "--json")
    assert refused.returncode != 0 and json.loads(refused.stdout)["error"] == "rows_skipped"
    done = _cli("import", str(xlsx), "--layer", "pv_installations", "--accept-skips", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_kw"] == pytest.approx(2258.5)

    out = _cli("pv", "progress", "--as-of", "2025-01-31", "--json")
    assert out.returncode == 0, out.stderr
    prog = json.loads(out.stdout)
    # grid-connected rows kept: 300 kW (2022-06-30), 150.5 + 1,200 + 48 kW (2023); pipeline 60 (在建) + 500 (备案)
    assert prog["demo"] is False
    assert prog["installed_mw"] == pytest.approx(1.6985)
    by_year = {r["year"]: r for r in prog["by_year"]}
    assert by_year[2022]["cumulative_mw"] == pytest.approx(0.3)
    assert by_year[2023]["added_mw"] == pytest.approx(1.3985) and by_year[2024]["added_mw"] == pytest.approx(0.0)
    assert prog["pipeline_mw"] == pytest.approx(0.56)
    assert prog["goal_status"] == "not_met" and prog["gap_mw"] == pytest.approx(70 - 1.6985)

    ind = json.loads(_cli("indicators", "--year", "2023", "--json").stdout)
    pv_row = next(r for r in ind if r["no"] == 19)
    assert pv_row["actual"] == pytest.approx(1.6985) and pv_row["value_source"] != "none"
