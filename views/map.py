"""The map page: every registered layer, big ones drawn by zoom (see docs/map.md).

- Small layers (county, townships, belt, river, project sites …) are GeoJSON
  feature groups of the map component (:mod:`ui.folium_map`, rendered once per
  content and process): the base map stays identical across reruns, so toggling a
  layer never remounts the map, and a visit runs the page once.
- Big layers (``big = true``) show aggregated H3 hexagons below building zoom and
  every feature from vector tiles above it; raster layers are one served PNG.
- A click comes back as a point; the feature under it is found server-side and
  its numbers are shown in the side panel.
- View, basemap and layers live in the URL query string (shareable links).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import folium
import pandas as pd
import streamlit as st

from cyc_geo.catalog.provenance import LayerFacts
from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview import tiles
from cyc_geo.mapview.basemaps import BASEMAPS, available_basemaps, tianditu_token
from cyc_geo.mapview.click import panel_text
from cyc_geo.mapview.controls import SearchControl, highlight_group, passive_group
from cyc_geo.mapview.legend import choropleth_section
from cyc_geo.mapview.payloads import hex_fill_rule
from cyc_geo.mapview.webmap import (
    AGG_PANE,
    DETAIL_PANE,
    MapState,
    add_label_css,
    base_map,
    image_overlay,
    layer_group,
    layer_legend,
    legend_group,
    parse_state,
    state_query,
    vector_tile_layer,
)
from cyc_geo.mapview.years import SwipeChoice, side_panes, varies_by_year
from cyc_geo.places.profile import profile
from cyc_geo.pv.params import Scenario
from ui import area_stats, attribute_table, folium_map, map_data, map_view, map_years
from ui import markup as markup_ui
from ui.common import (
    app_secrets,
    demo_banner,
    facts,
    lang,
    language_choice,
    pv_progress,
    registry,
    registry_version,
    roof_summary,
    source_version,
    tr,
)
from ui.locate import locate_box
from ui.text import md_escape

MAP_KEY = "main_map"


def _initial_state(layer_ids: list[str]) -> MapState:
    """The URL's map state, read once per session (later reruns keep the widgets' values)."""
    if "map_url_state" not in st.session_state:
        st.session_state["map_url_state"] = parse_state(dict(st.query_params), layer_ids)
    return st.session_state["map_url_state"]


# Session key of the chosen basemap's id (ui.common.language_choice keys the select per language: basemap_zh,
# basemap_en; no docstring here: Streamlit's magic writes a page script's bare strings on the page).
BASEMAP_KEY = "basemap"


def _sidebar_controls(layers: list[LayerDef], state: MapState, basemaps, token: str | None) -> tuple[str, list[LayerDef]]:
    ids = [b.id for b in basemaps]
    # the URL's basemap, else 天地图 with a token, OpenStreetMap when its tiles answer, else the offline one
    default_base = state.basemap if state.basemap in ids else map_data.default_basemap_id(token)
    basemap_id = language_choice(
        st.sidebar.selectbox, tr("底图", "Basemap"), ids, {b.id: (b.title_zh, b.title_en) for b in basemaps},
        key=BASEMAP_KEY, default=default_base,
        help=tr("无网络时底图瓦片无法加载，矢量图层仍会显示。", "Without network, tiles fail to load; vector layers still show."),
    )
    # the basemap's notes under its select, not under the layers and years
    if not token:
        st.sidebar.caption(tr("天地图需配置令牌（TIANDITU_TOKEN）。", "Tianditu needs a token (TIANDITU_TOKEN)."))
    if BASEMAPS[basemap_id].gcj02:
        st.sidebar.caption(tr("高德底图为 GCJ-02 坐标：叠加图层仅为显示而偏移，分析数据不变。",
                              "AMap tiles are GCJ-02: overlays are shifted for display only; analysis data are unchanged."))
    st.sidebar.subheader(tr("图层", "Layers"))
    shown = []
    for layer in layers:
        default = layer.id in state.layers if state.layers is not None else layer.default_on
        if st.sidebar.checkbox(layer.title(lang()), value=default, key=f"layer_{layer.id}"):
            shown.append(layer)
    return basemap_id, shown


def _url_pct() -> int:
    """The adoption percentage from the URL (``pvpct``), 100 when absent or malformed."""
    raw = str(st.query_params.get("pvpct", "100"))
    return min(200, int(raw) // 10 * 10) if raw.isdigit() else 100


def _scenario_controls(has_roofs: bool) -> dict[str, Any]:
    """The PV scenario knob of the map page (full scenario editing is on the PV page)."""
    if not has_roofs:
        return {}
    st.sidebar.subheader(tr("光伏情景", "PV scenario"))
    pct = st.sidebar.slider(
        tr("屋顶采用比例（相对整县推进最低比例，%）", "Roof adoption (% of the NEA county-wide minimum shares)"),
        0, 200, _url_pct(),
        step=10, key="pv_scale",
        help=tr("100% = 党政机关50%、公共建筑40%、工商业30%、农村居民20%（国家能源局 2021）。",
                "100% = gov 50 %, public 40 %, commercial 30 %, rural 20 % (NEA 2021)."),
    )
    return {"adoption_scale": pct / 100.0}


@dataclass
class View:
    """What the sidebar chose for this run: basemap, visible layers, their facts, the PV scenario."""

    state: MapState
    token: str | None
    basemap_id: str
    shown: list[LayerDef]
    facts: dict[str, LayerFacts]
    options: dict[str, Any]
    scenario: Scenario
    year: int | None = None  # the map's year (every layer as of that year); None: the data of today
    compare: int | None = None  # the year shown right of the swipe divider; None when not comparing
    swipe: SwipeChoice | None = None  # two layers or two PV scenarios at the divider; None when not comparing them

    @property
    def years(self) -> list[int]:
        return [y for y in (self.year, self.compare) if y is not None]

    @property
    def roofs_on(self) -> bool:
        return any(layer.scenario == "pv" for layer in self.shown)


def _sidebar_indicators(view: View) -> None:
    shown = view.facts
    st.sidebar.subheader(tr("指标", "Indicators"))
    if "townships" in shown:
        t = shown["townships"]
        st.sidebar.metric(tr("乡镇（街道）数", "Townships"), t.rows)
        if t.area_km2 is not None:
            st.sidebar.metric(tr("市域面积 (km²)", "City area (km²)"), f"{t.area_km2:,.1f}")
    if "belt" in shown and shown["belt"].area_km2 is not None:
        st.sidebar.metric(tr("沿黄生态带面积 (km²)", "Yellow River belt area (km²)"), f"{shown['belt'].area_km2:,.1f}")
    if not view.roofs_on:
        return
    # as of the map's year (31 Dec) when one is chosen, else today
    day = f"{view.year}-12-31" if view.year is not None else date.today().isoformat()
    when = tr(f"截至 {day}", f"as of {day}") if view.year is not None else tr("截至今天", "as of today")
    prog = pv_progress(day)
    # the goal is a caption, not a metric delta: Streamlit draws a delta with an up-arrow, read as growth
    st.sidebar.metric(
        tr("已并网光伏装机 (MW)", "Installed PV, grid-connected (MW)"), f"{prog['installed_mw']:,.1f}",
        help=tr(f"装机台账中已并网的容量（{when}）；在建、备案不计入。",
                f"Grid-connected capacity in the installations ledger ({when}); "
                "under construction and filed projects are not counted."))
    st.sidebar.caption(tr(f"{prog['goal_year']} 年目标 {prog['goal_mw']:,.0f} MW", f"{prog['goal_year']} goal: "
                          f"{prog['goal_mw']:,.0f} MW"))
    summary = roof_summary(view.scenario)
    st.sidebar.metric(tr("建筑屋顶数", "Rooftops"), f"{summary['buildings']:,}")
    st.sidebar.metric(tr("纳入情景的屋顶数", "Roofs in the scenario"), f"{summary['roofs']:,}")
    st.sidebar.metric(
        tr("屋顶光伏情景潜力 (MW)", "Rooftop PV scenario potential (MW)"),
        f"{summary['capacity_mw']:,.1f}",
        help=tr("屋顶按情景开发比例（默认国家能源局整县推进最低比例）、以可用面积封顶可安装的容量：不是技术上限，"
                "不是已并网装机，不计入 70 MW 目标进度。",
                "What the roofs carry at the scenario's adoption shares (by default the NEA county-wide minimum "
                "shares), capped by the usable area: not a technical ceiling, not installed capacity, and not "
                "counted toward the 70 MW goal."),
    )
    st.sidebar.metric(tr("情景潜力年发电量 (GWh/年)", "Potential generation, scenario (GWh/yr)"),
                      f"{summary['annual_gwh']:,.1f}",
                      help=tr("上述情景潜力装机一年可发的电量：不是已并网装机的实际发电量。",
                              "What the scenario potential above would generate in a year: not the output of "
                              "installed capacity."))


def _raster_group(layer: LayerDef, pane: str | None = None) -> tuple[list, list]:
    drawn = map_data.raster_overlay(layer.id)
    if drawn is None:
        return [], []
    g = folium.FeatureGroup(name=layer.title(lang()))
    image_overlay(drawn.url, drawn.bounds, layer.title(lang()), opacity=0.75, pane=pane).add_to(g)
    return [g], [drawn.legend]


def _big_groups(layer: LayerDef, view: View, basemap_id: str, job: tiles.TileJob | None,
                inline: bool = False, filled: bool = True, side: str | None = None) -> tuple[list, list]:
    """Hexagons (county zoom) and, once built, vector tiles (building zoom) of a big layer.

    The hexagons are a published static file the browser fetches (``inline``: embedded, for exports);
    ``filled`` False draws them as outlines (one large layer filled at a time: ``payloads.hex_fill_rule``);
    ``side``: in a compare side's panes (``"a"`` / ``"b"``)."""
    panes = side_panes(side) if side else {"agg": AGG_PANE, "detail": DETAIL_PANE}
    if inline:
        payload, breaks, value_label, unit = map_data.hex_payload(layer, view.scenario, basemap_id, not filled)
        groups = [layer_group(layer, lang=lang(), pane=AGG_PANE, payload=payload)]
    else:
        url, breaks, value_label, unit = map_data.hex_payload_url(layer, view.scenario, basemap_id, not filled)
        groups = [layer_group(layer, lang=lang(), pane=panes["agg"], url=url)]
    note = tr(f"放大到 {tiles.DETAIL_MIN_ZOOM} 级及以上显示单体要素", f"Zoom to level {tiles.DETAIL_MIN_ZOOM}+ for single features")
    if not filled:
        note = tr("县域视图同时只填色一个大图层（列表中第一个），本图层显示为六边形轮廓（颜色同分级）；",
                  "At county zoom one large layer is filled at a time (the first in the list); this one shows "
                  "as hexagon outlines in its class colours; ") + note
    section = choropleth_section(f"{layer.title(lang())} · {value_label}", breaks, map_data.hex_palette(layer), unit,
                                 note=note)
    if not filled:
        section.rows = [("outline", colour, label) for _, colour, label in section.rows]
    section.only = "agg"
    legends = [section]
    if job is not None and job.status == "ready":
        url, fill_js, section = map_data.tile_style(layer, job)
        g = folium.FeatureGroup(name=f"{layer.title(lang())} tiles")
        vector_tile_layer(url, layer.id, fill_js, pane=panes["detail"]).add_to(g)
        groups.append(g)
        section.only = "detail"
        legends.append(section)
    return groups, legends


