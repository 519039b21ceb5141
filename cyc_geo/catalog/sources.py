"""Where each layer's data comes from: planner files first, generated demo data second.

Resolution order for a layer id ``X``:

1. the active import of ``X`` recorded by the importer (``data/layers/X/active.gpkg``);
2. a planner file dropped into ``data/boundaries/`` named ``X.gpkg``, ``X.geojson``,
   ``X.shp``, ``X.zip`` or ``X.parquet``;
3. the demo/derived file built by the project's own generator.

Planner files are not demo data: their metadata says ``demo = "false"``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from cyc_geo import paths
from cyc_geo.geo.crs import WGS84
from cyc_geo.catalog.vector_io import read_layer

PLANNER_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".parquet")


def active_import_path(layer_id: str) -> Path:
    """Path where the importer keeps the active version of ``layer_id``."""
    return paths.data_dir() / "layers" / layer_id / "active.gpkg"


def active_raster_path(layer_id: str) -> Path:
    """Path where the importer keeps the active GeoTIFF of raster layer ``layer_id`` (e.g. land cover)."""
    return paths.data_dir() / "layers" / layer_id / "active.tif"


def planner_file(layer_id: str) -> Path | None:
    """The planner-supplied file for ``layer_id``, if any (see module docstring)."""
    active = active_import_path(layer_id)
    if active.exists():
        return active
    for suffix in PLANNER_SUFFIXES:
        candidate = paths.boundaries_dir() / f"{layer_id}{suffix}"
        if candidate.exists():
            return candidate
    return None


def read_any(path: Path) -> gpd.GeoDataFrame:
    """Read a vector file of any supported format into WGS84."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        gdf = gpd.read_parquet(path)
        gdf.attrs["meta"] = {}
        return gdf.to_crs(WGS84)
    if path.suffix.lower() == ".zip":
        return read_layer(Path(f"/vsizip/{path}"))
    return read_layer(path)


def resolve_layer(layer_id: str, demo_path: Callable[[], Path]) -> gpd.GeoDataFrame:
    """Load ``layer_id`` from a planner file if one exists, else layer ``layer_id`` of ``demo_path()``."""
    user = planner_file(layer_id)
    if user is not None:
        gdf = read_any(user)
        meta = dict(gdf.attrs.get("meta") or {})
        meta.setdefault("source", f"planner file {user.name}")
        meta["demo"] = "false"
        meta.setdefault("approximate", "false")
        gdf.attrs["meta"] = meta
        return gdf
    return read_layer(demo_path(), layer_id)
