"""Exact zonal statistics (partial-pixel weighting) over rasters and polygon zones.

Every zone statistic in cyc-geo goes through this module. It wraps
`exactextract <https://isciences.github.io/exactextract/>`_, which weights each
pixel by the exact fraction of its area covered by the polygon, so a pixel cut
in half by a township boundary counts half in each township and township sums
add up to the county total (no centroid sampling, no double counting).

Inputs
------
A raster is either a file path (anything rasterio opens; every band is read) or
an in-memory tuple ``(array, transform, crs)`` where ``array`` is 2-D
``(rows, cols)`` or 3-D ``(bands, rows, cols)``, ``transform`` an
:class:`affine.Affine` and ``crs`` anything :class:`pyproj.CRS` accepts. Missing
data is given by a masked array, NaN, or ``nodata=``.

Zones are a GeoDataFrame in any CRS; they are reprojected to the raster's CRS
(reprojecting vectors is exact, reprojecting the raster would resample it).

Areas (``area_m2``) are the covered *valid* area of each zone: coverage
fraction × pixel area for projected rasters in metres, and the spherical
(WGS84 sphere) area of the covered part of each cell for geographic rasters.

Errors
------
An empty raster, a raster whose every cell is nodata, a raster or zone layer
without CRS, or a rotated grid raise :class:`RasterError` (a ``ValueError``)
with a Chinese and English message; the CLI turns it into exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from pyproj import CRS

RasterLike = str | Path | tuple[np.ndarray, Affine, Any]
"""A raster path or an in-memory ``(array, transform, crs)`` tuple."""

SIMPLE_STATS = ("sum", "mean", "count", "min", "max", "stdev", "median", "majority", "minority", "variety")
"""exactextract operations supported by :func:`zonal_stats` (one number per zone and band)."""

_ZONE_KEY = "_cyc_zone_pos"


class RasterError(ValueError):
    """A raster that cannot be summarised (empty, all nodata, no CRS, rotated)."""


@dataclass(frozen=True)
class RasterData:
    """A raster held in memory: masked ``(bands, rows, cols)`` array, north-up transform, CRS."""

    array: np.ma.MaskedArray
    transform: Affine
    crs: CRS
    names: tuple[str, ...]
    checked: bool = False
    """Set by :func:`read_raster`: validated, north-up, and (float bands) NaN under the mask."""

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.array.shape[1]), int(self.array.shape[2])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of the grid."""
        rows, cols = self.shape
        t = self.transform
        return (t.c, t.f + t.e * rows, t.c + t.a * cols, t.f)

    @property
    def pixel_area_m2(self) -> float | None:
        """Area of one cell in m² for projected rasters in metres, else ``None`` (geographic)."""
        if self.crs.is_geographic:
            return None
        unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
        return abs(self.transform.a * self.transform.e) * unit * unit


def _msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _to_crs(crs: Any) -> CRS:
    if crs is None:
        raise RasterError(_msg("栅格没有坐标系（CRS），无法与区域叠加", "raster has no CRS; cannot overlay zones"))
    if isinstance(crs, CRS):
        return crs
    if hasattr(crs, "to_wkt"):
        return CRS.from_wkt(crs.to_wkt())
    return CRS.from_user_input(crs)


def read_raster(
    raster: RasterLike | RasterData,
    *,
    nodata: float | None = None,
    band_names: Sequence[str] | None = None,
) -> RasterData:
    """Load ``raster`` (path or ``(array, transform, crs)``) into a :class:`RasterData`.

    Cells equal to ``nodata`` (or the file's nodata value), NaN cells and masked
    cells are missing. Raises :class:`RasterError` for empty / all-nodata /
    CRS-less / rotated rasters and ``FileNotFoundError`` for a missing file.
    """
    if isinstance(raster, RasterData):
        if raster.checked and nodata is None and band_names is None:
            return raster
        data = raster
        if band_names is not None:
            data = RasterData(raster.array, raster.transform, raster.crs, tuple(band_names))
    elif isinstance(raster, (str, Path)):
        path = Path(raster)
        if not path.exists():
            raise FileNotFoundError(_msg(f"找不到栅格文件 {path}", f"raster file not found: {path}"))
        try:
            with rasterio.open(path) as src:
                arr = src.read(masked=True)
                if nodata is not None:
                    arr = np.ma.masked_equal(arr, nodata)
                names = tuple(band_names or (d or f"band_{i + 1}" for i, d in enumerate(src.descriptions)))
                crs = _to_crs(src.crs)
                data = RasterData(arr, src.transform, crs, names)
        except rasterio.errors.RasterioIOError as exc:
            raise RasterError(_msg(f"无法读取栅格 {path}", f"cannot read raster {path}: {exc}")) from exc
    else:
        try:
            arr, transform, crs = raster
        except (TypeError, ValueError) as exc:
            raise RasterError(
                _msg("栅格须为文件路径或 (数组, 仿射变换, 坐标系)", "raster must be a path or (array, transform, crs)")
            ) from exc
        arr = np.ma.asarray(arr)
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        if arr.ndim != 3:
            raise RasterError(_msg("栅格数组须为二维或三维", "raster array must be 2-D or 3-D"))
        if nodata is not None:
            arr = np.ma.masked_equal(arr, nodata)
        names = tuple(band_names or (f"band_{i + 1}" for i in range(arr.shape[0])))
        data = RasterData(arr, Affine(*tuple(transform)[:6]), _to_crs(crs), names)
    return _validate(data)


