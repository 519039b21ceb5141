"""Demo 三区三线 layers derived from the demo land cover, the belt and the development zone.

No official 三区三线 data is available offline, so three **demo** layers are derived from what the
project already has (every file flagged ``demo`` in its provenance):

- ``urban_boundary`` 城镇开发边界: the built-up land (三调 0601 工业用地, 0701 城镇住宅用地) of the
  land-cover raster around the city and town seats, closed by :attr:`LandUseDemoParams.urban_close_m`,
  plus the development zone (经开区);
- ``cropland`` 耕地: every 0101/0102/0103 cell of the land cover as parcels (图斑) cut on a
  :attr:`LandUseDemoParams.parcel_tile_m` grid (the vector 耕地 of the land check);
- ``farmland`` 永久基本农田: the cropland parcels lying more than
  :attr:`LandUseDemoParams.reserve_m` from the development boundary (the belt around towns is kept
  as ordinary 耕地, so that the demo has both kinds);
- ``eco_redline`` 生态保护红线: the Yellow River wetlands — river water and mudflat within
  :attr:`LandUseDemoParams.wetland_m` of the river edge, inside the floodplain.

Field names follow the 三调 / 三区三线 databases (DLBM, DLMC, TBMJ, ZLDWMC, QSDWMC; HXMC, HXLX;
BJMC) in lower-case English twins (``class_code`` …); the layer TOMLs list the 三调 names as import
aliases. Sources: docs/sources.md, "Land-use rules (三区三线, 自然资办发〔2023〕12号)".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely

from cyc_geo import paths
from cyc_geo.carbon.landcover import CLASSES, landcover_meta, landcover_path, load_landcover
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.places.profile import profile

CROPLAND_CODES = (101, 102, 103)
"""耕地 classes of 三调: 0101 水田, 0102 水浇地, 0103 旱地 (docs/sources.md, "三调 classes")."""
URBAN_CODES = (601, 701)
"""Built-up classes that make the demo development boundary: 0601 工业用地, 0701 城镇住宅用地."""

FILES = {
    "urban_boundary": "urban_boundary_demo.gpkg",
    "cropland": "cropland_demo.gpkg",
    "farmland": "farmland_demo.gpkg",
    "eco_redline": "eco_redline_demo.gpkg",
}


@dataclass(frozen=True)
class LandUseDemoParams:
    """Parameters of the demo 三区三线 layers, metres in EPSG:4547 (project choices; docs/sources.md,
    "Land-use rules (三区三线, 自然资办发〔2023〕12号)")."""

    parcel_tile_m: float = 1_000.0
    """Cropland is cut into parcels (图斑) on a 1 km grid, so that a parcel table has rows of a
    plausible size (三调 cropland patches in the plain are a few to a few hundred ha)."""
    reserve_m: float = 300.0
    """Cropland within 300 m of the development boundary is left as ordinary 耕地, not 永久基本农田."""
    urban_close_m: float = 60.0
    """Built-up cells are merged by a 60 m closing (buffer out, then in) into boundary polygons."""
    min_urban_ha: float = 20.0
    """Built-up clusters smaller than 20 ha (villages, single plants) are not development boundary."""
    wetland_m: float = 600.0
    """Red line: 600 m from the river edge, the demo land cover's river water (150 m) plus mudflat
    (450 m) (docs/sources.md, "Demo assumptions")."""


def _shapes(mask: np.ndarray, key: np.ndarray, transform) -> tuple[np.ndarray, np.ndarray]:
    geoms, values = [], []
    for geom, value in rasterio.features.shapes(key.astype("int32"), mask=mask, transform=transform, connectivity=4):
        geoms.append(json.dumps(geom))
        values.append(int(value))
    polys = shapely.from_geojson(geoms) if geoms else np.array([], dtype=object)
    return np.asarray(polys, dtype=object), np.asarray(values, dtype="int64")


def _township_names(geoms_area: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Township code and name of each geometry (by its representative point), EPSG:4547 input."""
    from cyc_geo.places.townships import load_townships

    towns = load_townships().to_crs(AREA_CRS)[["code", "name", "geometry"]]
    pts = gpd.GeoDataFrame(geometry=geoms_area.representative_point(), crs=AREA_CRS)
    joined = gpd.sjoin(pts, towns, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    return (joined["code"].reindex(pts.index).fillna("").to_numpy(),
            joined["name"].reindex(pts.index).fillna("").to_numpy())


def _meta(what: str, params: LandUseDemoParams) -> dict[str, str]:
    lc = landcover_meta()
    return {
        "source": f"demo {what}, derived by cyc_geo.demo.landuse from {Path(lc['path']).name} "
                  "(no official 三区三线 data offline)",
        "params": str(asdict(params)),
        "raster_mtime": str(landcover_path().stat().st_mtime),
        "demo": "true",
        "approximate": "true",
    }


def is_stale(path: Path) -> bool:
    """True when a demo layer of :data:`FILES` was derived from another land-cover raster than the one in use
    (its ``raster_mtime`` differs, e.g. after the demo land cover was rebuilt), or cannot be read: it is built
    again, so the demo 三区三线 and 耕地 always match the land cover (and the demo roofs standing on it)."""
    from cyc_geo.catalog.vector_io import read_meta

    layer = {file: name for name, file in FILES.items()}.get(Path(path).name)
    if layer is None:
        return False  # not a file of this builder
    try:
        return read_meta(Path(path), layer).get("raster_mtime") != str(landcover_path().stat().st_mtime)
    except Exception:  # noqa: BLE001 - an unreadable or foreign file counts as stale and is rebuilt
        return True


def _out(name: str, out_dir: Path | None) -> Path:
    return Path(out_dir or paths.generated_dir()) / FILES[name]


def urban_polygons(params: LandUseDemoParams = LandUseDemoParams()) -> gpd.GeoDataFrame:
    """Development-boundary polygons (EPSG:4547): built-up clusters near the seats plus the zone."""
    from cyc_geo.places.townships import read_seats
    from cyc_geo.planning.projects import load_devzone

    lc = load_landcover()
    codes = np.ma.filled(lc.array[0], 0).astype("int64")
    mask = np.isin(codes, URBAN_CODES)
    polys, _ = _shapes(mask, mask.astype("int32"), lc.transform)
    built = shapely.union_all(polys).buffer(params.urban_close_m).buffer(-params.urban_close_m)
    zone = shapely.union_all(load_devzone().to_crs(AREA_CRS).geometry.to_numpy())
    parts = [p for p in shapely.get_parts(built) if p.area >= params.min_urban_ha * 1e4]
    merged = shapely.get_parts(shapely.union_all([*parts, zone]))
    merged = [shapely.Polygon(p.exterior) if p.area > 0 else p for p in merged]  # holes are inside the boundary
    merged = shapely.get_parts(shapely.union_all(merged))
    seats = read_seats().to_crs(AREA_CRS)
    names, names_en, kinds = [], [], []
    streets = seats[seats["type"] == "街道"]
    for p in merged:
        if shapely.intersects(p, streets.geometry.to_numpy()).any():
            names.append(f"{profile().name_zh}中心城区城镇开发边界（演示）")
            names_en.append(f"{profile().name_en} city centre development boundary (demo)")
            kinds.append("city")
        elif p.intersects(zone):
            names.append(f"{profile().devzone_zh}城镇开发边界（演示）")
            names_en.append("Development zone, development boundary (demo)")
            kinds.append("devzone")
        else:
            i = int(np.argmin(seats.geometry.distance(p.representative_point()).to_numpy()))
            seat = seats.iloc[i]
            names.append(f"{seat['name']}城镇开发边界（演示）")
            names_en.append(f"{seat['name_en']} development boundary (demo)")
            kinds.append("town")
    gdf = gpd.GeoDataFrame({"name": names, "name_en": names_en, "kind": kinds}, geometry=list(merged), crs=AREA_CRS)
    gdf = gdf.dissolve(by=["name", "name_en", "kind"], as_index=False)
    gdf["area_km2"] = gdf.geometry.area / 1e6
    return gdf


def build_urban_boundary(out_dir: Path | None = None, params: LandUseDemoParams = LandUseDemoParams()) -> Path:
    """Write the demo 城镇开发边界 (layer ``urban_boundary``, WGS84)."""
    gdf = urban_polygons(params)
    return write_layer(gdf.to_crs(WGS84), _out("urban_boundary", out_dir), "urban_boundary",
                       _meta("城镇开发边界 (built-up land of the land cover + development zone)", params))


def cropland_parcels(params: LandUseDemoParams = LandUseDemoParams()) -> gpd.GeoDataFrame:
    """耕地 parcels (EPSG:4547) from the land cover: class code and name, area, 坐落/权属 units."""
    lc = load_landcover()
    codes = np.ma.filled(lc.array[0], 0).astype("int64")
    mask = np.isin(codes, CROPLAND_CODES)
    k = max(1, int(round(params.parcel_tile_m / abs(lc.transform.a))))
    rows, cols = codes.shape
    tile = (np.arange(rows)[:, None] // k) * (cols // k + 1) + (np.arange(cols)[None, :] // k)
    polys, values = _shapes(mask, np.where(mask, tile * 10_000 + codes, 0), lc.transform)
    code = values % 10_000
    gdf = gpd.GeoDataFrame({"class_code": [f"{c:04d}" for c in code]}, geometry=list(polys), crs=AREA_CRS)
    gdf = gdf[gdf.geometry.area >= 400.0].reset_index(drop=True)  # single 20 m cells are slivers
    gdf["class_name"] = [CLASSES[int(c)].name_zh for c in gdf["class_code"]]
    gdf["area_m2"] = gdf.geometry.area.round(2)
    tcode, tname = _township_names(gdf.geometry)
    gdf["township_code"] = tcode
    gdf["located_in"] = tname
    gdf["owner"] = [f"{n}农民集体（演示）" if n else "" for n in tname]
    gdf.insert(0, "parcel_id", [f"DEMO{i + 1:06d}" for i in range(len(gdf))])
    return gdf


def build_landuse(out_dir: Path | None = None, params: LandUseDemoParams = LandUseDemoParams()) -> Path:
    """Write the demo 耕地 and 永久基本农田 layers (after the development boundary); returns the farmland file."""
    boundary_file = _out("urban_boundary", out_dir)
    if not boundary_file.exists():
        build_urban_boundary(out_dir, params)
    boundary = gpd.read_file(boundary_file, layer="urban_boundary").to_crs(AREA_CRS)
    crop = cropland_parcels(params)
    write_layer(crop.to_crs(WGS84), _out("cropland", out_dir), "cropland",
                _meta("耕地 (0101-0103 cells of the land cover, 1 km parcels)", params))
    reserve = shapely.union_all(boundary.geometry.to_numpy()).buffer(params.reserve_m)
    shapely.prepare(reserve)
    keep = ~shapely.intersects(reserve, crop.geometry.to_numpy())
    farm = crop[keep].reset_index(drop=True)
    farm["parcel_id"] = [f"JBNT{i + 1:06d}" for i in range(len(farm))]
    return write_layer(farm.to_crs(WGS84), _out("farmland", out_dir), "farmland",
                       _meta(f"永久基本农田 (耕地 parcels more than {params.reserve_m:.0f} m from the development boundary)",
                             params))


def build_farmland(out_dir: Path | None = None) -> Path:
    """Demo builder of layer ``farmland`` (also writes ``cropland``)."""
    return build_landuse(out_dir)


def build_eco_redline(out_dir: Path | None = None, params: LandUseDemoParams = LandUseDemoParams()) -> Path:
    """Write the demo 生态保护红线: the Yellow River wetlands along the river edge, in the floodplain."""
    from cyc_geo.places.belt import load_belt, river_line
    from cyc_geo.places.county import county_geometry_area_crs

    county = county_geometry_area_crs()
    wet = shapely.intersection(river_line().buffer(params.wetland_m), county)
    belt = load_belt().to_crs(AREA_CRS)
    if "zone" in belt.columns and (belt["zone"] == "floodplain").any():
        wet = shapely.intersection(wet, shapely.union_all(belt.loc[belt["zone"] == "floodplain"].geometry.to_numpy()))
    gdf = gpd.GeoDataFrame(
        {
            "name": ["黄河湿地生态保护红线（演示）"],
            "name_en": ["Yellow River wetlands ecological red line (demo)"],
            "redline_type": ["生物多样性维护"],
        },
        geometry=[wet],
        crs=AREA_CRS,
    )
    gdf["area_km2"] = gdf.geometry.area / 1e6
    return write_layer(gdf.to_crs(WGS84), _out("eco_redline", out_dir), "eco_redline",
                       _meta(f"生态保护红线 (Yellow River wetlands, {params.wetland_m:.0f} m from the river edge)", params))


FOREST_LEVELS = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")
"""林地保护等级 Ⅰ–Ⅳ (《全国林地保护利用规划纲要（2010—2020年）》; docs/sources.md, "Land-use rules")."""
FOREST_LEVEL1_RIVER_M = 1_000.0
"""Demo: tree forest (0301) within 1 km of the Yellow River edge is Ⅰ级 (project choice standing for the
riparian forest of 河南新乡黄河湿地鸟类国家级自然保护区, which lies along the bundled county's river reach)."""


def forest_levels(forest_area_crs: gpd.GeoDataFrame, river_zone: shapely.Geometry,
                  floodplain: shapely.Geometry | None) -> np.ndarray:
    """Demo 保护等级 of each forest patch (EPSG:4547), deterministic from its class and place:
    0301/0302 within :data:`FOREST_LEVEL1_RIVER_M` of the river edge Ⅰ; other 0301/0302 in the floodplain Ⅱ;
    other 0301/0302 Ⅲ; 0305 灌木林地 and 0307 其他林地 Ⅳ."""
    codes = forest_area_crs["class_code"].astype(str).to_numpy()
    geoms = forest_area_crs.geometry.to_numpy()
    trees = np.isin(codes, ("0301", "0302"))
    shapely.prepare(river_zone)
    near = shapely.intersects(river_zone, geoms)
    in_fp = shapely.intersects(floodplain, geoms) if floodplain is not None else np.zeros(len(geoms), bool)
    return np.where(trees & near, "Ⅰ", np.where(trees & in_fp, "Ⅱ", np.where(trees, "Ⅲ", "Ⅳ")))


def build_forest_protection(out_dir: Path | None = None) -> Path:
    """Write the demo 林地保护等级 layer (``forest_protection``): every demo forest patch with its level
    (``protection_level``, BHDJ in a 林地保护利用规划 database), see :func:`forest_levels`."""
    from cyc_geo.carbon.forest import load_forest_patches
    from cyc_geo.places.belt import load_belt, river_line

    forest = load_forest_patches().to_crs(AREA_CRS)
    belt = load_belt().to_crs(AREA_CRS)
    fp = None
    if "zone" in belt.columns and (belt["zone"] == "floodplain").any():
        fp = shapely.union_all(belt.loc[belt["zone"] == "floodplain"].geometry.to_numpy())
    levels = forest_levels(forest, river_line().buffer(FOREST_LEVEL1_RIVER_M), fp)
    gdf = gpd.GeoDataFrame({"patch_id": forest["patch_id"].to_numpy(), "class_code": forest["class_code"].astype(str),
                            "protection_level": levels}, geometry=forest.geometry.to_numpy(), crs=AREA_CRS)
    gdf["area_ha"] = gdf.geometry.area / 1e4
    meta = {"source": "demo 林地保护等级, derived by cyc_geo.demo.landuse from the demo forest patches "
                      f"(0301/0302 within {FOREST_LEVEL1_RIVER_M:.0f} m of the river edge Ⅰ, in the floodplain Ⅱ, "
                      "other tree forest Ⅲ, 0305/0307 Ⅳ; no official 林地保护利用规划 data offline)",
            "demo": "true", "approximate": "true"}
    path = Path(out_dir or paths.generated_dir()) / "forest_protection_demo.gpkg"
    return write_layer(gdf.to_crs(WGS84), path, "forest_protection", meta)
