"""Cached data behind the map page: thin Streamlit caches over :mod:`cyc_geo.mapview`.

Every cache is keyed by the layer's source version (:func:`ui.common.source_version`, which adds the townships'),
so an import or a rollback is seen on the next rerun. Big layers and per-roof results are the
shared ``st.cache_resource`` copies of :mod:`ui.common` (one per process, read-only).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from cyc_geo.catalog import result_store
from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview import click, overlay, payloads, static_payloads, tiles
from cyc_geo.mapview.basemaps import BASEMAPS, default_basemap
from cyc_geo.mapview.legend import LegendSection
from cyc_geo.mapview.webmap import for_display, layer_payload
from cyc_geo.pv import emissions
from cyc_geo.pv.goal import map_scenario
from cyc_geo.pv.params import Scenario, resolve_params
from ui.common import big_layer, lang, layer_def, layer_frame, load_layer, per_roof, roof_layer, source_version

if TYPE_CHECKING:
    from cyc_geo.mapview.print_layout import Drawn

BIG_PALETTE = payloads.BIG_PALETTE


def hex_palette(layer: LayerDef) -> str:
    """The palette of a big layer's hexagons: its ``[style] hex_palette``, else :data:`BIG_PALETTE`."""
    return str(layer.style.get("hex_palette") or BIG_PALETTE)


def scenario_of(options: dict[str, Any]) -> Scenario:
    """The PV scenario of the map's sidebar knob (``{"adoption_scale": …}``; empty = NEA defaults)."""
    return map_scenario(float(options.get("adoption_scale", 1.0)))


def _results_for(layer: LayerDef, scenario: Scenario | None) -> pd.DataFrame | None:
    return per_roof(scenario or Scenario()) if layer.scenario == "pv" else None


@st.cache_resource(show_spinner=False, max_entries=8)
def _hex_cells(layer_id: str, version: str) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    cells = payloads.hex_cells(big_layer(layer_id), layer_def(layer_id).hex_resolution)
    return cells, payloads.hex_geometry(cells)


@st.cache_data(show_spinner=False, max_entries=32)
def _hex_payload(layer_id: str, version: str, scenario_json: str, basemap_id: str, lg: str,
                 outline: bool = False) -> tuple[str, list, str, str]:
    layer = layer_def(layer_id)
    cells, geometry = _hex_cells(layer_id, version)
    scenario = Scenario.from_dict(json.loads(scenario_json)) if scenario_json else None
    sums, label, unit = payloads.hex_values(big_layer(layer_id), cells, lg, _results_for(layer, scenario))
    hexes, breaks = payloads.classed_hexes(geometry, sums, palette_name=hex_palette(layer))
    hex_def = payloads.hex_layer_def(layer, label, unit, outline)
    return layer_payload(hex_def, for_display(hexes, basemap_id), lg, fill_col="_fill"), breaks, label, unit


def hex_payload(layer: LayerDef, scenario: Scenario | None, basemap_id: str,
                outline: bool = False) -> tuple[str, list, str, str]:
    """Browser payload of a big layer's hexagons (under the scenario for a PV layer), breaks, value label, unit;
    ``outline``: hexagon edges only (:func:`cyc_geo.mapview.payloads.hex_fill_rule`)."""
    return _hex_payload(layer.id, source_version(layer.id), payloads.scenario_key(layer, scenario), basemap_id, lang(),
                        outline)


@st.cache_resource(show_spinner=False, max_entries=64)
def _hex_payload_url(layer_id: str, version: str, scenario_json: str, basemap_id: str, lg: str,
                     outline: bool = False) -> tuple[str, list, str, str]:
    def publish() -> tuple[str, list, str, str]:
        text, breaks, label, unit = _hex_payload(layer_id, version, scenario_json, basemap_id, lg, outline)
        name = f"{layer_id}_hex{'_outline' if outline else ''}-{basemap_id}-{lg}"
        return static_payloads.publish(text, name), breaks, label, unit

    # kept across restarts: a new process finds the published file without building the hexagons
    key = ("hex_payload_url", layer_id, version, scenario_json, basemap_id, lg, *(("outline",) if outline else ()))
    return result_store.remember(key, publish,
                                 encode=list, decode=lambda v: (str(v[0]), list(v[1]), str(v[2]), str(v[3])),
                                 valid=lambda v: static_payloads.is_published(v[0]))


def hex_payload_url(layer: LayerDef, scenario: Scenario | None, basemap_id: str,
                    outline: bool = False) -> tuple[str, list, str, str]:
    """:func:`hex_payload` published as a static file (:mod:`cyc_geo.mapview.static_payloads`): its URL, breaks,
    value label, unit. One file per data version, scenario, basemap and language, shared by every session."""
    args = (layer.id, source_version(layer.id), payloads.scenario_key(layer, scenario), basemap_id, lang(), outline)
    got = _hex_payload_url(*args)
    if not static_payloads.is_published(got[0]):  # static/payloads was cleaned: write it again
        _hex_payload_url.clear()
        got = _hex_payload_url(*args)
    return got


