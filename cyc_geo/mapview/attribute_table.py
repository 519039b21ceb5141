"""The attribute table of a vector layer (no Streamlit here): its columns, filters, sort, summary, one page, exports.

Every vector layer of the registry has one. Its columns are the TOML's ``[table]`` (``columns``, ``labels_zh`` /
``labels_en``, ``units``, ``kinds``), else the layer's tooltip fields and labels, so a new layer gets a table without
code. A column is a ``number`` (range filter; sum and mean), a ``class`` (equals filter; counts per value) or
``text`` (contains filter); the kind is the TOML's, else the column's type (numbers), else ``class`` when it has at
most :data:`CLASS_MAX` distinct values.

Big layers (249k roofs) are filtered and sorted here, on the server, over a plain attribute frame (no geometries)
whose index is the feature's row position in the loaded layer; the browser receives one page (:func:`page`).
"In the current map view" tests each feature's bounding box (:func:`feature_bounds`, computed once per layer
version) against the view's (west, south, east, north).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.exports import excel
from cyc_geo.exports.meta import ExportMeta
from cyc_geo.mapview.locate import Hit
from cyc_geo.mapview.payloads import in_lang

CLASS_MAX = 50
"""A text column with at most this many distinct values is a class (equals filter, counts): project choice, the
18 townships and the 三调 classes of a layer fit."""
PAGE_SIZE = 200
"""Rows sent to the browser at once (project choice: one screen of scrolling, small enough for 249k roofs)."""
MAX_ZOOM = 17
"""Closest zoom a row click opens at (project choice: a single roof fills a good part of the view)."""
_UNIT = re.compile(r"\s*[（(]([^()（）]+)[)）]\s*$")


@dataclass(frozen=True)
class Column:
    """One column of a layer's table: ``field`` in the layer, ``label`` (with its unit), ``unit``, ``kind``."""

    field: str
    label: str
    unit: str | None
    kind: str


@dataclass(frozen=True)
class FilterSpec:
    """What the table is filtered by: ``contains`` {field: text} (case-insensitive), ``equals`` {field: values},
    ``ranges`` {field: (low, high)} (inclusive, None: open), ``view`` (west, south, east, north) in WGS84 degrees."""

    contains: dict[str, str] = field(default_factory=dict)
    equals: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    view: tuple[float, float, float, float] | None = None


def _unit_of(label: str) -> str | None:
    m = _UNIT.search(label)
    return m.group(1).strip() if m else None


def table_columns(layer: LayerDef, lang: str, frame: pd.DataFrame) -> list[Column]:
    """The columns of ``layer``'s table in ``lang`` that ``frame`` has (``[table]``, else the tooltip fields; the
    first 8 attribute columns when neither names any). The unit is the TOML's, else the label's ``(…)``."""
    spec = layer.table
    if spec.get("columns"):
        fields = list(spec["columns"])
        labels = list((spec.get("labels_zh") if lang == "zh" else spec.get("labels_en")) or fields)
    else:
        fields, labels = list(layer.tooltip), list(layer.tooltip_labels(lang))
    pairs = [(f, lab) for f, lab in zip(fields, labels, strict=True) if f in frame.columns]
    if not pairs:
        pairs = [(c, c) for c in frame.columns if c != "geometry"][:8]
    units, kinds = spec.get("units", {}), spec.get("kinds", {})
    out = []
    for f, lab in pairs:
        unit = units.get(f) or _unit_of(lab)
        out.append(Column(f, excel.header_label(lab, unit), unit, kinds.get(f) or _kind(frame[f])))
    return out


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "class"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    return "class" if s.nunique(dropna=True) <= CLASS_MAX else "text"


