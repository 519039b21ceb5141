"""Demo land-cover raster in 三调 classes, calibrated to the plan's base-year forest stock.

The demo is **not** survey data. It draws plausible patterns so that the carbon model has
something realistic to chew on: farmland shelterbelts (农田林网) of poplar along farm roads and
canals, shelterbelts along the highways between township seats, larger stands in the Yellow River
floodplain and the landward green corridor (:mod:`cyc_geo.places.belt`), nurseries (其他林地),
orchards, villages and built-up areas around the township seats, and built-up land under every demo
building of :mod:`cyc_geo.demo.rooftops` (so the demo roofs never stand on forest or cropland). Forest areas are calibrated
(:class:`DemoParams`) so that, with the default stock densities of
``data/reference/forest_params.csv``, the county's stock lands near the plan's base-year
180 万m³ (docs/sources.md, "附件1", indicator 16). The raster follows the convention of
:mod:`cyc_geo.carbon.landcover`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from scipy import ndimage

from cyc_geo import paths
from cyc_geo.carbon.landcover import DEMO_FILE, NODATA, burn_mask
from cyc_geo.demo.landcover_vintages import LATEST_YEAR
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.profile import profile


@dataclass(frozen=True)
class DemoParams:
    """Parameters of the demo land cover. Areas in hectares, lengths in metres (EPSG:4547). Sources: docs/sources.md, "Demo assumptions"."""

    resolution_m: float = 20.0
    """Cell size; 20 m resolves one-row shelterbelts and keeps the file at ~1-2 MB."""
    seed: int = 20221
    target_ha: tuple[tuple[int, float], ...] = ((301, 18_000.0), (307, 4_800.0), (305, 300.0), (201, 1_500.0))
    """Demo areas per class. With forest_params.csv densities (0301: 92 m³/ha, 0307: 30 m³/ha) they give
    18,000 × 92 + 4,800 × 30 = 1,800,000 m³, the plan's 2021 stock of 180 万m³ (docs/sources.md, "附件1" #16). Forest land
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
    """~600 administrative villages on 1,051 km² (the bundled county's statistical division lists; docs/sources.md, "Demo assumptions")."""
    river_water_m: float = 150.0
    """Width of river water (1101) kept inside the county along the river edge."""
    mudflat_m: float = 450.0
    """Width of inland mudflat (1106) beyond the river water."""


def _grid(bounds: tuple[float, float, float, float], res: float) -> tuple[Affine, int, int]:
    xmin, ymin, xmax, ymax = bounds
    x0 = np.floor(xmin / res) * res - res
    y1 = np.ceil(ymax / res) * res + res
    width = int(np.ceil((xmax - x0) / res)) + 1
    height = int(np.ceil((y1 - ymin) / res)) + 1
    return Affine(res, 0, x0, 0, -res, y1), height, width


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


