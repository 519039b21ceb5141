"""Land-allocation check of a site polygon against the plan's spatial layers.

:func:`check_site` answers the planner's questions for one site: how big is it
(m², ha, 亩), which townships does it lie in, does it overlap the Yellow River
ecological belt, forest carbon-sink land or another project's site, does it lie
inside the county and inside the development zone, and does its area match the
project's stated land need. Each answer is a *finding* with a level
(``conflict`` / ``warning`` / ``ok``) and a plain-language reason in Chinese and English.

All areas are planar areas in :data:`cyc_geo.geo.crs.AREA_CRS` (EPSG:4547). The site may
come in any CRS; a site without CRS is read as WGS84 degrees or EPSG:4547 metres
when its coordinates fit one of them (and the guess is reported). Invalid
(e.g. self-intersecting) polygons are repaired with ``shapely.make_valid`` and
the repair is reported.

Context layers (county, townships, belt, forest, development zone, other project
sites, project table) come from the project's loaders by default and can be
injected through :class:`CheckContext` (tests, what-if checks). Features within
one context layer are assumed not to overlap each other (true for townships,
belt zones, forest patches and the development zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from cyc_geo.carbon.landcover import CLASSES, FOREST_CODES
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS, M2_PER_HA, M2_PER_MU
from cyc_geo.geo.detect import guess_crs
from cyc_geo.planning import rules
from cyc_geo.planning.rules import RuleParams

LEVELS = ("info", "ok", "warning", "conflict")
"""Finding levels, mildest first (``info``: a fact worth knowing that needs no action)."""

FOREST_CLASS_NAMES = {CLASSES[v].code: (CLASSES[v].name_zh, CLASSES[v].name_en.lower()) for v in FOREST_CODES}
"""Third land survey (三调) forest classes by 4-digit code: (Chinese, English for mid-sentence use),
from :data:`cyc_geo.carbon.landcover.CLASSES`."""

BELT_ZONE_NAMES = {
    "floodplain": ("黄河滩区", "Yellow River floodplain"),
    "corridor": ("堤外生态廊道", "landward ecological corridor"),
}


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
    """Minimum plot ratio (容积率) of a manufacturing site: 0.7 for general- and special-purpose
    equipment manufacturing in《工业项目建设用地控制指标》(国土资发〔2008〕24号), the class of
    the crane-parts projects 1 and 2."""

    max_parts_union: int = 5_000
    """Sites with up to this many parts are dissolved first (overlapping parts counted once);
    larger multi-part sites (a rooftop set) are taken as disjoint parts, as roofs are (project choice;
    docs/sources.md, "Land-check thresholds")."""


class CheckContext:
    """Context layers of the land check; each is loaded on first use unless injected.

    ``forest`` may be injected as None (no forest layer): the check then reports a warning
    instead of failing.
    """

    NAMES = ("county", "townships", "belt", "forest", "devzone", "sites", "projects",
             "farmland", "eco_redline", "urban_boundary", "cropland")
    ZONING = ("farmland", "eco_redline", "urban_boundary", "cropland")
    """三区三线 and 耕地 layers: injected as None they are reported as not checked (``info``)."""

    def __init__(self, **layers: Any) -> None:
        unknown = set(layers) - set(self.NAMES)
        if unknown:
            raise TypeError(f"unknown context layers {sorted(unknown)}")
        self._layers: dict[str, Any] = dict(layers)
        self._area: dict[str, gpd.GeoDataFrame | None] = {}
        self._base: CheckContext | None = None

    def derived(self, **layers: Any) -> CheckContext:
        """A context with ``layers`` (e.g. new ``sites``) that reads every other layer through this one:
        loaded once and projected once, however many site versions are checked against them."""
        out = CheckContext(**layers)
        out._base = self
        return out

    LAYER_IDS = {"sites": "projects"}
    """Context name -> catalogue layer id where they differ. ``sites`` is the map's ``projects`` layer: only
    parcels are compared with (rooftop sets may share roofs), so the rooftop site is its footprint."""

    def _load(self, name: str) -> Any:
        """A context layer from the catalogue by id (``projects`` is the 附件2 table, not a layer)."""
        if name == "projects":
            from cyc_geo.planning.projects import load_projects

            return load_projects()
        if name in self.ZONING:
            return _load_zoning(name)
        if name not in self.NAMES:
            raise KeyError(name)
        from cyc_geo.catalog.loader import load_layer

        return load_layer(self.LAYER_IDS.get(name, name))

    def get(self, name: str) -> Any:
        """The layer (WGS84 or the injected CRS) or None if unavailable."""
        if name not in self._layers:
            if self._base is not None:
                return self._base.get(name)
            self._layers[name] = self._load(name)
        return self._layers[name]

    def area_crs(self, name: str) -> gpd.GeoDataFrame | None:
        """The layer in :data:`AREA_CRS` (cached)."""
        if self._base is not None and name not in self._layers:
            return self._base.area_crs(name)
        if name not in self._area:
            gdf = self.get(name)
            self._area[name] = None if gdf is None else gdf.to_crs(AREA_CRS)
        return self._area[name]

    def is_demo(self, name: str) -> bool:
        gdf = self.get(name)
        return gdf is not None and provenance_of(gdf).demo


def _load_zoning(name: str) -> gpd.GeoDataFrame | None:
    """A 三区三线 or 耕地 layer from the catalogue (planner file or demo). None when it cannot be had
    (no land cover)."""
    from cyc_geo.catalog.loader import load_layer

    try:
        return load_layer(name)
    except (FileNotFoundError, KeyError, OSError):
        return None


@dataclass
class PreparedSite:
    """A site reduced to valid polygon parts in :data:`AREA_CRS`."""

    parts: np.ndarray
    part_area: np.ndarray
    area_m2: float
    crs_in: str | None
    crs_note: tuple[str, str] | None = None
    repair_note: tuple[str, str] | None = None
    tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.parts)

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


# ---------------------------------------------------------------- input handling


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


def prepare_site(site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry, params: LandCheckParams) -> PreparedSite:
    """Validate, reproject and repair a site; ``ValueError`` (zh + en) when nothing usable is left."""
    if isinstance(site, shapely.Geometry):
        site = gpd.GeoSeries([site], crs=None)
    if isinstance(site, gpd.GeoDataFrame):
        site = site.geometry
    if not isinstance(site, gpd.GeoSeries):
        raise TypeError("site must be a GeoDataFrame, GeoSeries or shapely geometry")
    site = site.dropna()
    if site.empty or bool(site.is_empty.all()):
        raise ValueError("地块为空 / the site is empty")
    crs_note = None
    if site.crs is None:
        guess = guess_crs(site.total_bounds)
        if guess is None:
            raise ValueError("地块没有坐标系且无法判断 / the site has no CRS and its coordinates fit neither WGS84 nor EPSG:4547")
        site = site.set_crs(guess)
        crs_note = (f"地块未给出坐标系，按坐标范围判定为 {guess}", f"The site had no CRS; its coordinates were read as {guess}")
        crs_in = None
    else:
        crs_in = CRS.from_user_input(site.crs).to_string()
    geoms = site.to_crs(AREA_CRS).to_numpy()
    raw_parts = shapely.get_parts(geoms)
    poly = np.isin(shapely.get_type_id(raw_parts), (3, 6))
    if not poly.any():
        raise ValueError("地块不含面要素 / the site contains no polygon")
    raw_parts = raw_parts[poly]
    valid = shapely.is_valid(raw_parts)
    repair_note = None
    if not valid.all():
        reason = _round_reason(shapely.is_valid_reason(raw_parts[~valid][0]))
        before = float(shapely.area(raw_parts[~valid]).sum())
        raw_parts = np.concatenate([raw_parts[valid], shapely.make_valid(raw_parts[~valid])])
        n_bad = int((~valid).sum())
        repair_note = (
            f"{n_bad} 个面几何无效（{reason}），已自动修复（make_valid）；按原顶点顺序计算的面积仅 {before:,.0f} m²，"
            "请核对地块边界",
            f"{n_bad} polygon(s) were invalid ({reason}) and were repaired (make_valid); taken in their "
            f"vertex order they measured only {before:,.0f} m²; please check the boundary",
        )
    parts = _polygon_parts(raw_parts)
    if len(parts) == 0:
        raise ValueError("修复后地块没有面积 / the repaired site has no area")
    if len(parts) <= params.max_parts_union:
        parts = _polygon_parts(np.array([shapely.union_all(parts)], dtype=object))
    part_area = shapely.area(parts)
    return PreparedSite(parts, part_area, float(part_area.sum()), crs_in, crs_note, repair_note)


# ---------------------------------------------------------------- findings


def _finding(level: str, layer: str, overlap_m2: float, share: float | None, zh: str, en: str, **details: Any) -> dict[str, Any]:
    """:func:`cyc_geo.planning.rules.finding` with the check's extra facts under ``details``."""
    return rules.finding(level, layer, overlap_m2, share, zh, en, **({"details": details} if details else {}))