def _build_groups(shown: list[LayerDef], view: View, basemap_id: str, jobs: dict,
                  inline: bool = False) -> tuple[list, list]:
    """Feature groups (GeoJSON, hexagons, tiles, rasters) and legend sections of the visible layers.

    Layer data go as URLs of static payload files (shared by every session); ``inline`` embeds them
    instead (the standalone export, opened offline)."""
    groups, legends = [], []
    swipe = view.swipe if not inline else None  # two layers / two PV scenarios (not in the standalone export)
    compare = map_years.compare_of(view.year, view.compare, swipe)
    if compare is not None:  # first: the compare control makes the side panes the layers are drawn in
        groups.append(map_years.swipe_group(compare))
    filled = hex_fill_rule([layer.id for layer in shown if layer.big and layer.geometry != "raster"])
    for layer in shown:
        # a layer of a "two layers" compare goes to its side's panes
        side = ("a" if layer.id == swipe.a else "b" if layer.id == swipe.b else None) \
            if swipe is not None and swipe.kind == "layers" else None
        if view.year is not None and varies_by_year(layer) and not inline:
            more, more_legends = map_years.groups(layer, view.year, basemap_id, filled.get(layer.id, True),
                                                  "a" if view.compare is not None else side)
            if view.compare is not None:  # the right side; its legend stands for both
                more_b, more_legends = map_years.groups(layer, view.compare, basemap_id, filled.get(layer.id, True), "b")
                more = more + more_b
        elif layer.geometry == "raster":
            more, more_legends = _raster_group(layer, side_panes(side)["over"] if side else None)
        elif layer.big and swipe is not None and swipe.kind == "scenarios" and layer.scenario == "pv":
            more, more_legends = map_years.scenario_groups(layer, swipe, basemap_id, filled[layer.id])
            tiles_only = _big_groups(layer, view, basemap_id, jobs.get(layer.id), inline, filled[layer.id])
            more, more_legends = more + tiles_only[0][1:], more_legends + tiles_only[1][1:]
        elif layer.big:
            more, more_legends = _big_groups(layer, view, basemap_id, jobs.get(layer.id), inline, filled[layer.id],
                                             side)
        elif side is not None:
            more = [layer_group(layer, lang=lang(), url=map_data.small_payload_url(layer.id, basemap_id),
                                pane=side_panes(side)["over"], tag=f"{layer.id}@{side}")]
            more_legends = [layer_legend(layer, lang())]
        elif inline:
            passive = passive_group(layer, map_data.passive_payload(layer.id, basemap_id))
            more = [g for g in (passive, layer_group(layer, lang=lang(), payload=map_data.small_payload(layer.id, basemap_id)))
                    if g is not None]
            more_legends = [layer_legend(layer, lang())]
        else:
            more = [layer_group(layer, lang=lang(), url=map_data.small_payload_url(layer.id, basemap_id))]
            more_legends = [layer_legend(layer, lang())]
        if side is not None:  # the legend says which side of the divider
            where = tr("左", "Left") if side == "a" else tr("右", "Right")
            more_legends = [replace(sec, title=f"{where} · {sec.title}") for sec in more_legends]
        groups.extend(more)
        legends.extend(more_legends)
    if view.compare is not None and not inline:
        change, change_legend = map_years.change_group(view.year, view.compare, basemap_id)
        groups.append(change)
        legends.insert(0, change_legend)
    return groups, legends


