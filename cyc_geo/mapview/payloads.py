"""What the map page draws, computed from the layers' GeoDataFrames (no Streamlit here).

- big layers at county zoom: a value summed per H3 cell (:func:`hex_cells`, :func:`hex_values`),
  classed and coloured (:func:`classed_hexes`), drawn as :func:`hex_layer_def`;
- big layers from building zoom: vector tiles (:func:`tile_signature`, :func:`tile_style`);
- the county's bounds as drawn, a layer's demo flag, the features inside a view.

The app caches these per layer version (``ui/map_data.py``).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.geo import hexgrid
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU, WGS84
from cyc_geo.mapview import tiles
from cyc_geo.mapview.legend import LegendSection, class_breaks, colours_for
from cyc_geo.mapview.safe import script_safe_json

BIG_PALETTE = "YlOrRd"
HEX_CLASSES = 6
TILE_FALLBACK_COLOUR = "#2c7fb8"
MISSING_COLOUR = "#999999"
HEX_FIELDS = (
    ("sink_t_co2_yr", "年碳汇", "Sink", "t CO₂/yr"),
    ("capacity_kw", "光伏潜力", "PV potential", "kW"),
    ("area_m2", "面积", "Area", "m²"),
    ("area_ha", "面积", "Area", "ha"),
)
"""What a big layer's hexagons sum, first column present wins (additive quantities only). Areas are shown
in the reader's unit (:data:`AREA_UNITS`), never in millions of m²."""
AREA_UNITS = {"zh": ("亩", M2_PER_MU), "en": ("ha", 10_000.0)}
"""Unit of a summed area by language and its size in m²: 亩 (10000/15 m², :data:`cyc_geo.geo.crs.M2_PER_MU`)
in Chinese, hectares in English."""
TILE_ID_COLUMNS = ("building_class", "class_code", "roof_id", "patch_id")
"""Columns whose change changes a big layer's tiles (with the geometry)."""


def in_lang(lang: str, zh: str, en: str) -> str:
    """The Chinese or the English text, by language code (the library's counterpart of ``ui.common.tr``)."""
    return zh if lang == "zh" else en


def attribute_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """A layer's attributes without the geometry (what :func:`cyc_geo.pv.model.estimate` reads)."""
    return pd.DataFrame(gdf.drop(columns="geometry"))


def hex_cells(gdf: gpd.GeoDataFrame, resolution: int) -> np.ndarray:
    """H3 cell (uint64) of each feature: the precomputed ``h3_<res>`` column, else its representative point."""
    col = f"h3_{resolution}"
    if col in gdf.columns:
        return gdf[col].to_numpy(np.uint64)
    pts = gdf.to_crs(AREA_CRS).representative_point().to_crs(WGS84)
    return hexgrid.cells(pts.x.to_numpy(), pts.y.to_numpy(), resolution)


def hex_geometry(cells: np.ndarray) -> gpd.GeoDataFrame:
    """Hexagon polygons (``h3``, ``count``, geometry) of the cells a layer occupies."""
    return hexgrid.hexagons(cells)[["h3", "count", "geometry"]]


def hex_values(gdf: pd.DataFrame, cells: np.ndarray, lang: str,
               per_roof: pd.DataFrame | None = None) -> tuple[pd.Series, str, str]:
    """Value summed per H3 cell (index: h3 id string), its label in ``lang`` and unit.

    With ``per_roof`` (a PV scenario's results, one row per feature) the cells sum its
    capacity; else the first :data:`HEX_FIELDS` column present; else the feature count.
    """
    import h3

    if per_roof is not None:
        values, label, unit = per_roof["capacity_kw"].to_numpy(), in_lang(lang, "光伏潜力", "PV potential"), "kW"
    else:
        for col, zh, en, unit in HEX_FIELDS:
            if col in gdf.columns:
                values, label = pd.to_numeric(gdf[col], errors="coerce").fillna(0).to_numpy(float), in_lang(lang, zh, en)
                if col in ("area_m2", "area_ha"):
                    unit, size_m2 = AREA_UNITS.get(lang, AREA_UNITS["en"])
                    values = values * (1.0 if col == "area_m2" else 10_000.0) / size_m2
                break
        else:
            values, label, unit = np.ones(len(cells)), in_lang(lang, "要素数", "Features"), ""
    sums = pd.Series(values).groupby(cells).sum()
    sums.index = [h3.int_to_str(int(c)) for c in sums.index]
    return sums, label, unit


def classed_hexes(hexes: gpd.GeoDataFrame, sums: pd.Series, k: int = HEX_CLASSES,
                  palette_name: str = BIG_PALETTE, breaks: list[float] | None = None
                  ) -> tuple[gpd.GeoDataFrame, list[float]]:
    """A copy of ``hexes`` with ``value`` (``sums`` per cell, 0.1 rounding) and ``_fill`` (Fisher-Jenks class colour;
    ``breaks``: given classes instead, e.g. :func:`shared_breaks` of two compared scenarios)."""
    out = hexes.copy()
    out["value"] = sums.reindex(out["h3"]).fillna(0.0).round(1).to_numpy()
    if breaks is None:
        breaks = class_breaks(out["value"], k=k)
    out["_fill"] = colours_for(out["value"], breaks, palette_name)
    return out, breaks


