"""Every rule of the land check as a county planner applies it: county, townships, belt, forest, other
sites, development zone, land need, plot ratio, 三区三线, 三调 耕地, PV siting.

Each rule is a function ``(site, params, context) -> Finding | list[Finding]`` over a prepared site
(:class:`cyc_geo.planning.site.PreparedSite`, EPSG:4547), the check's parameters
(:class:`cyc_geo.planning.site.CheckParams`: site type, rooftop flag, project, thresholds) and the
context layers (:class:`cyc_geo.planning.site.Context`, i.e. :class:`cyc_geo.planning.landcheck.CheckContext`).
A :class:`~cyc_geo.planning.site.Finding` has a level (conflict / warning / ok / info), the check's id
(``layer`` in the JSON), the overlap in m² and 亩, the reason in Chinese and English and the rule it
applies (:data:`RULES`: document and article). :data:`CHECKS` lists the rules in the order of their
findings; :mod:`cyc_geo.planning.landcheck` is the entry point (:func:`~cyc_geo.planning.landcheck.check_site`).

- 永久基本农田 (layer ``farmland``): any overlap is a conflict, with ``parts`` per 三调 class and a
  per-parcel table (``parcels``: code, class name, 坐落单位, overlap m² and 亩, share of the site);
- 生态保护红线 (``eco_redline``): a conflict; a warning only when the site is declared one of the
  permitted limited human activities (:data:`REDLINE_ACTIVITIES`);
- 城镇开发边界 (``urban_boundary``): outside it, industrial and public (urban) construction gets a
  warning with ``outside_m2``;
- 耕地 that is not 永久基本农田 (``cropland``): a warning with the 占补平衡 note; for PV, a conflict;
- PV arrays (site type ``pv``): on 永久基本农田 or 耕地 a conflict, on forest land a warning
  "林光互补 only";
- plot ratio (容积率) of an industrial project: below the minimum a warning (site too large), above the
  maximum a conflict (the site is too small for the stated floor area).

Sources of every rule and default: docs/sources.md, "Land-use rules (三区三线, 自然资办发〔2023〕12号)".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cyc_geo.carbon.landcover import CLASSES, FOREST_CODES
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU, WGS84
from cyc_geo.places.profile import profile
from cyc_geo.planning.industrial_land import RULES_24, industrial_land_findings
from cyc_geo.planning.overlaps import class_name as _class_name
from cyc_geo.planning.overlaps import class_parts as _parts_by_class
from cyc_geo.planning.overlaps import cropland_rest, layer_overlap, zoning_overlap
from cyc_geo.planning.overlaps import text_col as _col
from cyc_geo.planning.site import CheckParams, Context, Finding, LandCheckParams, PreparedSite, Rule, RuleParams, Township

SITE_TYPES = ("industrial", "pv", "public", "other")
"""What a site is for: industrial (工业), pv (光伏), public (公共设施、基础设施), other (其他)."""
SITE_TYPE_NAMES = {
    "industrial": ("工业项目", "industrial project"),
    "pv": ("光伏项目", "PV project"),
    "public": ("公共设施/基础设施", "public facility / infrastructure"),
    "other": ("其他", "other use"),
}
URBAN_TYPES = ("industrial", "public")
"""Site types that are urban construction, bound to the 城镇开发边界."""

PROJECT_KIND_TYPES = {"industrial": "industrial", "retrofit": "industrial", "rooftops": "pv"}
"""附件2 project kinds (data/reference/projects.csv) -> site type."""


RULES: dict[str, Rule] = {key: dataclasses.replace(rule, key=key) for key, rule in {
    "farmland": Rule(
        "《中华人民共和国土地管理法》（2019年修正）", "第三十五条",
        "永久基本农田经依法划定后，任何单位和个人不得擅自占用或者改变其用途；重大建设项目选址确实难以避让的，须报国务院批准",
        "Once designated, permanent basic farmland may not be occupied or its use changed; unavoidable key "
        "projects need State Council approval"),
    "three_lines": Rule(
        "中共中央办公厅 国务院办公厅《关于在国土空间规划中统筹划定落实三条控制线的指导意见》（厅字〔2019〕48号）",
        "三条控制线的划定与管控",
        "生态保护红线内原则上按禁止开发区域管理；永久基本农田一经划定不得擅自占用或改变用途；城镇开发边界外不得进行城镇集中建设",
        "Inside the ecological red line, development is in principle prohibited; basic farmland may not be "
        "occupied; no concentrated urban construction outside the urban development boundary"),
    "eco_redline": Rule(
        "自然资源部 生态环境部 国家林业和草原局《关于加强生态保护红线管理的通知（试行）》（自然资发〔2022〕142号）",
        "一、（二）有限人为活动",
        "生态保护红线内、自然保护地核心保护区外，禁止开发性、生产性建设活动，仅允许对生态功能不造成破坏的有限人为活动",
        "Inside the red line (outside nature-reserve core zones) development and production construction is "
        "prohibited; only limited human activities that do not harm ecological functions are allowed"),
    "urban_boundary": Rule(
        "中共中央办公厅 国务院办公厅《关于在国土空间规划中统筹划定落实三条控制线的指导意见》（厅字〔2019〕48号）",
        "城镇开发边界管控",
        "城镇开发边界外不得进行城镇集中建设，不得设立各类开发区",
        "No concentrated urban construction and no development zones outside the urban development boundary"),
    "cropland": Rule(
        "《中华人民共和国土地管理法》（2019年修正）", "第三十条（占用耕地补偿制度）",
        "非农业建设经批准占用耕地的，按照“占多少，垦多少”的原则，由占用耕地的单位负责开垦数量和质量相当的耕地（占补平衡）",
        "Non-agricultural construction that takes cropland must reclaim cropland of equal quantity and quality "
        "(balance of occupation and compensation, 占补平衡)"),
    "pv_cropland": Rule(
        "自然资源部办公厅 国家林业和草原局办公室 国家能源局综合司《关于支持光伏发电产业发展规范用地管理有关工作的通知》"
        "（自然资办发〔2023〕12号）", "一（新建、扩建项目不得占用）；二、（一）光伏方阵用地",
        "新建、扩建光伏发电项目，一律不得占用永久基本农田、基本草原、Ⅰ级保护林地和东北内蒙古重点国有林区；光伏方阵用地不得占用耕地",
        "New and extended PV projects may not take permanent basic farmland, basic grassland, class-I protected "
        "forest land or the key state forest regions of the north-east and Inner Mongolia; PV arrays may not occupy cropland"),
    "pv_forest": Rule(
        "自然资源部办公厅 国家林业和草原局办公室 国家能源局综合司《关于支持光伏发电产业发展规范用地管理有关工作的通知》"
        "（自然资办发〔2023〕12号）", "二、（一）光伏方阵用地",
        "光伏方阵用地涉及使用林地的，须采用林光互补模式，可使用年降水量400毫米以下区域的灌木林地以及其他区域覆盖度低于50%的灌木林地，"
        "不得采伐林木、割灌及破坏原有植被，不得将乔木林地、竹林地等采伐改造为灌木林地后架设光伏板",
        "PV arrays on forest land only as forest-PV complementarity (林光互补), and only on shrub forest (灌木林地) in "
        "areas with annual rainfall below 400 mm, or elsewhere on shrub forest with cover below 50 %; no felling, no "
        "clearing of shrubs or vegetation; tree or bamboo forest may not be felled into shrubland for panels"),
    "forest_level1": Rule(
        "国家林业局《建设项目使用林地审核审批管理办法》（国家林业局令第35号，2016年修改）", "第四条（一）",
        "各类建设项目不得使用Ⅰ级保护林地（光伏项目另见自然资办发〔2023〕12号：一律不得占用Ⅰ级保护林地）",
        "No construction project of any kind may use class-I protected forest land (for PV also 自然资办发〔2023〕12号)"),
    "river_floodplain": Rule(
        "《中华人民共和国河道管理条例》（2018年修正）；《中华人民共和国黄河保护法》（2022年）",
        "条例第十一条、第二十条；黄河保护法第五章（水沙调控与防洪安全）",
        "有堤防的河道，管理范围为两岸堤防之间的水域、沙洲、滩地（包括可耕地）、行洪区及两岸堤防和护堤地；在河道管理范围内修建各类"
        "建筑物及设施，建设方案须经河道主管机关审查同意；黄河滩区的利用须服从防洪安全，不得影响行洪",
        "With dykes, the river management range is everything between them (water, bars, floodplain including "
        "farmed land, flood channels, the dykes); any structure in it needs the river authority's approval of its "
        "design; use of the Yellow River floodplain must not impair flood safety or flood conveyance"),
}.items()}
RULES["pv_support"] = Rule(
    "自然资源部办公厅 国家林业和草原局办公室 国家能源局综合司《关于支持光伏发电产业发展规范用地管理有关工作的通知》"
    "（自然资办发〔2023〕12号）", "二、（二）配套设施用地",
    "光伏发电项目配套设施用地，按建设用地进行管理，依法依规办理建设用地审批手续；涉及占用耕地的，按规定落实占补平衡",
    "The PV project's support facilities (substation, operation and maintenance, roads) are construction land: "
    "construction-land approval (with farm-land conversion), and 占补平衡 for any cropland taken", "pv_support")
RULES.update(RULES_24)
"""The rules the land check cites, by key (docs/sources.md, "Land-use rules (三区三线, 自然资办发〔2023〕12号)"),
with the 24号 indicators of :mod:`cyc_geo.planning.industrial_land`."""

REDLINE_ACTIVITIES: dict[str, tuple[str, str]] = {
    "patrol_research": ("管护巡护、保护执法、科学研究、调查监测、测绘导航、防灾减灾救灾、军事国防、疫情防控等活动及相关必要设施修筑",
                        "patrol, enforcement, research, monitoring, surveying, disaster relief, defence, epidemic control and their "
                        "necessary facilities"),
    "residents": ("原住居民和其他合法权益主体在不扩大现有建设用地、耕地、水产养殖规模的前提下，开展种植、放牧、捕捞、养殖等生产活动，"
                  "修筑生产生活设施",
                  "residents' farming, grazing, fishing and necessary buildings without enlarging existing built land, cropland or "
                  "aquaculture"),
    "archaeology": ("经依法批准的考古调查发掘、古生物化石调查发掘、标本采集和文物保护活动",
                    "approved archaeology, fossil surveys, specimen collection and heritage protection"),
    "forest_tending": ("按规定对人工商品林进行抚育采伐，或以提升森林质量、优化栖息地、建设生物防火隔离带等为目的的树种更新",
                       "tending of plantation forest and species renewal for forest quality, habitats or fire breaks"),
    "tourism": ("不破坏生态功能的适度参观旅游、科普宣教及符合相关规划的配套性服务设施和相关的必要公共设施建设及维护",
                "moderate tourism and education with planned service and necessary public facilities"),
    "linear_infrastructure": ("必须且无法避让、符合县级以上国土空间规划的线性基础设施、通讯和防洪、供水设施建设和船舶航行、"
                              "航道疏浚清淤等活动；已有的合法水利、交通运输等设施运行维护改造",
                              "unavoidable linear infrastructure, telecoms, flood-control and water-supply works in the county plan; "
                              "upkeep of existing lawful water and transport works"),
    "geology": ("地质调查与矿产资源勘查开采（按规定的矿种和情形）", "geological survey and mineral exploration (listed cases)"),
    "restoration": ("依据县级以上国土空间规划和生态保护修复专项规划开展的生态修复", "ecological restoration under the county plan"),
    "border": ("根据我国相关法律法规和与邻国签署的国界管理制度协定（条约）开展的边境管理活动", "border management"),
    "other_lawful": ("法律法规规定允许的其他人为活动", "other activities allowed by law"),
}
"""The limited human activities allowed inside the red line, 自然资发〔2022〕142号 一、（二） items 1-10."""


def finding(level: str, layer: str, overlap_m2: float, share: float | None, zh: str, en: str,
            rule: str | None = None, **extra: Any) -> Finding:
    """A :class:`~cyc_geo.planning.site.Finding` citing :data:`RULES` ``[rule]``, with ``extra`` numbers."""
    return Finding.of(level, layer, overlap_m2, share, zh, en, RULES[rule] if rule else None, **extra)


def _noted(level: str, layer: str, overlap_m2: float, share: float | None, zh: str, en: str, **details: Any) -> Finding:
    """A finding citing no rule, with the check's own figures under ``details``."""
    return Finding.of(level, layer, overlap_m2, share, zh, en, details=details or None)


