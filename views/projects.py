"""Priority projects (附件2) and the land-allocation check: table, map with drawing, upload (incl. 界址点
files), the checked site with its conflicts on the map, compliance reports (Excel, PDF) and 界址点 export."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
from folium.plugins import Draw
from streamlit_folium import st_folium

from cyc_geo.exports.display import display_frame
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.ingest import upload_safety
from cyc_geo.mapview.controls import DrawLocale
from cyc_geo.mapview.legend import LegendSection
from cyc_geo.mapview.webmap import (
    add_label_css,
    base_map,
    layer_group,
    layer_legend,
    layer_payload,
    legend_group,
    localize_assets,
)
from cyc_geo.planning import compliance, sites_table
from cyc_geo.planning import progress as project_progress
from cyc_geo.planning.jzd import MAX_JZD_BYTES, JzdError, jzd_bytes
from cyc_geo.planning.landcheck import CheckContext, LandCheck, check_site, site_conflicts
from cyc_geo.planning.projects import (
    export_site,
    load_devzone,
    load_projects,
    read_site_file,
    reset_project_site,
    save_project_site,
    site_from_gdf,
    site_from_geojson,
    site_history,
)
from cyc_geo.planning.report import summary_html, summary_table, summary_xlsx
from cyc_geo.planning.rules import SITE_TYPE_NAMES, SITE_TYPES, site_type_for
from cyc_geo.planning.site import IndustryFigures
from ui import map_data, projects_data
from ui.auth import current_editor, require_editor
from ui.common import database, demo_banner, lang, layer_def, registry, tr
from ui.text import md_escape

# Site files the projects page takes (read by cyc_geo.planning.projects.read_site_file)
SITE_UPLOAD_EXTS = (".txt", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".parquet")
# Smaller size limits (bytes) than the upload limit: a 界址点 file (docs/sources.md, "Security defaults")
SITE_UPLOAD_LIMITS = {".txt": MAX_JZD_BYTES}

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOW_LEVEL = {"conflict": st.error, "warning": st.warning, "ok": st.success, "info": st.info}
ZONING_IDS = ("farmland", "eco_redline", "urban_boundary")  # 三区三线 layers: their demo status goes in the banner
# The land-check map's legend may use almost the map's height (the web maps' default is 46 %): its rows,
# the checked site's first, fit without being cut off (issue 29). (A comment, not a string: Streamlit's
# "magic" writes a bare string of the page script onto the page.)
LEGEND_CSS = "<style>.cyc-legend{max-height:94vh}</style>"
MAP_HEIGHT_PX = 760
BASEMAP = "blank"  # the land check's map has no tiles (WGS84 coordinates; offline)
CONTEXT_PAD_M = 1_500.0  # how far around the checked site its context layers are drawn (m; project choice)


def _findings(result: LandCheck) -> None:
    """Findings, most severe first, each with its level and the reason in the UI language."""
    for level, text in sites_table.finding_lines(result, lang()):
        SHOW_LEVEL[level](text)


def _metrics(result: LandCheck) -> None:
    figures = sites_table.area_figures(result, lang())
    for pair in (figures[:2], figures[2:]):
        for col, (label, value) in zip(st.columns(2), pair, strict=False):
            col.metric(label, value)
    st.caption(sites_table.township_line(result, lang()))


def _downloads(labels: tuple[str, str], files: Callable[[], dict[str, Any]], stem: str, key: str) -> None:
    """Excel and printable-HTML download buttons side by side. ``files()`` returns ``xlsx`` and ``html``; it
    runs when a button is clicked (Streamlit's deferred download data), not on every rerun: a project's
    report draws its site map, which for the rooftop project (~10^5 roofs) took most of selecting it."""
    c1, c2 = st.columns(2)
    c1.download_button(labels[0], lambda: files()["xlsx"], file_name=f"{stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx")
    c2.download_button(labels[1], lambda: files()["html"], file_name=f"{stem}.html", mime="text/html",
                       key=f"{key}_html")


def _save(project_no: int, site, source: str) -> None:
    try:
        user = require_editor()
    except PermissionError as exc:
        st.error(str(exc))
        return
    try:
        version = save_project_site(database(), project_no, site, user, source)
    except ValueError as exc:
        st.error(str(exc))
        return
    projects_data.clear()
    st.session_state["projects_msg"] = tr(
        f"已保存项目 {project_no} 的地块（第 {version} 版，{user}）",
        f"Saved the site of project {project_no} (version {version}, {user})",
    )


def _summary_section(results: list[LandCheck], projects: pd.DataFrame) -> None:
    st.subheader(tr("重点项目表（附件2）", "Priority projects (annex 2)"))
    table = summary_table(results, projects)
    st.dataframe(sites_table.shown_summary(table, lang(), projects, results), hide_index=True, width="stretch")
    with st.expander(tr("附件2 原文各列", "Annex 2 in English (the full description is on the Chinese page)")):
        st.dataframe(sites_table.annex_table(projects, lang()), hide_index=True, width="stretch")
    _downloads(
        (tr("下载汇总表 (Excel)", "Download summary (Excel)"), tr("下载汇总表 (HTML 可打印)", "Download summary (printable HTML)")),
        lambda: {"xlsx": summary_xlsx(table), "html": summary_html(table)}, "projects_land_check_summary", "dl_summary",
    )


@st.cache_data(ttl=600, show_spinner=False)
def _project3_mw(year: int, ledger_stamp: str) -> float:
    """Project 3's grid-connected MW at the end of ``year`` from its ledger rows (cached per ledger edit)."""
    from cyc_geo.pv.installations import load_ledger

    return project_progress.project3_connected_mw(load_ledger(database()), year)


def _progress_section(projects: pd.DataFrame, editor: str | None) -> None:
    """The yearly progress records of the 附件2 projects; editors add or correct one (audited)."""
    from cyc_geo.pv.installations import edits_stamp

    st.subheader(tr("重点项目年度进展", "Priority projects: yearly progress"))
    year = st.selectbox(tr("年份", "Year"), list(project_progress.YEARS), index=len(project_progress.YEARS) - 1,
                        key="progress_year")
    conn = database()
    stored = project_progress.read_progress(conn, year).set_index("project_no")
    mw = _project3_mw(year, edits_stamp(conn))
    zh = lang() == "zh"
    rows = []
    for r in projects.itertuples(index=False):
        no = int(r.序号)
        rec = stored.loc[no] if no in stored.index else None
        status = None if rec is None else str(rec["status"])
        rows.append({
            tr("序号", "No."): no,
            tr("项目", "Project"): r.项目名称 if zh else r.name_en,
            tr("状态", "Status"): (status if zh else project_progress.STATUS_EN.get(status, status)) if status else "—",
            tr("完成投资（万元）", "Investment completed (10^4 yuan)"): "—" if rec is None or pd.isna(rec["investment_wan"])
            else f"{float(rec['investment_wan']):,.0f}",
            tr("形象进度", "Physical progress"): "—" if rec is None else (rec["progress_text"] or "—"),
            tr("实际效益", "Realised benefit"): (tr(f"台账已并网 {mw:.2f} MW", f"{mw:.2f} MW grid-connected (ledger)")
                                             if no == project_progress.PV_PROJECT else
                                             ("—" if rec is None else (rec["benefit_text"] or "—"))),
            tr("填报人", "Entered by"): "—" if rec is None else rec["updated_by"],
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(tr("项目3的已并网容量按装机台账统计：位于屋顶上、并网日期在建设期限（2022年8月起）内的已并网项目"
                  "（台账有项目编号列 `project_no` 时按该列）。",
                  "Project 3's grid-connected MW is counted from the PV ledger: grid-connected rows on a roof, connected "
                  "within the project's period (from August 2022); by the ledger's `project_no` column when it has one."))
    if not editor:
        st.info(tr("填报项目进展需在侧栏以编辑账号登录。", "Sign in as an editor (sidebar) to enter project progress."))
        return
    with st.form("progress_form"):
        names = sites_table.project_names(projects, lang())
        no = st.selectbox(tr("项目", "Project"), list(names), format_func=lambda n: f"{n}. {names[n]}", key="progress_project")
        status = st.selectbox(tr("状态", "Status"), list(project_progress.STATUSES),
                              format_func=lambda s: s if zh else project_progress.STATUS_EN[s], key="progress_status")
        invest = st.number_input(tr("累计完成投资（万元）", "Investment completed to date (10^4 yuan)"), min_value=0.0,
                                 value=None, key="progress_invest")
        text = st.text_input(tr("形象进度", "Physical progress"), max_chars=project_progress.MAX_TEXT, key="progress_text")
        benefit = st.text_input(tr("实际效益", "Realised benefit"), max_chars=project_progress.MAX_TEXT, key="progress_benefit")
        tce = st.number_input(tr("节能量（吨标准煤/年）", "Energy saved (tce a year)"), min_value=0.0, value=None,
                              key="progress_tce")
        if not st.form_submit_button(tr("保存进展", "Save progress")):
            return
    try:
        user = require_editor()
        changed = project_progress.save_progress(conn, no, year, {"status": status, "investment_wan": invest,
                                                                  "progress_text": text, "benefit_text": benefit,
                                                                  "tce_saved": tce}, user)
    except PermissionError as exc:
        st.error(str(exc))
        return
    except project_progress.ProgressError as exc:
        st.error(tr(exc.zh, exc.en))
        return
    saved = tr(f"已保存项目 {no} 的 {year} 年进展（{user}）", f"Saved project {no}'s progress for {year} ({user})")
    st.session_state["projects_msg"] = saved if changed else tr("无变化", "Nothing changed")
    st.rerun()


def _draw_control() -> Draw:
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False},
        edit_options={"edit": False},
    )
    localize_assets(draw)
    return draw


def _near(gdf: gpd.GeoDataFrame | None, window_wgs84: shapely.Geometry) -> gpd.GeoDataFrame | None:
    """The features of ``gdf`` (WGS84) around the checked site, clipped to the window (small map payloads)."""
    if gdf is None or len(gdf) == 0:
        return None
    near = gdf[gdf.intersects(window_wgs84)]
    if near.empty:
        return None
    near = near.copy()
    near["geometry"] = near.geometry.intersection(window_wgs84)
    near.attrs = dict(gdf.attrs)
    return near


@st.cache_data(show_spinner=False, max_entries=64)
def _near_payload(layer_id: str, window_wkb: bytes, lg: str, version: tuple, _ctx: CheckContext) -> str | None:
    """The browser payload of a context layer's features around a checked site (:func:`_near`), or None; cached per
    window, language and the context layers' versions (``version``: a project's map is drawn again on every run)."""
    gdf = _near(_ctx.get(layer_id), shapely.from_wkb(window_wkb))
    return None if gdf is None else layer_payload(layer_def(layer_id), gdf, lg)


def _checked_groups(checked: dict, ctx: CheckContext, layers: dict) -> tuple[list, list[LegendSection]]:
    """Feature groups of the checked site: its context layers nearby, the site, its conflict areas; legend rows."""
    site_m = checked["draw"].to_crs(AREA_CRS)
    minx, miny, maxx, maxy = site_m.total_bounds
    pad = CONTEXT_PAD_M
    window = gpd.GeoSeries([shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)], crs=AREA_CRS).to_crs(WGS84).iloc[0]
    groups, legends = [], []
    version = projects_data.context_version()
    # a rooftop set spans the county: its context would be every parcel of the county, and roofs take no land
    for layer_id in () if checked["result"].rooftop else sites_table.CONTEXT_LAYER_IDS:
        if layer_id not in layers:
            continue
        payload = _near_payload(layer_id, shapely.to_wkb(window), lang(), version, ctx)
        if payload is not None:
            groups.append(layer_group(layers[layer_id], lang=lang(), payload=payload))
            legends.append(layer_legend(layers[layer_id], lang()))
    conflicts = checked["conflicts"]
    site_group = folium.FeatureGroup(name=tr("核查地块", "Checked site"))
    for level, colour, zh, en in (("warning", sites_table.AREA_COLOURS["warning"], "注意区域", "Warning area"),
                                  ("conflict", sites_table.AREA_COLOURS["conflict"], "冲突区域", "Conflict area")):
        part = conflicts[conflicts["level"] == level] if len(conflicts) else conflicts
        if len(part):
            names = [sites_table.CHECK_NAMES.get(x, (x, x))[0 if lang() == "zh" else 1] for x in part["layer"]]
            for geom, name, area in zip(part.geometry, names, part["area_m2"], strict=True):
                folium.GeoJson(
                    shapely.geometry.mapping(geom),
                    style_function=lambda _f, c=colour: {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.55},
                    tooltip=f"{tr(zh, en)}: {name} {area:,.0f} m²",
                ).add_to(site_group)
    if not checked["result"].rooftop:  # a rooftop set is ~10^5 roofs drawn by the sites layer: no outline
        folium.GeoJson(
            shapely.geometry.mapping(checked["draw"].to_crs(WGS84).geometry.union_all()),
            style_function=lambda _f: {"color": "#000000", "weight": 3, "fillOpacity": 0},
            tooltip=checked["label"],
        ).add_to(site_group)
    groups.append(site_group)
    legends.insert(0, LegendSection(tr("核查地块", "Checked site"), sites_table.checked_site_rows(lang())))
    return groups, legends


