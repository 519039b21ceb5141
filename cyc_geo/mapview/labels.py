"""Where the map writes each feature's name: label positions that do not overlap at the county view.

A label is centred on its feature's representative point when that leaves it clear of the labels
placed before it; otherwise it moves to the nearest free position on a grid of offsets around that
point, preferring positions whose centre stays inside the feature. Placement is done once, in pixels
of the web-mercator view at :data:`LABEL_ZOOM` (the map's opening county view); zooming in spreads the
points apart while labels keep their pixel size, so labels clear at that zoom stay clear when zoomed in.

Text widths are estimated from the label style (:data:`cyc_geo.mapview.webmap.LABEL_CSS`, 600 12px
Noto Sans CJK): a CJK character is one em (12 px), a Latin character about 0.62 em on average for
the bold face. No Streamlit here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

import shapely

LABEL_ZOOM = 10
"""Zoom of the map's opening county view (:class:`cyc_geo.mapview.webmap.MapState`), placed for."""
FONT_PX = 12.0
LINE_PX = 16.0
"""Label box height: 12 px text and its halo."""
LATIN_EM = 0.62
PAD_PX = 3.0
"""Gap kept between two labels."""

EN_SUFFIX = re.compile(r"\s+(Subdistrict|Town|Township)$")
"""English township types left off the map's labels (the tooltip keeps the full name): the pinyin name
alone is what maps print; "Zhangsanzhai Town" is 40 % wider than "Zhangsanzhai"."""


def short_label(text: str, lang: str) -> str:
    """The label printed on the map: in English without the township type suffix."""
    return EN_SUFFIX.sub("", text) if lang == "en" else text


def text_width_px(text: str) -> float:
    """Estimated width (px) of ``text`` in the labels' font: East Asian wide characters 1 em, others 0.62 em."""
    return sum(FONT_PX if unicodedata.east_asian_width(c) in "WF" else FONT_PX * LATIN_EM for c in text)


def _pixels(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web-mercator pixel coordinates of (lon, lat) at ``zoom`` (256 px tiles)."""
    scale = 256.0 * 2.0**zoom
    x = (lon + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def _lonlat(x: float, y: float, zoom: int) -> tuple[float, float]:
    scale = 256.0 * 2.0**zoom
    lon = x / scale * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / scale))))
    return lon, lat


def _offsets(max_dx: float, max_dy: float, step_x: float = 6.0, step_y: float = 6.0) -> list[tuple[float, float]]:
    """Offsets (px) in a grid around the anchor, nearest first (vertical moves count a little more)."""
    nx, ny = int(max_dx // step_x), int(max_dy // step_y)
    grid = [(i * step_x, j * step_y) for i in range(-nx, nx + 1) for j in range(-ny, ny + 1)]
    return sorted(grid, key=lambda d: (d[0] ** 2 + 1.5 * d[1] ** 2, abs(d[1]), d[0]))


def _free(p: tuple[float, float], half: tuple[float, float], boxes: list[tuple[float, float, float, float]]) -> bool:
    """Whether a label box centred at ``p`` (half width, half height ``half``) overlaps none of ``boxes``."""
    (cx, cy), (hw, hh) = p, half
    return all(cx + hw <= b[0] or b[2] <= cx - hw or cy + hh <= b[1] or b[3] <= cy - hh for b in boxes)


def place(points: Sequence[tuple[float, float]], texts: Sequence[str], shapes: Sequence[shapely.Geometry] | None = None,
          zoom: int = LABEL_ZOOM, max_shift_px: tuple[float, float] = (60.0, 36.0)) -> list[tuple[float, float]]:
    """(lon, lat) of each label, so that no two label boxes overlap at ``zoom`` where avoidable.

    ``points``: each label's anchor (lon, lat, WGS84), ``shapes``: the features (WGS84) a moved label's
    centre should stay inside. Labels are placed widest first (they have the fewest free positions);
    a label with no free position within ``max_shift_px`` stays at its anchor.
    """
    boxes: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float] | None] = [None] * len(points)
    order = sorted(range(len(points)), key=lambda i: -text_width_px(texts[i]))
    offsets = _offsets(*max_shift_px)
    for i in order:
        ax, ay = _pixels(*points[i], zoom)
        half = (text_width_px(texts[i]) / 2 + PAD_PX / 2, LINE_PX / 2 + PAD_PX / 2)
        shape = shapes[i] if shapes is not None else None
        spots = [(ax + dx, ay + dy) for dx, dy in offsets]
        clear = [p for p in spots if _free(p, half, boxes)]
        chosen = next((p for p in clear if shape is None or shape.contains(shapely.Point(*_lonlat(*p, zoom)))),
                      clear[0] if clear else (ax, ay))
        boxes.append((chosen[0] - half[0], chosen[1] - half[1], chosen[0] + half[0], chosen[1] + half[1]))
        out[i] = _lonlat(*chosen, zoom)
    return [p for p in out if p is not None]
