"""Forest carbon model (stock-based and carbon pools), zonal aggregation, patches, CLI and the page."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from cyc_geo.carbon import forest, landcover
from cyc_geo.cli import main
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.geo.zonal import RasterError, read_raster

REPO = Path(__file__).resolve().parents[2]

# poplar factors written out independently of the code: BEF 1.446, R 0.227, D 0.378, CF 0.4956
T_CO2_PER_M3 = 1.446 * (1 + 0.227) * 0.378 * 0.4956 * 44 / 12
X0, Y0 = 560_000.0, 3_900_000.0
T = Affine(20, 0, X0, 0, -20, Y0)  # 20 m cells: 0.04 ha


def synthetic() -> landcover.RasterData:
    """3 x 3 cells: top row 0301, middle row 0307, bottom row cropland 0102."""
    arr = np.array([[301, 301, 301], [307, 307, 307], [102, 102, 102]], dtype="int64")
    return read_raster((np.ma.masked_equal(arr, 0), T, AREA_CRS))


def zone(x0: float, y0: float, x1: float, y1: float) -> gpd.GeoDataFrame:
    """A box in cell units from the grid's top-left corner (x right, y down)."""
    geom = shapely.box(X0 + 20 * x0, Y0 - 20 * y1, X0 + 20 * x1, Y0 - 20 * y0)
    return gpd.GeoDataFrame({"code": ["z"]}, geometry=[geom], crs=AREA_CRS)


def test_stock_method_hand_computed_with_partial_pixels():
    # zone covers columns 0..1.5 of the top two rows: 1.5 cells of 0301 and 1.5 cells of 0307; the stock scope
    # (森林蓄积量 = 乔木林地 0301, issue 26) counts the 0301 cells only, the forest area counts all 林地
    out = forest.carbon_by_zone(zone(0, 0, 1.5, 2), landcover=synthetic()).iloc[0]
    stock = 1.5 * 0.04 * 92
    sink = 1.5 * 0.04 * 92 * 0.1027 * T_CO2_PER_M3
    assert out["forest_area_ha"] == pytest.approx(3 * 0.04)
    assert out["forest_area_mu"] == pytest.approx(3 * 0.04 * 15)
    assert out["stock_m3"] == pytest.approx(stock, rel=1e-6)
    assert out["sink_t_co2"] == pytest.approx(sink, rel=1e-6)
    assert out["sink_t_co2_per_ha"] == pytest.approx(sink / (3 * 0.04), rel=1e-6)
    # every class with a stock density when asked (classes=None): 0307's 30 m³/ha at 15 %/yr added
    every = forest.carbon_by_zone(zone(0, 0, 1.5, 2), landcover=synthetic(), classes=None).iloc[0]
    assert every["stock_m3"] == pytest.approx(stock + 1.5 * 0.04 * 30, rel=1e-6)
    assert every["sink_t_co2"] == pytest.approx(sink + 1.5 * 0.04 * 30 * 0.15 * T_CO2_PER_M3, rel=1e-6)


def test_method_parameters_change_the_result():
    params = forest.load_forest_params()
    assert forest.co2_per_m3(params).loc[301] == pytest.approx(T_CO2_PER_M3)
    base = forest.carbon_by_zone(zone(0, 0, 3, 1), landcover=synthetic(), params=params).iloc[0]
    changed = params.copy()
    changed.loc[301, "growth_rate"] *= 2
    changed.loc[301, "carbon_fraction"] = 0.47  # IPCC 2006 V4 Table 4.3 default
    out = forest.carbon_by_zone(zone(0, 0, 3, 1), landcover=synthetic(), params=changed).iloc[0]
    assert out["stock_m3"] == pytest.approx(base["stock_m3"])
    assert out["sink_t_co2"] == pytest.approx(base["sink_t_co2"] * 2 * 0.47 / 0.4956, rel=1e-6)


