"""Downloadable land-check reports: per-project Excel and printable HTML, and a summary table.

The map image is drawn with matplotlib (Agg backend, no display needed): the county
with the site marked, next to a close-up of the site over the belt, the development
zone, forest patches and the other project sites. Chinese labels use Noto Sans CJK
(Debian package ``fonts-noto-cjk``) when it is installed; without it the labels fall
back to English so that no box glyphs are printed.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.profile import profile
from cyc_geo.planning.landcheck import LEVELS, CheckContext, LandCheck, check_site
from cyc_geo.planning.projects import SEED_COLUMNS, load_project_sites, load_projects, project_row
from cyc_geo.planning.sites_table import SUMMARY_UNITS

LEVEL_COLORS = {"conflict": "F4CCCC", "warning": "FFF2CC", "ok": "D9EAD3"}
LEVEL_ZH = {"conflict": "冲突", "warning": "注意", "ok": "通过", "info": "提示"}
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
MAX_DRAWN_PARTS = 5_000
"""Sites with more parts (a rooftop set) are drawn as points, which matplotlib renders quickly."""


def cjk_font_family() -> str | None:
    """The first installed CJK font family (Noto Sans CJK preferred), or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((fam for fam in CJK_FAMILIES if fam in installed), None)


def _label(zh: str, en: str, cjk: bool) -> str:
    return zh if cjk else en


def _polygon_path(poly: shapely.Polygon) -> MplPath:
    rings = [poly.exterior, *poly.interiors]
    return MplPath.make_compound_path(*[MplPath(np.asarray(r.coords)[:, :2], closed=True) for r in rings])


def _parts(geoms: Any) -> np.ndarray:
    """Single polygons of a GeoSeries / array (no copy when they already are single polygons)."""
    arr = np.asarray(geoms.to_numpy() if hasattr(geoms, "to_numpy") else geoms, dtype=object)
    kinds = shapely.get_type_id(arr)
    if not (kinds == 3).all():
        arr = shapely.get_parts(arr)
        arr = arr[shapely.get_type_id(arr) == 3]
    return arr


