"""Demo building footprints: a deterministic county of about 250,000 roofs.

No building-footprint data of the county is available offline, so
:func:`generate_demo_rooftops` synthesises one (fixed seed), vectorised with numpy/shapely:

- **city seat** (蒲西/蒲东/蒲北/南蒲 街道): an elliptical grid of ~200 m blocks
  holding mixed-use slabs (商住楼, class ``commercial``), urban-village courtyard
  houses (城中村, class ``rural`` = 居民自建房), schools and hospitals
  (``public``), government compounds (``gov``) and markets;
- **industry**: colour-steel sheds (roof ``shed``, class ``commercial``) in the
  economic-development zone (经开区; the demo boxes of
  :data:`cyc_geo.demo.projects.DEVZONE_PARTS`: a northern part and the crane-equipment park), the crane-industry cluster around 魏庄
  and the medical-consumables clusters of 丁栾 and 张三寨 (docs/sources.md, "Local industry");
- **villages**: ~590 village clusters of courtyard houses (农村宅基地 rows of
  16 m x 24 m plots) spread over every township, each with a village committee,
  every third with a primary school, and a few workshops (建筑防腐 firms are
  spread citywide, docs/sources.md "Local industry"); each town seat gets a larger cluster
  with the town government, a middle school, a health centre and a market street.

The columns are those of :data:`cyc_geo.pv.rooftops.COLUMNS`; every file written here is
flagged ``demo`` in its provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import shapely

from cyc_geo import paths
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.profile import profile
from cyc_geo.pv.rooftops import COLUMNS, DEMO_FILE, META_KEY, finish_footprints, townships_signature, write_geoparquet

GENERATOR_VERSION = "3"
"""Bump when the generator changes: demo files of an older version are rebuilt on load."""


SEED = 20230508
"""Fixed seed: the plan's issue date (2023-05-08; docs/sources.md, "The plan")."""


# Demo layout (metres in the profile's area CRS). The city centre is the profile's demo city centre (bundled
# county: between the 蒲西 and 蒲东 seats, 560,400 / 3,896,000 in EPSG:4547); zone centres are demo
# assumptions, as offsets from it.
CITY_CENTRE = profile().city_centre_m


CITY_SEMI_AXES = (3_500.0, 4_000.0)


BLOCK_PITCH_M = 200.0


INDUSTRY_ZONES = {
    # name: (centre x, centre y, width, height) in metres. The first two are the demo boxes of the
    # development zone in cyc_geo.demo.projects.DEVZONE_PARTS (north part; crane-equipment park at 魏庄).
    "devzone_north": (CITY_CENTRE[0] + 3_100.0, CITY_CENTRE[1] + 4_250.0, 4_000.0, 3_500.0),
    "weizhuang_crane": (CITY_CENTRE[0] + 2_350.0, CITY_CENTRE[1] - 10_000.0, 3_500.0, 3_000.0),
    "dingluan_medical": (CITY_CENTRE[0] + 9_300.0, CITY_CENTRE[1] + 9_300.0, 2_000.0, 1_600.0),
    "zhangsanzhai_medical": (CITY_CENTRE[0] + 3_000.0, CITY_CENTRE[1] + 13_600.0, 1_800.0, 1_400.0),
}


N_VILLAGES_TARGET = int(profile().demo.get("villages", 590))
"""Demo target number of villages (the profile's ``[demo] villages``; the bundled county has roughly 600
administrative villages (村委会), docs/sources.md, "Demo assumptions")."""


