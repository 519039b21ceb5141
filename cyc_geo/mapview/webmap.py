"""Building the folium (Leaflet) map: basemaps, vector layers, labels.

No Streamlit here: the app passes the result to ``streamlit_folium.st_folium``,
and exports can render the same map to a standalone HTML file.

Browser libraries are served locally (``static/vendor``, fetched by
``scripts/fetch_web_assets.py``) because public CDNs are unreachable at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import folium
import geopandas as gpd
import pandas as pd
import shapely
import xyzservices
from folium.plugins import Fullscreen, VectorGridProtobuf
from jinja2 import Template

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.geo.gcj02 import gdf_wgs84_to_gcj02
from cyc_geo.mapview.basemaps import BASEMAPS
from cyc_geo.mapview.legend import LEGEND_CSS, LegendSection, legend_html
from cyc_geo.mapview.macro import VerbatimMacro, page_figure
from cyc_geo.mapview.safe import script_safe, script_safe_json
from cyc_geo.places.site import CENTRE

if TYPE_CHECKING:
    from cyc_geo.mapview.years import SwipeChoice

STATIC_URL = "/app/static/vendor"
"""Where Streamlit serves ``static/vendor`` (``server.enableStaticServing = true``)."""

LOCAL_JS = {
    "leaflet": "leaflet/dist/leaflet.js",
    "Control.Fullscreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet_measure_js": "leaflet-measure/dist/leaflet-measure.js",
    "leaflet_draw_js": "leaflet-draw/dist/leaflet.draw.js",
    "vectorGrid": "leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    "sideBySide": "leaflet-side-by-side/leaflet-side-by-side.js",
}
LOCAL_CSS = {
    "leaflet_css": "leaflet/dist/leaflet.css",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet_measure_css": "leaflet-measure/dist/leaflet-measure.css",
    "leaflet_draw_css": "leaflet-draw/dist/leaflet.draw.css",
    "sideBySide_layout": "leaflet-side-by-side/layout.css",
    "sideBySide_range": "leaflet-side-by-side/range.css",
}

MIN_ZOOM = 3
"""Lowest zoom of the map (the whole of China fits at z3; :func:`parse_state` accepts 3–19)."""
MAX_ZOOM = 19
"""Highest zoom of the map: the vector tiles over-zoom to z19 (:data:`cyc_geo.mapview.tiles.TILE_ZOOM`)."""
BASEMAP_NATIVE_MAX = 18
"""Deepest zoom the basemap tile services serve (OSM, 天地图 and AMap stop at z18); scaled up beyond."""

COUNTY_CENTRE = CENTRE
"""Map centre (WGS84 lat, lon): :data:`cyc_geo.places.site.CENTRE`."""


def localize_assets(element: Any, base_url: str = STATIC_URL) -> None:
    """Point an element's JS/CSS at the locally served copies; drop CDN-only extras.

    Leaflet is all a plain map needs: jQuery, Bootstrap and awesome-markers (folium's
    defaults) are not used by cyc-geo and would only fail to load offline.
    """
    js = [(name, f"{base_url}/{LOCAL_JS[name]}") for name, _ in getattr(element, "default_js", []) if name in LOCAL_JS]
    css = [(name, f"{base_url}/{LOCAL_CSS[name]}") for name, _ in getattr(element, "default_css", []) if name in LOCAL_CSS]
    element.default_js = js
    element.default_css = css


def base_map(
    basemap_id: str = "osm",
    token: str | None = None,
    center: tuple[float, float] = COUNTY_CENTRE,
    zoom: int = 10,
    base_url: str = STATIC_URL,
    fit_bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    lang: str = "zh",
) -> folium.Map:
    """A map with the chosen basemap (or none), scale bar, fullscreen, measure and "fit to county".

    Unknown basemaps and token-less 天地图 fall back to the blank basemap, so the
    vector layers always show. ``fit_bounds`` ((south, west), (north, east)) adds the
    "fit to county" button. The result depends only on its arguments, so the app can
    rebuild it on every rerun without st_folium remounting the map.
    """
    bm = BASEMAPS.get(basemap_id, BASEMAPS["blank"])
    if bm.needs_token and not token:
        bm = BASEMAPS["blank"]
    from cyc_geo.mapview.controls import MetricScale

    # The map's own zoom range. Without it Leaflet takes the range from the layers on the map (minZoom /
    # maxZoom of every tile and grid layer): on a basemap without tiles (空白底图) a large layer's vector
    # tiles (minZoom = building zoom) became the map's minimum, so the map jumped to z14 and could not zoom out.
    # (folium 0.20 gives its min_zoom / max_zoom arguments to the default tile layer only: set the options)
    fmap = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=False, prefer_canvas=True)
    fmap.options.update(min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM)
    MetricScale().add_to(fmap)  # metric only (folium's control_scale adds miles and feet)
    localize_assets(fmap, base_url)
    # VectorGrid is loaded with the base map: st_folium loads scripts only when the map
    # is first mounted, and the tiled layers arrive later as dynamic feature groups.
    # so is the compare control's side-by-side plugin (cyc_geo.mapview.years.SwipeControl)
    fmap.default_js = [*fmap.default_js, ("vectorGrid", f"{base_url}/{LOCAL_JS['vectorGrid']}"),
                       ("sideBySide", f"{base_url}/{LOCAL_JS['sideBySide']}")]
    fmap.default_css = [*fmap.default_css, *((k, f"{base_url}/{LOCAL_CSS[k]}") for k in ("sideBySide_layout",
                                                                                         "sideBySide_range"))]
    for i, url in enumerate(bm.tiles):
        folium.TileLayer(
            # a TileProvider, not the URL string: folium looks a string up among every xyzservices
            # provider first (py-spy: ~4 % of the server's CPU per map visit)
            tiles=xyzservices.TileProvider(name=bm.id, url=url.replace("{token}", token or ""),
                                           attribution=bm.attribution),
            attr=bm.attribution,
            name=bm.title_zh if i == 0 else f"{bm.title_zh} 注记",
            overlay=i > 0,
            control=False,
            max_zoom=MAX_ZOOM,
            max_native_zoom=BASEMAP_NATIVE_MAX,
            subdomains="1234" if bm.id == "amap" else "abc",
        ).add_to(fmap)
    fs = Fullscreen(position="topleft")
    localize_assets(fs, base_url)
    fs.add_to(fmap)
    from cyc_geo.mapview.controls import add_map_tools  # measure in km/亩, search, copy link, …

    add_map_tools(fmap, lang)
    if fit_bounds is not None:
        FitBoundsControl(fit_bounds, "适配市域" if lang == "zh" else "Fit to county").add_to(fmap)
    ZoomPanes().add_to(fmap)
    HoldOpeningView().add_to(fmap)
    from cyc_geo.mapview.years import SWIPE_CSS

    page_figure(fmap).header.add_child(folium.Element(f"<style>{LEGEND_CSS}{SWIPE_CSS}</style>"))
    return fmap


def _label_points(layer: LayerDef, gdf: gpd.GeoDataFrame, lang: str) -> list[list]:
    """``[lat, lon, text]`` of each feature's label (representative point computed in EPSG:4547)."""
    if not (layer.label and layer.label in gdf.columns):
        return []
    from cyc_geo.mapview.labels import place, short_label

    label_col = "name_en" if lang == "en" and "name_en" in gdf.columns else layer.label
    pts = gdf.to_crs("EPSG:4547").representative_point().to_crs("EPSG:4326")
    texts = [short_label(str(t), lang) for t in gdf[label_col]]
    # moved where they would overlap at the county view (cyc_geo.mapview.labels)
    shapes = list(gdf.to_crs("EPSG:4326").geometry) if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all() else None
    spots = place([(pt.x, pt.y) for pt in pts], texts, shapes)
    return [[round(lat, 5), round(lon, 5), t] for t, (lon, lat) in zip(texts, spots, strict=True)]


