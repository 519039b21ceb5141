"""Yield rasters: checking an uploaded GeoTIFF and sampling it at roof points (rasterio)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def check_raster(path: str | Path) -> dict[str, Any]:
    """Open a GeoTIFF and describe it; ``ValueError`` (zh + en) if it is not a usable single-band raster."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.count < 1 or src.crs is None:
                raise ValueError("栅格缺少波段或坐标系 / the raster has no band or no CRS")
            return {"width": src.width, "height": src.height, "crs": src.crs.to_string(),
                    "bounds": tuple(src.bounds)}
    except rasterio.errors.RasterioError as exc:
        raise ValueError(f"无法读取栅格 / cannot read the raster: {exc}") from exc


def sample_raster(path: str | Path, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Raster values at WGS84 points (nearest cell; NaN outside the raster or at nodata), vectorised."""
    import rasterio

    from cyc_geo.geo.transformers import transformer

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
        xs, ys = np.asarray(lon, float), np.asarray(lat, float)
        if src.crs is not None and src.crs.to_epsg() != 4326:
            xs, ys = transformer("EPSG:4326", src.crs, always_xy=True).transform(xs, ys)
        inv = ~src.transform
        cols, rows = inv @ (xs, ys)
        rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
        ok = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        out = np.full(len(xs), np.nan)
        vals = band[rows[ok], cols[ok]]
        out[ok] = np.ma.filled(vals.astype(float), np.nan)
    return out