def _map_section(sites: gpd.GeoDataFrame, project_no: int, key: tuple, checked: dict) -> dict | None:
    """The map with the context layers, the project sites, the checked site with its conflicts, a legend and
    the drawing tool; returns st_folium's value."""
    fmap = base_map(BASEMAP, lang=lang())
    add_label_css(fmap)
    fmap.get_root().header.add_child(folium.Element(LEGEND_CSS))
    DrawLocale(lang()).add_to(fmap)
    _draw_control().add_to(fmap)
    layers = {layer.id: layer for layer in registry()}
    base_ids = [i for i in ("county", "townships", "belt") if i in layers]
    # the context layers as published static files (one per data version and language, shared with the map page)
    groups = [layer_group(layers[i], lang=lang(), url=map_data.small_payload_url(i, BASEMAP)) for i in base_ids]
    groups.append(layer_group(layers["devzone"], lang=lang(), url=map_data.small_payload_url("devzone", BASEMAP)))
    groups.append(layer_group(layers["projects"], projects_data.site_layer(key), lang()))
    legends = [layer_legend(layers[i], lang()) for i in (*base_ids, "devzone", "projects")]
    more, more_legends = _checked_groups(checked, projects_data.context(key), layers)
    groups += more
    legends = more_legends + legends
    groups.append(legend_group(legends, heading=tr("图例", "Legend")))
    if checked["source"] == "project":
        center, zoom = sites_table.site_focus(sites, project_no)
    else:
        c = checked["draw"].to_crs(WGS84).geometry.union_all().centroid
        center, zoom = (c.y, c.x), sites_table.PARCEL_ZOOM
    # a new checked site (another project, an upload, a drawing) opens a new map at its view: re-centring
    # the mounted map by its ``center`` argument was sometimes lost in the frontend when the upload's
    # rerun replaced its layers (tests/browser/test_projects_browser.py, the jzd upload); the drawn polygon
    # itself is kept in the session state, not in the component
    # a rooftop or footprint site has no focus (sites_table.site_focus): the map opens at its own view, the county
    view_key = (f"{checked['source']}:{round(float(center[0]), 6)}:{round(float(center[1]), 6)}:{int(zoom)}"
                if center is not None and zoom is not None else f"{checked['source']}:{project_no}:county")
    out = st_folium(
        fmap, feature_group_to_add=groups, center=center, zoom=zoom, height=MAP_HEIGHT_PX, use_container_width=True,
        returned_objects=["last_active_drawing"],
        key="projects_map-" + hashlib.sha1(view_key.encode("utf-8")).hexdigest()[:12],
    )
    st.caption(
        tr(
            "用左上角绘图工具画一个面（多边形或矩形），即可预检该地块；编辑账号可将其保存为所选项目的地块。"
            "地图显示当前核查地块（上传、绘制或所选项目）及其冲突区域。",
            "Draw a polygon or rectangle with the tool at the top left to check it; editors can save it as the selected "
            "project's site. The map shows the checked site (uploaded, drawn or the selected project) and its conflict areas.",
        )
    )
    return out


