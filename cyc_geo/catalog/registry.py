"""The layer registry: one declarative TOML file per map layer in ``layers/``.

A layer file names the layer (id, Chinese and English titles), where its data comes from,
its geometry type, style, tooltip fields, legend and the behaviours the map gives it. The
app and the CLI both read the registry; adding a layer is adding one file, with no Python
when its data is a file.

Where the data comes from (:func:`cyc_geo.catalog.loader.load_layer` loads every layer by id, in
one order: the planner's imported version or a file in ``data/boundaries/`` named after the id,
else ``source``, else ``demo``, then ``transform``):

- ``source = "<path relative to the data folder>"``: the layer's own file (GeoPackage, GeoJSON,
  Shapefile, zip, GeoParquet; a GeoTIFF for ``geometry = "raster"``). In a GeoPackage the layer
  named ``source_layer`` (default: the layer id) is read, else the first;
- ``demo = "module:function"``: the builder that writes the file when it is missing (demo data,
  flagged demo in the file's provenance) and returns its path. A layer whose file name depends on
  other data (forest patches derived from the land cover in use) may give ``demo`` without
  ``source``: the builder then returns the current file (building it when needed) on every load;
- ``demo_stale = "module:function(path) -> bool"``: true when an existing source file was written
  by an older demo generator and must be rebuilt;
- ``transform_version = "module:function() -> str"``: what else the transform reads (database edits), as a
  string that changes with it; part of the layer's source version;
- ``transform = "module:function"``: a function GeoDataFrame -> GeoDataFrame applied after
  reading (derived columns: roofs assigned to townships, areas, H3 cells); it may load other
  layers by id through the catalogue. Raster layers: the loader returns the raster's footprint
  row (``path``, ``resolution``) and the transform sees that; the cells are read from
  :func:`cyc_geo.catalog.loader.layer_path`.

At least one of ``source`` and ``demo`` is required. A layer definition is plain data: the
registry imports no builder or transform.

Behaviour keys (all optional): ``clickable`` (a click on the map lists the feature; default
true), ``county_check`` (imports are checked against the county outline; default true),
``big`` (drawn aggregated into H3 cells at county zoom, as vector tiles closer in) with
``hex_resolution``, ``scenario = "pv"`` (features carry the PV scenario's per-roof results),
``click_details = "township_pv"`` (a click adds the township's PV figures),
``vintages``, ``versions_from`` and ``dated_by`` (the layer's dated versions, :mod:`cyc_geo.catalog.vintages`),
``year_frame`` (the layer as of a year on the map),
``feeds_indicators`` (the layer's figures feed pilot indicators, so its demo status is shown
on the indicators page), ``searchable`` (the map's place search finds its features by name). ``[style]``, ``[legend]``
and ``[table]`` are typed: unknown keys or wrong types are refused with the file's name.

``[table]`` (optional) is the layer's attribute table on the map page (:mod:`cyc_geo.mapview.attribute_table`):
``columns`` (fields, in order), ``labels_zh`` / ``labels_en`` (header labels, one per column), ``units``
{field: unit shown in the header}, ``kinds`` {field: "number" | "class" | "text"} where the column's type does not
say it, ``words_zh`` / ``words_en`` {field: {coded value: word}} (``rural`` → 农村居民). Without it every vector
layer still gets a table of its tooltip fields.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypedDict

from cyc_geo import paths
from cyc_geo.places.profile import profile

GEOMETRY_TYPES = {"point", "line", "polygon", "raster"}
LEGEND_KINDS = {"categories", "line", "fill", "point"}
SCENARIOS = {"pv"}
CLICK_DETAILS = {"township_pv"}


class LayerStyle(TypedDict, total=False):
    """The ``[style]`` table. Colours are CSS hex strings; widths in screen pixels."""

    color: str
    weight: float
    dash_array: str
    fill_color: str
    fill_opacity: float
    opacity: float
    category_field: str
    category_colors: dict[str, str]
    category_codes: dict[str, int]
    """Small integer per category inside vector tiles (keeps big layers' tiles small)."""
    raster_rgba: str
    """``module:function(path) -> (rgba, bounds)`` drawing a raster layer as web-mercator RGBA."""
    passive_categories: list[str]
    """Categories drawn for context only: outline, under the others, never picked by a click."""
    passive_style: dict[str, Any]
    """Style of the passive categories (``color``, ``weight``, ``dash_array``, ``fill_opacity``)."""
    hex_palette: str
    """Palette of a big layer's hexagons (a name in :data:`cyc_geo.mapview.legend.PALETTES`)."""
    stroke_col: str
    """Column of per-feature line colours (hexagons drawn as outlines, :func:`cyc_geo.mapview.payloads.hex_layer_def`)."""


class TableSpec(TypedDict, total=False):
    """The ``[table]`` table: the attribute table's columns (default: the tooltip fields and labels)."""

    columns: list[str]
    labels_zh: list[str]
    labels_en: list[str]
    units: dict[str, str]
    """Unit per field, shown in the header (``面积 (m²)``) and used to round the Excel export."""
    kinds: dict[str, str]
    """``number`` (range filter, sum/mean), ``class`` (equals filter, counts) or ``text`` (contains filter)."""
    words_zh: dict[str, dict[str, str]]
    """{field: {coded value: word}}: coded values shown as words in the table and its exports (Chinese)."""
    words_en: dict[str, dict[str, str]]


class LegendSpec(TypedDict, total=False):
    """The ``[legend]`` table."""

    kind: str
    labels_zh: dict[str, str]
    labels_en: dict[str, str]
    source: str
    """``module:function() -> DataFrame`` of classes (``value``, ``code``, ``name_zh``, ``name_en``,
    ``color``), e.g. the land-cover class table."""


_STYLE_TYPES: dict[str, type | tuple[type, ...]] = {
    "color": str, "weight": (int, float), "dash_array": str, "fill_color": str, "fill_opacity": (int, float),
    "opacity": (int, float), "category_field": str, "category_colors": dict, "category_codes": dict,
    "raster_rgba": str, "passive_categories": list, "passive_style": dict, "hex_palette": str,
}
_LEGEND_TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str, "labels_zh": dict, "labels_en": dict, "source": str,
}
_TABLE_TYPES: dict[str, type | tuple[type, ...]] = {
    "columns": list, "labels_zh": list, "labels_en": list, "units": dict, "kinds": dict, "words_zh": dict,
    "words_en": dict,
}
TABLE_KINDS = {"number", "class", "text"}


