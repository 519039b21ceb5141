"""Land cover raster of Changyuan, coded with the Third National Land Survey (三调) classes.

Raster convention: single band ``uint16``, cell value = 三调 class code as an
integer (``0301`` 乔木林地 -> 301, ``1101`` 河流水面 -> 1101), 0 = nodata
(outside the county), in :data:`~cyc_geo.crs.AREA_CRS` (EPSG:4547).

Where the raster comes from (:func:`landcover_path`):

1. the importer's active raster ``data/layers/landcover/active.tif``;
2. a planner file ``data/boundaries/landcover.tif`` (or ``.tiff``);
3. the deterministic demo raster ``data/generated/landcover_demo.tif`` built by
   :func:`build_demo_landcover` (tagged ``demo=true``).

A planner raster may be in any CRS and resolution: :func:`load_landcover`
reprojects it to EPSG:4547 with nearest-neighbour resampling (class codes must
not be averaged), keeping the source's ground resolution unless asked.

The demo is **not** survey data. It draws plausible patterns so that the carbon
model has something realistic to chew on: farmland shelterbelts (农田林网) of
poplar along farm roads and canals, shelterbelts along the highways between
township seats, larger stands in the Yellow River floodplain and the landward
green corridor (:mod:`cyc_geo.belt`), nurseries (其他林地), orchards, villages
and built-up areas around the township seats. Forest areas are calibrated
(:class:`DemoParams`) so that, with the default stock densities of
``data/reference/forest_params.csv``, the county's stock lands near the plan's
base-year 180 万m³ (附件1 #16).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import calculate_default_transform, reproject
from scipy import ndimage

from cyc_geo import paths
from cyc_geo.crs import AREA_CRS, WGS84
from cyc_geo.zonal import RasterData, read_raster

DEMO_FILE = "landcover_demo.tif"
NODATA = 0


@dataclass(frozen=True)
class LandClass:
    code: str
    name_zh: str
    name_en: str
    color: str


CLASSES: dict[int, LandClass] = {
    int(c.code): c
    for c in (
        # 三调 工作分类 (GB/T 21010-2017 with the 三调 additions), the classes the demo uses
        LandClass("0101", "水田", "Paddy field", "#c7e9c0"),
        LandClass("0102", "水浇地", "Irrigated cropland", "#f6e8a6"),
        LandClass("0103", "旱地", "Dry cropland", "#fbd98b"),
        LandClass("0201", "果园", "Orchard", "#b8d96c"),
        LandClass("0301", "乔木林地", "Tree forest", "#1a7a2e"),
        LandClass("0302", "竹林地", "Bamboo forest", "#3f9b4b"),
        LandClass("0305", "灌木林地", "Shrub forest", "#74b36b"),
        LandClass("0307", "其他林地", "Other forest land", "#8fcf7a"),
        LandClass("0404", "其他草地", "Other grassland", "#d4e7a1"),
        LandClass("0601", "工业用地", "Industrial land", "#b07aa1"),
        LandClass("0701", "城镇住宅用地", "Urban residential", "#e06666"),
        LandClass("0702", "农村宅基地", "Rural homesteads", "#e99a7a"),
        LandClass("1003", "公路用地", "Highway land", "#7f7f7f"),
        LandClass("1006", "农村道路", "Rural roads", "#b3b3b3"),
        LandClass("1101", "河流水面", "River water", "#3b7dd8"),
        LandClass("1104", "坑塘水面", "Ponds", "#6fa8dc"),
        LandClass("1106", "内陆滩涂", "Inland mudflat", "#c9daf8"),
        LandClass("1107", "沟渠", "Ditches and canals", "#4a90c2"),
    )
}
"""Land-cover classes by integer raster value (三调 code as int). Source: 第三次全国国土调查工作分类."""

FOREST_CODES = (301, 302, 305, 307)
"""林地 classes (三调 03xx) counted as forest area."""


@dataclass(frozen=True)
class DemoParams:
    """Parameters of the demo land cover. Areas in hectares, lengths in metres (EPSG:4547)."""

    resolution_m: float = 20.0
    """Cell size; 20 m resolves one-row shelterbelts and keeps the file at ~1-2 MB."""
    seed: int = 20221
    target_ha: tuple[tuple[int, float], ...] = ((301, 18_000.0), (307, 4_800.0), (305, 300.0), (201, 1_500.0))
    """Demo areas per class. With forest_params.csv densities (0301: 92 m³/ha, 0307: 30 m³/ha) they give
    18,000 × 92 + 4,800 × 30 = 1,800,000 m³, the plan's 2021 stock of 180 万m³ (附件1 #16). Forest land
    of ~23,000 ha is ~22 % of the county, typical for a plain county with dense farmland shelterbelts."""
    max_belt_share: float = 0.6
    """Upper bound of shelterbelt rows in the 0301 target (binds only at coarse resolutions)."""
    floodplain_forest_share: float = 0.25
    """Share of the 0301 target placed in the Yellow River floodplain (滩区) and corridor (larger stands)."""
    farm_grid_m: float = 1_200.0
    """Spacing of the farm road / canal grid (方田), each lined with shelterbelt rows."""
    grid_angle_deg: float = 12.0
    """Rotation of the farm grid from north (the plain's field pattern follows the NE-SW dike)."""
    villages_per_km2: float = 0.55
    """~600 administrative villages on 1,051 km² (长垣市 statistical division lists)."""
    river_water_m: float = 150.0
    """Width of river water (1101) kept inside the county along the river edge."""
    mudflat_m: float = 450.0
    """Width of inland mudflat (1106) beyond the river water."""


def class_table() -> pd.DataFrame:
    """Table of classes: ``value`` (raster int), ``code`` ("0301"), names, color, ``forest``."""
    return pd.DataFrame(
        [
            {"value": v, "code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "color": c.color,
             "forest": v in FOREST_CODES}
            for v, c in CLASSES.items()
        ]
    )


def code_str(value: int | np.ndarray) -> str | np.ndarray:
    """Integer raster value -> 4-digit 三调 code string (301 -> "0301")."""
    if isinstance(value, (int, np.integer)):
        return f"{int(value):04d}"
    return np.char.zfill(np.asarray(value).astype(int).astype(str), 4)


# ---------------------------------------------------------------- demo generation


def _grid(bounds: tuple[float, float, float, float], res: float) -> tuple[Affine, int, int]:
    xmin, ymin, xmax, ymax = bounds
    x0 = np.floor(xmin / res) * res - res
    y1 = np.ceil(ymax / res) * res + res
    width = int(np.ceil((xmax - x0) / res)) + 1
    height = int(np.ceil((y1 - ymin) / res)) + 1
    return Affine(res, 0, x0, 0, -res, y1), height, width


def _burn(geoms, shape, transform, all_touched: bool = False) -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(shape, dtype=bool)
    return rasterize([(g, 1) for g in geoms], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8", all_touched=all_touched).astype(bool)


def _noise(rng: np.random.Generator, shape: tuple[int, int], cell: int, sigma: float = 1.0) -> np.ndarray:
    """Smooth standardised noise (mean 0, sd 1): a coarse random lattice, blurred and bilinearly upsampled."""
    coarse = rng.random((shape[0] // cell + 3, shape[1] // cell + 3))
    coarse = ndimage.gaussian_filter(coarse, sigma)
    coarse = (coarse - coarse.mean()) / coarse.std()
    return _bilinear(coarse.astype("float32"), cell, shape)


def _bilinear(coarse: np.ndarray, cell: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of a coarse lattice by ``cell`` (separable weights; faster than ndimage.zoom)."""
    pos_r = np.arange(shape[0], dtype="float32") / cell
    pos_c = np.arange(shape[1], dtype="float32") / cell
    r0, c0 = pos_r.astype(int), pos_c.astype(int)
    wr, wc = (pos_r - r0)[:, None], (pos_c - c0)[None, :]
    top = coarse[r0][:, c0] * (1 - wc) + coarse[r0][:, c0 + 1] * wc
    bottom = coarse[r0 + 1][:, c0] * (1 - wc) + coarse[r0 + 1][:, c0 + 1] * wc
    return top * (1 - wr) + bottom * wr


def _take_top(score: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Mask of the ``n`` eligible cells with the highest score (exact count, deterministic)."""
    idx = np.flatnonzero(eligible)
    n = int(min(max(n, 0), idx.size))
    out = np.zeros(score.shape, dtype=bool)
    if n == 0:
        return out
    s = score.ravel()[idx]
    chosen = idx[np.argpartition(-s, n - 1)[:n]]
    out.ravel()[chosen] = True
    return out


def generate_demo(params: DemoParams = DemoParams()) -> tuple[np.ndarray, Affine]:
    """The demo land-cover array (uint16 三调 codes, 0 outside the county) and its transform (EPSG:4547)."""
    from cyc_geo.belt import load_belt, load_river
    from cyc_geo.boundaries import county_geometry_area_crs
    from cyc_geo.townships import read_seats

    res = params.resolution_m
    rng = np.random.default_rng(params.seed)
    county = county_geometry_area_crs()
    transform, h, w = _grid(county.bounds, res)
    shape = (h, w)
    inside = _burn([county], shape, transform)
    belt = load_belt().to_crs(AREA_CRS)
    floodplain = _burn(belt.loc[belt["zone"] == "floodplain"].geometry, shape, transform)
    corridor = _burn(belt.loc[belt["zone"] == "corridor"].geometry, shape, transform)
    river = load_river().to_crs(AREA_CRS).geometry.union_all()
    river_px = _burn([river.buffer(res)], shape, transform, all_touched=True)
    dist_river = ndimage.distance_transform_edt(~river_px).astype("float32") * res

    lc = np.where(inside, 102, NODATA).astype("uint16")
    free = inside.copy()  # cells still open for assignment

    def put(mask: np.ndarray, code: int) -> None:
        m = mask & free
        lc[m] = code
        free[m] = False

    # --- Yellow River: water, mudflat, sandy dry land and grass in the floodplain
    wobble = np.clip(_noise(rng, shape, 25), -2, 2) * 60.0 + 120.0
    put(inside & (dist_river < params.river_water_m + wobble * 0.5), 1101)
    put(inside & (dist_river < params.river_water_m + params.mudflat_m + wobble), 1106)
    fp_noise = _noise(rng, shape, 30)
    put(floodplain & (fp_noise < -1.0), 404)
    lc[free & floodplain] = 103

    # --- built-up: city around the 街道 seats, towns at the 镇/乡 seats, villages
    seats = read_seats().to_crs(AREA_CRS)
    street = seats[seats["type"] == "街道"]
    city_centre = shapely.MultiPoint(list(street.geometry)).centroid
    edge = _noise(rng, shape, 40)
    xs = transform.c + (np.arange(w) + 0.5) * res
    ys = transform.f - (np.arange(h) + 0.5) * res
    dx = xs[None, :] - city_centre.x
    dy = ys[:, None] - city_centre.y
    city = (np.hypot(dx, dy) < 3_600 + 700 * np.clip(edge, -2.5, 2.5)) & inside
    industry = _burn([seats.loc[seats["name"].isin(["魏庄街道", "丁栾镇", "张三寨镇"])].geometry.buffer(900).union_all()],
                     shape, transform)
    put(city & industry, 601)
    put(city, 701)
    towns = seats[seats["type"] != "街道"].geometry.buffer(700)
    put(_burn(towns, shape, transform) & inside, 701)
    put(industry & inside & (edge > 0.0), 601)

    # highways between seats: minimum spanning tree over the seats, plus the city centre
    pts = np.array([[p.x, p.y] for p in seats.geometry])
    highways = _spanning_lines(pts)
    hw = _burn([shapely.union_all(highways).buffer(res * 1.0)], shape, transform, all_touched=True) & inside
    hw_belt = _burn([shapely.union_all(highways).buffer(res * 3.0)], shape, transform, all_touched=True) & inside

    n_villages = int(county.area / 1e6 * params.villages_per_km2)
    vx = rng.uniform(county.bounds[0], county.bounds[2], n_villages * 3)
    vy = rng.uniform(county.bounds[1], county.bounds[3], n_villages * 3)
    vpts = shapely.points(vx, vy)
    vpts = vpts[shapely.contains(county, vpts)][:n_villages]
    radii = rng.uniform(140, 320, len(vpts))
    blobs = shapely.buffer(vpts, radii)
    shift = rng.normal(0, 1, (len(vpts), 2)) * radii[:, None] * 0.6
    lobes = shapely.buffer(shapely.points(shapely.get_coordinates(vpts) + shift), radii * 0.7)
    villages = _burn(list(blobs) + list(lobes), shape, transform) & inside
    ponds = _burn(list(shapely.buffer(shapely.points(shapely.get_coordinates(vpts)[::4] + [250, -200]), 60)),
                  shape, transform) & inside
    put(hw, 1003)
    put(villages, 702)
    put(ponds, 1104)

    # --- farm grid (方田): rural roads and canals, each lined by shelterbelt rows (农田林网)
    th = np.deg2rad(params.grid_angle_deg)
    u = (xs[None, :] * np.cos(th) + ys[:, None] * np.sin(th)) % params.farm_grid_m
    v = (-xs[None, :] * np.sin(th) + ys[:, None] * np.cos(th)) % params.farm_grid_m
    road = u < res
    canal = np.abs(v - params.farm_grid_m / 2) < res / 2
    belt_rows = ((u >= res) & (u < 2 * res)) | (u >= params.farm_grid_m - res) | (
        (np.abs(v - params.farm_grid_m / 2) >= res / 2) & (np.abs(v - params.farm_grid_m / 2) < 1.5 * res)
    )
    farmland = inside & np.isin(lc, (102, 103))
    put(farmland & road, 1006)
    put(farmland & canal, 1107)
    px_ha = res * res / 10_000.0
    target = {code: int(round(ha / px_ha)) for code, ha in params.target_ha}
    rows_301 = ((hw_belt & np.isin(lc, (102, 103))) | (farmland & belt_rows)) & free
    # one cell per row: at coarse resolutions rows get too wide, so thin them to at most
    # max_belt_share of the 0301 target (no effect at 20 m)
    n_rows = min(int(rows_301.sum()), int(params.max_belt_share * target[301]))
    put(_take_top(_noise(rng, shape, 5), rows_301, n_rows), 301)

    # --- stands: exact areas from DemoParams.target_ha, placed by smooth noise
    open_land = free & np.isin(lc, (102, 103, 404))
    n301 = target[301] - int((lc == 301).sum())
    n_fp = int(target[301] * params.floodplain_forest_share)
    stand_score = _noise(rng, shape, 20) + 0.6 * corridor
    put(_take_top(stand_score, open_land & (floodplain | corridor), n_fp), 301)
    open_land &= free
    put(_take_top(_noise(rng, shape, 12), open_land & ~floodplain, n301 - n_fp), 301)
    open_land &= free
    shrub_score = _noise(rng, shape, 10) - dist_river / 20_000.0
    put(_take_top(shrub_score, open_land & floodplain, target[305]), 305)
    open_land &= free
    put(_take_top(_noise(rng, shape, 15), open_land, target[307]), 307)
    open_land &= free
    near_village = ndimage.binary_dilation(villages, iterations=int(300 / res))
    put(_take_top(_noise(rng, shape, 8) + near_village, open_land, target[201]), 201)
    return lc, transform


def _spanning_lines(pts: np.ndarray) -> list[shapely.LineString]:
    """Minimum spanning tree edges between points (Prim's algorithm; n is ~20 seats)."""
    n = len(pts)
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    lines = []
    for _ in range(n - 1):
        dd = np.where(in_tree[:, None] & ~in_tree[None, :], d, np.inf)
        i, j = np.unravel_index(np.argmin(dd), dd.shape)
        lines.append(shapely.LineString([pts[i], pts[j]]))
        in_tree[j] = True
    return lines


def build_demo_landcover(out_dir: Path | None = None, params: DemoParams = DemoParams()) -> Path:
    """Generate the demo raster and write it as a compressed, tiled GeoTIFF tagged ``demo=true``."""
    lc, transform = generate_demo(params)
    out = Path(out_dir or paths.generated_dir()) / DEMO_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    profile = {
        "driver": "GTiff", "height": lc.shape[0], "width": lc.shape[1], "count": 1, "dtype": "uint16",
        "crs": AREA_CRS, "transform": transform, "nodata": NODATA, "compress": "deflate",
        "predictor": 2, "tiled": True, "blockxsize": 512, "blockysize": 512,
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(lc, 1)
        dst.update_tags(
            demo="true",
            approximate="true",
            source="cyc-geo demo generator (cyc_geo.landcover.generate_demo), not survey data",
            classes="第三次全国国土调查 (三调) class codes as integers (0301 -> 301)",
            params=str(asdict(params)),
        )
        dst.set_band_description(1, "landcover")
    tmp.replace(out)
    return out


# ---------------------------------------------------------------- access


def planner_landcover_file() -> Path | None:
    """The importer's active raster or a planner raster in ``data/boundaries``, if present."""
    candidates = [paths.data_dir() / "layers" / "landcover" / "active.tif"]
    candidates += [paths.boundaries_dir() / f"landcover{s}" for s in (".tif", ".tiff", ".TIF")]
    return next((p for p in candidates if p.exists()), None)


def landcover_path() -> Path:
    """Path of the land-cover raster in use: planner raster if present, else the demo (built if missing)."""
    user = planner_landcover_file()
    if user is not None:
        return user
    path = paths.generated_dir() / DEMO_FILE
    if not path.exists():
        build_demo_landcover()
    return path


def landcover_meta(path: Path | None = None) -> dict[str, str]:
    """Provenance of a land-cover raster (GeoTIFF tags); planner rasters are ``demo=false``."""
    path = Path(path or landcover_path())
    with rasterio.open(path) as src:
        tags = dict(src.tags())
        crs = src.crs.to_string() if src.crs else "none"
        res = src.res
    meta = {"source": tags.get("source", f"planner raster {path.name}"), "demo": tags.get("demo", "false"),
            "approximate": tags.get("approximate", "false"), "path": str(path), "crs": crs,
            "resolution": f"{res[0]:g} x {res[1]:g}"}
    return meta


def reproject_to_area_crs(data: RasterData, resolution_m: float | None = None) -> RasterData:
    """Reproject a categorical raster to EPSG:4547 with nearest-neighbour resampling.

    The output cell size is ``resolution_m`` or, by default, the source's ground
    resolution (GDAL's default for the target CRS, rounded to the metre).
    Cells outside the source or masked in it become nodata (0).
    """
    if data.crs.equals(AREA_CRS) and resolution_m is None:
        return data
    rows, cols = data.shape
    left, bottom, right, top = data.bounds
    dst_transform, dw, dh = calculate_default_transform(data.crs, AREA_CRS, cols, rows, left, bottom, right, top)
    res = float(resolution_m or max(1.0, round(abs(dst_transform.a))))
    dst_transform, dw, dh = calculate_default_transform(
        data.crs, AREA_CRS, cols, rows, left, bottom, right, top, resolution=res
    )
    src = np.ma.filled(data.array[0].astype("int64"), NODATA).astype("uint16")
    dst = np.zeros((dh, dw), dtype="uint16")
    reproject(src, dst, src_transform=data.transform, src_crs=data.crs, dst_transform=dst_transform,
              dst_crs=AREA_CRS, src_nodata=NODATA, dst_nodata=NODATA, resampling=Resampling.nearest)
    arr = np.ma.masked_equal(dst, NODATA)[np.newaxis]
    from pyproj import CRS

    return read_raster(RasterData(arr, dst_transform, CRS.from_user_input(AREA_CRS), ("landcover",)))


def load_landcover(path: Path | str | None = None, resolution_m: float | None = None) -> RasterData:
    """The land-cover raster as :class:`~cyc_geo.zonal.RasterData` in EPSG:4547 (nodata masked).

    ``path`` defaults to :func:`landcover_path`. Raises
    :class:`~cyc_geo.zonal.RasterError` for an empty / all-nodata / CRS-less raster.
    """
    data = read_raster(Path(path) if path else landcover_path(), band_names=("landcover",))
    data = RasterData(np.ma.masked_equal(data.array.astype("int64"), NODATA), data.transform, data.crs, data.names)
    return reproject_to_area_crs(read_raster(data), resolution_m)


def load_landcover_layer() -> gpd.GeoDataFrame:
    """Registry loader for the raster layer: its footprint (one row, WGS84) with provenance in ``attrs``.

    The map draws the raster itself with :func:`overlay_rgba`; this row gives the
    layer list its bounds, CRS and demo flag (and builds the demo raster on first use).
    """
    path = landcover_path()
    meta = landcover_meta(path)
    with rasterio.open(path) as src:
        footprint = shapely.box(*src.bounds)
        crs = src.crs
    gdf = gpd.GeoDataFrame({"name": ["土地覆被 (三调分类)"], "path": [str(path)], "resolution": [meta["resolution"]]},
                           geometry=[footprint], crs=crs).to_crs(WGS84)
    gdf.attrs["meta"] = meta
    return gdf


def palette_rgba(values: np.ndarray, alpha: int = 200) -> np.ndarray:
    """RGBA colours (uint8, ``values.shape + (4,)``) for class values; nodata and unknown classes transparent."""
    lut = np.zeros((max(CLASSES) + 1, 4), dtype="uint8")
    for v, c in CLASSES.items():
        lut[v] = [int(c.color[i : i + 2], 16) for i in (1, 3, 5)] + [alpha]
    vals = np.asarray(values).astype(int)
    ok = (vals > 0) & (vals < len(lut))
    out = np.zeros(vals.shape + (4,), dtype="uint8")
    out[ok] = lut[vals[ok]]
    return out


def overlay_rgba(path: Path | None = None, max_px: int = 1400, alpha: int = 200,
                 only_forest: bool = False) -> tuple[np.ndarray, list[list[float]]]:
    """A Web-Mercator RGBA image of the land cover and its ``[[south, west], [north, east]]`` bounds.

    For a Leaflet/folium ``ImageOverlay`` (which stretches images linearly in
    Web Mercator). Nearest-neighbour warp; at most ``max_px`` pixels wide.
    """
    data = load_landcover(path)
    rows, cols = data.shape
    left, bottom, right, top = data.bounds
    t, w, h = calculate_default_transform(AREA_CRS, "EPSG:3857", cols, rows, left, bottom, right, top)
    scale = max(1.0, w / max_px)
    t, w, h = calculate_default_transform(AREA_CRS, "EPSG:3857", cols, rows, left, bottom, right, top,
                                          resolution=abs(t.a) * scale)
    dst = np.zeros((h, w), dtype="uint16")
    reproject(np.ma.filled(data.array[0], NODATA).astype("uint16"), dst, src_transform=data.transform,
              src_crs=AREA_CRS, dst_transform=t, dst_crs="EPSG:3857", src_nodata=NODATA, dst_nodata=NODATA,
              resampling=Resampling.nearest)
    if only_forest:
        dst = np.where(np.isin(dst, FOREST_CODES), dst, NODATA)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:3857", WGS84, always_xy=True)
    west, north = tr.transform(t.c, t.f)
    east, south = tr.transform(t.c + t.a * w, t.f + t.e * h)
    return palette_rgba(dst, alpha), [[south, west], [north, east]]


AFFORESTABLE = (102, 103, 404, 1106)
"""Classes that an afforestation scenario converts (cropland, other grassland, mudflat)."""


def afforest(lc: RasterData, zones: gpd.GeoDataFrame, to_code: int = 301,
             from_codes: tuple[int, ...] = AFFORESTABLE, share: float = 1.0) -> RasterData:
    """A future land cover: ``from_codes`` cells inside ``zones`` become ``to_code``.

    ``share`` (0-1) converts only that fraction of the eligible cells (a
    deterministic spatial pattern). Used for the InVEST-style sequestration
    between the current and a future map (e.g. the plan's 沿黄生态带 afforestation).
    """
    if zones.crs is None:
        raise ValueError("zones have no CRS")
    rows, cols = lc.shape
    inside = _burn(list(zones.to_crs(lc.crs).geometry), (rows, cols), lc.transform)
    arr = np.ma.filled(lc.array[0], NODATA).astype("int64")
    eligible = inside & np.isin(arr, from_codes)
    if share < 1.0:
        ii, jj = np.indices((rows, cols))
        eligible &= ((ii * 7919 + jj * 104729) % 1000) < share * 1000
    arr[eligible] = to_code
    out = np.ma.MaskedArray(arr[np.newaxis], mask=np.ma.getmaskarray(lc.array[0])[np.newaxis])
    return RasterData(out, lc.transform, lc.crs, lc.names)