def _side_panel(hit: list[tuple[LayerDef, dict[str, Any]]]) -> None:
    st.subheader(tr("所选要素", "Selected feature"))
    if not hit:
        st.caption(tr("点击地图上的乡镇、屋顶、林地斑块或项目查看数据。",
                      "Click a township, roof, forest patch or project on the map to see its numbers."))
        return
    for layer, rec in hit:
        with st.container(border=True):
            st.markdown(f"**{md_escape(layer.title(lang()))}**")
            # st.table renders Markdown: values and field names from files are shown as text
            # numbers as the rest of the page shows them (thousands separators; units are in the labels)
            rows = [(md_escape(k), md_escape(panel_text(v))) for k, v in rec.items() if v is not None and v == v]
            st.table(pd.DataFrame(rows, columns=[tr("项目", "Field"), tr("数值", "Value")]).astype(str).set_index(
                tr("项目", "Field")))


MAP_TOP_PX = 175  # height (px) above the map's bottom edge margin: app header, compact title, one-line notice

PAGE_CSS = (
    # a pan reruns the map fragment: keep the map itself from fading while it does (no flicker)
    'div[data-testid="stElementContainer"][data-stale="true"]:has(iframe[title="streamlit_folium.st_folium"])'
    "{opacity:1 !important;transition:none !important;}"
    # the map fills the window's height below a compact title and one-line notices
    '[data-testid="stMainBlockContainer"]{padding-top:3.9rem;padding-bottom:1rem}'
    '[data-testid="stMainBlockContainer"] [data-testid="stHeading"] h1{font-size:1.45rem;padding:0 0 .15rem 0}'
    '[data-testid="stMainBlockContainer"] [data-testid="stExpander"] summary{padding-top:.3rem;padding-bottom:.3rem}'

    f'iframe[title="streamlit_folium.st_folium"]{{height:max(420px, calc(100vh - {MAP_TOP_PX}px)) !important}}'
)


