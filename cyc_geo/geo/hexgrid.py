"""H3 hexagonal cells: the one place where cyc-geo indexes points and sums values by cell.

Cells are H3 ids: ``uint64`` integers in tables (the rooftop table precomputes
``h3_<res>`` columns, see :mod:`cyc_geo.pv.rooftops`), hex strings (``"8840c1..."``) in
results and on the map. Average cell areas (``h3.average_hexagon_area``): resolution 7
5.16 km², resolution 8 0.74 km² (edge 0.53 km), resolution 9 0.105 km².

Coordinates are WGS84 degrees (``lon`` east, ``lat`` north). Only the polygon functions load
geopandas, so the PV estimate on dask workers indexes and sums cells without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import h3
import h3.api.numpy_int as h3n
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

RESOLUTIONS = (7, 8, 9)
"""Resolutions precomputed in the rooftop table (``h3_7``, ``h3_8``, ``h3_9``)."""

ID_COL = "h3"
"""Column of hex-string cell ids in aggregated tables."""


def column(res: int) -> str:
    """Name of the precomputed cell column at resolution ``res``: ``h3_<res>``."""
    return f"h3_{res}"


def cells(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    """H3 cell id (``uint64``) of each point (``lon``, ``lat`` in degrees) at resolution ``res``.

    h3 has no array API: one C call per point.
    """
    return np.fromiter((h3n.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)), dtype=np.uint64, count=len(lat))


def cell_columns(lon: np.ndarray, lat: np.ndarray, resolutions: Iterable[int] = RESOLUTIONS) -> dict[str, np.ndarray]:
    """``{"h3_<res>": uint64 cell ids}`` of each point (degrees) at each of ``resolutions``."""
    return {column(res): cells(lon, lat, res) for res in resolutions}


def to_str(ids: np.ndarray) -> np.ndarray:
    """Hex-string ids (object array) of ``uint64`` cell ids; converts each distinct cell once."""
    uniq, inv = np.unique(np.asarray(ids, dtype=np.uint64), return_inverse=True)
    names = np.array([h3.int_to_str(int(u)) for u in uniq], dtype=object)
    return names[inv.reshape(-1)]


def cell_ints(df: pd.DataFrame, res: int) -> np.ndarray:
    """``uint64`` cell of each row at ``res``: the precomputed ``h3_<res>`` column when present,
    else computed from the ``lon``/``lat`` columns (degrees); bilingual ``ValueError`` without them."""
    col = column(res)
    if col in df.columns:
        return df[col].to_numpy(np.uint64)
    if not {"lon", "lat"} <= set(df.columns):
        raise ValueError("需要 lon/lat 字段 / lon and lat columns are required for H3")
    return cells(df["lon"].to_numpy(float), df["lat"].to_numpy(float), res)


def cell_ids(df: pd.DataFrame, res: int) -> pd.Series:
    """Hex-string cell id of each row at ``res`` (see :func:`cell_ints`), named ``h3_<res>``."""
    return pd.Series(to_str(cell_ints(df, res)), index=df.index, name=column(res))


def aggregate(df: pd.DataFrame, value_cols: Sequence[str], res: int) -> pd.DataFrame:
    """Sums of ``value_cols`` per H3 cell at ``res`` (units as in ``df``; additive quantities only).

    Cells come from :func:`cell_ints`; the result has the hex-string column ``h3`` first, one row
    per cell that holds at least one row of ``df``, in cell order.
    """
    sums = df[list(value_cols)].groupby(cell_ints(df, res), sort=True).sum()
    out = sums.reset_index(drop=True)
    out.insert(0, ID_COL, [h3.int_to_str(int(v)) for v in sums.index.to_numpy(np.uint64)])
    return out


def cell_polygons(df: pd.DataFrame, id_col: str = ID_COL) -> gpd.GeoDataFrame:
    """``df`` with the hexagon (WGS84 polygon) of its hex-string cell ``id_col`` as geometry."""
    import geopandas as gpd
    import shapely

    from cyc_geo.geo.crs import WGS84

    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in df[id_col]]
    return gpd.GeoDataFrame(df.copy(), geometry=polys, crs=WGS84)


def hexagons(ids: pd.Series | np.ndarray, values: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Hexagons (WGS84) of the cells present in ``ids`` (ints or hex strings), with ``count`` (rows
    per cell) and the numeric ``values`` columns summed per cell (additive quantities only).

    A county has ~1,500 res-8 cells, so the boundary call runs on the distinct cells only.
    """
    frame = pd.DataFrame({ID_COL: np.asarray(ids)})
    if values is not None:
        frame = pd.concat([frame, values.reset_index(drop=True)], axis=1)
    frame["count"] = 1
    agg = frame.groupby(ID_COL, sort=True).sum(numeric_only=True).reset_index()
    agg[ID_COL] = [h3.int_to_str(int(c)) if not isinstance(c, str) else c for c in agg[ID_COL]]
    return cell_polygons(agg)
