"""The locate box's zoom (ui.locate.hit_zoom): a located township opens whole, a parcel close, a coordinate at 16."""

from __future__ import annotations

from cyc_geo.mapview.export import view_bounds
from cyc_geo.mapview.locate import Hit
from ui.locate import FEATURE_ZOOM, hit_zoom


def test_a_township_opens_at_its_extent_a_parcel_and_a_coordinate_close():
    township = Hit("feature", 114.76, 35.19, (114.70, 35.14, 114.82, 35.24), "townships", 0)  # ~11 × 11 km
    z = hit_zoom(township)
    assert z < FEATURE_ZOOM
    w, s, e, n = view_bounds(35.19, 114.76, z, 800, 500)
    assert w <= 114.70 and e >= 114.82 and s <= 35.14 and n >= 35.24  # the whole township in the view
    parcel = Hit("feature", 114.68, 35.10, (114.6800, 35.1000, 114.6803, 35.1002), "projects", 0)  # ~30 m
    assert hit_zoom(parcel) == FEATURE_ZOOM
    assert hit_zoom(Hit("coordinate", 114.68, 35.15, (114.68, 35.15, 114.68, 35.15))) == FEATURE_ZOOM
