"""The map page's year control and compare mode: sidebar widgets and the cached drawings of layers as of a year.

Thin Streamlit caches over :mod:`cyc_geo.mapview.years`, :func:`cyc_geo.catalog.vintages.layer_for_year` and
:mod:`cyc_geo.planning.change`; keyed by the layers' source versions (and the version they follow), the year,
basemap and language. Payloads are published as static files, shared by every session, like the map's others.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import streamlit as st

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.catalog.vintages import carried_note, layer_for_year
from cyc_geo.mapview import click, overlay, payloads, static_payloads, tiles
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.mapview.legend import LegendSection, choropleth_section
from cyc_geo.mapview.webmap import (
    AGG_PANE,
    DETAIL_PANE,
    MapState,
    for_display,
    image_overlay,
    layer_group,
    layer_payload,
    vector_tile_layer,
)
from cyc_geo.mapview.years import (
    MAP_YEARS,
    TOP_PANE,
    Compare,
    SwipeControl,
    change_frame,
    change_layer_def,
    change_legend,
    side_panes,
    varies_by_year,
)
from cyc_geo.planning.change import LANDCOVER_LAYER
from cyc_geo.pv.installations import LAYER_ID as LEDGER
from ui import map_data
from ui.common import lang, layer_def, layer_frame, source_version, tr


def controls(state: MapState) -> tuple[int | None, int | None]:
    """The sidebar's year and compare-year choice (opened from the URL's ``year`` / ``cmp``)."""
    st.sidebar.subheader(tr("年份", "Year"))
    options: list[int | None] = [None, *MAP_YEARS]
    year = st.sidebar.selectbox(
        tr("地图年份", "Map year"), options, index=options.index(state.year), key="map_year",
        format_func=lambda y: tr("当前数据", "Current data") if y is None else str(y),
        help=tr("选定年份时，各图层显示该年状态：光伏为截至当年 12 月 31 日已并网的装机，土地覆被与林地为当年版本。",
                "With a year, every layer shows that year: PV installations connected by 31 Dec, the land cover "
                "and forest of that year."))
    if year is None:
        return None, None
    others = [y for y in MAP_YEARS if y != year]
    if not st.sidebar.checkbox(tr("与另一年份对比（卷帘）", "Compare with another year (swipe)"),
                               value=state.compare is not None, key="map_compare_on"):
        return year, None
    if st.session_state.get("map_cmp") not in others:
        st.session_state.pop("map_cmp", None)
    default = state.compare if state.compare in others else others[-1]
    other = st.sidebar.selectbox(tr("对比年份（分隔线右侧）", "Compared year (right of the divider)"), others,
                                 index=others.index(default), key="map_cmp")
    return year, other


def _key(layer_id: str) -> str:
    """Cache key of a layer's versions: its source version and that of the layer it follows."""
    layer = layer_def(layer_id)
    follows = layer.versions_from
    return source_version(layer_id) + (f"|{follows}={source_version(follows)}" if follows else "")


@st.cache_resource(show_spinner=False, max_entries=16)
def _frame(layer_id: str, year: int, key: str) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    return layer_for_year(layer_def(layer_id), year, load=layer_frame)


