"""Cached data behind the map page (Streamlit caching lives here, computations in cyc_geo).

Big layers are held with ``st.cache_resource`` (one shared, read-only copy per
process): ``st.cache_data`` would pickle-copy 250k polygons on every rerun.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from cyc_geo.mapview import tiles
from cyc_geo.geo.gcj02 import gcj02_to_wgs84
from cyc_geo.mapview.legend import LegendSection, class_breaks, colours_for
from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview.webmap import BASEMAPS, for_display, layer_payload
from ui.common import lang, load_layer, registry, tr

ROOFS_ID = "rooftops"
BIG_PALETTE = "YlOrRd"
TILE_FALLBACK_COLOUR = "#2c7fb8"
HEX_FIELDS = (
    ("sink_t_co2_yr", "年碳汇", "Sink", "t CO₂/yr"),
    ("capacity_kw", "光伏潜力", "PV potential", "kW"),
    ("area_m2", "面积", "Area", "m²"),
    ("area_ha", "面积", "Area", "ha"),
)
"""What a big layer's hexagons sum, first column present wins (additive quantities only)."""


def layer_def(layer_id: str) -> LayerDef:
    for layer in registry():
        if layer.id == layer_id:
            return layer
    raise KeyError(layer_id)


@st.cache_resource(show_spinner=False)
def big_layer(layer_id: str) -> gpd.GeoDataFrame:
    """A big layer's GeoDataFrame, loaded once per process and shared read-only."""
    return layer_def(layer_id).load()


def layer_meta_frame(layer_id: str) -> gpd.GeoDataFrame:
    """An empty frame carrying a big or raster layer's provenance (for the demo banner)."""
    layer = layer_def(layer_id)
    src = big_layer(layer_id) if layer.big else load_layer(layer_id)
    out = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    out.attrs["meta"] = dict(src.attrs.get("meta") or {})
    return out


def is_demo(layer_id: str) -> bool:
    """Whether a layer's provenance marks it as demo or approximate data."""
    from cyc_geo.catalog.provenance import is_flag

    layer = layer_def(layer_id)
    gdf = big_layer(layer_id) if layer.big else load_layer(layer_id)
    meta = dict(gdf.attrs.get("meta") or {})
    approx = "approximate" in gdf.columns and bool(gdf["approximate"].astype(bool).any())
    return is_flag(meta, "demo") or is_flag(meta, "approximate") or approx


def pv_available() -> bool:
    try:
        from cyc_geo.pv import model as pv  # noqa: F401
    except Exception:
        return False
    return hasattr(pv, "estimate") and hasattr(pv, "Scenario")


def _scenario(items: tuple) -> Any:
    from cyc_geo.pv import model as pv

    opts = dict(items)
    scale = float(opts.get("adoption_scale", 1.0))
    base = pv.Scenario()
    return replace(base, adoption={k: min(1.0, v * scale) for k, v in base.adoption.items()})


@st.cache_resource(show_spinner=False)
def _roof_table() -> pd.DataFrame:
    """The roof attributes without geometry (what ``pv.estimate`` needs)."""
    gdf = big_layer(ROOFS_ID)
    return pd.DataFrame(gdf.drop(columns="geometry"))


@st.cache_resource(show_spinner=False, max_entries=4)
def per_roof(items: tuple) -> pd.DataFrame:
    """Per-roof PV results for a scenario (cached per scenario, shared read-only: no per-call copy)."""
    from cyc_geo.pv import model as pv

    return pv.estimate(_roof_table(), _scenario(items))


@st.cache_data(show_spinner=False, max_entries=16)
def roof_summary(items: tuple) -> dict[str, Any]:
    if not pv_available():
        return {"roofs": len(_roof_table())}
    from cyc_geo.pv import model as pv

    return pv.summary(per_roof(items))


@st.cache_resource(show_spinner=False)
def _hex_cells(layer_id: str) -> np.ndarray:
    """H3 cell (int) of each feature of a big layer (precomputed column when present)."""
    gdf = big_layer(layer_id)
    res = layer_def(layer_id).hex_resolution
    col = f"h3_{res}"
    if col in gdf.columns:
        return gdf[col].to_numpy(np.uint64)
    from cyc_geo.pv.rooftops import h3_columns

    pts = gdf.to_crs("EPSG:4547").representative_point().to_crs("EPSG:4326")
    return h3_columns(pts.x.to_numpy(), pts.y.to_numpy(), (res,))[col]


@st.cache_resource(show_spinner=False)
def _hex_geometry(layer_id: str) -> gpd.GeoDataFrame:
    """Hexagon polygons of the cells a big layer occupies (scenario-independent)."""
    return tiles.h3_hexagons(_hex_cells(layer_id))[["h3", "count", "geometry"]]


