"""界址点 coordinate files (报盘格式): the way red lines (用地红线) of parcels are handed over.

A file has two sections::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=38
    [地块坐标]
    5,9.1200,1,地块一,面,,工业用地,,@      <- parcel header: 点数, 面积(公顷), 编号, 名称, 面/线/点, 图幅号, 用途, 地类编码, @
    J1,1,3886085.000,38562000.000          <- point: 点号, 圈号, X (northing), Y (easting, often with the zone number in front)
    ...

Rings of one parcel are told apart by 圈号 (usually 1 for the outer boundary, 2, 3 … for holes), but
they are assembled by containment, not by number or order: a ring inside an outer ring is a hole
(whichever is listed first), a ring inside a hole is another part, a ring outside all others another
part; rings that partly overlap (two outer rings, a hole crossing its boundary) are refused, since
their area would be counted twice (:func:`parcel_geometry`). Files come in GBK (most
surveying software) or UTF-8 (with or without BOM). The coordinate system is CGCS2000, Xi'an 1980 or
Beijing 1954 Gauss-Kruger, 3° or 6° zones; the EPSG code follows from 坐标系, 几度分带, 带号 and
whether Y carries the zone number (:func:`cyc_geo.geo.detect.gk_epsg`; for the bundled county: CGCS2000 3°
zone 38, CM 114°E = EPSG:4526 with the zone prefix, EPSG:4547 without).

Files are capped before and while they are read (:data:`MAX_JZD_BYTES`, :data:`MAX_JZD_LINES`,
:data:`MAX_JZD_POINTS`, :data:`MAX_JZD_PARCELS`; docs/sources.md, "Security defaults"): the projects
page reads visitors' uploads. Errors name the line (:class:`JzdError`, Chinese and English); hostile
numbers (``inf``, ``nan``, ``1e400``, huge or negative counts) are errors too, never another
exception. :func:`write_jzd` writes a site back
in the same format (CGCS2000, 3° zone 38 with the prefix by default). Format: docs/sources.md,
"Land-use rules (三区三线, 自然资办发〔2023〕12号)".
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cyc_geo.geo.detect import gk_epsg
from cyc_geo.places.profile import profile

EXPORT_ZONE = profile().gk_zone
"""The county's CGCS2000 3° zone (its profile's ``gk_zone``; the bundled county, 114.5-115.0°E, lies in zone 38,
CM 114°E; docs/sources.md, "CRS and units")."""
EXPORT_DECIMALS = 3
"""Coordinates are written to the millimetre, the precision field of survey deliveries (精度=0.001)."""

MAX_JZD_POINTS = 50_000
"""Most 界址点 rows one file may hold. A real 报盘 file of a large project has at most a few thousand
points; 50,000 is 10-20 times that, and a file at the caps reads in about a second
(docs/sources.md, "Security defaults")."""
MAX_JZD_PARCELS = 5_000
"""Most parcel header lines (…,@) one file may hold (a project's file has a few to a few hundred;
docs/sources.md, "Security defaults")."""
MAX_JZD_RINGS = 50
"""Most rings (distinct 圈号) in one parcel: an outer ring and its holes, a handful in real files. It bounds
the ring-containment tests of :func:`parcel_geometry` (pairs of rings; docs/sources.md, "Security defaults")."""
MAX_JZD_LINES = 2 * (MAX_JZD_POINTS + MAX_JZD_PARCELS)
"""Most lines (blank ones included) one file may have: every point and parcel line plus as many blank or
attribute lines again (docs/sources.md, "Security defaults")."""
MAX_JZD_BYTES = 4 * 1024 * 1024
"""Largest 界址点 file read (4 MiB, checked before reading): :data:`MAX_JZD_POINTS` point rows of up to
~80 bytes (``J50000,1,3885800.0000,38562000.0000`` is 36; docs/sources.md, "Security defaults")."""
OVERLAP_TOLERANCE_M2 = 0.01
"""Rings of one parcel may overlap by at most this much (m², plus 1e-9 of the parcel's area for rounding):
a 1 mm sliver (the files' precision, 精度=0.001) along 10 m. Anything more is refused (docs/sources.md,
"Security defaults")."""


class JzdError(ValueError):
    """A bad 界址点 file; the message names the line (zh / en). ``code`` is the refusal's code in a
    ``--json`` answer: ``bad_site_file``, or ``xy_swapped`` when X and Y look written the wrong way round
    (the file reads with ``swap_xy=True``, command line ``--swap-xy``)."""

    def __init__(self, line: int | None, zh: str, en: str, code: str = "bad_site_file") -> None:
        self.line, self.code = line, code
        self.details = {"swap_xy": True} if code == "xy_swapped" else {}
        if line is None:
            self.zh, self.en = f"界址点文件错误：{zh}", f"bad coordinate file: {en}"
        else:
            self.zh, self.en = f"界址点文件第 {line} 行：{zh}", f"coordinate file, line {line}: {en}"
        super().__init__(f"{self.zh} / {self.en}")


@dataclass
class JzdParcel:
    """One parcel of the file: header fields, its rings by 圈号 and the header's line number."""

    line: int
    n_points: int
    area_ha: float | None
    number: str
    name: str
    kind: str
    use: str
    code: str
    rings: dict[int, list[tuple[float, float, int]]] = field(default_factory=dict)
    """圈号 -> [(easting, northing, line)] as written (easting with the zone prefix if the file has it)."""

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.rings.values())


