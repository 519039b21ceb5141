"""《工业项目建设用地控制指标》(国土资发〔2008〕24号): the five indicators an industrial project's land must meet.

24号 四、: (一) investment intensity (投资强度, 表1, by region class and industry), (二) plot ratio (容积率, 表2, a
minimum by 国民经济行业分类 division), (三) building coverage (建筑系数) ≥ 30 %, (四) land for administration
offices and living services (行政办公及生活服务设施用地) ≤ 7 % of the project land, (五) green-land ratio
(绿地率) ≤ 20 %. The check tests every indicator the project's figures allow and says which it could not test
and why (check id ``land_indicators``). 24号 sets no maximum plot ratio: above :attr:`RuleParams.max_plot_ratio`
the check only asks to verify the site is not too small (the project's own choice, not 24号).

Figures: the 附件2 project (floor area, investment; data/reference/projects.csv), its division and further
figures (data/reference/project_land_indicators.csv) and what the caller gives (:class:`IndustryFigures`, the
CLI's ``--industry``, ``--floor-area`` …), the caller's figures winning. The 表2 minima are
data/reference/industrial_land_24.csv (divisions of GB/T 4754-2002, which 24号 uses). Sources: docs/sources.md,
"Land-use rules".
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

import pandas as pd

from cyc_geo import paths
from cyc_geo.geo.crs import M2_PER_HA, M2_PER_MU
from cyc_geo.places.profile import profile
from cyc_geo.planning.site import CheckParams, Context, Finding, IndustryFigures, PreparedSite, Rule

DOC = "国土资源部《工业项目建设用地控制指标》（国土资发〔2008〕24号）"
RULES_24 = {key: dataclasses.replace(rule, key=key) for key, rule in {
    "plot_ratio": Rule(DOC, "四、（二）容积率控制指标（表2）",
                       "容积率控制指标应符合表2的规定（按国民经济行业分类，如通用设备制造业、专用设备制造业不低于0.7，农副食品加工业不低于1.0）",
                       "The plot ratio must meet Table 2 (a minimum per industry division, e.g. 0.7 for general- and "
                       "special-purpose equipment, 1.0 for agricultural food processing)"),
    "building_coverage": Rule(DOC, "四、（三）建筑系数", "工业项目的建筑系数应不低于30%",
                              "Building coverage of an industrial project at least 30 %"),
    "office_share": Rule(DOC, "四、（四）行政办公及生活服务设施用地所占比重",
                         "工业项目所需行政办公及生活服务设施用地面积不得超过工业项目总用地面积的7%",
                         "Land for administration offices and living services at most 7 % of the project land"),
    "green_share": Rule(DOC, "四、（五）绿地率",
                        "工业企业内部一般不得安排绿地；因生产工艺等特殊要求需要安排一定比例绿地的，绿地率不得超过20%",
                        "In principle no green land inside an industrial plant; where the process needs some, at most 20 %"),
    "investment_intensity": Rule(DOC, "四、（一）投资强度控制指标（表1）",
                                 "投资强度控制指标应符合表1的规定（按地区分类和行业分类）",
                                 "Investment intensity must meet Table 1 (by region class and industry)"),
}.items()}
"""The 24号 indicators the check cites."""

TABLE_CSV = "industrial_land_24.csv"
PROJECT_CSV = "project_land_indicators.csv"


@lru_cache(maxsize=1)
def plot_ratio_table() -> pd.DataFrame:
    """24号 表2: ``division`` (GB/T 4754-2002, 2 digits), ``name_zh``, ``min_plot_ratio``."""
    df = pd.read_csv(paths.REFERENCE_DIR / TABLE_CSV, dtype={"division": str})
    df["division"] = df["division"].str.zfill(2)
    return df


def min_plot_ratio(division: str | None) -> tuple[float, str] | None:
    """The 表2 minimum plot ratio and the division's name, or None for a division 表2 does not list."""
    if not division:
        return None
    d = str(division).strip().upper().lstrip("C")[:2].zfill(2)
    hit = plot_ratio_table()[plot_ratio_table()["division"] == d]
    return None if hit.empty else (float(hit["min_plot_ratio"].iloc[0]), str(hit["name_zh"].iloc[0]))


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


@lru_cache(maxsize=1)
def _project_table() -> pd.DataFrame:
    path = paths.REFERENCE_DIR / PROJECT_CSV
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else pd.DataFrame(columns=["序号"])


