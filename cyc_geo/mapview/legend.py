"""Class breaks, perceptual colour ramps and map legends drawn as plain HTML.

branca's colormaps pull d3 from a CDN (unreachable at run time here), so cyc-geo
draws its own legends: a small HTML block that :mod:`cyc_geo.mapview.webmap` places in a
Leaflet control, and that the HTML/PNG exports reuse unchanged.

Class breaks come from :mod:`mapclassify` (Fisher-Jenks natural breaks by
default, the usual choropleth choice; quantiles and equal intervals on request).
Colours come from perceptually ordered palettes: the ColorBrewer sequential
schemes (Brewer, Harrower & Hatchard 2003, https://colorbrewer2.org) and
matplotlib's viridis (van der Walt & Smith 2015), sampled at 9 even steps.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field

import mapclassify
import numpy as np
from numpy.typing import ArrayLike

PALETTES: dict[str, tuple[str, ...]] = {
    # ColorBrewer 9-class sequential schemes
    "YlOrRd": ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"),
    "Greens": ("#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"),
    "YlOrBr": ("#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#993404", "#662506"),
    "Blues": ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"),
    # matplotlib viridis sampled at np.linspace(0, 1, 9)
    "viridis": ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"),
}

JENKS_SAMPLE = 120
"""Natural breaks on more values use this many evenly spaced order statistics (see class_breaks)."""

SCHEMES = {
    "natural_breaks": mapclassify.FisherJenks,
    "quantiles": mapclassify.Quantiles,
    "equal_interval": mapclassify.EqualInterval,
}


def palette(name: str, k: int) -> list[str]:
    """``k`` colours spread evenly over a 9-step palette (light to dark for ColorBrewer).

    For k < 9 the palette's lightest step is skipped so that the lowest class
    still stands out on a light basemap.
    """
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; choose from {sorted(PALETTES)}")
    if not 1 <= k <= 9:
        raise ValueError("k must be between 1 and 9")
    steps = PALETTES[name]
    start = 0 if k == 9 or name == "viridis" else 1
    idx = np.round(np.linspace(start, len(steps) - 1, k)).astype(int)
    return [steps[i] for i in idx]


def _bins(scheme: str, v: np.ndarray, k: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure-Python path is fine at this size
        return np.asarray(SCHEMES[scheme](v, k=k).bins, dtype=float)


def class_breaks(values: ArrayLike, k: int = 5, scheme: str = "natural_breaks") -> list[float]:
    """Upper bounds of ``k`` classes (the last one is the maximum), NaN ignored.

    Fewer distinct values than ``k`` give fewer classes; an empty input gives ``[]``.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    distinct = np.unique(v)
    if distinct.size <= k:
        return [float(x) for x in distinct]
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose from {sorted(SCHEMES)}")
    if scheme == "natural_breaks" and v.size > JENKS_SAMPLE:
        # Fisher-Jenks is O(n² k) (seconds on 1,500 values without numba): run it on evenly
        # spaced order statistics, deterministic unlike mapclassify.FisherJenksSampled,
        # and keep the true maximum as the top break.
        sample = np.quantile(v, np.linspace(0.0, 1.0, JENKS_SAMPLE), method="inverted_cdf")
        bins = _bins(scheme, sample, k)
        bins[-1] = v.max()
    else:
        bins = _bins(scheme, v, k)
    return [float(b) for b in np.unique(bins)]