def test_carbon_pools_storage_and_sequestration_hand_computed():
    pools = forest.load_pools()
    now = synthetic()
    fut_arr = np.array([[301, 301, 301], [307, 307, 307], [301, 301, 102]], dtype="int64")
    fut = read_raster((np.ma.masked_equal(fut_arr, 0), T, AREA_CRS))
    out = forest.carbon_by_zone(zone(0, 2, 3, 3), landcover=now, future=fut, pools=pools).iloc[0]
    c301 = 24.9 + 5.7 + 38.0 + 2.0  # t C/ha, carbon_pools.csv row 0301
    c102 = 30.4
    assert out["storage_t_c"] == pytest.approx(3 * 0.04 * c102, rel=1e-6)
    assert out["sequestration_t_c"] == pytest.approx(2 * 0.04 * (c301 - c102), rel=1e-6)
    # growth-based over 20 years: the stand grows along the Chapman-Richards curve (one establishment year,
    # k = 12 / (92 × 4/9)) to 98.87 % of its 92 m³/ha biomass (30.58 t C/ha) by year 20; dead matter +2.0 and
    # soil +7.6 t C/ha over the 20-year transition
    k = 12 / (92 * 4 / 9)
    per_ha = (92 * 1.446 * 0.378 * 0.4956 * 1.227 * (1 - np.exp(-k * 19)) ** 3 + 2.0 + (38.0 - 30.4)) / 20
    assert out["sequestration_t_co2_yr"] == pytest.approx(2 * 0.04 * per_ha * 44 / 12, rel=1e-6)


def test_gross_and_net_sink_named_and_different():
    net = forest.net_sink_from_stock_change(30_000, 3)
    assert net == pytest.approx(10_000 * T_CO2_PER_M3)  # ~1.2 万t CO2/yr
    # the plan's gross figure per m³ of stock: 23.36 万t / 180 万m³ = 0.13 t CO2 per m³ per year
    assert forest.PLAN_SINK_WAN_T[2021] / forest.PLAN_STOCK_WAN_M3[2021] == pytest.approx(0.1298, abs=1e-4)
    assert forest.PLAN_SINK_WAN_T[2021] * 1e4 / net > 15


def test_patches_from_raster_and_patch_vector_path():
    lc = synthetic()
    patches = forest.patches_from_raster(lc)
    assert set(patches["class_code"]) == {"0301", "0307"}
    assert patches["area_ha"].sum() == pytest.approx(6 * 0.04, rel=1e-3)
    assert patches["stock_m3"].sum() == pytest.approx(3 * 0.04 * 92 + 3 * 0.04 * 30, rel=1e-3)
    # an inventory patch with its own stock, split 1/4 : 3/4 between two zones
    inv = gpd.GeoDataFrame({"class_code": ["0301"], "stock_m3": [1000.0]},
                           geometry=[shapely.box(0, 0, 400, 100)], crs=AREA_CRS)
    zones = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 400, 100)],
                             crs=AREA_CRS)
    out = forest.carbon_by_zone(zones, patches=inv)
    assert out["stock_m3"].tolist() == pytest.approx([250.0, 750.0])
    assert out["sink_t_co2"].sum() == pytest.approx(1000 * 0.1027 * T_CO2_PER_M3)
    assert out["forest_area_ha"].tolist() == pytest.approx([1.0, 3.0])
    with pytest.raises(ValueError, match="class_code"):
        forest.patch_carbon(inv.drop(columns="class_code"))


def test_reprojected_raster_gives_same_stock(tmp_path):
    # a 1 km² poplar block in UTM 50N: stock = 100 ha x 92 m³/ha within the scale-factor difference
    arr = np.full((120, 120), 102, dtype="uint16")
    arr[10:110, 10:110] = 301
    path = tmp_path / "utm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=120, height=120, count=1, dtype="uint16",
                       crs="EPSG:32650", transform=Affine(10, 0, 290_000, 0, -10, 3_890_000), nodata=0) as dst:
        dst.write(arr, 1)
    everything = gpd.GeoDataFrame({"code": ["all"]}, geometry=[shapely.box(290_000, 3_888_800, 291_200, 3_890_000)],
                                  crs="EPSG:32650")
    out = forest.carbon_by_zone(everything, landcover=path).iloc[0]
    true_ha = gpd.GeoSeries([shapely.box(290_100, 3_888_900, 291_100, 3_889_900)], crs="EPSG:32650").to_crs(AREA_CRS).area.iloc[0] / 1e4
    assert out["forest_area_ha"] == pytest.approx(true_ha, rel=0.01)
    assert out["stock_m3"] == pytest.approx(true_ha * 92, rel=0.01)


