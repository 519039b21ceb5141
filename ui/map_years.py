"""The map page's year control and compare mode: sidebar widgets and the cached drawings of layers as of a year;
the compare of two layers or two PV scenarios at the same swipe divider (:func:`controls`, :func:`compare_of`,
:func:`scenario_groups`).

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
    PCT_MAX,
    PCT_STEP,
    SIDES,
    TOP_PANE,
    Compare,
    SwipeChoice,
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
from ui.common import lang, language_choice, layer_def, layer_frame, roof_summary, source_version, tr

NOW = "now"
"""The year select's option for the current data (no year)."""

COMPARE_KINDS = ("none", "years", "layers", "scenarios")
"""The sidebar's compare choice (one at a time): none, two years, two visible layers, two PV adoption scales."""


KIND_LABELS = {"none": ("不对比", "No comparison"), "years": ("两个年份", "Two years"),
               "layers": ("两个图层", "Two layers"), "scenarios": ("两个光伏情景", "Two PV scenarios")}
"""(zh, en) labels of the compare kinds."""


def controls(state: MapState, shown: list[LayerDef]
             ) -> tuple[int | None, int | None, SwipeChoice | None]:
    """The sidebar's year and compare choice (opened from the URL's ``year`` / ``cmp`` / ``swipe``): the map's
    year, the compared year, or two of the ``shown`` layers / two PV adoption scales left and right of the
    divider (one compare at a time)."""
    st.sidebar.subheader(tr("年份", "Year"))
    # "now", not None, for the current data: a select seeded with None shows no choice ("Choose an option")
    options: list[int | str] = [NOW, *MAP_YEARS]
    year_labels = {y: ("当前数据", "Current data") if y == NOW else (str(y), str(y)) for y in options}
    picked = language_choice(
        st.sidebar.selectbox, tr("地图年份", "Map year"), options, year_labels, key="map_year",
        default=NOW if state.year is None else state.year,
        help=tr("选定年份时，各图层显示该年状态：光伏为截至当年 12 月 31 日已并网的装机，土地覆被与林地为当年版本。",
                "With a year, every layer shows that year: PV installations connected by 31 Dec, the land cover "
                "and forest of that year."))
    year = None if picked == NOW else int(picked)
    kinds = [k for k in COMPARE_KINDS if k != "years" or year is not None]
    wanted = "years" if state.compare is not None else state.swipe.kind if state.swipe is not None else "none"
    kind = language_choice(
        st.sidebar.radio, tr("卷帘对比", "Swipe compare"), kinds, KIND_LABELS, key="map_compare_kind",
        default=wanted if wanted in kinds else "none", horizontal=True,
        help=tr("分隔线左右两侧分别显示：两个年份、两个可见图层，或屋顶光伏潜力的两个采用比例。",
                "Left and right of a draggable divider: two years, two visible layers, or two "
                "adoption scales of the rooftop PV potential."))
    if kind == "years" and year is not None:
        others = [y for y in MAP_YEARS if y != year]
        if st.session_state.get("map_cmp") not in others:
            st.session_state.pop("map_cmp", None)
        default = state.compare if state.compare in others else others[-1]
        other = st.sidebar.selectbox(tr("对比年份（分隔线右侧）", "Compared year (right of the divider)"), others,
                                     index=others.index(default), key="map_cmp")
        return year, other, None
    if kind == "layers":
        return year, None, _layer_choice(state, shown)
    if kind == "scenarios":
        return year, None, _scenario_choice(state, shown)
    return year, None, None


def _layer_choice(state: MapState, shown: list[LayerDef]) -> SwipeChoice | None:
    """Two of the visible layers, left and right of the divider."""
    ids = [layer.id for layer in shown]
    if len(ids) < 2:
        st.sidebar.caption(tr("请先勾选至少两个图层。", "Turn on at least two layers first."))
        return None
    titles = {layer.id: layer.title(lang()) for layer in shown}
    was = state.swipe if state.swipe is not None and state.swipe.kind == "layers" else None
    if st.session_state.get("map_swipe_a") not in ids:
        st.session_state.pop("map_swipe_a", None)
    a = st.sidebar.selectbox(tr("左侧图层", "Left layer"), ids, key="map_swipe_a", format_func=titles.__getitem__,
                             index=ids.index(was.a) if was is not None and was.a in ids else 0)
    rest = [i for i in ids if i != a]
    if st.session_state.get("map_swipe_b") not in rest:
        st.session_state.pop("map_swipe_b", None)
    b = st.sidebar.selectbox(tr("右侧图层", "Right layer"), rest, key="map_swipe_b", format_func=titles.__getitem__,
                             index=rest.index(was.b) if was is not None and was.b in rest else len(rest) - 1)
    return SwipeChoice("layers", a, b)


