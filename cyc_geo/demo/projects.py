"""Demo sites of the priority projects (附件2) and a demo development zone.

No real parcels are available offline, so :func:`build_demo_sites` places
**demo** parcels (flagged ``demo``) and a demo economic-development zone
(经开区, named by the county profile) layer, placed relative to the profile's demo city centre
(for the bundled county):

- the zone has two demo parts: a northern part across 蒲北/蒲东/满村 and a crane-equipment
  park in 魏庄 (the crane industry is centred on 魏庄, docs/sources.md, "Local industry");
- projects 1 and 2 (crane parts, crane industry chain) sit in and beside the crane park;
  project 1's parcel is sized to its stated 137 亩;
- project 4 (PET recycling, an existing plant being retrofitted) sits in the northern part;
- project 3 (whole-city rooftop PV) is the set of roofs it covers: every roof of
  :func:`cyc_geo.pv.rooftops.load_rooftops` when the PV module is available, else the
  county's township footprint (documented in ``docs/projects.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import box

from cyc_geo import paths
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.profile import profile

DEMO_FILE = "projects_demo.gpkg"
"""The file written under the generated folder (``source`` of layers ``projects`` and ``devzone``)."""

# Demo geometry, metres in the profile's area CRS as offsets from its demo city centre (boxes: minx, miny,
# maxx, maxy). For the bundled county (centre 560,400 / 3,896,000 in EPSG:4547): inside the county,
# more than 4.9 km from the Yellow River belt, in the townships named in the comments.
_CX, _CY = profile().city_centre_m


def _at(dx0: float, dy0: float, dx1: float, dy1: float) -> tuple[float, float, float, float]:
    return (_CX + dx0, _CY + dy0, _CX + dx1, _CY + dy1)


DEVZONE_PARTS: tuple[tuple[str, str, str, tuple[float, float, float, float]], ...] = (
    ("north", f"{profile().devzone_zh}·北区（演示）", "Development zone, northern part (demo)", _at(1_100, 2_500, 5_100, 6_000)),
    ("crane", f"{profile().devzone_zh}·起重装备产业园（演示）", "Development zone, crane-equipment park (demo)",
     _at(600, -11_500, 4_100, -8_500)),
)
"""蒲北/蒲东/满村 (north part) and 魏庄 (crane park); see module docstring."""


DEMO_SITE_BOXES: dict[int, tuple[float, float, float, float]] = {
    1: _at(1_600, -10_200, 1_920, -9_915),  # 320 m x 285 m = 91,200 m2 = 136.8 亩 (stated: about 137 亩)
    2: _at(3_700, -10_500, 4_500, -10_000),  # 800 m x 500 m = 40 ha astride the crane park's east edge
    4: _at(1_600, 3_600, 1_830, 3_830),  # 230 m x 230 m = 5.29 ha, existing plant in the north part (蒲北)
}
"""The 附件2 projects' demo parcels; a profile without a project table gets none."""


def _township_footprint() -> shapely.Geometry:
    from cyc_geo.places.townships import load_townships

    return load_townships().to_crs(AREA_CRS).geometry.union_all()


def build_demo_sites(out_dir: Path | None = None) -> Path:
    """Write the demo development zone and demo project sites to ``projects_demo.gpkg``.

    Project 3 is stored as ``site_kind = "rooftops"`` with the township footprint as its
    stored geometry; :func:`cyc_geo.planning.projects.load_project_sites` swaps in the roofs themselves.
    """
    out = Path(out_dir or paths.generated_dir()) / DEMO_FILE
    zone = gpd.GeoDataFrame(
        {
            "part": [p[0] for p in DEVZONE_PARTS],
            "name": [p[1] for p in DEVZONE_PARTS],
            "name_en": [p[2] for p in DEVZONE_PARTS],
        },
        geometry=[box(*p[3]) for p in DEVZONE_PARTS],
        crs=AREA_CRS,
    )
    zone["area_km2"] = zone.geometry.area / 1e6
    zone_meta = {
        "source": f"demo polygons placed by cyc_geo.planning.projects (no official {profile().devzone_zh} boundary offline)",
        "demo": "true",
        "approximate": "true",
    }
    write_layer(zone, out, "devzone", zone_meta)

    rows: list[dict[str, Any]] = []
    if not profile().has_projects:
        empty = gpd.GeoDataFrame({"project_no": pd.Series(dtype="int64"), "site_kind": pd.Series(dtype=str),
                                  "site_note": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs=AREA_CRS))
        return write_layer(empty, out, "project_sites", {"source": "the county profile has no priority projects",
                                                         "demo": "true", "approximate": "true"})
    for no, bounds in DEMO_SITE_BOXES.items():
        rows.append({"project_no": no, "site_kind": "parcel", "site_note": "demo parcel", "geometry": box(*bounds)})
    rows.append(
        {
            "project_no": 3,
            "site_kind": "rooftops",
            "site_note": "the roofs it covers (cyc_geo.pv.rooftops); stored geometry = township footprint",
            "geometry": _township_footprint(),
        }
    )
    sites = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=AREA_CRS).sort_values("project_no")
    site_meta = {
        "source": "demo parcels placed by cyc_geo.planning.projects; project 3 = roofs it covers",
        "demo": "true",
        "approximate": "true",
    }
    return write_layer(sites, out, "project_sites", site_meta)
