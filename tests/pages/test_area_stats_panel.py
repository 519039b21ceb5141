"""The map page under AppTest: the 区域统计 / Area statistics panel (clicked township, drawn polygon) and the 定位 / Locate box."""

from __future__ import annotations

import pytest
import shapely

from tests.conftest import app_test


def _component(at):
    comps = list(at.get("component_instance"))
    assert comps, "no st_folium component rendered"
    return comps[0]


def _map_value(at, **value) -> None:
    """Simulate the map's reported value (a click, a drawing), keyed by the component's (hashed) widget key."""
    key = _component(at).proto.id.split("-")[-1]
    at.session_state[key] = {"center": {"lat": 35.2, "lng": 114.7}, "zoom": 12, **value}
    at.run()


def _shown(at) -> dict[str, str]:
    df = at.dataframe[-1].value
    return {f"{r.iloc[0]}|{r.iloc[2]}": r.iloc[1] for _, r in df.iterrows()}


@pytest.fixture(scope="module")
def town():
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    row = towns[towns["name"] == "蒲东街道"].iloc[0]
    return row


def test_clicked_township_statistics_and_excel(town):
    from cyc_geo.planning.area_stats import area_statistics

    at = app_test("views/map.py")
    at.run()
    assert not at.exception
    assert "last_active_drawing" in _component(at).proto.json_args  # the map reports drawn polygons
    assert "L.Control.Draw" in _component(at).proto.json_args  # the drawing tools are on the map
    assert not [s for s in at.selectbox if s.label == "乡镇"]  # closed: nothing is read until it is opened
    at.toggle(key="area_stats_on").set_value(True).run()
    p = town.geometry.representative_point()
    _map_value(at, last_clicked={"lat": p.y, "lng": p.x})
    assert not at.exception
    town_box = next(s for s in at.selectbox if s.label == "乡镇")
    assert town_box.value == str(town["code"])  # the clicked township is chosen
    at.button(key="area_stats_btn").click().run()
    assert not at.exception
    shown = _shown(at)
    expected = area_statistics(town.to_frame().T.set_geometry("geometry").set_crs("EPSG:4326"),
                               as_of=str(at.date_input(key="area_stats_as_of").value))
    assert shown["光伏潜力 · 光伏情景潜力装机|MW"] == f"{expected['potential_mw']:,.3f}"
    assert shown["森林 · 森林蓄积量|m³"] == f"{expected['forest_stock_m3']:,.3f}"
    assert any(k.startswith("光伏装机（台账） · 已并网光伏装机") and v == f"{expected['installed_mw']:,.3f}" for k, v in shown.items())
    assert any("蒲东街道" in m.value for m in at.markdown)
    assert at.get("download_button"), "no Excel download"


def test_drawn_polygon_statistics():
    at = app_test("views/map.py")
    at.run()
    square = shapely.box(114.66, 35.18, 114.672, 35.19)
    drawing = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(square)}
    drawing["geometry"]["coordinates"] = [[list(c) for c in drawing["geometry"]["coordinates"][0]]]
    _map_value(at, last_clicked=None, last_active_drawing=drawing)
    at.toggle(key="area_stats_on").set_value(True).run()
    at.radio(key="area_stats_source").set_value("drawn").run()
    at.button(key="area_stats_btn").click().run()
    assert not at.exception
    shown = _shown(at)
    import geopandas as gpd

    area_mu = float(gpd.GeoSeries([square], crs="EPSG:4326").to_crs("EPSG:4547").area.iloc[0]) * 15 / 10000
    assert float(shown["区域 · 面积|亩"].replace(",", "")) == pytest.approx(area_mu, abs=0.01)
    assert any("绘制的多边形" in m.value for m in at.markdown)


def test_locate_a_parcel_number_shows_it_as_the_selected_feature():
    """定位: a 永久基本农田 parcel number moves the map to the parcel and shows it in 所选要素 as a click would."""
    from cyc_geo.catalog.loader import load_layer

    farm = load_layer("farmland")
    pid = str(farm["parcel_id"].iloc[11])
    at = app_test("views/map.py")
    at.run()
    at.text_input(key="map_locate_query").set_value(pid)
    at.button[[b.label for b in at.button].index("定位")].click().run()
    assert not at.exception
    tables = [t.value for t in at.table]
    assert any(pid in df.to_string() for df in tables), "the parcel is not in 所选要素"
    lat, lon, zoom = at.session_state["map_request"]
    assert farm.geometry.iloc[11].buffer(0.02).contains(shapely.Point(lon, lat)) and zoom == 16


def test_locate_a_cgcs2000_xy_with_zone_38_moves_the_map_there(town):
    from pyproj import Transformer

    p = town.geometry.representative_point()
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(p.x, p.y)
    at = app_test("views/map.py")
    at.run()
    at.text_input(key="map_locate_query").set_value(f"38 {n:.1f} {e:.1f}")
    at.button[[b.label for b in at.button].index("定位")].click().run()
    assert not at.exception
    lat, lon, _ = at.session_state["map_request"]
    assert abs(lat - p.y) < 1e-5 and abs(lon - p.x) < 1e-5
    assert any(town["name"] in t.value.to_string() for t in at.table)  # the township under the point, as a click


def test_a_located_feature_stays_selected_when_the_map_reopens_after_a_click(town):
    """A click, then 定位: the map reopens at the located view with no last click (a remount), and the located
    township stays in 所选要素 until the next click on the map."""
    at = app_test("views/map.py")
    at.run()
    p = town.geometry.representative_point()
    _map_value(at, last_clicked={"lat": 35.05, "lng": 114.9})  # a click somewhere else first
    at.text_input(key="map_locate_query").set_value(town["name"])
    at.button[[b.label for b in at.button].index("定位")].click().run()
    assert not at.exception
    _map_value(at, last_clicked=None)  # the map reopened at the located view: its click is gone
    assert any(town["name"] in t.value.to_string() for t in at.table), "the located township left 所选要素"
    _map_value(at, last_clicked={"lat": p.y, "lng": p.x})  # a new click wins
    assert "map_located" not in at.session_state
