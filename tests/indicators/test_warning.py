"""Early warning (预警): the linear trend of the last two points against the 2024 target, and PV's MW a month."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cyc_geo.cli import main
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators import warning as w
from cyc_geo.pv import progress as pg
from cyc_geo.pv.installations import load_ledger


def test_trend_of_the_last_two_points_decides_the_status():
    # higher is better, target 10: 2021 = 6, 2023 = 8 -> 2024 projected 9 = 10 % short -> alert
    a = w.assess([(2021, 6.0), (2023, 8.0)], 10.0, "higher")
    assert a.projected == pytest.approx(9.0) and a.miss == pytest.approx(0.10) and a.status == w.ALERT
    assert a.needed == pytest.approx(2.0)
    # 2022 = 8, 2023 = 9.7 -> 11.4 >= 10 -> normal, although 2023 is still below the 2024 target
    assert w.assess([(2022, 8.0), (2023, 9.7)], 10.0, "higher").status == w.NORMAL
    # 3 % short -> watch
    assert w.assess([(2022, 9.7), (2023, 9.7)], 10.0, "higher").status == w.WATCH
    # lower is better (a cap): rising past it is the miss
    low = w.assess([(2022, 100.0), (2023, 104.0)], 105.0, "lower")
    assert low.projected == pytest.approx(108.0) and low.status == w.WATCH
    assert w.assess([(2022, 100.0), (2023, 110.0)], 105.0, "lower").status == w.ALERT
    # no actual: watch (progress unknown), never normal
    assert w.assess([(2021, 5.0)], 10.0, "higher", has_actual=False).status == w.WATCH


def test_warnings_use_the_baseline_and_only_years_up_to_the_one_asked():
    cat = ind.load_catalogue()
    ev = [ind.evaluate(y, None, {}, cat) for y in ind.YEARS]
    long = pd.concat(ev, ignore_index=True)
    long.loc[(long["no"] == 10) & (long["year"] == 2022), "value"] = 3.65  # on the plan's path 3.7 -> 3.55
    long.loc[(long["no"] == 10) & (long["year"] == 2023), "value"] = 9.0  # a 2023 jump (not seen as of 2022)
    as_of_2022 = w.warnings(long, cat, 2022)[10]
    assert as_of_2022.status == w.NORMAL and as_of_2022.projected == pytest.approx(3.55)
    assert w.warnings(long, cat, 2023)[10].status == w.ALERT


def test_pv_needed_per_month_from_the_ledger():
    ledger = pd.DataFrame({"status": ["grid_connected", "grid_connected", "under_construction"],
                           "capacity_kw": [20_000.0, 10_000.0, 30_000.0],
                           "date": ["2022-05-01", "2024-03-01", "2024-05-01"]})
    need = w.pv_needed(ledger, pd.Timestamp("2024-06-30"))
    assert need.installed_mw == pytest.approx(30.0) and need.needed_mw == pytest.approx(40.0)
    assert need.months_left == pytest.approx(184 / w.MEAN_MONTH_DAYS)
    assert need.per_month_mw == pytest.approx(40.0 / (184 / w.MEAN_MONTH_DAYS))
    assert w.pv_needed(ledger, pd.Timestamp("2025-01-05")).per_month_mw is None  # the deadline has passed


def test_cli_rows_carry_warning_and_pv_needed_per_month(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "w.sqlite"))
    assert main(["indicators", "--year", "2024", "--json", "--as-of", "2024-06-30"]) == 0
    rows = {r["no"]: r for r in json.loads(capsys.readouterr().out)}
    assert all(r["warning"] in w.LEVELS for r in rows.values())
    pv = rows[19]
    installed = pg.installed_mw(load_ledger(), pd.Timestamp("2024-06-30"))
    assert pv["needed_mw"] == pytest.approx(70 - installed, abs=1e-3)
    assert pv["needed_per_month_mw"] == pytest.approx((70 - installed) / (184 / w.MEAN_MONTH_DAYS), abs=1e-3)
    assert pv["warning"] == w.ALERT  # the demo ledger reaches ~46 MW of 70


def test_cli_default_as_of_is_the_ledgers_latest_connection(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "w.sqlite"))
    assert main(["indicators", "--year", "2024", "--json"]) == 0
    pv = next(r for r in json.loads(capsys.readouterr().out) if r["no"] == 19)
    latest = pg.connection_dates(load_ledger()).max()
    assert pv["as_of"] == latest.date().isoformat() and pv["needed_per_month_mw"] is not None


def test_cli_as_of_stops_at_the_end_of_the_year_evaluated(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "w.sqlite"))
    assert main(["indicators", "--year", "2023", "--json"]) == 0
    pv = next(r for r in json.loads(capsys.readouterr().out) if r["no"] == 19)
    assert pv["as_of"] == "2023-12-31"
    assert pv["needed_mw"] == pytest.approx(70 - pg.cumulative_at_year_end(load_ledger(), 2023), abs=1e-3)
    assert pv["needed_per_month_mw"] == pytest.approx(pv["needed_mw"] / (366 / w.MEAN_MONTH_DAYS), abs=1e-3)
