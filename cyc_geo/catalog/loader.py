"""The one way into layer data: :func:`load_layer` loads any registered layer by id.

Every layer is loaded in the same order (the layer's keys are documented in
:mod:`cyc_geo.catalog.registry`):

1. the planner's version: the active import of the layer (``data/layers/<id>/active.gpkg``, or
   ``active.tif`` for a raster layer; :mod:`cyc_geo.catalog.versions`), else a file dropped into
   ``data/boundaries/`` named after the layer id (:func:`cyc_geo.catalog.sources.planner_file`);
   provenance ``demo = "false"``;
2. else the layer's ``source`` file (a path under the data folder), when it exists and its
   ``demo_stale`` check (if any) does not ask for a rebuild;
3. else the layer's ``demo`` builder, which writes the file (demo data, flagged demo in the
   file's own provenance) and returns its path; the file it returns is read;
4. then the layer's ``transform`` (if any): ``module:function(GeoDataFrame) -> GeoDataFrame``
   adding derived columns (roofs assigned to townships, areas, H3 cells, ...). A transform may
   ask this module for other layers by id.

Raster layers (``geometry = "raster"``): :func:`layer_path` resolves the raster file by the same
order (the planner's ``active.tif`` or ``data/boundaries/<id>.tif``, the source, the demo build);
:func:`load_layer` returns the raster's footprint (one WGS84 row with ``path`` and
``resolution`` columns, the GeoTIFF's provenance tags in ``attrs["meta"]``) for the layer list;
the cells are read from :func:`layer_path` by the domain module (e.g.
:func:`cyc_geo.carbon.landcover.load_landcover`).

Each loaded frame carries ``attrs["origin"]``: ``("planner" | "source" | "built", path)`` (which
step supplied it), for transforms that treat a planner's file differently from derived files.
Demo builders and transforms are named by ``"module:function"`` strings and imported only when
used, so no domain module imports :mod:`cyc_geo.demo` and the catalogue imports no domain module.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import rasterio
import shapely

from cyc_geo import paths
from cyc_geo.catalog.registry import LayerDef, get_layer, import_ref
from cyc_geo.catalog.sources import (
    RASTER_SUFFIXES,
    active_raster_path,
    planner_file,
    read_any,
    read_planner_file,
    source_path,
)
from cyc_geo.catalog.vector_io import read_layer
from cyc_geo.geo.crs import WGS84


def _layer(layer: str | LayerDef) -> LayerDef:
    return get_layer(layer) if isinstance(layer, str) else layer


def planner_path(layer: str | LayerDef) -> Path | None:
    """The planner's file of a layer (step 1), or None: the active import, else ``data/boundaries/<id>.*``.

    An id with no TOML (a file only a planner supplies, such as the 三调 地类图斑 ``dltb`` the land check
    reads when present) is looked up by that name alone."""
    try:
        layer = _layer(layer)
    except KeyError:
        return planner_file(str(layer))
    if layer.geometry != "raster":
        return planner_file(layer.id)
    candidates = [active_raster_path(layer.id)]
    candidates += [paths.boundaries_dir() / f"{layer.id}{s}" for s in RASTER_SUFFIXES]
    return next((p for p in candidates if p.exists()), None)


def current_source(layer: str | LayerDef) -> Path | None:
    """Step 2 without building: the layer's source file when it exists and its ``demo_stale`` check (if any)
    does not ask for a rebuild, else None."""
    layer = _layer(layer)
    path = source_path(layer) if layer.source else None
    if path is None or not path.exists():
        return None
    return None if layer.demo_stale and import_ref(layer.demo_stale)(path) else path


def _own(layer: LayerDef) -> tuple[str, Path]:
    """Steps 2-3: the layer's source file, else (or when its ``demo_stale`` check says so) the file its
    demo builder writes."""
    current = current_source(layer)
    if current is not None:
        return "source", current
    path = source_path(layer) if layer.source else None
    if layer.demo:
        built = Path(import_ref(layer.demo)())
        path = path or built
        if path.exists():
            return "built", path
    where = path if path is not None else "-"
    raise FileNotFoundError(f"图层 {layer.id} 的数据文件不存在：{where} / data file of layer {layer.id!r} not found: {where}")


def resolve(layer: str | LayerDef) -> tuple[str, Path]:
    """Which step supplies the layer's data and its file: ``("planner" | "source" | "built", path)``.

    Runs the demo builder when there is no planner file and no (current) source file (step 3)."""
    layer = _layer(layer)
    user = planner_path(layer)
    return ("planner", user) if user is not None else _own(layer)


def layer_path(layer: str | LayerDef) -> Path:
    """The file holding the layer's data (vector or raster), by the order of the module docstring."""
    return resolve(layer)[1]


def _read_vector(layer: LayerDef, kind: str, path: Path) -> gpd.GeoDataFrame:
    if kind == "planner":
        return read_planner_file(path, layer.id)
    if path.suffix.lower() == ".gpkg":
        import pyogrio

        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        want = layer.source_layer or layer.id
        return read_layer(path, want if want in names else None)
    gdf = read_any(path)
    if not gdf.attrs.get("meta"):
        gdf.attrs["meta"] = {"source": f"data file {layer.source}", "demo": "false", "approximate": "false"}
    return gdf


def raster_meta(path: Path) -> dict[str, str]:
    """Provenance of a GeoTIFF from its tags (a raster without tags is a planner's: ``demo=false``),
    with its path, CRS, cell size (``"<x> x <y>"`` in the raster's CRS units) and ``data_year`` when tagged."""
    with rasterio.open(path) as src:
        tags = dict(src.tags())
        crs = src.crs.to_string() if src.crs else "none"
        res = src.res
    meta = {"source": tags.get("source", f"planner raster {path.name}"), "demo": tags.get("demo", "false"),
            "approximate": tags.get("approximate", "false"), "path": str(path), "crs": crs,
            "resolution": f"{res[0]:g} x {res[1]:g}"}
    if tags.get("data_year"):
        meta["data_year"] = tags["data_year"]
    return meta


def raster_footprint(path: Path) -> gpd.GeoDataFrame:
    """One WGS84 row: the raster's bounds, ``path`` and ``resolution``; provenance in ``attrs["meta"]``."""
    meta = raster_meta(path)
    with rasterio.open(path) as src:
        footprint = shapely.box(*src.bounds)
        crs = src.crs
    gdf = gpd.GeoDataFrame({"path": [str(path)], "resolution": [meta["resolution"]]},
                           geometry=[footprint], crs=crs).to_crs(WGS84)
    gdf.attrs["meta"] = meta
    return gdf


def load_layer(layer: str | LayerDef, transform: bool = True) -> gpd.GeoDataFrame:
    """The layer's GeoDataFrame (WGS84, provenance in ``attrs["meta"]``), by the order of the module
    docstring; ``transform=False`` skips the declared transform (the data as stored).

    Raises ``KeyError`` for an unknown id and ``FileNotFoundError`` (zh + en) when the layer has no
    file and no builder."""
    layer = _layer(layer)
    kind, path = resolve(layer)
    gdf = raster_footprint(path) if layer.geometry == "raster" else _read_vector(layer, kind, path)
    gdf.attrs["origin"] = (kind, str(path))
    if transform and layer.transform:
        origin = gdf.attrs["origin"]
        gdf = import_ref(layer.transform)(gdf)
        gdf.attrs.setdefault("origin", origin)
    return gdf
