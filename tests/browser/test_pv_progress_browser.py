"""The PV page in the real app and headless Chromium: it opens with installed progress (chart drawn,
goal status on installed capacity) and labels the rooftop model as technical potential."""

from __future__ import annotations

import re

import pytest
from conftest import save_artifact, start_app, stop_app, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_pv_page_shows_progress_chart_status_and_potential(browser, tmp_path):
    proc, url = start_app({"CYC_GEO_DB": str(tmp_path / "pv_progress.sqlite")}, timeout_s=120)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2600}, locale="zh-CN")
    page = ctx.new_page()
    try:
        page.goto(f"{url}/pv?lang=zh")
        wait_for_app(page, timeout_ms=240_000)
        page.keyboard.press("Escape")
        status = page.get_by_text(re.compile(r"已并网 [\d,.]+ MW，距 2024 年 70 MW 目标缺口 [\d,.]+ MW（未达标"))
        status.wait_for(timeout=180_000)
        page.get_by_text("累计已并网装机与 70 MW 目标").wait_for(timeout=60_000)
        charts = page.locator("[data-testid='stVegaLiteChart']")
        charts.first.wait_for(timeout=60_000)
        canvas = charts.first.locator("canvas, svg").first
        canvas.wait_for(timeout=60_000)
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, box
        # the chart sits between the progress heading and the township bars: it is the progress chart
        heading_y = page.get_by_text("累计已并网装机与 70 MW 目标").bounding_box()["y"]
        towns_y = page.get_by_text("分乡镇已并网装机").bounding_box()["y"]
        assert heading_y < box["y"] < towns_y
        # potential is labelled as potential, below the progress
        potential = page.get_by_text("屋顶开发比例情景潜力（非装机、非技术上限）")
        potential.wait_for(timeout=60_000)
        assert potential.bounding_box()["y"] > towns_y
        page.get_by_text("补足缺口需要什么（整县推进比例情景潜力）").wait_for(timeout=60_000)
        page.get_by_text("潜力装机容量").first.wait_for(timeout=60_000)
        assert page.get_by_text(re.compile("已达")).count() == 0
        assert page.get_by_test_id("stException").count() == 0
    finally:
        save_artifact(page, "pv_progress")
        ctx.close()
        stop_app(proc)
