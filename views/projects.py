"""Priority projects (附件2) and the land-allocation check: table, map with drawing, upload, reports."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from folium.plugins import Draw
from streamlit_folium import st_folium

from cyc_geo.exports.display import display_frame
from cyc_geo.mapview.controls import DrawLocale
from cyc_geo.mapview.webmap import add_label_css, base_map, layer_group, localize_assets
from cyc_geo.planning import sites_table
from cyc_geo.planning.landcheck import CheckContext, check_projects, check_site
from cyc_geo.planning.projects import (
    SEED_COLUMNS,
    load_devzone,
    load_project_layer,
    load_project_sites,
    load_projects,
    read_site_file,
    reset_project_site,
    save_project_site,
    site_from_geojson,
    site_history,
)
from cyc_geo.planning.report import project_report, summary_html, summary_table, summary_xlsx
from ui.auth import current_editor, require_editor
from ui.common import database, demo_banner, lang, load_layer, registry, tr

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOW_LEVEL = {"conflict": st.error, "warning": st.warning, "ok": st.success}


# cache_resource, not cache_data: the rooftop site has ~10^5 parts and must not be re-pickled per rerun
@st.cache_resource(show_spinner=False, max_entries=4)
def _sites(key: tuple):
    return load_project_sites(database())


@st.cache_resource(show_spinner=False, max_entries=4)
def _site_layer(key: tuple):
    return load_project_layer()


@st.cache_resource(show_spinner=False, max_entries=4)
def _checks(key: tuple) -> list[dict]:
    return check_projects(database(), CheckContext(sites=_sites(key)))


@st.cache_resource(show_spinner=False, max_entries=16)
def _report(project_no: int, key: tuple) -> dict:
    rep = project_report(project_no, database(), CheckContext(sites=_sites(key)))
    return {k: rep[k] for k in ("xlsx", "html", "png")}


@st.cache_resource(show_spinner=False, max_entries=4)
def _context(key: tuple) -> CheckContext:
    """Context layers for checking drawn/uploaded shapes, loaded once (parcels only, no roofs)."""
    return CheckContext(sites=_site_layer(key))


def _clear_caches() -> None:
    for fn in (_sites, _site_layer, _checks, _report, _context):
        fn.clear()


def _findings(result: dict) -> None:
    """Findings, most severe first, each with its level and the reason in the UI language."""
    for level, text in sites_table.finding_lines(result, lang()):
        SHOW_LEVEL[level](text)


def _metrics(result: dict) -> None:
    figures = sites_table.area_figures(result, lang())
    for pair in (figures[:2], figures[2:]):
        for col, (label, value) in zip(st.columns(2), pair):
            col.metric(label, value)
    st.caption(sites_table.township_line(result, lang()))


def _downloads(labels: tuple[str, str], files: dict[str, Any], stem: str, key: str) -> None:
    """Excel and printable-HTML download buttons side by side (``files`` has ``xlsx`` and ``html``)."""
    c1, c2 = st.columns(2)
    c1.download_button(labels[0], files["xlsx"], file_name=f"{stem}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx")
    c2.download_button(labels[1], files["html"], file_name=f"{stem}.html", mime="text/html", key=f"{key}_html")


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
    _clear_caches()
    st.session_state["projects_msg"] = tr(
        f"已保存项目 {project_no} 的地块（第 {version} 版，{user}）",
        f"Saved the site of project {project_no} (version {version}, {user})",
    )


def _summary_section(results: list[dict], projects: pd.DataFrame) -> None:
    st.subheader(tr("重点项目表（附件2）", "Priority projects (annex 2)"))
    table = summary_table(results, projects)
    st.dataframe(sites_table.shown_summary(table, lang()), hide_index=True, width="stretch")
    with st.expander(tr("附件2 原文各列", "Annex 2, all seed columns")):
        st.dataframe(sites_table.labelled(projects[list(SEED_COLUMNS)], lang()), hide_index=True, width="stretch")
    _downloads(
        (tr("下载汇总表 (Excel)", "Download summary (Excel)"), tr("下载汇总表 (HTML 可打印)", "Download summary (printable HTML)")),
        {"xlsx": summary_xlsx(table), "html": summary_html(table)}, "projects_land_check_summary", "dl_summary",
    )


def _draw_control() -> Draw:
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False},
        edit_options={"edit": False},
    )
    localize_assets(draw)
    return draw


def _map_section(sites: gpd.GeoDataFrame, devzone: gpd.GeoDataFrame, project_no: int, key: tuple) -> dict | None:
    """The map with the context layers, the project sites and the drawing tool; returns st_folium's value."""
    fmap = base_map("blank", lang=lang())
    add_label_css(fmap)
    DrawLocale(lang()).add_to(fmap)
    _draw_control().add_to(fmap)
    layers = {layer.id: layer for layer in registry()}
    groups = [layer_group(layers[i], load_layer(i), lang()) for i in ("county", "townships", "belt") if i in layers]
    groups.append(layer_group(layers["devzone"], devzone, lang()))
    groups.append(layer_group(layers["projects"], _site_layer(key), lang()))
    center, zoom = sites_table.site_focus(sites, project_no)
    out = st_folium(
        fmap, feature_group_to_add=groups, center=center, zoom=zoom, height=560, use_container_width=True,
        returned_objects=["last_active_drawing"], key="projects_map",
    )
    st.caption(
        tr(
            "用左上角绘图工具画一个面（多边形或矩形），即可预检该地块；编辑账号可将其保存为所选项目的地块。",
            "Draw a polygon or rectangle with the tool at the top left to check it; editors can save it as the selected project's site.",
        )
    )
    return out