def project_figures(project: Any) -> IndustryFigures:
    """The figures 附件2 and data/reference/project_land_indicators.csv give for a project (None: not stated)."""
    if project is None:
        return IndustryFigures()
    floor = _num(project.get("floor_area_m2"))
    if floor is None:
        floor = _num(project.get("new_floor_area_m2"))
    rows = _project_table()
    row = rows[rows["序号"].astype(str) == str(project.get("序号"))]
    extra = {} if row.empty else row.iloc[0].to_dict()
    return IndustryFigures(division=(extra.get("industry_division") or None), floor_area_m2=floor,
                           footprint_m2=_num(extra.get("building_footprint_m2")),
                           office_land_m2=_num(extra.get("office_land_m2")), green_land_m2=_num(extra.get("green_land_m2")),
                           investment_wan=_num(project.get("投资规模(万元)")))


def merged_figures(params: CheckParams) -> IndustryFigures:
    """The project's figures overridden by the caller's (:attr:`CheckParams.industry`)."""
    base = project_figures(params.project)
    given = params.industry
    if given is None:
        return base
    return dataclasses.replace(base, **{f.name: getattr(given, f.name) for f in dataclasses.fields(given)
                                        if getattr(given, f.name) is not None})


def _f(level: str, check: str, share: float | None, zh: str, en: str, rule: str | None, **extra: Any) -> Finding:
    return Finding.of(level, check, 0.0, share, zh, en, RULES_24[rule] if rule else None, **extra)


def industrial_land_findings(site: PreparedSite, params: CheckParams, ctx: Context) -> list[Finding]:
    """The 24号 indicators of an industrial site (a new industrial project, or a free site of type industrial with
    figures); none for retrofits (existing buildings), rooftops and other site types."""
    if params.rooftop or params.site_type != "industrial" or params.project_kind == "retrofit":
        return []
    fig = merged_figures(params)
    if params.project is None and params.industry is None:
        return []
    area = site.area_m2
    out: list[Finding] = []
    missing: list[tuple[str, str]] = []
    table = min_plot_ratio(fig.division)
    # (二) plot ratio
    if fig.floor_area_m2 is None:
        missing.append(("容积率：未给出建筑面积", "plot ratio: no floor area given"))
    else:
        out.extend(_plot_ratio(fig, fig.floor_area_m2, table, area, params))
    # (三) building coverage
    if fig.footprint_m2 is None:
        missing.append(("建筑系数：未给出建筑物、构筑物占地面积", "building coverage: no building footprint given"))
    else:
        cov = fig.footprint_m2 / area
        lo = params.rules.min_building_coverage
        ok = cov >= lo
        out.append(_f("ok" if ok else "warning", "building_coverage", cov,
                      f"建筑系数 {100 * cov:.1f}%（占地 {fig.footprint_m2:,.0f} m²）{'不低于' if ok else '低于'} {100 * lo:.0f}%",
                      f"Building coverage {100 * cov:.1f} % (footprint {fig.footprint_m2:,.0f} m²) is "
                      f"{'at least' if ok else 'below'} {100 * lo:.0f} %", "building_coverage",
                      building_coverage=round(cov, 4), min_building_coverage=lo))
    # (四) offices and living services
    if fig.office_land_m2 is None:
        missing.append(("行政办公及生活服务设施用地：未给出面积", "office and living-service land: not given"))
    else:
        sh = fig.office_land_m2 / area
        hi = params.rules.max_office_share
        ok = sh <= hi
        out.append(_f("ok" if ok else "conflict", "office_share", sh,
                      f"行政办公及生活服务设施用地 {fig.office_land_m2:,.0f} m²，占用地 {100 * sh:.1f}%，{'未超过' if ok else '超过'} "
                      f"{100 * hi:.0f}%",
                      f"Office and living-service land {fig.office_land_m2:,.0f} m² is {100 * sh:.1f} % of the site, "
                      f"{'within' if ok else 'above'} the {100 * hi:.0f} % limit", "office_share",
                      office_share=round(sh, 4), max_office_share=hi))
    # (五) green land
    if fig.green_land_m2 is None:
        missing.append(("绿地率：未给出绿地面积", "green-land ratio: no green land given"))
    else:
        sh = fig.green_land_m2 / area
        hi = params.rules.max_green_share
        ok = sh <= hi
        out.append(_f("ok" if ok else "conflict", "green_share", sh,
                      f"绿地率 {100 * sh:.1f}%（绿地 {fig.green_land_m2:,.0f} m²），{'未超过' if ok else '超过'} {100 * hi:.0f}%"
                      + ("；工业企业内部一般不得安排绿地" if sh > 0 else ""),
                      f"Green-land ratio {100 * sh:.1f} % ({fig.green_land_m2:,.0f} m²), {'within' if ok else 'above'} "
                      f"the {100 * hi:.0f} % limit", "green_share", green_share=round(sh, 4), max_green_share=hi))
    # (一) investment intensity: the figure, never the test (表1's value for the county's region class is not at hand)
    if fig.investment_wan is None:
        missing.append(("投资强度：未给出投资额", "investment intensity: no investment given"))
    else:
        inten = fig.investment_wan / (area / M2_PER_HA)
        out.append(_f("info", "investment_intensity", None,
                      f"投资强度 {inten:,.0f} 万元/公顷（投资 {fig.investment_wan:,.0f} 万元 / {area / M2_PER_HA:,.2f} 公顷）："
                      f"须对照表1中{profile().short_zh}所属"
                      "地区分类（按工业用地出让最低价标准等别）和行业的控制值核定，本系统未载入表1，未作判定",
                      f"Investment intensity {inten:,.0f} × 10k yuan/ha ({fig.investment_wan:,.0f} × 10k yuan over "
                      f"{area / M2_PER_HA:,.2f} ha): "
                      f"compare it with Table 1 for {profile().name_en}'s region class (by its industrial land-price grade) and the "
                      "industry; Table 1 is not loaded, so it is not judged", "investment_intensity",
                      investment_intensity_wan_per_ha=round(inten, 1)))
        missing.append((f"投资强度：表1按地区分类的控制值未载入（{profile().short_zh}所属地区分类须按国土资发〔2006〕307号的工业用地等别确定）",
                        f"investment intensity: Table 1's values by region class are not loaded ({profile().name_en}'s class "
                        "follows its industrial land-price grade, land resources document [2006] No. 307)"))
    if missing:
        out.append(Finding.of("info", "land_indicators", 0.0, None,
                              "24号指标未能核查：" + "；".join(m[0] for m in missing) + "（可由编辑补充项目数据）",
                              "Indicators of land resources document [2008] No. 24 not checked: " + "; ".join(m[1] for m in missing)
                              + " (an editor can add the project's figures)",
                              not_checked=[m[1] for m in missing]))
    return out


