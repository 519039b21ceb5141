"""Township labels at the county view, in both languages (issue 29, item 7).

At the default view (z10) 2 of the 18 township names in Chinese and 6 of 18 in English lay on top of
one another. Counted as a reader sees them: each label's text box inside the map, overlapping no other.
"""

from __future__ import annotations

import pytest

from tests.browser.test_browser_map import LONG, _open
from tests.conftest import save_artifact

pytestmark = pytest.mark.browser

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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_18_township_names_are_readable_at_the_county_view(app_url, page, lang):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    frame = _open(page, app_url + f"/?lang={lang}&layers=county,townships")
    frame.locator(".cyc-label").nth(len(towns) - 1).wait_for(timeout=60_000)
    assert frame.locator(".leaflet-container").evaluate("() => window.map.getZoom()") == 10
    labels = frame.locator(".leaflet-container").evaluate(_BOXES)
    assert len(labels) == len(towns) == 18
    readable = _readable(labels)
    assert len(readable) == 18, sorted(set(x["text"] for x in labels) - set(readable))
    save_artifact(page, f"map_labels_{lang}")


def test_a_search_hit_selects_the_place_in_the_side_panel(app_url, page):
    """A township found by the search box is shown under 所选要素 as if it had been clicked."""
    frame = _open(page, app_url + "/?lang=zh&layers=county,townships")
    box = frame.locator(".cyc-search input")
    assert "村" not in box.get_attribute("placeholder")  # no villages to search
    box.fill("恼里")
    frame.locator(".cyc-search li", has_text="恼里镇").first.wait_for(timeout=10_000)
    box.press("Enter")
    page.locator("[data-testid='stTable']", has_text="恼里镇").first.wait_for(timeout=LONG)
