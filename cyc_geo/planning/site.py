"""The land check's types: the prepared site, the check's parameters, a finding and the check's result.

The lowest module of the land check: :mod:`cyc_geo.planning.rules` (the rules) and
:mod:`cyc_geo.planning.landcheck` (the orchestration and the context layers) build on it and it
imports neither.

- :class:`PreparedSite`: a site prepared once (:func:`prepare_site`): its CRS read or guessed once
  (:func:`cyc_geo.geo.detect.guess_crs`), its polygons made valid and projected to
  :data:`cyc_geo.geo.crs.AREA_CRS` (EPSG:4547), where every area of the check is measured (m²);
- :class:`CheckParams`: what the site is for (site type), whether it is a rooftop-PV set, its project
  and the thresholds (:class:`LandCheckParams`, :class:`RuleParams`);
- :class:`Finding`: one answer of one rule: level, check id, overlap (m² and 亩), share, the reason
  in Chinese and English, the cited rule and the rule's own numbers;
- :class:`LandCheck`: the result of checking one site, with :meth:`LandCheck.to_dict` giving the JSON
  of ``python -m cyc_geo land-check --json`` and :meth:`LandCheck.from_dict` reading it back (the
  disk result store, :mod:`cyc_geo.catalog.result_store`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from cyc_geo.geo.crs import AREA_CRS, M2_PER_HA, M2_PER_MU
from cyc_geo.geo.detect import guess_crs

LEVELS = ("info", "ok", "warning", "conflict")
"""Finding levels, mildest first (``info``: a fact worth knowing that needs no action)."""

CONTEXT_LAYERS = ("townships", "belt", "forest", "devzone", "sites", "farmland", "eco_redline", "urban_boundary",
                  "cropland", "forest_protection")
"""Context layers whose provenance a check records (:attr:`LandCheck.layers`), in the order of ``demo_layers``."""


def worst_level(levels: Any) -> str:
    """The most severe of ``levels`` (level names or :class:`Finding` s; ``ok`` for none)."""
    return max((x.level if isinstance(x, Finding) else x for x in levels), key=LEVELS.index, default="ok")


class Context(Protocol):
    """What a rule reads its context layers through (:class:`cyc_geo.planning.landcheck.CheckContext`)."""

    def get(self, name: str) -> Any: ...

    def area_crs(self, name: str) -> gpd.GeoDataFrame | None: ...

    def required(self, name: str) -> gpd.GeoDataFrame: ...


@dataclass(frozen=True)
class LandCheckParams:
    """Thresholds of the land check."""

    min_overlap_m2: float = 1.0
    """Overlaps smaller than 1 m² are ignored as digitising slivers (1 m² is far below the
    ~10 m positional accuracy assumed for the AMap-derived outlines; docs/sources.md, "Land-check thresholds")."""

    need_tolerance: float = 0.10
    """Site area within ±10 % of the stated land need counts as matching; project 1 states
    its need as "约137亩" (about 137 亩, docs/sources.md, "附件2"), so an exact match cannot be expected."""

    min_plot_ratio: float = 0.7
    """Minimum plot ratio (容积率) used when the industry division is unknown or not in 24号 表2: 0.7, the value
    of most machinery divisions (34–39) in《工业项目建设用地控制指标》(国土资发〔2008〕24号) 表2; with a division
    the table's own value applies (data/reference/industrial_land_24.csv)."""

    declared_area_tolerance: float = 0.005
    """A 界址点 file's declared 地块面积 (header, 公顷) differing from the area of its rings by more than 0.5 % is
    reported as a warning: the declared figure is rounded to 0.0001 公顷 (1 m²), so a real difference is a
    wrong ring or a wrong header (threshold of issue 27; docs/sources.md, "Land-check thresholds")."""

    max_parts_union: int = 5_000
    """Sites with up to this many parts are dissolved first (overlapping parts counted once);
    larger multi-part sites (a rooftop set) are taken as disjoint parts, as roofs are (project choice;
    docs/sources.md, "Land-check thresholds")."""


