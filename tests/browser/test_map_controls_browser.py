"""The map's own controls in a real browser: measure, highlight of the clicked feature, place search.

Playwright + Debian chromium against the running app (fixtures in ``tests/conftest.py``).
"""

from __future__ import annotations

import pytest
import shapely
from playwright.sync_api import expect

from cyc_geo.mapview.controls import HIGHLIGHT_COLOUR, area_mu, geodesic_length_m
from tests.browser.test_browser_map import LONG, _click_latlng, _inner_frame, _interior_point, _open
from tests.conftest import save_artifact, wait_for_app

pytestmark = pytest.mark.browser


def _measure_out(frame) -> dict:
    return frame.locator(".cyc-measure-out").evaluate(
        "e => ({km: +e.dataset.km, mu: +e.dataset.mu, n: +e.dataset.points, text: e.textContent})")


def test_measure_a_known_distance_and_area_in_km_and_mu(app_url, page):
    frame = _open(page, app_url + "/?lat=35.20000&lon=114.67000&z=11&layers=county,townships")
    frame.locator(".cyc-measure a.cyc-measure-toggle").click()
    a, b, c = (35.15, 114.62), (35.25, 114.72), (35.25, 114.62)
    _click_latlng(page, frame, *a)
    page.wait_for_timeout(1500)  # a click reaching the app would rerun it here and cancel the measurement
    _click_latlng(page, frame, *b)
    expect(frame.locator(".cyc-measure-out")).to_have_attribute("data-points", "2", timeout=LONG)
    out = _measure_out(frame)
    assert out["n"] == 2, out
    expected_km = geodesic_length_m([(a[1], a[0]), (b[1], b[0])]) / 1000  # ≈ 14.2 km
    assert abs(out["km"] - expected_km) / expected_km < 0.01, (out, expected_km)
    assert "km" in out["text"]
    _click_latlng(page, frame, *c)
    expect(frame.locator(".cyc-measure-out")).to_have_attribute("data-points", "3", timeout=LONG)
    out = _measure_out(frame)
    tri = shapely.Polygon([(a[1], a[0]), (b[1], b[0]), (c[1], c[0])])
    expected_mu = area_mu(tri)  # ≈ 7.6e4 亩
    assert out["n"] == 3 and abs(out["mu"] - expected_mu) / expected_mu < 0.015, (out, expected_mu)
    assert "亩" in out["text"]
    # the clicks never reached the app: nothing selected in the side panel
    assert page.get_by_text("点击地图上的乡镇", exact=False).count() == 1
    save_artifact(page, "map_measure")


def test_click_a_township_highlights_it(app_url, page):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    row = towns[towns["name"] == "恼里镇"].iloc[0]
    pt = _interior_point(row.geometry, row.geometry.representative_point())
    frame = _open(page, app_url + "/?layers=county,townships")
    _click_latlng(page, frame, pt.y, pt.x)
    page.locator("[data-testid='stTable']", has_text="恼里镇").first.wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    js = (f"() => {{ let out = null; window.map.eachLayer(l => {{ if (l.options && l.options.color === '{HIGHLIGHT_COLOUR}' && l.getBounds)"
          " { const b = l.getBounds(); out = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; } }); return out; }")
    box = None
    for _ in range(40):
        box = frame.locator(".leaflet-container").evaluate(js)
        if box:
            break
        page.wait_for_timeout(300)
    assert box, "no highlighted feature on the map"
    w, s, e, n = row.geometry.bounds
    assert box == pytest.approx([s, w, n, e], abs=2e-4)  # the township itself, not a neighbour
    save_artifact(page, "map_highlight")


def test_search_a_township_by_name_lands_on_it(app_url, page):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    row = towns[towns["name"] == "恼里镇"].iloc[0]
    frame = _open(page, app_url + "/?layers=county,townships")
    box = frame.locator(".cyc-search input")
    box.fill("恼里")
    frame.locator(".cyc-search li", has_text="恼里镇").first.wait_for(timeout=10_000)
    box.press("Enter")
    # the map flies to the township (animated): wait for the zoom-in, not a fixed time
    _inner_frame(page).wait_for_function("() => window.map.getZoom() >= 11", timeout=LONG)
    view = frame.locator(".leaflet-container").evaluate(
        "() => { const b = window.map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(),"
        " window.map.getZoom()]; }")
    s, w, n, e, zoom = view
    tw, ts, te, tn = row.geometry.bounds
    assert s <= ts and w <= tw and n >= tn and e >= te  # the whole township in view …
    assert zoom >= 11  # … zoomed in from the county view (10)
    centre = row.geometry.centroid
    assert abs((s + n) / 2 - centre.y) < (tn - ts) and abs((w + e) / 2 - centre.x) < (te - tw)


def test_map_fills_the_window_at_1400x900_with_the_viewer_toolbar(app_url, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    try:
        frame = _open(page, app_url + "/?layers=county,townships,projects")
        box = page.locator('iframe[title="streamlit_folium.st_folium"]').bounding_box()
        assert box["y"] < 200, box  # title and the one-line demo notice only above the map
        assert 850 <= box["y"] + box["height"] <= 900, box  # down to the window's bottom, not below the fold
        assert page.get_by_text("Deploy", exact=True).count() == 0  # viewer toolbar: no developer menu
        # the demo notice is one expandable line
        notice = page.get_by_test_id("stExpander").filter(has_text="演示数据").first
        assert notice.bounding_box()["height"] < 60
        # project 3 is one legend entry, drawn as an outline
        rows = frame.locator(".cyc-legend .cyc-row", has_text="屋顶光伏覆盖范围")
        assert rows.count() == 1
    finally:
        ctx.close()