def _hex_values(layer_id: str, items: tuple) -> tuple[pd.Series, str, str]:
    """Value per hexagon (index = h3 id), its label and unit."""
    cells = _hex_cells(layer_id)
    import h3

    gdf = big_layer(layer_id)
    if layer_id == ROOFS_ID and pv_available():
        kw = per_roof(items)["capacity_kw"].to_numpy()
        values, label, unit = kw, tr("光伏潜力", "PV potential"), "kW"
    else:
        for col, zh, en, unit in HEX_FIELDS:
            if col in gdf.columns:
                values, label = pd.to_numeric(gdf[col], errors="coerce").fillna(0).to_numpy(float), tr(zh, en)
                break
        else:
            values, label, unit = np.ones(len(cells)), tr("要素数", "Features"), ""
    sums = pd.Series(values).groupby(cells).sum()
    sums.index = [h3.int_to_str(int(c)) for c in sums.index]
    return sums, label, unit


@st.cache_data(show_spinner=False, max_entries=32)
def big_layer_hexes(layer_id: str, items: tuple, lg: str) -> tuple[gpd.GeoDataFrame, list, str, str]:
    """Hexagons with the value under a scenario, classed (Fisher-Jenks, 6 classes) and coloured.

    ``lg`` (the UI language) is part of the cache key: the value label is translated.
    """
    hexes = _hex_geometry(layer_id).copy()
    sums, label, unit = _hex_values(layer_id, items)
    hexes["value"] = sums.reindex(hexes["h3"]).fillna(0.0).round(1).to_numpy()
    breaks = class_breaks(hexes["value"], k=6)
    hexes["_fill"] = colours_for(hexes["value"], breaks, BIG_PALETTE)
    return hexes, breaks, label, unit


@st.cache_data(show_spinner=False, max_entries=64)
def small_payload(layer_id: str, basemap_id: str, lg: str) -> str:
    """Browser payload (GeoJSON + style + labels) of a small layer, per basemap and language."""
    return layer_payload(layer_def(layer_id), for_display(load_layer(layer_id), basemap_id), lg)


@st.cache_data(show_spinner=False, max_entries=32)
def hex_payload(layer_id: str, items: tuple, basemap_id: str, lg: str) -> tuple[str, list, str, str]:
    """Browser payload of a big layer's hexagons under a scenario, with breaks, value label and unit."""
    hexes, breaks, label, unit = big_layer_hexes(layer_id, items, lg)
    hex_def = hex_layer_def(layer_def(layer_id), label, unit)
    return layer_payload(hex_def, for_display(hexes, basemap_id), lg, fill_col="_fill"), breaks, label, unit


def hex_layer_def(layer: LayerDef, value_label: str, unit: str) -> LayerDef:
    """How the hexagon view of a big layer is drawn (tooltip: value and feature count)."""
    return LayerDef(
        id=f"{layer.id}_hex",
        title_zh=layer.title_zh,
        title_en=layer.title_en,
        loader=layer.loader,
        geometry="polygon",
        tooltip=("value", "count"),
        tooltip_labels_zh=(f"{value_label} ({unit})" if unit else value_label, "要素数"),
        tooltip_labels_en=(f"{value_label} ({unit})" if unit else value_label, "Features"),
        style={"color": "#7f2704", "weight": 0.3, "fill_opacity": 0.7},
    )


@st.cache_resource(show_spinner=False)
def _tile_signature(layer_id: str, shifted: bool) -> str:
    gdf = big_layer(layer_id)
    cols = [c for c in ("building_class", "class_code", "roof_id", "patch_id") if c in gdf.columns]
    return tiles.signature(gdf, cols) + ("g" if shifted else "")


def tile_job(layer_id: str, basemap_id: str) -> tiles.TileJob:
    """Vector tiles of a big layer (a GCJ-02-shifted copy over AMap), built by a child process if missing."""
    shifted = BASEMAPS[basemap_id].gcj02
    return tiles.ensure_tiles_async(layer_id, _tile_signature(layer_id, shifted), gcj02=shifted)


