"""Indicator 19 (光伏装机容量) comes from the installations ledger, year by year, never from the potential."""

from __future__ import annotations

import json
import sys
import types

import pytest

from cyc_geo.cli import main
from cyc_geo.indicators import catalogue as ind
from cyc_geo.pv import progress as pg
from cyc_geo.pv.installations import load_ledger


def test_row_19_is_installed_capacity_from_the_ledger():
    cat = ind.load_catalogue()
    row = cat.loc[19]
    assert (row["name"], row["unit"], row["target_2024"]) == ("光伏装机容量", "MW", 70.0)
    assert row["rule"] == "cyc_geo.pv.progress:installed_indicator_mw"
    assert "potential" not in row["name_en"].lower() and "地图测算" not in row["name"]


def test_year_is_passed_to_providers_that_take_it(monkeypatch):
    fake = types.ModuleType("cyc_geo_fake_year")
    calls: list[int] = []

    def per_year(year: int) -> float:
        calls.append(year)
        return {2021: 1.0, 2022: 10.0, 2023: 40.0, 2024: 80.0}[year]

    fake.per_year = per_year
    fake.both = lambda year, scenario=None: year + (0.5 if scenario is not None else 0.0)
    monkeypatch.setitem(sys.modules, "cyc_geo_fake_year", fake)
    cat = ind.load_catalogue()
    cat.loc[19, "rule"] = "cyc_geo_fake_year:per_year"
    cat.loc[16, "rule"] = "cyc_geo_fake_year:both"
    sv = ind.spatial_values(cat)
    # 19 has no 现状值: the end of 2021 (the start of its linear path) is computed with the target years
    assert {y: v.value for y, v in sv[19].by_year.items()} == {2021: 1.0, 2022: 10.0, 2023: 40.0, 2024: 80.0}
    assert sorted(calls) == [2021, 2022, 2023, 2024]
    assert ind.spatial_values(cat, pv_scenario=object())[16].for_year(2023).value == 2023.5
    calls.clear()
    ev = {y: ind.evaluate(y, None, sv, cat).set_index("no").loc[19] for y in ind.YEARS}
    assert [ev[y]["value"] for y in ind.YEARS] == [10.0, 40.0, 80.0]
    assert ev[2024]["status"] == ind.MET and ev[2022]["status"] == ind.NO_TARGET  # no 2022 target
    assert ind.evaluate(2023, None, None, cat).set_index("no").loc[19, "value"] == 40.0
    long = ind.trajectories(None, sv, cat)
    actual = long[(long["no"] == 19) & (long["kind"] == "actual")]
    assert actual["amount"].tolist() == [10.0, 40.0, 80.0]
    # the evaluations read the path's start from the values given; only the one given none computes (2023 and
    # its path's start)
    assert sorted(calls) == [2021, 2023]
    goal = float(cat.set_index("no").loc[19, "target_2024"])  # 70 MW
    assert ev[2023]["reference_path"] == pytest.approx(1.0 + (goal - 1.0) * (2023 - 2021) / (2024 - 2021))


def test_a_huge_potential_never_makes_19_met(monkeypatch):
    """The old bug: the rooftop potential (~1,000 MW) was shown as 19's actual and judged 达标."""
    from cyc_geo.pv import model as pv

    real = pv.estimate
    monkeypatch.setattr(pv, "estimate", lambda *a, **k: real(*a, **k).assign(capacity_kw=5e6))
    assert "cyc_geo.pv.model" not in ind.load_catalogue().set_index("no").loc[19, "rule"]
    ev = ind.evaluate(2024).set_index("no").loc[19]
    assert ev["value"] < 70 and ev["status"] == ind.BEHIND


@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_cli_indicators_pv_row_is_the_ledger_cumulative(year, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "ind.sqlite"))
    assert main(["indicators", "--year", str(year), "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["no"] == 19)
    expected = pg.cumulative_at_year_end(load_ledger(), year)
    assert row["value"] == pytest.approx(expected) and row["value_source"] == "spatial"
    assert row["status"] == (ind.BEHIND if year == 2024 else ind.NO_TARGET)  # the demo ledger is short of 70 MW
    assert "ledger" in row["reason"]