@dataclass
class JzdFile:
    attrs: dict[str, str]
    parcels: list[JzdParcel]
    crs: str
    with_prefix: bool


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) if it decodes, else GBK (GB18030, its superset)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise JzdError(None, "文件编码既不是 UTF-8 也不是 GBK", "the file is neither UTF-8 nor GBK") from exc


def _shown(text: str) -> str:
    """A field as quoted in a message: stripped and cut to 40 characters (a hostile field can be megabytes)."""
    t = text.strip()
    return t if len(t) <= 40 else t[:37] + "..."


def _float(text: str, line: int | None, what_zh: str, what_en: str) -> float:
    t = text.strip()
    try:
        value = float(t)
    except ValueError:
        raise JzdError(line, f"{what_zh}“{_shown(t)}”不是数字", f"{what_en} {_shown(t)!r} is not a number") from None
    if not math.isfinite(value):
        raise JzdError(line, f"{what_zh}“{_shown(t)}”不是有限数值", f"{what_en} {_shown(t)!r} is not a finite number")
    return value


def _int(text: str, line: int | None, what_zh: str, what_en: str, low: int, high: int) -> int:
    """A whole number in [low, high] (``5`` or ``5.0``); ``inf``, ``nan``, ``1e400``, fractions and values out
    of range are :class:`JzdError` naming the line, never an ``OverflowError``."""
    t = text.strip()
    try:
        value = float(t)
    except ValueError:
        raise JzdError(line, f"{what_zh}“{_shown(t)}”不是整数", f"{what_en} {_shown(t)!r} is not an integer") from None
    if not math.isfinite(value) or value != math.floor(value):
        raise JzdError(line, f"{what_zh}“{_shown(t)}”不是整数", f"{what_en} {_shown(t)!r} is not an integer")
    if not low <= value <= high:
        raise JzdError(line, f"{what_zh} {_shown(t)} 超出范围（应为 {low}–{high:,}）",
                       f"{what_en} {_shown(t)} is out of range ({low}-{high:,})")
    return int(value)


def _family(system: str) -> int:
    """Index of the GK family in :func:`gk_epsg` from the 坐标系 text (CGCS2000 when not said)."""
    s = system.replace(" ", "")
    if "80" in s or "西安" in s:
        return 1
    if "54" in s or "北京" in s:
        return 2
    return 0