@st.cache_resource(show_spinner=False, max_entries=8)
def _hex_pair_urls(layer_id: str, version: str, scenarios: tuple[str, str], basemap_id: str, lg: str,
                   outline: bool) -> list[tuple[str, list, str, str]]:
    layer = layer_def(layer_id)
    cells, geometry = _hex_cells(layer_id, version)
    got = [payloads.hex_values(big_layer(layer_id), cells, lg,
                               _results_for(layer, Scenario.from_dict(json.loads(sj)) if sj else None))
           for sj in scenarios]
    breaks = payloads.shared_breaks(geometry, [sums for sums, _, _ in got])
    out = []
    for side, (sums, label, unit) in zip("ab", got, strict=True):
        hexes, _ = payloads.classed_hexes(geometry, sums, palette_name=hex_palette(layer), breaks=breaks)
        text = layer_payload(payloads.hex_layer_def(layer, label, unit, outline), for_display(hexes, basemap_id), lg,
                             fill_col="_fill")
        name = f"{layer_id}_hex_{side}{'_outline' if outline else ''}-{basemap_id}-{lg}"
        out.append((static_payloads.publish(text, name), breaks, label, unit))
    return out


def hex_pair_urls(layer: LayerDef, scenarios: tuple[Scenario, Scenario], basemap_id: str,
                  outline: bool = False) -> list[tuple[str, list, str, str]]:
    """The hexagons of a PV layer under two scenarios (the two sides of a compare), classed together
    (:func:`cyc_geo.mapview.payloads.shared_breaks`): per side its published URL, the shared breaks, value label
    and unit."""
    keys = (payloads.scenario_key(layer, scenarios[0]), payloads.scenario_key(layer, scenarios[1]))
    args = (layer.id, source_version(layer.id), keys, basemap_id, lang(), outline)
    got = _hex_pair_urls(*args)
    if not all(static_payloads.is_published(g[0]) for g in got):  # static/payloads was cleaned: write them again
        _hex_pair_urls.clear()
        got = _hex_pair_urls(*args)
    return got


@st.cache_resource(show_spinner=False, max_entries=64)
def _small_payload_url(layer_id: str, version: str, basemap_id: str, lg: str) -> str:
    return result_store.remember(
        ("small_payload_url", layer_id, version, basemap_id, lg),
        lambda: static_payloads.publish(_small_payload(layer_id, version, basemap_id, lg), f"{layer_id}-{basemap_id}-{lg}"),
        decode=str, valid=static_payloads.is_published)


def small_payload_url(layer_id: str, basemap_id: str) -> str:
    """URL of a small layer's payload as a static file (per version, basemap and language; shared by sessions)."""
    args = (layer_id, source_version(layer_id), basemap_id, lang())
    url = _small_payload_url(*args)
    if not static_payloads.is_published(url):
        _small_payload_url.clear()
        url = _small_payload_url(*args)
    return url


@st.cache_data(ttl=600, show_spinner=False)
def default_basemap_id(token: str | None) -> str:
    """The basemap a map opens with when its URL names none (:func:`cyc_geo.mapview.basemaps.default_basemap`:
    the tile probe runs at most once per 10 minutes and process)."""
    return default_basemap(token)


def warm_map(basemap_id: str | None = None, langs: tuple[str, ...] = ("zh",), scenario: Scenario | None = None,
             small: bool = True, big: bool = True) -> None:
    """Build and publish the session-independent map payloads (``small`` layers and their facts, ``big``
    layers' hexagons under the map's default scenario, county bounds) and start missing tile builds, outside
    any session (the start-up thread of ``ui.serve``)."""
    from cyc_geo.mapview.basemaps import tianditu_token
    from ui.common import app_secrets, facts, registry

    basemap_id = basemap_id or default_basemap_id(tianditu_token(app_secrets()))
    scenario = scenario or scenario_of({})
    for layer in registry():
        if layer.geometry == "raster" or not (big if layer.big else small):
            continue
        facts(layer.id)
        for lg in langs:
            if layer.big:
                _hex_payload_url(layer.id, source_version(layer.id), payloads.scenario_key(layer, scenario),
                                 basemap_id, lg)
                shifted = BASEMAPS[basemap_id].gcj02
                sig = _tile_signature(layer.id, source_version(layer.id), shifted)
                tiles.ensure_tiles_async(layer.id, sig, gcj02=shifted)  # a missing tile set starts building now
                _feature_index(layer.id, source_version(layer.id))
            else:
                _small_payload_url(layer.id, source_version(layer.id), basemap_id, lg)
    if small:
        _county_bounds(source_version("county"), basemap_id)
        _county_bounds(source_version("county"), "blank")