def tile_style(layer: LayerDef, job: tiles.TileJob, basemap_id: str) -> tuple[str, str, LegendSection]:
    """URL, JS fill expression and legend of a big layer's tile view."""
    url = tiles.tile_url(layer.id, job.sig)
    codes = layer.style.get("category_codes") or {}
    if codes:  # tiles carry the category as a small integer (tiles.tile_frame)
        colours = layer.style.get("category_colors") or {}
        labels = layer.legend_labels(lang())
        lut = {codes[k]: colours.get(k, "#999999") for k in codes}
        fill_js = f"({json.dumps(lut)})[p.c] || '#999999'"
        rows = [("fill", colours.get(k, "#999999"), labels.get(k, k)) for k in codes]
        return url, fill_js, LegendSection(layer.title(lang()), rows)
    colours = layer.style.get("category_colors") or {}
    if colours:
        fill_js = f"({json.dumps(colours)})[p.c] || {json.dumps(layer.style.get('fill_color', TILE_FALLBACK_COLOUR))}"
        labels = layer.legend.get(f"labels_{lang()}", {})
        rows = [("fill", c, labels.get(k, k)) for k, c in colours.items()]
    else:
        col = layer.style.get("fill_color", layer.style.get("color", TILE_FALLBACK_COLOUR))
        fill_js = json.dumps(col)
        rows = [("fill", col, layer.title(lang()))]
    return url, fill_js, LegendSection(layer.title(lang()), rows)


@st.cache_data(show_spinner=False, max_entries=8)
def raster_overlay(layer_id: str, lg: str) -> tuple[str, tuple, LegendSection] | None:
    """A raster layer as a served PNG: (URL, bounds, legend); None if the layer's module cannot draw it.

    The layer's loader module provides ``overlay_rgba(path)`` (web-mercator RGBA and
    bounds) and ``CLASSES`` (code -> name_zh/name_en/color), e.g. :mod:`cyc_geo.carbon.landcover`.
    """
    layer = layer_def(layer_id)
    module = importlib.import_module(layer.loader.split(":")[0])
    func_name = "overlay_rgba"
    if layer.style.get("raster_rgba"):
        mod_name, func_name = str(layer.style["raster_rgba"]).split(":")
        module = importlib.import_module(mod_name)
    if not hasattr(module, func_name):
        return None
    footprint = load_layer(layer_id)
    path = footprint["path"].iloc[0] if "path" in footprint.columns else None
    sig = tiles.signature(footprint, [c for c in ("path", "resolution") if c in footprint.columns])
    import os

    mtime = str(int(os.path.getmtime(path))) if path and os.path.exists(path) else "0"
    png = tiles.tiles_root() / f"{layer_id}-{sig}-{mtime}.png"
    bounds_file = png.with_suffix(".json")
    if png.exists() and bounds_file.exists():
        bounds = json.loads(bounds_file.read_text())
        present = json.loads((png.with_suffix(".classes.json")).read_text())
    else:
        func = getattr(module, func_name)
        rgba, bounds = func(path) if path else func()
        tiles.write_rgba_png(rgba, png)
        present = []
        if hasattr(module, "load_landcover"):
            data = module.load_landcover(path)
            present = sorted(int(v) for v in np.unique(np.ma.compressed(data.array[0])))
        bounds_file.write_text(json.dumps(bounds))
        png.with_suffix(".classes.json").write_text(json.dumps(present))
    classes = getattr(module, "CLASSES", {})
    rows = []
    for code, cls in classes.items():
        if present and int(code) not in present:
            continue
        name = getattr(cls, "name_zh" if lg == "zh" else "name_en", str(code))
        rows.append(("fill", getattr(cls, "color", "#999999"), f"{getattr(cls, 'code', code)} {name}"))
    url = f"{tiles.STATIC_URL}/tiles/{png.name}"
    return url, ((bounds[0][0], bounds[0][1]), (bounds[1][0], bounds[1][1])), LegendSection(layer.title(lg), rows)