def _parse_header_line(parts: list[str], line: int) -> JzdParcel:
    fields_ = [p.strip() for p in parts]
    if len(fields_) < 5:
        raise JzdError(line, "地块标题行至少应有 点数,面积,编号,名称,图形属性 五项并以 @ 结尾",
                       "a parcel header needs at least count, area, number, name, shape type and ends with @")
    n = _int(fields_[0], line, "界址点数", "point count", 1, 10**15)
    if n > MAX_JZD_POINTS:
        raise JzdError(line, f"界址点数 {n:,} 超过每个文件 {MAX_JZD_POINTS:,} 个界址点的上限",
                       f"point count {n:,} exceeds the limit of {MAX_JZD_POINTS:,} points per file")
    area = _float(fields_[1], line, "地块面积", "parcel area") if fields_[1] else None
    if area is not None and area < 0:
        raise JzdError(line, f"地块面积 {_shown(fields_[1])} 为负数", f"parcel area {_shown(fields_[1])} is negative")
    get = lambda i: fields_[i] if len(fields_) > i and fields_[i] != "@" else ""  # noqa: E731
    return JzdParcel(line, n, area, get(2), get(3), get(4) or "面", get(6), get(7))


def _too_many(line: int, count: int, cap: int, zh: str, en: str) -> JzdError:
    return JzdError(line, f"文件超过 {cap:,} {zh}的上限（已读到第 {count:,} 个），不再读取",
                    f"the file exceeds the limit of {cap:,} {en} (reached {count:,}); reading stopped")


def parse_jzd(text: str, swap_xy: bool = False) -> JzdFile:
    """Parse the text of a 界址点 file; :class:`JzdError` naming the line on anything malformed.

    ``swap_xy`` reads the third column of a point row as Y (easting) and the fourth as X (northing): files
    written easting-first (``J序号,界址线号,Y坐标,X坐标``, a converter's default) read like the standard ones.

    Lines are read one at a time and counted: the file is refused at the first line past
    :data:`MAX_JZD_LINES`, point row past :data:`MAX_JZD_POINTS` or parcel past :data:`MAX_JZD_PARCELS`,
    before the rest is looked at."""
    attrs: dict[str, str] = {}
    parcels: list[JzdParcel] = []
    section = None
    n_points = 0
    for no, raw in enumerate(io.StringIO(text, newline=None), start=1):
        if no > MAX_JZD_LINES:
            raise _too_many(no, no, MAX_JZD_LINES, "行", "lines")
        line = raw.strip().replace("，", ",")
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section not in ("属性描述", "地块坐标"):
                raise JzdError(no, f"未知的节“{_shown(line)}”（应为 [属性描述] 或 [地块坐标]）",
                               f"unknown section {_shown(line)!r} (expected [属性描述] or [地块坐标])")
            continue
        if section is None:
            raise JzdError(no, "文件应以 [属性描述] 或 [地块坐标] 开头", "the file must start with [属性描述] or [地块坐标]")
        if section == "属性描述":
            if "=" not in line:
                raise JzdError(no, "属性描述行应为“名称=值”", "an attribute line must read name=value")
            key, value = line.split("=", 1)
            attrs[key.strip()] = value.strip()
            continue
        parts = line.split(",")
        if parts[-1].strip() == "@":
            if len(parcels) >= MAX_JZD_PARCELS:
                raise _too_many(no, len(parcels) + 1, MAX_JZD_PARCELS, "个地块", "parcels")
            parcels.append(_parse_header_line(parts, no))
            continue
        if not parcels:
            raise JzdError(no, "坐标行之前缺少地块标题行（以 @ 结尾）", "a point row comes before any parcel header (ending with @)")
        if len(parts) < 4:
            raise JzdError(no, "坐标行应为 点号,圈号,X坐标,Y坐标", "a point row must read point no, ring no, X, Y")
        n_points += 1
        if n_points > MAX_JZD_POINTS:
            raise _too_many(no, n_points, MAX_JZD_POINTS, "个界址点", "points")
        ring_txt = parts[1].strip()
        ring = int(ring_txt) if ring_txt.isdecimal() and len(ring_txt) < 7 else _int(ring_txt, no, "圈号", "ring number", 0, 999_999)
        x = _float(parts[2], no, "X坐标", "X")
        y = _float(parts[3], no, "Y坐标", "Y")
        if swap_xy:
            x, y = y, x
        rings = parcels[-1].rings
        if ring not in rings and len(rings) >= MAX_JZD_RINGS:
            raise JzdError(no, f"地块“{_label(parcels[-1])}”超过每个地块 {MAX_JZD_RINGS} 圈的上限",
                           f"parcel {_label(parcels[-1])!r} exceeds the limit of {MAX_JZD_RINGS} rings per parcel")
        rings.setdefault(ring, []).append((y, x, no))
    if not parcels:
        raise JzdError(None, "没有 [地块坐标] 数据", "no [地块坐标] parcels")
    crs, prefix = _crs(attrs, parcels)
    return JzdFile(attrs, parcels, crs, prefix)