@st.cache_data(show_spinner=False, max_entries=64)
def _small_payload(layer_id: str, version: str, basemap_id: str, lg: str) -> str:
    layer, gdf = layer_def(layer_id), load_layer(layer_id)
    return layer_payload(layer, for_display(gdf[~click.passive_mask(layer, gdf)], basemap_id), lg)


@st.cache_data(show_spinner=False, max_entries=32)
def _passive_payload(layer_id: str, version: str, basemap_id: str) -> str:
    from cyc_geo.mapview.controls import passive_geojson

    return passive_geojson(layer_def(layer_id), for_display(load_layer(layer_id), basemap_id))


def passive_payload(layer_id: str, basemap_id: str) -> str:
    """GeoJSON of a small layer's context-only features (``passive_categories``), ``""`` when none."""
    return _passive_payload(layer_id, source_version(layer_id), basemap_id)


def small_payload(layer_id: str, basemap_id: str) -> str:
    """Browser payload (GeoJSON + style + labels) of a small layer, per version, basemap and language."""
    return _small_payload(layer_id, source_version(layer_id), basemap_id, lang())


@st.cache_resource(show_spinner=False, max_entries=8)
def _tile_signature(layer_id: str, version: str, shifted: bool) -> str:
    return result_store.remember(("tile_signature", layer_id, version, shifted),
                                 lambda: payloads.tile_signature(big_layer(layer_id), shifted), decode=str)


def tile_job(layer_id: str, basemap_id: str) -> tiles.TileJob:
    """Vector tiles of a big layer (a GCJ-02-shifted copy over AMap), built by a child process if missing."""
    shifted = BASEMAPS[basemap_id].gcj02
    sig = _tile_signature(layer_id, source_version(layer_id), shifted)
    return tiles.ensure_tiles_async(layer_id, sig, gcj02=shifted)


def tile_style(layer: LayerDef, job: tiles.TileJob) -> tuple[str, str, LegendSection]:
    """URL, JS fill expression and legend of a big layer's tile view."""
    return payloads.tile_style(layer, job.sig, lang())


@st.cache_data(show_spinner=False, max_entries=8)
def _raster_overlay(layer_id: str, version: str, lg: str) -> overlay.Overlay | None:
    return overlay.raster_overlay(layer_def(layer_id), load_layer(layer_id), lg)


def raster_overlay(layer_id: str) -> overlay.Overlay | None:
    """A raster layer as a served PNG with its legend; None when its TOML gives no way to draw it."""
    return _raster_overlay(layer_id, source_version(layer_id), lang())


@st.cache_data(show_spinner=False, max_entries=8)
def _county_bounds(version: str, basemap_id: str) -> tuple[tuple[float, float], tuple[float, float]]:
    return result_store.remember(("county_bounds", version, basemap_id),
                                 lambda: payloads.bounds_of(for_display(load_layer("county"), basemap_id)),
                                 encode=lambda b: [list(b[0]), list(b[1])],
                                 decode=lambda v: ((float(v[0][0]), float(v[0][1])), (float(v[1][0]), float(v[1][1]))))


