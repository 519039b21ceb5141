"""Summaries of loaded layers (feature count, CRS, bounds, provenance flags)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from cyc_geo.catalog.registry import LayerDef


def is_flag(meta: dict[str, Any], key: str) -> bool:
    """Read a boolean provenance flag stored as text ("true"/"false") or bool."""
    return str(meta.get(key, "false")).lower() == "true"


def summarize(layer: LayerDef, gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``layers --json`` record of a loaded layer."""
    meta = dict(gdf.attrs.get("meta") or {})
    approx = is_flag(meta, "approximate")
    if "approximate" in gdf.columns and len(gdf):
        approx = approx or bool(gdf["approximate"].astype(bool).any())
    bounds = [float(v) for v in gdf.total_bounds] if len(gdf) else None
    return {
        "id": layer.id,
        "title_zh": layer.title_zh,
        "title_en": layer.title_en,
        "features": int(len(gdf)),
        "crs": gdf.crs.to_string() if gdf.crs is not None else None,
        "bounds": bounds,
        "demo": is_flag(meta, "demo"),
        "approximate": approx,
        "source": meta.get("source", ""),
    }


def layer_summary(layer: LayerDef) -> dict[str, Any]:
    """Load ``layer`` and summarise it."""
    return summarize(layer, layer.load())
