"""Markup (标注, redlining): points, lines, polygons and text notes a planner draws on the web map.

The map's drawing tools (Leaflet.draw) report GeoJSON features; :func:`markup_frame` checks them and
turns them into a GeoDataFrame (WGS84) with a ``kind`` (``polygon``, ``line``, ``point`` or ``note``: a
point that carries text) and a ``text``, refusing bad input with a Chinese and an English message
(:class:`MarkupRejected`) and never half-accepting a collection. :func:`to_geojson` is the form the session
and the database keep (:mod:`cyc_geo.mapview.markup_store`).

The same frame is drawn three ways: on the web map and in its HTML export (:func:`markup_group`, with its
legend section :func:`legend_section`), and on a print's map axes (:func:`draw_on_axes`, in EPSG:4547) with the
texts placed as PDF text by :mod:`cyc_geo.mapview.print_layout` (:func:`text_points`). Limits and the red
style are project choices (docs/sources.md, "Markup").
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from jinja2 import Template

from cyc_geo.geo.crs import WGS84
from cyc_geo.mapview.legend import LegendSection
from cyc_geo.mapview.macro import VerbatimMacro

MAX_FEATURES = 200
"""Most markup features one map (session or saved set) holds (docs/sources.md, "Markup")."""

MAX_VERTICES = 5_000
"""Most vertices of one markup feature (docs/sources.md, "Markup")."""

MAX_TEXT = 200
"""Longest note text, characters (docs/sources.md, "Markup")."""

KINDS = ("polygon", "line", "point", "note")

COLOUR = "#e31a1c"
"""Red of every markup symbol, on the web map and in print (docs/sources.md, "Markup")."""

TEXT_COLOUR = "#99000d"
"""Dark red of the notes' text (docs/sources.md, "Markup")."""

FILL_OPACITY = 0.15
"""Fill of markup polygons (docs/sources.md, "Markup")."""

LINE_PT = 1.6
"""Line width of markup lines and polygon edges in print, pt (docs/sources.md, "Markup")."""

TITLE = ("标注", "Markup")

KIND_LABELS: dict[str, tuple[str, str]] = {
    "polygon": ("标注范围（面）", "Marked area"),
    "line": ("标注线", "Marked line"),
    "point": ("标注点", "Marked point"),
    "note": ("文字注记", "Text note"),
}
"""Legend and list words of each kind (zh, en)."""

_GEOM_KIND = {"Polygon": "polygon", "MultiPolygon": "polygon", "LineString": "line", "MultiLineString": "line",
              "Point": "point", "MultiPoint": "point"}


class MarkupRejected(ValueError):
    """Markup refused as a whole; ``zh`` / ``en`` say why (one language at a time on screen)."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def clean_text(text: Any) -> str:
    """A note's text: a string with control characters (line breaks too) made spaces, trimmed; longer than
    :data:`MAX_TEXT` is refused."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise MarkupRejected("text", "注记文字必须是文本。", "A note's text must be a string.")
    out = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).strip()
    if len(out) > MAX_TEXT:
        raise MarkupRejected("text_long", f"注记文字过长（最多 {MAX_TEXT} 字，此处 {len(out)} 字）。",
                             f"A note's text is too long ({len(out)} characters; at most {MAX_TEXT}).")
    return out


def _features(data: Any) -> list[Any]:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        data = data.get("features")
    elif isinstance(data, dict) and data.get("type") == "Feature":
        data = [data]
    if data is None:
        return []
    if not isinstance(data, list):
        raise MarkupRejected("shape", "标注须为 GeoJSON 要素或要素集合。", "Markup must be GeoJSON features or a collection.")
    if len(data) > MAX_FEATURES:
        raise MarkupRejected("too_many", f"标注过多：{len(data)} 个，最多 {MAX_FEATURES} 个。",
                             f"Too many markup features: {len(data)}, at most {MAX_FEATURES}.")
    return data


