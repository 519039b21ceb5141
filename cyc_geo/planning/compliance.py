"""The compliance report of a checked site (用地合规性核查报告): map, findings, parcels, rules, sources.

One report for any checked site (plan project, uploaded or drawn): a close-up map (PNG) with the
site and its conflict areas over basic farmland, red line, development boundary, belt and forest;
the findings; the per-parcel table of the basic farmland taken; the rules cited; the data sources
with their data years and the demo label. Excel and PDF through :mod:`cyc_geo.exports`.
"""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.exports import excel, pdf
from cyc_geo.exports.meta import MISSING, ExportMeta
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU
from cyc_geo.planning.landcheck import CheckContext
from cyc_geo.planning.rules import SITE_TYPE_NAMES
from cyc_geo.planning.site import Finding, LandCheck, Rule
from cyc_geo.planning.sites_table import AREA_COLOURS, CHECK_NAMES

LEVEL_NAMES = {"conflict": ("冲突", "conflict"), "warning": ("注意", "warning"), "ok": ("通过", "ok"), "info": ("提示", "info")}
LEVEL_FILLS = {"conflict": (248, 203, 203), "warning": (253, 234, 200), "ok": None, "info": None}

MAP_LAYERS: tuple[tuple[str, str, str, str, str], ...] = (
    # (context layer, zh, en, face colour, edge colour)
    ("urban_boundary", "城镇开发边界", "Urban development boundary", "#cab2d633", "#6a3d9a"),
    ("belt", "沿黄生态带", "Yellow River belt", "#a6dba066", "#1b7837"),
    ("cropland", "耕地", "Cropland", "#f6e8a673", "#a6761d"),
    ("farmland", "永久基本农田", "Basic farmland", "#f2d03b88", "#b8860b"),
    ("eco_redline", "生态保护红线", "Ecological red line", "#f4a58288", "#b2182b"),
    ("forest", "林地", "Forest land", "#1a7a2e99", "#1a7a2e"),
)
"""What the report map and the page map draw under the site, bottom first (colours as the layer TOMLs)."""
CONFLICT_COLOURS = AREA_COLOURS
DETAIL_LAYERS = ("cropland", "farmland", "forest")
MAX_DETAIL_WINDOW_M2 = 100e6
"""Map windows larger than 100 km² leave out the parcel-level layers (project choice: at that scale the
thousands of parcels are unreadable and take half a minute to draw)."""



