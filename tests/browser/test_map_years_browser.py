"""The map's year compare mode in a real browser: two years side by side at a swipe divider, the change layer."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LONG = 120_000  # ms: the first visit builds the year layers on a fresh machine


def test_compare_2022_with_2024_draws_both_years_fewer_installations_in_2022_and_the_change_layer(page, app_url):
    page.goto(f"{app_url}/?year=2022&cmp=2024&layers=county,townships,landcover,pv_installations")
    wait_for_app(page, timeout_ms=LONG)
    outer = page.frame_locator(MAP_IFRAME).last
    outer.locator(".leaflet-sbs-divider").wait_for(timeout=LONG)  # the compare control is on the map
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    # every year layer reports its features once drawn (cyc_geo.mapview.webmap.FastGeoJson, ``tag``)
    frame.wait_for_function("() => window.cycDrawn && ['pv_installations@2022', 'pv_installations@2024', 'change']"
                            ".every(k => k in window.cycDrawn)", timeout=LONG)
    drawn = frame.evaluate("() => window.cycDrawn")
    assert 0 < drawn["pv_installations@2022"] < drawn["pv_installations@2024"], drawn
    assert drawn["change"] > 0
    sides = frame.evaluate(
        """() => ['cycOverA', 'cycOverB'].map(n => {
               const p = document.querySelector('.leaflet-' + n + '-pane');
               return {canvas: !!(p && p.querySelector('canvas')), image: !!(p && p.querySelector('img')),
                       clip: p ? p.style.clip : ''}; })""")
    for side in sides:  # both maps drawn (installations on a canvas, the year's land cover as an image), clipped
        assert side["canvas"] and side["image"] and side["clip"].startswith("rect("), sides
    assert sides[0]["clip"] != sides[1]["clip"]
    assert outer.locator(".cyc-sbs-labels").inner_text().split() == ["2022", "2024"]
    titles = outer.locator(".cyc-legend h4").all_text_contents()
    assert "变化图层 2022→2024" in titles, titles
    legend = outer.locator(".cyc-legend").inner_text()
    assert "新增并网光伏 359 个" in legend and "耕地减少" in legend and "亩" in legend