def _header() -> None:
    st.title(tr(f"{profile().name_zh}碳达峰规划图", f"{profile().name_en} carbon-peak planning map"))
    st.html(f"<style>{PAGE_CSS}</style>")


def _sidebar() -> View:
    """Basemap, layers and scenario from the sidebar; loads the visible small layers and shows the banners."""
    all_layers = registry()
    state = _initial_state([layer.id for layer in all_layers])
    token = tianditu_token(app_secrets())
    basemap_id, shown = _sidebar_controls(all_layers, state, available_basemaps(token), token)
    year, compare, swipe = map_years.controls(state, shown)
    with st.spinner(tr("正在加载图层…", "Loading layers…")):
        shown_facts = {layer.id: facts(layer.id) for layer in shown}
    demo_banner(shown_facts, _township_note(shown_facts))
    options = _scenario_controls(any(layer.scenario == "pv" for layer in shown))
    view = View(state, token, basemap_id, shown, shown_facts, options, map_data.scenario_of(options), year, compare,
                swipe)
    _sidebar_indicators(view)
    return view


def _township_note(shown: dict[str, LayerFacts]) -> list[str]:
    """The note on approximate township boundaries (shown inside the compact demo notice)."""
    if "townships" in shown and shown["townships"].provenance.approximate:
        return [
            tr(
                "乡镇边界为近似边界（由乡镇驻地泰森多边形生成），非官方界线；将官方文件放入 data/boundaries/townships.gpkg 即可替换。",
                "Township boundaries are approximate (Voronoi cells of township seats), not official; "
                "drop an official file as data/boundaries/townships.gpkg to replace them.",
            )
        ]
    return []