@dataclass
class _Parts:
    """Rectangles to build: centre, size, rotation and attributes (all arrays)."""

    cx: list[np.ndarray]
    cy: list[np.ndarray]
    w: list[np.ndarray]
    h: list[np.ndarray]
    theta: list[np.ndarray]
    cls: list[np.ndarray]
    roof: list[np.ndarray]
    use: list[np.ndarray]

    @classmethod
    def empty(cls) -> _Parts:
        return cls([], [], [], [], [], [], [], [])

    def add(self, cx, cy, w, h, theta, cls_, roof, use) -> None:
        n = len(cx)
        self.cx.append(np.asarray(cx, float))
        self.cy.append(np.asarray(cy, float))
        self.w.append(np.asarray(w, float))
        self.h.append(np.asarray(h, float))
        self.theta.append(np.broadcast_to(np.asarray(theta, float), (n,)).copy())
        self.cls.append(np.broadcast_to(np.asarray(cls_, object), (n,)).copy())
        self.roof.append(np.broadcast_to(np.asarray(roof, object), (n,)).copy())
        self.use.append(np.broadcast_to(np.asarray(use, object), (n,)).copy())

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(getattr(self, k)) for k in ("cx", "cy", "w", "h", "theta", "cls", "roof", "use")}


def rectangles(cx, cy, w, h, theta) -> np.ndarray:
    """Rotated rectangles as shapely polygons (vectorised): centre, width (x), height (y), angle (rad)."""
    cx, cy, w, h, theta = (np.asarray(a, float) for a in (cx, cy, w, h, theta))
    ux = np.array([-0.5, 0.5, 0.5, -0.5, -0.5])
    uy = np.array([-0.5, -0.5, 0.5, 0.5, -0.5])
    lx = ux[None, :] * w[:, None]
    ly = uy[None, :] * h[:, None]
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    coords = np.stack([cx[:, None] + lx * c - ly * s, cy[:, None] + lx * s + ly * c], axis=-1)
    return shapely.polygons(coords)


def _rotate(dx, dy, theta):
    c, s = np.cos(theta), np.sin(theta)
    return dx * c - dy * s, dx * s + dy * c


def _place(parts: _Parts, rng, centres: np.ndarray, angles: np.ndarray, template: list[tuple], jitter: float,
           cls_, roof, use) -> None:
    """Copy a template of rectangles (dx, dy, w, h) into every centre, rotated with the block."""
    if len(centres) == 0:
        return
    t = np.asarray(template, float)
    m, k = len(centres), len(t)
    dx, dy = _rotate(np.tile(t[:, 0], m), np.tile(t[:, 1], m), np.repeat(angles, k))
    scale = rng.uniform(1 - jitter, 1 + jitter, (2, m * k))
    if callable(roof):
        roof = roof(m * k)
    parts.add(np.repeat(centres[:, 0], k) + dx, np.repeat(centres[:, 1], k) + dy,
              np.tile(t[:, 2], m) * scale[0], np.tile(t[:, 3], m) * scale[1], np.repeat(angles, k), cls_, roof, use)


def _grid_in_ellipse(centre, semi_axes, pitch) -> np.ndarray:
    xs = np.arange(-semi_axes[0], semi_axes[0] + 1, pitch)
    ys = np.arange(-semi_axes[1], semi_axes[1] + 1, pitch)
    gx, gy = np.meshgrid(xs, ys)
    inside = (gx / semi_axes[0]) ** 2 + (gy / semi_axes[1]) ** 2 <= 1.0
    return np.column_stack([gx[inside] + centre[0], gy[inside] + centre[1]])


def _in_zones(x, y, margin: float = 0.0) -> np.ndarray:
    """True where (x, y) lies in the city ellipse or an industrial zone (plus ``margin``)."""
    ax, ay = CITY_SEMI_AXES
    out = ((x - CITY_CENTRE[0]) / (ax + margin)) ** 2 + ((y - CITY_CENTRE[1]) / (ay + margin)) ** 2 <= 1
    for zx, zy, zw, zh in INDUSTRY_ZONES.values():
        out |= (np.abs(x - zx) <= zw / 2 + margin) & (np.abs(y - zy) <= zh / 2 + margin)
    return out


def _mixed_roof(rng, p_flat: float):
    return lambda n: np.where(rng.random(n) < p_flat, "flat", "pitched").astype(object)