@dataclass(frozen=True)
class RuleParams:
    """Thresholds of the rules (docs/sources.md, "Land-use rules (三区三线, 自然资办发〔2023〕12号)")."""

    max_plot_ratio: float = 3.0
    """Plot ratio (容积率) above which the check asks to verify the site is not too small for the floor area
    (a "please check" note, project choice: 国土资发〔2008〕24号 sets no maximum; at the ~60 % coverage of a dense
    plant, 3.0 means five full storeys of multi-storey factory)."""
    min_building_coverage: float = 0.30
    """建筑系数 at least 30 % (国土资发〔2008〕24号 四、（三）)."""
    max_office_share: float = 0.07
    """行政办公及生活服务设施用地 at most 7 % of the project land (国土资发〔2008〕24号 四、（四）)."""
    max_green_share: float = 0.20
    """绿地率 at most 20 % (国土资发〔2008〕24号 四、（五）)."""
    roof_forest_share: float = 0.01
    """Roofs of a rooftop-PV site may touch forest cells at the 20 m raster's edges; above 1 % of the roof
    area the roof and forest layers disagree and the check says so (project choice)."""


@dataclass(frozen=True)
class IndustryFigures:
    """An industrial project's figures for 国土资发〔2008〕24号 (None: not stated): ``division`` of 国民经济行业分类
    (GB/T 4754-2002, two digits, e.g. ``35`` 通用设备制造业), floor area, building footprint, land for offices
    and living services, green land (m²) and investment (万元)."""

    division: str | None = None
    floor_area_m2: float | None = None
    footprint_m2: float | None = None
    office_land_m2: float | None = None
    green_land_m2: float | None = None
    investment_wan: float | None = None


@dataclass(frozen=True)
class CheckParams:
    """What is checked and how: the site's type and project, the rooftop flag and the thresholds.

    ``site_type`` is one of :data:`cyc_geo.planning.rules.SITE_TYPES`; ``rooftop`` marks a rooftop-PV
    set (roofs are existing buildings and take no land); ``project`` is the project's row of the
    project table (附件2) when ``project_no`` is given; ``redline_activity`` declares the site one of the
    limited human activities allowed in the red line (:data:`cyc_geo.planning.rules.REDLINE_ACTIVITIES`).
    """

    site_type: str = "other"
    rooftop: bool = False
    project_no: int | None = None
    project: pd.Series | Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    redline_activity: str | None = None
    standalone_siting: bool = False
    """Declared a 单独选址 project (a project with a specific siting need, e.g. energy, transport, water works):
    outside the 城镇开发边界 an industrial site is then a warning, not a conflict (docs/sources.md, "Land-use rules")."""
    industry: IndustryFigures | None = None
    """Figures of an industrial project given by the caller (override the project table's)."""
    support_area_m2: float | None = None
    """A PV site's 配套设施 part given as an area (m²) when it has no polygon of its own."""
    support: PreparedSite | None = field(default=None, compare=False, repr=False)
    """A PV site's 配套设施 part (升压站, 运维, roads) as its own prepared polygon(s), checked as construction land."""
    thresholds: LandCheckParams = LandCheckParams()
    rules: RuleParams = RuleParams()

    @property
    def project_kind(self) -> str | None:
        """The project's kind (``industrial``, ``retrofit``, ``rooftops``, …) or None without a project."""
        return None if self.project is None else str(self.project.get("project_kind", ""))


@dataclass(frozen=True)
class Rule:
    """A rule the check cites: the document, the article, what it says (zh / en), and its key in
    :data:`cyc_geo.planning.rules.RULES`."""

    document: str
    article: str
    summary_zh: str
    summary_en: str
    key: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"document": self.document, "article": self.article, "summary_zh": self.summary_zh,
                "summary_en": self.summary_en}


_FINDING_KEYS = ("level", "layer", "overlap_m2", "overlap_mu", "share", "reason_zh", "reason_en", "rule", "details")