def _site_panel(site_row: pd.Series, result: LandCheck, project_no: int, key: tuple) -> None:
    st.markdown(sites_table.site_state(site_row, lang()))
    _metrics(result)
    _findings(result)
    _downloads((tr("下载核查报告 (Excel)", "Report (Excel)"), tr("下载核查报告 (HTML 可打印)", "Report (printable HTML)")),
               lambda: projects_data.report(project_no, key), f"project_{project_no}_land_check", "dl_project")


def _site_type(project_kind: str) -> str:
    """The site type of uploaded and drawn sites: chosen, defaulting to the selected project's."""
    default = site_type_for(project_kind)
    column = 0 if lang() == "zh" else 1  # the run's language, fixed when the options are laid out
    return st.selectbox(
        tr("上传/绘制地块的用途类型", "Use of an uploaded or drawn site"), list(SITE_TYPES), index=SITE_TYPES.index(default),
        format_func=lambda t: SITE_TYPE_NAMES[t][column], key="projects_site_type",
    )


def _industry_figures(site_type: str) -> IndustryFigures | None:
    """An industrial site's 国土资发〔2008〕24号 figures entered on the page (blank: the project table's, if any)."""
    if site_type != "industrial":
        return None
    with st.expander(tr("工业项目用地指标（国土资发〔2008〕24号，留空则用项目表数据）",
                        "Industrial land indicators (land control indicators of 2008, No. 24; blank: the project table's figures)")):
        division = st.text_input(tr("国民经济行业分类（GB/T 4754-2002 大类代码，如 35）",
                                    "Industry division (GB/T 4754-2002, two digits, e.g. 35)"), key="projects_industry_div")
        labels = (("floor_area_m2", "总建筑面积 (m²)", "Floor area (m²)"),
                  ("footprint_m2", "建筑物构筑物占地面积 (m²)", "Building footprint (m²)"),
                  ("office_land_m2", "行政办公及生活服务设施用地 (m²)", "Office and living-service land (m²)"),
                  ("green_land_m2", "绿地面积 (m²)", "Green land (m²)"),
                  ("investment_wan", "固定资产投资 (万元)", "Fixed-asset investment (10k yuan)"))
        values = {name: st.number_input(tr(zh, en), min_value=0.0, value=None, key=f"projects_industry_{name}")
                  for name, zh, en in labels}
    figures = {k: (float(v) if v is not None else None) for k, v in values.items()}
    if not division.strip() and all(v is None for v in figures.values()):
        return None
    return IndustryFigures(division=division.strip() or None, **figures)


