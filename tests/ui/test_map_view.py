"""The map page's current view (ui.map_view): the bounds the map reported, else an estimate from centre and zoom."""

from __future__ import annotations

import pytest
import streamlit as st

from cyc_geo.mapview.click import to_wgs84
from cyc_geo.mapview.export import view_bounds
from ui import map_view


@pytest.fixture(autouse=True)
def _fresh_state():
    for k in (map_view.VIEW_KEY, map_view.BOUNDS_KEY):
        st.session_state.pop(k, None)
    yield
    for k in (map_view.VIEW_KEY, map_view.BOUNDS_KEY):
        st.session_state.pop(k, None)


def _value(lat, lon, zoom, bounds=None):
    v = {"last_clicked": None, "zoom": zoom, "center": {"lat": lat, "lng": lon}}
    if bounds:
        w, s, e, n = bounds
        v["bounds"] = {"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}}
    return v


def test_reported_bounds_are_the_view_box_and_an_unreported_view_is_estimated():
    assert map_view.view_box_wgs84("osm") is None  # nothing reported, no fallback
    fallback = (35.2, 114.7, 11)
    est = map_view.view_box_wgs84("osm", fallback)
    assert not est.reported and est.bbox == pytest.approx(view_bounds(35.2, 114.7, 11, *map_view.ASSUMED_PX))

    assert map_view.remember(_value(35.21, 114.71, 14, (114.65, 35.18, 114.77, 35.24))) == (35.21, 114.71, 14)
    box = map_view.view_box_wgs84("osm", fallback)
    assert box.reported and box.bbox == pytest.approx((114.65, 35.18, 114.77, 35.24))
    w_km, h_km = box.size_km()
    assert w_km == pytest.approx(0.12 * 111.32 * 0.8171, rel=2e-3) and h_km == pytest.approx(0.06 * 111.32, rel=1e-6)

    # a later report without bounds (a click value) at another view: those bounds are not this view's
    map_view.remember(_value(35.3, 114.8, 15))
    again = map_view.view_box_wgs84("osm", fallback)
    assert not again.reported
    assert again.bbox == pytest.approx(view_bounds(35.3, 114.8, 15, *map_view.ASSUMED_PX))
    assert map_view.remember({"last_clicked": None}) is None and st.session_state[map_view.VIEW_KEY] == (35.3, 114.8, 15)


def test_amap_bounds_are_shifted_back_to_wgs84():
    map_view.remember(_value(35.21, 114.71, 14, (114.65, 35.18, 114.77, 35.24)))
    box = map_view.view_box_wgs84("amap")
    sw, ne = to_wgs84(114.65, 35.18, "amap"), to_wgs84(114.77, 35.24, "amap")
    assert box.bbox == pytest.approx((*sw, *ne))
    assert abs(box.bbox[0] - 114.65) > 1e-3  # GCJ-02 is a few hundred metres off WGS84 here