def _jobs(view: View) -> dict[str, Any]:
    """Tile sets of the visible big layers (started in a child process when missing); as of the map's year(s)
    for the layers that vary by year."""
    jobs = {layer.id: map_data.tile_job(layer.id, view.basemap_id) for layer in view.shown if layer.big
            and not (view.year is not None and varies_by_year(layer))}
    for layer in view.shown:
        if layer.big and view.year is not None and varies_by_year(layer):
            jobs.update({f"{layer.id}@{y}": map_years.tile_job(layer.id, y, view.basemap_id) for y in view.years})
    return jobs


def _tile_jobs(view: View) -> dict[str, Any]:
    """:func:`_jobs`, saying which tile sets are being built or failed."""
    jobs = _jobs(view)
    titles = {layer.id: md_escape(layer.title(lang())) for layer in view.shown}
    titles.update({f"{layer.id}@{y}": f"{md_escape(layer.title(lang()))} · {y}" for layer in view.shown for y in view.years})
    for layer_id, job in jobs.items():
        if job.status == "building":
            st.caption(tr(f"正在生成“{titles[layer_id]}”的矢量瓦片，完成前显示六边形汇总…",
                          f"Building the vector tiles of '{titles[layer_id]}'; hexagon summary shown meanwhile…"))
        elif job.status == "error":
            st.error(tr(f"矢量瓦片生成失败：{md_escape(job.error)}", f"Vector tiles failed: {md_escape(job.error)}"))
    return jobs


def _request_view(view: View) -> tuple[tuple[float, float, int], tuple[float, float, int]]:
    """(current view, view the map should open at): a new basemap or language remounts the map."""
    state = view.state
    current = st.session_state.setdefault(map_view.VIEW_KEY, (state.lat, state.lon, state.zoom))
    mount = (view.basemap_id, lang())
    if st.session_state.get("map_mount") != mount:
        st.session_state["map_mount"] = mount
        st.session_state["map_request"] = current
    return current, st.session_state.get("map_request", current)


def _clicked(current: tuple[float, float, int]) -> tuple[dict | None, int]:
    """The map's last click (the component's value before this run) and the zoom it was made at."""
    value = st.session_state.get(MAP_KEY) or {}
    if not isinstance(value, dict):
        return None, current[2]
    return value.get("last_clicked"), int(value.get("zoom") or current[2])


def _highlight(view: View, current: tuple[float, float, int]) -> folium.FeatureGroup:
    """The outline of the feature under the map's last click (empty without a click)."""
    clicked, zoom = _clicked(current)
    looks = map_years.by_year(view.year)
    return highlight_group(map_data.hit_frame(clicked, zoom, view.shown, view.basemap_id, looks) if clicked else None)


def _content_key(view: View, jobs: dict, req: tuple[float, float, int], current: tuple[float, float, int],
                 marks: str = "") -> tuple:
    """Everything the drawn map depends on: basemap and token, language, the view it opens at, the visible
    layers and their definitions, every layer's data version (search entries, county bounds), the PV
    scenario, the tile sets' state, the last click (its highlight) and the session's markup (``marks``, its
    GeoJSON text)."""
    clicked, zoom = _clicked(current)
    return (
        view.basemap_id, view.token, lang(), req, tuple(layer.id for layer in view.shown), registry_version(),
        (view.year, view.compare, view.swipe),
        tuple((layer.id, source_version(layer.id)) for layer in registry()),
        view.scenario.to_json() if view.scenario is not None else "",
        tuple(sorted((i, j.status, j.sig) for i, j in jobs.items())),
        (clicked.get("lat"), clicked.get("lng"), zoom) if isinstance(clicked, dict) else None,
        marks,
    )


