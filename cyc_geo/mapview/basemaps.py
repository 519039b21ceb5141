"""The map's basemaps (tile sources) and the 天地图 token lookup.

Kept apart from :mod:`cyc_geo.mapview.webmap` so that modules needing only the basemap
table (click lookup, the map page's data loading) do not import the map builder.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Callable
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


PROBE_TIMEOUT_S = 1.5
"""Seconds the server waits for one basemap tile before calling the tile service unreachable."""

DEFAULT_ENV = "CYC_GEO_BASEMAP"
"""Environment variable naming the default basemap outright (e.g. ``blank`` on an offline install: no probe)."""


def tiles_reachable(bm: Basemap, timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """Whether the first tile of ``bm`` (z0/0/0) answers 200 within ``timeout_s`` (from the server: a
    machine without network, or behind a firewall that drops the tile host, answers False)."""
    if not bm.tiles or bm.needs_token:
        return False
    url = bm.tiles[0].format(z=0, x=0, y=0, s="a" if bm.id != "amap" else "1", token="")
    req = urllib.request.Request(url, headers={"User-Agent": "cyc-geo (basemap probe)"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            return bool(r.status == 200)
    except (OSError, ValueError):
        return False


def default_basemap(token: str | None, reachable: Callable[[Basemap], bool] | None = None) -> str:
    """The basemap a map opens with when its URL does not name one: ``CYC_GEO_BASEMAP`` when set to a
    known basemap; 天地图 矢量 with a token; OpenStreetMap when its tiles can be reached; else the
    offline blank basemap (an offline visit never starts with failing tiles and a notice). ``reachable``
    tests a basemap's tiles (default :func:`tiles_reachable`)."""
    named = os.environ.get(DEFAULT_ENV, "")
    if named in BASEMAPS and (token or not BASEMAPS[named].needs_token):
        return named
    if token:
        return "tianditu_vec"
    return "osm" if (reachable or tiles_reachable)(BASEMAPS["osm"]) else "blank"