@dataclass
class Finding:
    """One answer of one rule.

    ``check`` is the check's id (the context layer or topic: ``county``, ``farmland``, ``plot_ratio``,
    …; ``layer`` in the JSON); ``overlap_m2`` / ``overlap_mu`` the area the finding is about (m², 亩,
    rounded to 0.01 m² / 0.001 亩); ``share`` its share of the site (or the plot ratio, the
    area-to-need ratio); ``rule`` the document cited; ``details`` the land check's own figures (JSON
    ``details``) and ``extra`` the rule's further numbers and tables (``parts``, ``parcels``,
    ``outside_m2``, ``sink_lost_t_co2_yr``, …; top-level JSON keys, in order).
    """

    level: str
    check: str
    overlap_m2: float
    overlap_mu: float
    share: float | None
    reason_zh: str
    reason_en: str
    rule: Rule | None = None
    details: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown finding level {self.level!r} (one of {', '.join(LEVELS)})")

    @classmethod
    def of(cls, level: str, check: str, overlap_m2: float, share: float | None, zh: str, en: str,
           rule: Rule | None = None, details: Mapping[str, Any] | None = None, **extra: Any) -> Finding:
        """A finding with its figures rounded as the JSON gives them (m² to 0.01, 亩 to 0.001, share to 1e-6)."""
        return cls(level, check, round(float(overlap_m2), 2), round(float(overlap_m2) / M2_PER_MU, 3),
                   None if share is None else round(float(share), 6), zh, en, rule,
                   None if details is None else dict(details), dict(extra))

    def reason(self, lang: str) -> str:
        """The reason in ``lang`` (``zh``, else English)."""
        return self.reason_zh if lang == "zh" else self.reason_en

    @property
    def parcels(self) -> list[dict[str, Any]]:
        """Basic-farmland parcels the site takes (the farmland rule; empty otherwise)."""
        return list(self.extra.get("parcels") or [])

    @property
    def outside_m2(self) -> float | None:
        """Area outside the urban development boundary (m², the boundary rule; None otherwise)."""
        v = self.extra.get("outside_m2")
        return None if v is None else float(v)

    @property
    def sink_lost_t_co2_yr(self) -> float:
        """Annual carbon sink lost with the forest taken (t CO2/yr; 0 for findings about no forest)."""
        v = self.extra.get("sink_lost_t_co2_yr", (self.details or {}).get("sink_lost_t_co2_yr", 0.0))
        return float(v or 0.0)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level, "layer": self.check, "overlap_m2": self.overlap_m2,
                               "overlap_mu": self.overlap_mu, "share": self.share, "reason_zh": self.reason_zh,
                               "reason_en": self.reason_en}
        if self.rule is not None:
            out["rule"] = {"key": self.rule.key, **self.rule.as_dict()}
        if self.details is not None:
            out["details"] = dict(self.details)
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        r = d.get("rule")
        rule = None if not r else Rule(r["document"], r["article"], r["summary_zh"], r["summary_en"], r["key"])
        return cls(d["level"], d["layer"], d["overlap_m2"], d["overlap_mu"], d["share"], d["reason_zh"],
                   d["reason_en"], rule, None if d.get("details") is None else dict(d["details"]),
                   {k: v for k, v in d.items() if k not in _FINDING_KEYS})


@dataclass(frozen=True)
class Township:
    """A township (乡镇/街道) the site lies in: its code, names, overlap (m²) and share of the site."""

    code: str
    name: str
    name_en: str
    overlap_m2: float
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "name_en": self.name_en, "overlap_m2": self.overlap_m2,
                "share": self.share}


@dataclass(frozen=True)
class DeclaredArea:
    """A site file's declared area (界址点 header 地块面积, 公顷 → m²) and the area of the same parcels' rings,
    computed in ``crs`` (the file's own projected CRS, else :data:`AREA_CRS`), both in m²."""

    declared_m2: float
    computed_m2: float
    crs: str
    parcels: int


@dataclass(frozen=True)
class OwnZoneArea:
    """The site's area in its own Transverse-Mercator CRS (``crs``, central meridian ``central_meridian`` °E)
    next to the check's area in :data:`AREA_CRS` (zone 38, CM 114°E), both in m²."""

    crs: str
    central_meridian: float
    area_m2: float
    check_area_m2: float