def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _pair(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _sorted(result: LandCheck) -> list[Finding]:
    """The findings, most severe first."""
    order = {"conflict": 0, "warning": 1, "ok": 2, "info": 3}
    return sorted(result.findings, key=lambda f: order.get(f.level, 9))


def findings_table(result: LandCheck, lang: str = "zh") -> pd.DataFrame:
    """Findings, most severe first: level, layer, overlap (m², 亩), reason and the rule cited."""
    rows = []
    for f in _sorted(result):
        rows.append({
            _t(lang, "级别", "Level"): _pair(LEVEL_NAMES.get(f.level, (f.level, f.level)), lang),
            _t(lang, "图层", "Layer"): _pair(CHECK_NAMES.get(f.check, (f.check, f.check)), lang),
            _t(lang, "面积", "Area"): _area(f),
            _t(lang, "亩数", "Mu"): _area(f) / M2_PER_MU,
            _t(lang, "说明", "Reason"): f.reason(lang),
            _t(lang, "依据", "Rule"): rule_citation(f.rule, lang) if f.rule else MISSING,
        })
    return pd.DataFrame(rows)


DOCUMENTS_EN: dict[str, str] = {
    "《中华人民共和国土地管理法》（2019年修正）": "Land Administration Law of the PRC (2019 amendment)",
    "中共中央办公厅 国务院办公厅《关于在国土空间规划中统筹划定落实三条控制线的指导意见》（厅字〔2019〕48号）":
        "General Offices of the CPC Central Committee and the State Council, Guidance on delimiting the three control "
        "lines in territorial spatial planning (2019, No. 48)",
    "自然资源部 生态环境部 国家林业和草原局《关于加强生态保护红线管理的通知（试行）》（自然资发〔2022〕142号）":
        "Ministry of Natural Resources, Ministry of Ecology and Environment and National Forestry and Grassland "
        "Administration, Notice on strengthening the management of the ecological red line (trial; 2022, No. 142)",
    "自然资源部办公厅 国家林业和草原局办公室 国家能源局综合司《关于支持光伏发电产业发展规范用地管理有关工作的通知》"
    "（自然资办发〔2023〕12号）":
        "Ministry of Natural Resources, National Forestry and Grassland Administration and National Energy "
        "Administration, Notice on land use of PV power projects (2023, No. 12)",
    "国家林业局《建设项目使用林地审核审批管理办法》（国家林业局令第35号，2016年修改）":
        "State Forestry Administration, Measures on the review and approval of forest land used by construction "
        "projects (Order No. 35, 2016 amendment)",
    "《中华人民共和国河道管理条例》（2018年修正）；《中华人民共和国黄河保护法》（2022年）":
        "River Course Management Regulations of the PRC (2018 amendment); Yellow River Protection Law of the PRC (2022)",
    "国土资源部《工业项目建设用地控制指标》（国土资发〔2008〕24号）":
        "Ministry of Land and Resources, Control indicators for industrial project land (2008, No. 24)",
}
"""English names of the documents the land check cites (:data:`cyc_geo.planning.rules.RULES`)."""


def rule_citation(rule: Rule, lang: str) -> str:
    """A rule's document and article in ``lang``: in English the document's English name (its articles are
    cited in the Chinese report), the Chinese citation when no English name is known."""
    if lang == "zh" or rule.document not in DOCUMENTS_EN:
        return f"{rule.document} {rule.article}"
    return DOCUMENTS_EN[rule.document]


NO_AREA_CHECKS = frozenset({"plot_ratio", "plot_ratio_high", "land_need", "building_coverage", "office_share",
                            "green_share", "investment_intensity", "land_indicators", "crs"})
"""Checks of a figure, not of an overlap with a layer (容积率, 投资强度, …): their area cells stay empty."""


def _area(f: Finding) -> float:
    """The area a finding is about (m²): the outside part for the development boundary, else the overlap;
    NaN (an empty cell) for checks of a figure (:data:`NO_AREA_CHECKS`)."""
    if f.check in NO_AREA_CHECKS:
        return float("nan")
    if f.check == "urban_boundary" and f.outside_m2:
        return f.outside_m2
    return float(f.overlap_m2)


FINDING_UNITS = {"面积": "m²", "Area": "m²", "亩数": "亩", "Mu": "mu"}


def parcel_table(result: LandCheck, lang: str = "zh") -> pd.DataFrame:
    """The basic-farmland parcels the site takes: 图斑编号, 标识码, code, class, 坐落单位, the parcel's own 图斑面积
    (from the file, m²), overlap m² and 亩, share."""
    farm = result.finding("farmland")
    rows = [] if farm is None else farm.parcels
    cols = [_t(lang, "图斑编号", "Parcel no."), _t(lang, "标识码", "Parcel"), _t(lang, "地类编码", "Code"),
            _t(lang, "地类名称", "Class"), _t(lang, "坐落单位", "Located in"), _t(lang, "图斑面积", "Parcel area"),
            _t(lang, "占用面积", "Overlap"), _t(lang, "占用亩数", "Overlap (mu)"), _t(lang, "占地块比例", "Share of site")]
    data = [[r.get("parcel_no", ""), r.get("parcel_id", ""), r["code"], r["name"], r.get("located_in", ""),
             r.get("parcel_area_m2"), r["overlap_m2"], r["overlap_mu"], 100 * r["share"]] for r in rows]
    return pd.DataFrame(data, columns=cols)


def landuse_table(result: LandCheck, lang: str = "zh") -> pd.DataFrame:
    """The site's 三调 地类 breakdown (建设用地 / 农用地 / 未利用地, each class with m² and 亩), the first table of a
    用地预审 (:mod:`cyc_geo.planning.landuse_breakdown`)."""
    from cyc_geo.planning.landuse_breakdown import GROUPS

    cols = [_t(lang, "三大类", "Land class"), _t(lang, "地类编码", "Code"), _t(lang, "地类名称", "Class"),
            _t(lang, "面积", "Area"), _t(lang, "亩数", "Mu"), _t(lang, "占地块比例", "Share of site")]
    data = [[_pair(GROUPS.get(r.get("group", "unknown"), GROUPS["unknown"]), lang), r["code"] or MISSING,
             _class_name(r, lang),
             r["overlap_m2"], r["overlap_mu"], 100 * r["overlap_m2"] / result.area_m2 if result.area_m2 else 0.0]
            for r in result.landuse_breakdown]
    return pd.DataFrame(data, columns=cols)


def _class_name(row: dict, lang: str) -> str:
    """A breakdown row's class name in ``lang``: the 三调 class table's English name for a known code (a
    planner's 地类图斑 file carries only its DLMC)."""
    from cyc_geo.carbon.landcover import CLASSES

    code = str(row.get("code") or "")
    if lang == "en" and code.isdigit() and int(code) in CLASSES:
        return CLASSES[int(code)].name_en
    return row["name"]


LANDUSE_UNITS = {"面积": "m²", "Area": "m²", "亩数": "亩", "Mu": "mu", "占地块比例": "%", "Share of site": "%"}


PARCEL_UNITS = {"图斑面积": "m²", "Parcel area": "m²", "占用面积": "m²", "Overlap": "m²", "占用亩数": "亩",
                "Overlap (mu)": "mu", "占地块比例": "%", "Share of site": "%"}


def rules_table(result: LandCheck, lang: str = "zh") -> pd.DataFrame:
    """The rules cited: document, article, what it says."""
    return pd.DataFrame(
        [[r.document, r.article, r.summary_zh if lang == "zh" else r.summary_en] for r in result.rules],
        columns=[_t(lang, "文件", "Document"), _t(lang, "条款", "Article"), _t(lang, "内容", "Content")],
    )


def source_lines(ctx: CheckContext, lang: str = "zh") -> list[str]:
    """One line per context layer: name, status (demo / approximate / real), source and data year."""
    names = {"county": ("市域边界", "City outline"), "townships": ("乡镇边界", "Townships"), "belt": ("沿黄生态带", "Yellow River belt"),
             "forest": ("林地图斑", "Forest patches"), "devzone": ("经开区", "Development zone"),
             "farmland": ("永久基本农田", "Basic farmland"), "eco_redline": ("生态保护红线", "Ecological red line"),
             "urban_boundary": ("城镇开发边界", "Development boundary"), "cropland": ("耕地", "Cropland"),
             "forest_protection": ("林地保护等级", "Forest protection level")}
    out = []
    for key, pair in names.items():
        try:
            gdf = ctx.get(key)
        except Exception:  # noqa: BLE001 - a layer that cannot load is listed as missing
            gdf = None
        if gdf is None:
            out.append(f"{_pair(pair, lang)}：{_t(lang, '不可用', 'not available')}")
            continue
        prov = provenance_of(gdf)
        year = prov.data_year or MISSING
        out.append(f"{_pair(pair, lang)}：{prov.label(lang)} · {prov.source or MISSING} · "
                   f"{_t(lang, '数据年份', 'data year')} {year}")
    return out


def _any_demo(ctx: CheckContext, result: LandCheck) -> bool:
    return bool(result.demo_layers)


def declarations(result: LandCheck, lang: str = "zh") -> list[str]:
    """What the site was declared to be (单独选址 project, a permitted limited activity in the red line)."""
    out = []
    if result.standalone_siting:
        out.append(_t(lang, "单独选址项目（位于城镇开发边界外须论证选址必要性）",
                      "standalone-siting project (单独选址; outside the development boundary its siting must be justified)"))
    red = result.finding("eco_redline")
    if red is not None and red.extra.get("activity"):
        from cyc_geo.planning.rules import REDLINE_ACTIVITIES

        pair = REDLINE_ACTIVITIES.get(str(red.extra["activity"]), (str(red.extra["activity"]),) * 2)
        out.append(_t(lang, "生态保护红线内有限人为活动：", "permitted limited activity in the red line: ") + _pair(pair, lang))
    return out


def report_meta(result: LandCheck, ctx: CheckContext, lang: str, site_label: str) -> ExportMeta:
    stype = _pair(SITE_TYPE_NAMES.get(result.site_type, ("其他", "other")), lang)
    status = _pair(LEVEL_NAMES.get(result.status, (result.status,) * 2), lang)
    mu = _t(lang, "亩", "mu")
    filters = {_t(lang, "地块", "Site"): site_label, _t(lang, "地块类型", "Site type"): stype,
               _t(lang, "面积", "Area"): f"{result.area_m2:,.0f} m² = {result.area_mu:,.2f} {mu} = {result.area_ha:,.4f} ha",
               _t(lang, "结论", "Result"): status}
    decl = declarations(result, lang)
    if decl:
        filters[_t(lang, "申报声明", "Declared")] = "；".join(decl) if lang == "zh" else "; ".join(decl)
    return ExportMeta(
        title=("用地合规性核查报告", "Land compliance report"),
        lang=lang,
        filters=filters,
        sources=source_lines(ctx, lang),
        demo=_any_demo(ctx, result),
    )


def map_png(site: gpd.GeoDataFrame, conflicts: gpd.GeoDataFrame, ctx: CheckContext, lang: str = "zh", dpi: int = 110) -> bytes:
    """Close-up PNG of :func:`map_figure`."""
    import matplotlib.pyplot as plt

    fig = map_figure(site, conflicts, ctx, lang, dpi)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", pad_inches=0.08)
    plt.close(fig)
    return buf.getvalue()


def map_figure(site: gpd.GeoDataFrame, conflicts: gpd.GeoDataFrame, ctx: CheckContext, lang: str = "zh",
               dpi: int = 110) -> Any:
    """Close-up map (a matplotlib Figure): context layers near the site (cropland among them), the site outline,
    conflict areas in red/orange, a scale bar and a north arrow, no coordinate axes, and a legend beside the map
    with a row for everything drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from cyc_geo.planning.report import _draw, cjk_font_family, north_arrow, scale_bar

    family = cjk_font_family()
    use_zh = lang == "zh" and family is not None
    site_m = site.to_crs(AREA_CRS)
    minx, miny, maxx, maxy = site_m.total_bounds
    pad = min(max(maxx - minx, maxy - miny, 600.0) * 0.5, 3_000.0)
    window = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    handles = []
    with plt.rc_context({"font.family": [family, "DejaVu Sans"]} if family else None):
        fig, ax = plt.subplots(figsize=(8.5, 6.0), dpi=dpi)
        for key, zh, en, face, edge in MAP_LAYERS:
            if key in DETAIL_LAYERS and window.area > MAX_DETAIL_WINDOW_M2:
                continue  # a county-wide site (a rooftop set): parcels and patches would be a blur (and slow)
            gdf = ctx.area_crs(key)
            if gdf is None or len(gdf) == 0:
                continue
            near = gdf.geometry.to_numpy()[shapely.STRtree(gdf.geometry.to_numpy()).query(window, predicate="intersects")]
            near = shapely.intersection(near, window)
            near = near[shapely.area(near) > 0]  # a patch touching the window's edge is not on the map
            if len(near):
                _draw(ax, near, facecolor=face, edgecolor=edge, linewidth=0.6)
                handles.append(Patch(facecolor=face, edgecolor=edge, label=zh if use_zh else en))
        cm = conflicts.to_crs(AREA_CRS) if len(conflicts) else conflicts
        for level in ("warning", "conflict"):
            part = cm[cm["level"] == level] if len(cm) else cm
            if len(part):
                _draw(ax, part.geometry, facecolor=CONFLICT_COLOURS[level], edgecolor=CONFLICT_COLOURS[level],
                      alpha=0.55, hatch="///", linewidth=0.8)
                handles.append(Patch(facecolor=CONFLICT_COLOURS[level], alpha=0.55, hatch="///",
                                     label=("冲突区域" if level == "conflict" else "注意区域") if use_zh else
                                     ("conflict area" if level == "conflict" else "warning area")))
        _draw(ax, site_m.geometry, facecolor="none", edgecolor="#000000", linewidth=1.8)
        handles.append(Patch(facecolor="none", edgecolor="#000000", linewidth=1.8, label="核查地块" if use_zh else "checked site"))
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])  # no raw projected coordinates on a map for readers: a scale bar and north arrow instead
        scale_bar(ax)
        north_arrow(ax, use_zh)
        ax.set_title("地块与三区三线" if use_zh else "Site and the planning control lines", fontsize=10)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, framealpha=0.9,
                  borderaxespad=0.0)
        fig.tight_layout()
    return fig


def report_xlsx(result: LandCheck, ctx: CheckContext, lang: str, site_label: str,
                map_image: bytes | None = None) -> bytes:
    """The compliance report as Excel: findings, parcels, rules (each sheet with the header block)."""
    meta = report_meta(result, ctx, lang, site_label)
    sheets = {_t(lang, "核查结论", "Findings"): findings_table(result, lang),
              _t(lang, "地类现状", "Land use now"): landuse_table(result, lang),
              _t(lang, "永久基本农田图斑", "Farmland parcels"): parcel_table(result, lang),
              _t(lang, "依据", "Rules"): rules_table(result, lang)}
    units = {_t(lang, "核查结论", "Findings"): FINDING_UNITS, _t(lang, "地类现状", "Land use now"): LANDUSE_UNITS,
             _t(lang, "永久基本农田图斑", "Farmland parcels"): PARCEL_UNITS}
    wb = excel.workbook(sheets, meta, units)
    if map_image:
        from openpyxl.drawing.image import Image as XlImage

        ws = wb.create_sheet(_t(lang, "地图", "Map"))
        ws.add_image(XlImage(io.BytesIO(map_image)), "A1")
    return excel.save_bytes(wb)


def report_pdf(result: LandCheck, ctx: CheckContext, lang: str, site_label: str,
               map_image: bytes | None = None) -> bytes:
    """The compliance report as a printable A4 PDF (searchable CJK text)."""
    meta = report_meta(result, ctx, lang, site_label)
    doc = pdf.new_report(meta)
    if map_image:
        doc.image_bytes(map_image, width=min(doc.content_width, 160))
    doc.heading(_t(lang, "核查结论", "Findings"))
    ft = findings_table(result, lang)
    w = doc.content_width
    doc.table(ft, FINDING_UNITS, font_size=7, col_widths=[w * 0.07, w * 0.11, w * 0.1, w * 0.08, w * 0.42, w * 0.22],
              fills=[LEVEL_FILLS.get(f) for f in _levels_sorted(result)])
    doc.heading(_t(lang, "地类现状（三调）", "Land use now (third land survey classes)"))
    doc.table(landuse_table(result, lang), LANDUSE_UNITS, font_size=7)
    doc.heading(_t(lang, "占用永久基本农田图斑", "Basic-farmland parcels taken"))
    doc.table(parcel_table(result, lang), PARCEL_UNITS, font_size=7)
    doc.heading(_t(lang, "引用的规定", "Rules cited"))
    doc.table(rules_table(result, lang), font_size=7, col_widths=[w * 0.38, w * 0.17, w * 0.45])
    doc.heading(_t(lang, "数据来源", "Data sources"))
    for line in meta.sources:
        doc.paragraph(line, size=8)
    return doc.to_bytes()


def _levels_sorted(result: LandCheck) -> list[str]:
    return [f.level for f in _sorted(result)]