def _scenario_choice(state: MapState, shown: list[LayerDef]) -> SwipeChoice | None:
    """Two adoption scales of the rooftop PV potential, left and right of the divider."""
    if not any(layer.scenario == "pv" for layer in shown):
        st.sidebar.caption(tr("请先勾选“建筑屋顶（光伏潜力）”图层。", "Turn on the rooftop PV potential layer first."))
        return None
    was = state.swipe.pcts if state.swipe is not None and state.swipe.kind == "scenarios" else (100, 200)
    label = tr("屋顶采用比例（%，{side}）", "Roof adoption (%, {side})")
    a = st.sidebar.slider(label.format(side=tr("左侧", "left")), 0, PCT_MAX, was[0], step=PCT_STEP, key="map_swipe_pa")
    b = st.sidebar.slider(label.format(side=tr("右侧", "right")), 0, PCT_MAX, was[1], step=PCT_STEP, key="map_swipe_pb")
    if a == b:
        st.sidebar.caption(tr("左右两侧比例相同，请选择不同比例。", "Both sides have the same scale: choose two different ones."))
        return None
    return SwipeChoice("scenarios", str(a), str(b))


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


def swipe_group(compare: Compare) -> folium.FeatureGroup:
    """The compare control (first of the map's groups: it makes the side panes the layers are drawn in)."""
    g = folium.FeatureGroup(name="compare", control=False)
    SwipeControl(compare).add_to(g)
    return g


def pct_label(pct: int) -> str:
    """A side's label in a compare of two PV scenarios."""
    return tr(f"采用比例 {pct}%", f"Adoption {pct} %")


def compare_of(year: int | None, compare: int | None, swipe: SwipeChoice | None) -> Compare | None:
    """What the two sides of the map show (None when not comparing): two years, two layers, two PV scenarios."""
    if year is not None and compare is not None:
        return Compare("years", str(year), str(compare))
    if swipe is None:
        return None
    if swipe.kind == "layers":
        return Compare("layers", layer_def(swipe.a).title(lang()), layer_def(swipe.b).title(lang()))
    return Compare("scenarios", *(pct_label(p) for p in swipe.pcts))


def scenario_groups(layer: LayerDef, swipe: SwipeChoice, basemap_id: str, filled: bool
                    ) -> tuple[list[folium.FeatureGroup], list[LegendSection]]:
    """The hexagons of the PV layer under the two adoption scales of ``swipe`` (classed together), each in its
    side's panes, with each side's county total MW in its legend title; the layer's tiles (per roof, the same
    on both sides) are drawn by the page as usual."""
    scenarios = tuple(map_data.scenario_of({"adoption_scale": p / 100.0}) for p in swipe.pcts)
    got = map_data.hex_pair_urls(layer, (scenarios[0], scenarios[1]), basemap_id, not filled)
    groups, legends = [], []
    palette = map_data.hex_palette(layer)
    for side, pct, scenario, (url, breaks, label, unit) in zip(SIDES, swipe.pcts, scenarios, got, strict=True):
        groups.append(layer_group(layer, lang=lang(), pane=side_panes(side)["agg"], url=url,
                                  tag=f"{layer.id}_hex@{pct}"))
        mw = roof_summary(scenario)["capacity_mw"]
        where = tr("左", "left") if side == "a" else tr("右", "right")
        title = tr(f"{layer.title(lang())} · {where} {pct_label(pct)} · 合计 {mw:,.1f} MW",
                   f"{layer.title(lang())} · {where} {pct_label(pct)} · total {mw:,.1f} MW")
        section = choropleth_section(f"{title} · {label}", breaks, palette, unit)
        if not filled:
            section.rows = [("outline", colour, text) for _, colour, text in section.rows]
        if side == "b":  # one set of classes for both sides: listed once
            section.rows, section.note = [], tr("分级同左侧", "Same classes as the left side")
        section.only = "agg"
        legends.append(section)
    return groups, legends


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