def _tooltip_words(layer: LayerDef, gdf: gpd.GeoDataFrame, data: gpd.GeoDataFrame, fields: list[str],
                   lang: str) -> dict[str, str]:
    """Tooltip values in ``lang``, as the side panel (:func:`cyc_geo.mapview.click.feature_record`) and the
    attribute table show them: in English a field's English twin (``name`` → ``name_en``, ``progress`` →
    ``progress_en``) where it has one; coded values as words (the layer's ``[table]`` ``words_zh`` /
    ``words_en``, :data:`cyc_geo.exports.display.WORD_COLUMNS`). Each such field gets a ``_tip_<field>`` column of
    ``data`` (in place; the field itself keeps its codes for the category colours). Returns {field: column the
    tooltip reads}; unknown codes stay as they are."""
    from cyc_geo.exports.display import WORD_COLUMNS, word

    words = (layer.table.get("words_zh") if lang == "zh" else layer.table.get("words_en")) or {}
    out: dict[str, str] = {}
    for f in fields:
        twin = f"{f}_en"
        if lang == "en" and twin in gdf.columns:
            en = pd.Series(gdf[twin].to_numpy(), index=data.index).astype("string").str.strip()
            mapped = en.where(en.notna() & (en != ""), data[f].astype(str)).fillna("").astype(str)
        elif f in words:
            known = {str(k): str(v) for k, v in words[f].items()}
            mapped = data[f].map(lambda v, w=known: w.get(str(v), v))
        elif f in WORD_COLUMNS:
            mapped = data[f].map(lambda v, w=WORD_COLUMNS[f]: word(w, v, lang))
        else:
            continue
        data[f"_tip_{f}"] = mapped
        out[f] = f"_tip_{f}"
    return out