def frame(layer_id: str, year: int) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The layer as of ``year`` and its version for that year (shared, read-only)."""
    return _frame(layer_id, int(year), _key(layer_id))


@st.cache_resource(show_spinner=False, max_entries=8)
def _index(layer_id: str, year: int, key: str) -> tiles.FeatureIndex:
    return tiles.FeatureIndex(click.pickable_frame(layer_def(layer_id), _frame(layer_id, year, key)[0]))


def feature_index(layer_id: str, year: int) -> tiles.FeatureIndex:
    """The click index of a layer as of ``year`` (positions of :func:`frame`)."""
    return _index(layer_id, int(year), _key(layer_id))


def notes(shown: list[LayerDef], years: list[int]) -> list[str]:
    """The on-screen notes of the shown layers lacking a version of a year ("沿用 2022 年数据")."""
    out = []
    for year in years:
        for layer in shown:
            note = carried_note(layer, frame(layer.id, year)[1], lang())
            if note:
                out.append(f"{year}：{note}" if lang() == "zh" else f"{year}: {note}")
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def _small_url(layer_id: str, year: int, key: str, basemap_id: str, lg: str) -> str:
    layer, gdf = layer_def(layer_id), _frame(layer_id, year, key)[0]
    text = layer_payload(layer, for_display(gdf[~click.passive_mask(layer, gdf)], basemap_id), lg)
    return static_payloads.publish(text, f"{layer_id}_{year}-{basemap_id}-{lg}")


@st.cache_resource(show_spinner=False, max_entries=32)
def _hex_url(layer_id: str, year: int, key: str, basemap_id: str, lg: str, outline: bool
             ) -> tuple[str, list, str, str]:
    layer, gdf = layer_def(layer_id), _frame(layer_id, year, key)[0]
    cells = payloads.hex_cells(gdf, layer.hex_resolution)
    sums, label, unit = payloads.hex_values(gdf, cells, lg)
    palette = str(layer.style.get("hex_palette") or payloads.BIG_PALETTE)
    hexes, breaks = payloads.classed_hexes(payloads.hex_geometry(cells), sums, palette_name=palette)
    text = layer_payload(payloads.hex_layer_def(layer, label, unit, outline), for_display(hexes, basemap_id), lg,
                         fill_col="_fill")
    name = f"{layer_id}_{year}_hex{'_outline' if outline else ''}-{basemap_id}-{lg}"
    return static_payloads.publish(text, name), breaks, label, unit


@st.cache_resource(show_spinner=False, max_entries=16)
def _tile_sig(layer_id: str, year: int, key: str, shifted: bool) -> str:
    return payloads.tile_signature(_frame(layer_id, year, key)[0], shifted)


@st.cache_data(show_spinner=False, max_entries=16)
def _overlay(layer_id: str, year: int, key: str, lg: str) -> overlay.Overlay | None:
    return overlay.raster_overlay(layer_def(layer_id), _frame(layer_id, year, key)[0], lg)


def tile_job(layer_id: str, year: int, basemap_id: str) -> tiles.TileJob:
    """The vector tiles of a big layer as of ``year`` (built by a child process when missing); the layer's own
    tile set when its frame of ``year`` is the layer in use (the same signature: no second copy)."""
    shifted = BASEMAPS[basemap_id].gcj02
    sig = _tile_sig(layer_id, int(year), _key(layer_id), shifted)
    current = map_data.tile_job(layer_id, basemap_id)
    if current.sig == sig:
        return current
    return tiles.ensure_tiles_async(layer_id, sig, gcj02=shifted, year=int(year))


def _tile_year(job: tiles.TileJob, layer_id: str, year: int) -> int | None:
    """The year in the name of ``job``'s tile set (None: the layer's own set)."""
    return None if job.path is not None and job.path.name.startswith(f"{layer_id}-") else int(year)


def _published(get, *args):
    got = get(*args)
    url = got if isinstance(got, str) else got[0]
    if not static_payloads.is_published(url):  # static/payloads was cleaned: write it again
        get.clear()
        got = get(*args)
    return got


def groups(layer: LayerDef, year: int, basemap_id: str, filled: bool, side: str | None
           ) -> tuple[list[folium.FeatureGroup], list[LegendSection]]:
    """Feature groups and legend sections of ``layer`` as of ``year``, in a compare ``side``'s panes (``"a"`` /
    ``"b"``) or the map's own (``None``). A drawn vector layer sets ``window.cycDrawn["<id>@<year>"]``."""
    key, lg = _key(layer.id), lang()
    panes = side_panes(side) if side else {"agg": AGG_PANE, "detail": DETAIL_PANE, "over": None}
    title = f"{layer.title(lg)} · {year}"
    if layer.geometry == "raster":
        drawn = _overlay(layer.id, int(year), key, lg)
        if drawn is None:
            return [], []
        g = folium.FeatureGroup(name=title)
        image_overlay(drawn.url, drawn.bounds, title, opacity=0.75, pane=panes["over"]).add_to(g)
        return [g], [LegendSection(title, drawn.legend.rows)]
    if not layer.big:
        url = _published(_small_url, layer.id, int(year), key, basemap_id, lg)
        from cyc_geo.mapview.webmap import layer_legend

        legend = layer_legend(layer, lg)
        legend.title = title
        return [layer_group(layer, lang=lg, pane=panes["over"], url=url, tag=f"{layer.id}@{year}")], [legend]
    url, breaks, label, unit = _published(_hex_url, layer.id, int(year), key, basemap_id, lg, not filled)
    out = [layer_group(layer, lang=lg, pane=panes["agg"], url=url, tag=f"{layer.id}_hex@{year}")]
    section = choropleth_section(f"{title} · {label}", breaks, str(layer.style.get("hex_palette")
                                                                   or payloads.BIG_PALETTE), unit)
    if not filled:
        section.rows = [("outline", colour, text) for _, colour, text in section.rows]
    section.only = "agg"
    legends = [section]
    job = tile_job(layer.id, year, basemap_id)
    if job.status == "ready":
        named = _tile_year(job, layer.id, year)
        tile_url, fill_js, tsec = payloads.tile_style(layer, job.sig, lg, year=named)
        g = folium.FeatureGroup(name=f"{title} tiles")
        vector_tile_layer(tile_url, tiles.tileset_name(layer.id, named), fill_js, pane=panes["detail"]).add_to(g)
        out.append(g)
        tsec.title, tsec.only = title, "detail"
        legends.append(tsec)
    return out, legends


