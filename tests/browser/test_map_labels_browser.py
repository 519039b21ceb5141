"""Township labels at the county view, in both languages (issue 29, item 7), and the search box.

At the default view (z10) 2 of the 18 township names in Chinese and 6 of 18 in English lay on top of
one another. Counted as a reader sees them: each label's text box inside the map, overlapping no other.

Leaflet's style sheet is held back until the labels are drawn, as happened on a busy server (streamlit-folium
adds the map's style sheets without waiting for them): the label declutter then first measures the labels
unstyled, stacked in the page flow, and must measure them again once the sheet applies (it once hid five names
for good: 樊相镇, 蒲北街道, 张三寨镇, 方里镇, 武邱乡). The page is opened once: English, then 中文, then a search.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_browser_map import LONG, _map_frame, _open
from tests.conftest import save_artifact, wait_for_app

pytestmark = pytest.mark.browser

LEAFLET_CSS = "**/leaflet/dist/leaflet.css"

_BOXES = """
() => {
    const map = document.querySelector('.leaflet-container').getBoundingClientRect();
    return Array.from(document.querySelectorAll('.cyc-label')).map(el => {
        const r = document.createRange(); r.selectNodeContents(el); const b = r.getBoundingClientRect();
        return {text: el.textContent, box: [b.left, b.top, b.right, b.bottom],
                inside: getComputedStyle(el).visibility !== 'hidden' && b.left >= map.left && b.right <= map.right
                        && b.top >= map.top && b.bottom <= map.bottom};
    });
}
"""


def _readable(labels: list[dict]) -> list[str]:
    def hit(a, b) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    return [x["text"] for i, x in enumerate(labels)  # shown (not hidden by the declutter), inside, clear
            if x["inside"] and not any(hit(x["box"], y["box"]) for j, y in enumerate(labels) if j != i)]


def _placed_labels(frame, held: list, n: int) -> list[dict]:
    """The label boxes once all ``n`` labels are drawn, the held style sheet requests let through and the declutter
    has measured the labels with every sheet applied (``data-labels-placed``, cyc_geo.mapview.controls.LabelDeclutter)."""
    frame.locator(".cyc-label").nth(n - 1).wait_for(state="attached", timeout=LONG)
    while held:
        held.pop().continue_()
    frame.locator(".leaflet-container[data-labels-placed]").wait_for(state="attached", timeout=LONG)
    assert frame.locator(".leaflet-container").evaluate("() => window.map.getZoom()") == 10
    return frame.locator(".leaflet-container").evaluate(_BOXES)


def test_all_18_township_names_are_readable_in_both_languages_and_the_search_selects_a_place(app_url, page):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    held: list = []
    page.route(LEAFLET_CSS, lambda route: held.append(route))  # answered once the labels are drawn (_placed_labels)
    frame = _open(page, app_url + "/?lang=en&layers=county,townships")
    labels = _placed_labels(frame, held, len(towns))
    assert len(labels) == len(towns) == 18
    readable = _readable(labels)
    save_artifact(page, "map_labels_en")
    assert len(readable) == 18, sorted(set(x["text"] for x in labels) - set(readable))

    # 中文: the map is mounted again (its style sheet held again if the browser asks for it again)
    page.get_by_test_id("stSidebar").get_by_text("中文", exact=True).click()
    page.locator("h1", has_text="长垣市碳达峰规划图").wait_for(timeout=LONG)
    wait_for_app(page, timeout_ms=LONG)
    frame = _map_frame(page)
    frame.locator(".cyc-label", has_text=re.compile("^蒲西街道$")).wait_for(state="attached", timeout=LONG)
    labels = _placed_labels(frame, held, len(towns))
    assert len(labels) == 18
    readable = _readable(labels)
    save_artifact(page, "map_labels_zh")
    assert len(readable) == 18, sorted(set(x["text"] for x in labels) - set(readable))
    page.unroute(LEAFLET_CSS)

    # a township found by the search box is shown under 所选要素 as if it had been clicked
    box = frame.locator(".cyc-search input")
    assert "村" not in box.get_attribute("placeholder")  # no villages to search
    box.fill("恼里")
    frame.locator(".cyc-search li", has_text="恼里镇").first.wait_for(timeout=LONG)
    box.press("Enter")
    page.locator("[data-testid='stTable']", has_text="恼里镇").first.wait_for(timeout=LONG)
