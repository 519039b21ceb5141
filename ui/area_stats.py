"""The map page's 区域统计 / Area statistics panel: the statistics of a clicked township, a polygon drawn on the map,
a project site or an uploaded file (:func:`cyc_geo.planning.area_stats.area_statistics`), with the Excel download.

Streamlit glue only: the figures come from :mod:`cyc_geo.planning.area_stats`; the result is cached per area
(its WKB), as-of date and the data versions of every layer it reads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from cyc_geo.catalog.sources import source_version
from cyc_geo.geo.crs import WGS84
from cyc_geo.ingest import upload_safety
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.planning.area_stats import AreaStats, area_statistics, workbook_bytes
from cyc_geo.planning.jzd import MAX_JZD_BYTES, JzdError
from cyc_geo.planning.projects import read_site_file, site_from_geojson
from cyc_geo.pv import opening_stock
from ui import folium_map, projects_data
from ui.common import database, lang, ledger, load_layer, roofs, tr
from ui.text import md_escape

UPLOAD_EXTS = (".txt", ".geojson", ".json", ".gpkg", ".zip", ".kml", ".parquet")
"""The site files the land check reads (:func:`cyc_geo.planning.projects.read_site_file`)."""
UPLOAD_LIMITS = {".txt": MAX_JZD_BYTES}

REPORTED = (*folium_map.REPORTED, "last_active_drawing")
"""What the map page's map reports back: the click, zoom and centre, and the last polygon drawn."""

SOURCES = {"township": ("乡镇（点击或选择）", "Township (clicked or chosen)"), "drawn": ("地图上绘制的多边形", "Polygon drawn on the map"),
           "project": ("项目地块", "Project site"), "upload": ("上传文件", "Uploaded file")}


@st.cache_resource(show_spinner=False, max_entries=16)
def _stats(wkb: bytes, as_of: str, versions: tuple, opening: str) -> AreaStats:
    area = gpd.GeoDataFrame(geometry=[shapely.from_wkb(wkb)], crs=WGS84)
    return area_statistics(area, as_of=as_of, context=projects_data.base_context(), roofs=roofs()[0], ledger=ledger(),
                           opening=opening_stock.read_opening_stock(database()))


def statistics(area: gpd.GeoDataFrame, as_of: str) -> AreaStats:
    """The statistics of ``area`` (WGS84) on ``as_of``, cached per area, date and data version."""
    geom = shapely.union_all(area.to_crs(WGS84).geometry.to_numpy())
    versions = (projects_data.context_version(), source_version("rooftops"), source_version("pv_installations"))
    from ui.common import opening_stock_stamp

    return _stats(shapely.to_wkb(geom), as_of, versions, opening_stock_stamp())


def add_draw_control(fmap: folium.Map, lg: str) -> None:
    """Leaflet.draw's polygon, rectangle, line and point tools (served locally, texts in ``lg``) on ``fmap``: a drawn
    polygon is an area of the statistics panel, and every drawing is markup (:mod:`ui.markup`, which draws
    them and deletes them, so the tool has no edit or delete buttons)."""
    from folium.plugins import Draw

    from cyc_geo.mapview.controls import DrawLocale, QuietClicksWhileDrawing
    from cyc_geo.mapview.webmap import localize_assets

    DrawLocale(lg).add_to(fmap)
    QuietClicksWhileDrawing().add_to(fmap)  # a vertex is not a click on the township under it
    draw = Draw(export=False, position="topleft", show_geometry_on_click=False,
                draw_options={"circle": False, "circlemarker": False},
                edit_options={"edit": False, "remove": False})
    localize_assets(draw)
    draw.add_to(fmap)


def township_at(clicked: dict | None, basemap_id: str) -> str | None:
    """The code of the township under a map click (GCJ-02 undone on AMap basemaps), or None."""
    if not isinstance(clicked, dict) or clicked.get("lat") is None:
        return None
    from cyc_geo.mapview.click import to_wgs84

    lon, lat = to_wgs84(float(clicked["lng"]), float(clicked["lat"]), basemap_id)
    towns = load_layer("townships")
    hit = towns[towns.intersects(shapely.Point(lon, lat))]
    return None if hit.empty else str(hit["code"].iloc[0])


def drawn_area(drawn: dict | None, basemap_id: str) -> gpd.GeoDataFrame | None:
    """The polygon last drawn on the map as a WGS84 site (GCJ-02 undone on AMap basemaps), or None."""
    if not isinstance(drawn, dict) or (drawn.get("geometry") or {}).get("type") not in ("Polygon", "MultiPolygon"):
        return None
    site = site_from_geojson(drawn)
    if BASEMAPS[basemap_id].gcj02:
        from cyc_geo.geo.gcj02 import gcj02_to_wgs84

        def undo(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))

        site = site.set_geometry(shapely.transform(site.geometry.to_numpy(), undo))
    return site


def _uploaded() -> gpd.GeoDataFrame | None:
    upload = st.file_uploader(tr("界址点 .txt / GeoJSON / GeoPackage / 压缩的 Shapefile / KML，任意坐标系",
                                 "界址点 .txt / GeoJSON / GeoPackage / zipped Shapefile / KML, any CRS"),
                              type=[e.lstrip(".") for e in UPLOAD_EXTS], key="area_stats_upload")
    if upload is None:
        return None
    staged = None
    try:  # the browser's file name is a label only: the file is staged under a generated name, then removed
        staged, _ = upload_safety.stage_upload(upload, upload.name, size=getattr(upload, "size", None),
                                               allowed=UPLOAD_EXTS, limits=UPLOAD_LIMITS)
        return read_site_file(staged)
    except (upload_safety.UploadRejected, JzdError) as exc:
        st.error(exc.zh if lang() == "zh" else exc.en)
    except (ValueError, FileNotFoundError) as exc:
        st.error(str(exc))
    finally:
        upload_safety.discard_staged(staged)
    return None


