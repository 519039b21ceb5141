"""The map in a real browser (Playwright + Debian chromium against the running app).

Proof for the README that the app works: it loads with legend and controls,
every layer toggles on and off, a click on a township or a roof opens its
panel, the language switch relabels the map, and each main view is saved as a
screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from playwright.sync_api import expect

from cyc_geo.catalog.registry import load_registry
from tests.conftest import open_expander, save_artifact, wait_for_app

pytestmark = pytest.mark.browser

MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LONG = 120_000  # ms: the first visit builds demo data and vector tiles on a fresh machine


def _map_frame(page, timeout_s: float = 120):
    """The map's iframe once the rerun is over (a remount briefly shows the old and the new one)."""
    for _ in range(int(timeout_s / 0.3)):
        if page.locator(MAP_IFRAME).count() == 1:
            break
        page.wait_for_timeout(300)
    return page.frame_locator(MAP_IFRAME).last


STILL_AROUND = """([box, frames]) => {
  const w = window;
  if (!w.cycScrollCount) { w.cycScrollCount = [0]; w.addEventListener('scroll', () => w.cycScrollCount[0]++, true); }
  const s = box.cycStill || (box.cycStill = {key: '', frames: 0});
  const r = box.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight) {
    box.scrollIntoView({block: 'center', inline: 'nearest'});
    s.frames = 0;
    return false;
  }
  const moving = document.getAnimations().some(a => a.playState === 'running' && a.effect && a.effect.target
    && a.effect.target.contains(box) && a.effect.getComputedTiming().endTime !== Infinity);
  const key = w.cycScrollCount[0] + ' ' + r.top;
  if (moving || s.key !== key) { s.key = key; s.frames = 0; return false; }
  if (++s.frames < frames) return false;
  box.cycStill = null;
  return true;
}"""
"""True once ``box`` is in view and nothing around it moves, polled once a frame: for ``frames`` frames in a row no
running animation of an element holding it (an expander opening animates its ``details`` for 500 ms, scrolling it
and the main area), no scroll event anywhere in the page, and the same place on screen (content drawn late above it,
such as a chart, pushes it down; pushed out of view it is brought back to the middle). Streamlit's selects
(react-aria) close an open list when an element holding them scrolls, and Playwright's click scrolls a box that is
out of view."""

RECORD_LIST_EVENTS = """box => {
  const t0 = performance.now(), log = [];
  const name = e => e === document ? 'document' : (e.dataset && e.dataset.testid) || e.tagName || String(e);
  const at = () => Math.round(performance.now() - t0) + 'ms';
  window.addEventListener('scroll', e => log.push(at() + ' scroll ' + name(e.target) + ' to ' + e.target.scrollTop
    + (document.querySelector('[role=listbox]') ? ' (list shown)' : '')), true);
  for (const type of ['pointerdown', 'pointerup', 'click', 'focus', 'blur'])
    box.addEventListener(type, () => log.push(at() + ' ' + type), true);
  document.addEventListener('click', e => e.target.closest && e.target.closest('[role=option]')
    && log.push(at() + ' click option ' + e.target.closest('[role=option]').textContent), true);
  new MutationObserver(() => log.push(at() + ' aria-expanded=' + box.getAttribute('aria-expanded')))
    .observe(box, {attributes: true, attributeFilter: ['aria-expanded']});
  new MutationObserver(() => log.push(at() + ' script ' + document.querySelector('[data-testid=stApp]')
    .getAttribute('data-test-script-state'))).observe(document.querySelector('[data-testid=stApp]'),
    {attributes: true, attributeFilter: ['data-test-script-state']});
  log.push('main at ' + document.querySelector('[data-testid=stMain]').scrollTop);
  box.cycListLog = log;
}"""
"""Records, from just before :func:`choose_option`'s click, what can close a select's list (a scroll of an element
holding it, a blur, a rerun) next to the clicks' own events, so that a choice that did not take names its cause."""

READ_LIST_EVENTS = "box => (box.cycListLog || ['the box was replaced after the click']).slice(0, 80).join('; ')"


def _wait_still(page, box, timeout_ms: float, frames: int = 3) -> None:
    """Wait until nothing around ``box`` moves (:data:`STILL_AROUND`)."""
    page.wait_for_function(STILL_AROUND, arg=[box.element_handle(timeout=timeout_ms), frames], polling="raf",
                           timeout=timeout_ms)