def _draw(ax: plt.Axes, geoms: Any, **kw: Any) -> None:
    """Draw polygons as one PatchCollection (no per-call redraw, unlike GeoSeries.plot)."""
    parts = _parts(geoms)
    if len(parts) == 0:
        return
    if len(parts) > MAX_DRAWN_PARTS:
        xy = shapely.get_coordinates(shapely.get_exterior_ring(parts[:: max(1, len(parts) // 50_000)]))[::5]
        ax.scatter(xy[:, 0], xy[:, 1], s=0.3, color=kw.get("edgecolor", "red"), linewidths=0)
        return
    coll = PatchCollection([PathPatch(_polygon_path(p)) for p in parts], **kw)
    ax.add_collection(coll)


def render_site_map(
    site: gpd.GeoDataFrame,
    project_no: int | None = None,
    context: CheckContext | None = None,
    title: str = "",
    dpi: int = 110,
) -> bytes:
    """PNG bytes: county overview (left) and close-up (right) of ``site`` with the context layers."""
    ctx = context or CheckContext()
    family = cjk_font_family()
    cjk = family is not None

    site_m = site.to_crs(AREA_CRS)
    with plt.rc_context({"font.family": [family, "DejaVu Sans"]} if family is not None else None):
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 5.4), dpi=dpi)
        county = ctx.required("county")
        for ax in (ax0, ax1):
            _draw(ax, ctx.required("townships").geometry, facecolor="none", edgecolor="#999999", linewidth=0.4,
                  linestyle="--")
            _draw(ax, ctx.required("belt").geometry, facecolor="#a6dba0", edgecolor="none", alpha=0.6)
            _draw(ax, ctx.required("devzone").geometry, facecolor="#fdd49e", edgecolor="#d7301f", alpha=0.5,
                  linewidth=0.8)
            _draw(ax, county.geometry, facecolor="none", edgecolor="#b2182b", linewidth=1.2)
        minx, miny, maxx, maxy = site_m.total_bounds
        pad = min(max(maxx - minx, maxy - miny, 1_500.0) * 0.6, 3_000.0)
        window = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
        _draw_surroundings(ax1, ctx.area_crs("forest"), _other_parcels(ctx.area_crs("sites"), project_no), window)
        _draw_site(ax0, ax1, _parts(site_m.geometry))
        cminx, cminy, cmaxx, cmaxy = county.total_bounds
        ax0.set_xlim(min(cminx, minx) - 1_000, max(cmaxx, maxx) + 1_000)
        ax0.set_ylim(min(cminy, miny) - 1_000, max(cmaxy, maxy) + 1_000)
        ax1.set_xlim(minx - pad, maxx + pad)
        ax1.set_ylim(miny - pad, maxy + pad)
        _finish_axes(ax0, ax1, cjk)
        if title:
            fig.suptitle(title if cjk else title.encode("ascii", "ignore").decode() or "Land check", fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    return buf.getvalue()


def _other_parcels(sites: gpd.GeoDataFrame | None, project_no: int | None) -> gpd.GeoDataFrame | None:
    """Parcel sites of the other projects (all parcels when no project is given)."""
    if sites is None:
        return None
    others = sites if project_no is None else sites[sites["project_no"].astype(int) != int(project_no)]
    if "site_kind" in others.columns:
        others = others[others["site_kind"] == "parcel"]
    return others


def _draw_surroundings(ax, forest: gpd.GeoDataFrame | None, others: gpd.GeoDataFrame | None,
                       window: shapely.Geometry) -> None:
    """Close-up: forest patches in the window and the other projects' parcels with their numbers."""
    if forest is not None and len(forest):
        near = forest[forest.intersects(window)]
        if len(near):
            _draw(ax, near.geometry, facecolor="#1b7837", edgecolor="none", alpha=0.6)
    if others is not None and len(others):
        _draw(ax, others.geometry, facecolor="#9ecae1", edgecolor="#08519c", linewidth=0.8)
        for _, o in others.iterrows():
            c = o.geometry.representative_point()
            if window.contains(c):
                ax.annotate(str(o["project_no"]), (c.x, c.y), color="#08519c", fontsize=8, ha="center")


def _draw_site(ax0, ax1, site_parts: np.ndarray) -> None:
    """The site in red on both maps, ringed on the overview when it is small enough to dissolve."""
    _draw(ax0, site_parts, facecolor="red", edgecolor="red", linewidth=1.5)
    _draw(ax1, site_parts, facecolor=(1, 0, 0, 0.25), edgecolor="red", linewidth=1.8)
    if len(site_parts) <= MAX_DRAWN_PARTS:
        c = shapely.union_all(site_parts).centroid
        ax0.plot([c.x], [c.y], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="red")


def scale_bar(ax: plt.Axes) -> None:
    """A black/white scale bar of a round length (1, 2 or 5 × 10ⁿ m, at most a quarter of the map's width;
    :func:`cyc_geo.geo.scalebar.nice_scale_length_m`) at the map's bottom left (EPSG:4547 metres)."""
    from matplotlib.patches import Rectangle

    from cyc_geo.geo.scalebar import nice_scale_length_m

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_m = x1 - x0
    length = nice_scale_length_m(width_m / 100.0, 25.0)  # the map as 100 units wide: at most 25 of them
    bx, by, h = x0 + 0.04 * width_m, y0 + 0.05 * (y1 - y0), 0.012 * (y1 - y0)
    ax.add_patch(Rectangle((bx - 0.02 * width_m, by - 0.03 * (y1 - y0)), length + 0.1 * width_m, 0.1 * (y1 - y0),
                           facecolor="white", edgecolor="none", alpha=0.85, zorder=9))
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, h, facecolor=colour, edgecolor="black",
                               linewidth=0.6, zorder=10))
    unit, div = ("km", 1000.0) if length >= 1000 else ("m", 1.0)
    for dx, text in ((0.0, "0"), (length / 2, f"{length / 2 / div:g}"), (length, f"{length / div:g} {unit}")):
        ax.text(bx + dx, by + 1.6 * h, text, fontsize=6.5, ha="center", va="bottom", zorder=10)


def north_arrow(ax: plt.Axes, zh: bool) -> None:
    """A north arrow at the top right (grid north of EPSG:4547, within 0.6° of true north over the county;
    docs/sources.md, "Print layouts")."""
    ax.annotate("北" if zh else "N", xy=(0.95, 0.96), xytext=(0.95, 0.84), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold", zorder=10,
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2},
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})


