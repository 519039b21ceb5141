"""Township-level divisions (乡镇/街道) of Changyuan.

Facts: ``data/reference/townships.csv`` lists the 18 units with their 12-digit
statistical codes (统计用区划代码 2019-2023) and seat points in GCJ-02 (AMap
township centres; four rows are hand-estimated, ``seat_quality=estimated``).

No official township polygons are available offline, so
the layer's demo builder (``layers/townships.toml``) partitions the county outline into Voronoi
cells around the (WGS84-converted) seats. Every polygon is flagged ``approximate=True``. A planner
replaces them by importing the layer or dropping an official file named
``townships.<gpkg|geojson|shp|zip|parquet>`` into ``data/boundaries/`` (see :mod:`cyc_geo.catalog.loader`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo import paths
from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.gcj02 import gcj02_to_wgs84

TOWNSHIP_CSV = paths.REFERENCE_DIR / "townships.csv"
DEMO_FILE = "townships_demo.gpkg"
NAME_EN = {
    "蒲西街道": "Puxi Subdistrict", "蒲东街道": "Pudong Subdistrict", "南蒲街道": "Nanpu Subdistrict",
    "蒲北街道": "Pubei Subdistrict", "魏庄街道": "Weizhuang Subdistrict", "丁栾镇": "Dingluan Town",
    "樊相镇": "Fanxiang Town", "恼里镇": "Naoli Town", "常村镇": "Changcun Town", "赵堤镇": "Zhaodi Town",
    "孟岗镇": "Menggang Town", "满村镇": "Mancun Town", "苗寨镇": "Miaozhai Town",
    "张三寨镇": "Zhangsanzhai Town", "方里镇": "Fangli Town", "佘家镇": "Shejia Town",
    "芦岗乡": "Lugang Township", "武邱乡": "Wuqiu Township",
}


def read_seats(csv_path: Path = TOWNSHIP_CSV) -> gpd.GeoDataFrame:
    """Township seats as WGS84 points with code, name, type and seat quality."""
    df = pd.read_csv(csv_path, dtype={"code": str})
    lon, lat = gcj02_to_wgs84(df["seat_lon_gcj02"].to_numpy(), df["seat_lat_gcj02"].to_numpy())
    df["name_en"] = df["name"].map(NAME_EN)
    gdf = gpd.GeoDataFrame(
        df[["code", "name", "name_en", "type", "seat_quality"]],
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    )
    return gdf


def township_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Transform of layer ``townships``: ``code`` as text, ``name_en``, ``approximate`` (from the
    provenance when the file has no such column) and ``area_km2`` (EPSG:4547), sorted by code."""
    if "approximate" not in gdf.columns:
        gdf["approximate"] = provenance_of(gdf).approximate
    gdf["code"] = gdf["code"].astype(str)
    if "name_en" not in gdf.columns:
        gdf["name_en"] = gdf["name"].map(NAME_EN)
    gdf["area_km2"] = gdf.to_crs(AREA_CRS).geometry.area / 1e6
    return gdf.sort_values("code").reset_index(drop=True)


def load_townships() -> gpd.GeoDataFrame:
    """Township polygons (WGS84): layer ``townships`` of the catalogue (the planner's official file if
    present, else the demo partition).

    Columns always include ``code``, ``name``, ``name_en``, ``approximate`` and ``area_km2``.
    """
    return load_layer("townships")


def townships_table(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Plain table of townships for the CLI and the app (no geometry)."""
    return pd.DataFrame(
        {
            "code": gdf["code"].astype(str),
            "name": gdf["name"],
            "name_en": gdf["name_en"],
            "area_km2": np.round(gdf["area_km2"].astype(float), 3),
            "approximate": gdf["approximate"].astype(bool),
        }
    )