def _geometry(n: int, feat: Any) -> shapely.Geometry:
    where_zh, where_en = f"第 {n} 个标注", f"Markup feature {n}"
    if not isinstance(feat, dict) or not isinstance(feat.get("geometry"), dict):
        raise MarkupRejected("feature", f"{where_zh}不是带几何的 GeoJSON 要素。", f"{where_en} is not a GeoJSON feature with a geometry.")
    gtype = feat["geometry"].get("type")
    if gtype not in _GEOM_KIND:
        raise MarkupRejected("geometry_type", f"{where_zh}的几何类型 {str(gtype)[:40]} 不能用作标注（点、线、面）。",
                             f"{where_en} has geometry type {str(gtype)[:40]}; markup is points, lines or polygons.")
    try:
        geom = shapely.geometry.shape(feat["geometry"])
        xy = shapely.get_coordinates(geom)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise MarkupRejected("coordinates", f"{where_zh}的坐标无法读取。", f"{where_en}: its coordinates cannot be read.") from exc
    if geom.is_empty or len(xy) == 0:
        raise MarkupRejected("empty", f"{where_zh}没有坐标。", f"{where_en} has no coordinates.")
    if len(xy) > MAX_VERTICES:
        raise MarkupRejected("vertices", f"{where_zh}的顶点过多（{len(xy)} 个，最多 {MAX_VERTICES} 个）。",
                             f"{where_en} has too many vertices ({len(xy)}; at most {MAX_VERTICES}).")
    if not (np.isfinite(xy).all() and (np.abs(xy[:, 0]) <= 180).all() and (np.abs(xy[:, 1]) <= 90).all()):
        raise MarkupRejected("range", f"{where_zh}的坐标不是经纬度（经度 ±180°、纬度 ±90° 以内）。",
                             f"{where_en}: its coordinates are not longitude/latitude (within ±180°, ±90°).")
    if _GEOM_KIND[gtype] == "polygon" and not geom.is_valid:
        geom = shapely.make_valid(geom)
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys) if polys else shapely.Polygon()
    if _GEOM_KIND[gtype] == "polygon" and (geom.is_empty or geom.area == 0):
        raise MarkupRejected("degenerate", f"{where_zh}是没有面积的面。", f"{where_en} is a polygon without area.")
    return geom


