"""Reading and writing vector layers with their provenance metadata.

GeoPackage is the project's storage format for vector layers; provenance
(source, conversion, whether the data is demo or approximate) is stored in the
GeoPackage layer metadata so that it travels with the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from cyc_geo.geo.crs import WGS84

META_KEY = "cyc_geo"


def write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, meta: dict[str, Any]) -> Path:
    """Write ``gdf`` (reprojected to WGS84) as ``layer`` of the GeoPackage at ``path``.

    The write goes to a temporary file first and is moved into place atomically,
    so a reader never sees a half-written layer.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{layer}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    if path.exists():
        # keep the other layers of an existing GeoPackage
        for other in pyogrio.list_layers(path)[:, 0]:
            if other != layer:
                pyogrio.write_dataframe(
                    pyogrio.read_dataframe(path, layer=other),
                    tmp,
                    layer=other,
                    driver="GPKG",
                    layer_metadata=read_meta_raw(path, other),
                    append=tmp.exists(),
                )
    out = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
    pyogrio.write_dataframe(
        out,
        tmp,
        layer=layer,
        driver="GPKG",
        layer_metadata={META_KEY: json.dumps(meta, ensure_ascii=False)},
        append=tmp.exists(),
    )
    tmp.replace(path)
    return path


def read_meta_raw(path: Path, layer: str) -> dict[str, str]:
    """The raw GeoPackage layer metadata dictionary (empty if none)."""
    info = pyogrio.read_info(path, layer=layer)
    return dict(info.get("layer_metadata") or {})


def read_meta(path: Path, layer: str) -> dict[str, Any]:
    """cyc-geo provenance metadata stored with ``layer`` (empty dict if none)."""
    raw = read_meta_raw(path, layer).get(META_KEY)
    return json.loads(raw) if raw else {}


def read_layer(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer (default: the first) as WGS84, with its metadata in ``gdf.attrs``."""
    gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    if gdf.crs is None:
        raise ValueError(f"{path} has no CRS")
    gdf = gdf.to_crs(WGS84)
    if Path(path).suffix.lower() == ".gpkg":
        name = layer or pyogrio.list_layers(path)[0, 0]
        gdf.attrs["meta"] = read_meta(path, name)
    else:
        gdf.attrs["meta"] = {}
    return gdf