def _plot_ratio(fig: IndustryFigures, floor_m2: float, table: tuple[float, str] | None, area: float,
                params: CheckParams) -> list[Finding]:
    far = floor_m2 / area
    hi = params.rules.max_plot_ratio
    if table is None:
        lo, div_zh, div_en = params.thresholds.min_plot_ratio, "行业未给出或表2未列", "industry not given or not in Table 2"
    else:
        lo, div_zh, div_en = table[0], f"{fig.division} {table[1]}", f"division {fig.division}"
    need_lo, need_hi = floor_m2 / hi, floor_m2 / lo
    extra = {"plot_ratio": round(far, 3), "min_plot_ratio": lo, "max_plot_ratio": hi, "industry_division": fig.division,
             "site_range_mu": [round(need_lo / M2_PER_MU, 1), round(need_hi / M2_PER_MU, 1)]}
    span_zh = f"按建筑面积 {fig.floor_area_m2:,.0f} m² 与容积率 {lo}，用地不宜超过 {need_hi / M2_PER_MU:,.0f} 亩"
    span_en = (f"with {fig.floor_area_m2:,.0f} m² of floor area and a plot ratio of {lo} the site should not exceed "
               f"{need_hi / M2_PER_MU:,.0f} mu")
    out = []
    if far < lo:
        out.append(_f("warning", "plot_ratio", far,
                      f"容积率仅 {far:.2f}，低于24号表2的控制值 {lo}（{div_zh}），地块可能偏大（{span_zh}）",
                      f"Plot ratio only {far:.2f}, below Table 2's minimum of {lo} ({div_en}): the site may be too large ({span_en})",
                      "plot_ratio", **extra))
    else:
        out.append(_f("ok", "plot_ratio", far, f"容积率 {far:.2f}，不低于24号表2的控制值 {lo}（{div_zh}）",
                      f"Plot ratio {far:.2f} meets Table 2's minimum of {lo} ({div_en})", "plot_ratio", **extra))
    if far > hi:
        out.append(Finding.of("warning", "plot_ratio_high", 0.0, far,
                              f"请核对：容积率 {far:.2f} 高于本系统取的工业厂房常见上限 {hi}（项目自定的核对值，24号未设上限），"
                              f"地块可能不足以容纳建筑面积（按容积率 {hi}，用地约需 {need_lo / M2_PER_MU:,.0f} 亩）",
                              f"Please check: plot ratio {far:.2f} is above {hi}, the usual ceiling of a plant that this tool "
                              f"assumes (its own check value; 24号 sets no maximum): the site may be too small for the floor "
                              f"area (at {hi} it would need about {need_lo / M2_PER_MU:,.0f} mu)",
                              details={"basis": "project choice (RuleParams.max_plot_ratio), not 国土资发〔2008〕24号"},
                              plot_ratio=round(far, 3), max_plot_ratio=hi))
    return out