def layer_payload(
    layer: LayerDef,
    gdf: gpd.GeoDataFrame,
    lang: str = "zh",
    fill_col: str | None = None,
    decimals: int = 5,
) -> str:
    """Everything the browser needs to draw a vector layer, as one JSON text (cacheable).

    GeoJSON with only the tooltip/label/colour columns, coordinates rounded to
    ``decimals`` (5 ≈ 1 m), the layer's style, tooltip labels and label points
    (representative points computed in EPSG:4547). Styling happens in the browser
    (:class:`FastGeoJson`), so a rerun only re-sends this text instead of calling a
    Python style function per feature.
    """
    fields = [f for f in layer.tooltip if f in gdf.columns]
    labels = [lab for f, lab in zip(layer.tooltip, layer.tooltip_labels(lang), strict=True) if f in gdf.columns]
    cat = layer.style.get("category_field")
    extra = [c for c in (fill_col, cat) if c and c in gdf.columns]
    keep = list(dict.fromkeys(fields + extra))
    data = gdf[keep + ["geometry"]].copy()
    for col in keep:
        if data[col].dtype.kind == "f":
            data[col] = data[col].round(3)
        elif data[col].dtype.kind not in "iub":
            data[col] = data[col].astype(str)
    tips = _tooltip_words(layer, gdf, data, fields, lang)
    data = data.set_geometry(shapely.set_precision(data.geometry.values, 10.0**-decimals))
    label_points = _label_points(layer, gdf, lang)
    style = layer.style
    colour = style.get("color", "#3388ff")
    fill = float(style.get("fill_opacity", 0.2))
    payload = {
        "style": {
            "color": colour,
            "weight": style.get("weight", 1),
            "dashArray": style.get("dash_array"),
            "fillColor": style.get("fill_color", colour),
            "fillOpacity": fill,
        },
        "hover": {"weight": 3, "fillOpacity": min(fill + 0.15, 0.8) if fill > 0 else 0.0},
        "fill_col": fill_col,
        "stroke_col": style.get("stroke_col"),
        "cat_field": cat,
        "cat_colors": style.get("category_colors", {}),
        "tooltip": [[tips.get(f, f), lab] for f, lab in zip(fields, labels, strict=True)],
        "labels": label_points,
    }
    rest = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    # splice the GeoJSON text in as is (no parse / re-serialise round trip); script-safe, as it
    # is written into a <script> element (names come from planners' files)
    return script_safe('{"geojson":' + data.to_json(drop_id=True, ensure_ascii=False) + "," + rest[1:])


