"""属性表 / Attribute table in a real browser (issue 30's must-show): open the table of farmland, filter by 地类 0102,
click a row; the map's view contains that parcel and 所选要素 shows it; the Excel export of the filtered rows has as
many rows as the table shows."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import open_expander, save_artifact, wait_for_app

from tests.browser.test_browser_map import MAP_IFRAME, choose_option

pytestmark = pytest.mark.browser

LONG = 240_000


def _filter_box(panel, label: str):
    """The text box of the panel's multiselect labelled ``label`` (role ``combobox``, named by the label)."""
    return panel.locator('[data-testid="stMultiSelect"]').filter(has_text=label).get_by_role("combobox")


def test_farmland_table_filter_row_click_and_excel(app_url, page):
    import openpyxl

    from cyc_geo.catalog.loader import load_layer

    farmland = load_layer("farmland")
    irrigated = farmland[farmland["class_code"] == "0102"]
    page.goto(f"{app_url}/?layers=county,farmland&lat=35.2&lon=114.7&z=11")
    wait_for_app(page, timeout_ms=LONG)
    # on a fresh checkout the page first builds farmland's vector tiles: its map reruns every 3 s meanwhile and the
    # whole page once they are ready. Wait for the tile view (its legend section), then for the end of that run.
    page.frame_locator(MAP_IFRAME).last.locator(".cyc-legend .cyc-only-detail").first.wait_for(state="attached",
                                                                                            timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="属性表").first
    open_expander(page, panel.locator("summary"))
    panel.get_by_text("打开属性表").click()
    _filter_box(panel, "筛选字段").wait_for(timeout=LONG)  # the toggle's run has started ...
    wait_for_app(page, timeout_ms=LONG)  # ... and ended
    choose_option(page, _filter_box(panel, "筛选字段"), "地类编码")
    _filter_box(panel, "地类编码 等于").wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    choose_option(page, _filter_box(panel, "地类编码 等于"), re.compile("^0102"))
    caption = panel.get_by_text(re.compile(f"筛选后 {len(irrigated):,} 行"))
    caption.wait_for(timeout=LONG)  # the filtered run has started: the export button below is redrawn in it
    wait_for_app(page, timeout_ms=LONG)

    # the Excel export of the filtered rows: as many rows as the table says it has
    with page.expect_download(timeout=LONG) as dl:
        panel.get_by_role("button", name="导出 Excel（筛选后）").click()
    rows = list(openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "标识码")
    body = [r for r in rows[head + 1:] if r[0] is not None]
    assert len(body) == len(irrigated)
    assert {r[rows[head].index("地类编码")] for r in body} == {"0102"}

    # a click on the first row's marker selects it: the map moves to the parcel, 所选要素 lists it
    grid = panel.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    pid = str(irrigated["parcel_id"].iloc[0])
    page.locator("[data-testid='stTable']").filter(has_text=pid).first.wait_for(timeout=LONG)
    parcel = irrigated.geometry.iloc[0]
    p = parcel.representative_point()
    page.wait_for_function(
        "([lat, lon]) => { const u = new URL(location.href); "
        "return Math.abs(+u.searchParams.get('lat') - lat) < 2e-3 && Math.abs(+u.searchParams.get('lon') - lon) < 2e-3; }",
        arg=[p.y, p.x], timeout=LONG)
    # the map itself (Leaflet) is centred there and its view holds the whole parcel: asked in whichever map frame is on
    # the page (the rerun that moves the map can remount it; a frame being replaced has no size)
    page.wait_for_function(
        "([lat, lon, w, s, e, n]) => Array.from(document.querySelectorAll("
        "'iframe[title=\"streamlit_folium.st_folium\"]')).some(f => {"
        " const m = f.contentWindow && f.contentWindow.map; if (!m || !m.getBounds) return false;"
        " const b = m.getBounds(), c = m.getCenter();"
        " return Math.abs(c.lat - lat) < 2e-3 && Math.abs(c.lng - lon) < 2e-3"
        " && b.getWest() <= w && e <= b.getEast() && b.getSouth() <= s && n <= b.getNorth(); })",
        arg=[p.y, p.x, *parcel.bounds], timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    save_artifact(page, "attribute_table_farmland")
