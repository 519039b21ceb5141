"""The browser fetches the map's static payload files and draws them (the files themselves:
tests/mapview/test_static_payloads.py)."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_browser_fetches_the_payloads_and_draws_them(app_url, page):
    from conftest import wait_for_app

    got: list[tuple[str, int]] = []
    page.on("response", lambda r: got.append((r.url, r.status)) if "/app/static/payloads/" in r.url else None)
    page.goto(f"{app_url}/?layers=county,townships,rooftops&base=osm")
    wait_for_app(page, timeout_ms=180_000)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]').last
    frame.locator(".cyc-legend h4").first.wait_for(timeout=180_000)
    map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    counts = []
    for _ in range(100):  # the groups fill once their files arrive
        counts = map_frame.evaluate(
            "() => (window.feature_group || []).map(g => g.getLayers().map(l => l.getLayers ? l.getLayers().length"
            " : 0).reduce((a, b) => a + b, 0))")
        if len([c for c in counts if c]) >= 3:
            break
        page.wait_for_timeout(300)
    assert sorted(u.rsplit("/", 1)[-1].rsplit("-", 1)[0] for u, s in got if s == 200) == [
        "county-osm-zh", "rooftops_hex-osm-zh", "townships-osm-zh"]
    assert 18 in counts or 18 + 18 in counts  # 18 townships (plus their 18 labels)
    assert max(counts) > 100  # the rooftops' hexagons
