"""What the priority-projects page shows, as plain values: the sites' change key, the summary table
as displayed, the current site's state line, findings in order and the area figures.

No Streamlit here: ``views/projects.py`` caches, lays out and draws; functions that
label anything take the UI language (``"zh"`` or ``"en"``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import geopandas as gpd
import pandas as pd

from cyc_geo.exports.markdown import md_escape
from cyc_geo.exports.meta import MISSING, fmt
from cyc_geo.planning.site import LandCheck

LEVEL_ICON = {"conflict": "✖", "warning": "⚠", "ok": "✔", "info": "ℹ"}
"""Level marks as text symbols that the usual text fonts carry (DejaVu Sans, WenQuanYi), not emoji: a machine
without an emoji font drew ⛔ and ✅ as empty boxes (issue 29)."""
CHECK_NAMES: dict[str, tuple[str, str]] = {
    "county": ("市域范围", "city boundary"), "townships": ("所在乡镇", "townships"), "belt": ("沿黄生态带", "Yellow River belt"),
    "forest": ("林地", "forest land"), "devzone": ("经开区", "development zone"), "project_sites": ("其他项目地块", "other project sites"),
    "plot_ratio": ("容积率", "plot ratio"), "land_need": ("用地需求", "land need"), "crs": ("坐标系", "coordinate system"),
    "geometry": ("几何图形", "geometry"), "farmland": ("永久基本农田", "permanent basic farmland"),
    "eco_redline": ("生态保护红线", "ecological red line"), "urban_boundary": ("城镇开发边界", "urban development boundary"),
    "cropland": ("耕地（非永久基本农田）", "cropland (not basic farmland)"),
    "forest_protection": ("林地保护等级", "forest protection level"),
    "plot_ratio_high": ("容积率（请核对）", "plot ratio (please check)"),
    "building_coverage": ("建筑系数", "building coverage"), "office_share": ("行政办公及生活服务设施用地", "office and living land"),
    "green_share": ("绿地率", "green-land ratio"), "investment_intensity": ("投资强度", "investment intensity"),
    "land_indicators": ("未核查的用地指标", "land indicators not checked"),
    "support_facilities": ("光伏配套设施用地", "PV support facilities"),
}
"""Names of the land check's items (the ``layer`` of each finding) in words."""

AREA_COLOURS = {"warning": "#ff7f00", "conflict": "#e31a1c"}
"""Colours of a checked site's warning and conflict areas (its overlaps with the control layers), on the page
map and in the compliance report map."""
CONTEXT_LAYER_IDS = ("cropland", "farmland", "eco_redline", "urban_boundary", "forest")
"""Layers drawn around a checked (non-rooftop) site on the page map, bottom first: cropland, which the check
warns about, under the basic farmland it contains, then 三区三线 and forest."""


SUMMARY_UNITS = {"投资规模(万元)": "万元", "用地需求(亩)": "亩", "地块面积(亩)": "亩", "地块面积(ha)": "ha",
                 "屋顶覆盖范围(亩)": "亩"}
"""Units of the summary's numeric columns (for rounding as the plan prints them,
:data:`cyc_geo.exports.meta.PLAN_DECIMALS`)."""


def checked_site_rows(lang: str) -> list[tuple[str, str, str]]:
    """Legend rows (kind, colour, label) of the checked site on the page map: its outline and, always, the
    colours of warning and conflict areas, so a reader knows them before any appears."""
    return [("line", "#000000", _t(lang, "核查地块", "Checked site")),
            ("fill", AREA_COLOURS["warning"], _t(lang, "注意区域（与管控图层重叠）", "Warning area (overlap with a control layer)")),
            ("fill", AREA_COLOURS["conflict"], _t(lang, "冲突区域（与管控图层重叠）", "Conflict area (overlap with a control layer)"))]


LEVEL_TEXT = {"conflict": ("冲突", "conflict"), "warning": ("注意", "warning"), "ok": ("通过", "ok"), "info": ("提示", "info")}
LEVEL_ORDER = {"conflict": 0, "warning": 1, "ok": 2, "info": 3}
PARCEL_ZOOM = 14
MAX_TOWNSHIPS_SHOWN = 6


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def sites_key(conn: sqlite3.Connection) -> tuple[tuple[Any, ...], ...]:
    """(project_no, version, updated_at) of every saved site: changes whenever a site is saved or reset."""
    rows = conn.execute("SELECT project_no, version, updated_at FROM project_sites ORDER BY project_no").fetchall()
    return tuple(tuple(r) for r in rows)