def shared_breaks(hexes: gpd.GeoDataFrame, sums: list[pd.Series], k: int = HEX_CLASSES) -> list[float]:
    """Fisher-Jenks classes of the cell values of several ``sums`` together (the two sides of a compare), so one
    colour means one value range on both sides."""
    values = [s.reindex(hexes["h3"]).fillna(0.0).round(1).to_numpy() for s in sums]
    return class_breaks(np.concatenate(values) if values else np.array([]), k=k)


OUTLINE_WEIGHT = 1.6
"""Line width (px) of a large layer's hexagons drawn as outlines (:func:`hex_layer_def`)."""


def hex_layer_def(layer: LayerDef, value_label: str, unit: str, outline: bool = False) -> LayerDef:
    """How the hexagon view of a big layer is drawn (tooltip: value and feature count): filled with the
    class colour, or with ``outline`` only the hexagon edges in the class colour (no fill), so that a
    second large layer on the map does not cover the first one (the rule in :func:`hex_fill_rule`)."""
    value = f"{value_label} ({unit})" if unit else value_label
    return LayerDef(
        id=f"{layer.id}_hex",
        title_zh=layer.title_zh,
        title_en=layer.title_en,
        source=layer.source,
        geometry="polygon",
        tooltip=("value", "count"),
        tooltip_labels_zh=(value, "要素数"),
        tooltip_labels_en=(value, "Features"),
        style={"color": "#7f2704", "weight": OUTLINE_WEIGHT, "fill_opacity": 0.0, "stroke_col": "_fill"} if outline
        else {"color": "#7f2704", "weight": 0.3, "fill_opacity": 0.7},
    )


def hex_fill_rule(big_layer_ids: list[str]) -> dict[str, bool]:
    """Which large layers are drawn as filled hexagons at county zoom: one at a time, the first one on in
    the layer list; every other large layer on is drawn as hexagon outlines (``False``). Filled hexagons
    of two layers would hide each other; the hexagons' pane lies below the small layers (belt, red line,
    townships), so those stay visible (:data:`cyc_geo.mapview.webmap.AGG_PANE`)."""
    return {layer_id: i == 0 for i, layer_id in enumerate(big_layer_ids)}


def tile_signature(gdf: gpd.GeoDataFrame, shifted: bool) -> str:
    """Signature of a big layer's tile set (geometry and id/class columns; ``g`` suffix when GCJ-02-shifted)."""
    cols = [c for c in TILE_ID_COLUMNS if c in gdf.columns]
    return tiles.signature(gdf, cols) + (tiles.GCJ02_SUFFIX if shifted else "")


def tile_style(layer: LayerDef, sig: str, lang: str, year: int | None = None) -> tuple[str, str, LegendSection]:
    """URL, JS fill expression (of the tile feature properties ``p``) and legend of a big layer's tiles (of the
    layer as of ``year``, when given: :func:`cyc_geo.mapview.tiles.tileset_name`)."""
    url = tiles.tile_url(tiles.tileset_name(layer.id, year), sig)
    title = layer.title(lang)
    colours = layer.style.get("category_colors") or {}
    codes = layer.style.get("category_codes") or {}
    labels = layer.legend_labels(lang)
    if codes:  # tiles carry the category as a small integer (tiles.tile_frame)
        lut = {codes[k]: colours.get(k, MISSING_COLOUR) for k in codes}
        fill_js = f"({script_safe_json(lut)})[p.c] || '{MISSING_COLOUR}'"
        rows = [("fill", colours.get(k, MISSING_COLOUR), labels.get(k, k)) for k in codes]
    elif colours:
        fallback = script_safe_json(layer.style.get("fill_color", TILE_FALLBACK_COLOUR))
        fill_js = f"({script_safe_json(colours)})[p.c] || {fallback}"
        rows = [("fill", c, labels.get(k, k)) for k, c in colours.items()]
    else:
        col = layer.style.get("fill_color", layer.style.get("color", TILE_FALLBACK_COLOUR))
        fill_js = script_safe_json(col)
        rows = [("fill", col, title)]
    return url, fill_js, LegendSection(title, rows)


def bounds_of(gdf: gpd.GeoDataFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """((south, west), (north, east)) of a frame (e.g. the county as drawn on a basemap)."""
    w, s, e, n = gdf.total_bounds
    return (float(s), float(w)), (float(n), float(e))


def features_in_view(gdf: gpd.GeoDataFrame, index: tiles.FeatureIndex, bounds: tuple[float, float, float, float],
                     limit: int = 30_000) -> gpd.GeoDataFrame:
    """Features of ``gdf`` inside (west, south, east, north), at most ``limit`` in file order (for exports)."""
    import shapely

    idx = index.tree.query(shapely.box(*bounds))
    return gdf.iloc[np.sort(idx)[:limit]]


def scenario_key(layer: LayerDef, scenario: Any) -> str:
    """The part of a cache key that depends on the scenario: its JSON for a PV layer, empty otherwise."""
    return scenario.to_json() if layer.scenario == "pv" and scenario is not None else ""
