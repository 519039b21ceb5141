"""What the map's side panel shows for a click (no Streamlit here).

A click comes back from the browser as a point in the basemap's coordinates (GCJ-02 over AMap);
:func:`lookup` undoes the shift, finds the feature under it in every visible clickable layer
(topmost first) and turns each into a record of labelled values: the layer's tooltip fields,
a roof's PV results under the scenario (``scenario = "pv"``), a township's PV and forest
figures (``click_details = "township_pv"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.geo.gcj02 import gcj02_to_wgs84
from cyc_geo.mapview import tiles
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.mapview.payloads import in_lang

CLICK_PIXELS = 4.0
"""How close (screen pixels) a click must come to a line or point to pick it."""
ROOF_FIELDS = {
    "roof_id": ("屋顶编号", "Roof id"),
    "building_class": ("建筑类别", "Building class"),
    "roof_type": ("屋顶类型", "Roof type"),
    "area_m2": ("屋顶面积 (m²)", "Roof area (m²)"),
    "capacity_kw": ("装机潜力 (kW)", "Capacity (kW)"),
    "annual_kwh": ("年发电量 (kWh)", "Annual generation (kWh)"),
    "co2_t": ("年减排 CO₂ (t)", "CO₂ avoided (t/yr)"),
}
"""What a clicked roof shows: attribute or PV result column -> (zh, en) label."""


def to_wgs84(lon: float, lat: float, basemap_id: str) -> tuple[float, float]:
    """A clicked point in WGS84: GCJ-02 display coordinates (AMap) shifted back, others unchanged."""
    if BASEMAPS[basemap_id].gcj02:
        wlon, wlat = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        return float(wlon[0]), float(wlat[0])
    return float(lon), float(lat)


def clickable(shown: list[LayerDef], zoom: int) -> list[LayerDef]:
    """The visible layers a click can pick at ``zoom``, topmost (highest ``order``) first.

    Rasters and ``clickable = false`` layers never; big layers only from building zoom
    (below it they are hexagons).
    """
    return [layer for layer in sorted(shown, key=lambda d: -d.order)
            if layer.geometry != "raster" and layer.clickable
            and not (layer.big and zoom < tiles.DETAIL_MIN_ZOOM)]


def tolerance_m(layer: LayerDef, zoom: int, lat: float) -> float:
    """Pick tolerance: none inside small polygons (a click is in one or not), a few pixels otherwise."""
    if layer.geometry == "polygon" and not layer.big:
        return 0.0
    return tiles.pixel_tolerance_m(zoom, lat, CLICK_PIXELS)


def _value(v: Any, digits: int) -> Any:
    return round(float(v), digits) if isinstance(v, (float, np.floating)) else v


def panel_text(v: Any) -> str:
    """A record value as the side panel shows it, like the rest of the page: a measurement (a float) with
    thousands separators and at most its rounded decimals, no ".0" on a whole number (``167395.0`` →
    ``167,395``; ``1544170.5`` → ``1,544,170.5``); identifiers, years and texts unchanged (an integer
    roof number or year keeps no separator)."""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if x != x:
            return ""
        if x.is_integer():
            return f"{x:,.0f}"
        decimals = min(len(repr(round(x, 6)).split(".")[-1]), 3)
        return f"{x:,.{decimals}f}"
    return str(v)


def feature_record(layer: LayerDef, row: pd.Series, lang: str) -> dict[str, Any]:
    """A feature's tooltip fields with their labels (numbers to 2 decimals); its first 8 columns if none.
    In English a field with an English twin (``name`` → ``name_en``, as townships have) shows the twin: place
    names in the reader's language. Coded values read as words in ``lang``, as the attribute table shows them: the
    layer's ``[table]`` ``words_zh`` / ``words_en`` (an installation's ``status``) and
    :data:`cyc_geo.exports.display.WORD_COLUMNS` (a site's ``source``); unknown codes stay as they are."""
    from cyc_geo.exports.display import WORD_COLUMNS, word

    words = (layer.table.get("words_zh") if lang == "zh" else layer.table.get("words_en")) or {}
    rec: dict[str, Any] = {}
    for field, label in zip(layer.tooltip, layer.tooltip_labels(lang), strict=True):
        twin = f"{field}_en"
        if lang == "en" and twin in row.index and isinstance(row[twin], str) and row[twin].strip():
            rec[label] = row[twin]
        elif field in row.index:
            value = _value(row[field], 2)
            if field in words and isinstance(value, str):
                value = str(words[field].get(value, value))
            elif field in WORD_COLUMNS and isinstance(value, str):
                value = word(WORD_COLUMNS[field], value, lang)
            rec[label] = value
    if not rec:
        for field in [c for c in row.index if c != "geometry"][:8]:
            rec[field] = row[field]
    return rec


def roof_record(row: pd.Series, result: pd.Series | None, lang: str, co2_factor: str | None = None) -> dict[str, Any]:
    """A roof's :data:`ROOF_FIELDS` from its PV results (``result``), else its attributes (``row``);
    ``co2_factor`` (:func:`cyc_geo.pv.emissions.factor_label`) is shown beside the CO2 figure."""
    from cyc_geo.pv.rooftops import CLASS_LABELS_EN, CLASS_LABELS_ZH

    classes = CLASS_LABELS_ZH if lang == "zh" else CLASS_LABELS_EN
    res = row if result is None else result
    rec: dict[str, Any] = {}
    for key, (zh, en) in ROOF_FIELDS.items():
        src = res if key in res.index else row
        if key in src.index:
            v = classes.get(src[key], src[key]) if key == "building_class" else src[key]
            if key == "roof_type":
                from cyc_geo.pv.tables import ROOF_TYPE_LABELS

                pair = ROOF_TYPE_LABELS.get(str(v))
                v = v if pair is None else in_lang(lang, *pair)
            rec[in_lang(lang, zh, en)] = _value(v, 1)
            if key == "co2_t" and co2_factor:
                rec[in_lang(lang, "CO₂ 折算因子", "CO₂ factor")] = co2_factor
    return rec


def township_pv(per_roof: pd.DataFrame, code: str, lang: str) -> dict[str, Any]:
    """A township's rooftops, the scenario's PV potential (MW) and that potential's yearly generation (GWh):
    what the roofs could carry and yield under the scenario, not installed capacity or metered output."""
    sel = per_roof[per_roof["township_code"] == code]
    return {
        # a count, not an identifier: a float, so the panel sets it with thousands separators (panel_text)
        in_lang(lang, "建筑屋顶数", "Rooftops"): float(len(sel)),
        in_lang(lang, "屋顶光伏情景潜力 (MW)", "Rooftop PV scenario potential (MW)"):
            round(float(sel["capacity_kw"].sum()) / 1000, 2),
        in_lang(lang, "情景潜力年发电量 (GWh/年)", "Potential generation (GWh/yr)"):
            round(float(sel["annual_kwh"].sum()) / 1e6, 2),
    }


def township_forest(towns: gpd.GeoDataFrame, code: str, lang: str) -> dict[str, Any]:
    """A township's forest area, stock and yearly sink (:func:`cyc_geo.carbon.forest.carbon_by_zone`)."""
    from cyc_geo.carbon import forest

    zone = towns[towns["code"] == code]
    if not len(zone):
        return {}
    c = forest.carbon_by_zone(zone, id_col="code").iloc[0]
    return {
        in_lang(lang, "林地面积 (ha)", "Forest area (ha)"): round(float(c["forest_area_ha"]), 1),
        in_lang(lang, "森林蓄积量，乔木林地 0301 (m³)", "Forest stock, tree forest 0301 (m³)"): round(float(c["stock_m3"]), 0),
        # gross: the stands' yearly uptake, before harvest and other losses (cyc_geo.carbon.forest)
        in_lang(lang, "森林年碳汇（总量，未扣除采伐等排放）(t CO₂/年)", "Forest sink, gross (before harvest losses, t CO₂/yr)"):
            round(float(c["sink_t_co2"]), 0),
    }


def township_figures(code: str, per_roof: Callable[[], pd.DataFrame | None], towns: Callable[[], gpd.GeoDataFrame],
                     lang: str) -> dict[str, Any]:
    """PV (when there are per-roof results) and forest figures of one township.

    Each part that fails says so in the record instead of breaking the panel.
    """
    rec: dict[str, Any] = {}
    try:
        results = per_roof()
        if results is not None:
            rec.update(township_pv(results, code, lang))
    except Exception as exc:  # noqa: BLE001 - a provider still being written must not break the panel
        rec[in_lang(lang, "光伏", "PV")] = in_lang(lang, f"无数据（{exc}）", f"no data ({exc})")
    try:
        rec.update(township_forest(towns(), code, lang))
    except Exception as exc:  # noqa: BLE001 - same for the forest figures
        rec[in_lang(lang, "森林碳汇", "Forest sink")] = in_lang(lang, f"无数据（{exc}）", f"no data ({exc})")
    return rec


def passive_mask(layer: LayerDef, gdf: pd.DataFrame) -> np.ndarray:
    """True for features drawn for context only (``[style] passive_categories``): never picked by a click."""
    field, passive = layer.style.get("category_field"), layer.style.get("passive_categories") or []
    if not passive or not field or field not in gdf.columns:
        return np.zeros(len(gdf), dtype=bool)
    return gdf[field].astype(str).isin([str(p) for p in passive]).to_numpy()


def pickable_frame(layer: LayerDef, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` with its passive features' geometries emptied (same rows, so positions stay valid)."""
    mask = passive_mask(layer, gdf)
    if not mask.any():
        return gdf
    out = gdf.copy()
    out.loc[mask, out.geometry.name] = None
    return out


def hit_positions(click: dict, zoom: int, shown: list[LayerDef], basemap_id: str, *,
                  index: Callable[[str], tiles.FeatureIndex]) -> list[tuple[LayerDef, int]]:
    """(layer, row position) of the feature under a clicked point in each visible clickable layer, topmost first."""
    lon, lat = to_wgs84(float(click["lng"]), float(click["lat"]), basemap_id)
    out = []
    for layer in clickable(shown, zoom):
        pos = index(layer.id).lookup(lon, lat, tolerance_m(layer, zoom, lat))
        if pos is not None:
            out.append((layer, pos))
    return out


def lookup(click: dict, zoom: int, shown: list[LayerDef], basemap_id: str, lang: str, *,
           index: Callable[[str], tiles.FeatureIndex], frame: Callable[[str], gpd.GeoDataFrame],
           per_roof: Callable[[], pd.DataFrame | None], township: Callable[[str, str], dict[str, Any]],
           co2_factor: str | None = None) -> list[tuple[LayerDef, dict[str, Any]]]:
    """Features under a clicked point (``{"lng", "lat"}`` in display coordinates) in the visible layers.

    ``index``/``frame`` give a layer's feature index and GeoDataFrame by id, ``per_roof`` the
    scenario's per-roof results, ``township`` the extra figures of a ``click_details =
    "township_pv"`` feature by (layer id, code) (the app passes its caches); ``co2_factor`` labels a roof's
    CO2 figure with its factor and year. Returns (layer, record) pairs, topmost layer first.
    """
    lon, lat = to_wgs84(float(click["lng"]), float(click["lat"]), basemap_id)
    hits = []
    for layer in clickable(shown, zoom):
        pos = index(layer.id).lookup(lon, lat, tolerance_m(layer, zoom, lat))
        if pos is None:
            continue
        row = frame(layer.id).iloc[pos]
        if layer.scenario == "pv":
            results = per_roof()
            hits.append((layer, roof_record(row, None if results is None else results.iloc[pos], lang,
                                              co2_factor)))
            continue
        rec = feature_record(layer, row, lang)
        if layer.click_details == "township_pv" and "code" in row.index:
            rec.update(township(layer.id, str(row["code"])))
        hits.append((layer, rec))
    return hits