TABLE_LABELS: dict[str, tuple[str, str]] = {
    "序号": ("序号", "No."), "项目名称": ("项目名称", "Project"), "建设内容和规模": ("建设内容和规模", "Content and scale"),
    "建设主体": ("建设主体", "Developer"), "建设期限": ("建设期限", "Period"),
    "投资规模(万元)": ("投资规模 (万元)", "Investment (10k yuan)"), "效益": ("效益", "Benefits"),
    "用地需求(亩)": ("用地需求 (亩)", "Land need (mu)"), "地块面积(亩)": ("地块面积 (亩)", "Site area (mu)"),
    "地块面积(ha)": ("地块面积 (ha)", "Site area (ha)"), "屋顶覆盖范围(亩)": ("屋顶覆盖范围 (亩)", "Roof coverage (mu)"),
    "所在乡镇": ("所在乡镇", "Townships"), "name_en": ("项目名称", "Project"),
    "land_note_en": ("用地说明", "Land need as stated"),
    "核查结论 status": ("核查结论", "Check result"), "冲突 conflicts": ("冲突", "Conflicts"),
    "注意 warnings": ("注意", "Warnings"), "碳汇损失 sink lost (t CO2/yr)": ("碳汇损失 (t CO₂/年)", "Sink lost (t CO₂/yr)"),
}
"""Headers of the projects page's tables (the report's bilingual column names) in one language."""


def shown_summary(table: pd.DataFrame, lang: str | None = None, projects: pd.DataFrame | None = None,
                  results: list[LandCheck] | None = None) -> pd.DataFrame:
    """:func:`cyc_geo.planning.report.summary_table` as displayed: status with its icon, land need as text.

    With ``lang`` the status reads as a word and the headers are in that language (:data:`TABLE_LABELS`); in
    English, with ``projects`` the project names are their ``name_en`` and with ``results`` the townships their
    English names.
    """
    show = table.copy()
    if lang == "en" and projects is not None and "name_en" in projects:
        names = dict(zip(projects["序号"].astype(int), projects["name_en"], strict=True))
        show["项目名称"] = show["序号"].astype(int).map(names).fillna(show["项目名称"])
    if lang == "en" and results is not None:
        towns = {r.project_no: [t.name_en for t in r.townships] for r in results}
        show["所在乡镇"] = show["序号"].astype(int).map(
            lambda n: ", ".join(towns.get(n, [])[:5]) + ("…" if len(towns.get(n, [])) > 5 else ""))
    if lang is None:
        show["核查结论 status"] = show["核查结论 status"].map(lambda s: f"{LEVEL_ICON.get(s, '')} {s}")
    else:
        show["核查结论 status"] = show["核查结论 status"].map(
            lambda s: f"{LEVEL_ICON.get(s, '')} {_t(lang, *LEVEL_TEXT[s])}" if s in LEVEL_TEXT else MISSING)
    show["用地需求(亩)"] = show["用地需求(亩)"].map(lambda v: MISSING if pd.isna(v) else f"{v:,.0f}")
    return show if lang is None else labelled(show, lang)


