"""Priority projects (附件2) and the land-allocation check: table, map with drawing, upload, reports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from folium.plugins import Draw
from streamlit_folium import st_folium

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
from cyc_geo.mapview.webmap import add_label_css, base_map, layer_group, localize_assets
from ui.auth import current_editor, require_editor
from ui.common import database, demo_banner, lang, load_layer, registry, tr

LEVEL_ICON = {"conflict": "⛔", "warning": "⚠️", "ok": "✅"}
LEVEL_TEXT = {"conflict": ("冲突", "conflict"), "warning": ("注意", "warning"), "ok": ("通过", "ok")}


def _sites_key() -> tuple:
    """Changes whenever a site is saved or reset (cheap: one small SQL query)."""
    rows = database().execute("SELECT project_no, version, updated_at FROM project_sites ORDER BY project_no").fetchall()
    return tuple(tuple(r) for r in rows)


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
    order = {"conflict": 0, "warning": 1, "ok": 2}
    for f in sorted(result["findings"], key=lambda f: order[f["level"]]):
        zh, en = LEVEL_TEXT[f["level"]]
        text = f"{LEVEL_ICON[f['level']]} **{tr(zh, en)}** · `{f['layer']}` — {tr(f['reason_zh'], f['reason_en'])}"
        {"conflict": st.error, "warning": st.warning, "ok": st.success}[f["level"]](text)


def _metrics(result: dict) -> None:
    c = st.columns(2)
    c[0].metric(tr("面积 (m²)", "Area (m²)"), f"{result['area_m2']:,.0f}")
    c[1].metric(tr("面积 (亩)", "Area (mu)"), f"{result['area_mu']:,.1f}")
    c = st.columns(2)
    c[0].metric(tr("面积 (公顷)", "Area (ha)"), f"{result['area_ha']:,.2f}")
    c[1].metric(tr("碳汇损失 (t CO2/年)", "Sink lost (t CO2/yr)"), f"{result['sink_lost_t_co2_yr']:,.1f}")
    names = [t["name"] if lang() == "zh" else t["name_en"] for t in result["townships"]]
    shown = "、".join(names[:6]) + ("…" if len(names) > 6 else "")
    st.caption(tr("所在乡镇：", "Townships: ") + (shown or "—"))


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


st.title(tr("重点项目用地核查", "Priority projects: land check"))
if msg := st.session_state.pop("projects_msg", None):
    st.success(msg)

projects = load_projects()
key = _sites_key()
sites = _sites(key)
devzone = load_devzone()
demo_banner({"projects": sites, "devzone": devzone})
editor = current_editor()

with st.spinner(tr("正在核查各项目用地…", "Checking every project's land…")):
    results = _checks(key)
table = summary_table(results, projects)

st.subheader(tr("重点项目表（附件2）", "Priority projects (annex 2)"))
show = table.copy()
show["核查结论 status"] = show["核查结论 status"].map(lambda s: f"{LEVEL_ICON.get(s, '')} {s}")
show["用地需求(亩)"] = show["用地需求(亩)"].map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}")
st.dataframe(show, hide_index=True, width="stretch")
with st.expander(tr("附件2 原文各列", "Annex 2, all seed columns")):
    st.dataframe(projects[list(SEED_COLUMNS)], hide_index=True, width="stretch")
c1, c2 = st.columns(2)
c1.download_button(
    tr("下载汇总表 (Excel)", "Download summary (Excel)"),
    summary_xlsx(table),
    file_name="projects_land_check_summary.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="dl_summary_xlsx",
)
c2.download_button(
    tr("下载汇总表 (HTML 可打印)", "Download summary (printable HTML)"),
    summary_html(table),
    file_name="projects_land_check_summary.html",
    mime="text/html",
    key="dl_summary_html",
)

nos = [int(n) for n in projects["序号"]]
names = dict(zip(nos, projects["项目名称"] if lang() == "zh" else projects["name_en"]))
project_no = st.selectbox(
    tr("选择项目", "Project"), nos, format_func=lambda n: f"{n}. {names[n]}", key="projects_selected"
)
site_row = sites[sites["project_no"] == project_no].iloc[0]
result = next(r for r in results if r["project_no"] == project_no)

left, right = st.columns([3, 2])
with left:
    fmap = base_map("blank")
    add_label_css(fmap)
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={"polyline": False, "circle": False, "marker": False, "circlemarker": False},
        edit_options={"edit": False},
    )
    localize_assets(draw)
    draw.add_to(fmap)
    layers = {layer.id: layer for layer in registry()}
    groups = [layer_group(layers[i], load_layer(i), lang()) for i in ("county", "townships", "belt") if i in layers]
    groups.append(layer_group(layers["devzone"], devzone, lang()))
    groups.append(layer_group(layers["projects"], _site_layer(key), lang()))
    if site_row["site_kind"] == "parcel":
        b = sites[sites["project_no"] == project_no].total_bounds
        center, zoom = ((b[1] + b[3]) / 2, (b[0] + b[2]) / 2), 14
    else:
        center, zoom = None, None
    out = st_folium(
        fmap,
        feature_group_to_add=groups,
        center=center,
        zoom=zoom,
        height=560,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        key="projects_map",
    )
    st.caption(
        tr(
            "用左上角绘图工具画一个面（多边形或矩形），即可预检该地块；编辑账号可将其保存为所选项目的地块。",
            "Draw a polygon or rectangle with the tool at the top left to check it; editors can save it as the selected project's site.",
        )
    )

with right:
    src = site_row["source"]
    if site_row["demo"]:
        state_zh, state_en = "（演示）", " (demo)"
    else:
        when = f"{site_row['updated_by']}，{site_row['updated_at']}"
        state_zh = f"，第 {site_row['version']} 版，{when}"
        state_en = f", version {site_row['version']}, {site_row['updated_by']}, {site_row['updated_at']}"
    st.markdown(tr(f"**当前地块**：来源 `{src}`{state_zh}", f"**Current site**: source `{src}`{state_en}"))
    _metrics(result)
    _findings(result)
    rep = _report(project_no, key)
    d1, d2 = st.columns(2)
    d1.download_button(
        tr("下载核查报告 (Excel)", "Report (Excel)"),
        rep["xlsx"],
        file_name=f"project_{project_no}_land_check.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_project_xlsx",
    )
    d2.download_button(
        tr("下载核查报告 (HTML 可打印)", "Report (printable HTML)"),
        rep["html"],
        file_name=f"project_{project_no}_land_check.html",
        mime="text/html",
        key="dl_project_html",
    )

drawn = (out or {}).get("last_active_drawing")
if drawn and (drawn.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon"):
    st.subheader(tr("绘制地块预检", "Check of the drawn site"))
    try:
        drawn_site = site_from_geojson(drawn)
        drawn_result = check_site(drawn_site, project_no, _context(key))
    except ValueError as exc:
        st.error(str(exc))
    else:
        _metrics(drawn_result)
        _findings(drawn_result)
        if editor:
            if st.button(tr(f"保存为项目 {project_no} 的地块", f"Save as the site of project {project_no}"), key="save_drawn"):
                _save(project_no, drawn_site, "drawn")
                st.rerun()

st.subheader(tr("上传地块文件", "Upload a site file"))
upload = st.file_uploader(
    tr("GeoJSON / GeoPackage / 压缩的 Shapefile (.zip) / KML，任意坐标系", "GeoJSON / GeoPackage / zipped Shapefile / KML, any CRS"),
    type=["geojson", "json", "gpkg", "zip", "kml", "parquet"],
    key="projects_upload",
)
if upload is not None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / upload.name
        path.write_bytes(upload.getvalue())
        try:
            up_site = read_site_file(path)
            up_result = check_site(up_site, project_no, _context(key))
        except (ValueError, FileNotFoundError) as exc:
            st.error(str(exc))
            up_site = None
    if up_site is not None:
        _metrics(up_result)
        _findings(up_result)
        if editor:
            if st.button(tr(f"保存为项目 {project_no} 的地块", f"Save as the site of project {project_no}"), key="save_upload"):
                _save(project_no, up_site, "upload")
                st.rerun()

if editor:
    if not site_row["demo"] and st.button(tr("恢复演示地块", "Reset to the demo site"), key="reset_site"):
        try:
            user = require_editor()
        except PermissionError as exc:
            st.error(str(exc))
        else:
            reset_project_site(database(), project_no, user)
            _clear_caches()
            st.rerun()
else:
    st.info(tr("浏览无需登录；保存或恢复地块需在侧栏以编辑账号登录。", "Browsing is open; sign in as an editor (sidebar) to save or reset sites."))

with st.expander(tr("地块修改记录", "Site edit history")):
    hist = site_history(database())
    st.dataframe(hist if len(hist) else pd.DataFrame({tr("记录", "records"): []}), hide_index=True, width="stretch")