def building(shown: list[LayerDef], years: list[int], basemap_id: str) -> bool:
    """Whether a tile set of a shown big layer as of one of ``years`` is still being built."""
    return any(tile_job(layer.id, y, basemap_id).status == "building"
               for layer in shown if layer.big and varies_by_year(layer) for y in years)


@st.cache_resource(show_spinner=False, max_entries=8)
def _change(year_a: int, year_b: int, key: str, basemap_id: str, lg: str) -> tuple[str, LegendSection]:
    from cyc_geo.planning.change import change_for_years

    change = change_for_years(year_a, year_b, load=layer_frame)
    text = layer_payload(change_layer_def(), for_display(change_frame(change, lg), basemap_id), lg)
    return static_payloads.publish(text, f"change_{year_a}_{year_b}-{basemap_id}-{lg}"), change_legend(change, lg)


def change_group(year_a: int, year_b: int, basemap_id: str) -> tuple[folium.FeatureGroup, LegendSection]:
    """The change layer between two years (drawn over both sides) and its legend with the totals."""
    a, b = sorted((int(year_a), int(year_b)))
    key = f"{_key(LEDGER)}|{_key(LANDCOVER_LAYER)}"
    url, legend = _published(_change, a, b, key, basemap_id, lang())
    title = legend.title
    return (layer_group(change_layer_def(), lang=lang(), pane=TOP_PANE, url=url, tag="change"),
            LegendSection(title, legend.rows))


def swipe_group(year: int, other: int) -> folium.FeatureGroup:
    """The compare control (first of the map's groups: it makes the side panes the layers are drawn in)."""
    g = folium.FeatureGroup(name="compare", control=False)
    SwipeControl(Compare("years", str(year), str(other))).add_to(g)
    return g


def by_year(year: int | None) -> tuple[Any, Any]:
    """``(index, frame)`` look-ups of the layers as the map draws them (for clicks, highlights and exports): as
    of ``year`` for the layers that vary by year, else the layers in use."""
    if year is None:
        return map_data.feature_index, layer_frame

    def index(layer_id: str) -> tiles.FeatureIndex:
        return feature_index(layer_id, year) if varies_by_year(layer_def(layer_id)) else map_data.feature_index(layer_id)

    def frame_of(layer_id: str) -> gpd.GeoDataFrame:
        return frame(layer_id, year)[0] if varies_by_year(layer_def(layer_id)) else layer_frame(layer_id)

    return index, frame_of