def choose_option(page, box, name: str | re.Pattern, exact: bool = True, timeout_ms: float = 60_000) -> None:
    """Pick the option ``name`` of the select or multiselect whose text box (role ``combobox``) is ``box``, and wait
    until the widget shows it chosen (a select's text, a multiselect's tag; a multiselect's list is then closed).

    The list is opened from the keyboard (focus, ArrowDown) and the option clicked, each once ``box`` is in view and nothing around it moves
    (:data:`STILL_AROUND`): Streamlit's selects (react-aria) close an open list when an element holding them scrolls,
    and on a loaded machine a scroll came right after the click had opened the list (``aria-expanded`` went true,
    then ``stMain`` or the ``details`` of an expander still opening scrolled, then false; or a chart drawn late above
    the box had pushed it out of view, and the click's own scroll to it closed the list). ``box`` is put in the middle
    of its container first, so the list has room and neither Playwright's click nor the widget's focus call scrolls.
    ``timeout_ms`` bounds each wait (a loaded machine answers a click in seconds, not in the default 5 s); a choice
    that did not take fails with the events the page saw (:data:`RECORD_LIST_EVENTS`).
    The caller then waits for what the choice changes (the rerun it starts).
    """
    box.evaluate("e => e.scrollIntoView({block: 'center', inline: 'nearest'})")
    _wait_still(page, box, timeout_ms)
    box.evaluate(RECORD_LIST_EVENTS)
    # opened from the keyboard, as a keyboard user does: a click on the box sometimes scrolled the main area right
    # after it (the widget's own reaction; CI run of ca6b898: "click; scroll stMain to 323 (list shown);
    # aria-expanded=false"), which closed the list it had opened
    box.evaluate("e => e.focus({preventScroll: true})")
    box.press("ArrowDown", timeout=timeout_ms)
    widget = box.locator("xpath=ancestor::*[@data-testid='stMultiSelect' or @data-testid='stSelectbox'][1]")
    try:
        expect(box).to_have_attribute("aria-expanded", "true", timeout=timeout_ms)
        option = page.get_by_role("option", name=name, exact=exact)
        option.wait_for(timeout=timeout_ms)
        _wait_still(page, box, timeout_ms)
        option.click(timeout=timeout_ms)
        if widget.get_attribute("data-testid") == "stMultiSelect":
            expect(widget.locator("[data-tag]", has_text=name)).to_be_visible(timeout=timeout_ms)
            page.keyboard.press("Escape")
            expect(box).to_have_attribute("aria-expanded", "false", timeout=timeout_ms)
        else:
            expect(box).to_have_value(name, timeout=timeout_ms)
    except AssertionError as err:
        raise AssertionError(f"choosing {name!r} did not take; what the page saw: {box.evaluate(READ_LIST_EVENTS)}"
                             ) from err


def _open(page, url: str):
    page.goto(url)
    wait_for_app(page, timeout_ms=LONG)
    frame = _map_frame(page)
    frame.locator(".leaflet-container").wait_for(timeout=LONG)
    frame.locator(".cyc-legend").first.wait_for(timeout=LONG)
    return frame


def _inner_frame(page):
    """The map iframe's Frame (``FrameLocator`` has no ``wait_for_function``)."""
    return next(f for f in page.frames if "streamlit_folium" in f.url)


def _legend_titles(frame) -> list[str]:
    return frame.locator(".cyc-legend h4").all_text_contents()


def _wait_legend(page, frame, title: str, present: bool, timeout_s: float = 90) -> None:
    """Wait until the map legend lists (or no longer lists) a layer title."""
    deadline = page.evaluate("Date.now()") + timeout_s * 1000
    while True:
        titles = _legend_titles(frame)
        if any(t.startswith(title) for t in titles) == present:
            return
        if page.evaluate("Date.now()") > deadline:
            raise AssertionError(f"legend {'lacks' if present else 'still has'} {title!r}: {titles}")
        page.wait_for_timeout(300)


def _click_latlng(page, frame, lat: float, lon: float) -> None:
    """Click the map at a geographic point (converted by Leaflet inside the iframe)."""
    pt = frame.locator(".leaflet-container").evaluate(
        f"() => {{ const p = window.map.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}"
    )
    frame.locator(".leaflet-container").click(position={"x": pt[0], "y": pt[1]})


def _interior_point(geom, avoid) -> shapely.Point:
    """A point well inside ``geom`` and away from ``avoid`` (the label marker, which swallows clicks)."""
    inner = geom.buffer(-0.01)
    w, s, e, n = inner.bounds
    xs, ys = np.meshgrid(np.linspace(w, e, 25), np.linspace(s, n, 25))
    pts = shapely.points(xs.ravel(), ys.ravel())
    ok = shapely.contains(inner, pts) & (shapely.distance(pts, avoid) > 0.012)
    return pts[np.flatnonzero(ok)[0]]


