"""定位 / Locate in a real browser: a CGCS2000 X/Y with zone 38 moves the map there; a parcel number shows the parcel
in 所选要素."""

from __future__ import annotations

import re

import pytest
from conftest import save_artifact, wait_for_app
from pyproj import Transformer

pytestmark = pytest.mark.browser

LONG = 240_000


def _locate(page, text: str) -> None:
    box = page.get_by_label(re.compile("^定位"))
    box.fill(text)
    page.get_by_role("button", name="定位", exact=True).click()
    wait_for_app(page, timeout_ms=LONG)


def test_locate_a_zone_38_xy_and_a_parcel_number(app_url, page):
    from cyc_geo.catalog.loader import load_layer

    page.goto(f"{app_url}/?layers=county,townships&lat=35.2&lon=114.7&z=11")
    wait_for_app(page, timeout_ms=LONG)
    lon, lat = 114.62, 35.13
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(lon, lat)
    _locate(page, f"38 {n:.1f} {e:.1f}")
    page.wait_for_url(re.compile(r"z=16"), timeout=LONG)
    url = page.url
    assert abs(float(re.search(r"lat=([\d.]+)", url).group(1)) - lat) < 1e-3
    assert abs(float(re.search(r"lon=([\d.]+)", url).group(1)) - lon) < 1e-3

    pid = str(load_layer("farmland")["parcel_id"].iloc[5])
    _locate(page, pid)
    page.locator("[data-testid='stTable']").filter(has_text=pid).first.wait_for(timeout=LONG)
    save_artifact(page, "locate_parcel")