def import_ref(ref: str) -> Callable[..., Any]:
    """The function named by ``"module:function"``."""
    module_name, func_name = ref.split(":")
    return getattr(importlib.import_module(module_name), func_name)


@dataclass(frozen=True)
class LayerDef:
    """One map layer as declared in its TOML file (see the module docstring for the keys)."""

    id: str
    title_zh: str
    title_en: str
    geometry: str
    source: str | None = None
    """File of the layer's data, relative to the data folder (see the module docstring)."""
    source_layer: str | None = None
    """Layer of a GeoPackage ``source`` to read (default: the layer id)."""
    demo: str | None = None
    """``module:function() -> Path`` writing the layer's file when it is missing."""
    demo_stale: str | None = None
    """``module:function(path) -> bool``: the existing file must be rebuilt by ``demo``."""
    transform: str | None = None
    """``module:function(GeoDataFrame) -> GeoDataFrame`` applied after reading."""
    transform_version: str | None = None
    """``module:function() -> str``: the state outside the layer's files that ``transform`` reads (saved edits in
    the database); part of the layer's source version (:func:`cyc_geo.catalog.sources.source_version`), so a
    saved edit renews every cache of the layer."""
    vintages: str | None = None
    """``module:function() -> dict[int, Path]``: the demo's dated versions of the layer (data year -> file,
    built when missing), used while the layer is served by its demo (:mod:`cyc_geo.catalog.vintages`)."""
    versions_from: str | None = None
    """Id of the layer whose versions this derived layer follows (forest patches derived from the land cover)."""
    dated_by: str | None = None
    """Column holding each row's date (a ledger): its version for year Y is its rows dated by 31 Dec of Y."""
    year_frame: str | None = None
    """``module:function(year) -> GeoDataFrame``: the layer as the map draws it for a year (the ledger's rows
    connected by 31 Dec, the forest patches of that year's land cover); :func:`cyc_geo.catalog.vintages.layer_for_year`."""
    order: int = 100
    default_on: bool = True
    tooltip: tuple[str, ...] = ()
    tooltip_labels_zh: tuple[str, ...] = ()
    tooltip_labels_en: tuple[str, ...] = ()
    label: str | None = None
    style: LayerStyle = field(default_factory=LayerStyle)
    legend: LegendSpec = field(default_factory=LegendSpec)
    table: TableSpec = field(default_factory=TableSpec)
    """The attribute table's columns (``[table]``; default: the tooltip fields)."""
    big: bool = False
    """Large layers (e.g. ~250k roofs) are drawn aggregated at county zoom; see the app."""
    hex_resolution: int = 7
    """H3 resolution of a big layer's county-zoom cells (7: mean cell 5.2 km²; 8: 0.74 km²)."""
    clickable: bool = True
    county_check: bool = True
    scenario: str | None = None
    click_details: str | None = None
    feeds_indicators: bool = False
    searchable: bool = False
    """The map's place search lists this layer's features by ``name`` (townships, villages, projects)."""
    schema: dict[str, Any] = field(default_factory=dict)
    """Optional import schema (``[schema]`` table): ``required`` / ``optional`` column names,
    ``aliases`` {column: [names in planner files]}, ``types`` {column: "str"|"int"|"float"},
    ``unique`` [key columns whose values must be present and distinct];
    used by :mod:`cyc_geo.ingest.importer` to map planner columns."""

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def tooltip_labels(self, lang: str) -> tuple[str, ...]:
        labels = self.tooltip_labels_zh if lang == "zh" else self.tooltip_labels_en
        return labels if len(labels) == len(self.tooltip) else self.tooltip

    def legend_labels(self, lang: str) -> dict[str, str]:
        """Category labels of the legend in ``lang`` (empty when the layer has none)."""
        return dict(self.legend.get("labels_zh", {}) if lang == "zh" else self.legend.get("labels_en", {}))