def markup_frame(data: Any, gcj02: bool = False) -> gpd.GeoDataFrame:
    """Checked markup: a GeoDataFrame (WGS84) with ``kind``, ``text`` and the geometry, one row per feature.

    ``data``: a GeoJSON FeatureCollection, one Feature, a list of Features (what the map reports) or None
    (no markup). A feature's ``properties.text`` is its text (:func:`clean_text`); its kind follows from the
    geometry, a point with text being a ``note``. ``gcj02``: the coordinates were drawn over an AMap
    basemap (GCJ-02) and are taken back to WGS84. Raises :class:`MarkupRejected` for the whole input."""
    rows = []
    for n, feat in enumerate(_features(data), start=1):
        geom = _geometry(n, feat)
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        text = clean_text(props.get("text"))
        kind = _GEOM_KIND[feat["geometry"]["type"]]
        if kind == "point" and text:
            kind = "note"
        rows.append({"kind": kind, "text": text, "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, columns=["kind", "text", "geometry"], geometry="geometry", crs=WGS84)
    if gcj02 and len(gdf):
        from cyc_geo.geo.gcj02 import gdf_gcj02_to_wgs84

        gdf = gdf_gcj02_to_wgs84(gdf)
    return gdf


MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest markup GeoJSON file read (:func:`read_markup_file`), bytes: 200 features of 5,000 vertices fit
(docs/sources.md, "Markup")."""


def read_markup_file(path: Any, gcj02: bool = False) -> gpd.GeoDataFrame:
    """Markup from a GeoJSON file (the ``map print --markup`` input): :func:`markup_frame` of its content;
    a missing, too large or unreadable file is a :class:`MarkupRejected`."""
    from pathlib import Path

    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise MarkupRejected("file", f"标注文件无法读取：{file.name}。", f"The markup file cannot be read: {file.name}.") from exc
    if size > MAX_FILE_BYTES:
        raise MarkupRejected("file_size", f"标注文件过大（{size / 1e6:.1f} MB，最多 {MAX_FILE_BYTES / 1e6:.1f} MB）。",
                             f"The markup file is too large ({size / 1e6:.1f} MB; at most {MAX_FILE_BYTES / 1e6:.1f} MB).")
    try:
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MarkupRejected("json", f"标注文件不是 UTF-8 编码的 GeoJSON：{file.name}。",
                             f"The markup file is not UTF-8 GeoJSON: {file.name}.") from exc
    return markup_frame(data, gcj02=gcj02)


def to_geojson(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """The frame as a GeoJSON FeatureCollection (WGS84, ``text`` in each feature's properties)."""
    feats = [{"type": "Feature", "properties": {"kind": k, "text": t}, "geometry": shapely.geometry.mapping(g)}
             for k, t, g in zip(gdf["kind"], gdf["text"], gdf.to_crs(WGS84).geometry, strict=True)]
    return {"type": "FeatureCollection", "features": json.loads(json.dumps(feats))}  # tuples as lists


def drawing_key(feature: Any) -> str:
    """A drawing's identity in the map's reports: its geometry as canonical JSON (coordinates to 1e-7°)."""
    geom = feature.get("geometry") if isinstance(feature, dict) else None

    def rounded(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [rounded(x) for x in v]
        return round(v, 7) if isinstance(v, float) and math.isfinite(v) else v

    if not isinstance(geom, dict):
        return json.dumps(geom, sort_keys=True, default=str)
    return json.dumps({"type": geom.get("type"), "coordinates": rounded(geom.get("coordinates"))}, sort_keys=True,
                      default=str)


def new_drawings(drawn: Iterable[Any] | None, seen: Iterable[str]) -> list[dict[str, Any]]:
    """The map's reported drawings (``all_drawings``) not taken yet (their :func:`drawing_key` not in ``seen``),
    in drawing order, without repeats."""
    taken = set(seen)
    out = []
    for feat in drawn or []:
        key = drawing_key(feat)
        if key not in taken:
            taken.add(key)
            out.append(feat)
    return out


# ---------------------------------------------------------------- the web map and its HTML export


def legend_section(gdf: gpd.GeoDataFrame | None, lang: str) -> LegendSection | None:
    """The map legend's 标注 / Markup section: one row per kind present (None without markup)."""
    if gdf is None or not len(gdf):
        return None
    i = 1 if lang == "en" else 0
    swatch = {"polygon": "fill", "line": "line", "point": "point", "note": "point"}
    present = set(gdf["kind"])
    return LegendSection(TITLE[i], [(swatch[k], COLOUR, KIND_LABELS[k][i]) for k in KINDS if k in present])


class ClearDrawn(VerbatimMacro):
    """Empties Leaflet.draw's layer of fresh drawings when the markup group is (re)drawn: the page has taken
    them into its markup, which the group draws, so nothing is drawn twice and a deleted item disappears."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (window.drawnItems && typeof window.drawnItems.clearLayers === 'function') { window.drawnItems.clearLayers(); }
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClearDrawn"


class NoteLabels(VerbatimMacro):
    """The markup's texts on the map: dark red on a white halo, starting just right of their point (so the point
    stays visible), set as text (never parsed as HTML)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(g){
            {{ this.notes_js }}.forEach(function(x){
                var d = document.createElement('div');
                d.textContent = String(x[2]);
                d.style.cssText = {{ this.css_js }};
                g.addLayer(L.marker([x[0], x[1]], {interactive: false, keyboard: false, icon: L.divIcon({
                    html: d, className: 'cyc-note-icon', iconSize: [240, 18], iconAnchor: [-9, 9]})}));
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, notes: list[list[Any]]) -> None:
        from cyc_geo.mapview.safe import script_safe_json

        super().__init__()
        self._name = "NoteLabels"
        self.notes_js = script_safe_json(notes)
        self.css_js = script_safe_json(
            f"font:700 12px 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;color:{TEXT_COLOUR};"
            "white-space:nowrap;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;")


def markup_group(gdf: gpd.GeoDataFrame | None, lang: str, clear_drawn: bool = True) -> folium.FeatureGroup:
    """The markup as a map feature group (red, the text as a tooltip and as a label beside each feature).

    ``gdf`` in the coordinates the map draws (GCJ-02 over AMap: :func:`cyc_geo.mapview.webmap.for_display`);
    texts are set as text in the browser, never as HTML. ``clear_drawn``: also empty the drawing tool's own
    layer (:class:`ClearDrawn`; the app's map, not an export)."""
    from cyc_geo.catalog.registry import LayerDef
    from cyc_geo.mapview.webmap import FastGeoJson, layer_payload

    group = folium.FeatureGroup(name=TITLE[1 if lang == "en" else 0], show=True)
    if clear_drawn:
        ClearDrawn().add_to(group)
    if gdf is not None and len(gdf):
        colours = {k: COLOUR for k in KINDS}
        layer = LayerDef(id="markup", title_zh=TITLE[0], title_en=TITLE[1], geometry="polygon",
                         tooltip=("text",), tooltip_labels_zh=("注记",), tooltip_labels_en=("Note",),
                         style={"color": COLOUR, "weight": 3, "fill_opacity": FILL_OPACITY, "category_field": "kind",
                                "category_colors": colours})
        FastGeoJson(layer_payload(layer, gdf[["kind", "text", "geometry"]], lang)).add_to(group)
        notes = [[round(y, 6), round(x, 6), t] for x, y, t in text_points(gdf)]
        if notes:
            NoteLabels(notes).add_to(group)
    return group


# ---------------------------------------------------------------- print


def draw_on_axes(ax: Any, gdf: gpd.GeoDataFrame, extent: tuple[float, float, float, float]) -> None:
    """Draw the markup (already in the axes' CRS, EPSG:4547 in a print) on matplotlib axes ``ax``, over
    whatever is there: polygons filled faintly with a red edge, red lines, red dots for points and notes.
    Features outside ``extent`` are skipped."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.colors import to_rgba
    from matplotlib.patches import PathPatch

    from cyc_geo.planning.report import _parts, _polygon_path

    if gdf is None or not len(gdf):
        return
    window = shapely.box(*extent)
    inside = gdf[gdf.geometry.intersects(window)]
    polys = _parts(inside[inside["kind"] == "polygon"].geometry.to_numpy())
    if len(polys):
        ax.add_collection(PatchCollection([PathPatch(_polygon_path(p)) for p in polys],
                                          facecolor=to_rgba(COLOUR, FILL_OPACITY), edgecolor=COLOUR, linewidth=LINE_PT,
                                          zorder=20))
    lines = shapely.get_parts(inside[inside["kind"] == "line"].geometry.to_numpy())
    if len(lines):
        ax.add_collection(LineCollection([np.asarray(g.coords)[:, :2] for g in lines], colors=COLOUR,
                                         linewidths=LINE_PT, zorder=21))
    pts = inside[inside["kind"].isin(["point", "note"])]
    if len(pts):
        xy = shapely.get_coordinates(shapely.get_parts(pts.geometry.to_numpy()))
        ax.scatter(xy[:, 0], xy[:, 1], s=22, color=COLOUR, edgecolors="white", linewidths=0.6, zorder=22)


def text_points(gdf: gpd.GeoDataFrame) -> list[tuple[float, float, str]]:
    """(x, y, text) of every feature with text, at the point itself or a point inside the shape, in the
    frame's CRS: what a print writes on the map as PDF text."""
    if gdf is None or not len(gdf):
        return []
    with_text = gdf[gdf["text"].astype(str).str.len() > 0]
    pts = with_text.geometry.representative_point()
    return [(float(p.x), float(p.y), str(t)) for p, t in zip(pts, with_text["text"], strict=True)]
