"""Map controls that make the web map explain itself (no Streamlit here).

- :class:`MeasureTool` — distance in km and area in 亩 / km² (geodesic on the sphere), started
  from a button; while it measures, map clicks add vertices and never reach the app (so the
  first click cannot rerun the page and cancel the measurement);
- :class:`LabelDeclutter` — hides labels that would overlap a label already shown;
- :class:`SearchControl` — find a township, village or project by name and zoom to it;
- :class:`CopyLinkControl` — copy a link reopening the current view;
- :class:`TileErrorNotice` — a visible notice when basemap tiles fail to load (offline);
- :class:`FillHeight` — the map fills its frame's height (the page sizes the frame);
- :func:`highlight_group` — the clicked feature outlined on top of everything.

Every text coming from data (place names) is put into the page with ``textContent``, never as
HTML. :func:`add_map_tools` adds the data-free controls to a base map.
"""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd
import shapely
from jinja2 import Template

from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU, WGS84
from cyc_geo.mapview.macro import VerbatimMacro, page_figure

HIGHLIGHT_COLOUR = "#00e5ff"
"""Outline of the clicked feature: cyan, which none of the layer palettes uses (project choice)."""

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "measure": "测量距离和面积", "finish": "完成", "clear": "清除", "distance": "距离", "area": "面积",
        "mu": "亩", "hint": "在地图上单击添加测量点", "search": "搜索乡镇（街道）、项目名称…", "none": "无匹配地点",
        "copy": "复制当前视图链接", "copied": "链接已复制", "copy_fail": "请手动复制链接：",
        "tiles": "底图瓦片加载失败（可能离线）：矢量图层仍可使用，可改用“空白底图”。",
    },
    "en": {
        "measure": "Measure distance and area", "finish": "Finish", "clear": "Clear", "distance": "Distance",
        "area": "Area", "mu": "mu", "hint": "Click the map to add measuring points",
        "search": "Search townships, projects…", "none": "No matching place",
        "copy": "Copy a link to this view", "copied": "Link copied", "copy_fail": "Copy this link:",
        "tiles": "Basemap tiles failed to load (offline?): vector layers still work; try the blank basemap.",
    },
}
"""Control texts per UI language."""

CONTROLS_CSS = (
    ".cyc-measure a,.cyc-copy a{font-size:16px;cursor:pointer}"
    ".cyc-measure.cyc-on a.cyc-measure-toggle{background:#ffe08a}"
    ".cyc-measure-box{background:#fff;padding:5px 8px;font:12px 'Noto Sans CJK SC',sans-serif;min-width:170px;"
    "border-top:1px solid #ccc}.cyc-measure-box button{margin:3px 4px 0 0;font-size:12px}"
    ".cyc-search{background:#fff;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);"
    "font:13px 'Noto Sans CJK SC',sans-serif}.cyc-search input{border:0;padding:6px 8px;width:210px;outline:none;"
    "border-radius:4px}.cyc-search ul{list-style:none;margin:0;padding:0;max-height:240px;overflow:auto}"
    ".cyc-search li{padding:4px 8px;cursor:pointer;border-top:1px solid #eee}.cyc-search li:hover,"
    ".cyc-search li.cyc-sel{background:#e8f4ff}.cyc-search li small{color:#666;margin-left:6px}"
    ".cyc-tile-notice{background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:4px 8px;border-radius:4px;"
    "font:12px 'Noto Sans CJK SC',sans-serif;max-width:380px}"
    ".cyc-copy-msg{background:#fff;padding:3px 6px;font:12px sans-serif;max-width:320px;word-break:break-all}"
)


def texts(lang: str) -> dict[str, str]:
    """The control texts in ``lang`` (Chinese unless ``"en"``)."""
    return TEXTS["en" if lang == "en" else "zh"]