def _finish_axes(ax0, ax1, cjk: bool) -> None:
    """Titles, equal aspect, a scale bar and north arrow on each map (no coordinate ticks) and the colour key."""
    ax0.set_title(_label(f"{profile().name_zh}全域", profile().full_en, cjk), fontsize=10)
    ax1.set_title(_label("地块及周边", "Site close-up", cjk), fontsize=10)
    for ax in (ax0, ax1):
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])  # no raw projected coordinates: a scale bar and a north arrow (issue 29)
        scale_bar(ax)
        north_arrow(ax, cjk)
    ax1.text(
        0.01, 0.99,
        _label("红：地块  绿：沿黄生态带/林地  橙：经开区  蓝：其他项目",
               "red: site  green: belt / forest  orange: dev. zone  blue: other projects", cjk),
        transform=ax1.transAxes, fontsize=7, va="top", bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )


# ---------------------------------------------------------------- tables


def findings_frame(result: LandCheck) -> pd.DataFrame:
    """The findings of one check as a table (level, layer, overlap, share, reasons)."""
    rows = [
        {
            "级别 level": f.level,
            "图层 layer": f.check,
            "重叠面积 overlap (m²)": f.overlap_m2,
            "比例 share": f.share,
            "说明": f.reason_zh,
            "reason": f.reason_en,
        }
        for f in result.findings
    ]
    return pd.DataFrame(rows)


