"""The map component (streamlit-folium's ``st_folium``) with its rendering shared by runs and sessions.

``st_folium`` renders the folium map to JavaScript on every script run: every folium element
compiles its Jinja template, and the rendered script is searched with regular expressions and
dedented (py-spy: about 40 % of a warm map visit's script time). A map whose content has not
changed renders to the same component arguments, so :func:`show` renders each content once per
process (``st.cache_resource``, keyed by the caller's ``content_key``) and sends the cached
arguments to the same frontend component ``st_folium`` uses.

It also opens the map without a second script run. The component reports the map's view as soon
as the map exists, and Streamlit reruns the script when that report differs from the
component's declared default. ``st_folium``'s default holds no centre, so every visit ran the page
twice. Here the map is created at the view it opens with, and the default is exactly what the
frontend reports for it (same keys, same order, the same numbers), so a visit runs once; a click
or a pan reports a different value and reruns as before.

It relies on streamlit-folium's rendering helpers (private names, pinned in ``requirements.txt``);
``tests/ui/test_folium_map.py`` checks that the arguments match what ``st_folium`` sends for the same map.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import folium
import folium.elements
import streamlit as st
import streamlit_folium as sf
from jinja2 import Template

from cyc_geo.catalog import result_store
from cyc_geo.mapview.macro import VerbatimMacro
from cyc_geo.mapview.tiles import STATIC_ROOT, STATIC_URL

REPORTED = ("last_clicked", "zoom", "center")
"""What the map reports back: the last click, zoom and centre (the frontend sends them in this order)."""

_FRONTEND_ORDER = ("last_clicked", "last_object_clicked", "last_object_clicked_count",
                   "last_object_clicked_tooltip", "last_object_clicked_popup", "all_drawings",
                   "last_active_drawing", "last_geocoder_result", "bounds", "zoom", "last_circle_radius",
                   "last_circle_polygon", "center", "selected_layers", "selected_tags")
"""Key order of the value the streamlit-folium 0.27 frontend builds (``updateComponentValue``)."""


@dataclass(frozen=True)
class RenderedMap:
    """What the component needs from a folium map: its script, header, html and feature groups."""

    script: str
    header: str
    html: str
    map_id: str
    feature_group: str | None
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    hash_key: str


def _links(fmap: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CSS and JS links of the map and every element under it, in order, without repeats."""
    css: list[str] = []
    js: list[str] = []
    stack = [fmap]
    while stack:
        el = stack.pop(0)
        if isinstance(el, folium.elements.JSCSSMixin):
            css.extend(href for _, href in getattr(el, "default_css", []))
            js.extend(src for _, src in getattr(el, "default_js", []))
        stack[:0] = list(getattr(el, "_children", {}).values())
    return tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js))


def render(fmap: folium.Map, groups: Iterable[folium.FeatureGroup], key: str) -> RenderedMap:
    """Render ``fmap`` and its dynamic feature ``groups`` as ``st_folium`` would (same steps, same order)."""
    fmap.get_root().render()
    fmap.render()
    html, header = sf._get_html(fmap), sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    groups = list(groups)
    feature_group = "".join(sf._get_feature_group_string(g, map=fmap, idx=i) for i, g in enumerate(groups)) \
        if groups else None
    css, js = _links(fmap)
    return RenderedMap(script, header, html, sf.get_full_id(fmap), feature_group, css, js,
                       sf.generate_js_hash(script, key, False))


def _to_json(r: RenderedMap) -> dict[str, Any]:
    return dataclasses.asdict(r)


def _from_json(data: dict[str, Any]) -> RenderedMap:
    return RenderedMap(**{**data, "css_links": tuple(data["css_links"]), "js_links": tuple(data["js_links"])})


_STATIC_REF = re.compile(re.escape(STATIC_URL) + r"/([A-Za-z0-9_./-]+)")


def files_present(r: RenderedMap) -> bool:
    """Whether every file under ``static/`` the rendered map refers to (payloads, overlays) exists; for a
    URL template (``tiles/<set>/{z}/{x}/{y}.pbf``) the folder before the first ``{`` must exist."""
    text = "\n".join((r.script, r.header, r.html, r.feature_group or "", *r.css_links, *r.js_links))
    return all((STATIC_ROOT / rel).exists() for rel in set(_STATIC_REF.findall(text)))