def _js(value: Any) -> str:
    """A value as a JavaScript literal that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def geodesic_length_m(lonlats: list[tuple[float, float]]) -> float:
    """Length (m) of a polyline given as (lon, lat) on the WGS84 ellipsoid (pyproj ``Geod``).

    The browser's measure tool uses Leaflet's great-circle distance (sphere R = 6,371 km),
    within 0.5 % of this; tests compare the two.
    """
    from pyproj import Geod

    if len(lonlats) < 2:
        return 0.0
    lons, lats = zip(*lonlats, strict=True)
    return float(Geod(ellps="WGS84").line_length(lons, lats))


def area_mu(geom: shapely.Geometry, crs: str = WGS84) -> float:
    """Area of a geometry in 亩 (computed in EPSG:4547; 1 亩 = 10000/15 m²)."""
    gs = gpd.GeoSeries([geom], crs=crs).to_crs(AREA_CRS)
    return float(gs.area.iloc[0]) / M2_PER_MU


ICONS = {
    "MeasureTool": '<svg width="18" height="18" viewBox="0 0 24 24" style="margin-top:6px" aria-hidden="true">'
                   '<path d="M3 17 17 3l4 4L7 21z" fill="none" stroke="#333" stroke-width="1.8"/>'
                   '<path d="M7 13l2 2M10 10l2 2M13 7l2 2" stroke="#333" stroke-width="1.6"/></svg>',
    "CopyLinkControl": '<svg width="18" height="18" viewBox="0 0 24 24" style="margin-top:6px" aria-hidden="true">'
                       '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3'
                       'a4 4 0 0 0 5.7 5.7l1-1" fill="none" stroke="#333" stroke-width="2" stroke-linecap="round"/></svg>',
}
"""Fixed SVG icons of the buttons (no emoji: the planners' browsers may lack an emoji font)."""


class _Tool(VerbatimMacro):
    """A macro with the control texts of one language, added to a map."""

    def __init__(self, lang: str = "zh", **values: Any) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.texts_js = _js(texts(lang))
        self.icon_js = _js(ICONS.get(type(self).__name__, ""))
        for key, value in values.items():
            setattr(self, key, value)


class MeasureTool(_Tool):
    """Measure a distance (km) and, from three points on, an area (亩 and km²).

    Distances are Leaflet's great-circle distances (``map.distance``, sphere of 6,371 km);
    areas are the spherical polygon area on a 6,378,137 m sphere (the formula of
    Leaflet.draw's ``geodesicArea``), converted with 1 亩 = 10000/15 m². While the tool is on,
    a click on the map is caught before Leaflet sees it (capture phase on the map container),
    so the app never receives it; a drag still pans the map.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m, T){
            var on = false, pts = [], down = null, bar, box, out, toggle;
            var group = L.layerGroup().addTo(m), line = null, poly = null;
            var MU = 10000 / 15, R = 6378137, D2R = Math.PI / 180;
            function area(ll){ if (ll.length < 3) return 0; var a = 0;
                for (var i = 0; i < ll.length; i++){ var p1 = ll[i], p2 = ll[(i + 1) % ll.length];
                    a += (p2.lng - p1.lng) * D2R * (2 + Math.sin(p1.lat * D2R) + Math.sin(p2.lat * D2R)); }
                return Math.abs(a * R * R / 2); }
            function length(ll){ var d = 0; for (var i = 1; i < ll.length; i++) d += m.distance(ll[i - 1], ll[i]); return d; }
            function fmt(x, n){ return x.toLocaleString('en-US', {minimumFractionDigits: n, maximumFractionDigits: n}); }
            function show(){
                var km = length(pts) / 1000, a = area(pts);
                var txt = pts.length ? T.distance + ' ' + fmt(km, 2) + ' km' : T.hint;
                if (pts.length >= 3) txt += ' · ' + T.area + ' ' + fmt(a / MU, 1) + ' ' + T.mu + ' (' + fmt(a / 1e6, 3) + ' km²)';
                out.textContent = txt;
                out.setAttribute('data-km', km.toFixed(4)); out.setAttribute('data-mu', (a / MU).toFixed(2));
                out.setAttribute('data-points', String(pts.length));
            }
            function redraw(){
                if (line) group.removeLayer(line); if (poly) group.removeLayer(poly);
                line = L.polyline(pts, {color: '#d6336c', weight: 3, interactive: false}).addTo(group);
                poly = pts.length >= 3
                    ? L.polygon(pts, {color: '#d6336c', weight: 0, fillOpacity: 0.15, interactive: false}).addTo(group) : null;
                show();
            }
            function clear(){ pts = []; group.clearLayers(); line = poly = null; show(); }
            function start(){ on = true; clear(); box.style.display = ''; L.DomUtil.addClass(bar, 'cyc-on');
                if (m.doubleClickZoom) m.doubleClickZoom.disable(); m.getContainer().style.cursor = 'crosshair'; }
            function stop(){ on = false; L.DomUtil.removeClass(bar, 'cyc-on'); m.getContainer().style.cursor = '';
                if (m.doubleClickZoom) m.doubleClickZoom.enable(); if (!pts.length) box.style.display = 'none'; }
            var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function(){
                bar = L.DomUtil.create('div', 'leaflet-bar leaflet-control leaflet-control-measure cyc-measure');
                toggle = L.DomUtil.create('a', 'cyc-measure-toggle', bar);
                toggle.href = '#'; toggle.title = T.measure; toggle.setAttribute('aria-label', T.measure);
                toggle.setAttribute('role', 'button'); toggle.innerHTML = {{ this.icon_js }};
                box = L.DomUtil.create('div', 'cyc-measure-box', bar); box.style.display = 'none';
                out = L.DomUtil.create('div', 'cyc-measure-out', box);
                var fin = L.DomUtil.create('button', 'cyc-measure-finish', box); fin.type = 'button'; fin.textContent = T.finish;
                var clr = L.DomUtil.create('button', 'cyc-measure-clear', box); clr.type = 'button'; clr.textContent = T.clear;
                L.DomEvent.disableClickPropagation(bar); L.DomEvent.disableScrollPropagation(bar);
                L.DomEvent.on(toggle, 'click', function(e){ L.DomEvent.preventDefault(e); if (on) stop(); else start(); });
                L.DomEvent.on(fin, 'click', function(){ stop(); });
                L.DomEvent.on(clr, 'click', function(){ clear(); if (!on) box.style.display = 'none'; });
                show(); return bar; }});
            new C().addTo(m);
            var c = m.getContainer();
            c.addEventListener('mousedown', function(e){ down = [e.clientX, e.clientY]; }, true);
            c.addEventListener('click', function(e){
                if (!on || (e.target.closest && e.target.closest('.leaflet-control'))) return;
                if (down && Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 5) return;  // a pan
                e.stopPropagation(); e.preventDefault();
                pts.push(m.mouseEventToLatLng(e)); redraw();
            }, true);
            c.addEventListener('dblclick', function(e){ if (on) { e.stopPropagation(); e.preventDefault(); } }, true);
            m.cycMeasure = {points: function(){ return pts.slice(); }, active: function(){ return on; }};
        })({{ this._parent.get_name() }}, {{ this.texts_js }});
        {% endmacro %}
        """
    )


