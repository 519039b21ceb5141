"""The map's basemaps (tile sources) and the 天地图 token lookup.

Kept apart from :mod:`cyc_geo.mapview.webmap` so that modules needing only the basemap
table (click lookup, the map page's data loading) do not import the map builder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Basemap:
    id: str
    title_zh: str
    title_en: str
    tiles: tuple[str, ...]
    attribution: str
    needs_token: bool = False
    gcj02: bool = False
    """True for tiles drawn in GCJ-02 (AMap): overlays must be shifted for display."""


BASEMAPS: dict[str, Basemap] = {
    "blank": Basemap("blank", "空白底图（离线）", "Blank (offline)", (), ""),
    "osm": Basemap(
        "osm",
        "OpenStreetMap",
        "OpenStreetMap",
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        "&copy; OpenStreetMap contributors",
    ),
    "tianditu_vec": Basemap(
        "tianditu_vec",
        "天地图 矢量",
        "Tianditu vector",
        (
            "https://t0.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
            "https://t0.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
        ),
        "&copy; 天地图 Tianditu",
        needs_token=True,
    ),
    "tianditu_img": Basemap(
        "tianditu_img",
        "天地图 影像",
        "Tianditu imagery",
        (
            "https://t0.tianditu.gov.cn/img_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=img&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
            "https://t0.tianditu.gov.cn/cia_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cia&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={token}",
        ),
        "&copy; 天地图 Tianditu",
        needs_token=True,
    ),
    "amap": Basemap(
        "amap",
        "高德地图（GCJ-02，叠加层已偏移）",
        "AMap (GCJ-02, overlays shifted)",
        ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
        "&copy; 高德地图 AMap",
        gcj02=True,
    ),
}


def tianditu_token(secrets: dict[str, Any] | None = None) -> str | None:
    """The 天地图 token from app secrets (``tianditu_token``) or ``TIANDITU_TOKEN``; never hard-coded."""
    if secrets and secrets.get("tianditu_token"):
        return str(secrets["tianditu_token"])
    return os.environ.get("TIANDITU_TOKEN") or None


def available_basemaps(token: str | None) -> list[Basemap]:
    """Basemaps usable now: token-based ones only when a token is configured."""
    return [b for b in BASEMAPS.values() if token or not b.needs_token]
