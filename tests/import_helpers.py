"""Builders of small planner-style files for the importer tests (not a test module)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

CENTRE_4547 = (563_746.0, 3_897_006.0)
"""Changyuan centre (114.7E, 35.2N) in EPSG:4547, from pyproj."""


def squares(n: int = 4, side_m: float = 1000.0, crs: str = "EPSG:4547", names: list[str] | None = None) -> gpd.GeoDataFrame:
    """``n`` axis-aligned squares of ``side_m`` metres in EPSG:4547 near the county centre, then to ``crs``."""
    x0, y0 = CENTRE_4547
    geoms = [shapely.box(x0 + i * 3 * side_m, y0, x0 + i * 3 * side_m + side_m, y0 + side_m) for i in range(n)]
    names = names or [f"乡镇{i}" for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"XZQDM": [f"4107830{i:02d}000" for i in range(n)], "XZQMC": names[:n]}, geometry=geoms, crs="EPSG:4547"
    )
    return gdf.to_crs(crs)


def write_shapefile_zip(gdf: gpd.GeoDataFrame, folder: Path, name: str = "tw", encoding: str = "GBK",
                        keep_cpg: bool = False, keep_prj: bool = True) -> Path:
    """Zip a shapefile written with ``encoding``; by default without the .cpg (as exported by old GIS software)."""
    shp_dir = folder / f"{name}_shp"
    shp_dir.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, shp_dir / f"{name}.shp", encoding=encoding)
    if not keep_cpg:
        (shp_dir / f"{name}.cpg").unlink(missing_ok=True)
    if not keep_prj:
        (shp_dir / f"{name}.prj").unlink(missing_ok=True)
    out = folder / f"{name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(os.listdir(shp_dir)):
            zf.write(shp_dir / f, f"{name}/{f}")
    return out


def zip_folder(src: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(src.parent))
    return out


def write_raster(path: Path, crs: str | None = "EPSG:4547", size: int = 40, res: float = 30.0) -> Path:
    """A small land-cover-like GeoTIFF (class codes 1-5) near the county centre."""
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(size * size, dtype=np.uint8).reshape(size, size) % 5) + 1
    x0, y0 = CENTRE_4547
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
               "transform": from_origin(x0, y0 + size * res, res, res), "nodata": 0}
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path