class MetricScale(VerbatimMacro):
    """Leaflet's scale bar in metres and kilometres only (Chinese maps use metric units; Leaflet's default,
    which folium's ``control_scale`` uses, adds miles and feet)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class LabelDeclutter(_Tool):
    """Hide every ``.cyc-label`` whose text box overlaps one already kept (first come, first kept).

    Runs after each zoom, pan and layer change, so labels reappear when there is room, and again once each style
    sheet still loading has loaded and once the fonts are ready: streamlit-folium adds the map's style sheets
    (Leaflet's own, which places the marker icons) without waiting for them, so on a busy server the labels could be
    measured unstyled, stacked in the page flow, and five township names stayed hidden. When a run has measured
    the labels with every style sheet applied and no run is pending, the map's container carries
    ``data-labels-placed`` (what a reader sees is final; the browser tests wait for it).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var timer = null, PAD = 3;
            function box(el){ var r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect(); }
            var c = m.getContainer(), pending = Array.prototype.filter.call(
                document.querySelectorAll('link[rel="stylesheet"]'), function(l){ return !l.sheet; });
            function run(){
                timer = null;
                var els = Array.prototype.slice.call(c.querySelectorAll('.cyc-label')), kept = [];
                els.forEach(function(el){ el.style.visibility = ''; });
                els.forEach(function(el){
                    var b = box(el); if (!b.width) return;
                    var hit = kept.some(function(k){ return !(b.right + PAD < k.left || b.left - PAD > k.right ||
                                                            b.bottom + PAD < k.top || b.top - PAD > k.bottom); });
                    if (hit) { el.style.visibility = 'hidden'; el.setAttribute('data-hidden', '1'); }
                    else { el.removeAttribute('data-hidden'); kept.push(b); }
                });
                if (!pending.length) { c.setAttribute('data-labels-placed', ''); }
            }
            function later(){ c.removeAttribute('data-labels-placed'); if (timer) clearTimeout(timer); timer = setTimeout(run, 60); }
            m.on('zoomend moveend layeradd layerremove resize', later); later();
            pending.forEach(function(l){
                function done(){ pending = pending.filter(function(p){ return p !== l; }); later(); }
                l.addEventListener('load', done); l.addEventListener('error', done);
            });
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(later); }
            m.cycDeclutter = run;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class SearchControl(_Tool):
    """A search box over named places: each entry ``[name, kind, south, west, north, east, lat, lon]``.

    Typing lists up to 8 matches (substring, case-insensitive); Enter or a click zooms to
    the place's bounds (at most zoom 15) and sends a map click at the point inside it (``lat``,
    ``lon``), so the app selects the place as if it had been clicked (所选要素, highlight).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m, T, E){
            var C = L.Control.extend({options: {position: 'topright'}, onAdd: function(){
                var d = L.DomUtil.create('div', 'leaflet-control cyc-search');
                var inp = L.DomUtil.create('input', '', d); inp.type = 'search'; inp.placeholder = T.search;
                inp.setAttribute('aria-label', T.search);
                var ul = L.DomUtil.create('ul', '', d), hits = [], sel = 0;
                L.DomEvent.disableClickPropagation(d); L.DomEvent.disableScrollPropagation(d);
                function go(e){ ul.textContent = ''; inp.value = e[0];
                    m.fitBounds([[e[2], e[3]], [e[4], e[5]]], {maxZoom: 15, animate: false});
                    m.fire('cycsearch', {name: e[0]});
                    // a point inside the place, sent as a click: the app selects the feature (its panel, highlight)
                    if (e.length > 7) { var ll = L.latLng(e[6], e[7]);
                        m.fire('click', {latlng: ll, layerPoint: m.latLngToLayerPoint(ll),
                                         containerPoint: m.latLngToContainerPoint(ll)}); } }
                function list(){
                    var q = inp.value.trim().toLowerCase(); ul.textContent = ''; hits = []; sel = 0;
                    if (!q) return;
                    hits = E.filter(function(e){ return e[0].toLowerCase().indexOf(q) >= 0; }).slice(0, 8);
                    if (!hits.length) { var li0 = L.DomUtil.create('li', '', ul); li0.textContent = T.none; return; }
                    hits.forEach(function(e, i){ var li = L.DomUtil.create('li', i === 0 ? 'cyc-sel' : '', ul);
                        li.textContent = e[0]; var s = L.DomUtil.create('small', '', li); s.textContent = e[1];
                        L.DomEvent.on(li, 'click', function(){ go(e); }); });
                }
                L.DomEvent.on(inp, 'input', list);
                L.DomEvent.on(inp, 'keydown', function(ev){
                    if (ev.key === 'Enter' && hits.length) { ev.preventDefault(); go(hits[sel]); }
                    else if (ev.key === 'Escape') { ul.textContent = ''; } });
                return d; }});
            new C().addTo(m);
        })({{ this._parent.get_name() }}, {{ this.texts_js }}, {{ this.entries_js }});
        {% endmacro %}
        """
    )

    def __init__(self, entries: list[list[Any]], lang: str = "zh") -> None:
        super().__init__(lang, entries_js=_js(entries))


