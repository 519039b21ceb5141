"""Coordinate reference systems and area units used throughout cyc-geo.

Analysis rule: overlays and areas are computed in a projected CRS, never in
degrees. The default is CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547),
whose central meridian lies 0.5-0.9 degrees west of the bundled county (114.5-114.99 E),
so scale error stays below 1e-4; another county's profile names its own zone (``area_crs``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from cyc_geo.places.profile import profile

WGS84 = "EPSG:4326"
"""Storage and display CRS (Leaflet, GeoJSON)."""

CGCS2000 = "EPSG:4490"
"""China Geodetic Coordinate System 2000, geographic; equal to WGS84 within centimetres for mapping."""

AREA_CRS = profile().area_crs
"""CGCS2000 / 3-degree Gauss-Kruger of the county profile (bundled: EPSG:4547, CM 114E): the projected CRS
for every area and distance."""

M2_PER_MU = 10000.0 / 15.0
"""One 亩 (mu) = 1/15 ha = 666.67 m² (市制, State Council 1984 unit order; docs/sources.md, "CRS and units")."""

M2_PER_HA = 10_000.0


def to_area_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` projected to :data:`AREA_CRS`; raises if ``gdf`` has no CRS."""
    if gdf.crs is None:
        raise ValueError("GeoDataFrame has no CRS; refusing to guess before computing areas")
    return gdf.to_crs(AREA_CRS)


def area_m2(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Planar area of each geometry in square metres, computed in :data:`AREA_CRS`."""
    return to_area_crs(gdf).geometry.area


def m2_to_mu(m2: float | pd.Series) -> float | pd.Series:
    """Square metres to 亩."""
    return m2 / M2_PER_MU


def m2_to_ha(m2: float | pd.Series) -> float | pd.Series:
    """Square metres to hectares."""
    return m2 / M2_PER_HA


def _install_transformers() -> None:
    """Geopandas' ``to_crs`` searches PROJ once per CRS pair and process, not once per thread
    (:mod:`cyc_geo.geo.transformers`); done when this module is imported, as every reprojection in
    the project imports its CRS names from here."""
    from cyc_geo.geo import transformers

    transformers.install()


_install_transformers()
