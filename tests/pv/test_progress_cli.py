"""``python -m cyc_geo pv progress``: exact keys, a planner's ledger file, the demo ledger, bad dates."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.cli import main

KEYS = ["goal_mw", "goal_year", "capacity_basis", "installed_mw", "opening_stock", "opening_stock_applied",
        "ledger_installed_mw", "installed_dc_only_mwp", "by_year", "pipeline_mw", "goal_status", "gap_mw",
        "by_township", "remaining_potential_mw", "demo"]
TOWNS = pd.DataFrame({"code": ["410783001000", "410783002000"], "name": ["蒲西街道", "蒲东街道"],
                      "name_en": ["Puxi", "Pudong"]})


def _planner_ledger(path: Path) -> None:
    gdf = gpd.GeoDataFrame({
        "install_id": [1, 2, 3], "name": ["a", "b", "c"], "owner": ["x", "y", "z"],
        "building_class": ["public", "commercial", "commercial"],
        "status": ["grid_connected", "grid_connected", "filed"], "capacity_kw": [2000.0, 8000.0, 90000.0],
        "date": ["2022-05-01", "2023-08-01", "2024-01-01"], "township_code": ["410783001000"] * 2 + ["410783002000"],
        "has_coords": [True, True, True]}, geometry=[Point(0.5, 0.5), Point(5, 5), Point(6, 6)], crs="EPSG:4326")
    write_layer(gdf, path, "pv_installations", {"source": "ledger.xlsx", "demo": "false", "data_year": "2024"})


def test_cli_on_a_planner_ledger(data_dir, monkeypatch, capsys):
    _planner_ledger(data_dir / "boundaries" / "pv_installations.gpkg")
    roofs = gpd.GeoDataFrame({"roof_id": [1, 2], "building_class": ["public", "gov"], "roof_type": ["flat", "flat"],
                              "area_m2": [1000.0, 2000.0], "township_code": ["410783001000", "410783002000"]},
                             geometry=[box(0, 0, 1, 1), box(10, 10, 11, 11)], crs="EPSG:4326")
    monkeypatch.setattr("cyc_geo.pv.rooftops.load_rooftops", lambda layer=None: roofs)
    monkeypatch.setattr("cyc_geo.places.townships.load_townships", lambda layer=None: TOWNS)
    assert main(["pv", "progress", "--as-of", "2025-06-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == KEYS
    assert (out["goal_mw"], out["goal_year"], out["demo"]) == (70.0, 2024, False)
    assert out["installed_mw"] == pytest.approx(10.0) and out["pipeline_mw"] == pytest.approx(90.0)
    assert out["by_year"] == [{"year": 2022, "added_mw": 2.0, "cumulative_mw": 2.0},
                              {"year": 2023, "added_mw": 8.0, "cumulative_mw": 10.0},
                              {"year": 2024, "added_mw": 0.0, "cumulative_mw": 10.0},
                              {"year": 2025, "added_mw": 0.0, "cumulative_mw": 10.0}]
    assert out["goal_status"] == "not_met" and out["gap_mw"] == pytest.approx(60.0)  # a 90 MW pipeline is not installed
    assert out["by_township"][0] == {"code": "410783001000", "name": "蒲西街道", "installed_mw": 10.0}
    # roof 1 carries installation 1: only roof 2 (gov, 2000 m²) is left
    assert 0 < out["remaining_potential_mw"] < 0.4
    assert main(["pv", "progress", "--as-of", "2024-13-45"]) == 2


def test_cli_demo_ledger_does_not_meet_the_goal(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "cli.sqlite"))
    assert main(["pv", "progress", "--as-of", "2025-01-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == KEYS and out["demo"] is True
    assert out["goal_status"] == "not_met" and 30 < out["installed_mw"] < 70
    assert out["by_year"][0]["year"] == 2021 and out["by_year"][-1]["year"] == 2025
    assert out["by_year"][-1]["cumulative_mw"] == pytest.approx(out["installed_mw"])
    assert out["gap_mw"] == pytest.approx(70 - out["installed_mw"], abs=1e-3)
    assert out["remaining_potential_mw"] > out["gap_mw"] and out["pipeline_mw"] > 10
    assert len(out["by_township"]) == 18