class CopyLinkControl(_Tool):
    """A button copying a link to the current view: the page's address with ``lat``, ``lon``, ``z``
    set from the map (:func:`cyc_geo.mapview.webmap.parse_state` reads them back)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m, T){
            function pageUrl(){ try { return window.parent.location.href; } catch (e) { return window.location.href; } }
            function link(){ var u = new URL(pageUrl()), c = m.getCenter();
                u.searchParams.set('lat', c.lat.toFixed(5)); u.searchParams.set('lon', c.lng.toFixed(5));
                u.searchParams.set('z', String(m.getZoom())); return u.toString(); }
            var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function(){
                var bar = L.DomUtil.create('div', 'leaflet-bar leaflet-control cyc-copy');
                var a = L.DomUtil.create('a', '', bar); a.href = '#'; a.title = T.copy; a.setAttribute('aria-label', T.copy);
                a.setAttribute('role', 'button'); a.innerHTML = {{ this.icon_js }};
                var msg = L.DomUtil.create('div', 'cyc-copy-msg', bar); msg.style.display = 'none';
                function say(t){ msg.textContent = t; msg.style.display = ''; setTimeout(function(){ msg.style.display = 'none'; }, 6000); }
                L.DomEvent.disableClickPropagation(bar);
                L.DomEvent.on(a, 'click', function(e){ L.DomEvent.preventDefault(e); var u = link(); bar.setAttribute('data-link', u);
                    if (navigator.clipboard && window.isSecureContext) {
                        navigator.clipboard.writeText(u).then(function(){ say(T.copied); }, function(){ say(T.copy_fail + ' ' + u); });
                    } else { say(T.copy_fail + ' ' + u); } });
                return bar; }});
            new C().addTo(m);
        })({{ this._parent.get_name() }}, {{ this.texts_js }});
        {% endmacro %}
        """
    )


