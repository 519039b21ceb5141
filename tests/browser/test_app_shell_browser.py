"""The app shell in the real app and headless Chromium (its AppTest half: tests/pages/test_app_shell.py)."""

import pytest
from conftest import save_artifact, wait_for_app


@pytest.mark.browser
def test_real_app_shows_map_and_chinese_township_names(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    labels = frame.locator(".cyc-label")
    labels.first.wait_for(timeout=30_000)
    # read once the declutter has placed the labels (before, some read empty: a CI run under load)
    frame.locator(".leaflet-container[data-labels-placed]").wait_for(state="attached", timeout=120_000)
    names = set(labels.all_inner_texts())
    assert {"蒲西街道", "恼里镇", "武邱乡"} <= names
    # vector layers are drawn on Leaflet's canvas renderer (prefer_canvas); it must have painted something
    canvas = frame.locator("canvas.leaflet-zoom-animated").first
    canvas.wait_for(timeout=30_000)
    painted = canvas.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert painted > 10_000
    save_artifact(page, "app_shell_map")