@dataclass
class PreparedSite:
    """A site reduced to valid polygon parts in :data:`AREA_CRS`.

    ``crs_in`` is the CRS the site came with (None without one); ``crs_read`` the CRS its coordinates were
    read in: ``crs_in``, or the guess of :func:`cyc_geo.geo.detect.guess_crs` (noted in ``crs_note``), so
    that nothing after the check guesses again.
    """

    parts: np.ndarray
    part_area: np.ndarray
    area_m2: float
    crs_in: str | None
    crs_note: tuple[str, str] | None = None
    repair_note: tuple[str, str] | None = None
    crs_read: str | None = None
    declared: DeclaredArea | None = None
    """The file's declared area against the area of its rings (a 界址点 file's header), or None."""
    own_zone: OwnZoneArea | None = None
    """The area in the file's own Gauss-Kruger zone when that is not the check's zone 38, or None."""
    tree: shapely.STRtree = field(init=False)
    _memo: dict[Any, Any] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.parts)

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per site and ``key`` (a figure two rules or the result need)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def overlap_by_feature(self, layer_geoms: np.ndarray) -> np.ndarray:
        """Overlap area (m²) of the site with each geometry of ``layer_geoms`` (vectorised)."""
        out = np.zeros(len(layer_geoms))
        if len(layer_geoms) == 0 or len(self.parts) == 0:
            return out
        geoms = np.array(layer_geoms, dtype=object)
        idx_layer, idx_part = self.tree.query(geoms, predicate="intersects")
        if len(idx_layer) == 0:
            return out
        shapely.prepare(geoms)
        inside = shapely.contains_properly(geoms[idx_layer], self.parts[idx_part])
        areas = self.part_area[idx_part].astype(float)
        partial = ~inside
        if partial.any():
            areas[partial] = shapely.area(shapely.intersection(geoms[idx_layer[partial]], self.parts[idx_part[partial]]))
        return np.bincount(idx_layer, weights=areas, minlength=len(geoms))

    def distance_to(self, geom: shapely.Geometry) -> float:
        """Shortest distance (m) from the site to ``geom``."""
        whole = shapely.union_all(self.parts) if len(self.parts) < 5000 else shapely.multipolygons(self.parts)
        return float(shapely.distance(whole, geom))


def _polygon_parts(geoms: np.ndarray) -> np.ndarray:
    """Non-empty single polygons of ``geoms`` (multi-parts and collections are split)."""
    kinds = shapely.get_type_id(geoms)
    if (kinds == 3).all() and not shapely.is_empty(geoms).any():
        return geoms
    parts = shapely.get_parts(geoms)
    kinds = shapely.get_type_id(parts)
    nested = kinds == 7  # GeometryCollection from make_valid
    if nested.any():
        parts = np.concatenate([parts[~nested], shapely.get_parts(parts[nested])])
        kinds = shapely.get_type_id(parts)
    keep = ((kinds == 3) | (kinds == 6)) & ~shapely.is_empty(parts)
    parts = parts[keep]
    return parts if (shapely.get_type_id(parts) == 3).all() else shapely.get_parts(parts)


def _round_reason(reason: str) -> str:
    """``Self-intersection[582860.6133 3898270.4238]`` -> ``Self-intersection[582861 3898270]`` (EPSG:4547 m)."""
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.0f}", reason)


def _as_series(site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry) -> gpd.GeoSeries:
    if isinstance(site, shapely.Geometry):
        site = gpd.GeoSeries([site], crs=None)
    if isinstance(site, gpd.GeoDataFrame):
        site = site.geometry
    if not isinstance(site, gpd.GeoSeries):
        raise TypeError("site must be a GeoDataFrame, GeoSeries or shapely geometry")
    site = site.dropna()
    if site.empty or bool(site.is_empty.all()):
        raise ValueError("地块为空 / the site is empty")
    return site


def _repair(raw_parts: np.ndarray) -> tuple[np.ndarray, tuple[str, str] | None]:
    """Invalid parts made valid (``shapely.make_valid``) and the note saying so (None if all were valid)."""
    valid = shapely.is_valid(raw_parts)
    if valid.all():
        return raw_parts, None
    reason = _round_reason(shapely.is_valid_reason(raw_parts[~valid][0]))
    before = float(shapely.area(raw_parts[~valid]).sum())
    n_bad = int((~valid).sum())
    note = (
        f"{n_bad} 个面几何无效（{reason}），已自动修复（make_valid）；按原顶点顺序计算的面积仅 {before:,.0f} m²，"
        "请核对地块边界",
        f"{n_bad} polygon(s) were invalid ({reason}) and were repaired (make_valid); taken in their "
        f"vertex order they measured only {before:,.0f} m²; please check the boundary",
    )
    return np.concatenate([raw_parts[valid], shapely.make_valid(raw_parts[~valid])]), note


