"""The map page's current view, as the map in the browser reports it: centre, zoom and the bounds it shows.

The map reports its bounds with its first move (:class:`ui.folium_map.ReportedBoundsPreset`); before that, and for a
view the bounds were not reported with, the bounds are estimated from the centre and zoom for a map of
:data:`ASSUMED_PX`. What is printed or filtered as "the current view" (print layout, attribute table) comes from
:func:`view_box_wgs84`, in WGS84 whatever the basemap's coordinates (GCJ-02 for AMap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from cyc_geo.mapview.click import to_wgs84
from cyc_geo.mapview.export import view_bounds

VIEW_KEY = "map_view"
"""Session key of the current view: (lat, lon, zoom) in the basemap's coordinates."""
BOUNDS_KEY = "map_view_bounds"
"""Session key of the last reported bounds with the view they were reported with: ((lat, lon, zoom), bounds)."""
ASSUMED_PX = (700, 825)
"""Map size (px) assumed before the map has reported its bounds: the page's map column on a 1400 × 1000 px window
(three quarters of the main area beside the side panel), as tall as the page makes it (views/map.py, ``MAP_TOP_PX``:
the window's height less 175 px); measured in the browser."""

View = tuple[float, float, int]


@dataclass(frozen=True)
class ViewBox:
    """The current view's (west, south, east, north) in WGS84 degrees, and whether the map reported it (``False``:
    estimated from the centre and zoom for a map of :data:`ASSUMED_PX`)."""

    bbox: tuple[float, float, float, float]
    reported: bool

    def size_km(self) -> tuple[float, float]:
        """(width, height) in km at the view's middle latitude (111.32 km a degree of latitude; × cos φ of
        longitude): for a caption, not for areas."""
        import math

        w, s, e, n = self.bbox
        return (e - w) * 111.32 * math.cos(math.radians((s + n) / 2)), (n - s) * 111.32


def remember(value: dict[str, Any] | None) -> View | None:
    """Keep what the map reported (its component value) as the current view, and its bounds when it reported them;
    the view, or ``None`` when the value holds no view."""
    value = value or {}
    if not (value.get("center") and value.get("zoom")):
        return None
    view = (float(value["center"]["lat"]), float(value["center"]["lng"]), int(value["zoom"]))
    st.session_state[VIEW_KEY] = view
    bounds = value.get("bounds")
    if isinstance(bounds, dict) and bounds.get("_southWest") and bounds.get("_northEast"):
        st.session_state[BOUNDS_KEY] = (view, bounds)
    return view


def _corners(bounds: dict[str, Any]) -> tuple[float, float, float, float]:
    sw, ne = bounds["_southWest"], bounds["_northEast"]
    return float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"])


def view_box_wgs84(basemap_id: str, fallback: View | None = None) -> ViewBox | None:
    """The current view's box in WGS84: the bounds the map reported with the current view, else estimated from the
    current view (or ``fallback``, the view the page opens at, before the map has reported any); ``None`` without
    either."""
    view = st.session_state.get(VIEW_KEY) or fallback
    if not view:
        return None
    lat, lon, zoom = view
    kept = st.session_state.get(BOUNDS_KEY)
    if kept and tuple(kept[0]) == tuple(view):
        w, s, e, n = _corners(kept[1])
        (w, s), (e, n) = to_wgs84(w, s, basemap_id), to_wgs84(e, n, basemap_id)
        return ViewBox((w, s, e, n), True)
    wlon, wlat = to_wgs84(float(lon), float(lat), basemap_id)
    return ViewBox(view_bounds(wlat, wlon, float(zoom), *ASSUMED_PX), False)