def _pct(x: float) -> str:
    """A share as a percentage with one decimal that never rounds a part to 0 % or to the whole:
    "<0.1%" above 0, ">99.9%" below 1."""
    if 0 < x < 0.0005:
        return "<0.1%"
    return ">99.9%" if 0.9995 <= x < 1 else f"{100 * x:.1f}%"


def _mu(m2: float) -> str:
    return f"{m2 / M2_PER_MU:,.2f}"


def site_type_for(project_kind: str | None, chosen: str | None = None) -> str:
    """The site type: the chosen one if given, else from the project's kind, else ``other``."""
    if chosen:
        if chosen not in SITE_TYPES:
            raise ValueError(f"未知的地块类型 {chosen} / unknown site type {chosen!r} (one of {', '.join(SITE_TYPES)})")
        return chosen
    return PROJECT_KIND_TYPES.get(project_kind or "", "other")


def _union(site: PreparedSite) -> shapely.Geometry:
    return shapely.union_all(site.parts)


def _num_col(gdf: gpd.GeoDataFrame, name: str) -> list[float | None]:
    """A number column as floats (None where empty or absent): the file's own figures, e.g. 图斑面积 (m²)."""
    if name not in gdf.columns:
        return [None] * len(gdf)
    values = pd.to_numeric(gdf[name], errors="coerce")
    return [None if pd.isna(v) else round(float(v), 2) for v in values]


def _classes_text(parts: list[dict[str, Any]]) -> tuple[str, str]:
    zh = "、".join(f"{p['code']} {p['name']} {p['overlap_m2']:,.0f} m²（{p['overlap_mu']:,.2f} 亩）" for p in parts)
    en = ", ".join(f"{p['code']} {p['overlap_m2']:,.0f} m² ({p['overlap_mu']:,.2f} mu)" for p in parts)
    return zh, en