def summary_table(results: list[LandCheck], projects: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per project: seed attributes, site area, townships and land-check status.

    A rooftop project (``project_kind`` ``rooftops``) has no site of its own: its checked area is the
    coverage of its roofs, shown as 屋顶覆盖范围(亩), and its 地块面积 is empty."""
    projects = load_projects() if projects is None else projects
    by_no = {r.project_no: r for r in results}
    rows = []
    for _, p in projects.iterrows():
        r = by_no.get(int(p["序号"]))
        roofs = str(p.get("project_kind", "")) == "rooftops"
        rows.append(
            {
                "序号": int(p["序号"]),
                "项目名称": p["项目名称"],
                "建设主体": p["建设主体"],
                "建设期限": p["建设期限"],
                "投资规模(万元)": float(p["投资规模(万元)"]),
                "用地需求(亩)": p["land_need_mu"],
                "地块面积(亩)": None if r is None or roofs else r.area_mu,
                "地块面积(ha)": None if r is None or roofs else r.area_ha,
                "屋顶覆盖范围(亩)": r.area_mu if r is not None and roofs else None,
                "所在乡镇": "" if r is None else "、".join(t.name for t in r.townships[:5])
                + ("…" if r is not None and len(r.townships) > 5 else ""),
                "核查结论 status": "" if r is None else r.status,
                "冲突 conflicts": 0 if r is None else r.count("conflict"),
                "注意 warnings": 0 if r is None else r.count("warning"),
                "碳汇损失 sink lost (t CO2/yr)": 0.0 if r is None else r.sink_lost_t_co2_yr,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["demo_layers"] = sorted({n for r in results for n in r.demo_layers})
    return out


def summary_meta(table: pd.DataFrame, demo: bool | None = None, lang: str = "zh"):
    """The export facts of the summary: title, date, sources and the demo note (demo when any checked
    layer is demo, ``table.attrs["demo_layers"]``)."""
    from cyc_geo.exports.meta import ExportMeta

    layers = table.attrs.get("demo_layers", [])
    demo = bool(layers) if demo is None else demo
    return ExportMeta(title=("重点项目用地核查汇总", "Priority projects: land-check summary"), lang=lang, demo=demo,
                      filters={"演示图层" if lang == "zh" else "Demo layers": "、".join(layers) or "—"},
                      sources=[f"项目：《{profile().plan_zh}》附件2；核查：cyc_geo.planning.landcheck，面积按 EPSG:4547"])


# ---------------------------------------------------------------- Excel


def _autosize(ws, widths: dict[str, int] | None = None) -> None:
    for col in ws.columns:
        letter = col[0].column_letter
        longest = max((len(str(c.value)) if c.value is not None else 0) for c in col)
        ws.column_dimensions[letter].width = min(max(10, longest * 1.2), 60)
    for letter, w in (widths or {}).items():
        ws.column_dimensions[letter].width = w


def _write_frame(ws, df: pd.DataFrame) -> None:
    from cyc_geo.exports.excel import append

    append(ws, list(df.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False):
        append(ws, [None if (isinstance(v, float) and v != v) else v for v in row])


def project_report_xlsx(project: pd.Series, result: LandCheck, png: bytes | None = None) -> bytes:
    """An Excel workbook: project attributes, findings (coloured by level), townships, map."""
    from cyc_geo.exports.excel import append, save_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "项目 Project"
    append(ws, ["字段 field", "内容 value"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for key, value in project.items():
        append(ws, [key, None if (isinstance(value, float) and value != value) else value])
    append(ws, ["地块面积 site area (m²)", result.area_m2])
    append(ws, ["地块面积 (ha)", result.area_ha])
    append(ws, ["地块面积 (亩)", result.area_mu])
    append(ws, ["核查结论 status", result.status])
    if result.standalone_siting:
        append(ws, ["申报声明 declared", "单独选址项目 / standalone-siting project"])
    append(ws, ["演示图层 demo layers", "、".join(result.demo_layers)])
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90

    wf = wb.create_sheet("核查 Findings")
    _write_frame(wf, findings_frame(result))
    for row in wf.iter_rows(min_row=2):
        fill = PatternFill("solid", fgColor=LEVEL_COLORS.get(str(row[0].value), "FFFFFF"))
        for cell in row:
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _autosize(wf, {"E": 60, "F": 60})

    if result.landuse_breakdown:
        wl = wb.create_sheet("地类 Land use")
        _write_frame(wl, pd.DataFrame(result.landuse_breakdown))
        _autosize(wl, {})

    wt = wb.create_sheet("乡镇 Townships")
    _write_frame(wt, pd.DataFrame([t.to_dict() for t in result.townships],
                                  columns=["code", "name", "name_en", "overlap_m2", "share"]))
    _autosize(wt)
    if png:
        from openpyxl.drawing.image import Image as XLImage

        wm = wb.create_sheet("地图 Map")
        img = XLImage(io.BytesIO(png))
        wm.add_image(img, "A1")
    return save_bytes(wb)


def summary_xlsx(table: pd.DataFrame, demo: bool | None = None, lang: str = "zh") -> bytes:
    """The all-projects summary as an Excel workbook (``cyc_geo.exports``: title, date, demo note, numbers
    rounded as numbers), status cells coloured."""
    from cyc_geo.exports.excel import save_bytes, workbook

    wb = workbook({"汇总 Summary": table}, summary_meta(table, demo, lang), {"汇总 Summary": SUMMARY_UNITS})
    ws = wb["汇总 Summary"]
    status_col = list(table.columns).index("核查结论 status") + 1
    for row in ws.iter_rows():
        cell = row[status_col - 1] if len(row) >= status_col else None
        if cell is not None and str(cell.value) in LEVEL_COLORS:
            cell.fill = PatternFill("solid", fgColor=LEVEL_COLORS[str(cell.value)])
    return save_bytes(wb)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 6px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:12px} td,th{border:1px solid #bbb;padding:4px 6px;vertical-align:top}
th{background:#eee;text-align:left} .conflict{background:#f4cccc} .warning{background:#fff2cc} .ok{background:#d9ead3}
.demo{border:1px solid #e69138;background:#fce5cd;padding:6px 10px;margin:8px 0;font-size:12px}
img{max-width:100%} .en{color:#555}
@media print{body{margin:10mm} h2{page-break-after:avoid} table,img{page-break-inside:avoid}}
"""


def _esc(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return html.escape(str(v))


def project_report_html(project: pd.Series, result: LandCheck, png: bytes | None = None) -> str:
    """A standalone, printable HTML page (map embedded as base64 PNG)."""
    no = int(project["序号"])
    attrs = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(project[k])}</td></tr>" for k in SEED_COLUMNS)
    attrs += f"<tr><th>English title</th><td>{_esc(project.get('name_en'))}</td></tr>"
    towns = "、".join(f"{_esc(t.name)}（{100 * t.share:.1f}%）" for t in result.townships) or "—"
    rows = "".join(
        f"<tr class='{_esc(f.level)}'><td>{LEVEL_ZH.get(f.level, f.level)}<br><span class='en'>{_esc(f.level)}</span></td>"
        f"<td>{_esc(f.check)}</td><td style='text-align:right'>{f.overlap_m2:,.0f}</td>"
        f"<td>{_esc(f.reason_zh)}<br><span class='en'>{_esc(f.reason_en)}</span></td></tr>"
        for f in sorted(result.findings, key=lambda f: -LEVELS.index(f.level))
    )
    demo = ""
    if result.demo_layers:
        demo = (
            "<div class='demo'>⚠️ 演示数据：以下图层为演示/近似数据，非官方数据，仅供规划讨论 / Demo data, not official: "
            + _esc("、".join(result.demo_layers))
            + "</div>"
        )
    landuse = "".join(
        f"<tr><td>{_esc(r.get('group_name'))}</td><td>{_esc(r['code'])}</td><td>{_esc(r['name'])}</td>"
        f"<td style='text-align:right'>{r['overlap_m2']:,.0f}</td><td style='text-align:right'>{r['overlap_mu']:,.2f}</td></tr>"
        for r in result.landuse_breakdown)
    img = f"<img alt='map' src='data:image/png;base64,{base64.b64encode(png).decode()}'>" if png else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>项目{no} 用地核查报告</title><style>{_CSS}</style></head>
<body>
<h1>项目 {no} 用地核查报告 <span class='en'>/ Land-check report, project {no}</span></h1>
<div>{_esc(project['项目名称'])} — {_esc(project.get('name_en'))}</div>
{demo}
<h2>结论 Result</h2>
<table><tr><th>核查结论 status</th><td class='{_esc(result.status)}'>{LEVEL_ZH.get(result.status, '')} {_esc(result.status)}</td></tr>
<tr><th>地块面积 site area</th><td>{result.area_m2:,.0f} m² = {result.area_ha:,.2f} ha = {result.area_mu:,.1f} 亩</td></tr>
<tr><th>所在乡镇 townships</th><td>{towns}</td></tr>
<tr><th>碳汇损失 sink lost</th><td>{result.sink_lost_t_co2_yr:,.1f} t CO2/yr</td></tr></table>
<h2>地图 Map</h2>{img}
<h2>核查明细 Findings</h2>
<table><tr><th>级别</th><th>图层 layer</th><th>重叠 overlap (m²)</th><th>说明 / reason</th></tr>{rows}</table>
<h2>地类现状 Land use now</h2>
<table><tr><th>三大类 land class</th><th>地类编码 code</th><th>地类名称 class</th><th>面积 area (m²)</th>
<th>亩 mu</th></tr>{landuse}</table>
<h2>项目信息（附件2） Project (annex 2)</h2><table>{attrs}</table>
<p class='en'>面积按 EPSG:4547 平面计算；1 亩 = 666.67 m²。Areas are planar in EPSG:4547; 1 mu = 666.67 m².</p>
</body></html>"""


def summary_html(table: pd.DataFrame, demo: bool | None = None, lang: str = "zh") -> str:
    """The all-projects summary as a printable HTML page: title, date, demo note, rounded numbers."""
    from cyc_geo.exports.meta import DEMO_LABEL, fmt

    meta = summary_meta(table, demo, lang)
    head = "".join(f"<th>{_esc(c)}</th>" for c in table.columns)
    body = ""
    for _, r in table.iterrows():
        cells = "".join(
            f"<td class='{_esc(r[c])}'>{_esc(r[c])}</td>" if c == "核查结论 status"
            else f"<td>{_esc(fmt(r[c], SUMMARY_UNITS.get(c)) if c in SUMMARY_UNITS else r[c])}</td>"
            for c in table.columns
        )
        body += f"<tr>{cells}</tr>"
    facts = "".join(f"<div class='demo'>{_esc(v)}</div>" if k in DEMO_LABEL else f"<div>{_esc(k)}：{_esc(v)}</div>"
                    for k, v in meta.header_lines())
    return (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>重点项目用地核查汇总</title>"
        f"<style>{_CSS}</style></head><body><h1>重点项目用地核查汇总 <span class='en'>/ Priority projects: land-check summary</span></h1>"
        f"{facts}<table><tr>{head}</tr>{body}</table>"
        "<p class='en'>整市屋顶光伏等屋顶项目无独立地块：核查面积为屋顶覆盖范围，列于“屋顶覆盖范围(亩)”。"
        "Rooftop projects have no site of their own: their checked area is the roofs' coverage.</p></body></html>"
    )


# ---------------------------------------------------------------- batch


def project_report(project_no: int, conn=None, context: CheckContext | None = None) -> dict[str, Any]:
    """Check one project's current site and build its report: ``result``, ``png``, ``xlsx``, ``html``."""
    ctx = context or CheckContext()
    if "sites" not in ctx._layers:
        ctx._layers["sites"] = load_project_sites(conn)
    sites = ctx.get("sites")
    row = sites[sites["project_no"].astype(int) == int(project_no)]
    if row.empty:
        raise KeyError(f"项目 {project_no} 没有地块 / project {project_no} has no site")
    project = project_row(project_no, ctx.get("projects"))
    result = check_site(row[["geometry"]], project_no, ctx)
    png = render_site_map(row[["geometry"]], project_no, ctx, title=f"项目{project_no} {project['项目名称']}")
    return {
        "result": result,
        "png": png,
        "xlsx": project_report_xlsx(project, result, png),
        "html": project_report_html(project, result, png),
    }


def write_project_reports(out_dir: Path, project_nos: list[int] | None = None, conn=None) -> list[Path]:
    """Write ``project_<N>.xlsx`` / ``.html`` for each project and ``summary.xlsx`` / ``.html``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = CheckContext(sites=load_project_sites(conn))
    nos = project_nos or [int(n) for n in ctx.get("projects")["序号"]]
    written, results = [], []
    for no in nos:
        rep = project_report(no, conn, ctx)
        results.append(rep["result"])
        for ext in ("xlsx", "html"):
            path = out_dir / f"project_{no}.{ext}"
            data = rep[ext]
            path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data, encoding="utf-8")
            written.append(path)
    table = summary_table(results, ctx.get("projects"))
    (out_dir / "summary.xlsx").write_bytes(summary_xlsx(table))
    (out_dir / "summary.html").write_text(summary_html(table), encoding="utf-8")
    return written + [out_dir / "summary.xlsx", out_dir / "summary.html"]
