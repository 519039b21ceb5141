"""数据导入 / Data import: replace a layer's demo data with the planner's official file.

Browsing is open; importing and rolling back need a signed-in editor
(:func:`ui.auth.require_editor` is called right before every write). The work
is done by :mod:`cyc_geo.ingest.importer` and :mod:`cyc_geo.catalog.versions`; this page
only collects the choices (layer, encoding, coordinate system, column mapping)
and shows the result or the problem in Chinese and English.

A layer with a table reader (the PV installation ledger) also takes ``.xlsx``/``.csv``: the page
asks for the coordinates' system (WGS84 / GCJ-02) and, when rows cannot be read, lists them with a
checkbox to skip them and import the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from cyc_geo.catalog import versions as layer_versions
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.exports.meta import MISSING, beijing_time
from cyc_geo.ingest import importer, upload_safety
from cyc_geo.ingest.importer import ImportFailure
from ui.auth import current_editor, require_editor
from ui.common import clear_caches, database, lang, layer_frame, registry, tr
from ui.text import md_escape

UPLOAD_TYPES = sorted(e.lstrip(".") for e in upload_safety.ALLOWED_EXTS if e != ".shp")
ENCODING_CHOICES = ["auto", "UTF-8", "GBK", "GB18030"]
COMMON_CRS = ["EPSG:4490", "EPSG:4326", "EPSG:4547", "EPSG:4526", "EPSG:2383", "EPSG:2362", "GCJ02"]


# ---------------------------------------------------------------- page functions (each write checks the editor)


def stage(uploaded: Any) -> dict[str, Any]:
    """Store an uploaded file under a generated name in ``<data>/uploads`` (editors only)."""
    require_editor()
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    path, sha = upload_safety.stage_upload(uploaded, uploaded.name, size=getattr(uploaded, "size", None))
    return {"file_id": getattr(uploaded, "file_id", uploaded.name), "path": str(path), "name": uploaded.name, "sha256": sha}


def do_import(staged: dict[str, Any], layer_id: str, encoding: str | None = None, crs: str | None = None,
              mapping: dict[str, str] | None = None, member: str | None = None, coords_crs: str | None = None,
              sheet: str | None = None, accept_skips: bool = False, data_year: int | None = None,
              sublayer: str | None = None, swap_xy: bool = False, allow_outside: bool = False) -> dict[str, Any]:
    """Import a staged upload as the active data of ``layer_id`` (editors only).

    ``coords_crs``, ``sheet`` and ``accept_skips`` apply to tables, ``sublayer``, ``swap_xy`` and
    ``allow_outside`` to GIS files (see :func:`cyc_geo.ingest.importer.import_file`)."""
    actor = require_editor()
    record = importer.import_file(
        Path(staged["path"]), layer_id, actor, file_name=staged["name"], encoding=encoding, crs=crs,
        mapping=mapping, member=member, conn=database(), coords_crs=coords_crs, sheet=sheet,
        accept_skips=accept_skips, sublayer=sublayer, swap_xy=swap_xy, allow_outside=allow_outside,
    )
    layer_versions.apply_data_year(database(), layer_id, record, data_year, actor)
    clear_caches()
    return record


def do_rollback(layer_id: str) -> dict[str, Any]:
    """Switch ``layer_id`` back to its previous version, or to demo data (editors only)."""
    actor = require_editor()
    result = layer_versions.rollback(database(), layer_id, actor)
    clear_caches()
    return result


def do_activate(layer_id: str, import_id: int) -> dict[str, Any]:
    """Make an earlier import of ``layer_id`` active again (editors only)."""
    actor = require_editor()
    result = layer_versions.activate(database(), layer_id, import_id, actor)
    clear_caches()
    return result


# ---------------------------------------------------------------- rendering


def _layer_label(layer_id: str) -> str:
    titles = {layer.id: layer.title(lang()) for layer in registry()}
    return f"{titles.get(layer_id, layer_id)} ({layer_id})"


def _built_in_source(layer) -> tuple[str, Any]:
    """(label, feature count) of a layer that has no import: bundled real data, or demo/approximate."""
    try:
        gdf = layer_frame(layer.id)
        demo = not provenance_of(gdf).is_real
    except Exception as exc:  # noqa: BLE001 - a layer that cannot be built here: say so, keep the table
        return tr(f"无法加载：{exc}", f"cannot load: {exc}"), "—"
    label = tr("演示/近似数据", "demo/approximate data") if demo else tr("内置真实数据", "bundled real data")
    return label, "—" if layer.geometry == "raster" else f"{len(gdf):,}"


def status_table() -> pd.DataFrame:
    """One row per registered layer: where its data comes from now."""
    conn = database()
    rows = []
    for layer in registry():
        has_versions = layer_versions.layer_dir(layer.id).exists()
        active = [v for v in layer_versions.list_versions(conn, layer.id) if v["active"]] if has_versions else []
        if active:
            v = active[0]
            source = tr(f"导入 #{v['id']}：{v['file_name']}", f"import #{v['id']}: {v['file_name']}")
            when, who, n = beijing_time(v["imported_at"]), v["imported_by"], v["counts"].get("features")
        else:
            source, n = _built_in_source(layer)
            when, who = MISSING, MISSING
        rows.append({tr("图层", "Layer"): layer.title(lang()), tr("图层标识", "Layer id"): layer.id,
                     tr("数据来源", "Source"): source, tr("要素数", "Features"): MISSING if n is None else str(n),
                     tr("导入时间（北京时间）", "Imported (Beijing time)"): when, tr("导入人", "By"): who})
    return pd.DataFrame(rows)


def _show_result(rec: dict[str, Any]) -> None:
    st.success(tr(f"已导入 {rec['features']} 个要素到图层 {rec['layer']}（导入 #{rec['import_id']}）",
                  f"Imported {rec['features']} features into layer {rec['layer']} (import #{rec['import_id']})"))
    cols = st.columns(5)
    cols[0].metric(tr("要素", "Features"), rec["features"])
    cols[1].metric(tr("修复几何", "Repaired"), rec["repaired"])
    cols[2].metric(tr("删除空几何", "Dropped empty"), rec["dropped"])
    cols[3].metric(tr("县界外", "Outside county"), rec["outside_county"])
    cols[4].metric(tr("编码", "Encoding"), rec["encoding"] or "-")
    st.caption(md_escape(tr(f"原坐标系：{rec['crs_in'] or '无'}；采用：{rec['crs_used']}；SHA-256：{rec['sha256'][:16]}…",
                            f"CRS in file: {rec['crs_in'] or 'none'}; used: {rec['crs_used']}; SHA-256: {rec['sha256'][:16]}…")))
    for w in rec.get("warnings") or []:  # e.g. a GCJ-02 outline read as WGS84 (cyc_geo.ingest.gcj_check)
        if "message_zh" in w:  # a ledger's row warnings are listed in the ledger's table below
            st.warning(md_escape(tr(w["message_zh"], w["message_en"])))
    if "rows_read" in rec:
        _show_ledger_result(rec)
    if rec["outside_county"]:
        st.warning(tr(f"{rec['outside_county']} 个要素位于县界外（已标记 outside_county 字段）",
                      f"{rec['outside_county']} features lie outside the county (flagged in column outside_county)"))


def skipped_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The skipped rows of a table import for display: row number as in Excel, reason in both languages."""
    return pd.DataFrame([{tr("行号", "Row"): r["row"], tr("原因", "Reason"): tr(r["reason_zh"], r["reason_en"])}
                         for r in rows], columns=[tr("行号", "Row"), tr("原因", "Reason")])


