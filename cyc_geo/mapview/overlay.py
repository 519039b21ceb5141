"""A raster layer drawn as one served PNG, with its legend (no Streamlit here).

The layer's TOML names how to draw it, ``style.raster_rgba = "module:function"`` (``(path) ->
(rgba, [[south, west], [north, east]])`` in web mercator, e.g.
:func:`cyc_geo.carbon.landcover.overlay_rgba`), and its classes, ``legend.source =
"module:function"`` (``() -> DataFrame`` with ``value``, ``code``, ``name_zh``, ``name_en``,
``color``, e.g. :func:`cyc_geo.carbon.landcover.class_table`). The PNG, its bounds and the
class values present are written once per raster file version under the tiles folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.catalog.registry import LayerDef, import_ref
from cyc_geo.mapview import tiles
from cyc_geo.mapview.legend import LegendSection

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Overlay:
    """A drawn raster layer: served PNG URL, ((south, west), (north, east)) and legend."""

    url: str
    bounds: Bounds
    legend: LegendSection


def raster_path(footprint: gpd.GeoDataFrame) -> str | None:
    """The raster file behind a raster layer's footprint row (its ``path`` column), if any."""
    return str(footprint["path"].iloc[0]) if "path" in footprint.columns and len(footprint) else None


def png_path(layer_id: str, footprint: gpd.GeoDataFrame, root: Path | None = None) -> Path:
    """``<tiles>/<layer>-<footprint signature>-<raster mtime s>.png``: a new raster file is a new PNG."""
    path = raster_path(footprint)
    sig = tiles.signature(footprint, [c for c in ("path", "resolution") if c in footprint.columns])
    mtime = str(int(Path(path).stat().st_mtime)) if path and Path(path).exists() else "0"
    return Path(root or tiles.tiles_root()) / f"{layer_id}-{sig}-{mtime}.png"


def present_values(path: str | Path) -> list[int]:
    """Sorted class values present in a categorical raster (nodata excluded)."""
    import rasterio

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
    return sorted(int(v) for v in np.unique(np.ma.compressed(band)))


def write_overlay(layer: LayerDef, footprint: gpd.GeoDataFrame, png: Path) -> tuple[list, list[int]]:
    """Draw the raster (``style.raster_rgba``) into ``png``, with ``.json`` bounds and ``.classes.json`` values."""
    path = raster_path(footprint)
    draw = import_ref(str(layer.style["raster_rgba"]))
    rgba, bounds = draw(path) if path else draw()
    tiles.write_rgba_png(rgba, png)
    present = present_values(path) if path else []
    png.with_suffix(".json").write_text(json.dumps(bounds))
    png.with_suffix(".classes.json").write_text(json.dumps(present))
    return bounds, present


def read_overlay(png: Path) -> tuple[list, list[int]] | None:
    """Bounds and class values of an overlay written before; None when any of its files is missing."""
    files = [png, png.with_suffix(".json"), png.with_suffix(".classes.json")]
    if not all(f.exists() for f in files):
        return None
    return json.loads(files[1].read_text()), json.loads(files[2].read_text())


def class_table(layer: LayerDef) -> pd.DataFrame:
    """The layer's legend classes from ``legend.source``; an empty table when it names none."""
    ref = layer.legend.get("source")
    return import_ref(ref)() if ref else pd.DataFrame(columns=["value", "code", "name_zh", "name_en", "color"])


def legend_rows(classes: pd.DataFrame, present: list[int], lang: str) -> list[tuple[str, str, str]]:
    """Legend rows ``("fill", colour, "<code> <name>")`` of the classes present (all when ``present`` is empty)."""
    name = "name_zh" if lang == "zh" else "name_en"
    keep = set(present)
    return [("fill", str(row["color"]), f"{row['code']} {row[name]}")
            for _, row in classes.iterrows() if not keep or int(row["value"]) in keep]


def raster_overlay(layer: LayerDef, footprint: gpd.GeoDataFrame, lang: str, root: Path | None = None) -> Overlay | None:
    """The raster layer as a served PNG with its legend; None when its TOML says no way to draw it."""
    if not layer.style.get("raster_rgba"):
        return None
    png = png_path(layer.id, footprint, root)
    done = read_overlay(png)
    bounds, present = done if done is not None else write_overlay(layer, footprint, png)
    section = LegendSection(layer.title(lang), legend_rows(class_table(layer), present, lang))
    url = f"{tiles.STATIC_URL}/tiles/{png.name}"
    return Overlay(url, ((bounds[0][0], bounds[0][1]), (bounds[1][0], bounds[1][1])), section)
