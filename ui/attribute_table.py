"""The map page's 属性表 / Attribute table: one visible vector layer's features as a table below the map.

Streamlit glue over :mod:`cyc_geo.mapview.attribute_table`: the filters, sort and summary are computed on the server
over a cached attribute frame (no geometries), and one page of :data:`~cyc_geo.mapview.attribute_table.PAGE_SIZE`
rows is sent to the browser. A row click moves the map to the feature and shows it in 所选要素 the way the locate box
does (:func:`ui.locate.go_to`). Excel and CSV hold the filtered rows (all pages), made when their button is clicked.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.exports.meta import ExportMeta
from cyc_geo.mapview import attribute_table as table
from ui import map_view
from ui.common import facts, lang, layer_def, layer_frame, source_version, tr
from ui.locate import go_to
from ui.text import md_escape

SELECTED_KEY = "attr_selected"
"""(layer id, row position) of the table row last sent to the map (a row is sent once)."""


@st.cache_resource(show_spinner=False, max_entries=8)
def _prepared(layer_id: str, version: str, lg: str) -> tuple[list[table.Column], pd.DataFrame, np.ndarray]:
    """A layer's table columns, its attribute frame and its features' bounds, shared read-only per source version."""
    gdf = layer_frame(layer_id)
    layer = layer_def(layer_id)
    columns = table.table_columns(layer, lg, gdf)
    return columns, table.attribute_frame(gdf, columns, lg, table.value_words(layer, lg)), table.feature_bounds(gdf)


@st.cache_resource(show_spinner=False, max_entries=32)
def _classes(layer_id: str, version: str, lg: str, field: str) -> list[str]:
    frame = _prepared(layer_id, version, lg)[1]
    return sorted(str(v) for v in frame[field].dropna().unique())


def _class_label(layer: LayerDef, field: str):
    labels = layer.legend_labels(lang()) if layer.style.get("category_field") == field else {}
    return lambda v: f"{v} · {labels[v]}" if v in labels else str(v)


def _view_wgs84(basemap_id: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the map's current view in WGS84 (None before the map has reported one);
    ``basemap_id`` is the map's basemap (an AMap view is in GCJ-02)."""
    box = map_view.view_box_wgs84(basemap_id)
    return box.bbox if box else None


def _filters(layer: LayerDef, columns: list[table.Column], version: str, basemap_id: str) -> table.FilterSpec:
    by_label = {c.field: c for c in columns}
    chosen = st.multiselect(tr("筛选字段", "Filter by"), [c.field for c in columns], key=f"attr_fields_{layer.id}",
                            format_func=lambda f: by_label[f].label)
    contains: dict[str, str] = {}
    equals: dict[str, list[str]] = {}
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for f in chosen:
        c = by_label[f]
        if c.kind == "class":
            equals[f] = st.multiselect(tr(f"{c.label} 等于", f"{c.label} equals"), _classes(layer.id, version, lang(), f),
                                       key=f"attr_eq_{layer.id}_{f}", format_func=_class_label(layer, f))
        elif c.kind == "number":
            c1, c2 = st.columns(2)
            low = c1.number_input(tr(f"{c.label} 不小于", f"{c.label} at least"), value=None,
                                  key=f"attr_lo_{layer.id}_{f}")
            high = c2.number_input(tr(f"{c.label} 不大于", f"{c.label} at most"), value=None,
                                   key=f"attr_hi_{layer.id}_{f}")
            ranges[f] = (low, high)
        else:
            contains[f] = st.text_input(tr(f"{c.label} 包含", f"{c.label} contains"), key=f"attr_has_{layer.id}_{f}",
                                        max_chars=200)
    in_view = st.checkbox(tr("仅当前地图视图内的要素", "Only features in the current map view"), key="attr_in_view")
    return table.FilterSpec(contains, equals, ranges, _view_wgs84(basemap_id) if in_view else None)


def _meta(layer: LayerDef, spec: table.FilterSpec, columns: list[table.Column], n: int) -> ExportMeta:
    labels = {c.field: c.label for c in columns}
    shown: dict[str, Any] = {tr("图层", "Layer"): layer.title(lang()), tr("行数", "Rows"): n}
    for f, v in spec.equals.items():
        if v:
            shown[labels[f]] = "、".join(v) if lang() == "zh" else ", ".join(v)
    for f, (lo, hi) in spec.ranges.items():
        if lo is not None or hi is not None:
            shown[labels[f]] = f"{'' if lo is None else lo} – {'' if hi is None else hi}"
    for f, text in spec.contains.items():
        if text.strip():
            shown[labels[f]] = tr(f"包含“{text.strip()}”", f"contains '{text.strip()}'")
    if spec.view is not None:
        shown[tr("范围", "Extent")] = tr("当前地图视图（经纬度 {:.4f}, {:.4f} – {:.4f}, {:.4f}）",
                                       "Current map view (lon/lat {:.4f}, {:.4f} – {:.4f}, {:.4f})").format(*spec.view)
    prov = facts(layer.id).provenance
    source = f"{layer.title(lang())}：{prov.source or prov.label(lang())}" if lang() == "zh" else \
        f"{layer.title(lang())}: {prov.source or prov.label(lang())}"
    if prov.data_year:
        source += tr(f"（{prov.data_year} 年）", f" ({prov.data_year})")
    return ExportMeta(title=(f"{layer.title_zh} 属性表", f"{layer.title_en}: attribute table"), lang=lang(),
                      filters=shown, sources=[source], demo=prov.demo)


