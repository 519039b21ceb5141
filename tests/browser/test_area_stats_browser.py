"""区域统计 in a real browser: a rectangle drawn with the map's drawing tools (served locally) gets its statistics."""

from __future__ import annotations

import pytest
from conftest import open_expander, save_artifact, wait_for_app

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LONG = 240_000


def test_draw_a_rectangle_on_the_map_and_get_its_statistics(app_url, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_url}/?layers=county,townships&lat=35.2&lon=114.7&z=12")
    wait_for_app(page, timeout_ms=LONG)
    frame = page.frame_locator(MAP_IFRAME).last
    rect_tool = frame.locator(".leaflet-draw-draw-rectangle")
    rect_tool.wait_for(timeout=LONG)
    assert any("/app/static/vendor/leaflet-draw/" in u for u in requests)
    assert not [u for u in requests if "cdnjs" in u]

    rect_tool.click()
    box = frame.locator(".leaflet-container").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 140, y0 + 100, steps=6)
    page.mouse.up()
    wait_for_app(page, timeout_ms=LONG)
    open_expander(page, page.get_by_text("区域统计", exact=True).first)
    page.get_by_text("打开区域统计").first.click()
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("地图上绘制的多边形").first.click()
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_role("button", name="统计").click()
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("下载区域统计 (Excel)").first.wait_for(timeout=LONG)
    body = page.inner_text("body")
    assert "亩" in body and "下载区域统计 (Excel)" in body
    save_artifact(page, "area_stats_drawn")