def _show_ledger_result(rec: dict[str, Any]) -> None:
    cols = st.columns(3)
    cols[0].metric(tr("读取行数", "Rows read"), rec["rows_read"])
    cols[1].metric(tr("跳过行数", "Rows skipped"), len(rec["rows_skipped"]))
    if rec.get("capacity_basis") == "DC":  # a kWp column: DC module power, never shown as kW
        cols[2].metric(tr("组件容量合计 (kWp，直流)", "Total DC capacity (kWp)"), f"{rec.get('total_kwp', 0.0):,.1f}")
    else:
        cols[2].metric(tr("装机容量合计 (kW)", "Total capacity (kW)"), f"{rec['total_kw']:,.1f}")
    if rec["rows_skipped"]:
        st.caption(tr("以下行已按确认跳过（已记入审计日志）：", "These rows were skipped as accepted (recorded in the audit log):"))
        st.dataframe(skipped_table(rec["rows_skipped"]), hide_index=True, width="stretch")
    if rec.get("warnings"):
        st.caption(tr("以下行已导入，但请核对：", "These rows were imported; please check them:"))
        st.dataframe(skipped_table(rec["warnings"]), hide_index=True, width="stretch")
    for check in rec.get("total_checks") or []:
        if not check["ok"]:
            st.warning(md_escape(tr(
                f"第 {check['row']} 行“{check['label']}”为 {check['file_kw']:,.1f} kW，各行之和为 {check['sum_kw']:,.1f} kW",
                f"Row {check['row']} ({check['label']}) says {check['file_kw']:,.1f} kW, the rows sum to {check['sum_kw']:,.1f} kW")))