def _support_area(site_type: str) -> float | None:
    """A PV site's 配套设施 area (m²; 升压站, 运维, roads), checked as construction land (None: not given)."""
    if site_type != "pv":
        return None
    value = st.number_input(
        tr("光伏配套设施用地面积（m²，升压站、运维、道路；按建设用地核查）",
           "PV support-facility area (m², substation, O&M, roads; checked as construction land)"),
        min_value=0.0, value=0.0, step=100.0, key="projects_support_area")
    return float(value) or None


def _standalone_siting() -> bool:
    """Whether an uploaded or drawn site is declared a 单独选址 project (recorded in the check and its report)."""
    return st.checkbox(
        tr("申报为单独选址项目（城镇开发边界外须论证选址必要性）",
           "Declare a standalone-siting project (outside the development boundary it must be justified)"),
        value=False, key="projects_standalone_siting")


def _uploaded_site() -> tuple[gpd.GeoDataFrame | None, str | None]:
    """The uploaded site file read as it is (界址点 .txt, GeoJSON, GeoPackage, zipped Shapefile, KML, GeoParquet)."""
    st.subheader(tr("上传地块文件", "Upload a site file"))
    upload = st.file_uploader(
        tr("界址点坐标文件 (.txt，报盘格式) / GeoJSON / GeoPackage / 压缩的 Shapefile (.zip) / KML，任意坐标系",
           "Boundary-point coordinate file (.txt) / GeoJSON / GeoPackage / zipped Shapefile / KML, any CRS"),
        type=[ext.lstrip(".") for ext in SITE_UPLOAD_EXTS],
        key="projects_upload",
    )
    if upload is None:
        return None, None
    # The browser chooses upload.name: it is a label, never a path. The file is staged under a generated
    # name in the uploads folder (extension and size checked) and removed once read.
    ident = f"{getattr(upload, 'file_id', '')}|{upload.name}|{getattr(upload, 'size', '')}"
    swapped = st.session_state.get("projects_swap_xy") == ident  # the visitor asked to read this file swapped
    staged = None
    try:
        staged, _sha = upload_safety.stage_upload(upload, upload.name, size=getattr(upload, "size", None),
                                                  allowed=SITE_UPLOAD_EXTS, limits=SITE_UPLOAD_LIMITS)
        site = read_site_file(staged, swap_xy=swapped)
        if swapped:
            st.info(tr("已交换 X/Y 读取该文件（X 为北坐标）", "The file was read with X and Y exchanged (X is the northing)"))
        return site, upload.name
    except (upload_safety.UploadRejected, JzdError) as exc:  # both carry a zh / en pair; the line is named
        st.error(exc.zh if lang() == "zh" else exc.en)
        # one click reads the same file again with X and Y exchanged (command line: land-check --swap-xy)
        offer = getattr(exc, "code", None) == "xy_swapped" and not swapped
        if offer and st.button(tr("交换 X/Y 重新读取", "Swap X/Y and read again"), key="projects_swap_xy_button"):
            st.session_state["projects_swap_xy"] = ident
            st.rerun()
        return None, None
    except (ValueError, FileNotFoundError) as exc:
        st.error(str(exc))
        return None, None
    finally:
        upload_safety.discard_staged(staged)


