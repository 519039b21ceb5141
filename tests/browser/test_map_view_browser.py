"""The map's current view in a real browser: opening the map reruns nothing, and once the map has been moved the
print layout's "current view" is the extent the map shows (ui.map_view, ui.folium_map.ReportedBoundsPreset)."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser_map import LONG, _inner_frame, _open
from tests.conftest import open_expander, save_artifact, wait_for_app

pytestmark = pytest.mark.browser

PENDING = """() => {
  const g = window.__GLOBAL_DATA__, b = JSON.stringify(window.map.getBounds());
  return {preset: JSON.stringify((g.previous_data || {}).bounds || null), now: b, keys: Object.keys(g.previous_data || {})};
}"""
"""What the frontend counts as reported (its ``previous_data``) against the map's bounds now: equal, the frontend
sends nothing, so the page does not run again."""

EXTENT_KM = """() => { const b = window.map.getBounds(), mid = (b.getSouth() + b.getNorth()) / 2;
  return [(b.getEast() - b.getWest()) * 111.32 * Math.cos(mid * Math.PI / 180), (b.getNorth() - b.getSouth()) * 111.32]; }"""


def test_the_print_layout_prints_the_extent_the_moved_map_shows(page, app_url):
    page.set_viewport_size({"width": 1400, "height": 1000})
    _open(page, f"{app_url}/?layers=county&lat=35.20000&lon=114.70000&z=13&base=blank")
    wait_for_app(page, timeout_ms=LONG)
    inner = _inner_frame(page)
    inner.wait_for_function("() => window.map && window.__GLOBAL_DATA__", timeout=LONG)
    # opened: the frontend holds the map's own bounds as already reported, in its key order
    opened = inner.evaluate(PENDING)
    assert opened["preset"] == opened["now"], opened
    assert opened["keys"] == ["last_clicked", "all_drawings", "last_active_drawing", "bounds", "zoom", "center"]

    # a drag moves the map: the page reruns with the view and the bounds the map shows
    frame_box = page.locator('iframe[title="streamlit_folium.st_folium"]').last.bounding_box()
    x, y = frame_box["x"] + frame_box["width"] / 2, frame_box["y"] + frame_box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x - 25 * step, y - 12 * step)
    page.mouse.up()
    expect(page).not_to_have_url(re.compile(r"lon=114\.70000"), timeout=LONG)  # the rerun has started ...
    wait_for_app(page, timeout_ms=LONG)  # ... and ended
    width_km, height_km = inner.evaluate(EXTENT_KM)

    open_expander(page, page.get_by_text("打印版式（PDF：图例、比例尺、指北针、数据来源）"))
    page.get_by_role("button", name="生成 PDF").click()
    caption = page.get_by_text(re.compile(r"已按当前视图排版：约 [\d.,]+ × [\d.,]+ km（超出市域的部分裁去）"))
    expect(caption).to_be_visible(timeout=LONG)
    expect(page.get_by_role("button", name="下载 PDF")).to_be_visible(timeout=LONG)
    shown = re.search(r"约 ([\d.,]+) × ([\d.,]+) km", caption.inner_text())
    got_w, got_h = (float(v.replace(",", "")) for v in shown.groups())
    assert math.isclose(got_w, width_km, abs_tol=0.06) and math.isclose(got_h, height_km, abs_tol=0.06), \
        (got_w, got_h, width_km, height_km)
    # a zoom-13 view of a ~1000 px map is ~15 km wide, not the ~20 km of the old 1400 × 900 px assumption
    assert got_w < 18
    save_artifact(page, "map_print_current_view")