class ReportedBoundsPreset(VerbatimMacro):
    """For a map that reports its ``bounds``: until the user first moves it (pointer, wheel or key on the map), what
    the frontend counts as already reported carries the map's bounds of the moment (set as the map is ready and on
    every resize of its frame), so opening the map reruns nothing (:func:`first_view`) and the first move reports
    the bounds the user sees. Runs after :class:`cyc_geo.mapview.webmap.HoldOpeningView`'s resize handler, which
    puts the opening view back first. Relies on streamlit-folium's frontend state (``__GLOBAL_DATA__``, pinned)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(m, order){
            var g = window.__GLOBAL_DATA__, held = true;
            if (!g || !g.returned_objects || g.returned_objects.indexOf('bounds') < 0) { return; }
            function preset(){
                if (!held) { return; }
                var was = g.previous_data || {}, now = {};
                order.forEach(function(k){
                    if (k === 'bounds') { now[k] = JSON.parse(JSON.stringify(m.getBounds())); }
                    else if (Object.prototype.hasOwnProperty.call(was, k)) { now[k] = was[k]; } });
                g.previous_data = now; }
            ['mousedown', 'touchstart', 'wheel', 'keydown'].forEach(function(ev){
                m.getContainer().addEventListener(ev, function(){ held = false; }, {capture: true, passive: true}); });
            m.whenReady(preset);
            m.on('resize', preset);
        })({{ this._parent.get_name() }}, {{ this.order_js }});
        {% endmacro %}
        """
    )

    def __init__(self, reported: Iterable[str]) -> None:
        super().__init__()
        self._name = "ReportedBoundsPreset"
        wanted = set(reported)
        self.order_js = json.dumps([k for k in _FRONTEND_ORDER if k in wanted])


@st.cache_resource(show_spinner=False, max_entries=48)
def _rendered(content_key: Hashable, key: str, persist: bool, reported: tuple[str, ...],
              _build: Callable[[], tuple[folium.Map, list]]) -> RenderedMap:
    def build() -> RenderedMap:
        fmap, groups = _build()
        if "bounds" in reported:
            ReportedBoundsPreset(reported).add_to(fmap)
        return render(fmap, groups, key)

    if not persist:
        return build()
    # kept across restarts (cyc_geo.catalog.result_store): a new process draws a known map without building it
    return result_store.remember(("rendered_map", content_key, key, reported), build, encode=_to_json, decode=_from_json,
                                 valid=files_present)


def first_view(center: tuple[float, float], zoom: int, reported: Iterable[str] = REPORTED) -> dict[str, Any]:
    """The value the frontend reports for a map opened at ``center`` / ``zoom`` before any click.

    Leaflet's ``getCenter()`` returns the centre the map was created with until it moves, so the
    numbers are the ones given; keys follow the frontend's order so the JSON texts compare equal.
    ``bounds`` depends on the map's size in the browser, which the server does not know: it is left out here, and
    :class:`ReportedBoundsPreset` adds the map's own bounds to what the frontend last reported, so the map reports
    its bounds with its first move, not as it opens."""
    known = {"last_clicked": None, "all_drawings": None, "last_active_drawing": None, "zoom": int(zoom),
             "center": {"lat": float(center[0]), "lng": float(center[1])}}
    wanted = set(reported) - {"bounds"}
    unknown = wanted - set(known)
    if unknown:
        raise ValueError(f"first_view cannot predict {sorted(unknown)}")
    return {k: known[k] for k in _FRONTEND_ORDER if k in wanted}


def show(content_key: Hashable, build: Callable[[], tuple[folium.Map, list]], *, center: tuple[float, float],
         zoom: int, key: str, height: int = 620, reported: tuple[str, ...] = REPORTED,
         persist: bool = False) -> dict[str, Any]:
    """Draw the map ``build()`` makes (a map created at ``center`` / ``zoom`` and its feature groups).

    ``content_key``: everything the map's content depends on (data versions, layers, language, basemap,
    the view it opens at …); ``build`` is called only for a key not rendered yet in this process.
    ``persist``: also keep the rendering on disk for the next process (:mod:`cyc_geo.catalog.result_store`,
    keyed by the ``repr`` of ``content_key``, which must then be made of plain values); not for maps that
    carry a secret (a basemap token).
    Returns the map's value (``reported`` keys), and keeps it in ``st.session_state[key]`` like ``st_folium``.
    """
    r = _rendered(content_key, key, persist, tuple(reported), build)

    def _on_change() -> None:
        st.session_state[key] = st.session_state.get(r.hash_key, {})

    return sf._component_func(
        script=r.script, header=r.header, html=r.html, id=r.map_id, key=r.hash_key, height=height, width=None,
        returned_objects=list(reported), default=first_view(center, zoom, reported), zoom=int(zoom),
        center=(float(center[0]), float(center[1])), feature_group=r.feature_group, return_on_hover=False,
        layer_control=None, pixelated=False, css_links=list(r.css_links), js_links=list(r.js_links),
        on_change=_on_change, wrap_longitude=False,
    ) or {}