def county_bounds(basemap_id: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """(south, west), (north, east) of the county as drawn on ``basemap_id``."""
    return _county_bounds(source_version("county"), basemap_id)


@st.cache_resource(show_spinner=False, max_entries=16)
def _feature_index(layer_id: str, version: str) -> tiles.FeatureIndex:
    return tiles.FeatureIndex(click.pickable_frame(layer_def(layer_id), layer_frame(layer_id)))


def feature_index(layer_id: str) -> tiles.FeatureIndex:
    return _feature_index(layer_id, source_version(layer_id))


@st.cache_data(show_spinner=False, max_entries=64)
def _township_figures(layer_id: str, code: str, version: str, scenario_json: str, lg: str) -> dict[str, Any]:
    def results() -> pd.DataFrame | None:
        return per_roof(Scenario.from_dict(json.loads(scenario_json))) if roof_layer() else None

    return click.township_figures(code, results, lambda: load_layer(layer_id), lg)


def _township(layer_id: str, code: str, scenario: Scenario) -> dict[str, Any]:
    """PV and forest figures of a township (cached per township and roof version, scenario, language)."""
    roofs = roof_layer()
    version = f"{source_version(layer_id)}|{source_version(roofs.id) if roofs else ''}"
    return _township_figures(layer_id, code, version, scenario.to_json(), lang())


def lookup(clicked: dict, zoom: int, shown: list[LayerDef], basemap_id: str,
           scenario: Scenario, looks: tuple[Any, Any] | None = None) -> list[tuple[LayerDef, dict]]:
    """Features under a clicked point in the visible layers, topmost layer first; ``looks``: the (index, frame)
    look-ups of the layers as drawn (:func:`ui.map_years.by_year`), default the layers in use."""
    index, frame = looks or (feature_index, layer_frame)
    return click.lookup(
        clicked, zoom, shown, basemap_id, lang(), index=index, frame=frame,
        per_roof=lambda: per_roof(scenario),
        township=lambda layer_id, code: _township(layer_id, code, scenario),
        co2_factor=emissions.factor_label(resolve_params(scenario).emission_preset, lang()),
    )


def features_in_view(layer_id: str, bounds: tuple[float, float, float, float], limit: int = 30_000) -> gpd.GeoDataFrame:
    """Features of a big layer inside (west, south, east, north), at most ``limit`` (for exports)."""
    return payloads.features_in_view(big_layer(layer_id), feature_index(layer_id), bounds, limit)


def hit_frame(clicked: dict, zoom: int, shown: list[LayerDef], basemap_id: str,
              looks: tuple[Any, Any] | None = None) -> gpd.GeoDataFrame | None:
    """The topmost feature under a clicked point, as drawn on ``basemap_id`` (for the highlight), or None;
    ``looks`` as :func:`lookup`."""
    index, frame = looks or (feature_index, layer_frame)
    hits = click.hit_positions(clicked, zoom, shown, basemap_id, index=index)
    if not hits:
        return None
    layer, pos = hits[0]
    return for_display(frame(layer.id).iloc[[pos]][["geometry"]], basemap_id)


@st.cache_data(show_spinner=False, max_entries=16)
def _search_entries(versions: tuple[tuple[str, str], ...], basemap_id: str, lg: str) -> list[list]:
    from cyc_geo.mapview.controls import place_entries

    frames = []
    for layer_id, _ in versions:
        layer = layer_def(layer_id)
        frames.append((layer.title_zh, layer.title_en, for_display(load_layer(layer_id), basemap_id)))
    return place_entries(frames, lg)


def search_entries(basemap_id: str, lg: str) -> list[list]:
    """Search entries (:func:`cyc_geo.mapview.controls.place_entries`) of the ``searchable`` layers
    (townships, villages, projects …), per data version, basemap and language."""
    from ui.common import facts, registry

    ids = [layer.id for layer in registry() if layer.searchable and not layer.big and layer.geometry != "raster"]
    named = tuple((i, source_version(i)) for i in ids if "name" in facts(i).columns)
    return _search_entries(named, basemap_id, lg)


@st.cache_resource(show_spinner=False, max_entries=2)
def _atlas_inputs(versions: tuple[str, ...], edits: str, day: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, bool]:
    from cyc_geo.mapview.print_layout import township_inputs

    return township_inputs()


def atlas_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, bool]:
    """The township atlas's figures' inputs (:func:`cyc_geo.mapview.print_layout.township_inputs`: ~10^5 roofs'
    PV estimate, the ledger, the forest patches), shared read-only; keyed by the layers' source versions, the
    ledger's edits and the day (the installed capacity is as of today)."""
    from cyc_geo.pv import installations, progress
    from ui.common import database

    versions = tuple(source_version(i) for i in ("rooftops", installations.LAYER_ID, "forest", "landcover", "townships"))
    return _atlas_inputs(versions, installations.edits_stamp(database()), str(progress.as_of_date(None).date()))


@st.cache_resource(show_spinner=False, max_entries=2)
def _atlas_drawn(ids: tuple[str, ...], versions: tuple[str, ...]) -> list[Drawn]:
    from cyc_geo.mapview.print_layout import kept_for_reuse, prepare_layers

    return kept_for_reuse(prepare_layers(list(ids), {i: layer_frame(i) for i in ids}), keep=("townships",))


def atlas_drawn(layer_ids: list[str] | None) -> list[Drawn]:
    """The township atlas's layers (``layer_ids`` or the map's defaults, and the townships) prepared for printing
    (:func:`cyc_geo.mapview.print_layout.prepare_layers`: projected to EPSG:4547, split by style, indexed), shared
    read-only and kept per set of layers and their (and the county's) source versions: the projection and the
    spatial indexes of ~10^5 roofs are made once, not on every atlas; the roofs' features are not kept
    (:func:`cyc_geo.mapview.print_layout.kept_for_reuse`)."""
    from cyc_geo.mapview.print_layout import atlas_layer_ids

    ids = tuple(atlas_layer_ids("townships", layer_ids))
    return _atlas_drawn(ids, tuple(source_version(i) for i in (*ids, "county")))
