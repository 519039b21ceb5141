"""Reading a typed coordinate: decimal degrees, 度分秒, or CGCS2000 3-degree Gauss-Kruger X/Y (with or without the
zone prefix), as planners write them in a search box.

- **Decimal degrees** ``114.68, 35.20`` / ``35.20 114.68`` / ``E114.68 N35.2``: a value above 90 is the longitude;
  hemisphere letters (E/N, 东经/北纬) decide when given; otherwise the order is longitude, latitude.
- **度分秒** ``114°40'48"E 35°12'0"N`` / ``114度40分48秒 35度12分`` (′ ″ and ’ ” accepted).
- **CGCS2000 3° GK** (国家 2000 坐标系 3 度带): X is the northing (10⁶–10⁷ m), Y the easting: with the zone prefix
  (``38582860``: zone 38) or without it (``582860``, false easting 500 km); a zone number may be written as its
  own token (``38 3898270 582860``); without one the county's zone 38 (CM 114°E, EPSG:4547) is taken.
  EPSG codes: :func:`cyc_geo.geo.detect.gk_epsg`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cyc_geo.geo.detect import gk_epsg
from cyc_geo.geo.transformers import transformer
from cyc_geo.places.profile import profile

DEFAULT_ZONE = profile().gk_zone
"""The county's CGCS2000 3-degree zone (county profile; bundled: 38, central meridian 114°E; docs/sources.md, "CRS and units")."""

_NUM = r"[-+]?\d+(?:\.\d+)?"
_DMS = re.compile(r"(?P<hem1>[NSEW北南东西]|北纬|东经)?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:°|度)\s*(?:(?P<m>\d+(?:\.\d+)?)\s*(?:['′’]|分))?"
                  r"\s*(?:(?P<s>\d+(?:\.\d+)?)\s*(?:[\"″”]|''|秒))?\s*(?P<hem2>[NSEW北南东西])?", re.IGNORECASE)
_LAT_MARKS = ("N", "S", "北", "南", "北纬")
_SOUTH_WEST = ("S", "W", "南", "西")


@dataclass(frozen=True)
class Coordinate:
    """A typed coordinate read as WGS84 ``lon`` / ``lat`` with the ``kind`` it was written in (``degrees``,
    ``dms``, ``gk3``) and the CRS of the numbers (``EPSG:4326`` or the zone's EPSG code)."""

    lon: float
    lat: float
    kind: str
    crs: str


def _hem_sign(hem: str | None) -> int:
    return -1 if hem and hem.upper() in _SOUTH_WEST else 1


def _degrees_pair(values: list[tuple[float, str | None]], kind: str) -> Coordinate | None:
    (a, ha), (b, hb) = values
    if ha and ha.upper() in _LAT_MARKS or hb and hb.upper() not in _LAT_MARKS and hb is not None:
        a, b = b, a  # written latitude first
    elif not ha and not hb and abs(a) <= 90 < abs(b):
        a, b = b, a
    if not (-180 <= a <= 180 and -90 <= b <= 90):
        return None
    return Coordinate(a, b, kind, "EPSG:4326")


def _dms(text: str) -> Coordinate | None:
    found = []
    for m in _DMS.finditer(text):
        if not m.group("d") or ("°" not in m.group(0) and "度" not in m.group(0)):
            continue
        value = float(m.group("d")) + float(m.group("m") or 0) / 60 + float(m.group("s") or 0) / 3600
        hem = m.group("hem1") or m.group("hem2")
        found.append((value * _hem_sign(hem), hem))
    return _degrees_pair(found, "dms") if len(found) == 2 else None


def _gk3(numbers: list[float]) -> Coordinate | None:
    zone = None
    if len(numbers) == 3 and 25 <= numbers[0] <= 45 and numbers[0] == int(numbers[0]):
        zone, numbers = int(numbers[0]), numbers[1:]
    if len(numbers) != 2:
        return None
    north = [v for v in numbers if 1e6 <= v < 1e7]
    east = [v for v in numbers if v >= 1e7 or 1e5 <= v < 1e6]
    if len(north) != 1 or len(east) != 1:
        return None
    x, y = north[0], east[0]
    prefixed = y >= 1e7
    if prefixed:
        zone_in_y = int(y // 1e6)
        if not 25 <= zone_in_y <= 45 or (zone is not None and zone != zone_in_y):
            return None
        zone = zone_in_y
    crs = f"EPSG:{gk_epsg(3, zone or DEFAULT_ZONE, prefixed)}"
    lon, lat = transformer(crs, "EPSG:4326", always_xy=True).transform(y, x)
    return Coordinate(float(lon), float(lat), "gk3", crs)


def parse_coordinate(text: str) -> Coordinate | None:
    """The coordinate typed in ``text`` (see the module docstring), or None when ``text`` is not one."""
    text = str(text or "").strip()
    if not text or len(text) > 120:
        return None
    if "°" in text or "度" in text:
        return _dms(text)
    tokens = re.findall(rf"([NSEW北南东西]|北纬|东经)?\s*({_NUM})\s*([NSEW北南东西])?", text, re.IGNORECASE)
    rest = re.sub(rf"(北纬|东经|[NSEWnsew北南东西]|{_NUM}|[\s,，;；/XYxy=：:])", "", text)
    if rest or not tokens:
        return None
    numbers = [float(t[1]) for t in tokens]
    if len(numbers) == 2 and all(abs(v) <= 180 for v in numbers):
        return _degrees_pair([(numbers[i], tokens[i][0] or tokens[i][2] or None) for i in range(2)], "degrees")
    return _gk3(numbers)
