"""Hostile names in an exported map, opened in headless Chromium: shown as text, nothing runs
(the payloads and the PNG browser: tests/mapview/test_security_map.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mapview.test_security_map import HOSTILE, hostile_map_html


# after the PNG test: the module-scoped Playwright fixture would block html_to_png's own
@pytest.mark.browser
def test_exported_map_shows_hostile_names_as_text_and_runs_nothing(browser, tmp_path: Path):
    out = tmp_path / "changyuan_map.html"
    out.write_text(hostile_map_html(), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_selector(".cyc-label")
    labels = page.locator(".cyc-label").all_text_contents()
    assert sorted(labels) == sorted(HOSTILE)
    # hover the first township (its label sits on it): the tooltip shows the name as text
    bb = page.locator(".cyc-label", has_text="onerror").bounding_box()
    page.mouse.move(bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2 + 12)
    page.wait_for_selector(".leaflet-tooltip")
    assert HOSTILE[0] in page.locator(".leaflet-tooltip").inner_text()
    assert HOSTILE[0] in page.locator(".cyc-map-title").inner_text()
    assert HOSTILE[1] in page.locator(".cyc-legend-ctl").inner_text()
    page.wait_for_timeout(300)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("iframe").count() == 0
    assert page.locator(".cyc-label b, .leaflet-tooltip b").count() == 0
    assert dialogs == [] and errors == []
    ctx.close()
