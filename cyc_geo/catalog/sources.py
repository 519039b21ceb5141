"""Where each layer's data lives: planner files first, the layer's own (source or demo) file second.

Resolution order for a layer id ``X`` (applied by :func:`cyc_geo.catalog.loader.load_layer`, the
one way into layer data):

1. the active import of ``X`` recorded by the importer (``data/layers/X/active.gpkg``);
2. a planner file dropped into ``data/boundaries/`` named ``X.gpkg``, ``X.geojson``,
   ``X.shp``, ``X.zip`` or ``X.parquet``;
3. the layer's own file: ``source`` in its TOML (a path under the data folder), built by its
   ``demo`` builder when missing.

Planner files are not demo data: their metadata says ``demo = "false"``. A source file without
provenance metadata (a GeoJSON someone put in the data folder) is taken as real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from cyc_geo import paths
from cyc_geo.catalog.vector_io import read_layer
from cyc_geo.geo.crs import WGS84

if TYPE_CHECKING:
    from cyc_geo.catalog.registry import LayerDef

PLANNER_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".parquet")
PARQUET_META_KEY = b"cyc_geo"
"""Key of cyc-geo's provenance (JSON) in a GeoParquet file's schema metadata."""


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
    boundaries = paths.boundaries_dir()
    for suffix in PLANNER_SUFFIXES:
        candidate = boundaries / f"{layer_id}{suffix}"
        if candidate.exists():
            return candidate
    return None


def read_any(path: Path) -> gpd.GeoDataFrame:
    """Read a vector file of any supported format into WGS84 (a GeoParquet's cyc-geo provenance in
    ``attrs["meta"]``)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import json

        import pyarrow.parquet as pq

        gdf = gpd.read_parquet(path)
        raw = (pq.read_schema(path).metadata or {}).get(PARQUET_META_KEY)
        gdf.attrs["meta"] = json.loads(raw) if raw else {}
        return gdf.to_crs(WGS84)
    if path.suffix.lower() == ".zip":
        return read_layer(Path(f"/vsizip/{path}"))
    return read_layer(path)


def read_planner_file(path: Path, layer_id: str | None = None) -> gpd.GeoDataFrame:
    """A planner's file (WGS84) with provenance that says so: not demo, source = the file.

    In a GeoPackage holding several layers the one named ``layer_id`` is read (else the first)."""
    path = Path(path)
    gdf = read_any(path) if layer_id is None else _read_named(path, layer_id)
    meta = dict(gdf.attrs.get("meta") or {})
    meta.setdefault("source", f"planner file {path.name}")
    meta["demo"] = "false"
    meta.setdefault("approximate", "false")
    gdf.attrs["meta"] = meta
    return gdf


def _read_named(path: Path, layer_id: str) -> gpd.GeoDataFrame:
    if path.suffix.lower() != ".gpkg":
        return read_any(path)
    import pyogrio

    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    return read_layer(path, layer_id if layer_id in names else None)


def source_path(layer: LayerDef) -> Path:
    """Where a ``source`` layer's own file lives: ``<data folder>/<source>``."""
    if not layer.source:
        raise ValueError(f"layer {layer.id!r} has no source file (its demo builder names it)")
    return paths.data_dir() / layer.source


RASTER_SUFFIXES = (".tif", ".tiff", ".TIF")


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


def source_version(layer_id: str) -> str:
    """A string that changes whenever the data behind ``layer_id`` changes (a cache key).

    The planner's file (active import or ``data/boundaries/<id>.*``, vector or raster) with its
    modification time in nanoseconds and size; else the layer's ``source`` file (demo or
    bundled) the same way; else ``"missing"`` (its file is not built yet, or a layer without a
    ``source`` whose demo builder names the file: an import still changes the version, since the
    planner file then exists). A layer with a ``transform_version`` adds what that returns (its saved edits).
    """
    from cyc_geo.catalog.registry import get_layer, import_ref

    try:
        extra = get_layer(layer_id).transform_version
    except KeyError:
        extra = None
    files = _files_version(layer_id)
    return files if extra is None else f"{files}|edits={import_ref(extra)()}"


def _files_version(layer_id: str) -> str:
    user = planner_file(layer_id)
    if user is None:
        rasters = [active_raster_path(layer_id)]
        rasters += [paths.boundaries_dir() / f"{layer_id}{s}" for s in RASTER_SUFFIXES]
        user = next((p for p in rasters if p.exists()), None)
    if user is not None:
        return "planner:" + _stamp(user)
    from cyc_geo.catalog.registry import get_layer

    try:
        layer = get_layer(layer_id)
    except KeyError:
        return "missing"
    if layer.source and source_path(layer).exists():
        return "source:" + _stamp(source_path(layer))
    return "missing"
