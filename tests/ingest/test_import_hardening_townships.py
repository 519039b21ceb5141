"""After a township import every per-township figure comes from the active township layer (spatially),
also in an app process whose caches were filled before the import (an import from the CLI or another
server process does not clear them)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import streamlit as st

from cyc_geo.catalog.registry import get_layer
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.ingest.importer import import_file
from cyc_geo.places.county import county_geometry_area_crs
from cyc_geo.pv import aggregation
from cyc_geo.pv.params import Scenario

WEST, EAST = ("410783990000", "测试西乡"), ("410783991000", "测试东镇")


def test_pv_by_township_and_the_click_panel_follow_a_township_import(demo_data_dir: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # before: the app's cached roofs kept the demo township codes, so 测试东镇 showed 0 MW, the
    # township rows did not add up to the county, and the click panel counted the old township's roofs
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    import ui.common as common
    import ui.map_data as map_data

    st.cache_data.clear()
    st.cache_resource.clear()
    scenario = Scenario()
    before = common.roofs()[0]
    assert not before["township_code"].isin([WEST[0], EAST[0]]).any()  # caches filled with the demo codes
    common.per_roof(scenario)

    county = county_geometry_area_crs()
    minx, miny, maxx, maxy = county.bounds
    mid = (minx + maxx) / 2
    west = county.intersection(shapely.box(minx - 1, miny - 1, mid, maxy + 1))
    east = county.intersection(shapely.box(mid, miny - 1, maxx + 1, maxy + 1))
    towns = gpd.GeoDataFrame({"code": [WEST[0], EAST[0]], "name": [WEST[1], EAST[1]]}, geometry=[west, east],
                             crs=AREA_CRS)
    towns.to_file(tmp_path / "two.gpkg")
    import_file(tmp_path / "two.gpkg", "townships", "cli:planner")  # no clear_caches(): another process

    roofs = common.roofs()[0]
    in_west = shapely.contains_xy(west, roofs["x"].to_numpy(), roofs["y"].to_numpy())
    in_east = shapely.contains_xy(east, roofs["x"].to_numpy(), roofs["y"].to_numpy())
    assert in_west.sum() > 1000 and in_east.sum() > 1000
    codes = roofs["township_code"].to_numpy()
    assert (codes[in_west] == WEST[0]).all() and (codes[in_east] == EAST[0]).all()

    results = common.per_roof(scenario)
    table = aggregation.township_table(results, common.load_layer("townships")).set_index("code")
    assert list(table.index) == [WEST[0], EAST[0]] and list(table["name"]) == [WEST[1], EAST[1]]
    assert (table["capacity_mw"] > 1).all()  # before: 0 for the township the demo codes did not know
    assert table["capacity_mw"].sum() == pytest.approx(results["capacity_kw"].sum() / 1000, rel=1e-9)
    west_mw = results["capacity_kw"].to_numpy()[in_west].sum() / 1000
    assert table.loc[WEST[0], "capacity_mw"] == pytest.approx(west_mw, rel=1e-9)

    point = gpd.GeoSeries([west.representative_point()], crs=AREA_CRS).to_crs(4326).iloc[0]
    hits = map_data.lookup({"lng": point.x, "lat": point.y}, 11, [get_layer("townships")], "osm", scenario)
    assert len(hits) == 1
    panel = hits[0][1]
    assert panel["名称"] == WEST[1] and panel["统计代码"] == WEST[0]
    assert panel["建筑屋顶数"] == int(in_west.sum())
    assert panel["屋顶光伏情景潜力 (MW)"] == round(west_mw, 2)
    assert np.isfinite(panel["面积(km²)"]) and panel["面积(km²)"] == pytest.approx(west.area / 1e6, abs=0.01)
    st.cache_data.clear()
    st.cache_resource.clear()
