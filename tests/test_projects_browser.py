"""The projects page in a real browser: the Draw toolbar loads from local files and a drawn
rectangle is land-checked (anonymous user: nothing is saved)."""

from __future__ import annotations

import pytest
from conftest import save_artifact, wait_for_app

LONG = 240_000


@pytest.mark.browser
def test_draw_a_site_and_see_its_land_check(app_url, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{app_url}/projects")
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("重点项目表（附件2）").first.wait_for(timeout=LONG)
    page.keyboard.press("Escape")
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    rect_tool = frame.locator(".leaflet-draw-draw-rectangle")
    rect_tool.wait_for(timeout=LONG)
    assert not [u for u in requests if "cdnjs" in u or "leaflet.draw" in u and "/app/static/" not in u]
    assert any("/app/static/vendor/leaflet-draw/" in u for u in requests)

    rect_tool.click()
    box = frame.locator(".leaflet-container").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 120, y0 + 90, steps=6)
    page.mouse.up()
    page.get_by_text("绘制地块预检").first.wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    body = page.inner_text("body")
    assert "面积 (亩)" in body
    # anonymous: the check is shown but there is no save button
    assert page.get_by_role("button", name="保存为项目 1 的地块").count() == 0
    save_artifact(page, "projects_drawn_site")