def _site_panel(site_row: pd.Series, result: dict, project_no: int, key: tuple) -> None:
    st.markdown(sites_table.site_state(site_row, lang()))
    _metrics(result)
    _findings(result)
    _downloads((tr("下载核查报告 (Excel)", "Report (Excel)"), tr("下载核查报告 (HTML 可打印)", "Report (printable HTML)")),
               _report(project_no, key), f"project_{project_no}_land_check", "dl_project")


def _checked(site, result: dict, project_no: int, editor: str | None, source: str) -> None:
    """A drawn or uploaded site's figures and findings, and (editors) a button saving it as the project's site."""
    _metrics(result)
    _findings(result)
    label = tr(f"保存为项目 {project_no} 的地块", f"Save as the site of project {project_no}")
    if editor and st.button(label, key=f"save_{source}"):
        _save(project_no, site, source)
        st.rerun()


def _drawn_section(out: dict | None, project_no: int, key: tuple, editor: str | None) -> None:
    drawn = (out or {}).get("last_active_drawing")
    if not drawn or (drawn.get("geometry") or {}).get("type") not in ("Polygon", "MultiPolygon"):
        return
    st.subheader(tr("绘制地块预检", "Check of the drawn site"))
    try:
        site = site_from_geojson(drawn)
        result = check_site(site, project_no, _context(key))
    except ValueError as exc:
        st.error(str(exc))
    else:
        _checked(site, result, project_no, editor, "drawn")


def _upload_section(project_no: int, key: tuple, editor: str | None) -> None:
    st.subheader(tr("上传地块文件", "Upload a site file"))
    upload = st.file_uploader(
        tr("GeoJSON / GeoPackage / 压缩的 Shapefile (.zip) / KML，任意坐标系", "GeoJSON / GeoPackage / zipped Shapefile / KML, any CRS"),
        type=["geojson", "json", "gpkg", "zip", "kml", "parquet"],
        key="projects_upload",
    )
    if upload is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.getvalue())
        try:
            site = read_site_file(path)
            result = check_site(site, project_no, _context(key))
        except (ValueError, FileNotFoundError) as exc:
            st.error(str(exc))
            return
    _checked(site, result, project_no, editor, "upload")


def _reset_section(site_row: pd.Series, project_no: int, editor: str | None) -> None:
    if not editor:
        st.info(tr("浏览无需登录；保存或恢复地块需在侧栏以编辑账号登录。", "Browsing is open; sign in as an editor (sidebar) to save or reset sites."))
        return
    if not site_row["demo"] and st.button(tr("恢复演示地块", "Reset to the demo site"), key="reset_site"):
        try:
            user = require_editor()
        except PermissionError as exc:
            st.error(str(exc))
        else:
            reset_project_site(database(), project_no, user)
            _clear_caches()
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
    key = sites_table.sites_key(database())
    sites = _sites(key)
    devzone = load_devzone()
    demo_banner({"projects": sites, "devzone": devzone})
    editor = current_editor()
    with st.spinner(tr("正在核查各项目用地…", "Checking every project's land…")):
        results = _checks(key)
    _summary_section(results, projects)
    names = sites_table.project_names(projects, lang())
    project_no = st.selectbox(
        tr("选择项目", "Project"), list(names), format_func=lambda n: f"{n}. {names[n]}", key="projects_selected"
    )
    site_row = sites[sites["project_no"] == project_no].iloc[0]
    result = next(r for r in results if r["project_no"] == project_no)
    left, right = st.columns([3, 2])
    with left:
        out = _map_section(sites, devzone, project_no, key)
    with right:
        _site_panel(site_row, result, project_no, key)
    _drawn_section(out, project_no, key, editor)
    _upload_section(project_no, key, editor)
    _reset_section(site_row, project_no, editor)
    _history_section()


main()