def prepare_site(site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
                 params: LandCheckParams | None = None) -> PreparedSite:
    """Validate, reproject and repair a site; ``ValueError`` (zh + en) when nothing usable is left.

    A site without CRS is read as WGS84 degrees or EPSG:4547 metres by :func:`cyc_geo.geo.detect.guess_crs`
    (and the guess is noted); invalid polygons are repaired with ``shapely.make_valid`` (and noted).
    """
    p = params or LandCheckParams()
    frame = site if isinstance(site, gpd.GeoDataFrame) else None
    site = _as_series(site)
    crs_note, guess = None, None
    if site.crs is None:
        guess = guess_crs(site.total_bounds)
        if guess is None:
            raise ValueError("地块没有坐标系且无法判断 / the site has no CRS and its coordinates fit neither WGS84 nor EPSG:4547")
        site = site.set_crs(guess)
        crs_note = (f"地块未给出坐标系，按坐标范围判定为 {guess}", f"The site had no CRS; its coordinates were read as {guess}")
        crs_in = None
    else:
        crs_in = CRS.from_user_input(site.crs).to_string()
    crs_read = crs_in or guess
    declared = _declared_area(frame, crs_read) if frame is not None and crs_read is not None else None
    raw_parts = shapely.get_parts(site.to_crs(AREA_CRS).to_numpy())
    poly = np.isin(shapely.get_type_id(raw_parts), (3, 6))
    if not poly.any():
        raise ValueError("地块不含面要素 / the site contains no polygon")
    raw_parts, repair_note = _repair(raw_parts[poly])
    parts = _polygon_parts(raw_parts)
    if len(parts) == 0:
        raise ValueError("修复后地块没有面积 / the repaired site has no area")
    if len(parts) <= p.max_parts_union:
        parts = _polygon_parts(np.array([shapely.union_all(parts)], dtype=object))
    part_area = shapely.area(parts)
    area = float(part_area.sum())
    own = _own_zone_area(parts, area, crs_in)
    return PreparedSite(parts, part_area, area, crs_in, crs_note, repair_note, crs_read, declared, own)


def central_meridian(crs: Any) -> float | None:
    """Central meridian (°E) of a Transverse-Mercator CRS (Gauss-Kruger zones), else None."""
    try:
        op = CRS.from_user_input(crs).coordinate_operation
    except Exception:  # noqa: BLE001 - any CRS pyproj cannot read has no meridian to report
        return None
    if op is None or "transverse mercator" not in (op.method_name or "").lower():
        return None
    for param in op.params:
        if param.name == "Longitude of natural origin":
            return float(param.value)
    return None


AREA_CM = 114.0
"""Central meridian of :data:`AREA_CRS` (EPSG:4547, CGCS2000 3° zone 38)."""


def _own_zone_area(parts: np.ndarray, area_m2: float, crs_in: str | None) -> OwnZoneArea | None:
    """The site's area in its own Gauss-Kruger zone when the file is in a zone other than the check's (a
    parcel 6° from 114°E is about +0.9 % larger in zone 38: the scale error grows with the square of the
    distance from the central meridian)."""
    if crs_in is None:
        return None
    cm = central_meridian(crs_in)
    if cm is None or abs(cm - AREA_CM) < 1e-9:
        return None
    own = gpd.GeoSeries(parts, crs=AREA_CRS).to_crs(crs_in)
    return OwnZoneArea(crs_in, cm, float(shapely.area(own.to_numpy()).sum()), area_m2)


def _declared_area(frame: gpd.GeoDataFrame, crs: str) -> DeclaredArea | None:
    """The declared area of the file's parcels (column ``stated_area_ha``, :func:`cyc_geo.planning.jzd.read_jzd`)
    against their rings' area in the file's own projected CRS (else :data:`AREA_CRS`), or None."""
    if "stated_area_ha" not in frame.columns:
        return None
    stated = pd.to_numeric(frame["stated_area_ha"], errors="coerce")
    has = stated.notna() & (stated > 0) & frame.geometry.notna()
    if not has.any():
        return None
    geoms = frame.geometry[has]
    if geoms.crs is None:
        geoms = geoms.set_crs(crs)
    use = crs if CRS.from_user_input(crs).is_projected else AREA_CRS
    fixed = shapely.make_valid(geoms.to_crs(use).to_numpy())
    return DeclaredArea(float(stated[has].sum()) * M2_PER_HA, float(shapely.area(fixed).sum()), use, int(has.sum()))