def _drawn_site() -> gpd.GeoDataFrame | None:
    """The last polygon drawn on the map (kept in the session state when st_folium returns it)."""
    drawn = st.session_state.get("projects_drawn")
    if not drawn or (drawn.get("geometry") or {}).get("type") not in ("Polygon", "MultiPolygon"):
        return None
    try:
        return site_from_geojson(drawn)
    except ValueError as exc:
        st.error(str(exc))
        return None


def _checked_site(project_no: int, result: LandCheck, key: tuple, site_type: str, upload: tuple,
                  standalone: bool = False, support_area: float | None = None,
                  industry: IndustryFigures | None = None) -> dict:
    """The site the page checks and draws: an uploaded file, else a drawn polygon, else the plan project's site."""
    uploaded, name = upload
    ctx = projects_data.context(key)
    for source, site, label in (("upload", uploaded, name), ("drawn", _drawn_site(), tr("绘制地块", "Drawn site"))):
        if site is None:
            continue
        try:
            res = check_site(site, project_no, ctx, site_type=site_type, standalone_siting=standalone,
                             support_area_m2=support_area, industry=industry)
            site_wgs = site.to_crs(WGS84) if site.crs is not None else site_from_gdf(site, res.site.crs_read)
            conflicts = site_conflicts(site, res, ctx)
        except ValueError as exc:
            st.error(str(exc))
            continue
        return {"source": source, "site": site_wgs, "draw": site_wgs, "result": res, "conflicts": conflicts,
                "label": str(label)}
    layer = projects_data.site_layer(key)
    draw = layer[layer["project_no"] == project_no]
    conflicts = site_conflicts(draw, result, ctx)
    return {"source": "project", "site": draw, "draw": draw, "result": result, "conflicts": conflicts,
            "label": tr(f"项目 {project_no}", f"Project {project_no}")}


