"""Demo sites of the priority projects (附件2) and a demo development zone.

No real parcels are available offline, so :func:`build_demo_sites` places
**demo** parcels (flagged ``demo``) and a demo economic-development zone
(长垣经开区) layer:

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

DEMO_FILE = "projects_demo.gpkg"
"""The file written under the generated folder (``source`` of layers ``projects`` and ``devzone``)."""

# Demo geometry, EPSG:4547 metres (boxes: minx, miny, maxx, maxy). Chosen inside the county,
# more than 4.9 km from the Yellow River belt, in the townships named in the comments.
DEVZONE_PARTS: tuple[tuple[str, str, str, tuple[float, float, float, float]], ...] = (
    ("north", "长垣经开区·北区（演示）", "Development zone, northern part (demo)", (561_500, 3_898_500, 565_500, 3_902_000)),
    ("crane", "长垣经开区·起重装备产业园（演示）", "Development zone, crane-equipment park (demo)", (561_000, 3_884_500, 564_500,
                                                                                                     3_887_500)),
)
"""蒲北/蒲东/满村 (north part) and 魏庄 (crane park); see module docstring."""


DEMO_SITE_BOXES: dict[int, tuple[float, float, float, float]] = {
    1: (562_000, 3_885_800, 562_320, 3_886_085),  # 320 m x 285 m = 91,200 m2 = 136.8 亩 (stated: about 137 亩)
    2: (564_100, 3_885_500, 564_900, 3_886_000),  # 800 m x 500 m = 40 ha astride the crane park's east edge
    4: (562_000, 3_899_600, 562_230, 3_899_830),  # 230 m x 230 m = 5.29 ha, existing plant in the north part (蒲北)
}


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
        "source": "demo polygons placed by cyc_geo.planning.projects (no official 长垣经开区 boundary offline)",
        "demo": "true",
        "approximate": "true",
    }
    write_layer(zone, out, "devzone", zone_meta)

    rows: list[dict[str, Any]] = []
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
