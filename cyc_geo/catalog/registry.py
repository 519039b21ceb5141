"""The layer registry: one declarative TOML file per map layer in ``layers/``.

A layer file names the layer (id, Chinese and English titles), the loader that
returns its GeoDataFrame (``module:function``), its geometry type, style, tooltip
fields and legend. The app and the CLI both read the registry; adding a layer is
adding one file.

Example (``layers/townships.toml``)::

    id = "townships"
    title_zh = "乡镇（街道）"
    title_en = "Townships"
    loader = "cyc_geo.places.townships:load_townships"
    geometry = "polygon"
    order = 20
    default_on = true
    tooltip = ["name", "code", "area_km2"]
    label = "name"
    [style]
    color = "#444444"
"""

from __future__ import annotations

import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from cyc_geo import paths

GEOMETRY_TYPES = {"point", "line", "polygon", "raster"}


@dataclass(frozen=True)
class LayerDef:
    id: str
    title_zh: str
    title_en: str
    loader: str
    geometry: str
    order: int = 100
    default_on: bool = True
    tooltip: tuple[str, ...] = ()
    tooltip_labels_zh: tuple[str, ...] = ()
    tooltip_labels_en: tuple[str, ...] = ()
    label: str | None = None
    style: dict[str, Any] = field(default_factory=dict)
    legend: dict[str, Any] = field(default_factory=dict)
    big: bool = False
    """Large layers (e.g. ~250k roofs) are drawn aggregated at county zoom; see the app."""
    schema: dict[str, Any] = field(default_factory=dict)
    """Optional import schema (``[schema]`` table): ``required`` / ``optional`` column names,
    ``aliases`` {column: [names in planner files]}, ``types`` {column: "str"|"int"|"float"};
    used by :mod:`cyc_geo.ingest.importer` to map planner columns."""

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def tooltip_labels(self, lang: str) -> tuple[str, ...]:
        labels = self.tooltip_labels_zh if lang == "zh" else self.tooltip_labels_en
        return labels if len(labels) == len(self.tooltip) else self.tooltip

    def load(self) -> gpd.GeoDataFrame:
        """Call the layer's loader and return its GeoDataFrame (WGS84, provenance in ``attrs``)."""
        module_name, func_name = self.loader.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        return func()


def parse_layer(data: dict[str, Any], source: str = "<dict>") -> LayerDef:
    """Validate one layer definition; raises ``ValueError`` naming the file on a bad field."""
    for key in ("id", "title_zh", "title_en", "loader", "geometry"):
        if key not in data:
            raise ValueError(f"{source}: missing required key {key!r}")
    if data["geometry"] not in GEOMETRY_TYPES:
        raise ValueError(f"{source}: geometry must be one of {sorted(GEOMETRY_TYPES)}")
    if ":" not in data["loader"]:
        raise ValueError(f"{source}: loader must be 'module:function'")
    tuple_keys = ("tooltip", "tooltip_labels_zh", "tooltip_labels_en")
    kwargs = {k: (tuple(v) if k in tuple_keys else v) for k, v in data.items()}
    return LayerDef(**kwargs)


def load_registry(layers_dir: Path | None = None) -> list[LayerDef]:
    """All layer definitions, sorted by ``order`` then id. Duplicate ids are an error."""
    folder = Path(layers_dir or paths.LAYERS_DIR)
    defs = []
    for path in sorted(folder.glob("*.toml")):
        with open(path, "rb") as fh:
            defs.append(parse_layer(tomllib.load(fh), source=path.name))
    ids = [d.id for d in defs]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate layer ids in {folder}: {sorted(dupes)}")
    return sorted(defs, key=lambda d: (d.order, d.id))


def get_layer(layer_id: str, layers_dir: Path | None = None) -> LayerDef:
    """The definition of one layer by id."""
    for layer in load_registry(layers_dir):
        if layer.id == layer_id:
            return layer
    raise KeyError(f"unknown layer id {layer_id!r}")
