"""Township-level divisions (乡镇/街道) of the county.

Facts: the profile's township table (:mod:`cyc_geo.places.profile`; bundled: ``data/reference/townships.csv``)
lists the 18 units with their English names, their 12-digit
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

from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.gcj02 import gcj02_to_wgs84
from cyc_geo.places.profile import profile

TOWNSHIP_CSV = profile().townships
DEMO_FILE = "townships_demo.gpkg"


def name_en_of(csv_path: Path = TOWNSHIP_CSV) -> dict[str, str]:
    """Chinese township name -> English name, from the township table's ``name_en`` column (empty if none)."""
    df = pd.read_csv(csv_path, dtype=str)
    return dict(zip(df["name"], df["name_en"], strict=True)) if "name_en" in df.columns else {}


def read_seats(csv_path: Path = TOWNSHIP_CSV) -> gpd.GeoDataFrame:
    """Township seats as WGS84 points with code, name, type and seat quality."""
    df = pd.read_csv(csv_path, dtype={"code": str})
    lon, lat = gcj02_to_wgs84(df["seat_lon_gcj02"].to_numpy(), df["seat_lat_gcj02"].to_numpy())
    if "name_en" not in df.columns:
        df["name_en"] = df["name"]
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
        gdf["name_en"] = gdf["name"].map(name_en_of())
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