def _legend_heading(view: View) -> str:
    compare = map_years.compare_of(view.year, view.compare, view.swipe)
    if compare is not None and compare.kind != "years":
        return tr(f"图例（左 {compare.label_a} | 右 {compare.label_b}）",
                  f"Legend (left {compare.label_a} | right {compare.label_b})")
    if view.compare is not None:
        return tr(f"图例（左 {view.year} 年 | 右 {view.compare} 年）", f"Legend (left {view.year} | right {view.compare})")
    if view.year is not None:
        return tr(f"图例（{view.year} 年）", f"Legend ({view.year})")
    return tr("图例", "Legend")


def _year_notes(view: View) -> None:
    """What the map's year means, and the layers shown without a version of that year ("沿用 2022 年数据"); what
    a compare of two layers or two PV scenarios shows."""
    compare = map_years.compare_of(view.year, view.compare, view.swipe)
    if compare is not None and compare.kind != "years":
        st.caption(tr(f"拖动分隔线对比：左侧 {compare.label_a}，右侧 {compare.label_b}。",
                      f"Drag the divider to compare: left {compare.label_a}, right {compare.label_b}.")
                   + (tr("两侧六边形按同一分级着色。", " Both sides' hexagons share one set of classes.")
                      if compare.kind == "scenarios" else ""))
    if view.year is None:
        return
    years = "、".join(map(str, view.years)) if lang() == "zh" else " and ".join(map(str, view.years))
    text = tr(f"地图显示 {years} 年：光伏为截至当年 12 月 31 日已并网的装机，土地覆被与林地为当年版本。",
              f"The map shows {years}: PV installations connected by 31 Dec, the land cover and forest of that year.")
    if view.compare is not None:
        text += tr(" 拖动分隔线对比两年；变化图层显示其间新增光伏、森林增减与耕地减少。",
                   " Drag the divider to compare the two years; the change layer shows new PV, forest gained and "
                   "lost, and farmland lost between them.")
    st.caption(text)
    for note in map_years.notes(view.shown, view.years):
        st.caption(md_escape(note))


def _draw_map(view: View, jobs: dict, req: tuple[float, float, int], current: tuple[float, float, int]) -> dict:
    """The map, opened at ``req``: rendered once per content (:mod:`ui.folium_map`), then sent as it is."""
    t0 = time.perf_counter()
    from cyc_geo.mapview import markup
    from cyc_geo.mapview.webmap import for_display

    marks = markup_ui.frame()
    marks_key = json.dumps(markup_ui.box()["features"], ensure_ascii=False, sort_keys=True) if len(marks) else ""

    def build() -> tuple[folium.Map, list]:
        fmap = base_map(view.basemap_id, view.token, center=(req[0], req[1]), zoom=req[2],
                        fit_bounds=map_data.county_bounds(view.basemap_id), lang=lang())
        SearchControl(map_data.search_entries(view.basemap_id, lang()), lang()).add_to(fmap)
        area_stats.add_draw_control(fmap, lang())
        add_label_css(fmap)
        groups, legends = _build_groups(view.shown, view, view.basemap_id, jobs)
        groups.append(_highlight(view, current))
        # the session's markup, drawn by the page (the drawing tool's own layer is emptied when it is drawn)
        groups.append(markup.markup_group(for_display(marks, view.basemap_id), lang()))
        section = markup.legend_section(marks, lang())
        groups.append(legend_group(legends + ([section] if section else []), heading=_legend_heading(view)))
        return fmap, groups

    # a session's markup is its own: such a map is not kept on disk for other sessions
    out = folium_map.show(_content_key(view, jobs, req, current, marks_key), build, center=(req[0], req[1]), zoom=req[2],
                          key=MAP_KEY, height=620, persist=not BASEMAPS[view.basemap_id].needs_token and not marks_key,
                          reported=(*area_stats.REPORTED, *markup_ui.REPORTED, "bounds"))
    st.session_state["map_build_s"] = time.perf_counter() - t0
    return out


def _write_url(view: View, current: tuple[float, float, int]) -> None:
    q = state_query(MapState(current[0], current[1], current[2], view.basemap_id, tuple(layer.id for layer in view.shown),
                             year=view.year, compare=view.compare, swipe=view.swipe))
    for k in ("year", "cmp", "swipe"):
        if k not in q and k in st.query_params:
            del st.query_params[k]
    if view.options:
        q["pvpct"] = str(int(round(view.options["adoption_scale"] * 100)))
    for k, v in q.items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v