def _checked(site, result: LandCheck, project_no: int, editor: str | None, source: str) -> None:
    """A drawn or uploaded site's figures and findings, and (editors) a button saving it as the project's site."""
    _metrics(result)
    if result.standalone_siting:
        st.caption(tr("申报声明：单独选址项目", "Declared: standalone-siting project"))
    _findings(result)
    label = tr(f"保存为项目 {project_no} 的地块", f"Save as the site of project {project_no}")
    if editor and st.button(label, key=f"save_{source}"):
        _save(project_no, site, source)
        st.rerun()


def _compliance_section(checked: dict, key: tuple) -> None:
    """Findings and farmland-parcel tables of the checked site, its compliance report (Excel, PDF) and 界址点 export."""
    result = checked["result"]
    shown = md_escape(checked["label"])  # a project name or an uploaded file's name, as text
    st.subheader(tr(f"合规性核查：{shown}", f"Compliance check: {shown}"))
    st.dataframe(compliance.findings_table(result, lang()), hide_index=True, width="stretch")
    landuse = compliance.landuse_table(result, lang())
    if len(landuse):
        st.markdown(tr("**地类现状（三调：建设用地 / 农用地 / 未利用地）**",
                       "**Land use now (third land survey: construction / agricultural / unused land)**"))
        st.dataframe(landuse, hide_index=True, width="stretch")
    parcels = compliance.parcel_table(result, lang())
    if len(parcels):
        st.markdown(tr("**占用永久基本农田图斑**", "**Basic-farmland parcels taken**"))
        st.dataframe(parcels, hide_index=True, width="stretch")
    build = _compliance_files(checked, key)
    stem = f"land_compliance_{checked['source']}"
    c1, c2, c3 = st.columns(3)
    c1.download_button(tr("合规报告 (Excel)", "Compliance report (Excel)"), lambda: build("xlsx"),
                       file_name=f"{stem}.xlsx", mime=XLSX_MIME, key="dl_compliance_xlsx")
    c2.download_button(tr("合规报告 (PDF)", "Compliance report (PDF)"), lambda: build("pdf"),
                       file_name=f"{stem}.pdf", mime="application/pdf", key="dl_compliance_pdf")
    if not checked["result"].rooftop:
        c3.download_button(tr("导出界址点文件 (.txt)", "Export boundary-point file (.txt)"), lambda: build("jzd"),
                           file_name=f"{stem}_jzd.txt", mime="text/plain", key="dl_compliance_jzd")