def _chosen_area(clicked_code: str | None, drawn: gpd.GeoDataFrame | None) -> tuple[gpd.GeoDataFrame | None, str]:
    """The area the panel's choice names and its label."""
    src = st.radio(tr("区域", "Area"), list(SOURCES), key="area_stats_source",
                   format_func=lambda s: SOURCES[s][0] if lang() == "zh" else SOURCES[s][1])
    if src == "township":
        towns = load_layer("townships")
        codes = towns["code"].astype(str).tolist()
        names = dict(zip(codes, towns["name" if lang() == "zh" else "name_en"].astype(str), strict=True))
        index = codes.index(clicked_code) if clicked_code in codes else 0
        code = st.selectbox(tr("乡镇", "Township"), codes, index=index, format_func=lambda c: names[c],
                            key=f"area_stats_town_{clicked_code}")
        return towns[towns["code"].astype(str) == code][["geometry"]], names[code]
    if src == "drawn":
        if drawn is None:
            st.caption(tr("用地图左侧的绘图工具画一个多边形。", "Draw a polygon with the map's drawing tools (left)."))
        return drawn, tr("绘制的多边形", "drawn polygon")
    if src == "project":
        sites = projects_data.sites(projects_data.sites_key())
        parcels = sites[~sites["site_kind"].isin(["rooftops", "footprint"])] if "site_kind" in sites.columns else sites
        nos = [int(n) for n in parcels["project_no"]]
        if not nos:
            st.caption(tr("没有项目地块。", "No project sites."))
            return None, ""
        no = st.selectbox(tr("项目", "Project"), nos, key="area_stats_project",
                          format_func=lambda n: tr(f"项目 {n}", f"Project {n}"))
        st.caption(tr("屋顶光伏项目的屋顶集不在此统计（约 10⁵ 个屋顶）。",
                      "Rooftop-PV projects' roof sets are not offered here (~10⁵ roofs)."))
        return parcels[parcels["project_no"].astype(int) == no][["geometry"]], tr(f"项目 {no} 地块", f"project {no} site")
    return _uploaded(), tr("上传的文件", "uploaded file")


def panel(clicked: dict | None, drawn_geojson: dict | None, basemap_id: str) -> None:
    """The 区域统计 / Area statistics panel (an expander): choose the area, compute on request, show the table and
    offer the Excel download."""
    with st.expander(tr("区域统计", "Area statistics"), expanded=False):
        # nothing is read or computed until the panel is opened: an expander's body runs on every rerun, and the
        # default map must draw without reading a layer (tests/catalog/test_result_store.py)
        if not st.toggle(tr("打开区域统计", "Open area statistics"), key="area_stats_on"):
            return
        try:
            drawn = drawn_area(drawn_geojson, basemap_id)
        except ValueError as exc:
            st.error(str(exc))
            drawn = None
        area, label = _chosen_area(township_at(clicked, basemap_id), drawn)
        as_of = st.date_input(tr("光伏装机统计日期", "As-of date of installed PV"), value=date.today(), key="area_stats_as_of")
        if st.button(tr("统计", "Compute"), key="area_stats_btn", disabled=area is None):
            try:
                with st.spinner(tr("正在统计…", "Computing…")):
                    st.session_state["area_stats"] = (label, statistics(area, str(as_of)))
            except ValueError as exc:
                st.error(str(exc))
        made: tuple[str, AreaStats] | None = st.session_state.get("area_stats")
        if made is not None:
            _show(*made)


def _show(label: str, stats: AreaStats) -> None:
    st.markdown(tr(f"**{md_escape(label)}**：{stats['area_mu']:,.1f} 亩", f"**{md_escape(label)}**: {stats['area_mu']:,.1f} mu"))
    table = stats.table(lang())
    topic, item, value, unit, year = (table.columns[i] for i in (0, 1, 2, 3, 6))
    shown = pd.DataFrame({item: [f"{t} · {i}" for t, i in zip(table[topic], table[item], strict=True)],
                          value: [_fmt(v, u) for v, u in zip(table[value], table[unit], strict=True)],
                          unit: table[unit], year: table[year]})
    st.dataframe(shown, hide_index=True, width="stretch")  # definitions and sources: in the Excel download
    st.caption(stats["opening_stock_treatment" if lang() == "zh" else "opening_stock_treatment_en"])
    st.download_button(tr("下载区域统计 (Excel)", "Download the statistics (Excel)"), workbook_bytes(stats, lang()),
                       "area_statistics.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="area_stats_xlsx")


def _fmt(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    return f"{v:,.0f}" if isinstance(v, (int, np.integer)) or unit == "个" else f"{float(v):,.3f}"


def print_figures() -> list[tuple[str, str]] | None:
    """The last computed statistics as key figures for the print layout (None when none was computed)."""
    from cyc_geo.planning.area_stats import print_rows

    made = st.session_state.get("area_stats")
    return None if made is None else print_rows(made[1], lang())