_FIELD_NAMES = {f.name for f in fields(LayerDef)}


def _check_table(table: Any, types: dict[str, type | tuple[type, ...]], name: str, source: str) -> None:
    if not isinstance(table, dict):
        raise ValueError(f"{source}: [{name}] must be a table")
    for key, value in table.items():
        if key not in types:
            raise ValueError(f"{source}: unknown key {key!r} in [{name}] (known: {sorted(types)})")
        want = types[key]
        if isinstance(value, bool) or not isinstance(value, want):
            raise ValueError(f"{source}: [{name}] {key} has the wrong type ({type(value).__name__})")


def _check_attribute_table(table: Any, source: str) -> None:
    _check_table(table, _TABLE_TYPES, "table", source)
    columns = table.get("columns", [])
    for key in ("labels_zh", "labels_en"):
        if key in table and len(table[key]) != len(columns):
            raise ValueError(f"{source}: [table] {key} must have one label per column ({len(columns)})")
    bad = {k: v for k, v in table.get("kinds", {}).items() if v not in TABLE_KINDS}
    if bad:
        raise ValueError(f"{source}: [table] kinds must be one of {sorted(TABLE_KINDS)}, got {bad}")


def _check_ref(data: dict[str, Any], key: str, source: str) -> None:
    if key in data and ":" not in str(data[key]):
        raise ValueError(f"{source}: {key} must be 'module:function'")


