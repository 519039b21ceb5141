"""What the forest carbon page draws: the sink-per-hectare choropleth (classed with the shared
:mod:`cyc_geo.mapview.legend`), a township's forest patches, and the forest raster as a served PNG.

The layers are plain :class:`~cyc_geo.catalog.registry.LayerDef` values, so the page
draws them with :func:`cyc_geo.mapview.webmap.layer_group` (styled in the browser from
a colour column) like the map page; no Streamlit here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd

from cyc_geo.carbon import landcover
from cyc_geo.carbon.forest import WAN
from cyc_geo.catalog.registry import LayerDef
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.mapview import tiles
from cyc_geo.mapview.legend import LegendSection, choropleth_section, class_breaks, colours_for
from cyc_geo.places.site import CENTRE

FILL_COL = "_fill"
PALETTE = "Greens"
CLASSES = 5
SCHEME = "quantiles"
CITY_VIEW = (CENTRE, 10)
"""Centre (lat, lon, :data:`cyc_geo.places.site.CENTRE`) and zoom of the whole city."""
PATCH_ZOOM = 13
PATCH_SIMPLIFY_M = 5.0
OVERLAY_MAX_PX = 900
OVERLAY_ALPHA = 220

ZONE_LAYER = LayerDef(
    id="carbon_zones",
    title_zh="单位土地面积碳汇",
    title_en="Sink per hectare of land",
    geometry="polygon",
    tooltip=("name", "sink_t_co2_per_ha", "sink_wan_t", "forest_area_ha", "stock_m3"),
    tooltip_labels_zh=("名称", "每公顷土地碳汇 (tCO2/ha/年)", "碳汇 (万t/年)", "林地面积 (ha)", "森林蓄积量，乔木林地 0301 (m³)"),
    tooltip_labels_en=("Name", "Sink per ha of land (t CO2/ha/yr)", "Sink (万t/yr)", "Forest area (ha)",
                       "Forest stock, tree forest 0301 (m³)"),
    style={"color": "#444", "weight": 1, "fill_opacity": 0.55},
)
PATCH_LAYER = LayerDef(
    id="carbon_patches",
    title_zh="林地图斑",
    title_en="Forest patches",
    geometry="polygon",
    tooltip=("patch_id", "class_code", "class_name", "area_ha", "stock_m3", "sink_t_co2_yr"),
    tooltip_labels_zh=("图斑号", "地类编码", "地类", "面积(ha)", "蓄积(m³)", "年碳汇(tCO2)"),
    tooltip_labels_en=("Patch", "Code", "Class", "Area (ha)", "Stock (m³)", "Sink (t CO2/yr)"),
    style={"color": "#0b4f1c", "weight": 0.6, "fill_color": "#1a7a2e", "fill_opacity": 0.7},
)


def zone_choropleth(zones: gpd.GeoDataFrame, key: str, by_zone: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[float]]:
    """Zones with their carbon (``by_zone`` from :func:`cyc_geo.carbon.zones.zone_carbon`), sink in 万t,
    rounded for the tooltip, and a :data:`FILL_COL` colour by quantile class of the sink per hectare
    (missing = 0); returns the frame and the class breaks."""
    data = zones[[key, "name", "geometry"]].merge(by_zone.drop(columns=["name"]), on=key, how="left")
    per_ha = data["sink_t_co2_per_ha"].fillna(0)
    breaks = class_breaks(per_ha, k=CLASSES, scheme=SCHEME)
    data[FILL_COL] = colours_for(per_ha, breaks, PALETTE)
    data["sink_wan_t"] = (data["sink_t_co2"] / WAN).round(3)
    return data.round({"sink_t_co2_per_ha": 2, "forest_area_ha": 1, "stock_m3": 0}), breaks


def sink_legend(breaks: list[float], lang: str) -> LegendSection:
    """Legend of :func:`zone_choropleth`'s classes."""
    title = ("每公顷土地碳汇 tCO2/ha/年（按区域总面积，五分位）" if lang == "zh"
             else "Sink per ha of land (zone area), t CO2/ha/yr (quintiles)")
    return choropleth_section(title, breaks, PALETTE)


def township_patches(patches: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """The forest patches of township ``code``, outlines simplified to :data:`PATCH_SIMPLIFY_M` and
    figures rounded (empty when the layer has no township column)."""
    if "township_code" not in patches.columns:
        return patches.iloc[:0]
    sel = patches[patches["township_code"] == code].copy()
    if len(sel):
        sel["geometry"] = sel.to_crs(AREA_CRS).geometry.simplify(PATCH_SIMPLIFY_M).to_crs(sel.crs)
    return sel.round({"area_ha": 2, "stock_m3": 0, "sink_t_co2_yr": 1})


def map_view(patches: gpd.GeoDataFrame | None = None) -> tuple[tuple[float, float], int]:
    """Centre (lat, lon) and zoom: on ``patches`` when there are any, else the whole city."""
    if patches is None or patches.empty:
        return CITY_VIEW
    w, s, e, n = patches.total_bounds
    return ((s + n) / 2, (w + e) / 2), PATCH_ZOOM


def forest_overlay_png(path: Path | str, root: Path | None = None) -> tuple[Path, list[list[float]]]:
    """The forest classes of land cover ``path`` as a web-mercator PNG in ``root`` (default: the served
    tiles folder) and its ``[[south, west], [north, east]]`` bounds; written once per raster file state."""
    path = Path(path)
    stat = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:12]
    png = Path(root or tiles.tiles_root()) / f"carbon-forest-{digest}-{OVERLAY_MAX_PX}.png"
    bounds_file = png.with_suffix(".json")
    if png.exists() and bounds_file.exists():
        return png, json.loads(bounds_file.read_text())
    rgba, bounds = landcover.overlay_rgba(path, max_px=OVERLAY_MAX_PX, alpha=OVERLAY_ALPHA, only_forest=True)
    tiles.write_rgba_png(rgba, png)
    bounds_file.write_text(json.dumps(bounds))
    return png, bounds


def served_url(png: Path) -> str:
    """The URL under which the app serves a PNG of the tiles folder (``static/tiles``)."""
    return f"{tiles.STATIC_URL}/tiles/{png.name}"
