"""Forest carbon sink page: method parameters, township choropleth, sink indicator vs the plan's targets."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from cyc_geo.carbon import belt_scenario, forest, landcover, maps, zones
from cyc_geo.carbon.zones import CountyFigures
from cyc_geo.catalog.loader import planner_path
from cyc_geo.catalog.provenance import data_year_label, layer_data_year
from cyc_geo.exports.cells import csv_bytes
from cyc_geo.exports.display import display_frame
from cyc_geo.mapview.basemaps import tianditu_token
from cyc_geo.mapview.webmap import base_map, image_overlay, layer_group, legend_group
from ui import charts, map_data
from ui.common import app_secrets, demo_banner, lang, load_layer, tr
from ui.text import md_escape

PARAM_FIELDS = [
    ("stock_m3_per_ha", "单位面积蓄积 (m³/ha)", "Stock density (m³/ha)", 1.0),
    ("growth_rate", "蓄积年生长率 (1/年；按森林资源二类调查或年度林草湿监测填写)",
     "Stock growth rate (1/yr; from the forest management inventory or annual forest monitoring)", 0.005),
    ("bef", "生物量扩展因子 BEF", "Biomass expansion factor BEF", 0.01),
    ("root_shoot", "根茎比 R", "Root-shoot ratio R", 0.01),
    ("wood_density", "基本木材密度 D (t/m³)", "Basic wood density D (t/m³)", 0.01),
    ("carbon_fraction", "含碳率 CF", "Carbon fraction CF", 0.01),
]
POOL_COLUMNS = ["c_above", "c_below", "c_soil", "c_dead"]


@st.cache_resource(show_spinner=False, max_entries=4)
def _landcover(path: str, mtime: float) -> landcover.RasterData:
    return landcover.load_landcover(Path(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _belt_scenario(path: str, mtime: float, share: float) -> belt_scenario.BeltAfforestation:
    """The belt afforestation scenario (corridor planted outside 永久基本农田) on the current land cover."""
    return belt_scenario.belt_afforestation(_landcover(path, mtime), load_layer("belt"), load_layer("farmland"), share)


@st.cache_data(show_spinner=False, max_entries=16)
def _by_zone(zone_kind: str, path: str, mtime: float, params: pd.DataFrame, pools: pd.DataFrame,
             scenario_share: float) -> pd.DataFrame:
    gdf, key = _zones(zone_kind)
    future = _belt_scenario(path, mtime, scenario_share).future if scenario_share > 0 else None
    return zones.zone_carbon(gdf, key, _landcover(path, mtime), params, pools, future)


def _forest_overlay(path: str) -> tuple[str, list[list[float]]]:
    """URL and bounds of the forest PNG (not cached here: the library reuses the file while it exists)."""
    png, bounds = maps.forest_overlay_png(path)
    return maps.served_url(png), bounds


def _zones(kind: str) -> tuple[gpd.GeoDataFrame, str]:
    if kind == "belt":
        return load_layer("belt"), "zone"
    return load_layer("townships"), "code"


def _param_column(params: pd.DataFrame, defaults: pd.DataFrame, value: int) -> None:
    """Number inputs of one land class's stock-method parameters (written into ``params``)."""
    name = params.loc[value, "forest_type_zh" if lang() == "zh" else "forest_type_en"]
    st.markdown(f"**{md_escape(params.loc[value, 'code'])} {md_escape(name)}**")  # parameter table text, as text
    for field, zh, en, step in PARAM_FIELDS:
        params.loc[value, field] = st.number_input(
            tr(zh, en), min_value=0.0, value=float(defaults.loc[value, field]), step=step,
            format="%.4f", key=f"carbon_{field}_{value:04d}",
        )


