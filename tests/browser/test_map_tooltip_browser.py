"""A hover card with a long value wraps and stays inside the map (cyc_geo.mapview.webmap ``TIP_MAX_PX``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from cyc_geo.mapview import webmap
from cyc_geo.mapview.export import standalone_html
from tests.mapview.test_security_map import TOWNSHIPS

pytestmark = pytest.mark.browser

LONG_TEXT = "已完成土地预审与环评批复，正在进行施工图设计和设备招标，预计下季度开工建设并同步推进并网接入手续" * 3


def test_a_long_hover_card_wraps_and_stays_inside_the_map(browser, tmp_path: Path):
    # one ~4 km square a little right of the map's centre: Leaflet puts its card on the left, towards the centre
    frame = gpd.GeoDataFrame({"code": ["410783001"], "name": [LONG_TEXT]},
                             geometry=[box(114.73, 35.17, 114.77, 35.21)], crs="EPSG:4326")
    fmap = webmap.base_map("blank", center=(35.19, 114.69), zoom=12, fit_bounds=((35.1, 114.5), (35.3, 114.9)))
    webmap.add_label_css(fmap)
    webmap.layer_group(dataclasses.replace(TOWNSHIPS, label=None), frame, "zh").add_to(fmap)
    out = tmp_path / "map.html"
    out.write_text(standalone_html(fmap), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 760, "height": 600})
    page = ctx.new_page()
    try:
        page.goto(out.as_uri())
        page.wait_for_selector(".leaflet-container")
        pt = page.evaluate("() => { const m = Object.values(window).find(v => v && v instanceof L.Map);"
                           " const p = m.latLngToContainerPoint([35.19, 114.75]); return [p.x, p.y]; }")
        page.mouse.move(pt[0], pt[1])
        tip = page.locator(".leaflet-tooltip")
        tip.wait_for()
        card, frame_box = tip.bounding_box(), page.locator(".leaflet-container").bounding_box()
        assert card["width"] <= webmap.TIP_MAX_PX + 1, card
        assert card["x"] >= frame_box["x"] and card["x"] + card["width"] <= frame_box["x"] + frame_box["width"], \
            (card, frame_box)
        assert LONG_TEXT in tip.inner_text().replace("\n", "")
    finally:
        ctx.close()
