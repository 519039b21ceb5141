"""The map page's 定位 / Locate box: a parcel number, installation, project or place name, or a coordinate
(:func:`cyc_geo.mapview.locate.locate`); a hit moves the map there and is shown in 所选要素 as a click would show it.

Streamlit glue only. A located hit is kept in the session until the next click on the map (which then wins).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.mapview.click import feature_record
from cyc_geo.mapview.locate import Hit, locate
from ui.common import lang, layer_def, layer_frame, tr

LOCATED_KEY = "map_located"
FEATURE_ZOOM = 16
"""Zoom the map opens at on a located coordinate, and the closest it opens at on a located feature (project
choice: a parcel fills the view)."""


def hit_zoom(hit: Hit) -> int:
    """Zoom to open the map at on ``hit``: a feature whole in the view (a township at its extent, not a 100 m
    corner of it; :func:`cyc_geo.mapview.attribute_table.fit_zoom`), at most :data:`FEATURE_ZOOM`; a coordinate at
    :data:`FEATURE_ZOOM`."""
    if hit.layer is None:
        return FEATURE_ZOOM
    from cyc_geo.mapview.attribute_table import fit_zoom

    return fit_zoom(hit.bounds, max_zoom=FEATURE_ZOOM)


def _display_center(hit: Hit, basemap_id: str) -> tuple[float, float]:
    """(lat, lon) of the hit as the basemap draws it (GCJ-02 on AMap tiles)."""
    if BASEMAPS[basemap_id].gcj02:
        from cyc_geo.geo.gcj02 import wgs84_to_gcj02

        lon, lat = wgs84_to_gcj02([hit.lon], [hit.lat])
        return float(lat[0]), float(lon[0])
    return hit.lat, hit.lon


def go_to(hit: Hit, basemap_id: str, last_click: Any, zoom: int = FEATURE_ZOOM) -> None:
    """Move the map to ``hit`` at ``zoom`` and show it in 所选要素 until the map is clicked again (``last_click``:
    the map's last click now). The caller reruns the page. Used by the locate box and the attribute table."""
    lat, lon = _display_center(hit, basemap_id)
    st.session_state["map_request"] = (lat, lon, int(zoom))
    st.session_state[LOCATED_KEY] = {"hit": hit, "click": last_click}


def _cached_locate(query: str) -> list[Hit]:
    return locate(query, load=layer_frame)


def locate_box(basemap_id: str, last_click: Any,
               lookup: Callable[[dict, int], list[tuple[LayerDef, dict[str, Any]]]]) -> list[tuple[LayerDef, dict[str, Any]]] | None:
    """The search box; returns the located feature as 所选要素 rows (None: nothing located, or a newer click).
    A coordinate is looked up as a click there (``lookup(click, zoom)``: the visible layers' features under it)."""
    with st.form("map_locate_form", border=False):
        query = st.text_input(tr("定位：图斑编号、装机或项目名称、地名、坐标（经纬度、度分秒、2000 坐标 X/Y）",
                                 "Locate: parcel number, installation or project name, place, coordinate "
                                 "(degrees, DMS, CGCS2000 X/Y)"), key="map_locate_query")
        go = st.form_submit_button(tr("定位", "Locate"))
    if go and query.strip():
        hits = _cached_locate(query)
        if not hits:
            st.warning(tr("未找到。", "Nothing matches."))
            st.session_state.pop(LOCATED_KEY, None)
        else:
            go_to(hits[0], basemap_id, last_click, hit_zoom(hits[0]))
            st.rerun()
    located = st.session_state.get(LOCATED_KEY)
    if not located:
        return None
    if located["click"] != last_click:
        if last_click is not None:  # the map was clicked since: the click wins
            st.session_state.pop(LOCATED_KEY, None)
            return None
        # the map was opened anew at the located view (a new view remounts it, and its last click is gone):
        # not a click; any click from now on wins
        located["click"] = None
    hit: Hit = located["hit"]
    if hit.layer is None:
        st.caption(tr(f"坐标 {hit.lon:.6f}, {hit.lat:.6f}（{hit.crs}）", f"Coordinate {hit.lon:.6f}, {hit.lat:.6f} ({hit.crs})"))
        lat, lon = _display_center(hit, basemap_id)
        return lookup({"lat": lat, "lng": lon}, FEATURE_ZOOM)
    layer = layer_def(hit.layer)
    row = layer_frame(hit.layer).iloc[int(hit.position or 0)]
    return [(layer, feature_record(layer, row, lang()))]