class TileErrorNotice(_Tool):
    """A notice on the map once basemap tiles fail to load (offline, blocked); gone when tiles load again."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m, T){
            var ctl = L.control({position: 'bottomleft'}), el = null, fails = 0;
            ctl.onAdd = function(){ el = L.DomUtil.create('div', 'leaflet-control cyc-tile-notice');
                el.setAttribute('role', 'status'); el.textContent = T.tiles; return el; };
            function watch(l){ if (!(l instanceof L.TileLayer) || l.cycWatched) return; l.cycWatched = true;
                l.on('tileerror', function(){ fails++; if (fails >= 2 && !ctl._map) ctl.addTo(m); });
                l.on('tileload', function(){ fails = 0; if (ctl._map) ctl.remove(); }); }
            m.eachLayer(watch); m.on('layeradd', function(e){ watch(e.layer); });
        })({{ this._parent.get_name() }}, {{ this.texts_js }});
        {% endmacro %}
        """
    )


class FillHeight(_Tool):
    """The map fills the height of its page (``100vh``: the app's iframe, or the exported file's window)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m){
            var c = m.getContainer(); c.style.height = '100vh';
            function fit(){ m.invalidateSize(false); }
            window.addEventListener('resize', fit); setTimeout(fit, 0);
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def add_map_tools(fmap: folium.Map, lang: str = "zh") -> folium.Map:
    """Measure, label declutter, copy-link, tile-failure notice and full-height sizing on ``fmap``."""
    page_figure(fmap).header.add_child(folium.Element(f"<style>{CONTROLS_CSS}</style>"))
    for tool in (MeasureTool(lang), CopyLinkControl(lang), LabelDeclutter(lang), TileErrorNotice(lang), FillHeight(lang)):
        tool.add_to(fmap)
    return fmap


def place_entries(frames: list[tuple[str, str, gpd.GeoDataFrame]], lang: str = "zh",
                  name_col: str = "name") -> list[list[Any]]:
    """Search entries ``[name, kind, south, west, north, east, lat, lon]`` of named features (``lat``, ``lon``:
    a point inside the feature, its representative point).

    ``frames`` are (kind in Chinese, kind in English, frame in WGS84 or any CRS); the English
    name (``name_en``) is used on the English UI when present; unnamed or empty features are
    skipped; bounds are rounded to 5 decimals (≈ 1 m).
    """
    out: list[list[Any]] = []
    for kind_zh, kind_en, gdf in frames:
        if gdf is None or not len(gdf) or name_col not in gdf.columns:
            continue
        g = gdf.to_crs(WGS84) if gdf.crs is not None else gdf
        col = "name_en" if lang == "en" and "name_en" in g.columns else name_col
        kind = kind_en if lang == "en" else kind_zh
        for name, geom in zip(g[col], g.geometry, strict=True):
            if name is None or name != name or not str(name).strip() or geom is None or geom.is_empty:
                continue
            w, s, e, n = geom.bounds
            inside = geom.representative_point()
            out.append([str(name), kind, round(s, 5), round(w, 5), round(n, 5), round(e, 5),
                        round(inside.y, 5), round(inside.x, 5)])
    return out


def highlight_group(gdf: gpd.GeoDataFrame | None, name: str = "highlight") -> folium.FeatureGroup:
    """A feature group outlining ``gdf``'s geometries (the clicked feature) in :data:`HIGHLIGHT_COLOUR`.

    Not interactive, so clicks go through to the features below.
    """
    group = folium.FeatureGroup(name=name, control=False)
    if gdf is None or not len(gdf):
        return group
    geo = gdf[["geometry"]].to_crs(WGS84) if gdf.crs is not None else gdf[["geometry"]]
    geo = geo.set_geometry(shapely.set_precision(geo.geometry.values, 1e-6))
    _Highlight(geo.to_json(drop_id=True)).add_to(group)
    return group


class _Highlight(VerbatimMacro):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g){
            g.addLayer(L.geoJson({{ this.geojson }}, {interactive: false, className: 'cyc-highlight',
                style: function(){ return {color: {{ this.colour_js }}, weight: 4, opacity: 0.95, fill: false}; },
                pointToLayer: function(f, ll){ return L.circleMarker(ll, {radius: 9, interactive: false}); }}));
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geojson: str) -> None:
        super().__init__()
        self._name = "Highlight"
        self.geojson = geojson.replace("<", "\\u003c").replace(">", "\\u003e")
        self.colour_js = _js(HIGHLIGHT_COLOUR)


PASSIVE_PANE = "cycPassive"
"""Pane of context-only features (``passive_categories``), below every other vector layer."""

PASSIVE_DEFAULT = {"color": "#e6550d", "weight": 1.5, "dash_array": "6 4", "fill_opacity": 0.0}
"""Default look of passive features: a dashed orange outline without fill (project choice)."""


def passive_style(layer: Any) -> dict[str, Any]:
    """The ``[style] passive_style`` of a layer over :data:`PASSIVE_DEFAULT`."""
    return {**PASSIVE_DEFAULT, **(layer.style.get("passive_style") or {})}


class PassiveGeoJson(VerbatimMacro):
    """Features drawn for context only: outline style, not interactive, on :data:`PASSIVE_PANE`."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g){
            var m = g._map, S = {{ this.style_js }};
            function draw(map){
                if (!map.getPane({{ this.pane_js }})) { map.createPane({{ this.pane_js }}).style.zIndex = 395; }
                var lyr = L.geoJson({{ this.geojson }}, {pane: {{ this.pane_js }}, interactive: false,
                    renderer: L.svg({pane: {{ this.pane_js }}}),
                    style: function(){ return {color: S.color, weight: S.weight, dashArray: S.dash_array || null,
                        fill: S.fill_opacity > 0, fillColor: S.color, fillOpacity: S.fill_opacity, interactive: false}; }});
                g.addLayer(lyr);
            }
            if (g._map) draw(g._map); else g.once('add', function(e){ draw(e.target._map); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, geojson: str, style: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PassiveGeoJson"
        self.geojson = geojson.replace("<", "\\u003c").replace(">", "\\u003e")
        self.style_js = _js(style)
        self.pane_js = _js(PASSIVE_PANE)


def passive_geojson(layer: Any, gdf: gpd.GeoDataFrame, decimals: int = 5) -> str:
    """GeoJSON (geometry only, rounded to ``decimals``) of a layer's passive features; ``""`` when none."""
    from cyc_geo.mapview.click import passive_mask

    part = gdf[passive_mask(layer, gdf)]
    if not len(part):
        return ""
    geo = part[["geometry"]].to_crs(WGS84) if part.crs is not None else part[["geometry"]]
    geo = geo.set_geometry(shapely.set_precision(geo.geometry.values, 10.0**-decimals))
    return geo.to_json(drop_id=True)


def passive_group(layer: Any, geojson: str) -> folium.FeatureGroup | None:
    """A feature group drawing a layer's passive features (None when there are none)."""
    if not geojson:
        return None
    group = folium.FeatureGroup(name=f"{layer.id}_passive", control=False)
    PassiveGeoJson(geojson, passive_style(layer)).add_to(group)
    return group


DRAW_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "polygon": "画多边形", "rectangle": "画矩形", "finish": "完成", "undo": "撤销最后一点", "cancel": "取消",
        "polygon_start": "单击开始绘制多边形", "polygon_cont": "单击继续绘制", "polygon_end": "单击第一个点闭合多边形",
        "rect_start": "按住并拖动绘制矩形", "release": "松开鼠标完成绘制", "delete": "删除图形", "save": "保存",
        "clear": "全部清除", "remove": "单击要删除的图形", "error": "<strong>错误：</strong>边不能交叉！",
        "polyline": "画线（标注）", "marker": "画点或文字注记（标注）", "line_start": "单击开始画线",
        "line_cont": "单击继续画线", "line_end": "单击最后一点结束画线", "marker_start": "单击地图放置标注点",
    },
    "en": {
        "polygon": "Draw a polygon", "rectangle": "Draw a rectangle", "finish": "Finish", "undo": "Delete last point",
        "cancel": "Cancel", "polygon_start": "Click to start drawing the shape", "polygon_cont": "Click to continue drawing",
        "polygon_end": "Click the first point to close the shape", "rect_start": "Click and drag to draw a rectangle",
        "release": "Release the mouse to finish", "delete": "Delete layers", "save": "Save", "clear": "Clear all",
        "remove": "Click a shape to remove it", "error": "<strong>Error:</strong> edges cannot cross!",
        "polyline": "Draw a line (markup)", "marker": "Place a point or a text note (markup)",
        "line_start": "Click to start drawing the line", "line_cont": "Click to continue the line",
        "line_end": "Click the last point to finish the line", "marker_start": "Click the map to place a point",
    },
}
"""Leaflet.draw's texts (``L.drawLocal``) per UI language (fixed strings, not data)."""