def parse_layer(data: dict[str, Any], source: str = "<dict>") -> LayerDef:
    """Validate one layer definition; raises ``ValueError`` naming the file on a bad field."""
    for key in ("id", "title_zh", "title_en", "geometry"):
        if key not in data:
            raise ValueError(f"{source}: missing required key {key!r}")
    unknown = set(data) - _FIELD_NAMES
    if unknown:
        raise ValueError(f"{source}: unknown keys {sorted(unknown)}")
    if data["geometry"] not in GEOMETRY_TYPES:
        raise ValueError(f"{source}: geometry must be one of {sorted(GEOMETRY_TYPES)}")
    if "source" not in data and "demo" not in data:
        raise ValueError(f"{source}: give 'source' (a data file) and/or 'demo' (module:function writing it)")
    for key in ("demo", "demo_stale", "transform", "transform_version", "vintages", "year_frame"):
        _check_ref(data, key, source)
    if "source" in data and (Path(data["source"]).is_absolute() or ".." in Path(data["source"]).parts):
        raise ValueError(f"{source}: source must be a path inside the data folder, got {data['source']!r}")
    _check_table(data.get("style", {}), _STYLE_TYPES, "style", source)
    _check_table(data.get("legend", {}), _LEGEND_TYPES, "legend", source)
    _check_attribute_table(data.get("table", {}), source)
    kind = data.get("legend", {}).get("kind")
    if kind is not None and kind not in LEGEND_KINDS:
        raise ValueError(f"{source}: legend kind must be one of {sorted(LEGEND_KINDS)}")
    _check_ref(data.get("legend", {}), "source", source)
    _check_ref(data.get("style", {}), "raster_rgba", source)
    if data.get("scenario") not in (None, *SCENARIOS):
        raise ValueError(f"{source}: scenario must be one of {sorted(SCENARIOS)}")
    if data.get("click_details") not in (None, *CLICK_DETAILS):
        raise ValueError(f"{source}: click_details must be one of {sorted(CLICK_DETAILS)}")
    tuple_keys = ("tooltip", "tooltip_labels_zh", "tooltip_labels_en")
    kwargs: dict[str, Any] = {k: (tuple(v) if k in tuple_keys else v) for k, v in data.items()}
    kwargs["title_zh"], kwargs["title_en"] = _county_names(data["title_zh"]), _county_names(data["title_en"])
    return LayerDef(**kwargs)


def _county_names(title: str) -> str:
    """``{name_zh}``, ``{full_en}``, ``{devzone_zh}`` … in a layer title -> the county profile's names."""
    p = profile()
    for key in ("name_zh", "short_zh", "name_en", "full_en", "devzone_zh", "devzone_en"):
        title = title.replace("{" + key + "}", getattr(p, key))
    return title


_CACHE: dict[Path, tuple[tuple[tuple[str, int, int], ...], list[LayerDef]]] = {}


def _signature(files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in files:
        st = path.stat()
        out.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def load_registry(layers_dir: Path | None = None) -> list[LayerDef]:
    """All layer definitions, sorted by ``order`` then id. Duplicate ids are an error.

    Parsed once per process and folder; a TOML file added, changed or removed is picked up on
    the next call (the folder is listed and stat-ed, not parsed, when nothing changed).
    """
    folder = Path(layers_dir or paths.layers_dir())
    files = sorted(folder.glob("*.toml"))
    sig = _signature(files)
    hit = _CACHE.get(folder)
    if hit is not None and hit[0] == sig:
        return list(hit[1])
    defs = []
    for path in files:
        with open(path, "rb") as fh:
            defs.append(parse_layer(tomllib.load(fh), source=path.name))
    ids = [d.id for d in defs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate layer ids in {folder}: {sorted(dupes)}")
    out = sorted(defs, key=lambda d: (d.order, d.id))
    _CACHE[folder] = (sig, out)
    return list(out)


def registry_signature(layers_dir: Path | None = None) -> tuple[tuple[str, int, int], ...]:
    """(file name, modification time in ns, size) of every layer TOML: changes whenever a definition does
    (a cache key for what is drawn from the definitions)."""
    folder = Path(layers_dir or paths.layers_dir())
    return _signature(sorted(folder.glob("*.toml")))


def get_layer(layer_id: str, layers_dir: Path | None = None) -> LayerDef:
    """The definition of one layer by id."""
    for layer in load_registry(layers_dir):
        if layer.id == layer_id:
            return layer
    raise KeyError(f"unknown layer id {layer_id!r}")