def _pct(x: float) -> str:
    """Share as a percentage; tiny non-zero shares read "<0.1%" rather than "0.0%"."""
    if 0 < x < 0.0005:
        return "<0.1%"
    return f"{100 * x:.1f}%"


def worst_level(findings: list[dict[str, Any]]) -> str:
    """The most severe level among ``findings`` (``ok`` for none)."""
    return max((f["level"] for f in findings), key=LEVELS.index, default="ok")


def _county_finding(site: PreparedSite, ctx: CheckContext, p: LandCheckParams, rooftop: bool = False) -> dict[str, Any]:
    county = ctx.area_crs("county")
    inside = float(site.overlap_by_feature(county.geometry.to_numpy()).sum())
    outside = max(site.area_m2 - inside, 0.0)
    if inside < p.min_overlap_m2:
        return _finding("conflict", "county", outside, outside / site.area_m2,
                        "地块完全位于长垣市域以外", "The site lies entirely outside Changyuan city")
    if outside >= p.min_overlap_m2:
        share = outside / site.area_m2
        if rooftop:  # roofs cut by the boundary line are existing buildings, not a land claim across it
            return _finding("warning", "county", outside, share,
                            f"有 {outside:,.0f} m²（{_pct(share)}）屋顶面积位于长垣市域以外（跨市界的建筑），请核对屋顶数据",
                            f"{outside:,.0f} m² ({_pct(share)}) of roof area lie outside Changyuan city "
                            "(buildings cut by the boundary); please check the roof data")
        return _finding("conflict", "county", outside, share,
                        f"地块有 {outside:,.0f} m²（{_pct(share)}）位于长垣市域以外",
                        f"{outside:,.0f} m² ({_pct(share)}) of the site lie outside Changyuan city")
    return _finding("ok", "county", 0.0, 0.0, "地块全部位于长垣市域内", "The site lies entirely inside Changyuan city")