def _failure_followup(fail: dict[str, Any]) -> dict[str, Any]:
    """Widgets that resolve a stopped import; returns extra keyword arguments for a retry."""
    extra: dict[str, Any] = {}
    code = fail["error"]
    if code in ("crs_needed", "raster_no_crs", "crs_implausible"):
        suggestions = fail.get("suggestions", [])
        keys = {f"{s['crs']}|swap" if s.get("swap_xy") else s["crs"]: s for s in suggestions}
        options = list(keys) or COMMON_CRS
        labels = {k: (s["label_zh"] if lang() == "zh" else s["label_en"]) for k, s in keys.items()}
        choice = st.radio(tr("选择坐标系（按坐标数值推荐）", "Choose the coordinate system (suggested from the coordinates)"),
                          options + ["other"], key="imp_fix_crs",
                          format_func=lambda c: tr("其他（输入 EPSG 代码）", "Other (type an EPSG code)") if c == "other"
                          else f"{c.split('|')[0]} {labels.get(c, '')}")
        if choice == "other":
            choice = st.text_input("EPSG", key="imp_fix_crs_text", placeholder="4547")
        crs, _, swap = (choice or "").partition("|")
        extra["crs"] = crs or None
        extra["swap_xy"] = swap == "swap"
    elif code in ("mapping_needed", "duplicate_mapping"):
        columns = fail.get("columns", [])
        proposed = {**fail.get("proposed", {}), **(fail.get("mapping") or {})} if code == "duplicate_mapping" else fail.get("proposed", {})
        mapping = {}
        for target in fail.get("required", []):
            default = columns.index(proposed[target]) if proposed.get(target) in columns else 0
            mapping[target] = st.selectbox(tr(f"图层字段 “{target}” 对应文件中的列", f"File column for layer column '{target}'"),
                                           columns, index=default, key=f"imp_map_{target}")
        if len(set(mapping.values())) < len(mapping):
            st.warning(tr("每个图层字段需要对应不同的列", "Each layer column needs a different file column"))
        extra["mapping"] = mapping
    elif code == "choose_sublayer":
        counts = fail.get("sublayer_features") or {}
        extra["sublayer"] = st.selectbox(
            tr("选择文件中的图层", "Layer inside the file"), fail.get("sublayers", []), key="imp_fix_sublayer",
            format_func=lambda n: f"{n} ({counts.get(n) if counts.get(n) is not None else '?'} {tr('个要素', 'features')})")
    elif code == "outside_county":
        if not st.checkbox(tr("确认导入县界外的数据（记入审计日志）",
                              "Import the data outside the county anyway (recorded in the audit log)"),
                           key="imp_allow_outside"):
            return {}
        extra["allow_outside"] = True
    elif code == "several_datasets":
        extra["member"] = st.selectbox(tr("选择压缩包中的数据集", "Dataset inside the zip"), fail.get("datasets", []), key="imp_fix_member")
    elif code == "rows_skipped":
        st.caption(tr(f"共读取 {fail['rows_read']} 行，可导入部分合计 {fail['total_kw']:,.1f} kW；以下行无法读取：",
                      f"{fail['rows_read']} rows read, {fail['total_kw']:,.1f} kW in the readable ones; these rows cannot be read:"))
        st.dataframe(skipped_table(fail.get("rows_skipped", [])), hide_index=True, width="stretch")
        if not st.checkbox("跳过以上行并导入 / skip these rows and import", key="imp_accept_skips"):
            return {}
        extra["accept_skips"] = True
    elif code == "bad_encoding":
        extra["encoding"] = st.selectbox(tr("属性编码", "Attribute encoding"), fail.get("encodings") or ENCODING_CHOICES[1:],
                                         key="imp_fix_enc")
    else:
        _discard_staged()  # refused with nothing to choose: no retry needs the staged upload
        return {}
    return extra