@dataclass
class _Canvas:
    """The raster being painted: class codes, cells still open for assignment, and the grid."""

    lc: np.ndarray
    free: np.ndarray
    inside: np.ndarray
    transform: Affine
    res: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.lc.shape

    def put(self, mask: np.ndarray, code: int) -> None:
        """Assign ``code`` to the open cells of ``mask`` and close them."""
        m = mask & self.free
        self.lc[m] = code
        self.free[m] = False

    def burn(self, geoms, all_touched: bool = False) -> np.ndarray:
        return burn_mask(geoms, self.shape, self.transform, all_touched=all_touched)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x of each column and y of each row of cell centres (m, EPSG:4547)."""
        h, w = self.shape
        return (self.transform.c + (np.arange(w) + 0.5) * self.res,
                self.transform.f - (np.arange(h) + 0.5) * self.res)


GENERATOR_VERSION = "3"
"""Bump when the generator changes: a demo raster of an older version is rebuilt on load (version 2: built-up
land under the demo buildings; version 3: tagged with its data year, the latest of the demo vintages)."""

BUILT_UP_CODES = frozenset({601, 602, 603, 604, 701, 702, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009})
"""三调 built-up classes a building may stand on: 06 工矿用地, 07 住宅用地 and 10 交通运输用地 (GB/T 21010-2017
with the 三调 working classification; docs/sources.md, "三调 classes")."""

BUILDING_CODES = {"rural": 702, "shed": 601}
"""Class painted under a demo building not yet on built-up land: 0702 农村宅基地 for courtyard houses (building
class ``rural``), 0601 工业用地 for industrial sheds (roof type ``shed``), else 0701 城镇住宅用地."""


def _paint_buildings(canvas: _Canvas) -> None:
    """Built-up land under every demo building (:func:`cyc_geo.demo.rooftops.generate_demo_rooftops`, its fixed
    seed): each cell a footprint touches that is not built-up yet becomes 0702 / 0601 / 0701 (:data:`BUILDING_CODES`)
    and is closed, whatever was painted there before (river edge, floodplain)."""
    from rasterio.features import rasterize

    from cyc_geo.demo.rooftops import generate_demo_rooftops

    roofs = generate_demo_rooftops().to_crs(AREA_CRS)
    code = np.where(roofs["roof_type"].eq("shed"), BUILDING_CODES["shed"],
                    np.where(roofs["building_class"].eq("rural"), BUILDING_CODES["rural"], 701))
    burnt = rasterize(list(zip(roofs.geometry, code.tolist(), strict=True)), out_shape=canvas.shape,
                      transform=canvas.transform, fill=0, dtype="uint16", all_touched=True)
    paint = (burnt > 0) & canvas.inside & ~np.isin(canvas.lc, list(BUILT_UP_CODES))
    canvas.lc[paint] = burnt[paint]
    canvas.free[burnt > 0] = False


def generate_demo(params: DemoParams = DemoParams()) -> tuple[np.ndarray, Affine]:
    """The demo land-cover array (uint16 三调 codes, 0 outside the county) and its transform (EPSG:4547).

    Painted in order (earlier classes win; the random draws happen in this order, so the
    result depends only on ``params``): the Yellow River, built-up land (with the land under the demo
buildings), the farm grid with its
    shelterbelts, then forest stands, orchards and nurseries to the target areas.
    """
    from cyc_geo.places.belt import load_belt, load_river
    from cyc_geo.places.county import county_geometry_area_crs
    from cyc_geo.places.townships import read_seats

    res = params.resolution_m
    rng = np.random.default_rng(params.seed)
    county = county_geometry_area_crs()
    transform, h, w = _grid(county.bounds, res)
    inside = burn_mask([county], (h, w), transform)
    canvas = _Canvas(np.where(inside, 102, NODATA).astype("uint16"), inside.copy(), inside, transform, res)
    belt = load_belt().to_crs(AREA_CRS)
    floodplain = canvas.burn(belt.loc[belt["zone"] == "floodplain"].geometry)
    corridor = canvas.burn(belt.loc[belt["zone"] == "corridor"].geometry)
    river = load_river().to_crs(AREA_CRS).geometry.union_all()
    river_px = canvas.burn([river.buffer(res)], all_touched=True)
    dist_river = ndimage.distance_transform_edt(~river_px).astype("float32") * res

    _paint_river(canvas, rng, params, dist_river, floodplain)
    seats = read_seats().to_crs(AREA_CRS)
    _paint_city_and_towns(canvas, rng, seats)
    hw_belt = _paint_highways(canvas, seats)
    villages = _paint_villages(canvas, rng, params, county)
    _paint_buildings(canvas)
    px_ha = res * res / 10_000.0
    target = {code: int(round(ha / px_ha)) for code, ha in params.target_ha}
    _paint_farm_grid(canvas, rng, params, hw_belt, target)
    _paint_stands(canvas, rng, params, target, floodplain, corridor, dist_river, villages)
    return canvas.lc, transform


def _paint_river(canvas: _Canvas, rng: np.random.Generator, params: DemoParams, dist_river: np.ndarray,
                 floodplain: np.ndarray) -> None:
    """Yellow River: water, mudflat, sandy dry land and grass in the floodplain."""
    inside = canvas.inside
    wobble = np.clip(_noise(rng, canvas.shape, 25), -2, 2) * 60.0 + 120.0
    canvas.put(inside & (dist_river < params.river_water_m + wobble * 0.5), 1101)
    canvas.put(inside & (dist_river < params.river_water_m + params.mudflat_m + wobble), 1106)
    fp_noise = _noise(rng, canvas.shape, 30)
    canvas.put(floodplain & (fp_noise < -1.0), 404)
    canvas.lc[canvas.free & floodplain] = 103


def _paint_city_and_towns(canvas: _Canvas, rng: np.random.Generator, seats) -> None:
    """Built-up land: the city around the 街道 seats with its industry, towns at the 镇/乡 seats."""
    inside = canvas.inside
    street = seats[seats["type"] == "街道"]
    city_centre = shapely.MultiPoint(list(street.geometry)).centroid if len(street) else shapely.Point(profile().city_centre_m)
    edge = _noise(rng, canvas.shape, 40)
    xs, ys = canvas.centres()
    dx = xs[None, :] - city_centre.x
    dy = ys[:, None] - city_centre.y
    city = (np.hypot(dx, dy) < 3_600 + 700 * np.clip(edge, -2.5, 2.5)) & inside
    industry = canvas.burn([seats.loc[seats["name"].isin(profile().demo.get("industry_townships", []))].geometry.buffer(900).union_all()])
    canvas.put(city & industry, 601)
    canvas.put(city, 701)
    towns = seats[seats["type"] != "街道"].geometry.buffer(700)
    canvas.put(canvas.burn(towns) & inside, 701)
    canvas.put(industry & inside & (edge > 0.0), 601)


def _paint_highways(canvas: _Canvas, seats) -> np.ndarray:
    """Highways between seats (minimum spanning tree); returns the wider strip along them that
    gets shelterbelt rows (painted later with the farm grid)."""
    pts = np.array([[p.x, p.y] for p in seats.geometry])
    highways = shapely.union_all(_spanning_lines(pts))
    hw = canvas.burn([highways.buffer(canvas.res * 1.0)], all_touched=True) & canvas.inside
    hw_belt = canvas.burn([highways.buffer(canvas.res * 3.0)], all_touched=True) & canvas.inside
    canvas.put(hw, 1003)
    return hw_belt


def _paint_villages(canvas: _Canvas, rng: np.random.Generator, params: DemoParams, county) -> np.ndarray:
    """Villages (two overlapping blobs each) and their ponds; returns the village mask."""
    n_villages = int(county.area / 1e6 * params.villages_per_km2)
    vx = rng.uniform(county.bounds[0], county.bounds[2], n_villages * 3)
    vy = rng.uniform(county.bounds[1], county.bounds[3], n_villages * 3)
    vpts = shapely.points(vx, vy)
    vpts = vpts[shapely.contains(county, vpts)][:n_villages]
    radii = rng.uniform(140, 320, len(vpts))
    blobs = shapely.buffer(vpts, radii)
    shift = rng.normal(0, 1, (len(vpts), 2)) * radii[:, None] * 0.6
    lobes = shapely.buffer(shapely.points(shapely.get_coordinates(vpts) + shift), radii * 0.7)
    villages = canvas.burn(list(blobs) + list(lobes)) & canvas.inside
    ponds = canvas.burn(list(shapely.buffer(shapely.points(shapely.get_coordinates(vpts)[::4] + [250, -200]), 60))) & canvas.inside
    canvas.put(villages, 702)
    canvas.put(ponds, 1104)
    return villages


def _paint_farm_grid(canvas: _Canvas, rng: np.random.Generator, params: DemoParams, hw_belt: np.ndarray,
                     target: dict[int, int]) -> None:
    """Farm grid (方田): rural roads and canals, each lined by shelterbelt rows (农田林网), and the
    rows along the highways."""
    res, lc = canvas.res, canvas.lc
    xs, ys = canvas.centres()
    th = np.deg2rad(params.grid_angle_deg)
    u = (xs[None, :] * np.cos(th) + ys[:, None] * np.sin(th)) % params.farm_grid_m
    v = (-xs[None, :] * np.sin(th) + ys[:, None] * np.cos(th)) % params.farm_grid_m
    road = u < res
    canal = np.abs(v - params.farm_grid_m / 2) < res / 2
    belt_rows = ((u >= res) & (u < 2 * res)) | (u >= params.farm_grid_m - res) | (
        (np.abs(v - params.farm_grid_m / 2) >= res / 2) & (np.abs(v - params.farm_grid_m / 2) < 1.5 * res)
    )
    farmland = canvas.inside & np.isin(lc, (102, 103))
    canvas.put(farmland & road, 1006)
    canvas.put(farmland & canal, 1107)
    rows_301 = ((hw_belt & np.isin(lc, (102, 103))) | (farmland & belt_rows)) & canvas.free
    # one cell per row: at coarse resolutions rows get too wide, so thin them to at most
    # max_belt_share of the 0301 target (no effect at 20 m)
    n_rows = min(int(rows_301.sum()), int(params.max_belt_share * target[301]))
    canvas.put(_take_top(_noise(rng, canvas.shape, 5), rows_301, n_rows), 301)


def _paint_stands(canvas: _Canvas, rng: np.random.Generator, params: DemoParams, target: dict[int, int],
                  floodplain: np.ndarray, corridor: np.ndarray, dist_river: np.ndarray, villages: np.ndarray) -> None:
    """Stands: exact areas from ``params.target_ha``, placed by smooth noise."""
    lc, shape, put = canvas.lc, canvas.shape, canvas.put
    open_land = canvas.free & np.isin(lc, (102, 103, 404))
    n301 = target[301] - int((lc == 301).sum())
    n_fp = int(target[301] * params.floodplain_forest_share)
    stand_score = _noise(rng, shape, 20) + 0.6 * corridor
    put(_take_top(stand_score, open_land & (floodplain | corridor), n_fp), 301)
    open_land &= canvas.free
    put(_take_top(_noise(rng, shape, 12), open_land & ~floodplain, n301 - n_fp), 301)
    open_land &= canvas.free
    shrub_score = _noise(rng, shape, 10) - dist_river / 20_000.0
    put(_take_top(shrub_score, open_land & floodplain, target[305]), 305)
    open_land &= canvas.free
    put(_take_top(_noise(rng, shape, 15), open_land, target[307]), 307)
    open_land &= canvas.free
    near_village = ndimage.binary_dilation(villages, iterations=int(300 / canvas.res))
    put(_take_top(_noise(rng, shape, 8) + near_village, open_land, target[201]), 201)


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
    """Generate the demo raster and write it as a compressed, tiled GeoTIFF tagged ``demo=true`` and with its data
    year (the latest demo vintage, :mod:`cyc_geo.demo.landcover_vintages`)."""
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
            source="cyc-geo demo generator (cyc_geo.demo.landcover.generate_demo), not survey data",
            classes="第三次全国国土调查 (三调) class codes as integers (0301 -> 301)",
            params=str(asdict(params)),
            generator_version=GENERATOR_VERSION,
            data_year=str(LATEST_YEAR),
        )
        dst.set_band_description(1, "landcover")
    tmp.replace(out)
    return out


def is_stale(path: Path) -> bool:
    """True if the demo raster was written by an older generator version (or is unreadable)."""
    try:
        with rasterio.open(path) as src:
            return src.tags().get("generator_version") != GENERATOR_VERSION
    except Exception:  # noqa: BLE001 - an unreadable or foreign file counts as stale and is rebuilt
        return True