def test_app_loads_with_legend_scale_measure_fullscreen_and_fit(app_url, page):
    frame = _open(page, app_url + "/?layers=county,townships,belt,river,rooftops")
    assert page.locator("h1").first.inner_text() == "长垣市碳达峰规划图"
    for sel in (".leaflet-control-scale", ".leaflet-control-measure", ".leaflet-control-zoom-fullscreen", ".cyc-fit"):
        assert frame.locator(sel).count() >= 1, sel
    assert "长垣市界" in _legend_titles(frame)
    _wait_legend(page, frame, "建筑屋顶（光伏潜力） · 光伏潜力", present=True)  # rooftops as hexagons at county zoom
    # the labels are read once the declutter has placed them (the signal the label test waits on)
    frame.locator(".leaflet-container[data-labels-placed]").wait_for(state="attached", timeout=LONG)
    assert {"蒲西街道", "恼里镇", "武邱乡"} <= set(frame.locator(".cyc-label").all_inner_texts())
    # "fit to county" brings the whole county into view from anywhere
    frame.locator(".leaflet-container").evaluate("() => { window.map.setView([35.0, 114.3], 15); }")
    frame.locator(".cyc-fit a").click()
    # the fit is animated: wait for the view to settle at county zoom, not a fixed time
    settled = "() => { const z = window.map.getZoom(); return 9 <= z && z <= 11; }"
    _inner_frame(page).wait_for_function(settled, timeout=LONG)
    page.wait_for_timeout(500)
    wait_for_app(page, timeout_ms=LONG)
    page.wait_for_timeout(1000)
    save_artifact(page, "map_county_view")


def test_a_visit_sends_no_view_back_so_the_page_runs_once_and_a_click_does(app_url, page):
    """The map component reports its view when it differs from the value declared for it; a visit that
    reports nothing costs the server one script run. After the page has laid out, the map still holds
    the exact opening view; a click is then reported (the side panel runs)."""
    frame = _open(page, app_url + "/?layers=county,townships&lat=35.2&lon=114.7&z=11")
    page.wait_for_timeout(2500)  # the debounced report (250 ms) and any late layout resize
    inner = next(f for f in page.frames if "streamlit_folium" in f.url)
    sent, bounds = inner.evaluate("[JSON.stringify(window.__GLOBAL_DATA__.previous_data),"
                                  " JSON.stringify(window.map.getBounds())]")
    # the map also reports the last polygon drawn (区域统计), every drawing (标注), none yet, and its bounds, those of
    # the map as it is (ui.folium_map.ReportedBoundsPreset): nothing differs, so nothing is sent
    assert sent == ('{"last_clicked":null,"all_drawings":null,"last_active_drawing":null,"bounds":' + bounds
                    + ',"zoom":11,"center":{"lat":35.2,"lng":114.7}}')
    _click_latlng(page, frame, 35.21, 114.71)
    page.locator("[data-testid='stTable']").first.wait_for(timeout=LONG)
    reported = inner.evaluate("window.__GLOBAL_DATA__.previous_data.last_clicked")
    assert reported["lat"] == pytest.approx(35.21, abs=1e-3) and reported["lng"] == pytest.approx(114.71, abs=1e-3)