def _param_inputs(defaults: pd.DataFrame) -> pd.DataFrame:
    """Number inputs for the stock-method parameters of the classes in the stock scope (:data:`forest.STOCK_CLASSES`)."""
    params = defaults.copy()
    with st.expander(tr("蓄积法参数（可修改）", "Stock-method parameters (editable)"), expanded=False):
        st.caption(tr(
            f"碳汇 = 蓄积 × 生长率 × BEF × (1+R) × D × CF × 44/12，蓄积口径：{forest.scope_label('zh')}。默认值：杨树"
            "（国家林业局《造林项目碳汇计量与监测指南》/ AR-CM-001-V01 表；IPCC 2006 第4卷第4章）；单位面积蓄积和生长率为"
            "演示校准值，请按森林资源二类调查填写。",
            f"Sink = stock × growth × BEF × (1+R) × D × CF × 44/12, stock scope: {forest.scope_label('en')}. Defaults: "
            "poplar (China forestry carbon guide / AR-CM-001-V01 tables; IPCC 2006 V4 Ch4); stock density and growth are "
            "demo calibrations: enter the forest management inventory's figures.",
        ))
        rows = [v for v in forest.STOCK_CLASSES if v in params.index]
        for col, value in zip(st.columns(len(rows)), rows, strict=True):
            with col:
                _param_column(params, defaults, value)
        sources = params[["code", "source_zh" if lang() == "zh" and "source_zh" in params else "source"]]
        st.dataframe(display_frame(sources.set_axis(["code", "source"], axis=1), lang()), hide_index=True, width="stretch")
    return params


def _pools_editor(defaults: pd.DataFrame) -> pd.DataFrame:
    with st.expander(tr("碳库表 (t C/ha，InVEST 方法)", "Carbon pools table (t C/ha, InVEST method)"), expanded=False):
        pools = {"c_above": ("地上生物量碳", "Above-ground"), "c_below": ("地下生物量碳", "Below-ground"),
                 "c_soil": ("土壤有机碳", "Soil"), "c_dead": ("枯落物碳", "Dead matter")}
        name = "name_zh" if lang() == "zh" else "name_en"
        config = {"code": st.column_config.TextColumn(tr("代码", "Code")),
                  name: st.column_config.TextColumn(tr("地类", "Class")),
                  **{c: st.column_config.NumberColumn(f"{tr(*pools[c])} (t C/ha)") for c in POOL_COLUMNS}}
        edited = st.data_editor(defaults[["code", name, *POOL_COLUMNS]], hide_index=True, column_config=config,
                                disabled=["code", name], key="carbon_pools_editor", width="stretch")
        st.caption(tr("各碳库值的来源见 data/reference/carbon_pools.csv。",
                      "Sources: the source column of data/reference/carbon_pools.csv."))
    out = defaults.copy()
    out[POOL_COLUMNS] = edited[POOL_COLUMNS].to_numpy()
    return out


def _patch_group(patch_town: str | None) -> tuple[folium.FeatureGroup | None, gpd.GeoDataFrame | None]:
    """The chosen township's forest patches as a map layer (None when no township or no patches)."""
    if not patch_town:
        return None, None
    sel = maps.township_patches(load_layer("forest"), patch_town)
    if sel.empty:
        return None, None
    return layer_group(maps.PATCH_LAYER, sel, lang()), sel


def _map(result: pd.DataFrame, zone_kind: str, path: str, patch_town: str | None) -> None:
    gdf, key = _zones(zone_kind)
    data, breaks = maps.zone_choropleth(gdf, key, result)
    url, bounds = _forest_overlay(path)
    raster = folium.FeatureGroup(name=tr("林地（栅格）", "Forest (raster)"))
    image_overlay(url, bounds, name="forest", opacity=0.8).add_to(raster)
    groups = [layer_group(maps.ZONE_LAYER, data, lang(), fill_col=maps.FILL_COL), raster,
              legend_group([maps.sink_legend(breaks, lang())])]
    patches, sel = _patch_group(patch_town)
    if patches is not None:
        groups.append(patches)
    center, zoom = maps.map_view(sel)
    token = tianditu_token(app_secrets())  # the basemap: 天地图 with a token, OSM when reachable, else offline
    st_folium(base_map(map_data.default_basemap_id(token), token, lang=lang()), feature_group_to_add=groups,
              center=center, zoom=zoom, height=520,
              use_container_width=True, returned_objects=[], key="carbon_map")