def _compliance_files(checked: dict, key: tuple) -> Callable[[str], bytes]:
    """A builder of the checked site's report files (``xlsx``, ``pdf``, ``jzd``), called when a download button
    is clicked (Streamlit's deferred download data): the map image and the PDF take seconds (py-spy: most of
    a rerun when they were built on every run). Everything it needs is taken now, in the script run."""
    result, ctx, lg, label, site = checked["result"], projects_data.context(key), lang(), checked["label"], checked["site"]
    draw, conflicts = checked["draw"], checked["conflicts"]

    def build(kind: str) -> bytes:
        if kind == "jzd":  # an uploaded file keeps its parcels' names and uses; a plan project is named in full
            name = label
            if checked["source"] == "project" and result.project_no is not None:
                name = sites_table.project_names(load_projects(), "zh").get(int(result.project_no), label)
            return jzd_bytes(export_site(site), name=name)
        png = compliance.map_png(draw, conflicts, ctx, lg)
        make = compliance.report_xlsx if kind == "xlsx" else compliance.report_pdf
        return make(result, ctx, lg, label, png)

    return build


def _reset_section(site_row: pd.Series, project_no: int, editor: str | None) -> None:
    if not editor:
        st.info(tr("浏览无需登录；保存或恢复地块需在侧栏以编辑账号登录。",
                   "Browsing is open; sign in as an editor (sidebar) to save or reset sites."))
        return
    if not site_row["demo"] and st.button(tr("恢复演示地块", "Reset to the demo site"), key="reset_site"):
        try:
            user = require_editor()
        except PermissionError as exc:
            st.error(str(exc))
        else:
            reset_project_site(database(), project_no, user)
            projects_data.clear()
            st.rerun()


