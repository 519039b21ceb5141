"""Guessing the coordinate system of planner files from their coordinate magnitudes.

Chinese survey data often arrives without a usable ``.prj``. Projected
Gauss-Kruger (GK) coordinates still betray their zone:

- 3-degree zones carry the zone number in front of the easting when the
  "with zone" variant is used: ``38 563 746 m`` is zone 38 (CM 114E); without it
  the easting is ``563 746 m`` (false easting 500 km) and the zone must be
  inferred from where the data should be (here: the county of the profile; bundled: CM 114E).
- 6-degree zones 13-23 use prefixes 13-23, which never collide with the
  3-degree prefixes 25-45 (the bundled county lies in 6-degree zone 20, CM 117E).

EPSG codes (checked with pyproj, see tests): CGCS2000 3-degree zones 25-45 are
EPSG:4513-4533 (with zone) and 4534-4554 (CM 75E-135E); CGCS2000 6-degree zones
13-23 are 4491-4501 / 4502-4512; Xi'an 1980 3-degree 2349-2369 / 2370-2390,
6-degree 2327-2337 / 2338-2348; Beijing 1954 3-degree 2401-2421 / 2422-2442,
6-degree 21413-21423 / 21473-21483. The datum (CGCS2000, Xi'an 1980, Beijing
1954) cannot be told from the numbers (they differ by metres to ~100 m here),
so CGCS2000 is suggested first and the older datums are listed as alternatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

import numpy as np
from pyproj import CRS, Transformer

from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.places.profile import profile
from cyc_geo.places.site import BOUNDS_WGS84 as COUNTY_BOUNDS_WGS84

Bounds = tuple[float, float, float, float]
"""``(minx, miny, maxx, maxy)`` in the units of some CRS."""

PLAUSIBLE_MARGIN_DEG = 0.5
"""Data whose bounds lie within this margin (about 50 km) of the county box count as plausible
(project choice; docs/sources.md, "CRS and units")."""

AREA_OF_USE_MARGIN_DEG = 1.0
"""Coordinates up to this far (degrees) beyond a CRS's published area of use still count as possible in
it: Gauss-Kruger zones are used a little past their edges (project choice; docs/sources.md, "Import checks")."""

GCJ02 = "GCJ02"
"""Pseudo-CRS name for web-map (AMap/Tencent) coordinates; converted with :mod:`cyc_geo.geo.gcj02`."""

# (datum label zh, datum label en, first EPSG with zone prefix, first EPSG by CM, first zone, zone width)
_GK_FAMILIES: tuple[tuple[str, str, int, int, int, int], ...] = (
    ("CGCS2000 3度带", "CGCS2000 3-degree", 4513, 4534, 25, 3),
    ("西安80 3度带", "Xi'an 1980 3-degree", 2349, 2370, 25, 3),
    ("北京54 3度带", "Beijing 1954 3-degree", 2401, 2422, 25, 3),
    ("CGCS2000 6度带", "CGCS2000 6-degree", 4491, 4502, 13, 6),
    ("西安80 6度带", "Xi'an 1980 6-degree", 2327, 2338, 13, 6),
    ("北京54 6度带", "Beijing 1954 6-degree", 21413, 21473, 13, 6),
)
_N_ZONES = {3: 21, 6: 11}


@dataclass(frozen=True)
class CrsSuggestion:
    crs: str
    """``EPSG:nnnn`` or :data:`GCJ02`."""
    label_zh: str
    label_en: str
    reason_en: str
    swap_xy: bool = False
    """True when the coordinates fit only with x and y exchanged (latitude written first)."""


def gk_epsg(width: int, zone: int, with_prefix: bool, family: int = 0) -> int:
    """EPSG code of a GK zone. ``width`` 3 or 6; ``family`` index: 0 CGCS2000, 1 Xi'an 1980, 2 Beijing 1954."""
    fams = [f for f in _GK_FAMILIES if f[5] == width]
    _, _, first_prefix, first_cm, first_zone, _ = fams[family]
    if not first_zone <= zone < first_zone + _N_ZONES[width]:
        raise ValueError(f"no {width}-degree GK zone {zone}")
    return (first_prefix if with_prefix else first_cm) + zone - first_zone