def farmland_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """永久基本农田: conflict on any overlap, with parts per 三调 class and the per-parcel table."""
    p, site_type, rooftop = params.thresholds, params.site_type, params.rooftop
    over = zoning_overlap(site, ctx, "farmland", p.min_overlap_m2)
    if over is None:
        return finding("info", "farmland", 0.0, None, "永久基本农田图层暂不可用，未核查", "Basic-farmland layer not available, not checked")
    farm = ctx.required("farmland")
    ov, total = over.per_feature, over.total_m2
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return finding("ok", "farmland", 0.0, 0.0, "地块不占用永久基本农田", "The site takes no permanent basic farmland",
                       "farmland", parts=[], parcels=[])
    codes, names, parts = over.codes, over.names, over.parts
    hit = np.flatnonzero(ov >= p.min_overlap_m2)
    ids, located, owner = _col(farm, "parcel_id"), _col(farm, "located_in"), _col(farm, "owner")
    numbers = _col(farm, "parcel_no")  # 图斑编号 (YJJBNTTBBH / TBBH of a 三区三线 file)
    areas, deducted = _num_col(farm, "area_m2"), _num_col(farm, "deducted_m2")
    parcels = sorted(
        ({"parcel_no": numbers[i], "parcel_id": ids[i], "code": codes[i], "name": names[i], "located_in": located[i],
          "owner": owner[i], "parcel_area_m2": areas[i], "deducted_m2": deducted[i],
          "overlap_m2": round(float(ov[i]), 2), "overlap_mu": round(float(ov[i]) / M2_PER_MU, 3),
          "share": round(float(ov[i]) / site.area_m2, 6)} for i in hit),
        key=lambda r: -r["overlap_m2"])
    cls_zh, cls_en = _classes_text(parts)
    if rooftop:
        return finding("warning", "farmland", total, share,
                       f"屋顶图层与永久基本农田重叠 {total:,.0f} m²（{cls_zh}）：屋顶与农田数据不一致，请核对",
                       f"Roofs overlap basic farmland by {total:,.0f} m² ({cls_en}): the roof and farmland data disagree; please check",
                       "farmland", parts=parts, parcels=parcels)
    pv = site_type == "pv"
    zh = (f"地块占用永久基本农田 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}；{cls_zh}），涉及 {len(parcels)} 个图斑；"
          + ("光伏方阵禁止使用永久基本农田" if pv else "永久基本农田不得擅自占用或改变用途，须调整选址"))
    en = (f"The site takes {total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of permanent basic farmland ({cls_en}) in "
          f"{len(parcels)} parcel(s); " + ("PV arrays may not use basic farmland" if pv else "basic farmland may not be "
                                          "occupied or its use changed: move the site"))
    return finding("conflict", "farmland", total, share, zh, en, "pv_cropland" if pv else "farmland",
                   parts=parts, parcels=parcels)