def map_and_panel(view: View, building: bool) -> None:
    """The map and its side panel; panning or clicking reruns only this fragment.

    While vector tiles are being built the fragment polls every 3 s, and reruns the
    whole page once they are ready (which stops the polling).
    """
    jobs = _tile_jobs(view)
    if building and not any(j.status == "building" for j in jobs.values()):
        st.rerun()
    _year_notes(view)
    col_map, col_panel = st.columns([3, 1])
    current, req = _request_view(view)
    markup_ui.take_drawings(st.session_state.get(MAP_KEY), view.basemap_id)  # drawn since the last run
    with col_map:
        out = _draw_map(view, jobs, req, current)
    current = map_view.remember(out) or current
    _write_url(view, current)
    with col_panel:
        clicked = out.get("last_clicked")
        located = locate_box(view.basemap_id, clicked,
                             lambda c, z: map_data.lookup(c, z, view.shown, view.basemap_id, view.scenario,
                                                             map_years.by_year(view.year)))
        # with two years compared, a click reports the features of the map's year (left of the divider)
        _side_panel(located if located is not None else
                    map_data.lookup(clicked, current[2], view.shown, view.basemap_id, view.scenario,
                                    map_years.by_year(view.year))
                    if clicked else [])
        area_stats.panel(clicked, out.get("last_active_drawing"), view.basemap_id)
        markup_ui.panel()


def _export_builder(view: View) -> Callable[[str], bytes]:
    """A builder of the current view's export files, ``html`` (standalone, opens offline) or ``png``
    (rendered in headless Chromium), called when a download button is clicked (Streamlit's deferred
    download data), so neither is made unless asked for. The same composition as ``python -m cyc_geo
    map export`` (:func:`cyc_geo.mapview.standalone.export_map`), fed by this page's cached layers and
    per-roof results (as of the map's year, when one is chosen); the view, layers, language and scenario are taken
    now, in the script run."""
    from ui.common import per_roof

    state = view.state
    lat, lon, zoom = st.session_state.get(map_view.VIEW_KEY, (state.lat, state.lon, state.zoom))
    ids, lg, scenario = [layer.id for layer in view.shown], lang(), view.scenario
    holder = markup_ui.box()  # read when the file is made: markup drawn after this run is included
    layer_frame = map_years.by_year(view.year)[1]

    def build(kind: str) -> bytes:
        from cyc_geo.mapview.export import html_to_png, standalone_html
        from cyc_geo.mapview.standalone import export_map

        html = standalone_html(export_map(ids, lg, (lat, lon), int(zoom), scenario, load=layer_frame,
                                          per_roof=per_roof, markup=markup_ui.frame(holder)))
        return html.encode("utf-8") if kind == "html" else html_to_png(html)

    return build


def export_section(view: View) -> None:
    with st.expander(tr("导出当前地图（HTML / PNG）", "Export the current map (HTML / PNG)")):
        st.caption(tr("HTML 文件内嵌全部脚本与数据，可离线打开；PNG 由无头 Chromium 渲染。文件在点击下载时生成。",
                      "The HTML file inlines every script and data, so it opens offline; the PNG is rendered "
                      "in headless Chromium. Each file is made when its download is clicked."))
        from cyc_geo.mapview.export import CHROMIUM

        build = _export_builder(view)
        c1, c2 = st.columns(2)
        c1.download_button(tr("下载 HTML", "Download HTML"), lambda: build("html"), f"{profile().slug}_map.html", "text/html",
                           key="map_dl_html", on_click="ignore")
        has_browser = Path(CHROMIUM).exists()
        c2.download_button(tr("下载 PNG", "Download PNG"), lambda: build("png"), f"{profile().slug}_map.png", "image/png",
                           key="map_dl_png", on_click="ignore", disabled=not has_browser)
        if not has_browser:
            st.caption(tr(f"PNG 导出需要 Chromium（{CHROMIUM}）：scripts/setup.sh --test 安装。",
                          f"The PNG export needs Chromium ({CHROMIUM}): scripts/setup.sh --test installs it."))


ORIENTATIONS = {True: ("横向", "Landscape"), False: ("纵向", "Portrait")}
PRINT_CONTENTS = {"view": ("当前视图", "Current view"), "atlas": ("乡镇图集", "Township atlas")}