def _history_section() -> None:
    with st.expander(tr("地块修改记录", "Site edit history")):
        hist = site_history(database())
        st.dataframe(display_frame(hist, lang()), hide_index=True, width="stretch")


def main() -> None:
    st.title(tr("重点项目用地核查", "Priority projects: land check"))
    if msg := st.session_state.pop("projects_msg", None):
        st.success(msg)
    projects = load_projects()
    key = projects_data.sites_key()
    sites = projects_data.sites(key)
    devzone = load_devzone()
    ctx = projects_data.context(key)
    zoning = {i: g for i in ZONING_IDS if (g := ctx.get(i)) is not None}
    demo_banner({"projects": sites, "devzone": devzone, **zoning})
    editor = current_editor()
    with st.spinner(tr("正在核查各项目用地…", "Checking every project's land…")):
        results = projects_data.checks(key)
    _summary_section(results, projects)
    _progress_section(projects, editor)
    names = sites_table.project_names(projects, lang())
    project_no = st.selectbox(
        tr("选择项目", "Project"), list(names), format_func=lambda n: f"{n}. {names[n]}", key="projects_selected"
    )
    site_row = sites[sites["project_no"] == project_no].iloc[0]
    result = next(r for r in results if r.project_no == project_no)
    kind = str(projects.loc[projects["序号"] == project_no, "project_kind"].iloc[0])
    site_type = _site_type(kind)
    standalone = _standalone_siting()
    support_area = _support_area(site_type)
    industry = _industry_figures(site_type)
    upload = _uploaded_site()
    checked = _checked_site(project_no, result, key, site_type, upload, standalone, support_area, industry)
    left, right = st.columns([3, 2])
    with left:
        out = _map_section(sites, project_no, key, checked)
    drawn = (out or {}).get("last_active_drawing")
    if drawn and (drawn.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon") \
            and drawn != st.session_state.get("projects_drawn"):
        st.session_state["projects_drawn"] = drawn  # check and draw it on the next run (the map comes first)
        st.rerun()
    with right:
        if checked["source"] == "project":
            _site_panel(site_row, result, project_no, key)
        else:
            if checked["source"] == "drawn":
                st.subheader(tr("绘制地块预检", "Check of the drawn site"))
            label = md_escape(checked["label"])  # an uploaded file's name, shown as text
            st.markdown(tr(f"**核查地块**：{label}", f"**Checked site**: {label}"))
            _checked(checked["site"], checked["result"], project_no, editor, checked["source"])
    _compliance_section(checked, key)
    _reset_section(site_row, project_no, editor)
    _history_section()


main()