def _discard_staged() -> None:
    """Delete the staged upload (kept only while a refused import can be retried with other choices)."""
    staged = st.session_state.pop("imp_staged", None)
    if staged:
        upload_safety.discard_staged(staged.get("path"))


def _run_import(layer_id: str, staged: dict[str, Any], options: dict[str, Any]) -> None:
    try:
        with st.spinner(tr("正在导入…", "Importing…")):
            st.session_state["imp_result"] = do_import(staged, layer_id, **options)
        st.session_state.pop("imp_failure", None)
        _discard_staged()  # the import keeps its own copy
    except ImportFailure as exc:
        st.session_state["imp_failure"] = {**exc.as_dict(), "options": options}
        st.session_state.pop("imp_result", None)
    except PermissionError as exc:
        st.error(str(exc))


def import_section(editor: str, layer_id: str) -> None:
    limit_mb = upload_safety.max_upload_bytes() / 1048576
    uploaded = st.file_uploader(
        tr("选择文件（zip 打包的 Shapefile/FileGDB、GeoPackage、GeoJSON、KML/KMZ、GeoParquet、GeoTIFF；光伏装机台账可用 Excel/CSV；上限 "
           f"{limit_mb:.0f} MB）",
           "Choose a file (zipped Shapefile/FileGDB, GeoPackage, GeoJSON, KML/KMZ, GeoParquet, GeoTIFF; Excel/CSV for the PV "
           f"installation ledger; limit {limit_mb:.0f} MB)"),
        type=UPLOAD_TYPES, key="imp_file",
    )
    c1, c2 = st.columns(2)
    enc = c1.selectbox(tr("属性文字编码", "Attribute text encoding"), ENCODING_CHOICES, key="imp_encoding",
                       format_func=lambda e: tr("自动识别", "Detect automatically") if e == "auto" else e)
    crs = c2.selectbox(tr("坐标系", "Coordinate system"), ["auto", *COMMON_CRS], key="imp_crs",
                       format_func=lambda c: tr("文件自带 / 自动判断", "From the file / detect") if c == "auto" else c)
    options: dict[str, Any] = {"encoding": None if enc == "auto" else enc, "crs": None if crs == "auto" else crs}
    options["data_year"] = int(st.number_input(
        tr("数据年份（三调年份、调查年份或台账日期；0 = 从文件读取）",
           "Data year (third land survey year, survey year or ledger date; 0 = read from the file)"),
        min_value=0, max_value=2100, value=0, step=1, key="imp_data_year")) or None
    layer = next((d for d in registry() if d.id == layer_id), None)
    if layer is not None and importer.accepts_tables(layer):
        t1, t2 = st.columns(2)
        options["coords_crs"] = t1.selectbox(
            tr("表格经纬度的坐标系（xlsx/csv）", "Coordinates of the longitude/latitude columns (xlsx/csv)"),
            ["WGS84", "GCJ02"], key="imp_coords_crs",
            format_func=lambda c: (tr("WGS84（GPS）", "WGS84 (GPS)") if c == "WGS84"
                                   else tr("GCJ-02（高德/腾讯地图）", "GCJ-02 (AMap/Tencent maps)")))
        options["sheet"] = t2.text_input(tr("工作表（留空：自动）", "Sheet (empty: detect)"), key="imp_sheet").strip() or None
    if st.button(tr("导入", "Import"), type="primary", key="imp_go", disabled=uploaded is None):
        try:
            st.session_state.pop("imp_accept_skips", None)  # a new import asks again
            staged = st.session_state.get("imp_staged")
            if not staged or staged.get("file_id") != getattr(uploaded, "file_id", uploaded.name):
                _discard_staged()
                staged = stage(uploaded)
                st.session_state["imp_staged"] = staged
            _run_import(layer_id, staged, options)
        except upload_safety.UploadRejected as exc:
            st.session_state["imp_failure"] = {"error": exc.code, "message_zh": exc.zh, "message_en": exc.en}
        except PermissionError as exc:
            st.error(str(exc))
    fail = st.session_state.get("imp_failure")
    if fail:
        st.error(md_escape(tr(fail["message_zh"], fail["message_en"])))
        extra = _failure_followup(fail)
        staged = st.session_state.get("imp_staged")
        if extra and staged and st.button(tr("按以上选择重新导入", "Import again with these choices"), key="imp_retry"):
            _run_import(layer_id, staged, {**fail.get("options", {}), **extra})
            st.rerun()
    rec = st.session_state.get("imp_result")
    if rec and rec.get("layer") == layer_id:
        _show_result(rec)


