"""The Yellow River belt afforestation scenario: no planting on 永久基本农田, what cropland it takes, its name."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from rasterio.features import shapes

from cyc_geo.carbon import belt_scenario, landcover
from cyc_geo.catalog.loader import load_layer
from cyc_geo.cli import main
from cyc_geo.geo.crs import AREA_CRS
from tests.carbon.test_carbon import X0, Y0, synthetic


def _changed_cells(current, future) -> gpd.GeoDataFrame:
    """The planted cells of a scenario as polygons (EPSG:4547)."""
    a = np.ma.filled(current.array[0], 0).astype("int64")
    b = np.ma.filled(future.array[0], 0).astype("int64")
    changed = (a != b).astype("uint8")
    geoms = [shapely.geometry.shape(g) for g, v in shapes(changed, mask=changed.astype(bool), transform=current.transform)
             if v == 1]
    return gpd.GeoDataFrame(geometry=geoms, crs=current.crs)


def test_basic_farmland_cells_stay_unplanted_and_cropland_is_reported():
    lc = synthetic()  # 20 m cells; the bottom row (y index 2) is cropland 0102
    corridor = gpd.GeoDataFrame({"zone": ["corridor"]}, geometry=[shapely.box(X0, Y0 - 60, X0 + 60, Y0 - 40)], crs=AREA_CRS)
    # a basic-farmland parcel that covers the first cell and only grazes the second one
    parcel = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0 - 60, X0 + 21, Y0 - 40)], crs=AREA_CRS)
    free = belt_scenario.belt_afforestation(lc, corridor, None)
    kept = belt_scenario.belt_afforestation(lc, corridor, parcel)
    assert free.afforested_ha == pytest.approx(3 * 0.04)
    # both cells touched by the parcel stay as they were (all-touched mask), the third is planted
    assert kept.afforested_ha == pytest.approx(0.04) and kept.basic_farmland_kept_ha == pytest.approx(0.08)
    assert kept.cropland_taken_ha == pytest.approx(0.04)
    assert list(kept.converted["code"]) == ["0102"]
    assert _changed_cells(lc, kept.future).intersection(parcel.union_all()).area.sum() == pytest.approx(0.0, abs=1e-6)
    assert kept.label("zh", 20) == "情景新增固碳（沿黄生态带 0 ha，20 年平均）"
    assert "Yellow River belt" in kept.label("en", 20) and "20-year mean" in kept.label("en", 20)


def test_demo_belt_scenario_overlaps_no_basic_farmland(demo_landcover_dir, monkeypatch):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
    lc = landcover.load_landcover(landcover.landcover_path())
    farmland = load_layer("farmland")
    scenario = belt_scenario.belt_afforestation(lc, load_layer("belt"), farmland)
    planted = _changed_cells(lc, scenario.future)
    assert scenario.afforested_ha > 0 and scenario.basic_farmland_kept_ha > 0
    overlap = gpd.overlay(planted, farmland.to_crs(AREA_CRS)[["geometry"]], how="intersection", keep_geom_type=True)
    assert overlap.area.sum() < 1.0  # m²: shared edges only
    assert planted.area.sum() / 10_000 == pytest.approx(scenario.afforested_ha, rel=1e-9)


def test_cli_belt_scenario_series_has_an_establishment_lag(demo_landcover_dir, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
    monkeypatch.setenv("CYC_GEO_DB", str(demo_landcover_dir / "belt.sqlite"))
    assert main(["carbon", "--json", "--method", "pools", "--future", "belt"]) == 0
    doc = json.loads(capsys.readouterr().out)
    series = [r["t_co2"] for r in doc["sequestration_by_year"]]
    assert series[0] < series[5]  # the stand is planted in year 1 and grows along a sigmoid
    assert doc["scenario"]["afforested_ha"] == pytest.approx(doc["afforested_ha"], rel=1e-6)
    assert doc["scenario"]["basic_farmland_kept_ha"] > 0
    assert doc["sequestration_label_zh"].startswith("情景新增固碳（沿黄生态带 ")
    assert doc["sequestration_label_zh"].endswith("ha，20 年平均）")
    assert "not of its forest" in doc["per_ha_basis"]