def _city(parts: _Parts, rng) -> None:
    """Urban blocks of the city seat."""
    centres = _grid_in_ellipse(CITY_CENTRE, CITY_SEMI_AXES, BLOCK_PITCH_M)
    in_industry = np.zeros(len(centres), bool)
    for zx, zy, zw, zh in INDUSTRY_ZONES.values():
        in_industry |= (np.abs(centres[:, 0] - zx) <= zw / 2 + 100) & (np.abs(centres[:, 1] - zy) <= zh / 2 + 100)
    centres = centres[~in_industry]
    angles = np.full(len(centres), np.deg2rad(2.0))  # streets run almost N-S / E-W
    r = rng.random(len(centres))
    kinds = np.select([r < 0.52, r < 0.74, r < 0.84, r < 0.89], ["slab", "village", "public", "gov"], "market")
    slab = [(dx, dy, 56, 14) for dx in (-40, 40) for dy in (-66, -22, 22, 66)]
    village = [(dx, dy, 11, 9) for dx in np.arange(-75, 76, 15) for dy in np.arange(-77, 78, 22)]
    school = [(-45, 50, 70, 15), (-45, 0, 70, 15), (-45, -50, 70, 15), (50, 40, 30, 50), (50, -55, 40, 20)]
    gov = [(0, 45, 70, 20), (-50, -30, 40, 16), (40, -30, 40, 16)]
    market = [(-50, 40, 45, 35), (20, 40, 60, 35), (-40, -40, 60, 30), (45, -45, 40, 25)]
    sel = {k: centres[kinds == k] for k in ("slab", "village", "public", "gov", "market")}
    ang = {k: angles[kinds == k] for k in sel}
    _place(parts, rng, sel["slab"], ang["slab"], slab, 0.1, "commercial", "flat", "mixed_use_block")
    _place(parts, rng, sel["village"], ang["village"], village, 0.12, "rural", _mixed_roof(rng, 0.6),
           "courtyard_house")
    _place(parts, rng, sel["public"], ang["public"], school, 0.15, "public", "flat", "school_or_hospital")
    _place(parts, rng, sel["gov"], ang["gov"], gov, 0.15, "gov", "flat", "government")
    _place(parts, rng, sel["market"], ang["market"], market, 0.2, "commercial", "flat", "market_or_office")


def _industry(parts: _Parts, rng) -> None:
    """Factory parcels (120 m x 100 m) of colour-steel sheds in the industrial zones."""
    for zx, zy, zw, zh in INDUSTRY_ZONES.values():
        xs = np.arange(-zw / 2 + 60, zw / 2 - 59, 120.0)
        ys = np.arange(-zh / 2 + 50, zh / 2 - 49, 100.0)
        gx, gy = np.meshgrid(xs, ys)
        centres = np.column_stack([gx.ravel() + zx, gy.ravel() + zy])
        centres = centres[rng.random(len(centres)) < 0.85]  # some parcels are empty or roads
        angles = np.full(len(centres), np.deg2rad(-3.0))
        template = [(-25, 22, 60, 30), (-25, -20, 60, 26), (38, 0, 24, 70)]
        _place(parts, rng, centres, angles, template, 0.3, "commercial", "shed", "factory")


def _village_centres(rng, county: shapely.Geometry) -> np.ndarray:
    """Jittered grid of village centres inside the county, outside city and zones."""
    spacing = np.sqrt(county.area / N_VILLAGES_TARGET * 0.8)
    minx, miny, maxx, maxy = county.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, spacing), np.arange(miny, maxy, spacing))
    pts = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(-0.35, 0.35, (gx.size, 2)) * spacing
    inside = shapely.contains_xy(county.buffer(-300), pts[:, 0], pts[:, 1])
    pts = pts[inside & ~_in_zones(pts[:, 0], pts[:, 1], margin=600)]
    return pts