def _township_rows(site: PreparedSite, ctx: CheckContext, p: LandCheckParams) -> list[dict[str, Any]]:
    towns = ctx.area_crs("townships")
    ov = site.overlap_by_feature(towns.geometry.to_numpy())
    hit = np.flatnonzero(ov >= p.min_overlap_m2)
    rows = [
        {
            "code": str(towns["code"].iloc[i]),
            "name": str(towns["name"].iloc[i]),
            "name_en": str(towns["name_en"].iloc[i]) if "name_en" in towns.columns else str(towns["name"].iloc[i]),
            "overlap_m2": round(float(ov[i]), 2),
            "share": round(float(ov[i] / site.area_m2), 6),
        }
        for i in hit
    ]
    return sorted(rows, key=lambda r: -r["overlap_m2"])


def _township_finding(rows: list[dict[str, Any]], ctx: CheckContext, rooftop: bool = False) -> dict[str, Any]:
    towns = ctx.get("townships")
    approx = provenance_of(towns).approximate
    note_zh = "（乡镇边界为近似边界）" if approx else ""
    note_en = " (township boundaries are approximate)" if approx else ""
    total = sum(r["overlap_m2"] for r in rows)
    if not rows:
        return _finding("warning", "townships", 0.0, 0.0, "地块不在任何乡镇（街道）内" + note_zh,
                        "The site lies in no township" + note_en)
    if len(rows) == 1:
        r = rows[0]
        return _finding("ok", "townships", total, r["share"], f"地块位于{r['name']}{note_zh}",
                        f"The site lies in {r['name_en']}{note_en}")
    zh = "、".join(f"{r['name']}（{_pct(r['share'])}）" for r in rows)
    en = ", ".join(f"{r['name_en']} ({_pct(r['share'])})" for r in rows)
    if rooftop:
        return _finding("ok", "townships", total, sum(r["share"] for r in rows),
                        f"屋顶光伏覆盖 {len(rows)} 个乡镇（街道）的屋顶：{zh}{note_zh}",
                        f"The rooftop PV covers roofs in {len(rows)} townships: {en}{note_en}")
    return _finding("warning", "townships", total, sum(r["share"] for r in rows),
                    f"地块跨 {len(rows)} 个乡镇（街道）：{zh}，需相关乡镇协调{note_zh}",
                    f"The site spans {len(rows)} townships: {en}; the townships must coordinate{note_en}")