def _validate(data: RasterData) -> RasterData:
    arr = data.array
    if arr.size == 0:
        raise RasterError(_msg("栅格为空（0 行或 0 列）", "raster is empty (0 rows or columns)"))
    mask = np.ma.getmaskarray(arr)
    values = np.ma.getdata(arr)
    if np.issubdtype(values.dtype, np.floating):
        mask = mask | ~np.isfinite(values)
        if mask.any():
            values = np.where(mask, np.nan, values).astype(values.dtype, copy=False)
    arr = np.ma.MaskedArray(values, mask=mask)
    if np.ma.getmaskarray(arr).all():
        raise RasterError(
            _msg("栅格全部为无数据（nodata），无法统计", "raster has no valid cells (all nodata); nothing to summarise")
        )
    t = data.transform
    if t.b != 0 or t.d != 0:
        raise RasterError(_msg("不支持旋转的栅格网格", "rotated raster grids are not supported"))
    if t.e > 0:  # south-up: flip to north-up so the extent below is right
        arr = arr[:, ::-1, :]
        t = Affine(t.a, 0, t.c, 0, -t.e, t.f + t.e * arr.shape[1])
    if len(data.names) != arr.shape[0]:
        raise RasterError(_msg("波段名称数量与波段数不符", "number of band names does not match band count"))
    return RasterData(arr, t, data.crs, data.names, checked=True)


def _sources(data: RasterData) -> list[NumPyRasterSource]:
    xmin, ymin, xmax, ymax = data.bounds
    wkt = data.crs.to_wkt()
    out = []
    for i, name in enumerate(data.names):
        band = data.array[i]
        # missing cells are passed as NaN: exactextract's raster-sequential strategy ignores
        # the mask of a masked array (0.3.0) but always skips NaN. Float bands already hold
        # NaN under the mask (see _validate); integer bands with missing cells become float64.
        mat = band.data if np.issubdtype(band.dtype, np.floating) or not band.mask.any() else band.astype(np.float64).filled(np.nan)
        out.append(NumPyRasterSource(mat, xmin, ymin, xmax, ymax, name=name, srs_wkt=wkt))
    return out


