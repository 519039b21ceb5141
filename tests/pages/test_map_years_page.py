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
    assert at.selectbox(key="map_year").value == 2022
    assert at.selectbox(key="map_cmp").value == 2024
    text = _text(at)
    fg = _args(at)["feature_group"]
    assert "L.control.sideBySide" in fg and "cycOverA" in fg and "cycOverB" in fg
    assert "pv_installations@2022" in fg and "pv_installations@2024" in fg and '"change"' in fg
    assert "变化图层 2022→2024" in text and "新增并网光伏 359 个" in text
    assert "/leaflet-side-by-side/leaflet-side-by-side.js" in " ".join(_args(at)["js_links"])
    assert str(at.query_params["year"]).strip("[]'") == "2022" and str(at.query_params["cmp"]).strip("[]'") == "2024"
    at.selectbox(key="map_year").select_index(0).run()  # back to the data of today: no year in the URL or the map
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
