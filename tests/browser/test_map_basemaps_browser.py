"""Basemap switching with the large layers on, in a real browser (issue 29, item 1).

With a large layer's vector tiles on the map (``minZoom`` = building zoom) and a basemap without
tiles (空白底图), Leaflet took the map's zoom range from the tiled layer: the map jumped from z10
to z14 and could not zoom out again. Each large layer, each basemap the app offers, then back to
the county view with the "−" button and with "fit to county".
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from cyc_geo.catalog.registry import load_registry
from cyc_geo.mapview.basemaps import available_basemaps
from tests.browser.test_browser_map import LONG, _inner_frame, _map_frame, _open, choose_option
from tests.conftest import save_artifact, wait_for_app

pytestmark = pytest.mark.browser

BIG = [layer for layer in load_registry() if layer.big]


def _zoom_state(frame) -> dict:
    return frame.locator(".leaflet-container").evaluate(
        "() => ({z: window.map.getZoom(), min: window.map.getMinZoom(), max: window.map.getMaxZoom(),"
        " outDisabled: document.querySelector('.leaflet-control-zoom-out').classList.contains('leaflet-disabled'),"
        " grids: (() => { let n = 0; window.map.eachLayer(l => { if (L.VectorGrid && l instanceof L.VectorGrid) n++; });"
        " return n; })()})")


def _choose_basemap(page, title: str) -> None:
    choose_option(page, page.get_by_role("combobox", name="底图"), title)


@pytest.mark.parametrize("layer", BIG, ids=[layer.id for layer in BIG])
def test_every_basemap_keeps_the_county_zoom_with_a_large_layer_on(app_url, page, layer):
    frame = _open(page, app_url + f"/?lang=zh&lat=35.19&lon=114.75&z=10&layers=county,townships,{layer.id}")
    # the page polls while the layer's vector tiles are built and reruns once they are ready: wait for them
    frame.locator(".cyc-legend .cyc-only-detail").first.wait_for(state="attached", timeout=300_000)
    wait_for_app(page, timeout_ms=LONG)
    frame = _map_frame(page)
    assert _zoom_state(frame)["grids"] >= 1
    titles = [b.title_zh for b in available_basemaps(None)]
    first = page.get_by_role("combobox", name="底图").input_value()
    assert first in titles
    # every other basemap, then back to the one the page opened with
    for title in [*(t for t in titles if t != first), first]:
        _inner_frame(page).evaluate("() => { window.cycOldMap = true; }")
        _choose_basemap(page, title)
        # the new basemap remounts the map (a new frame without the mark): wait for it, then for the run's end
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('iframe[title=\"streamlit_folium.st_folium\"]')).some("
            "f => f.contentWindow && !f.contentWindow.cycOldMap && f.contentWindow.map)", timeout=LONG)
        wait_for_app(page, timeout_ms=LONG)
        frame = _map_frame(page)
        frame.locator(".cyc-legend .cyc-only-detail").first.wait_for(state="attached", timeout=LONG)
        state = _zoom_state(frame)
        assert state["grids"] >= 1, (title, state)
        assert state["z"] == 10, (title, state)  # was 14 on 空白底图 (the tiles' minZoom)
        assert state["min"] <= 9 and not state["outDisabled"], (title, state)
    # back to the county view from building zoom: the "−" button works ...
    frame.locator(".leaflet-container").evaluate("() => { window.map.setView([35.19, 114.75], 15, {animate: false}); }")
    frame.locator(".leaflet-control-zoom-out").click()
    _inner_frame(page).wait_for_function("() => window.map.getZoom() === 14", timeout=LONG)
    # ... and so does "fit to county", tried on a page opened at building zoom: there the app's view is the map's
    # own, so no rerun answering an earlier view report can move the map back after the click (the view a report
    # carries reaches the map as the component's next arguments, after the script run has ended)
    frame = _open(page, app_url + f"/?lang=zh&lat=35.19&lon=114.75&z=15&layers=county,townships,{layer.id}")
    frame.locator(".cyc-legend").first.wait_for(state="attached", timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    frame = _map_frame(page)
    assert _zoom_state(frame)["z"] == 15
    frame.locator(".cyc-fit a").click()
    try:
        _inner_frame(page).wait_for_function("() => { const z = window.map.getZoom(); return 9 <= z && z <= 11; }",
                                             timeout=LONG)
    except PlaywrightTimeoutError:
        raise AssertionError(f"fit to county did not reach the county view: {_zoom_state(_map_frame(page))}") from None
    save_artifact(page, f"map_basemaps_{layer.id}")


_RADIO_CHOICES = {"中文": [("卷帘对比", "不对比"), ("方向", "横向"), ("内容", "当前视图")],
                  "English": [("Swipe compare", "No comparison"), ("Orientation", "Landscape"),
                              ("Content", "Current view")]}
_PRINT_SECTION = {"中文": "打印版式", "English": "Print layout"}
_YEAR = {"中文": ("地图年份", "当前数据"), "English": ("Map year", "Current data")}


def test_the_basemap_select_reads_the_chosen_basemap_in_each_language(app_url, page):
    """A chosen basemap keeps its place across language switches, named in the page's language, and the radios
    whose labels follow the language show their choice (ui.common.language_choice: a widget per language; one
    serving both kept its old-language label, a select showing it, a radio showing no choice)."""
    from cyc_geo.mapview.basemaps import BASEMAPS

    _open(page, app_url + "/?lang=zh&layers=county&base=blank")
    box = page.get_by_role("combobox", name="底图")
    _inner_frame(page).evaluate("() => { window.cycOldMap = true; }")
    _choose_basemap(page, BASEMAPS["osm"].title_zh)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('iframe[title=\"streamlit_folium.st_folium\"]')).some("
        "f => f.contentWindow && !f.contentWindow.cycOldMap && f.contentWindow.map)", timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    _choose_basemap(page, BASEMAPS["blank"].title_zh)
    expect(page).to_have_url(re.compile(r"base=blank"), timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    sidebar = page.get_by_test_id("stSidebar")
    for choice, label, title in [("English", "Basemap", BASEMAPS["blank"].title_en),
                                 ("中文", "底图", BASEMAPS["blank"].title_zh),
                                 ("English", "Basemap", BASEMAPS["blank"].title_en)]:
        sidebar.get_by_text(choice, exact=True).click()
        box = page.get_by_role("combobox", name=label)
        expect(box).to_have_value(title, timeout=LONG)
        wait_for_app(page, timeout_ms=LONG)
        expect(box).to_have_value(title, timeout=LONG)
        # the radios whose labels follow the language show their choice in it (they showed none after a switch)
        year = page.get_by_role("combobox", name=_YEAR[choice][0])
        expect(year).to_have_value(_YEAR[choice][1], timeout=LONG)  # not an empty select
        page.locator("summary", has_text=_PRINT_SECTION[choice]).click()  # the print radios are in its expander
        for group, option in _RADIO_CHOICES[choice]:
            radio = page.get_by_test_id("stRadio").filter(has_text=group).get_by_role("radio", name=option, exact=True)
            expect(radio).to_be_checked(timeout=LONG)
        # and the page ran to its end: after two switches the year select handed back its label, and
        # int("Current data") broke the page
        expect(page.locator('iframe[title="streamlit_folium.st_folium"]')).to_have_count(1, timeout=LONG)
        assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    expect(page).to_have_url(re.compile(r"base=blank"), timeout=LONG)
    save_artifact(page, "map_basemap_english")