def _courtyards(parts: _Parts, rng, centres: np.ndarray, sizes: np.ndarray) -> None:
    """Rows of courtyard houses (main house on a 16 m x 24 m plot), one cluster per centre."""
    plot_w, plot_d = 16.0, 24.0
    ncol = np.ceil(np.sqrt(sizes * plot_d / plot_w)).astype(int)
    total = int(sizes.sum())
    vid = np.repeat(np.arange(len(sizes)), sizes)
    k = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    col, row = k % ncol[vid], k // ncol[vid]
    nrow = np.ceil(sizes / ncol).astype(int)
    dx = (col - (ncol[vid] - 1) / 2) * plot_w + rng.uniform(-1.5, 1.5, total)
    dy = (row - (nrow[vid] - 1) / 2) * plot_d + 5.0 + rng.uniform(-1.5, 1.5, total)
    theta = rng.uniform(-0.17, 0.17, len(sizes))[vid]
    rx, ry = _rotate(dx, dy, theta)
    w = rng.uniform(10.0, 14.0, total)
    h = rng.uniform(7.5, 10.5, total)
    roof = np.where(rng.random(total) < 0.55, "flat", "pitched").astype(object)
    parts.add(centres[vid, 0] + rx, centres[vid, 1] + ry, w, h, theta, "rural", roof, "courtyard_house")
    # side rooms (厢房) on the east or west edge of ~60 % of the plots, south of the main house
    side = rng.random(total) < 0.6
    sx = dx[side] + np.where(rng.random(int(side.sum())) < 0.5, -1.0, 1.0) * (plot_w / 2 - 2.8)
    sdx, sdy = _rotate(sx, dy[side] - 9.5, theta[side])
    n_side = int(side.sum())
    parts.add(centres[vid[side], 0] + sdx, centres[vid[side], 1] + sdy, rng.uniform(3.5, 4.5, n_side),
              rng.uniform(6.0, 9.0, n_side), theta[side], "rural",
              np.where(rng.random(n_side) < 0.8, "flat", "pitched").astype(object), "side_room")