def test_all_nodata_landcover_clear_error(tmp_path, capsys):
    path = tmp_path / "nodata.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint16",
                       crs=AREA_CRS, transform=T, nodata=0) as dst:
        dst.write(np.zeros((1, 4, 4), dtype="uint16"))
    with pytest.raises(RasterError):
        forest.carbon_by_zone(zone(0, 0, 1, 1), landcover=path)
    assert main(["carbon", "--landcover", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "无数据" in err and "nodata" in err


# ---------------------------------------------------------------- on the county demo


@pytest.fixture(scope="module")
def county_demo(demo_landcover_dir):
    """The session's demo land-cover folder, with this module's own database."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
        mp.setenv("CYC_GEO_DB", str(demo_landcover_dir / "t.sqlite"))
        yield demo_landcover_dir


def test_township_sums_equal_county_total_and_near_plan(county_demo, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(county_demo))
    assert main(["carbon", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    towns = pd.DataFrame(doc["by_township"])
    assert len(towns) == 18 and {"code", "name", "sink_t_co2", "forest_area_ha"} <= set(towns.columns)
    summary = forest.county_summary()  # exact zonal over the county outline, computed independently
    assert towns["sink_t_co2"].sum() == pytest.approx(summary.sink_t_co2, rel=1e-6)
    assert towns["forest_area_ha"].sum() == pytest.approx(summary.forest_area_ha, rel=1e-6)
    assert doc["sink_t_co2"] == pytest.approx(summary.sink_t_co2, abs=0.01)
    # one stock scope (森林蓄积量 = 乔木林地 0301, named in the document): the demo's 18,000 ha × 92 m³/ha, and the
    # gross sink is the growth of that stock (the demo's 0307 stands, 4,800 ha × 30 m³/ha, are not counted)
    assert doc["stock_scope"] == "森林蓄积量（乔木林地 0301）" and doc["stock_scope_classes"] == ["0301"]
    assert doc["stock_scope_en"] == "forest stock (tree forest 0301)"
    assert doc["stock_m3"] == pytest.approx(18_000 * 92, rel=0.01)
    assert doc["sink_t_co2"] == pytest.approx(18_000 * 92 * 0.1027 * T_CO2_PER_M3, rel=0.01)
    assert doc["net_sink_t_co2"] == pytest.approx(10_000 * T_CO2_PER_M3, rel=1e-6)
    assert doc["demo"] is True
    assert forest.sink_indicator_wan_t() == pytest.approx(doc["sink_t_co2"] / 1e4)
    assert forest.stock_indicator_wan_m3() == pytest.approx(doc["stock_m3"] / 1e4)


def test_cli_pools_method_belt_scenario_and_zones(county_demo, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(county_demo))
    assert main(["carbon", "--json", "--method", "pools"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sink_t_co2"] is None and "note" in doc and doc["storage_t_c"] > 0
    assert main(["carbon", "--json", "--method", "pools", "--future", "belt", "--zones", "belt"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_zone = {r["zone"]: r for r in doc["by_zone"]}
    # afforesting the corridor sequesters carbon there; the floodplain only gets the share of boundary
    # cells (converted when their centre is in the corridor) that lies across the zone edge
    corridor = by_zone["corridor"]["sequestration_t_c"]
    assert corridor > 0
    assert 0 <= by_zone["floodplain"]["sequestration_t_c"] < 0.02 * corridor
    assert doc["sink_t_co2"] == pytest.approx(sum(r["sink_t_co2"] for r in doc["by_township"]), rel=1e-4)
    # growth-based: a series over 20 years whose mean is the headline; per hectare about 7.4 t CO2/yr
    # (cropland → poplar, docs/carbon.md), not the full mature stock booked within 3 years
    assert doc["afforested_ha"] > 0 and len(doc["sequestration_by_year"]) >= 20
    mean = sum(r["t_co2"] for r in doc["sequestration_by_year"]) / 20
    assert doc["sequestration_t_co2_yr"] == pytest.approx(mean, rel=1e-4)
    assert 4.0 < doc["sequestration_t_co2_yr"] / doc["afforested_ha"] < 9.0
    assert doc["sink_t_co2"] == pytest.approx(doc["sequestration_t_co2_yr"], rel=1e-3)


def test_forest_patches_layer(county_demo, monkeypatch):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(county_demo))
    patches = forest.load_forest_patches()
    assert patches.crs.to_epsg() == 4326
    assert {"patch_id", "class_code", "class_name", "area_ha", "stock_m3", "sink_t_co2_yr"} <= set(patches.columns)
    assert patches.attrs["meta"]["demo"] == "true"
    assert patches["patch_id"].is_unique
    assert patches["stock_m3"].sum() == pytest.approx(1_800_000, rel=1e-3)
    assert patches["area_ha"].sum() == pytest.approx(18_000 + 4_800 + 300, rel=1e-3)
    assert (patches["township_code"].str.len() == 12).mean() > 0.99


def test_carbon_page_renders(county_demo, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(county_demo))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "views" / "carbon.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(str(m.value) for m in at.metric)
    assert "20.7" in text  # the county gross sink in 万t: growth of the 0301 stock (the one stock scope)
    assert any("森林蓄积量（乔木林地 0301）" in m.label for m in at.metric)  # the scope in the stock's label
    assert "165.56" in text  # 0301 only, not 179.96 (0301 + 0307)
    labels = [m.label for m in at.metric]
    assert any("碳汇" in label for label in labels)
    assert any("亩" in label for label in labels)
    # the chart's legend names every series, the plan's targets included, and each is defined in one sentence
    spec = json.dumps([json.loads(c.proto.spec) for c in at.get("vega_lite_chart")], ensure_ascii=False)
    for name in ("毛碳汇（年生长吸收）", "净蓄积变化（净碳汇）", "规划目标 23.36→26.05 万t（附件1 #4）"):
        assert name in spec
    assert any("不能同时实现" in str(w.value) for w in at.warning)  # indicators 4 and 16 at 0.1298 t/m³
    assert any("definition" in d.value.columns and len(d.value) == 3 for d in at.dataframe)  # gross, net, plan
    # change a method parameter: doubling the growth rate doubles the sink
    at.number_input(key="carbon_growth_rate_0301").set_value(0.2054).run()
    assert not at.exception
    sink = next(m.value for m in at.metric if "毛碳汇" in m.label)
    # the 0301 stock, 1.656M m³ x 0.2054, times t CO2 per m³ -> 41.5 万t
    expected = 1_656_000 * 0.2054 * T_CO2_PER_M3 / 1e4
    assert float(str(sink).split()[0].replace(",", "")) == pytest.approx(expected, abs=0.3)


def test_planner_patch_file_drives_the_indicator(data_dir):
    """A forest inventory file in data/boundaries replaces the raster for the indicators."""
    from cyc_geo.places.county import county_geometry_area_crs

    c = county_geometry_area_crs().centroid
    inv = gpd.GeoDataFrame(
        {"class_code": ["0301", "0307"], "stock_m3": [5000.0, None]},
        geometry=[shapely.box(c.x, c.y, c.x + 500, c.y + 200), shapely.box(c.x, c.y - 400, c.x + 100, c.y - 300)],
        crs=AREA_CRS,
    )
    inv.to_file(data_dir / "boundaries" / "forest.gpkg")
    patches = forest.load_forest_patches()
    assert patches.attrs["meta"]["demo"] == "false"
    # stock kept where given; 0307 derived: 1 ha x 30 m³/ha
    assert patches["stock_m3"].tolist() == pytest.approx([5000.0, 30.0], rel=1e-6)
    expected_sink = 5000 * 0.1027 * T_CO2_PER_M3  # the 0307 patch is outside the stock scope
    assert forest.sink_indicator_wan_t() == pytest.approx(expected_sink / 1e4, rel=1e-4)
    assert forest.stock_indicator_wan_m3() == pytest.approx(0.5, rel=1e-4)
    assert not (data_dir / "generated" / landcover.DEMO_FILE).exists()