def _select_row(layer: LayerDef, rows: pd.DataFrame, event: Any, basemap_id: str, last_click: Any) -> None:
    """A newly selected row moves the map to its feature and shows it in 所选要素 (once per row)."""
    selected = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    if not selected or selected[0] >= len(rows):
        return
    pos = int(rows.index[selected[0]])
    if st.session_state.get(SELECTED_KEY) == (layer.id, pos):
        return
    st.session_state[SELECTED_KEY] = (layer.id, pos)
    hit = table.feature_hit(layer.id, layer_frame(layer.id), pos)
    if hit is None:
        st.warning(tr("该要素没有几何图形，无法定位。", "This feature has no geometry to zoom to."))
        return
    go_to(hit, basemap_id, last_click, table.fit_zoom(hit.bounds))
    st.rerun()


def panel(shown: list[LayerDef], basemap_id: str, map_key: str) -> None:
    """The 属性表 expander of the visible vector layers (``map_key``: the map component's session key)."""
    layers = sorted((layer for layer in shown if layer.geometry != "raster"), key=lambda d: -d.order)  # topmost first
    with st.expander(tr("属性表", "Attribute table")):
        if not layers:
            st.caption(tr("在左侧打开一个矢量图层以查看其属性表。", "Turn on a vector layer on the left to see its table."))
            return
        if not st.toggle(tr("打开属性表", "Open the attribute table"), key="attr_on"):
            st.caption(tr("打开后可筛选、排序、统计并导出可见图层的要素，点击一行在地图上定位。",
                          "Filter, sort, summarise and export the visible layers' features; click a row to zoom the "
                          "map to it."))
            return
        ids = [layer.id for layer in layers]
        layer = layer_def(st.selectbox(tr("图层", "Layer"), ids, key="attr_layer",
                                       format_func=lambda i: layer_def(i).title(lang())))
        version = source_version(layer.id)
        try:
            with st.spinner(tr("正在读取属性…", "Reading attributes…")):
                columns, frame, bounds = _prepared(layer.id, version, lang())
        except (OSError, ValueError, KeyError) as exc:
            st.warning(tr(f"无法读取该图层的属性：{md_escape(str(exc))}", f"The layer's attributes cannot be read: {md_escape(str(exc))}"))
            return
        spec = _filters(layer, columns, version, basemap_id)
        c1, c2 = st.columns([2, 1])
        sort = c1.selectbox(tr("排序字段", "Sort by"), ["", *[c.field for c in columns]], key=f"attr_sort_{layer.id}",
                            format_func=lambda f: next((c.label for c in columns if c.field == f), tr("（原顺序）", "(file order)")))
        descending = c2.toggle(tr("降序", "Descending"), key="attr_desc")
        rows = table.filtered(frame, spec, bounds, sort or None, not descending)
        pages = table.page_count(len(rows))
        c3, c4 = st.columns([1, 2])
        number = int(c3.number_input(tr("页码", "Page"), 1, pages, 1, key=f"attr_page_{layer.id}"))
        c4.caption(tr(f"筛选后 {len(rows):,} 行（共 {len(frame):,} 行），每页 {table.PAGE_SIZE} 行，共 {pages} 页；"
                      "点击一行可在地图上定位并在“所选要素”中显示。",
                      f"{len(rows):,} {'row' if len(rows) == 1 else 'rows'} after filters (of {len(frame):,}), "
                      f"{table.PAGE_SIZE} a page, {pages} {'page' if pages == 1 else 'pages'}; "
                      "click a row to zoom the map to it and show it under Selected feature."))
        one = table.page(rows, number)
        # a new widget for each filter, sort and page: a selection never carries over to other rows
        digest = hashlib.sha1(repr((spec, sort, descending)).encode()).hexdigest()[:10]
        numbers = {c.label: st.column_config.NumberColumn(format="localized") for c in columns if c.kind == "number"}
        event = st.dataframe(table.labelled(one, columns), hide_index=True, on_select="rerun", column_config=numbers,
                             selection_mode="single-row", key=f"attr_rows_{layer.id}_{number}_{digest}")
        _select_row(layer, one, event, basemap_id, (st.session_state.get(map_key) or {}).get("last_clicked"))
        st.markdown(f"**{tr('统计（筛选后全部行）', 'Summary (all filtered rows)')}**")
        field = layer.style.get("category_field")
        named = {field: layer.legend_labels(lang())} if field else {}
        st.dataframe(table.summary(rows, columns, lang(), value_labels=named), hide_index=True)
        meta = _meta(layer, spec, columns, len(rows))
        d1, d2 = st.columns(2)
        d1.download_button(tr("导出 Excel（筛选后）", "Export Excel (filtered)"), lambda: table.excel_bytes(rows, columns, meta),
                           f"{layer.id}_table.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="attr_xlsx",
                           on_click="ignore")
        d2.download_button(tr("导出 CSV（筛选后）", "Export CSV (filtered)"), lambda: table.csv_bytes(rows, columns),
                           f"{layer.id}_table.csv", "text/csv", key="attr_csv", on_click="ignore")