@st.cache_data(show_spinner=False, max_entries=8)
def county_bounds(basemap_id: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """(south, west), (north, east) of the county as drawn on ``basemap_id``."""
    county = for_display(load_layer("county"), basemap_id)
    w, s, e, n = county.total_bounds
    return (float(s), float(w)), (float(n), float(e))


@st.cache_resource(show_spinner=False)
def feature_index(layer_id: str) -> tiles.FeatureIndex:
    layer = layer_def(layer_id)
    gdf = big_layer(layer_id) if layer.big else load_layer(layer_id)
    return tiles.FeatureIndex(gdf)


def _record(layer: LayerDef, row: pd.Series) -> dict[str, Any]:
    """A feature's tooltip fields with their labels (numbers rounded)."""
    rec: dict[str, Any] = {}
    labels = layer.tooltip_labels(lang())
    for field, label in zip(layer.tooltip, labels):
        if field in row.index:
            v = row[field]
            rec[label] = round(float(v), 2) if isinstance(v, (float, np.floating)) else v
    if not rec:
        for field in [c for c in row.index if c != "geometry"][:8]:
            rec[field] = row[field]
    return rec


ROOF_FIELDS = {
    "roof_id": ("屋顶编号", "Roof id"),
    "building_class": ("建筑类别", "Building class"),
    "roof_type": ("屋顶类型", "Roof type"),
    "area_m2": ("屋顶面积 (m²)", "Roof area (m²)"),
    "capacity_kw": ("装机潜力 (kW)", "Capacity (kW)"),
    "annual_kwh": ("年发电量 (kWh)", "Annual generation (kWh)"),
    "co2_t": ("年减排 CO₂ (t)", "CO₂ avoided (t/yr)"),
}


def _roof_record(pos: int, items: tuple) -> dict[str, Any]:
    row = _roof_table().iloc[pos]
    rec = {}
    res = per_roof(items).iloc[pos] if pv_available() else row
    from cyc_geo.pv.rooftops import CLASS_LABELS_EN, CLASS_LABELS_ZH

    for key, (zh, en) in ROOF_FIELDS.items():
        src = res if key in res.index else row
        if key in src.index:
            v = src[key]
            if key == "building_class":
                v = (CLASS_LABELS_ZH if lang() == "zh" else CLASS_LABELS_EN).get(v, v)
            rec[tr(zh, en)] = round(float(v), 1) if isinstance(v, (float, np.floating)) else v
    return rec


@st.cache_data(show_spinner=False, max_entries=64)
def township_numbers(code: str, items: tuple, lg: str) -> dict[str, Any]:
    """Extra numbers of one township: roofs and PV potential (scenario), forest carbon."""
    rec: dict[str, Any] = {}
    try:
        if pv_available() and any(layer.id == ROOFS_ID for layer in registry()):
            pr = per_roof(items)
            sel = pr[pr["township_code"] == code]
            rec[tr("建筑屋顶数", "Rooftops")] = int(len(sel))
            rec[tr("光伏潜力 (MW)", "PV potential (MW)")] = round(float(sel["capacity_kw"].sum()) / 1000, 2)
            rec[tr("年发电量 (GWh)", "Annual generation (GWh)")] = round(float(sel["annual_kwh"].sum()) / 1e6, 2)
    except Exception as exc:  # a provider still being written must not break the panel
        rec[tr("光伏", "PV")] = tr(f"无数据（{exc}）", f"no data ({exc})")
    try:
        from cyc_geo.carbon import forest

        towns = load_layer("townships")
        zone = towns[towns["code"] == code]
        if len(zone):
            c = forest.carbon_by_zone(zone, id_col="code").iloc[0]
            rec[tr("林地面积 (ha)", "Forest area (ha)")] = round(float(c["forest_area_ha"]), 1)
            rec[tr("森林蓄积 (m³)", "Forest stock (m³)")] = round(float(c["stock_m3"]), 0)
            rec[tr("森林碳汇 (t CO₂/年)", "Forest sink (t CO₂/yr)")] = round(float(c["sink_t_co2"]), 0)
    except Exception as exc:
        rec[tr("森林碳汇", "Forest sink")] = tr(f"无数据（{exc}）", f"no data ({exc})")
    return rec


def lookup(click: dict, zoom: int, shown: list[LayerDef], basemap_id: str, items: tuple) -> list[tuple[LayerDef, dict]]:
    """Features under a clicked point in the visible layers, topmost layer first."""
    lon, lat = float(click["lng"]), float(click["lat"])
    if BASEMAPS[basemap_id].gcj02:  # the click is in the shifted (display) coordinates
        wlon, wlat = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        lon, lat = float(wlon[0]), float(wlat[0])
    tol = tiles.pixel_tolerance_m(zoom, lat, 4.0)
    hits = []
    for layer in sorted(shown, key=lambda d: -d.order):
        if layer.geometry == "raster" or not layer.clickable:
            continue
        if layer.big and zoom < tiles.DETAIL_MIN_ZOOM:
            continue
        pos = feature_index(layer.id).lookup(lon, lat, tol if layer.geometry != "polygon" or layer.big else 0.0)
        if pos is None:
            continue
        if layer.id == ROOFS_ID:
            hits.append((layer, _roof_record(pos, items)))
            continue
        gdf = big_layer(layer.id) if layer.big else load_layer(layer.id)
        row = gdf.iloc[pos]
        rec = _record(layer, row)
        if layer.click_details == "township_pv" and "code" in row.index:
            rec.update(township_numbers(str(row["code"]), items, lang()))
        hits.append((layer, rec))
    return hits


def features_in_view(layer_id: str, bounds: tuple[float, float, float, float], limit: int = 30_000) -> gpd.GeoDataFrame:
    """Features of a big layer inside (west, south, east, north), at most ``limit`` (for exports)."""
    import shapely

    idx = feature_index(layer_id).tree.query(shapely.box(*bounds))
    gdf = big_layer(layer_id)
    return gdf.iloc[np.sort(idx)[:limit]]
