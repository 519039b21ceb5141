"""The forest carbon page's tables, figures and map layers (cyc_geo.carbon.zones, cyc_geo.carbon.maps)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from PIL import Image

from cyc_geo.carbon import belt_scenario, forest, maps, zones
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.mapview.legend import palette
from cyc_geo.mapview.webmap import layer_payload
from tests.carbon.test_carbon import T_CO2_PER_M3, X0, Y0, T, synthetic
from tests.carbon.test_landcover import _write


def _boxes(names: list[str], cells: list[tuple[float, float, float, float]], key: str = "code") -> gpd.GeoDataFrame:
    """Zones as boxes in cell units from the synthetic grid's top-left corner (x right, y down)."""
    geoms = [shapely.box(X0 + 20 * x0, Y0 - 20 * y1, X0 + 20 * x1, Y0 - 20 * y0) for x0, y0, x1, y1 in cells]
    return gpd.GeoDataFrame({key: names, "name": [f"{n}名" for n in names]}, geometry=geoms, crs=AREA_CRS)


# ---------------------------------------------------------------- zones


def test_zone_carbon_names_and_scenario():
    lc, params, pools = synthetic(), forest.load_forest_params(), forest.load_pools()
    towns = _boxes(["top", "bottom"], [(0, 0, 3, 1), (0, 2, 3, 3)])
    out = zones.zone_carbon(towns, "code", lc, params, pools)
    assert list(out["code"]) == ["top", "bottom"] and list(out["name"]) == ["top名", "bottom名"]
    assert out["sink_t_co2"].iloc[0] == pytest.approx(3 * 0.04 * 92 * 0.1027 * T_CO2_PER_M3, rel=1e-6)
    assert out["sink_t_co2"].iloc[1] == 0 and "sequestration_t_c" not in out
    with pytest.raises(ValueError, match="belt"):
        belt_scenario.belt_afforestation(lc, towns, None, share=0.5)
    # the corridor covers the cropland row: afforesting it sequesters carbon there only
    belt = _boxes(["corridor", "floodplain"], [(0, 2, 3, 3), (0, 0, 3, 1)], key="zone")
    future = belt_scenario.belt_afforestation(lc, belt, None, share=1.0).future
    out = zones.zone_carbon(belt, "zone", lc, params, pools, future)
    seq = dict(zip(out["zone"], out["sequestration_t_co2_yr"], strict=True))
    assert seq["corridor"] > 0 and seq["floodplain"] == pytest.approx(0)


def test_county_figures_and_plan_net_sink():
    params = forest.load_forest_params()
    rows = pd.DataFrame({"sink_t_co2": [200_000.0, 33_600.0], "stock_m3": [1.5e6, 3e5], "forest_area_ha": [2e4, 3e3],
                         "forest_area_mu": [3e5, 4.5e4], "storage_t_c": [3e6, 7.73e5]})
    fig = zones.county_figures(rows, params)
    assert (fig.gross_wan_t, fig.stock_wan_m3, fig.forest_area_ha, fig.forest_area_mu) == pytest.approx((23.36, 180, 23e3, 3.45e5))
    assert fig.gross_vs_plan_2021 == pytest.approx(0) and fig.storage_wan_t_c == pytest.approx(377.3)
    assert fig.sequestration_wan_t_co2_yr == 0
    # the plan's stock change 180 -> 183 万m³ over 3 years: 1 万m³/yr of poplar
    assert fig.net_wan_t == pytest.approx(T_CO2_PER_M3, rel=1e-6)
    assert zones.plan_net_sink_t_co2(params) == pytest.approx(10_000 * T_CO2_PER_M3, rel=1e-6)
    seq = zones.county_figures(rows.assign(sequestration_t_co2_yr=[1e4, 2e4]), params)
    assert seq.sequestration_wan_t_co2_yr == pytest.approx(3.0)


def test_indicator_series_in_both_languages():
    plan, lines = zones.indicator_series(23.4, 1.2, "zh")
    assert list(plan["year"]) == ["2021", "2022", "2023", "2024"] and list(plan["value"]) == [23.36, 24.19, 25.12, 26.05]
    assert plan["series"].eq("规划目标（附件1 #4）").all() and list(lines["value"]) == [23.4, 1.2]
    plan_en, lines_en = zones.indicator_series(23.4, 1.2, "en")
    assert lines_en["series"].iloc[0] == "From the map: gross sink" and plan_en["series"].iloc[0].startswith("Plan target")


# ---------------------------------------------------------------- map layers