def attribute_frame(gdf: gpd.GeoDataFrame, columns: list[Column], lang: str = "zh",
                    words: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """The table's columns of ``gdf`` without geometries; the index is each feature's row position in ``gdf``.

    Values are shown as the map's side panel shows them: in English a field with an English twin (``name`` →
    ``name_en``) takes the twin where it has one, and coded columns of
    :data:`cyc_geo.exports.display.WORD_COLUMNS` (a site's ``source``) and of ``words`` {field: {value: word}}
    (:func:`value_words`) become words in ``lang``; unknown values stay as they are."""
    from cyc_geo.exports.display import WORD_COLUMNS, word

    words = dict(words or {})
    out = pd.DataFrame({c.field: gdf[c.field].to_numpy() for c in columns})
    for c in columns:
        if c.kind == "number":
            continue
        s = out[c.field].astype("string")
        twin = f"{c.field}_en"
        if lang == "en" and twin in gdf.columns:
            en = pd.Series(gdf[twin].to_numpy()).astype("string").str.strip()
            s = en.where(en.notna() & (en != ""), s)
        if c.field in words:
            s = s.map(lambda v, w=words[c.field]: v if pd.isna(v) else w.get(str(v), v)).astype("string")
        elif c.field in WORD_COLUMNS:
            s = s.map(lambda v, w=WORD_COLUMNS[c.field]: v if pd.isna(v) else word(w, v, lang)).astype("string")
        out[c.field] = s
    return out


def value_words(layer: LayerDef, lang: str) -> dict[str, dict[str, str]]:
    """The ``[table]`` ``words_zh`` / ``words_en`` of ``layer`` in ``lang``: {field: {coded value: word}}."""
    spec = layer.table
    return {f: {str(k): str(v) for k, v in m.items()}
            for f, m in ((spec.get("words_zh") if lang == "zh" else spec.get("words_en")) or {}).items()}


def feature_bounds(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(west, south, east, north) of every feature in WGS84 degrees, shape (n, 4); NaN for empty geometries."""
    import shapely

    g = gdf.geometry if gdf.crs is None or gdf.crs.to_epsg() == 4326 else gdf.geometry.to_crs(4326)
    return shapely.bounds(g.to_numpy())


def filter_mask(frame: pd.DataFrame, spec: FilterSpec, bounds: np.ndarray | None = None) -> np.ndarray:
    """True for the rows of ``frame`` that pass every filter of ``spec`` (``bounds``: :func:`feature_bounds` of
    the same features, needed for ``spec.view``). Unknown fields are ignored."""
    mask = np.ones(len(frame), dtype=bool)
    for f, text in spec.contains.items():
        if f in frame.columns and str(text).strip():
            hit = frame[f].astype("string").str.contains(str(text).strip(), case=False, regex=False)
            mask &= hit.fillna(False).to_numpy(dtype=bool)
    for f, values in spec.equals.items():
        if f in frame.columns and values:
            mask &= frame[f].astype("string").isin([str(v) for v in values]).to_numpy(dtype=bool)
    for f, (low, high) in spec.ranges.items():
        if f not in frame.columns:
            continue
        v = pd.to_numeric(frame[f], errors="coerce").to_numpy(dtype=float)
        if low is not None:
            mask &= v >= low
        if high is not None:
            mask &= v <= high
    if spec.view is not None and bounds is not None:
        w, s, e, n = spec.view
        mask &= (bounds[:, 0] <= e) & (bounds[:, 2] >= w) & (bounds[:, 1] <= n) & (bounds[:, 3] >= s)
    return mask


def filtered(frame: pd.DataFrame, spec: FilterSpec, bounds: np.ndarray | None = None,
             sort: str | None = None, ascending: bool = True) -> pd.DataFrame:
    """The rows of ``frame`` passing ``spec``, sorted by ``sort`` (stable; missing values last), index kept."""
    out = frame[filter_mask(frame, spec, bounds)]
    if sort and sort in out.columns:
        out = out.sort_values(sort, ascending=ascending, kind="stable", na_position="last")
    return out


def page_count(n_rows: int, size: int = PAGE_SIZE) -> int:
    """Pages of ``size`` rows needed for ``n_rows`` (at least 1)."""
    return max(1, math.ceil(n_rows / size))


def page(frame: pd.DataFrame, number: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """Page ``number`` (1-based, clamped to the pages there are) of ``frame``."""
    number = min(max(1, int(number)), page_count(len(frame), size))
    return frame.iloc[(number - 1) * size: number * size]


def summary(frame: pd.DataFrame, columns: list[Column], lang: str, top: int = 10,
            value_labels: dict[str, dict[str, str]] | None = None) -> pd.DataFrame:
    """One row per column: numbers their count, sum and mean; classes their ``top`` values with counts (a value
    shown by its label in ``value_labels`` {field: {value: label}}, e.g. the legend's); text the count of values and
    of distinct ones. Columns ``列``/``Column``, ``统计``/``Statistic``."""
    rows = []
    value_labels = value_labels or {}
    for c in columns:
        s = frame[c.field]
        if c.kind == "number":
            v = pd.to_numeric(s, errors="coerce")
            n = int(v.notna().sum())
            text = in_lang(lang, f"{n:,} 个值；合计 {v.sum():,.2f}；平均 {v.mean():,.2f}" if n else "无数值",
                           f"{n:,} values; sum {v.sum():,.2f}; mean {v.mean():,.2f}" if n else "no values")
        elif c.kind == "class":
            counts = s[s.astype(str).str.strip() != ""].value_counts(dropna=True)  # an empty text is no value
            names = value_labels.get(c.field, {})
            parts = [f"{names.get(str(k), k)}: {int(n):,}" for k, n in counts.head(top).items()]
            if len(counts) > top:
                parts.append(in_lang(lang, f"另 {len(counts) - top} 类", f"{len(counts) - top} more"))
            text = ("；".join(parts) if lang == "zh" else "; ".join(parts)) or in_lang(lang, "无数值", "no values")
        else:
            text = in_lang(lang, f"{int(s.notna().sum()):,} 个值，{int(s.nunique()):,} 个不同",
                           f"{int(s.notna().sum()):,} values, {int(s.nunique()):,} distinct")
        rows.append((c.label, text))
    return pd.DataFrame(rows, columns=[in_lang(lang, "列", "Column"), in_lang(lang, "统计", "Statistic")])


def labelled(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """``frame`` with the columns' labels as headers (numbers stay numbers), index kept."""
    return frame[[c.field for c in columns]].rename(columns={c.field: c.label for c in columns})


def export_frame(frame: pd.DataFrame, columns: list[Column]) -> pd.DataFrame:
    """The rows to export: labelled headers, numbers as numbers, no index."""
    return labelled(frame, columns).reset_index(drop=True)


def excel_bytes(frame: pd.DataFrame, columns: list[Column], meta: ExportMeta) -> bytes:
    """The filtered rows as a workbook: the header block of ``meta`` (title, filters, sources), then one table whose
    numbers are numbers rounded for their unit (:func:`cyc_geo.exports.excel.write_table`)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = meta.text(("属性表", "Attribute table"))
    data = export_frame(frame, columns)
    excel.write_table(ws, data, excel.write_header(ws, meta), {c.label: c.unit for c in columns if c.unit})
    return excel.save_bytes(wb)


def csv_bytes(frame: pd.DataFrame, columns: list[Column]) -> bytes:
    """The filtered rows as CSV (:func:`cyc_geo.exports.cells.csv_bytes`: neutralised text, UTF-8 with BOM)."""
    from cyc_geo.exports.cells import csv_bytes as write

    return write(export_frame(frame, columns))


def feature_hit(layer_id: str, gdf: gpd.GeoDataFrame, position: int) -> Hit | None:
    """The feature at row ``position`` of ``gdf`` as a locate hit (a point on it and its bounds, WGS84), the way the
    locate box moves the map to a feature and shows it; None for a missing or empty geometry."""
    geom = gdf.geometry.iloc[int(position)]
    if geom is None or geom.is_empty:
        return None
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        geom = gpd.GeoSeries([geom], crs=gdf.crs).to_crs(4326).iloc[0]
    p = geom.representative_point()
    w, s, e, n = geom.bounds
    return Hit("feature", float(p.x), float(p.y), (float(w), float(s), float(e), float(n)), layer_id, int(position))


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int = 800, height_px: int = 500,
             max_zoom: int = MAX_ZOOM) -> int:
    """The closest web-mercator zoom (≤ ``max_zoom``) at which a ``width_px`` × ``height_px`` map shows ``bounds``
    whole (the inverse of :func:`cyc_geo.mapview.export.view_bounds`: 156,543.03 m × cos φ / 2^z a pixel)."""
    w, s, e, n = bounds
    lat = math.radians((s + n) / 2)
    width_m = max((e - w) * 111_320.0 * math.cos(lat), 1.0)
    height_m = max((n - s) * 111_320.0, 1.0)
    m_per_px = max(width_m / width_px, height_m / height_px)
    zoom = math.floor(math.log2(156_543.03392 * math.cos(lat) / m_per_px))
    return int(min(max_zoom, max(1, zoom)))
