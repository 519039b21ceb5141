"""The map page's year control and compare mode at script level (AppTest)."""

from __future__ import annotations

import json
import re

from tests.conftest import app_test


def _args(at) -> dict:
    comps = list(at.get("component_instance"))
    assert comps, "no st_folium component rendered"
    return json.loads(comps[0].proto.json_args)


def _text(at) -> str:
    return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), json.dumps(_args(at), ensure_ascii=False))


def test_compare_2022_2024_from_the_url_draws_both_years_and_the_change_layer():
    at = app_test("views/map.py")
    at.query_params.update({"year": "2022", "cmp": "2024", "layers": "county,pv_installations"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="map_year_zh").value == 2022
    assert at.selectbox(key="map_cmp").value == 2024
    text = _text(at)
    fg = _args(at)["feature_group"]
    assert "L.control.sideBySide" in fg and "cycOverA" in fg and "cycOverB" in fg
    assert "pv_installations@2022" in fg and "pv_installations@2024" in fg and '"change"' in fg
    assert "变化图层 2022→2024" in text and "新增并网光伏 359 个" in text
    assert "/leaflet-side-by-side/leaflet-side-by-side.js" in " ".join(_args(at)["js_links"])
    assert str(at.query_params["year"]).strip("[]'") == "2022" and str(at.query_params["cmp"]).strip("[]'") == "2024"
    at.selectbox(key="map_year_zh").select_index(0).run()  # back to the data of today: no year in the URL or the map
    assert at.selectbox(key="map_year_zh").value == "now"  # an option, shown as 当前数据 (None showed an empty select)
    assert not at.exception
    assert "year" not in at.query_params and "cmp" not in at.query_params
    assert "@20" not in (_args(at)["feature_group"] or "") and "sideBySide" not in (_args(at)["feature_group"] or "")


def test_one_year_in_english():
    at = app_test("views/map.py")
    at.query_params.update({"year": "2023", "layers": "county,pv_installations", "lang": "en"})
    at.run()
    assert not at.exception
    fg = _args(at)["feature_group"]
    assert "pv_installations@2023" in fg and "sideBySide" not in fg and '"change"' not in fg
    assert any(c.value.startswith("The map shows 2023: PV installations connected by 31 Dec") for c in at.caption)
    assert "Legend (2023)" in _text(at)
    assert str(at.query_params["year"]).strip("[]'") == "2023" and "cmp" not in at.query_params


def _click(at, lon: float, lat: float, zoom: int = 16) -> None:
    """A map click: the component's value, keyed by its (hashed) widget key."""
    key = list(at.get("component_instance"))[0].proto.id.split("-")[-1]
    at.session_state[key] = {"last_clicked": {"lat": lat, "lng": lon}, "center": {"lat": lat, "lng": lon}, "zoom": zoom}
    at.run()


def test_a_click_finds_the_installations_of_the_map_year():
    from cyc_geo.pv.installations import load_installations
    from cyc_geo.pv.progress import installations_as_of

    ledger = load_installations()
    old = set(installations_as_of(ledger, 2022)["install_id"])
    new = installations_as_of(ledger, 2024)
    new = new[~new["install_id"].isin(old)]
    far = new[[min(pt.distance(o) for o in ledger[ledger["install_id"].isin(old)].geometry) > 0.002
               for pt in new.geometry]].iloc[0]  # a 2023/2024 installation with no 2022 one within ~200 m
    at = app_test("views/map.py")
    at.query_params.update({"year": "2022", "layers": "county,pv_installations"})
    at.run()
    _click(at, far.geometry.x, far.geometry.y)
    assert not at.exception
    assert "**光伏装机台账**" not in [m.value for m in at.markdown]  # not connected yet in 2022
    at.selectbox(key="map_year_zh").select(2024).run()  # the same click, the map of 2024
    assert not at.exception
    assert "**光伏装机台账**" in [m.value for m in at.markdown]


def test_two_layers_from_the_url_go_to_the_two_sides_and_stay_in_the_url():
    at = app_test("views/map.py")
    at.query_params.update({"layers": "county,farmland,eco_redline", "swipe": "layers:farmland,eco_redline"})
    at.run()
    assert not at.exception
    assert at.radio(key="map_compare_kind_zh").value == "layers"
    assert (at.selectbox(key="map_swipe_a").value, at.selectbox(key="map_swipe_b").value) == ("farmland", "eco_redline")
    fg = _args(at)["feature_group"]
    assert "L.control.sideBySide" in fg and 'labels = [\\"永久基本农田（三区三线）\\",\\"生态保护红线（三区三线）\\"]' in _text(at)
    # farmland (big) as hexagons in the left side's pane, the red line (small) in the right side's
    assert 'opts.pane = "cycAggA"' in fg and '"eco_redline@b"' in fg
    assert "左 · 永久基本农田" in _text(at) and "右 · 生态保护红线" in _text(at)
    assert str(at.query_params["swipe"]).strip("[]'") == "layers:farmland,eco_redline"
    at.selectbox(key="map_swipe_b").select("county").run()  # another right layer: kept in the URL
    assert not at.exception
    assert str(at.query_params["swipe"]).strip("[]'") == "layers:farmland,county"
    assert '"county@b"' in _args(at)["feature_group"] and '"eco_redline@b"' not in _args(at)["feature_group"]
    at.radio(key="map_compare_kind_zh").set_value("none").run()  # no comparison: no divider, no swipe in the URL
    assert not at.exception
    assert "swipe" not in at.query_params and "sideBySide" not in (_args(at)["feature_group"] or "")


def test_two_pv_scenarios_draw_each_side_with_its_total_mw():
    from cyc_geo.pv.goal import map_scenario
    from ui.common import roof_summary

    at = app_test("views/map.py")
    at.query_params.update({"layers": "county,rooftops", "swipe": "scenarios:50,150", "lang": "en"})
    at.run()
    assert not at.exception
    assert at.radio(key="map_compare_kind_en").value == "scenarios"
    assert (at.slider(key="map_swipe_pa").value, at.slider(key="map_swipe_pb").value) == (50, 150)
    fg, text = _args(at)["feature_group"], _text(at)
    assert "L.control.sideBySide" in fg and '"rooftops_hex@50"' in fg and '"rooftops_hex@150"' in fg
    assert 'labels = [\\"Adoption 50 %\\",\\"Adoption 150 %\\"]' in text
    for side, pct in (("left", 50), ("right", 150)):
        mw = roof_summary(map_scenario(pct / 100))["capacity_mw"]
        assert f"{side} Adoption {pct} % · total {mw:,.1f} MW" in text
    assert "Same classes as the left side" in text
    assert str(at.query_params["swipe"]).strip("[]'") == "scenarios:50,150"
