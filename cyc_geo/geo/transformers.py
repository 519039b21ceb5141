"""Coordinate transformers that are cheap in every thread.

``pyproj.Transformer.from_crs(WGS84, EPSG:4547)`` searches PROJ's database for the candidate
operations between the two datums; that search takes about 0.14 s on the project's machine
(it ends in PROJ's "ballpark" WGS 84 → CGCS2000 offset, a no-op, then the Gauss-Kruger
projection). A ``Transformer`` keeps its PROJ object per thread and repeats the search in each new
thread. Geopandas caches one ``Transformer`` per CRS pair (``geopandas.array.TransformerFromCRS``),
but Streamlit runs every page run in a new thread, so each run that reprojected between WGS 84
and Gauss-Kruger paid 0.14 s per direction (py-spy, docs/map.md "Serving a planning office").

:func:`transformer` does the search once per pair and process, and keeps the operation PROJ
chose as a pipeline (``Transformer.from_pipeline(definition)``), which a new thread re-creates in
under a millisecond. It is used only when it gives bit-identical results to the searched
transformer on a grid over the source CRS's area of use; otherwise the searched transformer is
kept (e.g. where PROJ picks between several operations by location). :func:`install` makes
geopandas' ``to_crs`` use it. No Streamlit here.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

GRID = 12
"""Points per axis of the grid the pipeline is checked on (``GRID``² points over the area of use)."""


def _sample_points(crs_from: CRS) -> tuple[np.ndarray, np.ndarray] | None:
    """A ``GRID`` × ``GRID`` grid of points of ``crs_from``'s area of use, in its own coordinates (x, y order)."""
    area = crs_from.area_of_use
    if area is None:
        return None
    west, south, east, north = area.bounds
    if east < west:  # crosses the antimeridian: keep the western part
        east = 180.0
    grid_lon, grid_lat = np.meshgrid(np.linspace(west, east, GRID), np.linspace(south, north, GRID))
    lon, lat = grid_lon.ravel(), grid_lat.ravel()
    if crs_from.is_geographic:
        return lon, lat
    geodetic = crs_from.geodetic_crs
    if geodetic is None:
        return None
    to_proj = Transformer.from_pipeline(Transformer.from_crs(geodetic, crs_from, always_xy=True).definition)
    return to_proj.transform(lon, lat)


def _same(a: Transformer, b: Transformer, points: tuple[np.ndarray, np.ndarray]) -> bool:
    xa, ya = a.transform(*points)
    xb, yb = b.transform(*points)
    return bool(np.array_equal(np.asarray(xa), np.asarray(xb), equal_nan=True)
                and np.array_equal(np.asarray(ya), np.asarray(yb), equal_nan=True))


@functools.lru_cache(maxsize=128)
def _cached(crs_from: CRS, crs_to: CRS, always_xy: bool, options: tuple[tuple[str, Any], ...]) -> Transformer:
    searched = Transformer.from_crs(crs_from, crs_to, always_xy=always_xy, **dict(options))
    if not always_xy or options:
        return searched
    try:
        piped = Transformer.from_pipeline(searched.definition)
        points = _sample_points(crs_from)
    except ProjError:
        return searched
    if points is None or not _same(searched, piped, points):
        return searched
    return piped


def transformer(crs_from: Any, crs_to: Any, always_xy: bool = False, **options: Any) -> Transformer:
    """``Transformer.from_crs(crs_from, crs_to, always_xy=…, **options)``, searched once per process and
    cheap to use from any thread (see the module docstring). Same call signature as ``from_crs``."""
    return _cached(CRS.from_user_input(crs_from), CRS.from_user_input(crs_to), bool(always_xy),
                   tuple(sorted(options.items())))


def install() -> None:
    """Make geopandas' ``to_crs`` get its transformers from :func:`transformer` (idempotent).

    Geopandas (1.x) builds them through the module attribute ``geopandas.array.TransformerFromCRS``;
    if a geopandas version has no such attribute, nothing changes (only slower)."""
    import geopandas.array as gpd_array

    if getattr(gpd_array, "TransformerFromCRS", None) is not None:
        gpd_array.TransformerFromCRS = transformer