def cropland_findings(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """耕地 outside 永久基本农田: a warning with the 占补平衡 note; for PV arrays a conflict."""
    p, site_type, rooftop = params.thresholds, params.site_type, params.rooftop
    crop = ctx.area_crs("cropland")
    if crop is None:
        return [finding("info", "cropland", 0.0, None, "耕地图层暂不可用，未核查", "Cropland layer not available, not checked")]
    if rooftop:
        ov = float(site.overlap_by_feature(crop.geometry.to_numpy()).sum())
        share = ov / site.area_m2
        if share <= params.rules.roof_forest_share:
            return [finding("ok", "cropland", ov, share, f"屋顶光伏利用既有建筑，不占用耕地（屋顶与耕地图层仅在边缘重叠 {ov:,.0f} m²）",
                            f"Rooftop PV uses existing buildings and takes no cropland (roofs touch the cropland layer at "
                            f"edges only: {ov:,.0f} m²)")]
        return [finding("warning", "cropland", ov, share,
                        f"屋顶光伏不占用耕地，但屋顶与耕地图层重叠 {ov / 1e6:,.2f} km²（屋顶面积的 {_pct(share)}）："
                        "同一处不能既是建筑又是耕地，"
                        "屋顶数据或三调耕地数据有误，请核对",
                        f"Rooftop PV takes no cropland, but roofs overlap the cropland layer by {ov / 1e6:,.2f} km² ({_pct(share)} "
                        "of the roof area): a place cannot be both a building and cropland, so the roof or cropland data are wrong")]
    codes, names, rest, _ = cropland_rest(site, ctx, p.min_overlap_m2)
    total = float(rest.sum())
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return [finding("ok", "cropland", 0.0, 0.0, "地块不占用永久基本农田以外的耕地", "The site takes no cropland outside basic farmland",
                        "cropland", parts=[])]
    parts = _parts_by_class(codes, names, rest, p.min_overlap_m2)
    cls_zh, cls_en = _classes_text(parts)
    if site_type == "pv":
        return [finding("conflict", "cropland", total, share,
                        f"光伏方阵占用耕地 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}；{cls_zh}）：光伏方阵用地不得占用耕地",
                        f"PV arrays on {total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of cropland ({cls_en}): "
                        "PV arrays may not occupy cropland", "pv_cropland", parts=parts)]
    return [finding("warning", "cropland", total, share,
                    f"地块占用一般耕地（非永久基本农田）{total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}；{cls_zh}），"
                    "须办理农用地转用并落实占补平衡（占多少、垦多少）",
                    f"The site takes {total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of cropland that is not basic farmland "
                    f"({cls_en}): farmland conversion approval and an equal "
                    "compensation (balance of occupation and reclamation) are needed",
                    "cropland", parts=parts)]


def redline_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """生态保护红线: a conflict, or a warning for a declared permitted limited human activity
    (``params.redline_activity``)."""
    p, activity, rooftop = params.thresholds, params.redline_activity, params.rooftop
    over = zoning_overlap(site, ctx, "eco_redline", p.min_overlap_m2)
    if over is None:
        return finding("info", "eco_redline", 0.0, None, "生态保护红线图层暂不可用，未核查", "Red-line layer not available, not checked")
    red = ctx.required("eco_redline")
    ov, total = over.per_feature, over.total_m2
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return finding("ok", "eco_redline", 0.0, 0.0, "地块不涉及生态保护红线", "The site does not touch the ecological red line",
                       "eco_redline")
    names = [n for n, a in zip(_col(red, "name"), ov, strict=True) if a >= p.min_overlap_m2]
    where = "、".join(dict.fromkeys(n for n in names if n)) or "生态保护红线"
    if rooftop:
        return finding("ok", "eco_redline", total, share,
                       f"红线（{where}）内有既有建筑屋顶 {total:,.0f} m²，屋顶光伏不新增占地，但须符合红线管控要求",
                       f"{total:,.0f} m² of existing roofs lie inside the red line ({where}); rooftop PV takes no new land "
                       "but must respect the red-line rules", "eco_redline")
    if activity:
        if activity not in REDLINE_ACTIVITIES:
            raise ValueError(f"未知的有限人为活动 {activity} / unknown limited activity {activity!r} "
                             f"(one of {', '.join(REDLINE_ACTIVITIES)})")
        zh_a, en_a = REDLINE_ACTIVITIES[activity]
        return finding("warning", "eco_redline", total, share,
                       f"地块有 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}）位于生态保护红线（{where}）内；申报为允许的有限人为活动"
                       f"“{zh_a}”，须按规定论证并报批",
                       f"{total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of the site lie inside the ecological red line; declared "
                       f"as a permitted limited activity ({en_a}): it needs the prescribed assessment and approval",
                       "eco_redline", activity=activity)
    return finding("conflict", "eco_redline", total, share,
                   f"地块有 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}）位于生态保护红线（{where}）内，红线内禁止开发性、"
                   "生产性建设活动",
                   f"{total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of the site lie inside the ecological red line: development "
                   "and production construction is prohibited there", "eco_redline")


def urban_boundary_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """城镇开发边界 (厅字〔2019〕48号): outside it an industrial site is a conflict, a warning when declared a 单独选址
    project (``params.standalone_siting``); public facilities a warning; PV and other uses info; with ``outside_m2``."""
    p, site_type, rooftop = params.thresholds, params.site_type, params.rooftop
    over = zoning_overlap(site, ctx, "urban_boundary", p.min_overlap_m2)
    if over is None:
        return finding("info", "urban_boundary", 0.0, None, "城镇开发边界图层暂不可用，未核查",
                       "Development-boundary layer not available, not checked", outside_m2=None)
    inside = over.total_m2
    outside = max(site.area_m2 - inside, 0.0)
    share_out = outside / site.area_m2
    if outside < p.min_overlap_m2:
        return finding("ok", "urban_boundary", inside, 1.0, "地块全部位于城镇开发边界内",
                       "The site lies entirely inside the urban development boundary", "urban_boundary", outside_m2=0.0,
                       outside_mu=0.0)
    extra = {"outside_m2": round(outside, 2), "outside_mu": round(outside / M2_PER_MU, 3)}
    zh_t, en_t = SITE_TYPE_NAMES[site_type]
    if site_type == "industrial" and not rooftop:
        if params.standalone_siting:
            return finding("warning", "urban_boundary", inside, inside / site.area_m2,
                           f"地块有 {outside:,.0f} m²（{_mu(outside)} 亩，{_pct(share_out)}）位于城镇开发边界以外；已声明为单独选址项目："
                           "边界外不得进行城镇集中建设、不得设立各类开发区，须论证单独选址的必要性（特定选址要求、无法在边界内布局），"
                           "按单独选址建设项目办理用地预审",
                           f"{outside:,.0f} m² ({_mu(outside)} mu, {_pct(share_out)}) of the site lie outside the urban development "
                           "boundary; declared a standalone-siting (单独选址) project: no concentrated urban construction and no "
                           "development zones are allowed outside the boundary, so the need for this siting (a specific siting "
                           "requirement that cannot be met inside) must be shown in the land pre-examination",
                           "urban_boundary", standalone_siting=True, **extra)
        return finding("conflict", "urban_boundary", inside, inside / site.area_m2,
                       f"工业项目地块有 {outside:,.0f} m²（{_mu(outside)} 亩，{_pct(share_out)}）位于城镇开发边界以外："
                       "边界外不得进行城镇集中建设，"
                       "不得设立各类开发区，须调整选址到边界内（确属单独选址项目的，须声明并论证）",
                       f"{outside:,.0f} m² ({_mu(outside)} mu, {_pct(share_out)}) of the industrial site lie outside the urban "
                       "development boundary, where no concentrated urban construction and no development zones are allowed: move "
                       "the site inside (a genuine standalone-siting project must be declared and justified)",
                       "urban_boundary", standalone_siting=False, **extra)
    if site_type in URBAN_TYPES and not rooftop:
        return finding("warning", "urban_boundary", inside, inside / site.area_m2,
                       f"地块有 {outside:,.0f} m²（{_mu(outside)} 亩，{_pct(share_out)}）位于城镇开发边界以外；{zh_t}属城镇建设，"
                       "边界外不得进行城镇集中建设，须调整选址或依规论证",
                       f"{outside:,.0f} m² ({_mu(outside)} mu, {_pct(share_out)}) of the site lie outside the urban development "
                       f"boundary; a {en_t} is urban construction, which is not allowed outside it: move the site or justify it",
                       "urban_boundary", **extra)
    return finding("info", "urban_boundary", inside, inside / site.area_m2,
                   f"地块有 {outside:,.0f} m²（{_pct(share_out)}）位于城镇开发边界以外（{zh_t}，不属城镇集中建设）",
                   f"{outside:,.0f} m² ({_pct(share_out)}) of the site lie outside the urban development boundary ({en_t}, "
                   "not urban construction)", "urban_boundary", **extra)


PV_SHRUB_CODES = ("0305",)
"""Forest classes PV arrays may use at all (灌木林地, 自然资办发〔2023〕12号 二、（一）); every other 林地 class
(0301 乔木林地, 0302 竹林地, 0307 其他林地, and any other 03xx) is a conflict."""


def _pv_forest_finding(site: PreparedSite, forest: gpd.GeoDataFrame, ov: np.ndarray, sink: float,
                       p: LandCheckParams) -> Finding:
    """Ground PV on forest land (自然资办发〔2023〕12号 二、（一））: on 乔木林地 / 竹林地 / 其他林地 a conflict;
    on 灌木林地 only a warning that states the conditions (林光互补; rainfall under 400 mm, or elsewhere cover
    under 50 %; no felling)."""
    total = float(ov.sum())
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return finding("ok", "forest", 0.0, 0.0, "光伏方阵不占用林地", "The PV arrays take no forest land", "pv_forest",
                       sink_lost_t_co2_yr=0.0)
    codes = _col(forest, "class_code")
    names = np.array([_class_name(c, n) for c, n in zip(codes, _col(forest, "class_name"), strict=True)], dtype=object)
    parts = _parts_by_class(codes, names, ov, p.min_overlap_m2)
    cls_zh, cls_en = _classes_text(parts)
    banned = [x for x in parts if x["code"] not in PV_SHRUB_CODES]
    shrub_m2 = sum(x["overlap_m2"] for x in parts if x["code"] in PV_SHRUB_CODES)
    cond_zh = ("光伏方阵使用林地仅限林光互补模式下的灌木林地：年降水量400毫米以下区域的灌木林地，或其他区域覆盖度低于50%的灌木林地，"
               "且不得采伐林木、割灌及破坏原有植被")
    cond_en = ("PV arrays may use forest land only as 林光互补 on shrub forest (灌木林地): in areas with annual rainfall "
               "below 400 mm, or elsewhere where the shrub cover is below 50 %, with no felling, shrub clearing or "
               "damage to the vegetation")
    if banned:
        b_m2 = sum(x["overlap_m2"] for x in banned)
        b_zh = "、".join(f"{x['code']} {x['name']}" for x in banned)
        b_en = ", ".join(f"{x['code']} {FOREST_CLASS_NAMES.get(x['code'], (x['name'], x['name']))[1]}" for x in banned)
        return finding("conflict", "forest", total, share,
                       f"光伏方阵占用林地 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}；{cls_zh}），其中 {b_m2:,.0f} m² 为{b_zh}，"
                       f"不得架设光伏方阵：{cond_zh}；不得将乔木林地、竹林地等采伐改造为灌木林地后架设光伏板",
                       f"The PV arrays take {total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of forest land ({cls_en}), "
                       f"{b_m2:,.0f} m² of it {b_en}, where arrays may not be placed: {cond_en}; tree or bamboo forest may "
                       "not be felled into shrubland for panels",
                       "pv_forest", parts=parts, banned_m2=round(b_m2, 2), shrub_m2=round(shrub_m2, 2),
                       sink_lost_t_co2_yr=round(sink, 3))
    return finding("warning", "forest", total, share,
                   f"光伏方阵涉及灌木林地 {total:,.0f} m²（{_mu(total)} 亩，{_pct(share)}）：{cond_zh}。"
                   f"{profile().short_zh}年降水量高于400毫米，"
                   "须核实灌木覆盖度低于50%并采用林光互补，依法办理使用林地手续",
                   f"The PV arrays touch {total:,.0f} m² ({_mu(total)} mu, {_pct(share)}) of shrub forest: {cond_en}. "
                   f"{profile().name_en}'s annual rainfall is above 400 mm, so the shrub cover must be shown to be below 50 %, the "
                   "arrays built as 林光互补, and forest-land use approved",
                   "pv_forest", parts=parts, banned_m2=0.0, shrub_m2=round(shrub_m2, 2), sink_lost_t_co2_yr=round(sink, 3))


_LEVEL_NORMAL = {"1": "Ⅰ", "I": "Ⅰ", "一": "Ⅰ", "Ⅰ": "Ⅰ", "2": "Ⅱ", "II": "Ⅱ", "二": "Ⅱ", "Ⅱ": "Ⅱ",
                 "3": "Ⅲ", "III": "Ⅲ", "三": "Ⅲ", "Ⅲ": "Ⅲ", "4": "Ⅳ", "IV": "Ⅳ", "四": "Ⅳ", "Ⅳ": "Ⅳ"}


def protection_level(value: Any) -> str:
    """A 林地保护等级 value as written in planners' files (``1``, ``I``, ``Ⅰ``, ``Ⅰ级``, ``一级``, ``01``) -> ``Ⅰ``…``Ⅳ``
    (``""`` when unreadable)."""
    v = str(value or "").strip().upper().removesuffix("级").removesuffix("級").strip()
    v = v.lstrip("0") or v
    return _LEVEL_NORMAL.get(v, "")


def forest_protection_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """林地保护等级: any overlap with Ⅰ级保护林地 is a conflict for every site type (国家林业局令第35号 第四条;
    PV also 自然资办发〔2023〕12号); other levels are listed (``by_level_m2``). Rooftop sets take no land."""
    p = params.thresholds
    lay = ctx.area_crs("forest_protection")
    if lay is None:
        return finding("info", "forest_protection", 0.0, None, "林地保护等级图层暂不可用，未核查Ⅰ级保护林地",
                       "Forest protection-level layer not available: class-I protected forest land not checked")
    ov = site.overlap_by_feature(lay.geometry.to_numpy())
    levels = np.array([protection_level(v) for v in _col(lay, "protection_level")], dtype=object)
    by_level = {lv: round(float(ov[levels == lv].sum()), 2) for lv in ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ")
                if float(ov[levels == lv].sum()) >= p.min_overlap_m2}
    lvl1 = by_level.get("Ⅰ", 0.0)
    if params.rooftop or lvl1 < p.min_overlap_m2:
        txt = "、".join(f"{k}级 {v:,.0f} m²" for k, v in by_level.items())
        zh = "地块不占用Ⅰ级保护林地" + (f"（涉及 {txt}，须依法办理使用林地审核）" if txt and not params.rooftop else "")
        en = "The site takes no class-I protected forest land" + (
            f" (it touches {', '.join(f'class {k} {v:,.0f} m²' for k, v in by_level.items())}: forest-land use needs approval)"
            if by_level and not params.rooftop else "")
        return finding("ok", "forest_protection", 0.0, 0.0, zh, en, "forest_level1" if by_level else None,
                       by_level_m2=by_level)
    share = lvl1 / site.area_m2
    pv = params.site_type == "pv"
    return finding("conflict", "forest_protection", lvl1, share,
                   f"地块占用Ⅰ级保护林地 {lvl1:,.0f} m²（{_mu(lvl1)} 亩，{_pct(share)}）：各类建设项目不得使用Ⅰ级保护林地"
                   + ("；新建、扩建光伏发电项目一律不得占用Ⅰ级保护林地" if pv else "") + "，须调整选址",
                   f"The site takes {lvl1:,.0f} m² ({_mu(lvl1)} mu, {_pct(share)}) of class-I protected forest land: no "
                   "construction project may use it" + ("; new PV projects may never take it" if pv else "") + ": move the site",
                   "forest_level1", by_level_m2=by_level)


def _roof_forest_finding(site: PreparedSite, forest: gpd.GeoDataFrame, ov: np.ndarray, rp: RuleParams) -> Finding:
    """Rooftop PV over forest patches: roofs take no forest land, but a large overlap means the layers disagree."""
    total = float(ov.sum())
    share = total / site.area_m2
    codes = _col(forest, "class_code")
    names = np.array([_class_name(c, n) for c, n in zip(codes, _col(forest, "class_name"), strict=True)], dtype=object)
    parts = _parts_by_class(codes, names, ov, 1.0)
    cls_zh, cls_en = _classes_text(parts)
    if share <= rp.roof_forest_share:
        return finding("ok", "forest", total, share,
                       f"屋顶光伏不占用林地（屋顶与林地图斑在栅格边缘重叠 {total:,.0f} m²，{_pct(share)}）",
                       f"Rooftop PV takes no forest land (roofs touch forest patches at raster edges: {total:,.0f} m², {_pct(share)})",
                       parts=parts, sink_lost_t_co2_yr=0.0)
    return finding("warning", "forest", total, share,
                   f"屋顶与林地图斑重叠 {total / 1e6:,.2f} km²（屋顶面积的 {_pct(share)}；{cls_zh}）：同一处不能既是建筑又是林地，"
                   "屋顶数据或三调林地数据有误，请核对后再计算光伏与碳汇",
                   f"Roofs overlap forest patches by {total / 1e6:,.2f} km² ({_pct(share)} of the roof area; {cls_en}): a place "
                   "cannot be both a building and forest, so the roof or the forest data are wrong; check them before "
                   "using the PV or sink figures", parts=parts, sink_lost_t_co2_yr=0.0)


FOREST_CLASS_NAMES = {CLASSES[v].code: (CLASSES[v].name_zh, CLASSES[v].name_en.lower()) for v in FOREST_CODES}
"""Third land survey (三调) forest classes by 4-digit code: (Chinese, English for mid-sentence use),
from :data:`cyc_geo.carbon.landcover.CLASSES`."""

BELT_ZONE_NAMES = {
    "floodplain": ("黄河滩区", "Yellow River floodplain"),
    "corridor": ("堤外生态廊道", "landward ecological corridor"),
}


def input_findings(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """Findings about the input itself: a guessed CRS, repaired geometry, the file's declared area against its
    rings (:func:`declared_area_finding`) and the area in the file's own Gauss-Kruger zone (:func:`own_zone_finding`)."""
    findings: list[Finding] = []
    if site.crs_note:
        findings.append(_noted("warning", "crs", 0.0, None, *site.crs_note))
    if site.repair_note:
        findings.append(_noted("warning", "geometry", site.area_m2, 1.0, *site.repair_note))
    if site.declared is not None:
        findings.append(declared_area_finding(site, params.thresholds.declared_area_tolerance))
    if site.own_zone is not None:
        findings.append(own_zone_finding(site))
    return findings


def declared_area_finding(site: PreparedSite, tolerance: float) -> Finding:
    """The 界址点 header's 地块面积 (公顷) against the area of the rings, both in m² and 亩, in the file's own
    projected CRS: a warning beyond ``tolerance`` (:attr:`LandCheckParams.declared_area_tolerance`), else ok."""
    d = site.declared
    assert d is not None
    diff = (d.declared_m2 - d.computed_m2) / d.computed_m2 if d.computed_m2 > 0 else float("inf")
    extra: dict[str, Any] = {
        "declared_m2": round(d.declared_m2, 2), "computed_m2": round(d.computed_m2, 2),
        "declared_mu": round(d.declared_m2 / M2_PER_MU, 3), "computed_mu": round(d.computed_m2 / M2_PER_MU, 3),
        "difference_pct": round(100 * diff, 3), "area_crs": d.crs, "parcels_declared": d.parcels}
    figures_zh = (f"文件标明地块面积 {d.declared_m2 / 1e4:,.4f} 公顷（{d.declared_m2:,.0f} m²，{_mu(d.declared_m2)} 亩），"
                  f"界址点围成 {d.computed_m2:,.0f} m²（{_mu(d.computed_m2)} 亩，{d.crs}）")
    figures_en = (f"the file declares {d.declared_m2 / 1e4:,.4f} ha ({d.declared_m2:,.0f} m², {_mu(d.declared_m2)} mu); "
                  f"its boundary points enclose {d.computed_m2:,.0f} m² ({_mu(d.computed_m2)} mu, {d.crs})")
    if abs(diff) > tolerance:
        return Finding.of("warning", "declared_area", d.computed_m2, None,
                          f"{figures_zh}，相差 {100 * diff:+.2f}%（超过 {100 * tolerance:.1f}%）：请核对标题行面积或界址点",
                          f"{figures_en[0].upper()}{figures_en[1:]}: {100 * diff:+.2f}% apart (over {100 * tolerance:.1f}%); "
                          "check the header's area or the boundary points", **extra)
    return Finding.of("ok", "declared_area", d.computed_m2, None, f"{figures_zh}，一致（相差 {100 * diff:+.2f}%）",
                      f"{figures_en[0].upper()}{figures_en[1:]}: they agree ({100 * diff:+.2f}%)", **extra)


def own_zone_finding(site: PreparedSite) -> Finding:
    """The site's area in its own Gauss-Kruger zone next to the check's (EPSG:4547, zone 38, CM 114°E): an ``info``
    finding, since a file from another zone measures differently in zone 38 (scale error of the projection)."""
    z = site.own_zone
    assert z is not None
    diff = (z.check_area_m2 - z.area_m2) / z.area_m2 if z.area_m2 > 0 else 0.0
    extra: dict[str, Any] = {
        "area_m2_check": round(z.check_area_m2, 2), "area_crs_check": AREA_CRS, "area_m2_own_zone": round(z.area_m2, 2),
        "area_mu_own_zone": round(z.area_m2 / M2_PER_MU, 3), "own_zone_crs": z.crs,
        "own_zone_central_meridian": z.central_meridian, "difference_pct": round(100 * diff, 3)}
    return Finding.of(
        "info", "area_zone", z.area_m2, None,
        f"地块文件为中央经线 {z.central_meridian:g}°E 的高斯投影（{z.crs}）：本带面积 {z.area_m2:,.0f} m²（{_mu(z.area_m2)} 亩）；"
        f"核查统一按 {AREA_CRS}（中央经线 114°E）计 {z.check_area_m2:,.0f} m²，相差 {100 * diff:+.2f}%（投影变形）",
        f"The site file is Gauss-Kruger with central meridian {z.central_meridian:g}°E ({z.crs}): {z.area_m2:,.0f} m² "
        f"({_mu(z.area_m2)} mu) in its own zone; the check measures every area in {AREA_CRS} (CM 114°E): "
        f"{z.check_area_m2:,.0f} m², {100 * diff:+.2f}% (projection scale)", **extra)


def county_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """Inside the county: a conflict for the part outside (a warning for roofs cut by the boundary)."""
    p, rooftop = params.thresholds, params.rooftop
    county = ctx.required("county")
    inside = float(site.overlap_by_feature(county.geometry.to_numpy()).sum())
    outside = max(site.area_m2 - inside, 0.0)
    if inside < p.min_overlap_m2:
        return _noted("conflict", "county", outside, outside / site.area_m2,
                      f"地块完全位于{profile().name_zh}域以外", f"The site lies entirely outside {profile().full_en}")
    if outside >= p.min_overlap_m2:
        share = outside / site.area_m2
        if rooftop:  # roofs cut by the boundary line are existing buildings, not a land claim across it
            return _noted("warning", "county", outside, share,
                          f"有 {outside:,.0f} m²（{_pct(share)}）屋顶面积位于{profile().name_zh}域以外（跨市界的建筑），请核对屋顶数据",
                          f"{outside:,.0f} m² ({_pct(share)}) of roof area lie outside {profile().full_en} "
                          "(buildings cut by the boundary); please check the roof data")
        return _noted("conflict", "county", outside, share,
                      f"地块有 {outside:,.0f} m²（{_pct(share)}）位于{profile().name_zh}域以外",
                      f"{outside:,.0f} m² ({_pct(share)}) of the site lie outside {profile().full_en}")
    return _noted("ok", "county", 0.0, 0.0, f"地块全部位于{profile().name_zh}域内", f"The site lies entirely inside {profile().full_en}")


def township_rows(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Township]:
    """The townships the site lies in, largest overlap first (computed once per site)."""
    towns = ctx.area_crs("townships")
    return site.memo(("townships", id(towns)), lambda: _township_rows(site, towns, params.thresholds))


def _township_rows(site: PreparedSite, towns: gpd.GeoDataFrame, p: LandCheckParams) -> list[Township]:
    ov = site.overlap_by_feature(towns.geometry.to_numpy())
    hit = np.flatnonzero(ov >= p.min_overlap_m2)
    rows = [
        Township(
            code=str(towns["code"].iloc[i]),
            name=str(towns["name"].iloc[i]),
            name_en=str(towns["name_en"].iloc[i]) if "name_en" in towns.columns else str(towns["name"].iloc[i]),
            overlap_m2=round(float(ov[i]), 2),
            share=round(float(ov[i] / site.area_m2), 6),
        )
        for i in hit
    ]
    return sorted(rows, key=lambda r: -r.overlap_m2)


def township_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """The township(s) of the site: a warning when it spans several (roofs may)."""
    rows, rooftop = township_rows(site, params, ctx), params.rooftop
    towns = ctx.get("townships")
    approx = provenance_of(towns).approximate
    note_zh = "（乡镇边界为近似边界）" if approx else ""
    note_en = " (township boundaries are approximate)" if approx else ""
    total = sum(r.overlap_m2 for r in rows)
    if not rows:
        return _noted("warning", "townships", 0.0, 0.0, "地块不在任何乡镇（街道）内" + note_zh,
                      "The site lies in no township" + note_en)
    if len(rows) == 1:
        r = rows[0]
        return _noted("ok", "townships", total, r.share, f"地块位于{r.name}{note_zh}",
                      f"The site lies in {r.name_en}{note_en}")
    zh = "、".join(f"{r.name}（{_pct(r.share)}）" for r in rows)
    en = ", ".join(f"{r.name_en} ({_pct(r.share)})" for r in rows)
    if rooftop:
        return _noted("ok", "townships", total, sum(r.share for r in rows),
                      f"屋顶光伏覆盖 {len(rows)} 个乡镇（街道）的屋顶：{zh}{note_zh}",
                      f"The rooftop PV covers roofs in {len(rows)} townships: {en}{note_en}")
    return _noted("warning", "townships", total, sum(r.share for r in rows),
                  f"地块跨 {len(rows)} 个乡镇（街道）：{zh}，需相关乡镇协调{note_zh}",
                  f"The site spans {len(rows)} townships: {en}; the townships must coordinate{note_en}")


def belt_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """沿黄生态带: a conflict on any overlap (roofs take no new land), else the distance to it."""
    p, rooftop = params.thresholds, params.rooftop
    belt = ctx.required("belt")
    ov = layer_overlap(site, belt, p.min_overlap_m2).per_feature
    zones = belt["zone"].astype(str).tolist() if "zone" in belt.columns else [str(i) for i in range(len(belt))]
    per_zone = {z: round(float(a), 2) for z, a in zip(zones, ov, strict=True)}
    total = float(ov.sum())
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        dist = site.distance_to(belt.geometry.union_all())
        return _noted("ok", "belt", 0.0, 0.0, f"地块不占用沿黄生态带（距生态带 {dist / 1000:,.2f} km）",
                      f"The site does not overlap the Yellow River ecological belt ({dist / 1000:,.2f} km away)",
                      per_zone_m2=per_zone, distance_m=round(dist, 1))
    parts_zh = "、".join(f"{BELT_ZONE_NAMES.get(z, (z, z))[0]} {a:,.0f} m²" for z, a in per_zone.items() if a >= p.min_overlap_m2)
    parts_en = ", ".join(f"{BELT_ZONE_NAMES.get(z, (z, z))[1]} {a:,.0f} m²" for z, a in per_zone.items() if a >= p.min_overlap_m2)
    if rooftop:
        return _noted("ok", "belt", total, share,
                      f"屋顶光伏利用既有建筑，生态带内的屋顶（{parts_zh}）不新增占地",
                      f"Rooftop PV uses existing buildings: roofs inside the belt ({parts_en}) take no new land",
                      per_zone_m2=per_zone)
    if params.site_type == "pv":
        return _pv_belt_finding(total, share, per_zone, parts_zh, parts_en, p)
    return _noted("conflict", "belt", total, share,
                  f"地块有 {total:,.0f} m²（{_pct(share)}）位于沿黄生态带内（{parts_zh}），生态带内不宜新增建设用地",
                  f"{total:,.0f} m² ({_pct(share)}) of the site lie in the Yellow River ecological belt "
                  f"({parts_en}); no new built land should be placed there",
                  per_zone_m2=per_zone)


def _pv_belt_finding(total: float, share: float, per_zone: dict[str, float], parts_zh: str, parts_en: str,
                     p: LandCheckParams) -> Finding:
    """Ground PV in the belt: PV arrays are not 建设用地 (自然资办发〔2023〕12号), so the floodplain (黄河滩区, inside the
    dykes) is governed by the river management range (《河道管理条例》) and flood safety (《黄河保护法》); the
    landward corridor by the plan's ecological belt."""
    fp = per_zone.get("floodplain", 0.0)
    if fp >= p.min_overlap_m2:
        return finding("conflict", "belt", total, share,
                       f"光伏方阵有 {total:,.0f} m²（{_pct(share)}）位于沿黄生态带内（{parts_zh}），其中 {fp:,.0f} m² 在黄河滩区，"
                       "属河道管理范围：方阵不得影响行洪和防洪安全，建设方案须经黄河河务部门审查同意，原则上应避让滩区",
                       f"{total:,.0f} m² ({_pct(share)}) of the PV arrays lie in the Yellow River ecological belt ({parts_en}), "
                       f"{fp:,.0f} m² of it in the floodplain, inside the river management range: arrays may not impair flood "
                       "conveyance or flood safety and need the river authority's approval; the floodplain should be avoided",
                       "river_floodplain", per_zone_m2=per_zone, floodplain_m2=round(fp, 2))
    return _noted("conflict", "belt", total, share,
                  f"光伏方阵有 {total:,.0f} m²（{_pct(share)}）位于沿黄生态带的堤外生态廊道内（{parts_zh}），"
                  "规划生态廊道内不宜布设光伏方阵",
                  f"{total:,.0f} m² ({_pct(share)}) of the PV arrays lie in the belt's landward ecological corridor "
                  f"({parts_en}), where the plan keeps the corridor free of arrays", per_zone_m2=per_zone)


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


def forest_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """Forest land: a warning with the sink lost (PV: 林光互补 only; roofs: a check of the layers)."""
    p, rooftop, site_type = params.thresholds, params.rooftop, params.site_type
    forest = ctx.area_crs("forest")
    if forest is None:
        return _noted("warning", "forest", 0.0, None, "森林碳汇图层暂不可用，未核查林地占用",
                      "Forest carbon-sink layer not available, forest land not checked (no forest layer)")
    ov, lost = forest_sink_lost(site, forest)
    total, sink = float(ov.sum()), float(lost.sum())
    if rooftop:
        return _roof_forest_finding(site, forest, ov, params.rules)
    if site_type == "pv":
        return _pv_forest_finding(site, forest, ov, sink, p)
    share = total / site.area_m2
    if total < p.min_overlap_m2:
        return _noted("ok", "forest", 0.0, 0.0, "地块不占用林地", "The site does not overlap forest land", sink_lost_t_co2_yr=0.0)
    codes = forest["class_code"].astype(str).to_numpy() if "class_code" in forest.columns else np.full(len(forest), "")
    by_class = pd.Series(ov).groupby(codes).sum()
    by_class = by_class[by_class >= p.min_overlap_m2]
    cls_zh = "、".join(f"{FOREST_CLASS_NAMES.get(c, (c, c))[0]} {a:,.0f} m²" for c, a in by_class.items())
    cls_en = ", ".join(f"{FOREST_CLASS_NAMES.get(c, (c, c))[1]} {a:,.0f} m²" for c, a in by_class.items())
    details = {"sink_lost_t_co2_yr": round(sink, 3), "by_class_m2": {k: round(float(v), 2) for k, v in by_class.items()}}
    return _noted("warning", "forest", total, share,
                  f"地块占用林地 {total:,.0f} m²（{_pct(share)}；{cls_zh}），每年约损失碳汇 {sink:,.1f} t CO2，占用林地须依法办理审批",
                  f"The site takes {total:,.0f} m² of forest land ({_pct(share)}; {cls_en}), losing about "
                  f"{sink:,.1f} t CO2/yr of sink; forest land use needs approval", **details)


def sites_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """Other projects' parcels: a conflict on any overlap (rooftop PV may share the plants' roofs)."""
    p, project_no, rooftop = params.thresholds, params.project_no, params.rooftop
    sites = ctx.area_crs("sites")
    if sites is None or len(sites) == 0:
        return _noted("ok", "project_sites", 0.0, 0.0, "没有其他项目地块", "No other project sites")
    others = sites if project_no is None else sites[sites["project_no"].astype(int) != int(project_no)]
    if "site_kind" in others.columns:
        others = others[~others["site_kind"].isin(["rooftops", "footprint"])]
    if rooftop or len(others) == 0:
        return _noted("ok", "project_sites", 0.0, 0.0, "不与其他项目地块冲突（屋顶光伏可与厂房共用屋顶）",
                      "No conflict with other project sites (rooftop PV may share the plants' roofs)")
    ov = site.overlap_by_feature(others.geometry.to_numpy())
    hit = np.flatnonzero(ov >= p.min_overlap_m2)
    if len(hit) == 0:
        return _noted("ok", "project_sites", 0.0, 0.0, "不与其他项目地块重叠", "No overlap with other project sites")
    nos = [int(others["project_no"].iloc[i]) for i in hit]
    total = float(ov[hit].sum())
    zh = "、".join(f"项目{n}（{a:,.0f} m²）" for n, a in zip(nos, ov[hit], strict=True))
    en = ", ".join(f"project {n} ({a:,.0f} m²)" for n, a in zip(nos, ov[hit], strict=True))
    return _noted("conflict", "project_sites", total, total / site.area_m2,
                  f"地块与其他项目地块重叠：{zh}", f"The site overlaps other project sites: {en}",
                  projects=nos, per_project_m2=[round(float(a), 2) for a in ov[hit]])


def devzone_finding(site: PreparedSite, params: CheckParams, ctx: Context) -> Finding:
    """The development zone (经开区): industrial sites outside it (wholly or partly) get a warning."""
    p = params.thresholds
    kind = "industrial" if params.site_type == "industrial" and not params.rooftop else params.project_kind
    zone = ctx.required("devzone")
    inside = float(site.overlap_by_feature(zone.geometry.to_numpy()).sum())
    share = inside / site.area_m2
    industrial = kind == "industrial"
    if share >= 1 - 1e-6 or site.area_m2 - inside < p.min_overlap_m2:
        return _noted("ok", "devzone", inside, 1.0, f"地块全部位于{profile().devzone_zh}内",
                      "The site lies entirely inside the development zone")
    if inside >= p.min_overlap_m2:
        lvl = "warning" if industrial else "ok"
        out_m2 = site.area_m2 - inside
        return _noted(lvl, "devzone", inside, share,
                      f"地块 {_pct(share)} 位于{profile().devzone_zh}内，区外部分 {out_m2:,.0f} m²（{_pct(1 - share)}）"
                      + ("；工业项目宜整体入园" if industrial else ""),
                      f"{_pct(share)} of the site lies inside the development zone, {out_m2:,.0f} m² "
                      f"({_pct(1 - share)}) outside it"
                      + ("; industrial projects should lie wholly inside the zone" if industrial else ""))
    lvl = "warning" if industrial else "ok"
    zh = f"地块位于{profile().devzone_zh}以外" + ("；工业项目原则上应入园" if industrial else "")
    en = "The site lies outside the development zone" + (
        "; industrial projects should be located in the zone" if industrial else ""
    )
    return _noted(lvl, "devzone", 0.0, 0.0, zh, en)


def need_findings(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """The site area against the project's stated land need (±``need_tolerance``); roofs and retrofits need none."""
    p, project = params.thresholds, params.project
    if project is None:
        return []
    kind = str(project.get("project_kind", ""))
    if kind == "rooftops":
        return [_noted("ok", "land_need", 0.0, None, "屋顶光伏项目利用既有建筑屋顶，不新增建设用地",
                       "Rooftop PV uses existing roofs: no new land is needed")]
    out: list[Finding] = []
    need = project.get("land_need_m2")
    if need is not None and pd.notna(need) and float(need) > 0:
        need = float(need)
        ratio = site.area_m2 / need
        area_mu, need_mu = site.area_m2 / M2_PER_MU, need / M2_PER_MU
        if abs(ratio - 1) <= p.need_tolerance:
            out.append(_noted("ok", "land_need", 0.0, ratio,
                              f"地块面积 {area_mu:,.1f} 亩，与项目用地需求约 {need_mu:,.0f} 亩相符（{_pct(ratio)}）",
                              f"Site area {area_mu:,.1f} mu matches the stated need of about {need_mu:,.0f} mu ({_pct(ratio)})"))
        else:
            more = ratio > 1
            out.append(_noted("warning", "land_need", 0.0, ratio,
                              f"地块面积 {area_mu:,.1f} 亩，{'超出' if more else '不足'}项目用地需求约 {need_mu:,.0f} 亩（{_pct(ratio)}）",
                              f"Site area {area_mu:,.1f} mu is {'more' if more else 'less'} than the stated need of about "
                              f"{need_mu:,.0f} mu ({_pct(ratio)})"))
    if kind == "retrofit" and not out:
        out.append(_noted("ok", "land_need", 0.0, None, "技术改造项目利用现有厂房，未列新增用地需求",
                          "Retrofit of existing buildings: no new land need is stated"))
    return out

def support_findings(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """A PV site's 配套设施 part (自然资办发〔2023〕12号 二、（二））, checked as construction land: on 永久基本农田 a
    conflict; otherwise a warning that it needs construction-land approval, 农用地转用 for the 农用地 it takes and
    占补平衡 for the 耕地 (a polygon: measured; an area only: stated, its land classes unknown)."""
    if params.site_type != "pv" or params.rooftop or (params.support is None and not params.support_area_m2):
        return []
    if params.support is None:
        a = float(params.support_area_m2 or 0.0)
        return [finding("warning", "support_facilities", a, a / site.area_m2,
                        f"光伏配套设施用地 {a:,.0f} m²（{_mu(a)} 亩）按建设用地管理：须办理建设用地审批，占用农用地的办理农用地转用，"
                        "占用耕地的落实占补平衡；未给出其位置，未核查其占用的地类",
                        f"{a:,.0f} m² ({_mu(a)} mu) of PV support facilities are construction land: they need construction-"
                        "land approval, farm-land conversion for farm land and 占补平衡 for cropland; their location is not "
                        "given, so their land classes are not checked", "pv_support", support_m2=round(a, 2))]
    from cyc_geo.planning.landuse_breakdown import group_totals, landuse_breakdown

    sup = params.support
    as_built = dataclasses.replace(params, site_type="public", support=None, support_area_m2=None)
    farm = farmland_finding(sup, as_built, ctx)
    crop = cropland_findings(sup, as_built, ctx)[0]
    rows = landuse_breakdown(sup, False, ctx, params.thresholds.min_overlap_m2)
    agri = group_totals(rows).get("agricultural", 0.0)
    a = sup.area_m2
    farm_m2 = farm.overlap_m2 if farm.level == "conflict" else 0.0
    crop_m2 = crop.overlap_m2 if crop.level == "warning" else 0.0
    extra = {"support_m2": round(a, 2), "farmland_m2": farm_m2, "cropland_m2": crop_m2, "agricultural_m2": agri,
             "landuse_breakdown": rows}
    head_zh = f"光伏配套设施用地 {a:,.0f} m²（{_mu(a)} 亩）按建设用地管理"
    head_en = f"{a:,.0f} m² ({_mu(a)} mu) of PV support facilities are construction land"
    if farm_m2 >= params.thresholds.min_overlap_m2:
        return [finding("conflict", "support_facilities", farm_m2, farm_m2 / a,
                        f"{head_zh}，其中 {farm_m2:,.0f} m² 占用永久基本农田：不得占用，须调整配套设施选址",
                        f"{head_en}; {farm_m2:,.0f} m² of them lie on permanent basic farmland, which they may not take: "
                        "move them", "pv_support", **extra)]
    return [finding("warning", "support_facilities", a, None,
                    f"{head_zh}：须办理建设用地审批；占用农用地 {agri:,.0f} m²（{_mu(agri)} 亩）须办理农用地转用"
                    + (f"，其中耕地 {crop_m2:,.0f} m²（{_mu(crop_m2)} 亩）须落实占补平衡" if crop_m2 else ""),
                    f"{head_en}: construction-land approval; {agri:,.0f} m² of farm land need farm-land conversion"
                    + (f", {crop_m2:,.0f} m² of it cropland needing 占补平衡" if crop_m2 else ""),
                    "pv_support", **extra)]


Check = Callable[[PreparedSite, CheckParams, Context], "Finding | list[Finding]"]
"""A rule: (prepared site, parameters, context layers) -> one finding or a list of them."""

CHECKS: tuple[Check, ...] = (
    input_findings, county_finding, township_finding, farmland_finding, redline_finding, urban_boundary_finding,
    cropland_findings, belt_finding, forest_finding, forest_protection_finding, sites_finding, devzone_finding, need_findings,
    industrial_land_findings, support_findings,
)
"""Every rule of the land check, in the order of its findings."""


def run_checks(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """The findings of every rule of :data:`CHECKS` on ``site``."""
    out: list[Finding] = []
    for check in CHECKS:
        got = check(site, params, ctx)
        out.extend(got if isinstance(got, list) else [got])
    return out


def conflict_areas(site: PreparedSite, params: CheckParams, ctx: Context) -> gpd.GeoDataFrame:
    """Where the site conflicts, as polygons (WGS84): ``layer``, ``level``, ``area_m2`` per piece.

    Basic farmland, red line, cropland outside basic farmland, the belt, forest, and the part outside
    the development boundary for urban construction. Empty for rooftop sites (roofs take no land).
    """
    p, site_type = params.thresholds, params.site_type
    rows: list[dict[str, Any]] = []
    if not params.rooftop and len(site.parts) <= p.max_parts_union:
        whole = _union(site)

        def clip(name: str, keep: Callable[[gpd.GeoDataFrame], Any] | None = None) -> shapely.Geometry | None:
            gdf = ctx.area_crs(name)
            if gdf is not None and keep is not None:
                gdf = gdf[keep(gdf)]
            if gdf is None or len(gdf) == 0:
                return None
            geoms = gdf.geometry.to_numpy()
            near = geoms[shapely.STRtree(geoms).query(whole, predicate="intersects")]
            if len(near) == 0:
                return None
            piece = shapely.intersection(shapely.union_all(near), whole)
            return None if piece.area < p.min_overlap_m2 else piece

        pv = site_type == "pv"
        for name, level in (("farmland", "conflict"), ("eco_redline", "conflict"), ("belt", "conflict")):
            piece = clip(name)
            if piece is not None:
                rows.append({"layer": name, "level": level, "geometry": piece})

        def shrub(g: gpd.GeoDataFrame) -> Any:
            return _col(g, "class_code").astype(str) == PV_SHRUB_CODES[0]

        # PV arrays: 灌木林地 a warning, every other forest class a conflict (12号); other sites: a warning
        forest_parts = ((lambda g: ~shrub(g), "conflict"), (shrub, "warning")) if pv else ((None, "warning"),)
        for keep, level in forest_parts:
            piece = clip("forest", keep)
            if piece is not None:
                rows.append({"layer": "forest", "level": level, "geometry": piece})
        piece = clip("forest_protection", lambda g: np.array([protection_level(v) == "Ⅰ" for v in _col(g, "protection_level")],
                                                            dtype=bool))
        if piece is not None:
            rows.append({"layer": "forest_protection", "level": "conflict", "geometry": piece})
        if ctx.area_crs("cropland") is not None:
            _, _, _, geoms = cropland_rest(site, ctx, p.min_overlap_m2)
            if geoms:
                rows.append({"layer": "cropland", "level": "conflict" if pv else "warning",
                             "geometry": shapely.union_all(geoms)})
        ub = ctx.area_crs("urban_boundary")
        if ub is not None and site_type in URBAN_TYPES:
            out = shapely.difference(whole, shapely.union_all(ub.geometry.to_numpy()))
            if out.area >= p.min_overlap_m2:
                level = "conflict" if site_type == "industrial" and not params.standalone_siting else "warning"
                rows.append({"layer": "urban_boundary", "level": level, "geometry": out})
    gdf = gpd.GeoDataFrame(rows, columns=["layer", "level", "geometry"], geometry="geometry", crs=AREA_CRS)
    gdf["area_m2"] = gdf.geometry.area
    return gdf.to_crs(WGS84)
