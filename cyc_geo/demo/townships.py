"""Approximate township polygons: Voronoi cells of the township seats clipped to the county.

No official township boundaries are available offline. The cells are a stand-in, flagged
``approximate`` (and ``demo``) in every row and in the file's provenance, until a planner's
official file replaces them (:mod:`cyc_geo.catalog.sources`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from cyc_geo import paths
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.places.county import county_geometry_area_crs
from cyc_geo.places.townships import DEMO_FILE, read_seats


def voronoi_partition(seats: gpd.GeoDataFrame, outline) -> gpd.GeoDataFrame:
    """Voronoi cells of ``seats`` (projected CRS) clipped to ``outline``; one row per seat."""
    pts = shapely.MultiPoint(list(seats.geometry))
    cells = shapely.voronoi_polygons(pts, extend_to=outline.envelope.buffer(10_000))
    cell_list = list(cells.geoms)
    tree = shapely.STRtree(cell_list)
    geoms = []
    for pt in seats.geometry:
        idx = tree.query(pt, predicate="within")
        if len(idx) != 1:
            raise ValueError("Voronoi partition failed: a seat is not inside exactly one cell")
        geoms.append(shapely.intersection(cell_list[int(idx[0])], outline))
    out = seats.drop(columns="geometry").copy()
    return gpd.GeoDataFrame(out, geometry=geoms, crs=seats.crs)


def build_demo_townships(out_dir: Path | None = None) -> Path:
    """Generate approximate township polygons and write ``townships_demo.gpkg``."""
    seats = read_seats().to_crs(AREA_CRS)
    outline = county_geometry_area_crs()
    polys = voronoi_partition(seats, outline)
    polys["approximate"] = True
    polys["area_km2"] = polys.geometry.area / 1e6
    out = Path(out_dir or paths.generated_dir()) / DEMO_FILE
    meta = {
        "source": "Voronoi cells of township seats (data/reference/townships.csv) clipped to the county outline",
        "demo": "true",
        "approximate": "true",
        "note": "approximate boundaries, not official; replace with data/boundaries/townships.<ext>",
    }
    return write_layer(polys.to_crs(WGS84), out, "townships", meta)