def _belt_finding(site: PreparedSite, ctx: CheckContext, p: LandCheckParams, rooftop: bool) -> dict[str, Any]:
    belt = ctx.area_crs("belt")
    ov = site.overlap_by_feature(belt.geometry.to_numpy())
    zones = belt["zone"].astype(str).tolist() if "zone" in belt.columns else [str(i) for i in range(len(belt))]
    per_zone = {z: round(float(a), 2) for z, a in zip(zones, ov)}
    total = float(ov.sum())
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        dist = site.distance_to(belt.geometry.union_all())
        return _finding("ok", "belt", 0.0, 0.0, f"地块不占用沿黄生态带（距生态带 {dist / 1000:,.2f} km）",
                        f"The site does not overlap the Yellow River ecological belt ({dist / 1000:,.2f} km away)",
                        per_zone_m2=per_zone, distance_m=round(dist, 1))
    parts_zh = "、".join(f"{BELT_ZONE_NAMES.get(z, (z, z))[0]} {a:,.0f} m²" for z, a in per_zone.items() if a >= p.min_overlap_m2)
    parts_en = ", ".join(f"{BELT_ZONE_NAMES.get(z, (z, z))[1]} {a:,.0f} m²" for z, a in per_zone.items() if a >= p.min_overlap_m2)
    if rooftop:
        return _finding("ok", "belt", total, share,
                        f"屋顶光伏利用既有建筑，生态带内的屋顶（{parts_zh}）不新增占地",
                        f"Rooftop PV uses existing buildings: roofs inside the belt ({parts_en}) take no new land",
                        per_zone_m2=per_zone)
    return _finding("conflict", "belt", total, share,
                    f"地块有 {total:,.0f} m²（{_pct(share)}）位于沿黄生态带内（{parts_zh}），生态带内不宜新增建设用地",
                    f"{total:,.0f} m² ({_pct(share)}) of the site lie in the Yellow River ecological belt "
                    f"({parts_en}); no new built land should be placed there",
                    per_zone_m2=per_zone)