def test_export_files_are_made_when_their_download_is_clicked(app_url, page):
    """HTML and PNG of the current view, each built on its click (deferred download data): the HTML opens
    offline (the layers inline, no tile server), the PNG is an image of the map."""
    _open(page, app_url + "/?layers=county,townships")
    open_expander(page, page.get_by_text("导出当前地图（HTML / PNG）"))
    with page.expect_download(timeout=LONG) as dl:
        page.get_by_role("button", name="下载 HTML").click()
    assert dl.value.suggested_filename == "changyuan_map.html"
    html = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "L.map(" in html and "长垣市界" in html and "/app/static/" not in html
    with page.expect_download(timeout=LONG) as dl:
        page.get_by_role("button", name="下载 PNG").click()
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_layer_toggles_on_and_off(app_url, page):
    frame = _open(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    for layer in load_registry():
        title = layer.title("zh")
        box = sidebar.get_by_role("checkbox", name=title, exact=True)
        was_on = box.is_checked()
        _wait_legend(page, frame, title, present=was_on)
        for state in (not was_on, was_on):
            sidebar.get_by_text(title, exact=True).click()
            assert box.is_checked() == state, title
            _wait_legend(page, frame, title, present=state)  # the rerun has drawn the layer (or removed it) …
            wait_for_app(page, timeout_ms=LONG)  # … and ended: the next click does not land in it


def test_click_on_a_township_shows_its_panel(app_url, page):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    row = towns[towns["name"] == "恼里镇"].iloc[0]
    pt = _interior_point(row.geometry, row.geometry.representative_point())
    frame = _open(page, app_url + "/?layers=county,townships")
    _click_latlng(page, frame, pt.y, pt.x)
    table = page.locator("[data-testid='stTable']", has_text="恼里镇")
    table.first.wait_for(timeout=LONG)
    assert row["code"] in table.first.inner_text()
    save_artifact(page, "map_township_panel")


def test_language_switch_changes_labels(app_url, page):
    frame = _open(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("English", exact=True).click()
    # the click registered (the radio is the language's only source; every full run reads it, and
    # Streamlit folds pending fragment reruns into the full rerun, so a registered switch is not lost) …
    sidebar.get_by_role("radio", name="English").wait_for(state="attached", timeout=10_000)
    assert sidebar.get_by_role("radio", name="English").is_checked()
    # … then wait for the English run to finish (slow on a loaded machine: English payloads are cold)
    page.locator("h1", has_text="Changyuan carbon-peak planning map").wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    frame = _map_frame(page)
    # pinyin labels without the "Subdistrict" / "Town" suffix (cyc_geo.mapview.labels.short_label)
    frame.locator(".cyc-label", has_text=re.compile(r"^Puxi$")).first.wait_for(timeout=LONG)
    frame.locator(".cyc-legend .cyc-title", has_text="Legend").wait_for(timeout=LONG)
    assert "Changyuan city boundary" in _legend_titles(frame)
    assert page.get_by_test_id("stSidebar").get_by_text("Layers", exact=True).count() == 1
    save_artifact(page, "map_english")
    # a click on the legend's heading folds it away (it covers the map on a small screen) and another brings it back
    section = frame.locator(".cyc-legend .cyc-sec").first
    frame.locator(".cyc-legend .cyc-title").click()
    section.wait_for(state="hidden", timeout=10_000)
    frame.locator(".cyc-legend .cyc-title").click()
    section.wait_for(state="visible", timeout=10_000)


def test_roofs_at_building_zoom_come_from_vector_tiles_and_are_clickable(app_url, page):
    from cyc_geo.pv.rooftops import load_rooftops

    roofs = load_rooftops()
    # a large roof near the city centre, so that a click lands inside it
    big = roofs[(roofs["area_m2"] > 600)]
    roof = big.iloc[int(np.argmin((big["lon"] - 114.68) ** 2 + (big["lat"] - 35.20) ** 2))]
    inside = roof.geometry.representative_point()
    frame = _open(page, app_url + f"/?lat={inside.y:.5f}&lon={inside.x:.5f}&z=17&layers=county,rooftops")
    # tiles may still be building on a fresh machine: the page polls and adds them when ready
    # (the tile view's legend section is the layer's title, shown from building zoom on)
    frame.locator(".cyc-legend .cyc-only-detail h4", has_text="建筑屋顶（光伏潜力）").wait_for(
        state="attached", timeout=180_000)
    tiles = frame.locator(".leaflet-tile-container canvas")
    tiles.first.wait_for(state="attached", timeout=LONG)
    # the tiles paint once their data arrive: wait for painted pixels, not a fixed time
    _inner_frame(page).wait_for_function(
        "() => Array.from(document.querySelectorAll('.leaflet-tile-container canvas')).reduce((n, c) => {"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let k = 0;"
        " for (let i = 3; i < d.length; i += 4) if (d[i] > 0) k++; return n + k; }, 0) > 1000",
        timeout=LONG)
    _click_latlng(page, frame, inside.y, inside.x)
    table = page.locator("[data-testid='stTable']", has_text="屋顶编号")
    table.first.wait_for(timeout=LONG)
    assert re.search(rf"\b{int(roof['roof_id'])}\b", table.first.inner_text())
    save_artifact(page, "map_rooftops_detail")


@pytest.mark.parametrize("path", ["pv", "carbon", "projects", "indicators", "data_import"])
def test_screenshot_of_each_main_view(app_url, page, path):
    from pathlib import Path

    if not (Path(__file__).resolve().parents[2] / "views" / f"{path}.py").exists():
        pytest.skip(f"views/{path}.py not in this checkout")
    page.goto(f"{app_url}/{path}")
    wait_for_app(page, timeout_ms=LONG)
    page.locator("h1").first.wait_for(timeout=LONG)
    save_artifact(page, f"view_{path}")
