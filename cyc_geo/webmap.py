"""Building the folium (Leaflet) map: basemaps, vector layers, labels.

No Streamlit here: the app passes the result to ``streamlit_folium.st_folium``,
and exports can render the same map to a standalone HTML file.

Browser libraries are served locally (``static/vendor``, fetched by
``scripts/fetch_web_assets.py``) because public CDNs are unreachable at run time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
from folium.plugins import Fullscreen, MeasureControl

from cyc_geo.registry import LayerDef

STATIC_URL = "/app/static/vendor"
"""Where Streamlit serves ``static/vendor`` (``server.enableStaticServing = true``)."""

LOCAL_JS = {
    "leaflet": "leaflet/dist/leaflet.js",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet_measure_js": "leaflet-measure/dist/leaflet-measure.js",
    "leaflet_draw_js": "leaflet-draw/dist/leaflet.draw.js",
    "vectorGrid": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
}
LOCAL_CSS = {
    "leaflet_css": "leaflet/dist/leaflet.css",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_css": "leaflet-measure/dist/leaflet-measure.css",
    "leaflet_draw_css": "leaflet-draw/dist/leaflet.draw.css",
}

CHANGYUAN_CENTER = (35.19, 114.75)
"""Approximate centre of the county outline (WGS84 lat, lon)."""


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
}


def tianditu_token(secrets: dict[str, Any] | None = None) -> str | None:
    """The 天地图 token from app secrets (``tianditu_token``) or ``TIANDITU_TOKEN``; never hard-coded."""
    if secrets and secrets.get("tianditu_token"):
        return str(secrets["tianditu_token"])
    return os.environ.get("TIANDITU_TOKEN") or None


def available_basemaps(token: str | None) -> list[Basemap]:
    """Basemaps usable now: token-based ones only when a token is configured."""
    return [b for b in BASEMAPS.values() if token or not b.needs_token]


def localize_assets(element: Any, base_url: str = STATIC_URL) -> None:
    """Point an element's JS/CSS at the locally served copies; drop CDN-only extras.

    Leaflet is all a plain map needs: jQuery, Bootstrap and awesome-markers (folium's
    defaults) are not used by cyc-geo and would only fail to load offline.
    """
    js = [(name, f"{base_url}/{LOCAL_JS[name]}") for name, _ in getattr(element, "default_js", []) if name in LOCAL_JS]
    css = [(name, f"{base_url}/{LOCAL_CSS[name]}") for name, _ in getattr(element, "default_css", []) if name in LOCAL_CSS]
    element.default_js = js
    element.default_css = css


def base_map(
    basemap_id: str = "osm",
    token: str | None = None,
    center: tuple[float, float] = CHANGYUAN_CENTER,
    zoom: int = 10,
    base_url: str = STATIC_URL,
) -> folium.Map:
    """A map with the chosen basemap (or none), fullscreen and measure controls.

    Unknown basemaps and token-less 天地图 fall back to the blank basemap, so the
    vector layers always show.
    """
    bm = BASEMAPS.get(basemap_id, BASEMAPS["blank"])
    if bm.needs_token and not token:
        bm = BASEMAPS["blank"]
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True, prefer_canvas=True)
    localize_assets(fmap, base_url)
    for i, url in enumerate(bm.tiles):
        folium.TileLayer(
            tiles=url.replace("{token}", token or ""),
            attr=bm.attribution,
            name=bm.title_zh if i == 0 else f"{bm.title_zh} 注记",
            overlay=i > 0,
            control=False,
            max_zoom=18,
        ).add_to(fmap)
    fs = Fullscreen(position="topleft")
    localize_assets(fs, base_url)
    fs.add_to(fmap)
    mc = MeasureControl(position="topleft", primary_length_unit="meters", primary_area_unit="sqmeters")
    localize_assets(mc, base_url)
    mc.add_to(fmap)
    return fmap


def _style_function(layer: LayerDef):
    style = layer.style
    cat_field = style.get("category_field")
    cat_colors = style.get("category_colors", {})

    def fn(feature: dict[str, Any]) -> dict[str, Any]:
        color = style.get("color", "#3388ff")
        fill = style.get("fill_color", color)
        if cat_field:
            fill = cat_colors.get(str(feature["properties"].get(cat_field)), fill)
        return {
            "color": color,
            "weight": style.get("weight", 1),
            "dashArray": style.get("dash_array"),
            "fillColor": fill,
            "fillOpacity": style.get("fill_opacity", 0.2),
        }

    return fn


def layer_group(layer: LayerDef, gdf: gpd.GeoDataFrame, lang: str = "zh") -> folium.FeatureGroup:
    """A feature group drawing ``gdf`` with the layer's style, tooltip and labels."""
    group = folium.FeatureGroup(name=layer.title(lang), show=True)
    fields = [f for f in layer.tooltip if f in gdf.columns]
    labels = [lab for f, lab in zip(layer.tooltip, layer.tooltip_labels(lang)) if f in gdf.columns]
    keep = list(dict.fromkeys(fields + ([layer.label] if layer.label in gdf.columns else []) + ["name_en"]))
    data = gdf[[c for c in keep if c in gdf.columns] + ["geometry"]].copy()
    for col in data.columns:
        if col != "geometry" and data[col].dtype.kind == "f":
            data[col] = data[col].round(3)
    tooltip = folium.GeoJsonTooltip(fields=fields, aliases=labels, sticky=False) if fields else None
    folium.GeoJson(
        data.to_json(),
        name=layer.title(lang),
        style_function=_style_function(layer),
        tooltip=tooltip,
        highlight_function=lambda _f: {"weight": 3, "fillOpacity": 0.3},
    ).add_to(group)
    if layer.label and layer.label in gdf.columns:
        label_col = "name_en" if lang == "en" and "name_en" in gdf.columns else layer.label
        points = gdf.to_crs("EPSG:4547").representative_point().to_crs("EPSG:4326")
        for text, pt in zip(gdf[label_col], points):
            folium.Marker(
                location=(pt.y, pt.x),
                icon=folium.DivIcon(
                    html=f'<div class="cyc-label">{text}</div>',
                    icon_size=(120, 18),
                    icon_anchor=(60, 9),
                    class_name="cyc-label-icon",
                ),
            ).add_to(group)
    return group


LABEL_CSS = (
    "<style>.cyc-label{font:600 12px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
    "color:#222;text-align:center;white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;}"
    ".cyc-label-icon{background:none;border:none;}</style>"
)


def add_label_css(fmap: folium.Map) -> None:
    """Style for the township labels (halo so they read over any basemap)."""
    fmap.get_root().header.add_child(folium.Element(LABEL_CSS))