def test_zone_choropleth_quantile_classes_in_the_shared_palette():
    codes = [f"t{i}" for i in range(10)]
    towns = _boxes(codes, [(i * 0.3, 0, i * 0.3 + 0.3, 1) for i in range(10)]).to_crs("EPSG:4326")
    by_zone = pd.DataFrame({"code": codes, "name": codes, "sink_t_co2_per_ha": [*np.arange(1.0, 10.0), np.nan],
                            "sink_t_co2": 12_345.0, "forest_area_ha": 1.234, "stock_m3": 99.6})
    data, breaks = maps.zone_choropleth(towns, "code", by_zone)
    assert len(breaks) == maps.CLASSES and breaks[-1] == 9.0
    greens = palette(maps.PALETTE, maps.CLASSES)
    assert data[maps.FILL_COL].iloc[-1] == greens[0]  # a missing sink counts as 0: lowest class
    assert data[maps.FILL_COL].iloc[-2] == greens[-1]
    assert list(data["name"]) == [f"{c}名" for c in codes]  # the zones' names, not the table's
    assert (data["sink_wan_t"].iloc[0], data["forest_area_ha"].iloc[0], data["stock_m3"].iloc[0]) == (1.234, 1.2, 100.0)
    payload = json.loads(layer_payload(maps.ZONE_LAYER, data, "en", fill_col=maps.FILL_COL))
    assert payload["fill_col"] == maps.FILL_COL and payload["tooltip"][1] == ["sink_t_co2_per_ha", "Sink per ha of land (t CO2/ha/yr)"]
    assert payload["geojson"]["features"][0]["properties"][maps.FILL_COL] == greens[0]


def test_sink_legend_rows_follow_the_breaks():
    section = maps.sink_legend([1.0, 2.5, 4.0], "en")
    assert section.title.startswith("Sink per ha") and len(section.rows) == 3
    assert [c for _, c, _ in section.rows] == palette(maps.PALETTE, 3)
    assert maps.sink_legend([], "zh").rows == [] and "五分位" in maps.sink_legend([], "zh").title


def test_township_patches_and_map_view():
    patches = gpd.GeoDataFrame(
        {"township_code": ["a", "a", "b"], "area_ha": [1.234, 2.0, 3.0], "stock_m3": [10.4, 20.0, 30.0],
         "sink_t_co2_yr": [1.26, 2.0, 3.0]},
        geometry=[shapely.box(114.70, 35.10, 114.71, 35.11), shapely.box(114.71, 35.11, 114.72, 35.12),
                  shapely.box(114.8, 35.2, 114.81, 35.21)],
        crs="EPSG:4326",
    )
    sel = maps.township_patches(patches, "a")
    assert len(sel) == 2 and sel.crs == patches.crs
    assert (sel["area_ha"].iloc[0], sel["stock_m3"].iloc[0], sel["sink_t_co2_yr"].iloc[0]) == (1.23, 10.0, 1.3)
    assert sel.geometry.iloc[0].equals_exact(patches.geometry.iloc[0], 1e-4)  # 5 m simplification keeps a box
    assert maps.township_patches(patches, "zz").empty
    assert maps.township_patches(patches.drop(columns="township_code"), "a").empty
    (lat, lon), zoom = maps.map_view(sel)
    assert (round(lat, 5), round(lon, 5), zoom) == (35.11, 114.71, maps.PATCH_ZOOM)
    assert maps.map_view(None) == maps.map_view(sel.iloc[:0]) == maps.CITY_VIEW


def test_forest_overlay_png_written_once_and_served(tmp_path):
    arr = np.array([[301, 301, 102], [307, 102, 102], [0, 0, 301]], dtype="uint16")
    tif = _write(tmp_path / "lc.tif", arr, T, AREA_CRS)
    png, bounds = maps.forest_overlay_png(tif, tmp_path / "tiles")
    assert png.parent == tmp_path / "tiles" and png.name.startswith("carbon-forest-")
    (south, west), (north, east) = bounds
    assert 30 < south < north < 40 and 110 < west < east < 120
    with Image.open(png) as img:
        rgba = np.asarray(img.convert("RGBA"))
    assert 0 < (rgba[..., 3] > 0).mean() < 1  # forest cells drawn, cropland and nodata transparent
    written = png.stat().st_mtime_ns
    again, bounds_again = maps.forest_overlay_png(tif, tmp_path / "tiles")
    assert again == png and png.stat().st_mtime_ns == written and bounds_again == bounds
    assert maps.served_url(png) == f"/app/static/tiles/{png.name}"


def test_chart_series_names_every_series_and_targets_check():
    data = zones.chart_series(23.35, 1.22, 0.59, "zh")
    assert set(data["series"]) == {zones.series_label(k, "zh") for k in ("gross", "net", "scenario", "plan")}
    bars = data[data["mark"] == "bar"]
    assert list(bars["value"]) == [23.36, 24.19, 25.12, 26.05]
    assert "scenario" not in "".join(zones.chart_series(23.35, 1.22, None, "en")["series"]).lower()
    defs = zones.series_definitions("en")
    assert len(defs) == 4 and defs["definition"].str.endswith(".").all()
    # 23.35 万t on 179.96 万m³ = 0.1298 t CO2/m³: at 183 万m³ the sink is 23.74 < 26.05; 26.05/183 = 0.1423 needed
    chk = zones.targets_check(23.35, 179.96)
    assert chk.t_co2_per_m3 == pytest.approx(0.12975, abs=1e-5)
    assert chk.sink_at_target_stock_wan_t == pytest.approx(23.744, abs=1e-3)
    assert chk.needed_t_co2_per_m3 == pytest.approx(0.14235, abs=1e-5) and not chk.reachable
    assert chk.growth_factor_needed == pytest.approx(1.0971, abs=1e-3)