def _is_degrees(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    """True if bounds fit longitude/latitude ranges (|lon| <= 180, |lat| <= 90)."""
    return max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90


def guess_crs(bounds) -> str | None:
    """CRS of coordinates given without one (a drawn or uploaded site): WGS84 if they are degrees,
    EPSG:4547 (the county's Gauss-Kruger CM 114E, no zone prefix) if they fit its false-easting
    range (500 km +- 250 km) and northings, else None. Unlike :func:`suggest_crs` it does not ask
    whether the data lands near the county; the land check reports that."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if _is_degrees(minx, miny, maxx, maxy):
        return WGS84
    if minx >= 250_000 and maxx <= 750_000 and miny >= 0 and maxy <= 10_000_000:
        return AREA_CRS
    return None


def to_wgs84_bounds(bounds: tuple[float, float, float, float], crs: str | CRS) -> tuple[float, float, float, float]:
    """Bounds ``(minx, miny, maxx, maxy)`` in ``crs`` transformed to lon/lat (densified edges)."""
    if str(crs).upper() == GCJ02:
        return as_bounds(bounds)  # GCJ-02 differs from WGS84 by < 1 km: fine for plausibility
    out = _to_wgs84(str(crs)).transform_bounds(*bounds, densify_pts=11)
    return as_bounds(out)


def as_bounds(b: Sequence[float]) -> Bounds:
    """``(minx, miny, maxx, maxy)`` as four Python floats."""
    minx, miny, maxx, maxy = (float(v) for v in b)
    return minx, miny, maxx, maxy


@lru_cache(maxsize=64)
def _to_wgs84(crs: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)


def is_plausible(bounds_wgs84: tuple[float, float, float, float], margin: float = PLAUSIBLE_MARGIN_DEG) -> bool:
    """True if lon/lat bounds are finite and lie inside the county box grown by ``margin`` degrees."""
    b = np.asarray(bounds_wgs84, dtype=float)
    if not np.all(np.isfinite(b)):
        return False
    minx, miny, maxx, maxy = COUNTY_BOUNDS_WGS84
    return bool(b[0] >= minx - margin and b[1] >= miny - margin and b[2] <= maxx + margin and b[3] <= maxy + margin)


def coords_possible(bounds: tuple[float, float, float, float], crs: str | CRS) -> bool:
    """Whether native ``bounds`` are possible coordinates in ``crs`` at all: degrees (|lon| <= 180,
    |lat| <= 90) for a geographic CRS or GCJ-02, and, transformed to lon/lat, inside the CRS's area
    of use grown by :data:`AREA_OF_USE_MARGIN_DEG` (degree values read as Gauss-Kruger metres land
    near the equator, far outside a Chinese zone). Says nothing about the county itself."""
    b = as_bounds(bounds)
    if not all(np.isfinite(b)):
        return False
    if str(crs).upper() == GCJ02:
        return _is_degrees(*b)
    try:
        c = CRS.from_user_input(crs)
        if c.is_geographic and not _is_degrees(*b):
            return False
        lon0, lat0, lon1, lat1 = to_wgs84_bounds(b, c.to_wkt())
    except Exception:  # noqa: BLE001 - a failed transform means impossible coordinates
        return False
    if not all(np.isfinite((lon0, lat0, lon1, lat1))) or not _is_degrees(lon0, lat0, lon1, lat1):
        return False
    area = c.area_of_use
    if area is None:
        return True
    m = AREA_OF_USE_MARGIN_DEG
    return bool(lon0 >= area.west - m and lon1 <= area.east + m and lat0 >= area.south - m and lat1 <= area.north + m)


def crs_plausible(bounds: tuple[float, float, float, float], crs: str | CRS | None) -> bool:
    """Whether data with native ``bounds`` in ``crs`` lands near the county (:data:`cyc_geo.places.site.BOUNDS_WGS84`)."""
    if crs is None:
        return False
    try:
        return is_plausible(to_wgs84_bounds(bounds, crs))
    except Exception:  # noqa: BLE001 - any pyproj failure means "not plausible"
        return False


def suggest_crs(bounds: tuple[float, float, float, float]) -> list[CrsSuggestion]:
    """Candidate CRSs for raw coordinates with ``bounds``, best first; each lands near the county.

    Geographic coordinates suggest CGCS2000/WGS84 (and GCJ-02 as an alternative);
    projected ones are matched to GK zones by their easting prefix, or, without a
    prefix, by trying every central meridian and keeping those that fit.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    out: list[CrsSuggestion] = []
    if not _is_degrees(minx, miny, maxx, maxy) and _is_degrees(miny, minx, maxy, maxx) \
            and is_plausible((miny, minx, maxy, maxx)):
        out.append(CrsSuggestion("EPSG:4490", "CGCS2000 经纬度（经度、纬度写反，交换后导入）",
                                 "CGCS2000 geographic with longitude and latitude swapped (exchange them)",
                                 f"the values are lat/lon near {profile().name_en} written the wrong way round", swap_xy=True))
        return out
    if _is_degrees(minx, miny, maxx, maxy):
        if is_plausible((minx, miny, maxx, maxy)):
            out.append(CrsSuggestion("EPSG:4490", "CGCS2000 经纬度", "CGCS2000 geographic", f"lon/lat values near {profile().name_en}"))
            out.append(CrsSuggestion("EPSG:4326", "WGS84 经纬度", "WGS84 geographic", "same as CGCS2000 within centimetres"))
            out.append(CrsSuggestion(GCJ02, "GCJ-02 火星坐标（高德/腾讯地图）", "GCJ-02 (AMap/Tencent web maps)",
                                     "web-map coordinates are shifted about 500 m; choose if the data came from a web map"))
        return out
    prefix_lo, prefix_hi = int(minx // 1_000_000), int(maxx // 1_000_000)
    candidates: list[tuple[int, str, str]] = []
    if prefix_lo == prefix_hi and prefix_lo >= 13:
        zone = prefix_lo
        for zh, en, first_prefix, _, first_zone, width in _GK_FAMILIES:
            if first_zone <= zone < first_zone + _N_ZONES[width]:
                code = first_prefix + zone - first_zone
                candidates.append((code, f"{zh} 第{zone}带（含带号）", f"{en} zone {zone} (with zone prefix)"))
    elif minx > 0 and maxx < 1_000_000:
        # rough inverse GK (spherical, 111.32 km per degree): keep only central meridians
        # that can put the data within the margin of the county, then verify with pyproj
        lat = np.clip((miny + maxy) / 2 / 110_950.0, -80, 80)
        dlon = ((minx + maxx) / 2 - 500_000.0) / (111_320.0 * np.cos(np.radians(lat)))
        lo, hi = COUNTY_BOUNDS_WGS84[0] - 2 * PLAUSIBLE_MARGIN_DEG, COUNTY_BOUNDS_WGS84[2] + 2 * PLAUSIBLE_MARGIN_DEG
        for zh, en, _, first_cm, _, width in _GK_FAMILIES:
            for k in range(_N_ZONES[width]):
                cm = 75 + width * k
                if lo <= cm + dlon <= hi:
                    candidates.append((first_cm + k, f"{zh} 中央经线{cm}°E", f"{en} CM {cm}E"))
    for code, zh, en in candidates:
        if crs_plausible((minx, miny, maxx, maxy), f"EPSG:{code}"):
            out.append(CrsSuggestion(f"EPSG:{code}", zh, en, f"Gauss-Kruger coordinates that land on {profile().name_en}"))
    return out


@overload
def crs_name(crs: str | CRS) -> str: ...
@overload
def crs_name(crs: None) -> None: ...
def crs_name(crs: str | CRS | None) -> str | None:
    """``EPSG:nnnn`` where possible, else the CRS name; None for no CRS."""
    if crs is None:
        return None
    if str(crs).upper() == GCJ02:
        return GCJ02
    c = CRS.from_user_input(crs)
    epsg = c.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else c.name