def _village_extras(parts: _Parts, rng, centres: np.ndarray, sizes: np.ndarray) -> None:
    """Committee, school (every third village) and a few workshops beside each village."""
    half = np.sqrt(sizes * 16.0 * 24.0) / 2
    n = len(centres)
    angles = rng.uniform(-0.17, 0.17, n)
    east = centres + np.column_stack([half + 30.0, np.zeros(n)])
    _place(parts, rng, east, angles, [(0, 0, 22, 11)], 0.15, "public", "flat", "village_committee")
    school = np.arange(n) % 3 == 0
    _place(parts, rng, east[school] + [0, 60.0], angles[school], [(0, 0, 40, 12), (0, 30, 40, 12)], 0.15,
           "public", "flat", "school")
    n_ws = rng.poisson(3.0, n)
    vid = np.repeat(np.arange(n), n_ws)
    k = np.arange(len(vid)) - np.repeat(np.cumsum(n_ws) - n_ws, n_ws)
    wx = centres[vid, 0] - half[vid] - 45.0 - 45.0 * (k % 3)
    wy = centres[vid, 1] + 40.0 * (k // 3) - 20.0
    parts.add(wx, wy, rng.uniform(15, 40, len(vid)), rng.uniform(10, 22, len(vid)), angles[vid],
              "commercial", "shed", "workshop")


def _town_seats(parts: _Parts, rng, seats: np.ndarray) -> None:
    """Town centre facilities next to each town seat (the seat's houses are a village cluster)."""
    angles = rng.uniform(-0.1, 0.1, len(seats))
    offset = seats + [0.0, -420.0]
    _place(parts, rng, offset, angles, [(0, 30, 50, 15), (-40, -20, 30, 12), (40, -20, 30, 12), (0, -60, 40, 12)],
           0.15, "gov", _mixed_roof(rng, 0.8), "government")
    _place(parts, rng, offset + [180.0, 0.0], angles,
           [(0, 45, 60, 14), (0, 0, 60, 14), (0, -45, 60, 14), (-60, 0, 20, 45)], 0.15, "public", "flat", "school")
    _place(parts, rng, offset + [-160.0, 0.0], angles, [(0, 20, 45, 16), (0, -25, 30, 14)], 0.15, "public",
           "flat", "health_centre")
    shops = [(dx, side * 18, 12, 14) for dx in np.arange(-600, 601, 13) for side in (-1, 1)]
    _place(parts, rng, seats + [0.0, -520.0], angles, shops, 0.1, "commercial", "flat", "shop")


def generate_demo_rooftops(seed: int = SEED, scale: float = 1.0) -> gpd.GeoDataFrame:
    """The demo county of buildings (WGS84). ``scale`` < 1 thins villages (for quick tests)."""
    from cyc_geo.places.county import county_geometry_area_crs
    from cyc_geo.places.townships import load_townships, read_seats

    rng = np.random.default_rng(seed)
    county = county_geometry_area_crs()
    townships_area = load_townships().to_crs(AREA_CRS)
    parts = _Parts.empty()
    _city(parts, rng)
    _industry(parts, rng)
    seats = read_seats().to_crs(AREA_CRS)
    towns = seats[~seats["type"].eq("街道")]
    seat_xy = np.column_stack([towns.geometry.x, towns.geometry.y])
    centres = _village_centres(rng, county)
    # drop village centres that would collide with a town seat cluster
    near_seat = (np.hypot(centres[:, 0, None] - seat_xy[None, :, 0], centres[:, 1, None] - seat_xy[None, :, 1])
                 < 1_200).any(axis=1)
    centres = centres[~near_seat]
    sizes = np.clip(rng.lognormal(np.log(190.0), 0.45, len(centres)), 50, 800).astype(int)
    if scale < 1.0:
        pick = rng.random(len(centres)) < scale
        centres, sizes = centres[pick], sizes[pick]
    seat_sizes = rng.integers(700, 1200, len(seat_xy))
    all_centres = np.vstack([centres, seat_xy + [0.0, 250.0]])
    all_sizes = np.concatenate([sizes, seat_sizes])
    _courtyards(parts, rng, all_centres, all_sizes)
    _village_extras(parts, rng, centres, sizes)
    _town_seats(parts, rng, seat_xy)
    a = parts.arrays()
    geoms = rectangles(a["cx"], a["cy"], a["w"], a["h"], a["theta"])
    inside = shapely.contains_xy(county, a["cx"], a["cy"])
    gdf = finish_footprints(geoms[inside], {"building_class": a["cls"][inside], "roof_type": a["roof"][inside],
                                  "use": a["use"][inside]}, townships_area)
    gdf.insert(0, "roof_id", np.arange(1, len(gdf) + 1, dtype=np.int64))
    for col in ("building_class", "roof_type", "use"):
        gdf[col] = gdf[col].astype(str)
    return gdf[COLUMNS + ["geometry"]]


def build_demo_rooftops(out_dir: Path | None = None, seed: int = SEED) -> Path:
    """Generate the demo rooftops and write ``demo_rooftops.parquet``."""
    gdf = generate_demo_rooftops(seed)
    meta = {
        "source": f"synthetic demo footprints (cyc_geo.pv.rooftops, seed {seed}); not real buildings",
        "demo": "true",
        "approximate": "true",
        "seed": str(seed),
        "generator_version": GENERATOR_VERSION,
        "townships": townships_signature(),
        "note": "replace with data/boundaries/rooftops.<gpkg|geojson|shp|zip|parquet> or an import",
    }
    return write_geoparquet(gdf, Path(out_dir or paths.rooftops_dir()) / DEMO_FILE, meta)


def is_stale(path: Path) -> bool:
    """True if the demo file was written by an older generator version (or is unreadable)."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        if raw is None:
            return True
        return json.loads(raw).get("generator_version") != GENERATOR_VERSION
    except Exception:  # noqa: BLE001 - an unreadable or foreign file counts as stale and is rebuilt
        return True