def _prepare_zones(zones: gpd.GeoDataFrame, crs: CRS) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Zones in the raster CRS, keeping only non-empty geometries; returns (zones, kept positions)."""
    if not isinstance(zones, gpd.GeoDataFrame):
        raise TypeError("zones must be a GeoDataFrame")
    if zones.crs is None:
        raise ValueError(_msg("区域图层没有坐标系（CRS）", "zones have no CRS"))
    z = zones.to_crs(crs)
    geom = z.geometry
    keep = ~(geom.isna() | geom.is_empty)
    pos = np.flatnonzero(keep.to_numpy())
    out = gpd.GeoDataFrame({_ZONE_KEY: pos}, geometry=geom.iloc[pos].to_numpy(), crs=crs)
    return out, pos


STRATEGY = "raster-sequential"
"""exactextract processing order. With every band in memory, one pass over the raster chunks
(``raster-sequential``) is as fast or faster than re-reading each zone's window
(``feature-sequential``): ~0.5 s vs ~0.55-0.65 s CPU for 18 townships x 4 bands on the
5.3 M-cell demo. Missing cells must then be NaN, not masked (see :func:`_sources`)."""


def _run(data: RasterData, zones: gpd.GeoDataFrame, ops: list[str]) -> pd.DataFrame:
    """exactextract over ``zones`` (already prepared); one row per kept zone, indexed by position."""
    if len(zones) == 0:
        return pd.DataFrame(index=pd.Index([], name=_ZONE_KEY))
    df = exact_extract(_sources(data), zones, ops, include_cols=[_ZONE_KEY], output="pandas", strategy=STRATEGY)
    return pd.DataFrame(df).set_index(_ZONE_KEY)


def _valid_area_m2(data: RasterData, zones: gpd.GeoDataFrame, count: pd.Series) -> pd.Series:
    """Covered valid area per zone (m²) of the first band."""
    px = data.pixel_area_m2
    if px is not None:
        return count * px
    first = RasterData(data.array[:1], data.transform, data.crs, ("a",))
    df = _run(first, zones, ["count(coverage_weight=area_spherical_m2)"])
    return df.iloc[:, 0].reindex(count.index)


def _finish(result: pd.DataFrame, zones: gpd.GeoDataFrame, id_col: str | None, n: int) -> pd.DataFrame:
    full = result.reindex(pd.RangeIndex(n))
    for col in full.columns:
        if col.endswith(("sum", "count", "area_m2")) or col in {"sum", "count", "area_m2"}:
            full[col] = full[col].fillna(0.0)
    full = full.reset_index(drop=True)
    if id_col is not None:
        if id_col not in zones.columns:
            raise KeyError(_msg(f"区域图层没有字段 {id_col!r}", f"zones have no column {id_col!r}"))
        full.insert(0, id_col, zones[id_col].to_numpy())
    else:
        full.index = zones.index
    return full


def zonal_stats(
    raster: RasterLike | RasterData,
    zones: gpd.GeoDataFrame,
    stats: Sequence[str] = ("sum", "mean", "count"),
    *,
    id_col: str | None = None,
    band_names: Sequence[str] | None = None,
    nodata: float | None = None,
) -> pd.DataFrame:
    """Exact (partial-pixel) statistics of every band of ``raster`` within each zone.

    Returns one row per zone, in the order of ``zones`` (``id_col`` first if
    given, else the zones' index). Columns are ``<stat>`` for a single
    unnamed band and ``<band>_<stat>`` otherwise, plus ``area_m2``: the
    zone's covered area of valid (non-nodata) cells. ``count`` is the sum of
    coverage fractions of valid cells (cells, not m²). Zones outside the
    raster or with empty geometry get sum/count/area 0 and NaN means.
    """
    bad = [s for s in stats if s not in SIMPLE_STATS]
    if bad:
        raise ValueError(f"unsupported statistics {bad}; choose from {SIMPLE_STATS}")
    data = read_raster(raster, nodata=nodata, band_names=band_names)
    z, _ = _prepare_zones(zones, data.crs)
    ops = list(dict.fromkeys([*stats, "count"]))
    res = _run(data, z, ops)
    single = data.array.shape[0] == 1 and band_names is None
    if single:
        res.columns = [c.split("_")[-1] if c.startswith(data.names[0] + "_") else c for c in res.columns]
    count_col = "count" if single else f"{data.names[0]}_count"
    if len(res):
        res["area_m2"] = _valid_area_m2(data, z, res[count_col])
        wanted = [c for c in res.columns if c == "area_m2" or c.split("_")[-1] in stats]
        res = res[wanted]
    else:
        res = pd.DataFrame(columns=[*_columns(data, stats, single), "area_m2"], dtype=float)
    return _finish(res, zones, id_col, len(zones))


def _columns(data: RasterData, stats: Sequence[str], single: bool) -> list[str]:
    if single:
        return list(stats)
    return [f"{n}_{s}" for n in data.names for s in stats]


def zonal_sum(
    raster: RasterLike | RasterData,
    zones: gpd.GeoDataFrame,
    *,
    id_col: str | None = None,
    band_names: Sequence[str] | None = None,
    nodata: float | None = None,
) -> pd.DataFrame:
    """Coverage-weighted sums of each band per zone, with ``count`` and ``area_m2`` (see :func:`zonal_stats`).

    For a raster of per-cell quantities (m³ of stock, t CO2 of sink, m² of
    roof) this is the exact amount inside each zone.
    """
    return zonal_stats(raster, zones, ("sum", "count"), id_col=id_col, band_names=band_names, nodata=nodata)


def class_areas(
    raster: RasterLike | RasterData,
    zones: gpd.GeoDataFrame,
    *,
    id_col: str | None = None,
    classes: Sequence[int] | None = None,
    nodata: float | None = None,
) -> pd.DataFrame:
    """Area (m²) of each class of a categorical raster (first band) within each zone, area-weighted.

    Returns a long table ``[<id_col or 'zone'>, class_value, area_m2, share]``
    where ``share`` is the class's fraction of the zone's valid covered area.
    ``classes`` restricts the output to the listed class values (classes absent
    from a zone are reported with area 0, so every zone has every class).
    """
    data = read_raster(raster, nodata=nodata)
    data = RasterData(data.array[:1], data.transform, data.crs, ("c",))
    z, _ = _prepare_zones(zones, data.crs)
    key = id_col or "zone"
    ids = zones[id_col].to_numpy() if id_col else zones.index.to_numpy()
    if len(z):
        res = _run(data, z, ["unique", "frac", "count"])
        res.columns = [c.split("_")[-1] for c in res.columns]
        res["area_m2"] = _valid_area_m2(data, z, res["count"])
        long = res[["unique", "frac", "area_m2"]].rename(columns={"area_m2": "zone_area"}).explode(["unique", "frac"])
        long = long.dropna(subset=["unique"])
        out = pd.DataFrame(
            {
                key: ids[long.index.to_numpy(dtype=int)],
                "class_value": long["unique"].astype(float).round().astype(np.int64).to_numpy(),
                "share": long["frac"].astype(float).to_numpy(),
            }
        )
        out["area_m2"] = out["share"] * long["zone_area"].astype(float).to_numpy()
    else:
        out = pd.DataFrame({key: [], "class_value": [], "share": [], "area_m2": []})
    if classes is not None:
        grid = pd.MultiIndex.from_product([pd.unique(ids), list(classes)], names=[key, "class_value"])
        out = (
            out.groupby([key, "class_value"])[["area_m2", "share"]]
            .sum()
            .reindex(grid, fill_value=0.0)
            .reset_index()
        )
    return out[[key, "class_value", "area_m2", "share"]].reset_index(drop=True)