def _crs(attrs: dict[str, str], parcels: list[JzdParcel]) -> tuple[str, bool]:
    """EPSG code of the file and whether Y carries the zone number; checks coordinates and zones."""
    proj = attrs.get("投影类型", "高斯克吕格")
    if proj and "高斯" not in proj and "gauss" not in proj.lower():
        raise JzdError(None, f"不支持的投影类型“{proj}”（仅高斯-克吕格）", f"unsupported projection {proj!r} (Gauss-Kruger only)")
    unit = attrs.get("计量单位", "米")
    if unit and unit not in ("米", "m", "M", "metre", "meter"):
        raise JzdError(None, f"不支持的计量单位“{unit}”（应为米）", f"unsupported unit {unit!r} (metres expected)")
    width_txt = attrs.get("几度分带", "3").replace("度", "").strip() or "3"
    try:
        width = _int(width_txt, None, "几度分带", "zone width", 3, 6)
    except JzdError:
        width = 0
    if width not in (3, 6):
        raise JzdError(None, f"几度分带“{_shown(width_txt)}”应为 3 或 6", f"zone width {_shown(width_txt)!r} must be 3 or 6")
    zone_attr = attrs.get("带号", "").strip()
    numeric = zone_attr.replace(".", "", 1).isdigit()  # other text (not a zone) is ignored, as before
    zone = _int(zone_attr, None, "带号", "zone number", 1, 120) if numeric else None
    prefixes = set()
    for parcel in parcels:
        for pts in parcel.rings.values():
            for easting, northing, no in pts:
                if northing >= 1e7 and easting < 1e7:
                    raise JzdError(no, f"X坐标 {northing} 像东坐标、Y坐标 {easting} 像北坐标：X、Y 是否写反？（X 为北坐标；"
                                   "可交换 X/Y 重新读取，命令行 --swap-xy）",
                                   f"X {northing} looks like an easting and Y {easting} like a northing: X and Y swapped? "
                                   "(X is the northing; read the file again with X and Y exchanged, command line --swap-xy)",
                                   code="xy_swapped")
                if 1e7 <= easting < 1e8:
                    prefixes.add((int(easting // 1e6), no))
                elif not 0 < easting < 1e6:
                    if 1e6 <= easting < 1e7 and 0 < northing < 1e6:  # a 7-digit northing in Y, a 6-digit easting in X
                        raise JzdError(no, f"Y坐标 {easting} 像北坐标、X坐标 {northing} 像东坐标：X、Y 是否写反？（X 为北坐标；"
                                       "可交换 X/Y 重新读取，命令行 --swap-xy）",
                                       f"Y {easting} looks like a northing and X {northing} like an easting: X and Y swapped? "
                                       "(X is the northing; read the file again with X and Y exchanged, command line --swap-xy)",
                                       code="xy_swapped")
                    raise JzdError(no, f"Y坐标 {easting} 不是高斯投影东坐标（应为 6 位或带号加 6 位）",
                                   f"Y {easting} is not a Gauss-Kruger easting (6 digits, or the zone number and 6 digits)")
                if not 0 < northing < 1e7:
                    hint = (("（X、Y 是否写反？X 为北坐标；命令行 --swap-xy）", " (X and Y swapped? X is the northing; --swap-xy)")
                            if northing >= 1e7 else ("", ""))
                    raise JzdError(no, f"X坐标 {northing} 不是北坐标{hint[0]}", f"X {northing} is not a northing{hint[1]}",
                                   code="xy_swapped" if northing >= 1e7 else "bad_site_file")
    zones = {z for z, _ in prefixes}
    n_points = sum(p.count for p in parcels)
    if prefixes and len(prefixes) != n_points:
        line = next(no for p in parcels for pts in p.rings.values() for e, _, no in pts if e < 1e7)
        raise JzdError(line, "部分 Y 坐标带有带号、部分没有", "some Y coordinates carry the zone number and some do not")
    if len(zones) > 1:
        raise JzdError(max(no for _, no in prefixes), f"Y 坐标的带号不一致：{sorted(zones)}",
                       f"Y coordinates carry different zones: {sorted(zones)}")
    if zones:
        z = zones.pop()
        if zone is not None and zone != z:
            raise JzdError(None, f"属性描述的带号 {zone} 与 Y 坐标中的带号 {z} 不一致",
                           f"zone {zone} in [属性描述] differs from zone {z} in the Y coordinates")
        zone = z
    if zone is None:
        raise JzdError(None, "缺少带号（属性描述“带号=”或 Y 坐标前的带号）",
                       "zone number missing ([属性描述] 带号= or the zone in front of Y)")
    try:
        epsg = gk_epsg(width, zone, bool(prefixes), _family(attrs.get("坐标系", "")))
    except ValueError:
        raise JzdError(None, f"{width}度带没有带号 {zone}", f"there is no {width}-degree zone {zone}") from None
    return f"EPSG:{epsg}", bool(prefixes)


def _ring(points: list[tuple[float, float, int]], parcel: JzdParcel, ring_no: int) -> shapely.LinearRing:
    coords = [(e, n) for e, n, _ in points]
    if len(coords) > 1 and coords[0] == coords[-1]:
        coords = coords[:-1]
    if len(set(coords)) < 3:
        raise JzdError(points[0][2], f"地块“{_label(parcel)}”第 {ring_no} 圈少于 3 个不同的界址点",
                       f"ring {ring_no} of parcel {_label(parcel)!r} has fewer than 3 distinct points")
    return shapely.LinearRing(coords)


def _label(parcel: JzdParcel) -> str:
    return _shown(parcel.name or parcel.number)


def _ring_error(parcel: JzdParcel, numbers: list[int], first_line: list[int], a: int, b: int) -> JzdError:
    """The error for rings ``a`` and ``b`` (indexes) of a parcel that overlap or repeat each other."""
    a, b = sorted((a, b))
    label = _label(parcel)
    return JzdError(first_line[b], f"地块“{label}”第 {numbers[a]} 圈与第 {numbers[b]} 圈部分重叠："
                    "外圈不得相互重叠，内圈（洞）须完全位于外圈之内（否则重叠部分面积会被重复计算）",
                    f"rings {numbers[a]} and {numbers[b]} of parcel {label!r} overlap: outer rings may not "
                    "overlap and a hole must lie wholly inside its outer ring (the overlap would be counted twice)")


def parcel_geometry(parcel: JzdParcel) -> shapely.Geometry:
    """The parcel's polygon, its rings assembled by containment (not by 圈号 or order in the file).

    A ring inside no other ring is an outer ring; a ring directly inside an outer ring is a hole of it;
    a ring inside a hole is an outer ring again (an island), and so on by nesting depth, which is
    counted at a point inside each ring. Refused (:class:`JzdError` naming the line of a ring's first
    point): a ring without area, and rings that overlap (overlapping outer rings, a hole crossing its
    outer ring, a repeated ring): found as a parcel area (union of its parts) smaller or larger than
    outer rings minus holes by more than :data:`OVERLAP_TOLERANCE_M2`, since the overlap would be
    counted twice. Self-intersecting rings are kept as they are (the land check repairs and reports
    them); their repaired shape decides containment.
    """
    if parcel.count != parcel.n_points:
        raise JzdError(parcel.line, f"标题行写明 {parcel.n_points:,} 个界址点，实有 {parcel.count:,} 个",
                       f"the header states {parcel.n_points:,} points, the parcel has {parcel.count:,}")
    numbers = sorted(parcel.rings)
    rings = [_ring(parcel.rings[r], parcel, r) for r in numbers]
    if len(rings) == 1:
        polygon = shapely.Polygon(rings[0])
        if polygon.area <= 0.0 and shapely.area(shapely.make_valid(polygon)) <= 0.0:  # a bowtie's signed halves cancel
            raise _flat(parcel, numbers[0], parcel.rings[numbers[0]][0][2])
        return polygon
    first_line = [parcel.rings[r][0][2] for r in numbers]
    try:
        return _assemble(parcel, numbers, rings, first_line)
    except shapely.errors.GEOSException as exc:
        raise JzdError(parcel.line, f"地块“{_label(parcel)}”的界址点无法组成面（{_shown(str(exc))}）",
                       f"the points of parcel {_label(parcel)!r} do not form a polygon ({_shown(str(exc))})") from None


def _flat(parcel: JzdParcel, ring_no: int, line: int) -> JzdError:
    return JzdError(line, f"地块“{_label(parcel)}”第 {ring_no} 圈没有面积（界址点共线）",
                    f"ring {ring_no} of parcel {_label(parcel)!r} has no area (its points lie on a line)")


def _assemble(parcel: JzdParcel, numbers: list[int], rings: list[shapely.LinearRing],
              first_line: list[int]) -> shapely.Geometry:
    """:func:`parcel_geometry` of two or more rings."""
    n = len(rings)
    polys = shapely.polygons(rings)
    shapes = np.where(shapely.is_valid(polys), polys, shapely.make_valid(polys))
    areas = shapely.area(shapes)
    if (areas <= 0.0).any():
        i = int(np.flatnonzero(areas <= 0.0)[0])
        raise _flat(parcel, numbers[i], first_line[i])
    tree = shapely.STRtree(shapes)
    inner, outer = tree.query(shapely.point_on_surface(shapes), predicate="within")  # a point of inner in outer
    tie = (inner != outer) & (areas[outer] == areas[inner])  # a ring as large as the other, around its point
    if tie.any():
        i = int(np.flatnonzero(tie)[0])
        raise _ring_error(parcel, numbers, first_line, int(inner[i]), int(outer[i]))
    # a point of a ring inside a smaller ring: that one is a hole of it (or they overlap: see the area below)
    keep = areas[outer] > areas[inner]
    inner, outer = inner[keep], outer[keep]
    depth = np.bincount(inner, minlength=n)
    # if no two rings overlap, the containers of a ring are nested: its parent is the one nested deepest
    parent = np.full(n, -1)
    direct = depth[outer] == depth[inner] - 1
    parent[inner[direct]] = outer[direct]
    holes: dict[int, list[int]] = {i: [] for i in range(n) if depth[i] % 2 == 0}
    orphans = [i for i in range(n) if depth[i] % 2 == 1 and int(parent[i]) not in holes]
    if orphans:  # containers that are not nested in one another: some of them overlap
        raise _overlap(parcel, numbers, first_line, tree, shapes)
    for i in range(n):
        if depth[i] % 2 == 1:
            holes[int(parent[i])].append(i)
    parts = [shapely.Polygon(rings[i], [rings[h] for h in hs]) if hs else polys[i] for i, hs in sorted(holes.items())]
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    if geom.is_valid:  # valid: parts disjoint, each hole inside its shell and apart from the others
        return geom
    # invalid: rings that only touch or cross themselves are kept (the land check repairs and reports them),
    # rings that overlap are not: the union of the parts is then smaller or larger than outer minus holes
    expected = sum(areas[i] - sum(areas[h] for h in hs) for i, hs in holes.items())
    footprint = shapely.union_all([shapely.difference(shapes[i], shapely.union_all(shapes[hs])) if hs else shapes[i]
                                   for i, hs in holes.items()])
    if abs(footprint.area - expected) > OVERLAP_TOLERANCE_M2 + 1e-9 * expected:
        raise _overlap(parcel, numbers, first_line, tree, shapes)
    return geom


def _overlap(parcel: JzdParcel, numbers: list[int], first_line: list[int], tree: shapely.STRtree,
             shapes: np.ndarray) -> JzdError:
    """The error naming two rings of the parcel that overlap (found by testing every pair: only on this path)."""
    pairs = tree.query(shapes, predicate="overlaps")
    if pairs.size:
        return _ring_error(parcel, numbers, first_line, int(pairs[0, 0]), int(pairs[1, 0]))
    return JzdError(parcel.line, f"地块“{_label(parcel)}”的各圈相互重叠（面积会被重复计算）",
                    f"rings of parcel {_label(parcel)!r} overlap (their area would be counted twice)")


def read_jzd_bytes(data: bytes, name: str = "界址点.txt", swap_xy: bool = False) -> gpd.GeoDataFrame:
    """The polygon parcels of a 界址点 file, in the file's own CRS (areas are planar there); ``swap_xy``: see
    :func:`parse_jzd`.

    Columns: ``parcel_no``, ``name``, ``use``, ``code``, ``stated_area_ha`` (the header's 面积),
    ``area_ha`` (computed), ``n_points``. 线/点 parcels are skipped (counted in
    ``attrs["jzd_skipped"]``). Provenance: not demo, source = the file.
    """
    check_size(len(data))
    jf = parse_jzd(decode(data), swap_xy=swap_xy)
    rows, geoms, skipped = [], [], 0
    for p in jf.parcels:
        if p.kind and p.kind not in ("面", "polygon"):
            skipped += 1
            continue
        geom = parcel_geometry(p)
        rows.append({"parcel_no": p.number, "name": p.name, "use": p.use, "code": p.code,
                     "stated_area_ha": p.area_ha, "n_points": p.n_points})
        geoms.append(geom)
    if not geoms:
        raise JzdError(None, "文件中没有“面”地块", "the file has no polygon (面) parcel")
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=jf.crs)
    gdf["area_ha"] = gdf.geometry.area / 1e4
    gdf.attrs["meta"] = {"source": f"界址点 file {name}", "crs": jf.crs, "demo": "false", "approximate": "false"}
    gdf.attrs["jzd_skipped"] = skipped
    gdf.attrs["jzd_attrs"] = jf.attrs
    gdf.attrs["jzd_swapped_xy"] = bool(swap_xy)
    return gdf


def read_jzd(path: Path | str, swap_xy: bool = False) -> gpd.GeoDataFrame:
    """:func:`read_jzd_bytes` of a file on disk."""
    path = Path(path)
    check_size(path.stat().st_size)  # before reading a byte
    with open(path, "rb") as fh:
        data = fh.read(MAX_JZD_BYTES + 1)  # the file may have grown since
    return read_jzd_bytes(data, path.name, swap_xy=swap_xy)


def check_size(size: int) -> None:
    """:class:`JzdError` if a file of ``size`` bytes is over :data:`MAX_JZD_BYTES`."""
    if size > MAX_JZD_BYTES:
        raise JzdError(None, f"文件过大：{size / 1048576:.1f} MB，界址点文件上限 {MAX_JZD_BYTES / 1048576:.0f} MB"
                             f"（{MAX_JZD_POINTS:,} 个界址点）",
                       f"the file is too large: {size / 1048576:.1f} MB, the limit for a coordinate file is "
                       f"{MAX_JZD_BYTES / 1048576:.0f} MB ({MAX_JZD_POINTS:,} points)")


def looks_like_jzd(data: bytes) -> bool:
    """True when the bytes start (after a BOM / blank lines) with a 界址点 section header."""
    try:
        head = decode(data[:4096] if len(data) > 4096 else data)
    except JzdError:
        return False
    return "[属性描述]" in head or "[地块坐标]" in head


def write_jzd(site: gpd.GeoDataFrame | gpd.GeoSeries, name: str = "地块", use: str = "",
              zone: int = EXPORT_ZONE, with_prefix: bool = True, made_on: dt.date | None = None) -> str:
    """A site as 界址点 text (CGCS2000 3° GK zone ``zone``, Y with the zone number by default).

    Each polygon part becomes one parcel (编号 1, 2 …); its outer ring is 圈号 1, its holes 2, 3 …;
    rings are closed by repeating their first point (点号 J1 …). Coordinates to the millimetre.
    A site with ``name`` / ``use`` columns (a 界址点 file read by :func:`read_jzd_bytes`) keeps each row's
    地块名称 and 地块用途; ``name`` and ``use`` fill rows without them.
    """
    crs = f"EPSG:{gk_epsg(3, zone, with_prefix)}"
    geoms = site.geometry if isinstance(site, gpd.GeoDataFrame) else site
    projected = geoms.to_crs(crs).to_numpy()

    def attr(column: str, default: str) -> list[str]:
        if not isinstance(site, gpd.GeoDataFrame) or column not in site.columns:
            return [default] * len(projected)
        return [default if pd.isna(v) or not str(v).strip() else str(v).strip() for v in site[column]]

    rows = [(poly, n, u) for geom, n, u in zip(projected, attr("name", name), attr("use", use), strict=True)
            if geom is not None
            for poly in [p for p in shapely.get_parts(shapely.get_parts(geom))
                         if isinstance(p, shapely.Polygon) and not p.is_empty]]
    if not rows:
        raise ValueError("地块不含面要素 / the site contains no polygon")
    from cyc_geo.exports.meta import beijing_now

    day = (made_on or beijing_now().date()).isoformat()  # the date planners read: Beijing time
    lines = ["[属性描述]", "格式版本号=1.0", "数据产生单位=cyc-geo", f"数据产生日期={day}", "坐标系=2000国家大地坐标系",
             "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", f"带号={zone}", "精度=0.001", "转换参数=,,,,,,", "[地块坐标]"]
    fmt = f"{{:.{EXPORT_DECIMALS}f}}"
    per_name: dict[str, int] = {}
    for _, pname, _ in rows:
        per_name[pname] = per_name.get(pname, 0) + 1
    seen: dict[str, int] = {}
    for i, (poly, pname, puse) in enumerate(rows, start=1):
        rings = [poly.exterior, *poly.interiors]
        body: list[str] = []
        point = 0
        for ring_no, ring in enumerate(rings, start=1):
            coords = list(ring.coords)[:-1]
            first = point + 1
            for e, n in coords:
                point += 1
                body.append(f"J{point},{ring_no},{fmt.format(n)},{fmt.format(e)}")
            e, n = coords[0]
            body.append(f"J{first},{ring_no},{fmt.format(n)},{fmt.format(e)}")
        seen[pname] = seen.get(pname, 0) + 1
        label = pname if per_name[pname] == 1 else f"{pname}-{seen[pname]}"
        lines.append(f"{len(body)},{poly.area / 1e4:.4f},{i},{_field(label)},面,,{_field(puse)},,@")
        lines.extend(body)
    return "\n".join(lines) + "\n"


def _field(text: str) -> str:
    """A header field of a 界址点 line: no comma (the separator) or line break."""
    return re.sub(r"[,，\r\n@]", " ", text).strip()


def jzd_bytes(site: gpd.GeoDataFrame | gpd.GeoSeries, name: str = "地块", encoding: str = "gbk", **kw) -> bytes:
    """:func:`write_jzd` encoded for download (GBK by default, what surveying software reads)."""
    return write_jzd(site, name, **kw).encode(encoding, errors="replace")