def classify(values: ArrayLike, breaks: list[float]) -> np.ndarray:
    """Class index of each value: the first break it does not exceed (vectorised); -1 for NaN."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), v, side="left")
    idx = np.minimum(idx, max(len(breaks) - 1, 0))
    return np.where(np.isfinite(v), idx, -1)


def colours_for(values: ArrayLike, breaks: list[float], palette_name: str, missing: str = "#cccccc") -> np.ndarray:
    """Hex colour of each value under ``breaks`` and a palette (vectorised)."""
    if not breaks:
        return np.full(np.shape(values), missing, dtype=object)
    cols = np.array(palette(palette_name, len(breaks)) + [missing], dtype=object)
    return cols[classify(values, breaks)]


def _fmt(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.1f}"
    return f"{x:.2g}"


def range_labels(breaks: list[float], low: float | None = None) -> list[str]:
    """``"a – b"`` labels of the classes, starting at ``low`` (default: 0 or the first break)."""
    labels = []
    prev = low if low is not None else min(0.0, breaks[0]) if breaks else 0.0
    for b in breaks:
        labels.append(f"{_fmt(prev)} – {_fmt(b)}")
        prev = b
    return labels


@dataclass
class LegendSection:
    """One layer's legend: a title and rows of (kind, colour, label).

    ``kind`` is ``"fill"`` (a square swatch), ``"line"`` (a stroke; ``dash`` for
    dashed lines), ``"outline"`` (a dashed, unfilled square: context-only features) or ``"point"`` (a circle).
    """

    title: str
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    note: str = ""
    dash: str | None = None
    only: str = ""
    """``"agg"`` or ``"detail"``: shown only below / from building zoom (the map toggles
    the class ``cyc-zoom-detail`` on its container); empty = always."""


def choropleth_section(title: str, breaks: list[float], palette_name: str, unit: str = "", note: str = "") -> LegendSection:
    """Legend rows for a classed choropleth."""
    cols = palette(palette_name, len(breaks)) if breaks else []
    labels = range_labels(breaks)
    suffix = f" {unit}" if unit else ""
    return LegendSection(title, [("fill", c, lab + suffix) for c, lab in zip(cols, labels, strict=True)], note)


def _swatch(kind: str, colour: str, dash: str | None) -> str:
    c = html.escape(colour)
    if kind == "line":
        style = f"border-top:3px {'dashed' if dash else 'solid'} {c};height:0;margin-top:7px"
        return f'<span class="cyc-sw" style="{style}"></span>'
    if kind == "outline":
        return f'<span class="cyc-sw" style="border:2px dashed {c};box-sizing:border-box"></span>'
    if kind == "point":
        return f'<span class="cyc-sw" style="background:{c};border-radius:50%;border:1px solid #333"></span>'
    return f'<span class="cyc-sw" style="background:{c};border:1px solid rgba(0,0,0,.35)"></span>'


LEGEND_CSS = (
    ".cyc-legend{background:rgba(255,255,255,.93);padding:6px 9px;border-radius:5px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.35);max-height:46vh;overflow:auto;"
    "font:12px/1.35 'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;color:#222;min-width:150px}"
    ".cyc-legend h4{margin:4px 0 2px;font-size:12.5px;font-weight:700}"
    ".cyc-legend .cyc-row{display:flex;align-items:center;gap:6px;margin:1px 0}"
    ".cyc-legend .cyc-sw{display:inline-block;width:16px;height:12px;flex:none}"
    ".cyc-legend .cyc-note{color:#555;font-size:11px;max-width:220px}"
    ".cyc-legend .cyc-title{font-weight:700;font-size:13px;border-bottom:1px solid #ddd;margin-bottom:3px;"
    "cursor:pointer;user-select:none}"
    ".cyc-legend .cyc-title::after{content:' \\25BE';color:#777}"
    ".cyc-legend.cyc-collapsed .cyc-title::after{content:' \\25B8'}"
    ".cyc-legend.cyc-collapsed .cyc-title{border-bottom:0;margin-bottom:0}"
    ".cyc-legend.cyc-collapsed .cyc-sec,.cyc-legend.cyc-collapsed>.cyc-note{display:none}"
    ".cyc-zoom-detail .cyc-only-agg{display:none}"
    ".leaflet-container:not(.cyc-zoom-detail) .cyc-only-detail{display:none}"
)


def legend_html(sections: list[LegendSection], heading: str = "", footer: str = "") -> str:
    """The legend block (HTML, text escaped) for the given sections."""
    parts = ['<div class="cyc-legend">']
    if heading:
        # a click on the heading folds the legend away (and back): on a small map or in a compare it covers the map
        parts.append(f'<div class="cyc-title" role="button" tabindex="0" '
                     f'onclick="this.parentNode.classList.toggle(\'cyc-collapsed\')">{html.escape(heading)}</div>')
    for sec in sections:
        cls = f"cyc-sec cyc-only-{sec.only}" if sec.only else "cyc-sec"
        parts.append(f'<div class="{cls}"><h4>{html.escape(sec.title)}</h4>')
        for kind, colour, label in sec.rows:
            parts.append(f'<div class="cyc-row">{_swatch(kind, colour, sec.dash)}<span>{html.escape(label)}</span></div>')
        if sec.note:
            parts.append(f'<div class="cyc-note">{html.escape(sec.note)}</div>')
        parts.append("</div>")
    if footer:
        parts.append(f'<div class="cyc-note">{html.escape(footer)}</div>')
    parts.append("</div>")
    return "".join(parts)