def history_section(editor: str | None, layer_id: str) -> None:
    st.subheader(tr("导入历史与回滚", "Import history and rollback"))
    versions = layer_versions.list_versions(database(), layer_id)
    if not versions:
        st.caption(tr("该图层尚无导入记录，当前为默认/演示数据。", "No imports for this layer yet: it shows default/demo data."))
        return
    table = pd.DataFrame([{
        "#": v["id"], tr("当前", "Active"): "✔" if v["active"] else "", tr("文件", "File"): v["file_name"],
        tr("要素数", "Features"): v["counts"].get("features"), tr("时间（北京时间）", "Time (Beijing)"): beijing_time(v["imported_at"]),
        tr("导入人", "By"): v["imported_by"], tr("数据年份", "Data year"): layer_versions.data_year_of(v) or MISSING,
        "SHA-256": v["sha256"][:12],
    } for v in versions])
    st.dataframe(table, hide_index=True, width="stretch")
    has_active = any(v["active"] for v in versions)
    if st.button(tr("↩ 回滚到上一版本", "↩ Roll back to the previous version"), key="imp_rollback",
                 disabled=editor is None or not has_active,
                 help=None if editor else tr("需要编辑账号登录", "Sign in as an editor")):
        try:
            res = do_rollback(layer_id)
            st.session_state["imp_rollback_msg"] = tr(
                f"已回滚：导入 #{res['from']} → {('#' + str(res['to'])) if res['to'] else '默认/演示数据'}",
                f"Rolled back: import #{res['from']} → {('#' + str(res['to'])) if res['to'] else 'default/demo data'}")
            st.session_state.pop("imp_result", None)
            st.rerun()
        except (PermissionError, ValueError) as exc:
            st.error(str(exc))
    older = [v["id"] for v in versions if not v["active"] and v["available"]]
    if editor and older:
        c1, c2 = st.columns([3, 1])
        chosen = c1.selectbox(tr("或启用指定的历史版本", "Or re-activate a specific version"), older, key="imp_pick",
                              format_func=lambda i: f"#{i}")
        if c2.button(tr("启用该版本", "Activate"), key="imp_activate"):
            try:
                res = do_activate(layer_id, int(chosen))
                st.session_state["imp_rollback_msg"] = tr(f"已启用导入 #{res['to']}", f"Import #{res['to']} is active")
                st.rerun()
            except (PermissionError, ValueError) as exc:
                st.error(str(exc))
    if msg := st.session_state.pop("imp_rollback_msg", None):
        st.success(msg)


def main() -> None:
    st.title(tr("数据导入", "Data import"))
    st.caption(tr("用自然资源、住建等部门的正式数据替换演示数据：支持 Shapefile（zip，含 GBK 编码）、GeoPackage、FileGDB（zip）、"
                  "GeoJSON、KML、GeoParquet 和 GeoTIFF；WGS84、CGCS2000、高斯-克吕格 3°/6° 带、西安80、北京54 及 GCJ-02。"
                  "光伏装机台账可直接导入 Excel（.xlsx）或 CSV 表格。",
                  "Replace demo data with official data: Shapefile (zipped, GBK text too), GeoPackage, FileGDB (zipped), GeoJSON, "
                  "KML, GeoParquet and GeoTIFF; WGS84, CGCS2000, Gauss-Kruger 3/6-degree zones, Xi'an 1980, Beijing 1954 and GCJ-02. "
                  "The PV installation ledger takes an Excel (.xlsx) or CSV table."))
    editor = current_editor()
    st.subheader(tr("各图层当前数据", "Current data of each layer"))
    st.dataframe(status_table(), hide_index=True, width="stretch")
    ids = [layer.id for layer in registry()]
    default = ids.index("townships") if "townships" in ids else 0
    layer_id = st.selectbox(tr("图层", "Layer"), ids, index=default, format_func=_layer_label, key="imp_layer")
    if editor is None:
        st.info(tr("浏览无需登录；导入和回滚数据需要在左侧边栏以编辑账号登录。",
                   "Browsing is open; importing and rolling back data need an editor sign-in (sidebar)."))
    else:
        import_section(editor, layer_id)
    history_section(editor, layer_id)


if __name__ == "__main__":
    main()