def print_section(view: View) -> None:
    """Print layout (PDF) of the current view and layers, or a township atlas (cyc_geo.mapview.print_layout)."""
    from cyc_geo.mapview import print_layout

    with st.expander(tr("打印版式（PDF：图例、比例尺、指北针、数据来源）",
                        "Print layout (PDF: legend, scale bar, north arrow, sources)")):
        c1, c2, c3 = st.columns(3)
        # two papers: a radio, one click (a select's list at the page's foot opened and closed again as the
        # expander scrolled to show it)
        paper = c1.radio(tr("纸张", "Paper"), list(print_layout.PAPERS), horizontal=True, key="map_print_paper")
        landscape = language_choice(c2.radio, tr("方向", "Orientation"), list(ORIENTATIONS), ORIENTATIONS,
                                    key="map_print_landscape", default=True, horizontal=True)
        what = language_choice(c3.radio, tr("内容", "Content"), list(PRINT_CONTENTS), PRINT_CONTENTS,
                               key="map_print_what", default="view")
        # a key per language: the default title is the page's; an atlas has its own title (乡镇图集), so none is asked
        title = st.text_input(tr("标题", "Title"), tr(f"{profile().name_zh}碳达峰规划图", f"{profile().name_en} carbon-peak planning map"),
                              key=f"map_print_title_{lang()}", disabled=what == "atlas",
                              help=tr(f"图集各页以乡镇名为题，文档题为“{profile().name_zh}乡镇图集”。",
                                      f"An atlas's pages are titled by their township; the document is the "
                                      f"{profile().name_en} township atlas.") if what == "atlas" else None)
        c4, c5 = st.columns(2)
        maker = c4.text_input(tr("制图单位", "Map maker"), "", key="map_print_maker", max_chars=80,
                              placeholder=tr("空则注明“未填写”", "empty: noted as not filled in"))
        review_no = c5.text_input(tr("审图号", "Map review no."), "", key="map_print_review", max_chars=40,
                                  placeholder=tr("公开使用的地图须经审核", "maps for public use must be reviewed"))
        ids = [layer.id for layer in view.shown if layer.geometry != "raster"] or None
        figures = area_stats.print_figures()
        if figures is not None and what == "view" and not st.checkbox(tr("附区域统计表", "Add the area statistics table"),
                                                                       value=True, key="map_print_stats"):
            figures = None
        marks = markup_ui.frame()
        if len(marks) and what == "view" and not st.checkbox(tr(f"打印标注（{len(marks)} 项）", f"Print the markup ({len(marks)} items)"),
                                                             value=True, key="map_print_markup"):
            marks = None
        if st.button(tr("生成 PDF", "Make PDF"), key="map_print_btn"):
            # the view as the map last reported it (a pan reruns only the map's fragment, not this section)
            box = map_view.view_box_wgs84(view.basemap_id, (view.state.lat, view.state.lon, view.state.zoom))
            with st.spinner(tr("正在排版…", "Laying out…")):
                if what == "atlas":
                    data = print_layout.atlas("townships", ids, paper, landscape, lang(), maker=maker, review_no=review_no,
                                              drawn=map_data.atlas_drawn(ids), inputs=map_data.atlas_inputs())
                else:
                    data = print_layout.print_layout(ids, paper, landscape, title, lang(),
                                                     bbox_wgs84=box.bbox if box else None, figures=figures,
                                                     maker=maker, review_no=review_no, markup=marks)
            st.session_state["map_print_pdf"] = (what, data, box if what == "view" else None)
        made = st.session_state.get("map_print_pdf")
        laid = made[2] if made and len(made) > 2 else None
        if laid is not None:
            w_km, h_km = laid.size_km()
            st.caption(tr(f"已按当前视图排版：约 {w_km:,.1f} × {h_km:,.1f} km（超出市域的部分裁去）" if laid.reported else
                          f"已按当前视图排版：约 {w_km:,.1f} × {h_km:,.1f} km（地图尚未移动，范围按中心与缩放级别估算）",
                          f"Laid out for the current view: about {w_km:,.1f} × {h_km:,.1f} km (cut to the city)"
                          if laid.reported else
                          f"Laid out for the current view: about {w_km:,.1f} × {h_km:,.1f} km (the map has not been "
                          "moved yet: estimated from its centre and zoom)"))
        if made:
            st.download_button(tr("下载 PDF", "Download PDF"), made[1],
                               f"{profile().slug}_{'atlas' if made[0] == 'atlas' else 'map'}.pdf",
                               "application/pdf", key="map_print_dl")


def main() -> None:
    _header()
    view = _sidebar()
    building = any(j.status == "building" for j in _jobs(view).values())
    st.fragment(map_and_panel, run_every=3 if building else None)(view, building)
    attribute_table.panel(view.shown, view.basemap_id, MAP_KEY)
    export_section(view)
    print_section(view)


if __name__ == "__main__":
    main()
