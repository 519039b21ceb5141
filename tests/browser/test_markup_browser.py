"""标注 / Markup in a real browser: a polygon and a text note drawn with the map's tools, printed in the A3 PDF
(the note's text on the map as PDF text, the markup's legend section)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ARTIFACTS, open_expander, wait_for_app
from playwright.sync_api import expect

from cyc_geo.exports.pdf import pdf_text

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LONG = 240_000
NOTE = "现场踏勘集合点"
PICK_PROMPT = "点击地图上的乡镇、屋顶、林地斑块或项目查看数据。"
"""The side panel (所选要素) while nothing on the map is picked (views/map.py)."""

POLYGON_TOOL_READY = """() => {
    // Leaflet.draw ignores a press for 50 ms after each vertex (its _disableMarkers flag): wait until the
    // polygon tool takes the next one
    for (const k of Object.keys(window)) {
        const v = window[k];
        if (v && window.L && L.Control.Draw && v instanceof L.Control.Draw) {
            const h = v._toolbars.draw._modes.polygon.handler;
            return h.enabled() && !h._disableMarkers;
        }
    }
    return false;
}"""


def test_draw_a_polygon_and_a_note_and_print_them_on_a3(app_url, page):
    page.goto(f"{app_url}/?layers=county,townships&lat=35.2&lon=114.7&z=12")
    wait_for_app(page, timeout_ms=LONG)
    frame = page.frame_locator(MAP_IFRAME).last
    polygon_tool = frame.locator(".leaflet-draw-draw-polygon")
    polygon_tool.wait_for(timeout=LONG)
    box = frame.locator(".leaflet-container").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5

    # a polygon: three clicks, then the tool's 完成 (finish)
    polygon_tool.click()
    inner = next(f for f in page.frames if "streamlit_folium" in f.url)
    for n, (dx, dy) in enumerate(((0, 0), (150, 10), (70, 120)), start=1):
        inner.wait_for_function(POLYGON_TOOL_READY, timeout=LONG)
        page.mouse.move(cx + dx, cy + dy)
        page.mouse.click(cx + dx, cy + dy)
        expect(frame.locator(".leaflet-editing-icon")).to_have_count(n, timeout=LONG)  # the vertex is placed
    frame.locator(".leaflet-draw-actions").get_by_role("link", name="完成").click()
    expect(page.get_by_text("标注（1）")).to_be_visible(timeout=LONG)  # the page has taken the drawing
    wait_for_app(page, timeout_ms=LONG)
    # the vertices were not clicks on the map: the run that took the drawing picked no township under them (the
    # drawing's report carries the map's last click, so a vertex taken as a click would show its township here)
    expect(page.get_by_text(PICK_PROMPT)).to_be_visible(timeout=LONG)
    expect(page.locator("[data-testid='stTable']")).to_have_count(0)

    # a point, given its text in the markup panel: a text note
    frame.locator(".leaflet-draw-draw-marker").click()
    page.mouse.move(cx - 120, cy - 60)
    page.mouse.click(cx - 120, cy - 60)
    expect(page.get_by_text("标注（2）")).to_be_visible(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    open_expander(page, page.get_by_text("标注（2）"))
    page.get_by_label("注记文字").fill(NOTE)
    page.get_by_label("注记文字").press("Enter")
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_role("button", name="设置文字").click()
    expect(page.get_by_text("已设置注记文字。")).to_be_visible(timeout=LONG)
    expect(frame.locator(".cyc-note-icon", has_text=NOTE)).to_be_visible(timeout=LONG)  # the map shows the note
    expect(frame.locator(".cyc-legend", has_text="文字注记")).to_be_visible(timeout=LONG)  # and its legend row
    wait_for_app(page, timeout_ms=LONG)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(MAP_IFRAME).last.screenshot(path=str(ARTIFACTS / "markup_map.png"))

    # the A3 print of the view
    open_expander(page, page.get_by_text("打印版式（PDF：图例、比例尺、指北针、数据来源）"))
    paper = page.get_by_test_id("stRadio").filter(has_text="纸张")
    paper.get_by_text("A3", exact=True).click()
    expect(paper.get_by_role("radio", name="A3")).to_be_checked(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_role("button", name="生成 PDF").click()
    download = page.get_by_role("button", name="下载 PDF")
    download.wait_for(timeout=LONG)
    with page.expect_download(timeout=LONG) as dl:
        download.click()
    data = Path(dl.value.path()).read_bytes()
    (ARTIFACTS / "markup_a3.pdf").write_bytes(data)
    text = pdf_text(data)
    assert NOTE in text  # the note's text printed on the map
    assert "标注" in text and "标注范围（面）" in text and "文字注记" in text  # the markup's legend section
    assert "（A3）" in text

    # deleting an item keeps the panel open on the list that is left (its label, the count, changes: the panel
    # used to fold, so a planner deleting several items had to open it each time)
    page.get_by_role("button", name="删除此项").click()
    summary = page.get_by_text("标注（1）")
    expect(summary).to_be_visible(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    assert summary.locator("xpath=ancestor::details[1]").evaluate("d => d.open")
    expect(page.get_by_role("button", name="删除此项")).to_be_visible(timeout=LONG)
