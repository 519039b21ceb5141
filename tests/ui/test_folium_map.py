"""The map component with shared rendering (ui.folium_map): the same arguments as st_folium, and a
first-view value the frontend reports unchanged (so a visit runs the page once)."""

from __future__ import annotations

import json
import re

import folium
import pytest
import streamlit_folium as sf

from cyc_geo.mapview.controls import highlight_group
from cyc_geo.mapview.webmap import base_map
from ui import folium_map

IDS = re.compile(r"_[0-9a-f]{32}")


def _map_and_groups():
    fmap = base_map("blank", center=(35.25, 114.6), zoom=11, fit_bounds=((35.0, 114.5), (35.4, 115.0)), lang="zh")
    g = folium.FeatureGroup(name="squares")
    folium.GeoJson({"type": "Feature", "properties": {"name": "甲"},
                    "geometry": {"type": "Point", "coordinates": [114.7, 35.2]}}).add_to(g)
    return fmap, [g, highlight_group(None)]


def _strip(text):
    return IDS.sub("_ID", text) if isinstance(text, str) else text


def test_rendered_arguments_are_what_st_folium_sends(monkeypatch):
    sent = {}
    monkeypatch.setattr(sf, "_component_func", lambda **kw: sent.update(kw) or None)
    fmap, groups = _map_and_groups()
    sf.st_folium(fmap, feature_group_to_add=groups, center=(35.25, 114.6), zoom=11, height=620,
                 use_container_width=True, returned_objects=list(folium_map.REPORTED), key="k")
    mine = folium_map.render(*_map_and_groups(), key="k")
    for field, arg in (("script", "script"), ("header", "header"), ("html", "html"), ("feature_group", "feature_group")):
        assert _strip(getattr(mine, field)) == _strip(sent[arg]), field
    assert list(mine.css_links) == sent["css_links"] and list(mine.js_links) == sent["js_links"]
    assert mine.hash_key == sent["key"]  # the component keeps its identity: no remount when switching
    assert any("VectorGrid" in link for link in mine.js_links)


def test_first_view_is_the_frontend_report_of_an_unmoved_map():
    # the frontend builds {last_clicked, …, zoom, …, center}, filters it by returned_objects and
    # compares JSON texts: same keys, same order, the numbers the map was created with
    got = folium_map.first_view((35.19, 114.75), 10)
    assert json.dumps(got, separators=(",", ":")) == '{"last_clicked":null,"zoom":10,"center":{"lat":35.19,"lng":114.75}}'
    assert list(folium_map.first_view((1.5, 2.5), 12, ("center", "last_clicked"))) == ["last_clicked", "center"]
    # the map page's map also reports its drawings (标注) and the last one (区域统计): none when it opens
    drawn = folium_map.first_view((35.2, 114.7), 11, (*folium_map.REPORTED, "last_active_drawing", "all_drawings"))
    assert json.dumps(drawn, separators=(",", ":")) == ('{"last_clicked":null,"all_drawings":null,"last_active_drawing":null,'
                                                        '"zoom":11,"center":{"lat":35.2,"lng":114.7}}')
    # the bounds depend on the map's size in the browser: left out, the map's own bounds are preset in the frontend
    with_bounds = folium_map.first_view((35.19, 114.75), 10, (*folium_map.REPORTED, "bounds"))
    assert json.dumps(with_bounds, separators=(",", ":")) == '{"last_clicked":null,"zoom":10,"center":{"lat":35.19,"lng":114.75}}'
    with pytest.raises(ValueError, match="selected_layers"):
        folium_map.first_view((35.19, 114.75), 10, ("selected_layers",))


def test_the_bounds_preset_writes_what_the_frontend_reports_in_its_key_order():
    fmap, _ = _map_and_groups()
    folium_map.ReportedBoundsPreset(("zoom", "bounds", "last_clicked", "center")).add_to(fmap)
    script = folium_map.render(fmap, [], key="k").script
    assert '["last_clicked", "bounds", "zoom", "center"]' in script  # the frontend's order, not the caller's
    assert "g.previous_data = now" in script and "m.on('resize', preset)" in script


def test_the_map_opens_at_the_view_it_is_told():
    fmap, _ = _map_and_groups()
    script = folium_map.render(fmap, [], key="k").script
    assert re.search(r"center:\s*\[35\.25,\s*114\.6\]", script) and re.search(r"\"zoom\": 11\b", script)
    assert "HoldOpeningView" not in script and "{reset: true}" in script  # the view is held against layout resizes