def _indicator_chart(fig: CountyFigures) -> alt.LayerChart:
    """Plan targets (bars) and the map's gross, net and scenario figures (rules), one legend naming them all."""
    data = zones.chart_series(fig.gross_wan_t, fig.net_wan_t, fig.sequestration_wan_t_co2_yr or None, lang())
    names = list(dict.fromkeys(data["series"]))
    color = alt.Color("series:N", title="", sort=names,
                      scale=alt.Scale(domain=names, range=["#9ecae1", "#006d2c", "#d95f02", "#7570b3"][:len(names)]),
                      legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
    bars = alt.Chart(data[data["mark"] == "bar"]).mark_bar().encode(
        x=alt.X("year:N", title=tr("年份", "Year")),
        y=alt.Y("value:Q", title=tr("碳汇量 (万t CO2/年)", "Carbon sink (10k t CO2/yr)")),
        color=color, tooltip=["year", "value", "series"],
    )
    rules = alt.Chart(data[data["mark"] == "rule"]).mark_rule(strokeWidth=3).encode(
        y="value:Q", color=color, tooltip=["series", alt.Tooltip("value:Q", format=".2f")],
    )
    return (bars + rules).resolve_scale(color="shared").properties(height=320)


def _definitions_and_targets(fig: CountyFigures) -> None:
    """One sentence per series, and why the sink and stock targets cannot both be met at a fixed uptake per m³."""
    keys = ("gross", "net", "plan") + (("scenario",) if fig.sequestration_wan_t_co2_yr else ())
    st.dataframe(zones.series_definitions(lang(), keys), hide_index=True, width="stretch",
                 column_config={"series": tr("名称", "Series"), "definition": tr("定义", "Definition")})
    chk = zones.targets_check(fig.gross_wan_t, fig.stock_wan_m3)
    if not chk.reachable:
        st.warning(tr(
            f"按当前每立方米蓄积年吸收 {chk.t_co2_per_m3:.4f} tCO2 计，蓄积达到 2024 年目标 183 万m³（指标16）时碳汇仅 "
            f"{chk.sink_at_target_stock_wan_t:.2f} 万t，达不到 26.05 万t（指标4）：两项目标不能同时实现，需要每立方米 "
            f"{chk.needed_t_co2_per_m3:.4f} t（生长率提高到 {chk.growth_factor_needed:.2f} 倍）。请在“蓄积法参数”中按森林资源"
            "二类调查或年度林草湿监测填写实际生长率。",
            f"At the current uptake of {chk.t_co2_per_m3:.4f} t CO2 per m³ of stock a year, a stock at the 2024 target of "
            f"1.83 million m³ (indicator 16) gives a sink of only {chk.sink_at_target_stock_wan_t * 1e4:,.0f} t, short of "
            "260,500 t "
            f"(indicator 4): the two targets cannot both be met; that needs {chk.needed_t_co2_per_m3:.4f} t per m³ "
            f"(growth rate × {chk.growth_factor_needed:.2f}). Set the measured growth rate from the forest management "
            "inventory or the annual forest, grassland and wetland monitoring under 'Stock-method parameters'.",
        ))


def _banner() -> None:
    lc_layer = load_layer("landcover")
    if planner_path("forest") is not None:
        forest_flags = load_layer("forest")
    else:  # patches are derived from the raster: same provenance, no need to load 22k polygons here
        forest_flags = gpd.GeoDataFrame(geometry=[], crs=lc_layer.crs)
        forest_flags.attrs["meta"] = dict(lc_layer.attrs.get("meta") or {})
    demo_banner({"landcover": lc_layer, "forest": forest_flags})


def _sidebar() -> tuple[str, str, pd.DataFrame, pd.DataFrame, float]:
    """Method, zones, parameters, pools and scenario share chosen in the sidebar and the expanders."""
    method = st.sidebar.radio(tr("计算方法", "Method"), ["stock", "pools"], key="carbon_method",
                              format_func=lambda m: {"stock": tr("蓄积量法（毛碳汇）", "Stock-based (gross sink)"),
                                                     "pools": tr("碳库法（InVEST 储量/固碳）", "Carbon pools (InVEST)")}[m])
    zone_kind = st.sidebar.selectbox(tr("汇总单元", "Aggregate by"), ["townships", "belt"], key="carbon_zones",
                                     format_func=lambda k: {"townships": tr("乡镇（街道）", "Townships"),
                                                            "belt": tr("沿黄生态带分区", "Yellow River belt zones")}[k])
    params = _param_inputs(forest.load_forest_params())
    pools = forest.load_pools()
    share = 0.0
    if method == "pools":
        pools = _pools_editor(pools)
        share = st.sidebar.slider(tr("情景：堤外生态廊道造林比例", "Scenario: share of the landward corridor afforested"),
                                  0.0, 1.0, 1.0, 0.1, key="carbon_scenario")
    return method, zone_kind, params, pools, share


def _metrics(fig: CountyFigures, method: str, scenario: belt_scenario.BeltAfforestation | None) -> None:
    c = st.columns(5)
    scope = forest.scope_label(lang())
    c[0].metric(tr(f"毛碳汇（{scope}的年生长）(万t CO2/年)", f"Gross sink (growth of the {scope}) (10k t CO2/yr)"),
                f"{fig.gross_wan_t:,.2f}",
                delta=f"{fig.gross_vs_plan_2021:+.2f} " + tr("对比规划2021", "vs plan 2021"), delta_color="off",
                help=zones.SERIES["gross"][2 if lang() == "zh" else 3])
    c[1].metric(tr("净碳汇（蓄积差法）(万t CO2/年)", "Net sink (stock difference) (10k t CO2/yr)"), f"{fig.net_wan_t:,.2f}",
                help=tr("IPCC 2006 蓄积差法：规划森林蓄积量 180→183 万m³（2021–2024）净增 1 万m³/年 按同一系数折算。",
                        "IPCC 2006 stock-difference method: the plan's net forest-stock change 1.80→1.83 million m³ "
                        "(2021–2024), +10k m³/yr, with the same factors."))
    c[2].metric(f"{scope} " + tr("(万m³)", "(10k m³)"), f"{fig.stock_wan_m3:,.2f}",
                help=tr("森林蓄积量按森林资源清查口径只计乔木林地（0301）的活立木蓄积；其他林地（0307：疏林、未成林造林地、"
                        "苗圃）不计入（依据见 docs/sources.md）。与指标16、指标4、年度评估和命令行碳汇输出同一口径。",
                        "Forest stock, as the forest inventory counts it, is the growing stock of tree forest (0301) only; "
                        "other forest land (0307: sparse stands, young plantations, nurseries) is not counted "
                        "(docs/sources.md, \"Forest stock scope\"). The same scope as indicators 16 and 4, the evaluation "
                        "and carbon --json."))
    c[3].metric(tr("林地面积 (ha)", "Forest area (ha)"), f"{fig.forest_area_ha:,.0f}")
    c[4].metric(tr("林地面积 (亩)", "Forest area (mu)"), f"{fig.forest_area_mu:,.0f}")
    st.info(tr(
        f"毛碳汇是林木年生长的总吸收量（规划 23.36 万t 即此口径，约 0.13 tCO2/m³蓄积/年）；净碳汇按规划蓄积净增折算，仅约 "
        f"{fig.net_wan_t:.1f} 万t/年——其余生长被采伐利用（杨树轮伐）。两者口径不同，不可混用。",
        f"The gross sink is the annual uptake by growth (the plan's 233,600 t is this, ~0.13 t CO2 per m³ of stock per "
        f"year); the net sink from the plan's stock change is only ~{fig.net_wan_t:.1f} × 10k t/yr — the rest of the growth "
        "is harvested (poplar rotations). They measure different things.",
    ))
    if method == "pools":
        p = st.columns(2)
        p[0].metric(tr("碳储量 (万t C)", "Carbon storage (10k t C)"), f"{fig.storage_wan_t_c:,.1f}")
        if scenario is None:
            return
        p[1].metric(scenario.label(lang(), zones.SCENARIO_HORIZON) + tr(" (万t CO2/年)", " (10k t CO2/yr)"),
                    f"{fig.sequestration_wan_t_co2_yr:,.2f}", help=zones.SERIES["scenario"][2 if lang() == "zh" else 3])
        st.caption(tr(
            f"情景不占永久基本农田（保留 {scenario.basic_farmland_kept_ha:,.0f} ha）；占用一般耕地 "
            f"{scenario.cropland_taken_ha:,.0f} ha，须落实耕地进出平衡。这是情景新增量，不是全市碳汇。",
            f"The scenario keeps permanent basic farmland unplanted ({scenario.basic_farmland_kept_ha:,.0f} ha kept); it "
            f"plants {scenario.cropland_taken_ha:,.0f} ha of general cropland, which needs the cropland in-out balance. "
            "This is the scenario's addition, not the county's sink."))


def _map_and_chart(result: pd.DataFrame, zone_kind: str, path: str, fig: CountyFigures) -> None:
    left, right = st.columns([3, 2])
    with left:
        towns = load_layer("townships")
        names = dict(zip(towns["code"], towns["name" if lang() == "zh" or "name_en" not in towns else "name_en"],
                         strict=True))
        patch_town = st.selectbox(tr("放大查看乡镇林地图斑", "Zoom to a township's forest patches"),
                                  ["", *towns["code"]], key="carbon_patch_town",
                                  format_func=lambda c: names.get(c, tr("（全市）", "(whole city)")))
        _map(result, zone_kind, path, patch_town or None)
    with right:
        st.subheader(tr("碳汇指标与规划目标", "Sink indicator vs plan targets"))
        charts.altair_chart(_indicator_chart(fig), width="stretch")
        _definitions_and_targets(fig)


def _zone_table(result: pd.DataFrame, zone_kind: str, path_obj: Path) -> None:
    st.subheader(tr("分区统计（精确部分像元加权）", "By zone (exact partial-pixel weighting)"))
    shown = result.round(2)
    if "name_en" in shown:  # place names in the reader's language
        shown = shown.assign(name=shown["name_en"] if lang() == "en" else shown["name"]).drop(columns="name_en")
    st.dataframe(display_frame(shown, lang()), hide_index=True, width="stretch")
    st.download_button(tr("下载 CSV", "Download CSV"), csv_bytes(result),
                       file_name=f"carbon_by_{zone_kind}.csv", mime="text/csv", key="carbon_csv")
    meta = landcover.landcover_meta(path_obj)
    source = (tr("演示数据（程序生成，非调查数据）", "demo data (generated, not survey data)") if meta.get("demo") == "true"
              else md_escape(meta["source"]))  # a planner's file name, shown as text
    year = data_year_label(layer_data_year("landcover", meta), lang())
    st.caption(tr(f"土地覆被：{source}（{year}）", f"Land cover: {source} ({year})"))


def main() -> None:
    st.title(tr("森林碳汇", "Forest carbon sink"))
    path_obj = landcover.landcover_path()
    path, mtime = str(path_obj), path_obj.stat().st_mtime
    _banner()
    method, zone_kind, params, pools, share = _sidebar()
    try:
        with st.spinner(tr("正在精确分区统计…", "Computing exact zonal statistics…")):
            result = _by_zone(zone_kind, path, mtime, params, pools, share)
            county_rows = _by_zone("townships", path, mtime, params, pools, share)
    except ValueError as exc:  # e.g. an all-nodata planner raster; the message may name the planner's file
        st.error(md_escape(str(exc)))
        st.stop()
    fig = zones.county_figures(county_rows, params)
    _metrics(fig, method, _belt_scenario(path, mtime, share) if share > 0 else None)
    _map_and_chart(result, zone_kind, path, fig)
    _zone_table(result, zone_kind, path_obj)


main()