def labelled(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``table`` with its headers in ``lang`` (:data:`TABLE_LABELS`) and empty cells as MISSING.

    A numeric column with empty cells is shown as text, its numbers rounded for the column's unit
    (:data:`SUMMARY_UNITS`, :func:`cyc_geo.exports.meta.fmt`): numbers beside "—" in one column cannot be
    sent to the browser as a number column (Streamlit then logged a conversion traceback on every run and
    showed the raw floats)."""
    out = table.astype(object).where(table.notna(), MISSING)
    for c in table.columns:
        if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]) \
                and table[c].isna().any():
            unit = SUMMARY_UNITS.get(c)
            out[c] = [fmt(v, unit) for v in table[c]]
    return out.rename(columns={c: _t(lang, *TABLE_LABELS[c]) for c in out.columns if c in TABLE_LABELS})


def project_names(projects: pd.DataFrame, lang: str) -> dict[int, str]:
    """Project number -> name in ``lang``, in the table's order."""
    names = projects["项目名称"] if lang == "zh" else projects["name_en"]
    return dict(zip((int(n) for n in projects["序号"]), names, strict=True))


def site_focus(sites: gpd.GeoDataFrame, project_no: int) -> tuple[tuple[float, float] | None, int | None]:
    """Map centre (lat, lon) and zoom on a parcel site; (None, None) for rooftop or footprint sites."""
    sel = sites[sites["project_no"] == project_no]
    if sel.empty or sel.iloc[0]["site_kind"] != "parcel":
        return None, None
    w, s, e, n = sel.total_bounds
    return ((s + n) / 2, (w + e) / 2), PARCEL_ZOOM


def site_state(site_row: pd.Series, lang: str) -> str:
    """The "current site" line: its source in words, and "(demo)" or its version, editor and time (markdown,
    the values escaped)."""
    from cyc_geo.exports.display import SOURCES, word

    src = md_escape(word(SOURCES, site_row["source"], lang))
    if site_row["demo"]:
        return _t(lang, f"**当前地块**：来源：{src}（演示）", f"**Current site**: source: {src} (demo)")
    from cyc_geo.exports.meta import beijing_time

    v, by, at = site_row["version"], md_escape(site_row["updated_by"]), beijing_time(site_row["updated_at"])
    return _t(lang, f"**当前地块**：来源：{src}，第 {v} 版，{by}，{at}",
              f"**Current site**: source: {src}, version {v}, {by}, {at}")


def finding_lines(result: LandCheck, lang: str) -> list[tuple[str, str]]:
    """(level, markdown) of a land check's findings, most severe first, with the reason in ``lang`` (escaped: it
    names townships, projects and parcels from planner files)."""
    lines = []
    for f in sorted(result.findings, key=lambda f: LEVEL_ORDER[f.level]):
        zh, en = LEVEL_TEXT[f.level]
        name = CHECK_NAMES.get(f.check, (f.check, f.check))
        lines.append((f.level, f"{LEVEL_ICON[f.level]} **{_t(lang, zh, en)}** · {_t(lang, *name)} — {md_escape(f.reason(lang))}"))
    return lines


def area_figures(result: LandCheck, lang: str) -> list[tuple[str, str]]:
    """(label, value) of a checked site's area in m², mu and ha and the forest sink it would take."""
    return [
        (_t(lang, "面积 (m²)", "Area (m²)"), f"{result.area_m2:,.0f}"),
        (_t(lang, "面积 (亩)", "Area (mu)"), f"{result.area_mu:,.1f}"),
        (_t(lang, "面积 (公顷)", "Area (ha)"), f"{result.area_ha:,.2f}"),
        (_t(lang, "碳汇损失 (t CO2/年)", "Sink lost (t CO2/yr)"), f"{result.sink_lost_t_co2_yr:,.1f}"),
    ]


def township_line(result: LandCheck, lang: str) -> str:
    """The townships a site lies in (at most six names, then "…"), "—" if none (markdown: the names, from the
    township layer, escaped)."""
    names = [md_escape(t.name if lang == "zh" else t.name_en) for t in result.townships]
    shown = _t(lang, "、", ", ").join(names[:MAX_TOWNSHIPS_SHOWN]) + ("…" if len(names) > MAX_TOWNSHIPS_SHOWN else "")
    return _t(lang, "所在乡镇：", "Townships: ") + (shown or "—")


ANNEX_COLUMNS_EN = ("序号", "name_en", "建设主体", "建设期限", "投资规模(万元)", "land_note_en")
"""The 附件2 columns shown on the English page: the English name and land note stand for the Chinese-only
description (建设内容和规模) and benefits (效益); the developer is a registered name."""


def annex_table(projects: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The 附件2 table as displayed: every seed column in Chinese, :data:`ANNEX_COLUMNS_EN` in English."""
    from cyc_geo.planning.projects import SEED_COLUMNS

    cols = list(SEED_COLUMNS) if lang == "zh" else [c for c in ANNEX_COLUMNS_EN if c in projects]
    return labelled(projects[cols], lang)
