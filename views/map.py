"""The map page: county outline, townships, the Yellow River belt and every registered layer."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from cyc_geo.webmap import BASEMAPS, add_label_css, available_basemaps, base_map, layer_group, tianditu_token
from ui.common import demo_banner, lang, load_layer, registry, tr


def _secrets() -> dict:
    try:
        return dict(st.secrets)
    except Exception:  # no secrets.toml: that is fine
        return {}


st.title(tr("长垣市碳达峰规划图", "Changyuan carbon-peak planning map"))

token = tianditu_token(_secrets())
basemaps = available_basemaps(token)
basemap_id = st.sidebar.selectbox(
    tr("底图", "Basemap"),
    [b.id for b in basemaps],
    index=[b.id for b in basemaps].index("osm"),
    format_func=lambda i: BASEMAPS[i].title_zh if lang() == "zh" else BASEMAPS[i].title_en,
    key="basemap",
    help=tr("无网络时底图瓦片无法加载，矢量图层仍会显示。", "Without network, tiles fail to load; vector layers still show."),
)
if not token:
    st.sidebar.caption(tr("天地图需配置令牌（TIANDITU_TOKEN）。", "Tianditu needs a token (TIANDITU_TOKEN)."))

st.sidebar.subheader(tr("图层", "Layers"))
small_layers = [layer for layer in registry() if not layer.big and layer.geometry != "raster"]
shown = [
    layer
    for layer in small_layers
    if st.sidebar.checkbox(layer.title(lang()), value=layer.default_on, key=f"layer_{layer.id}")
]

with st.spinner(tr("正在加载图层…", "Loading layers…")):
    gdfs = {layer.id: load_layer(layer.id) for layer in shown}
demo_banner(gdfs)
if "townships" in gdfs and bool(gdfs["townships"]["approximate"].any()):
    st.info(
        tr(
            "乡镇边界为近似边界（由乡镇驻地泰森多边形生成），非官方界线；将官方文件放入 data/boundaries/townships.gpkg 即可替换。",
            "Township boundaries are approximate (Voronoi cells of township seats), not official; "
            "drop an official file as data/boundaries/townships.gpkg to replace them.",
        )
    )

fmap = base_map(basemap_id, token)
add_label_css(fmap)
groups = [layer_group(layer, gdfs[layer.id], lang()) for layer in shown]
out = st_folium(
    fmap,
    feature_group_to_add=groups,
    height=620,
    use_container_width=True,
    returned_objects=["last_object_clicked_tooltip"],
    key="main_map",
)

st.sidebar.subheader(tr("指标", "Indicators"))
if "townships" in gdfs:
    t = gdfs["townships"]
    st.sidebar.metric(tr("乡镇（街道）数", "Townships"), len(t))
    st.sidebar.metric(tr("市域面积 (km²)", "City area (km²)"), f"{t['area_km2'].sum():,.1f}")
if "belt" in gdfs:
    st.sidebar.metric(tr("沿黄生态带面积 (km²)", "Yellow River belt area (km²)"), f"{gdfs['belt']['area_km2'].sum():,.1f}")

if out and out.get("last_object_clicked_tooltip"):
    st.subheader(tr("所选要素", "Selected feature"))
    st.text(out["last_object_clicked_tooltip"])