@dataclass
class LandCheck:
    """The land check of one site (:func:`cyc_geo.planning.landcheck.check_site`).

    Areas in m² (EPSG:4547), ha and 亩 as rounded in the JSON (0.01 m², 0.0001 ha, 0.01 亩);
    ``layers`` the provenance of each context layer of :data:`CONTEXT_LAYERS` (``demo``,
    ``approximate``, ``real``, or ``absent`` when it could not be had); ``site`` the prepared site
    (kept for drawing the conflicts without preparing the site again; not part of the JSON).
    """

    project_no: int | None
    site_type: str
    rooftop: bool
    area_m2: float
    area_ha: float
    area_mu: float
    townships: list[Township]
    findings: list[Finding]
    repaired: bool
    crs_in: str | None
    layers: dict[str, str] = field(default_factory=dict)
    exported_jzd: str | None = None
    standalone_siting: bool = False
    """The site was declared a 单独选址 project (:attr:`CheckParams.standalone_siting`)."""
    landuse_breakdown: list[dict[str, Any]] = field(default_factory=list)
    """The site's 三调 地类 rows (group, code, name, m², 亩), :mod:`cyc_geo.planning.landuse_breakdown`."""
    site: PreparedSite | None = field(default=None, compare=False, repr=False)

    @property
    def status(self) -> str:
        """The worst level among the findings."""
        return worst_level(self.findings)

    def finding(self, check: str) -> Finding | None:
        """The first finding of ``check`` (e.g. ``farmland``), or None."""
        return next((f for f in self.findings if f.check == check), None)

    def count(self, level: str) -> int:
        """How many findings have ``level``."""
        return sum(f.level == level for f in self.findings)

    @property
    def sink_lost_t_co2_yr(self) -> float:
        """Forest carbon sink lost with the site (t CO2/yr, from the forest finding)."""
        forest = self.finding("forest")
        return 0.0 if forest is None else forest.sink_lost_t_co2_yr

    @property
    def devzone_share(self) -> float:
        """Share of the site inside the development zone (from the devzone finding)."""
        zone = self.finding("devzone")
        return 0.0 if zone is None or zone.share is None else float(zone.share)

    @property
    def rules(self) -> list[Rule]:
        """The distinct rules the findings cite, in order of first use."""
        seen: dict[str, Rule] = {}
        for f in self.findings:
            if f.rule is not None and f.rule.key not in seen:
                seen[f.rule.key] = f.rule
        return list(seen.values())

    @property
    def demo_layers(self) -> list[str]:
        """Context layers that are demo data, in the order of :data:`CONTEXT_LAYERS`."""
        return [n for n in CONTEXT_LAYERS if self.layers.get(n) == "demo"]

    def to_dict(self, with_layers: bool = False) -> dict[str, Any]:
        """The JSON of ``land-check --json``; ``with_layers`` adds ``layers`` (every layer's provenance,
        so that :meth:`from_dict` gives back an equal check)."""
        out: dict[str, Any] = {
            "project_no": self.project_no,
            "site_type": self.site_type,
            "rooftop": self.rooftop,
            "area_m2": self.area_m2,
            "area_ha": self.area_ha,
            "area_mu": self.area_mu,
            "townships": [t.to_dict() for t in self.townships],
            "findings": [f.to_dict() for f in self.findings],
            "status": self.status,
            "repaired": self.repaired,
            "crs_in": self.crs_in,
            "sink_lost_t_co2_yr": self.sink_lost_t_co2_yr,
            "devzone_share": self.devzone_share,
            "rules": [{"key": r.key, **r.as_dict()} for r in self.rules],
            "demo_layers": self.demo_layers,
            "standalone_siting": self.standalone_siting,
            "landuse_breakdown": [dict(r) for r in self.landuse_breakdown],
        }
        if with_layers:
            out["layers"] = dict(self.layers)
        if self.exported_jzd is not None:
            out["exported_jzd"] = self.exported_jzd
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LandCheck:
        """The check back from :meth:`to_dict` (without ``layers``, only the demo layers are known)."""
        layers = d.get("layers")
        if layers is None:
            layers = {n: "demo" for n in d.get("demo_layers", [])}
        return cls(
            None if d["project_no"] is None else int(d["project_no"]), d["site_type"], bool(d["rooftop"]),
            d["area_m2"], d["area_ha"], d["area_mu"], [Township(**t) for t in d["townships"]],
            [Finding.from_dict(f) for f in d["findings"]], bool(d["repaired"]), d["crs_in"], dict(layers),
            d.get("exported_jzd"), bool(d.get("standalone_siting", False)),
            [dict(r) for r in d.get("landuse_breakdown") or []])


def rounded_areas(area_m2: float) -> tuple[float, float, float]:
    """A site area (m²) as the check rounds it: m² (0.01), ha (0.0001), 亩 (0.01)."""
    return round(area_m2, 2), round(area_m2 / M2_PER_HA, 4), round(area_m2 / M2_PER_MU, 2)