class FastGeoJson(VerbatimMacro):
    """A GeoJSON layer styled, tooltipped and labelled in the browser from a :func:`layer_payload`."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g){
          function draw(P){
            var S = P.style;
            // names and values come from files: set as text, never parsed as HTML
            function tipOf(f){ var p = f.properties || {}, t = document.createElement('table');
                t.className = 'cyc-tip';
                P.tooltip.forEach(function(x){ var r = t.insertRow(), th = document.createElement('th'),
                    td = document.createElement('td'), v = p[x[0]];
                    th.textContent = x[1]; td.textContent = v == null ? '' : String(v);
                    r.appendChild(th); r.appendChild(td); });
                return t; }
            function labelOf(text){ var d = document.createElement('div');
                d.className = 'cyc-label'; d.textContent = String(text); return d; }
            function styleOf(f){
                var p = f.properties || {}, fill = S.fillColor;
                if (P.fill_col && p[P.fill_col]) { fill = p[P.fill_col]; }
                else if (P.cat_field && P.cat_colors[String(p[P.cat_field])]) { fill = P.cat_colors[String(p[P.cat_field])]; }
                var stroke = (P.stroke_col && p[P.stroke_col]) || S.color;
                return {color: stroke, weight: S.weight, dashArray: S.dashArray, fillColor: fill,
                        fillOpacity: S.fillOpacity};
            }
            var gj;
            var opts = {
                style: styleOf,
                pointToLayer: function(f, ll){ return L.circleMarker(ll, opts.pane ? {radius: 5, pane: opts.pane} : {radius: 5}); },
                onEachFeature: function(f, l){
                    if (P.tooltip.length) {
                        l.bindTooltip(function(){ return tipOf(f); }, {sticky: false, className: 'cyc-tipbox'});
                    }
                    l.on('mouseover', function(){ l.setStyle(P.hover); });
                    l.on('mouseout', function(){ gj.resetStyle(l); });
                }
            };
            {% if this.pane %}opts.pane = {{ this.pane_js }};{% endif %}
            gj = L.geoJson(P.geojson, opts);
            g.addLayer(gj);
            {% if this.tag %}(window.cycDrawn = window.cycDrawn || {})[{{ this.tag_js }}] = gj.getLayers().length;{% endif %}
            P.labels.forEach(function(x){
                g.addLayer(L.marker([x[0], x[1]], {interactive: false, keyboard: false, icon: L.divIcon({
                    html: labelOf(x[2]), iconSize: [120, 18],
                    iconAnchor: [60, 9], className: 'cyc-label-icon'})}));
            });
          }
          {% if this.url %}
            // a static, content-named gzip file (cyc_geo.mapview.static_payloads), shared by every visitor
            fetch({{ this.url_js }}).then(function(r){
                if (!r.ok) { throw new Error('HTTP ' + r.status + ' ' + r.url); }
                return r.arrayBuffer();
            }).then(function(buf){
                var b = new Uint8Array(buf);
                if (b.length > 1 && b[0] === 0x1f && b[1] === 0x8b) {  // gzip bytes (else a proxy already decoded them)
                    return new Response(new Blob([buf]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
                }
                return new TextDecoder().decode(b);
            }).then(function(t){ draw(JSON.parse(t)); })
              .catch(function(e){ if (window.console) { console.error('cyc-geo layer', e); } });
          {% else %}
            draw({{ this.payload }});
          {% endif %}
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: str | None = None, pane: str | None = None, url: str | None = None,
                 tag: str | None = None) -> None:
        """Either ``payload`` (the :func:`layer_payload` text, inlined: standalone exports) or ``url`` (a
        :func:`cyc_geo.mapview.static_payloads.publish` file the browser fetches: the app's map). ``tag``: once
        drawn, the number of features drawn is set in ``window.cycDrawn[tag]`` (the page's "layer drawn" signal)."""
        super().__init__()
        if (payload is None) == (url is None):
            raise ValueError("FastGeoJson needs exactly one of payload and url")
        self._name = "FastGeoJson"
        self.payload = script_safe(payload) if payload is not None else None
        self.url = url
        self.url_js = script_safe_json(url)
        self.pane = pane
        self.pane_js = script_safe_json(pane)
        self.tag = tag
        self.tag_js = script_safe_json(tag)


def layer_group(
    layer: LayerDef,
    gdf: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    pane: str | None = None,
    fill_col: str | None = None,
    decimals: int = 5,
    payload: str | None = None,
    url: str | None = None,
    tag: str | None = None,
) -> folium.FeatureGroup:
    """A feature group drawing ``gdf`` (or a precomputed ``payload``, or the published payload at ``url``)
    with the layer's style, tooltip and labels.

    ``fill_col`` names a column of hex colours (a classed choropleth) that overrides
    the style's fill; ``pane`` puts the layer on a custom pane (e.g. :data:`AGG_PANE`).
    With ``url`` the browser fetches the payload (:mod:`cyc_geo.mapview.static_payloads`),
    so the page carries a few hundred bytes instead of the GeoJSON. ``tag``: see :class:`FastGeoJson`.
    """
    if payload is None and url is None:
        if gdf is None:
            raise ValueError("layer_group needs a GeoDataFrame, a payload or a url")
        payload = layer_payload(layer, gdf, lang, fill_col, decimals)
    group = folium.FeatureGroup(name=layer.title(lang), show=True)
    FastGeoJson(payload, pane, url=url if payload is None else None, tag=tag).add_to(group)
    return group


TIP_MAX_PX = 320
"""Widest hover card (px): about half the map column on a 1400 px window, so a card placed beside its feature fits
(Leaflet puts it left or right of the feature, on the side of the map's centre)."""

LABEL_CSS = (
    "<style>.cyc-label{font:600 12px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;"
    "color:#222;text-align:center;white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;}"
    ".cyc-label-icon{background:none;border:none;}"
    ".cyc-tip{border-collapse:collapse;font:12px 'Noto Sans CJK SC','Noto Sans SC',sans-serif}"
    ".cyc-tip th{text-align:left;padding:1px 8px 1px 0;color:#555;font-weight:600;white-space:nowrap;vertical-align:top}"
    ".cyc-tip td{padding:1px 0;overflow-wrap:anywhere}"
    # Leaflet's tooltips do not wrap: a long value (a project's 最新进展) made a card wider than the map, cut at its edge
    f".cyc-tipbox{{white-space:normal;width:max-content;max-width:{TIP_MAX_PX}px;box-sizing:border-box}}</style>"
)


def add_label_css(fmap: folium.Map) -> None:
    """Style for the township labels (halo so they read over any basemap)."""
    page_figure(fmap).header.add_child(folium.Element(LABEL_CSS))


AGG_PANE = "cycAgg"
"""Pane of aggregated views of big layers; hidden from :data:`cyc_geo.mapview.tiles.DETAIL_MIN_ZOOM` on.
It lies below Leaflet's overlay pane (z-index 400), where the small layers are drawn: the hexagons never
cover the belt, the red line or the township boundaries."""
AGG_PANE_Z = 390
DETAIL_PANE = "cycDetail"
"""Pane of feature-level (tiled) views of big layers, above the aggregated ones."""


class ZoomPanes(VerbatimMacro):
    """Two map panes: aggregated views (shown below building zoom) and detail views.

    Switching by zoom happens in the browser, so panning and zooming never wait
    for the server.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var agg = m.createPane('{{ this.agg }}'); agg.style.zIndex = {{ this.agg_z }};
            var det = m.createPane('{{ this.detail }}'); det.style.zIndex = 420;
            function cycPaneZoom(){ var d = m.getZoom() >= {{ this.min_zoom }};
                agg.style.display = d ? 'none' : '';
                L.DomUtil[d ? 'addClass' : 'removeClass'](m.getContainer(), 'cyc-zoom-detail'); }
            m.on('zoomend', cycPaneZoom); cycPaneZoom();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, min_zoom: int | None = None) -> None:
        super().__init__()
        from cyc_geo.mapview.tiles import DETAIL_MIN_ZOOM

        self._name = "ZoomPanes"
        self.agg = AGG_PANE
        self.agg_z = AGG_PANE_Z
        self.detail = DETAIL_PANE
        self.min_zoom = int(min_zoom if min_zoom is not None else DETAIL_MIN_ZOOM)


class HoldOpeningView(VerbatimMacro):
    """Keep the map exactly at the view it was created with until the user first moves it.

    When the page lays out the map's frame after the map exists, Leaflet keeps the centre by
    panning, and reads it back from pixels: 35.19 becomes 35.19008…. The app's map component
    compares the view it is told with the view the map reports, so that drift cost every visit
    a second server run (:mod:`ui.folium_map`). On a resize before any pointer, wheel or key
    input on the map, the view is set again (``reset``: the map pane is not moved, so the
    centre reads back exactly).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var view = [m.getCenter(), m.getZoom()], held = true;
            function release(){ held = false; }
            ['mousedown', 'touchstart', 'wheel', 'keydown'].forEach(function(ev){
                m.getContainer().addEventListener(ev, release, {capture: true, passive: true}); });
            m.on('resize', function(){ if (held) { m.setView(view[0], view[1], {reset: true}); } });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "HoldOpeningView"


class FitBoundsControl(VerbatimMacro):
    """A button that fits the map to fixed bounds (the county), like Leaflet's zoom buttons."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var C = L.Control.extend({
                options: {position: 'topleft'},
                onAdd: function() {
                    var bar = L.DomUtil.create('div', 'leaflet-bar leaflet-control cyc-fit');
                    var a = L.DomUtil.create('a', '', bar);
                    a.href = '#'; a.title = {{ this.title_js }}; a.setAttribute('aria-label', {{ this.title_js }});
                    a.innerHTML = '&#x2922;'; a.style.fontSize = '18px';
                    L.DomEvent.on(a, 'click', function(e){ L.DomEvent.preventDefault(e); L.DomEvent.stopPropagation(e);
                        m.fitBounds({{ this.bounds_js }}); });
                    L.DomEvent.disableClickPropagation(bar);
                    return bar;
                }
            });
            new C().addTo(m);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: tuple[tuple[float, float], tuple[float, float]], title: str) -> None:
        super().__init__()
        self._name = "FitBoundsControl"
        (s, w), (n, e) = bounds
        self.bounds_js = script_safe_json([[round(s, 5), round(w, 5)], [round(n, 5), round(e, 5)]],
                                          separators=(", ", ": "))
        self.title_js = script_safe_json(title)


class LegendControl(VerbatimMacro):
    """A legend (HTML from :func:`cyc_geo.mapview.legend.legend_html`) shown while its parent layer is on the map.

    Add it to a FeatureGroup: the control appears when the group is added to the
    map and goes away with it, so dynamic groups (st_folium ``feature_group_to_add``)
    carry their own legend.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g){
            var ctl = L.control({position: '{{ this.position }}'});
            ctl.onAdd = function(){ var d = L.DomUtil.create('div', 'cyc-legend-ctl');
                d.innerHTML = {{ this.html_js }}; L.DomEvent.disableClickPropagation(d);
                L.DomEvent.disableScrollPropagation(d); return d; };
            if (g instanceof L.Map) { ctl.addTo(g); return; }  // a fixed legend (exports)
            function on(e){ if (!ctl._map) ctl.addTo(e.target._map || g._map); }
            function off(){ if (ctl._map) ctl.remove(); }
            g.on('add', on); g.on('remove', off);
            if (g._map) ctl.addTo(g._map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "LegendControl"
        self.html_js = script_safe_json(html)  # HTML built by legend_html, every text escaped there
        self.position = position


def legend_group(sections: list[LegendSection], heading: str = "", footer: str = "") -> folium.FeatureGroup:
    """A feature group holding only the combined legend of the visible layers."""
    group = folium.FeatureGroup(name="legend", control=False)
    LegendControl(legend_html(sections, heading, footer)).add_to(group)
    return group


def layer_legend(layer: LayerDef, lang: str = "zh") -> LegendSection:
    """Legend rows of a registered layer from its ``[style]`` and ``[legend]`` tables."""
    style, leg = layer.style, layer.legend
    title = layer.title(lang)
    kind = leg.get("kind", "line" if layer.geometry == "line" else "fill")
    if kind == "categories" and style.get("category_colors"):
        from cyc_geo.mapview.controls import passive_style

        labels, passive = layer.legend_labels(lang), set(style.get("passive_categories") or [])
        rows: list[tuple[str, str, str]] = []
        for k, col in style["category_colors"].items():
            row = ("outline", passive_style(layer)["color"], labels.get(k, k)) if k in passive else ("fill", col, labels.get(k, k))
            if row[2] not in {r[2] for r in rows}:  # two categories sharing a label are one legend entry
                rows.append(row)
        return LegendSection(title, rows)
    colour = style.get("color", "#3388ff")
    if kind == "fill":
        return LegendSection(title, [("fill", style.get("fill_color", colour), title)])
    if kind == "point":
        return LegendSection(title, [("point", style.get("fill_color", colour), title)])
    return LegendSection(title, [("line", colour, title)], dash=style.get("dash_array"))


def for_display(gdf: gpd.GeoDataFrame, basemap_id: str) -> gpd.GeoDataFrame:
    """Geometries as drawn over a basemap: shifted into GCJ-02 over AMap, unchanged otherwise.

    Only ever used for drawing; analysis keeps the WGS84 data.
    """
    bm = BASEMAPS.get(basemap_id)
    if bm is not None and bm.gcj02:
        return gdf_wgs84_to_gcj02(gdf)
    return gdf


def vector_tile_layer(
    url: str,
    layer_name: str,
    fill_js: str,
    base_url: str = STATIC_URL,
    native_zoom: int | None = None,
    min_zoom: int | None = None,
    stroke: str = "#333333",
    fill_opacity: float = 0.75,
    pane: str = DETAIL_PANE,
) -> VectorGridProtobuf:
    """Leaflet.VectorGrid layer of an MVT folder, styled by a JS expression on feature properties.

    ``fill_js`` is a JavaScript expression using ``p`` (the feature's properties)
    that yields a colour, e.g. ``{"gov": "#e41a1c"}[p.cls] || "#999"``. Tiles exist
    at one native zoom (see :data:`cyc_geo.mapview.tiles.TILE_ZOOM`) and are scaled for the
    other zooms; the layer is drawn from ``min_zoom`` on, on the detail pane (or ``pane``, a compare side's).
    """
    from cyc_geo.mapview.tiles import DETAIL_MIN_ZOOM, TILE_ZOOM

    nz = int(native_zoom or TILE_ZOOM)
    mz = int(min_zoom if min_zoom is not None else DETAIL_MIN_ZOOM)
    options = (
        "{"
        f"pane: {script_safe_json(pane)}, rendererFactory: L.canvas.tile, interactive: false,"
        f"minZoom: {mz}, maxZoom: 19, minNativeZoom: {nz}, maxNativeZoom: {nz},"
        f"vectorTileLayerStyles: {{ {script_safe_json(layer_name)}: function(p, z) {{ return {{"
        f"fill: true, fillColor: ({fill_js}), fillOpacity: {fill_opacity}, color: {script_safe_json(stroke)},"
        "weight: z >= 17 ? 0.8 : 0.3, opacity: 0.8 }; } }"
        "}"
    )
    layer = VectorGridProtobuf(url, name=layer_name, options=options)
    localize_assets(layer, base_url)
    return layer


def image_overlay(
    url: str, bounds: tuple[tuple[float, float], tuple[float, float]], name: str, opacity: float = 0.8,
    pane: str | None = None,
) -> folium.raster_layers.ImageOverlay:
    """An image overlay referencing a served PNG by URL (never embedded as base64 in the page); ``pane``: a
    compare side's pane (default Leaflet's overlay pane)."""
    img = folium.raster_layers.ImageOverlay(
        image="https://placeholder.invalid/x.png", bounds=[list(bounds[0]), list(bounds[1])], name=name,
        opacity=opacity, pixelated=True,
    )
    if pane:
        img.options["pane"] = pane
    img.url = url
    return img


@dataclass
class MapState:
    """What the URL query string keeps of the map: view, basemap and layers on.

    ``layers`` is ``None`` when the URL does not say (use each layer's default); ``basemap`` is ``""``
    when it does not say (use :func:`cyc_geo.mapview.basemaps.default_basemap`).
    """

    lat: float = COUNTY_CENTRE[0]
    lon: float = COUNTY_CENTRE[1]
    zoom: int = 10
    basemap: str = ""
    layers: tuple[str, ...] | None = None
    extra: dict[str, str] = field(default_factory=dict)
    year: int | None = None
    """The map's year (:mod:`cyc_geo.mapview.years`); None: the data of today."""
    compare: int | None = None
    """The year compared with ``year`` (swipe divider), None when not comparing."""
    swipe: SwipeChoice | None = None
    """Two layers or two PV scenarios compared at the divider (:class:`cyc_geo.mapview.years.SwipeChoice`, the
    URL's ``swipe``), None when not comparing them."""


BOUNDS_CHECK = (34.0, 113.5, 36.5, 116.0)
"""Plausible view window around the county (S, W, N, E): a URL outside it falls back to the default view."""


def parse_state(query: dict[str, str], known_layers: list[str] | None = None) -> MapState:
    """Map state from query parameters ``lat, lon, z, base, layers`` (comma-separated ids), ``year``, ``cmp``,
    ``swipe``.

    Malformed or out-of-area values are ignored (default view), never an error.
    """
    st_ = MapState()
    try:
        lat, lon = float(query.get("lat", "nan")), float(query.get("lon", "nan"))
        s, w, n, e = BOUNDS_CHECK
        if s <= lat <= n and w <= lon <= e:
            st_.lat, st_.lon = lat, lon
    except (TypeError, ValueError):
        pass
    try:
        z = int(float(query.get("z", "")))
        if 3 <= z <= 19:
            st_.zoom = z
    except (TypeError, ValueError):
        pass
    if query.get("base") in BASEMAPS:
        st_.basemap = str(query["base"])
    if "layers" in query:
        ids = [x for x in str(query["layers"]).split(",") if x]
        if known_layers is not None:
            ids = [x for x in ids if x in known_layers]
        st_.layers = tuple(ids)
    from cyc_geo.mapview.years import parse_swipe, parse_years

    st_.year, st_.compare = parse_years(query)
    st_.swipe = parse_swipe(query, known_layers)
    return st_


def state_query(state: MapState) -> dict[str, str]:
    """Query parameters of a map state (inverse of :func:`parse_state`); 5 decimals ≈ 1 m."""
    q = {
        "lat": f"{state.lat:.5f}",
        "lon": f"{state.lon:.5f}",
        "z": str(int(state.zoom)),
    }
    if state.basemap:
        q["base"] = state.basemap
    if state.layers is not None:
        q["layers"] = ",".join(state.layers)
    from cyc_geo.mapview.years import swipe_query, years_query

    q.update(years_query(state.year, state.compare))
    if state.compare is None:
        q.update(swipe_query(state.swipe))
    q.update(state.extra)
    return q


def share_url(base: str, state: MapState, lang: str = "zh") -> str:
    """A link that reopens the map in this state."""
    return f"{base}?{urlencode({**state_query(state), 'lang': lang})}"
