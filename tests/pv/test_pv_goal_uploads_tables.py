"""cyc_geo.pv.goal (hand-checked shares), cyc_geo.pv.uploads (kept yield rasters), cyc_geo.pv.tables (page tables)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cyc_geo.ingest.upload_safety import UploadRejected
from cyc_geo.pv import aggregation, goal, tables, uploads, yield_model
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import CLASSES, PVParams, Scenario
from cyc_geo.pv.plan import GOAL_MW, PROJECT_MW

# ---------------------------------------------------------------- goal


def test_adoption_for_goal_by_hand():
    sc = Scenario()  # NEA shares: gov 50 %, public 40 %, commercial 30 %, rural 20 %
    # 35 MW -> 70 MW is a factor 2: 100 %, 80 %, 60 %, 40 %
    assert goal.adoption_for_goal(sc, 35.0) == pytest.approx({"gov": 1.0, "public": 0.8, "commercial": 0.6, "rural": 0.4})
    # 140 MW -> factor 0.5: 25 %, 20 %, 15 %, 10 %
    assert goal.adoption_for_goal(sc, 140.0) == pytest.approx({"gov": 0.25, "public": 0.2, "commercial": 0.15, "rural": 0.1})
    # 20 MW -> factor 3.5: 175 %, 140 %, 105 % are capped at 100 %; rural 70 %
    assert goal.adoption_for_goal(sc, 20.0) == pytest.approx({"gov": 1.0, "public": 1.0, "commercial": 1.0, "rural": 0.7})
    assert goal.adoption_for_goal(sc, 0.0) is None


def test_scaled_shares_reach_the_goal_on_a_table():
    roofs = pd.DataFrame({"roof_id": [1, 2, 3, 4], "township_code": "x", "building_class": list(CLASSES),
                          "roof_type": "shed", "area_m2": [5000.0] * 4})
    sc = Scenario()
    mw = pv.estimate(roofs, sc)["capacity_kw"].sum() / 1000
    # capacity is proportional to the shares while no roof reaches its technical cap (shed 0.70; on
    # flat roofs 党政机关's 50 % is already above the 0.45 cap): halving stays proportional, doubling caps
    needed = goal.adoption_for_goal(sc, mw, goal_mw=0.5 * mw)
    assert pv.estimate(roofs, Scenario(adoption=needed))["capacity_kw"].sum() / 1000 == pytest.approx(0.5 * mw)
    capped = goal.adoption_for_goal(sc, mw, goal_mw=2 * mw)
    assert pv.estimate(roofs, Scenario(adoption=capped))["capacity_kw"].sum() / 1000 < 2 * mw


def test_map_scenario_scales_the_nea_shares():
    assert goal.map_scenario(1.0).to_json() == Scenario().to_json()  # the PV page's default: one cache entry
    assert goal.map_scenario(0.5).adoption == pytest.approx({"gov": 0.25, "public": 0.2, "commercial": 0.15, "rural": 0.1})
    assert goal.map_scenario(2.5).adoption["gov"] == 1.0


# ---------------------------------------------------------------- uploads


def _tif(path: Path) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(114.4, 35.5, 0.1, 0.1)) as dst:
        dst.write(np.full((3, 4), 1100.0, dtype="float32"), 1)
    return path


def test_store_yield_raster_keeps_one_file_per_content(data_dir: Path, tmp_path: Path):
    data = _tif(tmp_path / "pvout.tif").read_bytes()
    kept = uploads.store_yield_raster("pvout.tif", data)
    assert kept.parent == data_dir / "uploads" / "pv" and kept.suffix == ".tif"
    assert kept.read_bytes() == data
    assert uploads.store_yield_raster("again.TIFF", data) == kept
    assert [p.name for p in (data_dir / "uploads").iterdir() if p.is_file()] == []  # staged copies removed


def test_store_yield_raster_refuses_non_rasters(data_dir: Path, tmp_path: Path):
    with pytest.raises(UploadRejected):
        uploads.store_yield_raster("roofs.gpkg", b"SQLite format 3\x00")
    with pytest.raises(UploadRejected):
        uploads.store_yield_raster("fake.tif", b"not a tiff at all")
    assert not uploads.yield_raster_dir().exists() or not list(uploads.yield_raster_dir().iterdir())
    assert [p for p in (data_dir / "uploads").iterdir() if p.is_file()] == []


# ---------------------------------------------------------------- report


@pytest.fixture
def roofs() -> gpd.GeoDataFrame:
    geoms = [shapely.box(114.7 + i * 0.001, 35.2, 114.7005 + i * 0.001, 35.2005) for i in range(4)]
    return gpd.GeoDataFrame({
        "roof_id": [1, 2, 3, 4], "building_class": ["gov", "rural", "rural", "public"],
        "roof_type": "flat", "use": "x", "area_m2": [100.0, 10.0, 200.0, 300.0],
        "township_code": ["a", "a", "b", "b"],
    }, geometry=geoms, crs="EPSG:4326")



def test_store_weather_file_tells_hourly_years_from_monthly_means(data_dir: Path, tmp_path: Path):
    """An EPW fills ``weather_file``, a 12-month table ``climate_file``; either gives the yield it implies."""
    from cyc_geo.pv import irradiance
    from tests.pv.test_pv import REPO, _write_epw

    p = PVParams()
    epw = tmp_path / "site.epw"
    _write_epw(epw, irradiance.all_sky(p.latitude, p.longitude, p.altitude_m, irradiance.climate_tuple()))
    kept, param = uploads.store_weather_file("site.epw", epw.read_bytes())
    assert param == "weather_file" and kept.parent == uploads.yield_raster_dir() and kept.name.startswith("weather-")
    assert yield_model.specific_yield(p.with_overrides({param: str(kept)}), "shed") == pytest.approx(
        yield_model.specific_yield(p, "shed"), rel=1e-6)
    clim = pd.read_csv(REPO / "data/reference/climate_changyuan.csv")
    monthly = clim.assign(ghi_kwh_m2_day=clim["ghi_kwh_m2_day"] * 1.05).to_csv(index=False).encode()
    kept, param = uploads.store_weather_file("station.csv", monthly)
    assert param == "climate_file"
    assert yield_model.simulate(p.with_overrides({param: str(kept)}), "shed").ghi_kwh_m2 == pytest.approx(
        1.05 * yield_model.simulate(p, "shed").ghi_kwh_m2)
    assert [f for f in (data_dir / "uploads").iterdir() if f.is_file()] == []  # staged copies removed


def test_store_weather_file_refuses_what_it_cannot_read_and_keeps_nothing(data_dir: Path):
    before = set(uploads.yield_raster_dir().glob("*")) if uploads.yield_raster_dir().exists() else set()
    with pytest.raises(ValueError, match="12-month climate table"):
        uploads.store_weather_file("notes.csv", "日期,温度\n2023-01-01,3\n".encode())
    with pytest.raises(UploadRejected):
        uploads.store_weather_file("roofs.gpkg", b"SQLite format 3\x00")
    after = set(uploads.yield_raster_dir().glob("*")) if uploads.yield_raster_dir().exists() else set()
    assert after == before and [f for f in (data_dir / "uploads").iterdir() if f.is_file()] == []

def test_roofs_in_scenario_are_the_counted_roofs_with_their_results(roofs):
    sc = Scenario()
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")), sc)
    out = tables.roofs_in_scenario(roofs, per_roof, sc)
    assert list(out["roof_id"]) == [1, 3, 4]  # roof 2 is below the 40 m² minimum
    assert list(out.columns) == tables.GPKG_COLUMNS
    assert out["capacity_kw"].to_numpy() == pytest.approx(per_roof.loc[per_roof["roofs"] == 1, "capacity_kw"].to_numpy())
    back = gpd.read_file(__import__("io").BytesIO(tables.gpkg_bytes(out)))
    assert len(back) == 3


def test_township_display_and_class_breakdown(roofs):
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")))
    towns = pd.DataFrame({"code": ["a", "b"], "name": ["甲镇", "乙镇"], "name_en": ["A", "B"]})
    table = aggregation.township_table(per_roof, towns)
    zh, en = tables.township_display(table, "zh"), tables.township_display(table, "en")
    assert list(zh["乡镇"]) == ["甲镇", "乙镇"] and list(en["Township"]) == ["A", "B"]
    assert zh["计入屋顶"].tolist() == [1, 2]
    by_class, order = tables.class_breakdown(per_roof, {"a": "甲镇", "b": "乙镇"}, "zh")
    assert order == ["乙镇", "甲镇"]  # b has 500 m² of roofs, a 100 m²
    assert set(by_class["class"]) == {"党政机关", "农村居民", "公共建筑"}


def test_goal_bars_and_note():
    summ = {"capacity_mw": 35.0, "share_of_project_mw": 35.0 / 200}
    bars = tables.goal_bars(summ, "en")
    assert bars["mw"].tolist() == [35.0, GOAL_MW, PROJECT_MW]
    note = tables.goal_note(goal.adoption_for_goal(Scenario(), 35.0), summ, "en")
    assert "Government 100.0%" in note and "Rural residents 40.0%" in note
    # the potential is not progress: no "% of the 200 MW project", no "reached"
    assert "potential" in note and "18%" not in note and "reached" not in note
    assert "potential" in bars["item"][0]


def test_loss_table_lists_every_loss_and_the_resulting_performance_ratio():
    params = PVParams()
    y = yield_model.yield_payload(params)
    table = tables.loss_table(params, "en")
    assert list(table.columns) == ["Loss", "Flat (%)", "Pitched (%)", "Shed (%)"]
    assert len(table) == len(y["flat"]["losses"]) + 1 and table["Loss"].iloc[-1] == "Performance ratio"
    soiling = table.set_index("Loss").loc["Soiling"]
    assert soiling["Flat (%)"] == round(y["flat"]["losses"]["soiling"], 2)
    assert table.set_index("Loss").loc["Performance ratio", "Shed (%)"] == round(100 * y["shed"]["performance_ratio"], 1)
    assert "损失项" in tables.loss_table(params, "zh").columns


def test_range_caption_gives_low_central_high_in_order():
    rng = {"low": {"annual_gwh": 900.0, "co2_t": 500_000.0, "specific_yield": 950.0},
           "central": {"annual_gwh": 1000.0, "co2_t": 560_000.0, "specific_yield": 1050.0},
           "high": {"annual_gwh": 1100.0, "co2_t": 620_000.0, "specific_yield": 1150.0},
           "assumptions": {"ghi_spread": 0.07}}
    en = tables.range_caption(rng, "en")
    assert "GHI ±7%" in en and "900 / 1,000 / 1,100 GWh/yr" in en and "50.0 / 56.0 / 62.0 × 10k t" in en
    assert "950 / 1,050 / 1,150 kWh/kWp" in tables.range_caption(rng, "zh")


def test_the_workbook_says_the_figures_are_potential_and_demo():
    import io

    import openpyxl

    shown = pd.DataFrame({"代码": ["410783001000"], "潜力装机 (MW)": [1.5]})
    wb = openpyxl.load_workbook(io.BytesIO(tables.workbook(shown, {"capacity_mw": 1.5}, "{}", demo=True)))
    assert wb.sheetnames == ["说明", "乡镇", "汇总", "情景"]
    about = [c.value for c in wb["说明"]["A"]]
    assert tables.POTENTIAL_DEFINITION[0] in about and "不是已建成（已并网）装机" in tables.POTENTIAL_DEFINITION[0]
    assert "数据性质" in about
    real = openpyxl.load_workbook(io.BytesIO(tables.workbook(shown, {"capacity_mw": 1.5}, "{}", demo=False)))
    assert "数据性质" not in [c.value for c in real["说明"]["A"]]