def forest_sink_lost(site: PreparedSite, forest_area_crs: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per-patch overlap (m²) and the sink lost with it (t CO2/yr, pro rata by overlap area).

    A patch's ``sink_t_co2_yr`` is spread evenly over its area: a site covering 30 % of a
    patch removes 30 % of that patch's annual sink.
    """
    ov = site.overlap_by_feature(forest_area_crs.geometry.to_numpy())
    patch_area = forest_area_crs.geometry.area.to_numpy()
    sink = pd.to_numeric(forest_area_crs["sink_t_co2_yr"], errors="coerce").fillna(0.0).to_numpy()
    frac = np.divide(ov, patch_area, out=np.zeros_like(ov), where=patch_area > 0)
    return ov, np.clip(frac, 0.0, 1.0) * sink


def _forest_finding(site: PreparedSite, ctx: CheckContext, p: LandCheckParams, rooftop: bool,
                    site_type: str = "other", rp: RuleParams | None = None) -> tuple[dict[str, Any], float]:
    forest = ctx.area_crs("forest")
    if forest is None:
        return _finding("warning", "forest", 0.0, None, "森林碳汇图层暂不可用，未核查林地占用",
                        "Forest carbon-sink layer not available, forest land not checked (no forest layer)"), 0.0
    ov, lost = forest_sink_lost(site, forest)
    total, sink = float(ov.sum()), float(lost.sum())
    if rooftop:
        return rules.roof_forest_finding(site, forest, ov, rp or RuleParams()), 0.0
    if site_type == "pv":
        return rules.pv_forest_finding(site, forest, ov, sink, p), sink
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return _finding("ok", "forest", 0.0, 0.0, "地块不占用林地", "The site does not overlap forest land", sink_lost_t_co2_yr=0.0), 0.0
    codes = forest["class_code"].astype(str).to_numpy() if "class_code" in forest.columns else np.full(len(forest), "")
    by_class = pd.Series(ov).groupby(codes).sum()
    by_class = by_class[by_class >= p.min_overlap_m2]
    cls_zh = "、".join(f"{FOREST_CLASS_NAMES.get(c, (c, c))[0]} {a:,.0f} m²" for c, a in by_class.items())
    cls_en = ", ".join(f"{FOREST_CLASS_NAMES.get(c, (c, c))[1]} {a:,.0f} m²" for c, a in by_class.items())
    details = {"sink_lost_t_co2_yr": round(sink, 3), "by_class_m2": {k: round(float(v), 2) for k, v in by_class.items()}}
    if rooftop:
        return _finding("ok", "forest", total, share, f"屋顶光伏不占用林地（图层重叠 {cls_zh} 为既有建筑屋顶）",
                        f"Rooftop PV takes no forest land (the overlap, {cls_en}, is existing roofs)", **details), 0.0
    return _finding("warning", "forest", total, share,
                    f"地块占用林地 {total:,.0f} m²（{_pct(share)}；{cls_zh}），每年约损失碳汇 {sink:,.1f} t CO2，占用林地须依法办理审批",
                    f"The site takes {total:,.0f} m² of forest land ({_pct(share)}; {cls_en}), losing about "
                    f"{sink:,.1f} t CO2/yr of sink; forest land use needs approval", **details), sink


def _sites_finding(site: PreparedSite, ctx: CheckContext, p: LandCheckParams, project_no: int | None, rooftop: bool) -> dict[str, Any]:
    sites = ctx.area_crs("sites")
    if sites is None or len(sites) == 0:
        return _finding("ok", "project_sites", 0.0, 0.0, "没有其他项目地块", "No other project sites")
    others = sites if project_no is None else sites[sites["project_no"].astype(int) != int(project_no)]
    if "site_kind" in others.columns:
        others = others[~others["site_kind"].isin(["rooftops", "footprint"])]
    if rooftop or len(others) == 0:
        return _finding("ok", "project_sites", 0.0, 0.0, "不与其他项目地块冲突（屋顶光伏可与厂房共用屋顶）",
                        "No conflict with other project sites (rooftop PV may share the plants' roofs)")
    ov = site.overlap_by_feature(others.geometry.to_numpy())
    hit = np.flatnonzero(ov >= p.min_overlap_m2)
    if len(hit) == 0:
        return _finding("ok", "project_sites", 0.0, 0.0, "不与其他项目地块重叠", "No overlap with other project sites")
    nos = [int(others["project_no"].iloc[i]) for i in hit]
    total = float(ov[hit].sum())
    zh = "、".join(f"项目{n}（{a:,.0f} m²）" for n, a in zip(nos, ov[hit]))
    en = ", ".join(f"project {n} ({a:,.0f} m²)" for n, a in zip(nos, ov[hit]))
    return _finding("conflict", "project_sites", total, total / site.area_m2,
                    f"地块与其他项目地块重叠：{zh}", f"The site overlaps other project sites: {en}",
                    projects=nos, per_project_m2=[round(float(a), 2) for a in ov[hit]])


def _devzone_finding(site: PreparedSite, ctx: CheckContext, p: LandCheckParams, kind: str | None) -> tuple[dict[str, Any], float]:
    zone = ctx.area_crs("devzone")
    inside = float(site.overlap_by_feature(zone.geometry.to_numpy()).sum())
    share = inside / site.area_m2
    industrial = kind == "industrial"
    if share >= 1 - 1e-6 or site.area_m2 - inside < p.min_overlap_m2:
        return _finding("ok", "devzone", inside, 1.0, "地块全部位于长垣经开区内", "The site lies entirely inside the development zone"), 1.0
    if inside >= p.min_overlap_m2:
        lvl = "warning" if industrial else "ok"
        return _finding(lvl, "devzone", inside, share,
                        f"地块 {_pct(share)} 位于长垣经开区内，其余在区外" + ("；工业项目宜整体入园" if industrial else ""),
                        f"{_pct(share)} of the site lies inside the development zone, the rest outside"
                        + ("; industrial projects should lie wholly inside the zone" if industrial else "")), share
    lvl = "warning" if industrial else "ok"
    zh = "地块位于长垣经开区以外" + ("；工业项目原则上应入园" if industrial else "")
    en = "The site lies outside the development zone" + (
        "; industrial projects should be located in the zone" if industrial else ""
    )
    return _finding(lvl, "devzone", 0.0, 0.0, zh, en), 0.0


def _need_findings(site: PreparedSite, project: pd.Series | None, p: LandCheckParams,
                   rp: RuleParams | None = None) -> list[dict[str, Any]]:
    if project is None:
        return []
    kind = str(project.get("project_kind", ""))
    if kind == "rooftops":
        return [_finding("ok", "land_need", 0.0, None, "屋顶光伏项目利用既有建筑屋顶，不新增建设用地",
                         "Rooftop PV uses existing roofs: no new land is needed")]
    out = []
    need = project.get("land_need_m2")
    if need is not None and pd.notna(need) and float(need) > 0:
        need = float(need)
        ratio = site.area_m2 / need
        area_mu, need_mu = site.area_m2 / M2_PER_MU, need / M2_PER_MU
        if abs(ratio - 1) <= p.need_tolerance:
            out.append(_finding("ok", "land_need", 0.0, ratio,
                                f"地块面积 {area_mu:,.1f} 亩，与项目用地需求约 {need_mu:,.0f} 亩相符（{_pct(ratio)}）",
                                f"Site area {area_mu:,.1f} mu matches the stated need of about {need_mu:,.0f} mu ({_pct(ratio)})"))
        else:
            more = ratio > 1
            out.append(_finding("warning", "land_need", 0.0, ratio,
                                f"地块面积 {area_mu:,.1f} 亩，{'超出' if more else '不足'}项目用地需求约 {need_mu:,.0f} 亩（{_pct(ratio)}）",
                                f"Site area {area_mu:,.1f} mu is {'more' if more else 'less'} than the stated need of about "
                                f"{need_mu:,.0f} mu ({_pct(ratio)})"))
    floor = project.get("floor_area_m2")
    if floor is None or pd.isna(floor):
        floor = project.get("new_floor_area_m2")
    if kind == "industrial" and floor is not None and pd.notna(floor):
        out.append(rules.plot_ratio_finding(float(floor), site, p, rp or RuleParams()))
    if kind == "retrofit" and not out:
        out.append(_finding("ok", "land_need", 0.0, None, "技术改造项目利用现有厂房，未列新增用地需求",
                            "Retrofit of existing buildings: no new land need is stated"))
    return out


def _project(project_no: int | None, ctx: CheckContext) -> pd.Series | None:
    """The project's row of the project table, or None without a project number."""
    if project_no is None:
        return None
    from cyc_geo.planning.projects import project_row

    return project_row(int(project_no), ctx.get("projects"))


def _input_findings(prepared: PreparedSite) -> list[dict[str, Any]]:
    """Warnings about the input itself: a guessed CRS and repaired geometry."""
    findings: list[dict[str, Any]] = []
    if prepared.crs_note:
        findings.append(_finding("warning", "crs", 0.0, None, *prepared.crs_note))
    if prepared.repair_note:
        findings.append(_finding("warning", "geometry", prepared.area_m2, 1.0, *prepared.repair_note))
    return findings


def check_site(
    site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    project_no: int | None = None,
    context: CheckContext | None = None,
    params: LandCheckParams | None = None,
    site_type: str | None = None,
    redline_activity: str | None = None,
    rule_params: RuleParams | None = None,
) -> dict[str, Any]:
    """Check one site; returns a JSON-ready dict.

    ``site_type`` (``industrial``, ``pv``, ``public``, ``other``) defaults to the project's kind
    (:data:`cyc_geo.planning.rules.PROJECT_KIND_TYPES`), else ``other``; ``redline_activity`` declares
    the site one of the limited human activities allowed in the red line
    (:data:`cyc_geo.planning.rules.REDLINE_ACTIVITIES`).

    Keys: ``project_no``, ``site_type``, ``area_m2``, ``area_ha``, ``area_mu``, ``townships`` (code,
    name, name_en, overlap_m2, share), ``findings`` (level, layer, overlap_m2, overlap_mu, share,
    reason_zh, reason_en[, rule, details, parts, parcels, outside_m2]), ``status`` (worst level),
    ``rooftop`` (a rooftop-PV project: roofs take no land),
    ``repaired``, ``crs_in``, ``sink_lost_t_co2_yr``, ``devzone_share``, ``rules`` (the rules cited),
    ``demo_layers``.
    """
    p = params or LandCheckParams()
    rp = rule_params or RuleParams()
    ctx = context or CheckContext()
    prepared = prepare_site(site, p)
    project = _project(project_no, ctx)
    kind = None if project is None else str(project.get("project_kind", ""))
    stype = rules.site_type_for(kind, site_type)
    rooftop = kind == "rooftops"
    findings = _input_findings(prepared)
    findings.append(_county_finding(prepared, ctx, p, rooftop))
    towns = _township_rows(prepared, ctx, p)
    findings.append(_township_finding(towns, ctx, rooftop))
    findings.append(rules.farmland_finding(prepared, ctx, p, stype, rooftop))
    findings.append(rules.redline_finding(prepared, ctx, p, stype, redline_activity, rooftop))
    findings.append(rules.urban_boundary_finding(prepared, ctx, p, stype, rooftop))
    findings.extend(rules.cropland_findings(prepared, ctx, p, stype, rooftop))
    findings.append(_belt_finding(prepared, ctx, p, rooftop))
    forest_f, sink = _forest_finding(prepared, ctx, p, rooftop, stype, rp)
    findings.append(forest_f)
    findings.append(_sites_finding(prepared, ctx, p, project_no, rooftop))
    dz_f, dz_share = _devzone_finding(prepared, ctx, p, "industrial" if stype == "industrial" and not rooftop else kind)
    findings.append(dz_f)
    findings.extend(_need_findings(prepared, project, p, rp))
    demo_layers = [n for n in ("townships", "belt", "forest", "devzone", "sites", "farmland", "eco_redline", "urban_boundary", "cropland")
                   if ctx.is_demo(n)]
    return {
        "project_no": None if project_no is None else int(project_no),
        "site_type": stype,
        "rooftop": rooftop,
        "area_m2": round(prepared.area_m2, 2),
        "area_ha": round(prepared.area_m2 / M2_PER_HA, 4),
        "area_mu": round(prepared.area_m2 / M2_PER_MU, 2),
        "townships": towns,
        "findings": findings,
        "status": worst_level(findings),
        "repaired": prepared.repair_note is not None,
        "crs_in": prepared.crs_in,
        "sink_lost_t_co2_yr": round(sink, 3),
        "devzone_share": round(dz_share, 6),
        "rules": rules.rules_cited(findings),
        "demo_layers": demo_layers,
    }


def site_conflicts(
    site: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    result: dict[str, Any],
    context: CheckContext | None = None,
    params: LandCheckParams | None = None,
) -> gpd.GeoDataFrame:
    """The conflict areas of a checked site (WGS84 polygons with ``layer``, ``level``, ``area_m2``) for the
    map and the report; see :func:`cyc_geo.planning.rules.conflict_areas`."""
    p = params or LandCheckParams()
    ctx = context or CheckContext()
    if result.get("rooftop"):  # roofs take no land: nothing to draw (and no 10^5-part site to prepare)
        empty = gpd.GeoDataFrame({"layer": [], "level": [], "area_m2": []}, geometry=[], crs=AREA_CRS)
        return empty.to_crs("EPSG:4326")
    return rules.conflict_areas(prepare_site(site, p), ctx, p, result.get("site_type", "other"))


def check_projects(conn=None, context: CheckContext | None = None, params: LandCheckParams | None = None) -> list[dict[str, Any]]:
    """Land-check every project's current site (shared context, so layers load once)."""
    from cyc_geo.planning.projects import load_project_sites

    ctx = context or CheckContext()
    if ctx._layers.get("sites") is None and "sites" not in ctx._layers:
        ctx._layers["sites"] = load_project_sites(conn)
    sites = ctx.area_crs("sites")
    results = []
    for _, row in sites.iterrows():
        one = gpd.GeoDataFrame({"project_no": [row["project_no"]]}, geometry=[row.geometry], crs=sites.crs)
        results.append(check_site(one, int(row["project_no"]), ctx, params))
    return results
