"""The map page's export, built without the app: the same standalone map for the command line.

:func:`export_map` composes what the map page's export button does (``views/map.py``): the
blank basemap, the chosen layers (small layers as GeoJSON with tooltips and labels; big layers
as the page's H3 hexagons at county zoom, or their features in view from building zoom on; raster
layers as their class PNG), the legend, the title and the demo-data note. Layers are loaded
directly, or by the page's cached loaders (``load``, ``per_roof``), so the page and
``python -m cyc_geo map export`` draw one map. :func:`cyc_geo.mapview.export.standalone_html` and
:func:`cyc_geo.mapview.export.html_to_png` turn it into the files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.catalog.registry import LayerDef, get_layer, load_registry
from cyc_geo.mapview import overlay, payloads, tiles
from cyc_geo.mapview.export import add_title, view_bounds
from cyc_geo.mapview.legend import LegendSection, choropleth_section
from cyc_geo.mapview.payloads import in_lang
from cyc_geo.mapview.webmap import (
    AGG_PANE,
    add_label_css,
    base_map,
    image_overlay,
    layer_group,
    layer_legend,
    layer_payload,
)
from cyc_geo.places.profile import profile
from cyc_geo.places.site import CENTRE

TITLE = (f"{profile().name_zh}碳达峰规划图", f"{profile().name_en} carbon-peak planning map")
DEMO_NOTE = ("演示数据：非官方数据，仅供规划讨论", "Demo data: not official, for discussion only")


def _t(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


def export_layers(layer_ids: list[str] | None = None) -> list[LayerDef]:
    """The layers to export: ``layer_ids`` in map order (``KeyError`` for an unknown id), default the
    layers the map page shows when it opens (``default_on``)."""
    if layer_ids is None:
        return [layer for layer in load_registry() if layer.default_on]
    wanted = [get_layer(i) for i in dict.fromkeys(layer_ids)]
    order = {layer.id: n for n, layer in enumerate(load_registry())}
    return sorted(wanted, key=lambda layer: order.get(layer.id, len(order)))


def _pv_results(gdf: gpd.GeoDataFrame, scenario: Any) -> pd.DataFrame:
    from cyc_geo.pv import model as pv
    from cyc_geo.pv.params import Scenario

    return pv.estimate(payloads.attribute_table(gdf), scenario or Scenario())


def _big_groups(layer: LayerDef, gdf: gpd.GeoDataFrame, lang: str, lat: float, lon: float, zoom: int,
                results: Callable[[], pd.DataFrame | None], filled: bool = True
                ) -> tuple[list[folium.FeatureGroup], list[LegendSection]]:
    """Features in view from building zoom on (no tooltips: thousands of them), else the page's hexagons
    (outlines only unless ``filled``: :func:`cyc_geo.mapview.payloads.hex_fill_rule`)."""
    if zoom >= tiles.DETAIL_MIN_ZOOM:
        feats = payloads.features_in_view(gdf, tiles.FeatureIndex(gdf), view_bounds(lat, lon, zoom))
        return [layer_group(replace(layer, tooltip=(), label=None), feats, lang)], [layer_legend(layer, lang)]
    cells = payloads.hex_cells(gdf, layer.hex_resolution)
    sums, label, unit = payloads.hex_values(gdf, cells, lang, results() if layer.scenario == "pv" else None)
    hexes, breaks = payloads.classed_hexes(payloads.hex_geometry(cells), sums)
    hex_def = payloads.hex_layer_def(layer, label, unit, outline=not filled)
    payload = layer_payload(hex_def, hexes, lang, fill_col="_fill")
    section = choropleth_section(
        f"{layer.title(lang)} · {label}", breaks, payloads.BIG_PALETTE, unit,
        note=in_lang(lang, f"放大到 {tiles.DETAIL_MIN_ZOOM} 级及以上显示单体要素",
                     f"Zoom to level {tiles.DETAIL_MIN_ZOOM}+ for single features"))
    if not filled:
        section.rows = [("outline", colour, text) for _, colour, text in section.rows]
    return [layer_group(layer, lang=lang, pane=AGG_PANE, payload=payload)], [section]


def export_map(layer_ids: list[str] | None = None, lang: str = "zh", center: tuple[float, float] = CENTRE,
               zoom: int = 10, scenario: Any = None,
               load: Callable[[str], gpd.GeoDataFrame] | None = None,
               per_roof: Callable[[Any], pd.DataFrame] | None = None,
               markup: gpd.GeoDataFrame | None = None) -> folium.Map:
    """The standalone map of ``layer_ids`` (default: the layers shown when the map opens) at ``center``
    (lat, lon) and ``zoom``, as the map page exports it (blank basemap, title, legend, demo note), with the
    ``markup`` (WGS84, :func:`cyc_geo.mapview.markup.markup_frame`) on top and in the legend.

    ``load(layer_id)`` gives a layer's frame (default: the layer's loader) and ``per_roof(scenario)``
    the PV scenario's per-roof results (default: :func:`cyc_geo.pv.model.estimate` on the roof layer).
    """
    load = load or load_layer
    lat, lon = center
    fit = payloads.bounds_of(load("county"))
    fmap = base_map("blank", None, center=center, zoom=int(zoom), fit_bounds=fit, lang=lang)
    add_label_css(fmap)
    groups: list[folium.FeatureGroup] = []
    legends: list[LegendSection] = []
    demo = False
    layers = export_layers(layer_ids)
    filled = payloads.hex_fill_rule([layer.id for layer in layers if layer.big and layer.geometry != "raster"])
    for layer in layers:
        gdf = load(layer.id)
        demo = demo or not provenance_of(gdf).is_real
        if layer.geometry == "raster":
            drawn = overlay.raster_overlay(layer, gdf, lang)
            if drawn is not None:
                g = folium.FeatureGroup(name=layer.title(lang))
                image_overlay(drawn.url, drawn.bounds, layer.title(lang), opacity=0.75).add_to(g)
                groups.append(g)
                legends.append(drawn.legend)
        elif layer.big:
            results = partial(per_roof, scenario) if per_roof else partial(_pv_results, gdf, scenario)
            more, more_legends = _big_groups(layer, gdf, lang, lat, lon, int(zoom), results, filled[layer.id])
            groups.extend(more)
            legends.extend(more_legends)
        else:
            groups.append(layer_group(layer, gdf, lang))
            legends.append(layer_legend(layer, lang))
    if markup is not None and len(markup):
        from cyc_geo.mapview import markup as mk

        groups.append(mk.markup_group(markup, lang, clear_drawn=False))
        section = mk.legend_section(markup, lang)
        if section is not None:
            legends.append(section)
    for g in groups:
        g.add_to(fmap)
    add_title(fmap, _t(lang, TITLE), _t(lang, DEMO_NOTE) if demo else "", legends, _t(lang, ("图例", "Legend")))
    return fmap