class DrawLocale(VerbatimMacro):
    """Leaflet.draw's buttons, hints and tooltips in the UI language (set ``L.drawLocal`` before the toolbar is built).

    Add it to the map before the ``Draw`` control.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function(T){
            if (!window.L || !L.drawLocal) return;
            var d = L.drawLocal.draw, e = L.drawLocal.edit;
            d.toolbar.buttons.polygon = T.polygon; d.toolbar.buttons.rectangle = T.rectangle;
            d.toolbar.actions.text = T.cancel; d.toolbar.actions.title = T.cancel;
            d.toolbar.finish.text = T.finish; d.toolbar.finish.title = T.finish;
            d.toolbar.undo.text = T.undo; d.toolbar.undo.title = T.undo;
            d.handlers.polygon.tooltip.start = T.polygon_start; d.handlers.polygon.tooltip.cont = T.polygon_cont;
            d.handlers.polygon.tooltip.end = T.polygon_end; d.handlers.polyline.error = T.error;
            d.handlers.rectangle.tooltip.start = T.rect_start; d.handlers.simpleshape.tooltip.end = T.release;
            e.toolbar.buttons.remove = T.delete; e.toolbar.actions.save.text = T.save; e.toolbar.actions.save.title = T.save;
            e.toolbar.actions.cancel.text = T.cancel; e.toolbar.actions.cancel.title = T.cancel;
            e.toolbar.actions.clearAll.text = T.clear; e.toolbar.actions.clearAll.title = T.clear;
            e.handlers.remove.tooltip.text = T.remove;
            d.toolbar.buttons.polyline = T.polyline; d.toolbar.buttons.marker = T.marker;
            d.handlers.polyline.tooltip.start = T.line_start; d.handlers.polyline.tooltip.cont = T.line_cont;
            d.handlers.polyline.tooltip.end = T.line_end; d.handlers.marker.tooltip.start = T.marker_start;
        })({{ this.texts_js }});
        {% endmacro %}
        """
    )

    def __init__(self, lang: str = "zh") -> None:
        super().__init__()
        self._name = "DrawLocale"
        self.texts_js = _js(DRAW_TEXTS["en" if lang == "en" else "zh"])


class QuietClicksWhileDrawing(VerbatimMacro):
    """A click that places a vertex or a point of Leaflet.draw is not also a click on the map: while a drawing tool is
    on (``draw:drawstart`` to ``draw:drawstop``), the map's ``click`` listeners registered without a context are not
    called — streamlit-folium's (it reported each vertex as the map's last click, so the page picked the township
    under it, for its side panel and its area statistics, and ran once per vertex). Leaflet.draw's own listeners
    carry their handler as context and still run. Add it before the component adds its listeners (any map macro).
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function(m){
            var drawing = false, on = m.on;
            m.on('draw:drawstart', function(){ drawing = true; }, m);
            // the click that ends a drawing is still being dispatched when drawstop fires: released after it
            m.on('draw:drawstop', function(){ setTimeout(function(){ drawing = false; }, 0); }, m);
            m.on = function(types, fn, context){
                if (types === 'click' && typeof fn === 'function' && !context) {
                    var listener = fn;
                    fn = function(){ if (!drawing) { return listener.apply(this, arguments); } };
                }
                return on.call(this, types, fn, context);
            };
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "QuietClicksWhileDrawing"
