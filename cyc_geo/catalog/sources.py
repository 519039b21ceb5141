"""Where each layer's data comes from: planner files first, generated demo data second.

Resolution order for a layer id ``X``:

1. the active import of ``X`` recorded by the importer (``data/layers/X/active.gpkg``);
2. a planner file dropped into ``data/boundaries/`` named ``X.gpkg``, ``X.geojson``,
   ``X.shp``, ``X.zip`` or ``X.parquet``;
3. the layer's own file: ``source`` in its TOML (a path under the data folder), built by its
   ``demo`` builder when missing; for layers with a loader, the demo/derived file built by the
   project's own generator.

Planner files are not demo data: their metadata says ``demo = "false"``. A source file without
provenance metadata (a GeoJSON someone put in the data folder) is taken as real data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

from cyc_geo import paths
from cyc_geo.catalog.vector_io import read_layer
from cyc_geo.geo.crs import WGS84

if TYPE_CHECKING:
    from cyc_geo.catalog.registry import LayerDef

PLANNER_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".parquet")


def active_import_path(layer_id: str) -> Path:
    """Path where the importer keeps the active version of ``layer_id``."""
    return paths.data_dir() / "layers" / layer_id / "active.gpkg"


def active_raster_path(layer_id: str) -> Path:
    """Path where the importer keeps the active GeoTIFF of raster layer ``layer_id`` (e.g. land cover)."""
    return paths.data_dir() / "layers" / layer_id / "active.tif"


def built(path: Path, build: Callable[[], object]) -> Path:
    """``path``, written first by ``build()`` when it does not exist yet (demo or derived files)."""
    if not path.exists():
        build()
    return path


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


def read_planner_file(path: Path) -> gpd.GeoDataFrame:
    """A planner's file (WGS84) with provenance that says so: not demo, source = the file."""
    gdf = read_any(path)
    meta = dict(gdf.attrs.get("meta") or {})
    meta.setdefault("source", f"planner file {path.name}")
    meta["demo"] = "false"
    meta.setdefault("approximate", "false")
    gdf.attrs["meta"] = meta
    return gdf


def resolve_layer(layer_id: str, demo_path: Callable[[], Path]) -> gpd.GeoDataFrame:
    """Load ``layer_id`` from a planner file if one exists, else layer ``layer_id`` of ``demo_path()``."""
    user = planner_file(layer_id)
    if user is not None:
        return read_planner_file(user)
    return read_layer(demo_path(), layer_id)


def source_path(layer: LayerDef) -> Path:
    """Where a ``source`` layer's own file lives: ``<data folder>/<source>``."""
    if not layer.source:
        raise ValueError(f"layer {layer.id!r} has no source file (it has a loader)")
    return paths.data_dir() / layer.source


def load_source(layer: LayerDef) -> gpd.GeoDataFrame:
    """The generic source of a layer declared with ``source = ...`` in its TOML.

    A planner's imported version of the layer (or a file in ``data/boundaries``) wins; else the
    source file, built first by the layer's ``demo`` builder when it is missing. In a
    GeoPackage the layer named like the layer id is read (else the first layer). Raises
    ``FileNotFoundError`` (zh + en) when there is no file and no builder.
    """
    user = planner_file(layer.id)
    if user is not None:
        return read_planner_file(user)
    path = source_path(layer)
    if not path.exists() and layer.demo:
        layer.build_demo()
    if not path.exists():
        raise FileNotFoundError(
            f"图层 {layer.id} 的数据文件不存在：{path} / data file of layer {layer.id!r} not found: {path}"
        )
    if path.suffix.lower() == ".gpkg":
        import pyogrio

        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        return read_layer(path, layer.id if layer.id in names else None)
    gdf = read_any(path)
    if not gdf.attrs.get("meta"):
        gdf.attrs["meta"] = {"source": f"data file {layer.source}", "demo": "false", "approximate": "false"}
    return gdf


RASTER_SUFFIXES = (".tif", ".tiff", ".TIF")


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{path}:{st.st_mtime_ns}:{st.st_size}"


def source_version(layer_id: str) -> str:
    """A string that changes whenever the data behind ``layer_id`` changes (a cache key).

    The planner's file (active import or ``data/boundaries/<id>.*``, vector or raster) with its
    modification time in nanoseconds and size; else the layer's ``source`` file (demo or
    bundled) the same way; else ``"missing"`` (a loader layer whose file is built on demand:
    an import still changes the version, since the planner file then exists).
    """
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
