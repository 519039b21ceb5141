"""Forest carbon sink page: method parameters, township choropleth, sink indicator vs the plan's targets."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import altair as alt
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from cyc_geo.carbon import forest, landcover
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.catalog.sources import planner_file
from cyc_geo.mapview.webmap import base_map
from ui.common import demo_banner, lang, load_layer, tr

WAN = forest.WAN
PARAM_FIELDS = [
    ("stock_m3_per_ha", "单位面积蓄积 (m³/ha)", "Stock density (m³/ha)", 1.0),
    ("growth_rate", "蓄积年生长率 (1/年)", "Stock growth rate (1/yr)", 0.005),
    ("bef", "生物量扩展因子 BEF", "Biomass expansion factor BEF", 0.01),
    ("root_shoot", "根茎比 R", "Root-shoot ratio R", 0.01),
    ("wood_density", "基本木材密度 D (t/m³)", "Basic wood density D (t/m³)", 0.01),
    ("carbon_fraction", "含碳率 CF", "Carbon fraction CF", 0.01),
]
CHOROPLETH = ["#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c"]


@st.cache_resource(show_spinner=False, max_entries=4)
def _landcover(path: str, mtime: float) -> landcover.RasterData:
    return landcover.load_landcover(Path(path))


@st.cache_data(show_spinner=False, max_entries=16)
def _by_zone(zone_kind: str, path: str, mtime: float, params: pd.DataFrame, pools: pd.DataFrame,
             scenario_share: float) -> pd.DataFrame:
    zones, key = _zones(zone_kind)
    lc = _landcover(path, mtime)
    fut = None
    if scenario_share > 0:
        belt = load_layer("belt")
        fut = landcover.afforest(lc, belt[belt["zone"] == "corridor"], share=scenario_share)
    out = forest.carbon_by_zone(zones, id_col=key, landcover=lc, params=params, pools=pools, future=fut, years=3.0)
    out["name"] = zones["name"].to_numpy()
    return out


def _zones(kind: str) -> tuple[gpd.GeoDataFrame, str]:
    if kind == "belt":
        return load_layer("belt"), "zone"
    return load_layer("townships"), "code"


def _param_inputs(defaults: pd.DataFrame) -> pd.DataFrame:
    """Number inputs for the stock-method parameters of the classes with stock (0301, 0307)."""
    params = defaults.copy()
    with st.expander(tr("蓄积法参数（可修改）", "Stock-method parameters (editable)"), expanded=False):
        st.caption(tr(
            "碳汇 = 蓄积 × 生长率 × BEF × (1+R) × D × CF × 44/12。默认值：杨树（国家林业局《造林项目碳汇计量与监测指南》/ "
            "AR-CM-001-V01 表；IPCC 2006 第4卷第4章），单位面积蓄积和生长率按规划 180 万m³、23.36 万t 校准（演示）。",
            "Sink = stock × growth × BEF × (1+R) × D × CF × 44/12. Defaults: poplar (China forestry carbon guide / "
            "AR-CM-001-V01 tables; IPCC 2006 V4 Ch4); stock density and growth calibrated to the plan's 180 万m³ and "
            "23.36 万t (demo).",
        ))
        rows = [v for v in (301, 307) if v in params.index]
        cols = st.columns(len(rows))
        for col, value in zip(cols, rows):
            with col:
                st.markdown(f"**{params.loc[value, 'code']} "
                            f"{params.loc[value, 'forest_type_zh' if lang() == 'zh' else 'forest_type_en']}**")
                for field, zh, en, step in PARAM_FIELDS:
                    params.loc[value, field] = st.number_input(
                        tr(zh, en), min_value=0.0, value=float(defaults.loc[value, field]), step=step,
                        format="%.4f", key=f"carbon_{field}_{value:04d}",
                    )
        st.dataframe(params[["code", "source"]], hide_index=True, use_container_width=True)
    return params


def _pools_editor(defaults: pd.DataFrame) -> pd.DataFrame:
    with st.expander(tr("碳库表 (t C/ha，InVEST 方法)", "Carbon pools table (t C/ha, InVEST method)"), expanded=False):
        cols = ["code", "name_zh", "c_above", "c_below", "c_soil", "c_dead"]
        edited = st.data_editor(defaults[cols], hide_index=True, disabled=["code", "name_zh"], key="carbon_pools_editor",
                                use_container_width=True)
        st.caption(tr("来源见 data/reference/carbon_pools.csv 的 source 列。",
                      "Sources: the source column of data/reference/carbon_pools.csv."))
    out = defaults.copy()
    out[["c_above", "c_below", "c_soil", "c_dead"]] = edited[["c_above", "c_below", "c_soil", "c_dead"]].to_numpy()
    return out


def _png_data_url(rgba: np.ndarray) -> str:
    import matplotlib.image

    buf = io.BytesIO()
    matplotlib.image.imsave(buf, rgba, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@st.cache_data(show_spinner=False, max_entries=4)
def _forest_overlay(path: str, mtime: float) -> tuple[str, list[list[float]]]:
    rgba, bounds = landcover.overlay_rgba(Path(path), max_px=900, alpha=220, only_forest=True)
    return _png_data_url(rgba), bounds


def _classes(values: pd.Series) -> tuple[np.ndarray, list[float]]:
    """Quantile classes (5) of ``values`` -> colour per row and the class breaks."""
    v = values.fillna(0).to_numpy(dtype=float)
    breaks = list(np.unique(np.quantile(v, [0, 0.2, 0.4, 0.6, 0.8, 1.0])))
    idx = np.clip(np.searchsorted(breaks, v, side="right") - 1, 0, len(CHOROPLETH) - 1)
    return np.array(CHOROPLETH)[idx], breaks


def _map(result: pd.DataFrame, zone_kind: str, path: str, mtime: float, patch_town: str | None) -> None:
    zones, key = _zones(zone_kind)
    data = zones[[key, "name", "geometry"]].merge(result.drop(columns=["name"]), on=key, how="left")
    data["fill"], breaks = _classes(data["sink_t_co2_per_ha"])
    data["sink_wan_t"] = (data["sink_t_co2"] / WAN).round(3)
    data = data.round({"sink_t_co2_per_ha": 2, "forest_area_ha": 1, "stock_m3": 0})
    fmap = base_map("osm", lang=lang())
    url, bounds = _forest_overlay(path, mtime)
    raster = folium.FeatureGroup(name=tr("林地（栅格）", "Forest (raster)"))
    folium.raster_layers.ImageOverlay(url, bounds=bounds, opacity=0.8, name="forest").add_to(raster)
    fields = ["name", "sink_t_co2_per_ha", "sink_wan_t", "forest_area_ha", "stock_m3"]
    aliases = [tr("名称", "Name"), tr("碳汇 (tCO2/ha/年)", "Sink (t CO2/ha/yr)"), tr("碳汇 (万t/年)", "Sink (万t/yr)"),
               tr("林地面积 (ha)", "Forest area (ha)"), tr("蓄积 (m³)", "Stock (m³)")]
    choro = folium.FeatureGroup(name=tr("单位面积碳汇", "Sink per hectare"))
    folium.GeoJson(
        data[[*fields, "fill", "geometry"]].to_json(drop_id=True),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444", "weight": 1, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(choro)
    groups = [choro, raster]
    center, zoom = (35.19, 114.74), 10
    if patch_town:
        patches = load_layer("forest")
        sel = patches[patches["township_code"] == patch_town] if "township_code" in patches.columns else patches.iloc[:0]
        if len(sel):
            sel = sel.copy()
            sel["geometry"] = sel.to_crs(AREA_CRS).geometry.simplify(5).to_crs(sel.crs)
            sel = sel.round({"area_ha": 2, "stock_m3": 0, "sink_t_co2_yr": 1})
            pf = ["patch_id", "class_code", "class_name", "area_ha", "stock_m3", "sink_t_co2_yr"]
            pg = folium.FeatureGroup(name=tr("林地图斑", "Forest patches"))
            folium.GeoJson(
                sel[[*pf, "geometry"]].to_json(drop_id=True),
                style_function=lambda f: {"color": "#0b4f1c", "weight": 0.6, "fillColor": "#1a7a2e", "fillOpacity": 0.7},
                tooltip=folium.GeoJsonTooltip(fields=pf, aliases=[tr("图斑号", "Patch"), tr("地类编码", "Code"),
                                                                  tr("地类", "Class"), tr("面积(ha)", "Area (ha)"),
                                                                  tr("蓄积(m³)", "Stock (m³)"),
                                                                  tr("年碳汇(tCO2)", "Sink (t CO2/yr)")]),
            ).add_to(pg)
            groups.append(pg)
            w, s, e, n = sel.total_bounds
            center, zoom = ((s + n) / 2, (w + e) / 2), 13
    st_folium(fmap, feature_group_to_add=groups, center=center, zoom=zoom, height=520, use_container_width=True,
              returned_objects=[], key="carbon_map")
    legend = " ".join(
        f"<span style='background:{c};padding:0 8px;border:1px solid #999'></span> {lo:.2f}–{hi:.2f}"
        for c, lo, hi in zip(CHOROPLETH, breaks[:-1], breaks[1:])
    )
    st.markdown(f"<small>{tr('单位面积碳汇 tCO2/ha/年（五分位）', 'Sink per ha, t CO2/ha/yr (quintiles)')}: {legend}</small>",
                unsafe_allow_html=True)


def _indicator_chart(gross_wan: float, net_wan: float) -> alt.LayerChart:
    plan = pd.DataFrame({"year": [str(y) for y in forest.PLAN_SINK_WAN_T], "value": list(forest.PLAN_SINK_WAN_T.values()),
                         "series": tr("规划目标（附件1 #4）", "Plan target (Annex 1 #4)")})
    lines = pd.DataFrame({
        "value": [gross_wan, net_wan],
        "series": [tr("地图计算：毛碳汇", "From the map: gross sink"),
                   tr("规划蓄积净增折算：净碳汇", "Net sink from the plan's stock change")],
    })
    bars = alt.Chart(plan).mark_bar(color="#9ecae1").encode(
        x=alt.X("year:N", title=tr("年份", "Year")),
        y=alt.Y("value:Q", title=tr("碳汇量 (万t CO2/年)", "Carbon sink (万t CO2/yr)")),
        tooltip=["year", "value", "series"],
    )
    rules = alt.Chart(lines).mark_rule(strokeWidth=3).encode(
        y="value:Q",
        color=alt.Color("series:N", title="", scale=alt.Scale(range=["#006d2c", "#d95f02"])),
        tooltip=["series", alt.Tooltip("value:Q", format=".2f")],
    )
    return (bars + rules).properties(height=300)


# ---------------------------------------------------------------- page

st.title(tr("森林碳汇", "Forest carbon sink"))
path_obj = landcover.landcover_path()
path, mtime = str(path_obj), path_obj.stat().st_mtime
lc_layer = load_layer("landcover")
if planner_file("forest") is not None:
    forest_flags = load_layer("forest")
else:  # patches are derived from the raster: same provenance, no need to load 22k polygons here
    forest_flags = gpd.GeoDataFrame(geometry=[], crs=lc_layer.crs)
    forest_flags.attrs["meta"] = dict(lc_layer.attrs.get("meta") or {})
demo_banner({"landcover": lc_layer, "forest": forest_flags})

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

try:
    with st.spinner(tr("正在精确分区统计…", "Computing exact zonal statistics…")):
        result = _by_zone(zone_kind, path, mtime, params, pools, share)
        county_row = _by_zone("townships", path, mtime, params, pools, share)
except ValueError as exc:  # e.g. an all-nodata planner raster
    st.error(str(exc))
    st.stop()

gross = float(county_row["sink_t_co2"].sum())
net = forest.net_sink_from_stock_change(
    (forest.PLAN_STOCK_WAN_M3[2024] - forest.PLAN_STOCK_WAN_M3[2021]) * WAN, 3.0, params)
area_ha = float(county_row["forest_area_ha"].sum())
c = st.columns(5)
c[0].metric(tr("毛碳汇 (万t CO2/年)", "Gross sink (万t CO2/yr)"), f"{gross / WAN:,.2f}",
            delta=f"{(gross / WAN - forest.PLAN_SINK_WAN_T[2021]):+.2f} " + tr("对比规划2021", "vs plan 2021"),
            delta_color="off")
c[1].metric(tr("净碳汇 (万t CO2/年)", "Net sink (万t CO2/yr)"), f"{net / WAN:,.2f}",
            help=tr("规划蓄积 180→183 万m³（2021–2024）净增 1 万m³/年 按同一系数折算。",
                    "The plan's net stock change 180→183 万m³ (2021–2024), +1 万m³/yr, with the same factors."))
c[2].metric(tr("森林蓄积 (万m³)", "Forest stock (万m³)"), f"{county_row['stock_m3'].sum() / WAN:,.2f}")
c[3].metric(tr("林地面积 (ha)", "Forest area (ha)"), f"{area_ha:,.0f}")
c[4].metric(tr("林地面积 (亩)", "Forest area (亩)"), f"{county_row['forest_area_mu'].sum():,.0f}")
st.info(tr(
    f"毛碳汇是林木年生长的总吸收量（规划 23.36 万t 即此口径，约 0.13 tCO2/m³蓄积/年）；净碳汇按规划蓄积净增折算，仅约 "
    f"{net / WAN:.1f} 万t/年——其余生长被采伐利用（杨树轮伐）。两者口径不同，不可混用。",
    f"The gross sink is the annual uptake by growth (the plan's 23.36 万t is this, ~0.13 t CO2 per m³ of stock per "
    f"year); the net sink from the plan's stock change is only ~{net / WAN:.1f} 万t/yr — the rest of the growth is "
    "harvested (poplar rotations). They measure different things.",
))
if method == "pools":
    seq = float(county_row.get("sequestration_t_co2_yr", pd.Series([0.0])).sum())
    p = st.columns(2)
    p[0].metric(tr("碳储量 (万t C)", "Carbon storage (万t C)"), f"{county_row['storage_t_c'].sum() / WAN:,.1f}")
    p[1].metric(tr("情景固碳 (万t CO2/年，3年)", "Scenario sequestration (万t CO2/yr over 3 yr)"), f"{seq / WAN:,.2f}")

left, right = st.columns([3, 2])
with left:
    towns = load_layer("townships")
    options = [""] + towns["code"].tolist()
    names = dict(zip(towns["code"], towns["name"]))
    patch_town = st.selectbox(tr("放大查看乡镇林地图斑", "Zoom to a township's forest patches"), options, key="carbon_patch_town",
                              format_func=lambda c: names.get(c, tr("（全市）", "(whole city)")))
    _map(result, zone_kind, path, mtime, patch_town or None)
with right:
    st.subheader(tr("碳汇指标与规划目标", "Sink indicator vs plan targets"))
    st.altair_chart(_indicator_chart(gross / WAN, net / WAN), use_container_width=True)

st.subheader(tr("分区统计（精确部分像元加权）", "By zone (exact partial-pixel weighting)"))
table = result.copy()
st.dataframe(table.round(2), hide_index=True, use_container_width=True)
st.download_button(tr("下载 CSV", "Download CSV"), table.to_csv(index=False).encode("utf-8-sig"),
                   file_name=f"carbon_by_{zone_kind}.csv", mime="text/csv", key="carbon_csv")
st.caption(tr(f"土地覆被：{landcover.landcover_meta(path_obj)['source']}",
              f"Land cover: {landcover.landcover_meta(path_obj)['source']}"))
