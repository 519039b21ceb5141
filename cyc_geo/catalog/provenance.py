"""Provenance of loaded data (demo / approximate / real) and summaries of loaded layers.

:func:`provenance_of` is the one way to ask whether a layer, table or metadata mapping is demo or
approximate data; :func:`is_flag` is the low-level parser of one stored flag that it uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

if TYPE_CHECKING:
    from cyc_geo.catalog.registry import LayerDef

_LABELS = {
    "demo": ("演示数据", "demo data"),
    "approximate": ("近似数据", "approximate"),
    "real": ("真实数据", "real data"),
}


def is_flag(meta: Mapping[str, Any], key: str) -> bool:
    """Read a boolean provenance flag stored as text ("true"/"false", any case) or bool."""
    return str(meta.get(key, "false")).lower() == "true"


@dataclass(frozen=True)
class Provenance:
    """Where data comes from: demo (generated) data, approximate data, or real data."""

    demo: bool
    approximate: bool
    source: str = ""
    data_year: str | None = None

    @property
    def status(self) -> str:
        """``"demo"`` if demo, else ``"approximate"`` if approximate, else ``"real"``."""
        if self.demo:
            return "demo"
        return "approximate" if self.approximate else "real"

    @property
    def is_real(self) -> bool:
        """Neither demo nor approximate: the only data a page may show without the demo warning."""
        return not (self.demo or self.approximate)

    def label(self, lang: str) -> str:
        """:attr:`status` for people: 演示数据 / 近似数据 / 真实数据 (``lang="zh"``), else English."""
        zh, en = _LABELS[self.status]
        return zh if lang == "zh" else en


def _meta_of(obj: Any) -> dict[str, Any]:
    if isinstance(obj, pd.DataFrame):
        return dict(obj.attrs.get("meta") or {})
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"provenance_of needs a (Geo)DataFrame or a metadata mapping, not {type(obj).__name__}")


def provenance_of(obj: pd.DataFrame | Mapping[str, Any] | Provenance | LayerFacts) -> Provenance:
    """The :class:`Provenance` of a (Geo)DataFrame (its ``attrs["meta"]``, and an ``approximate``
    column if present and non-empty: any true row makes it approximate) or of a metadata mapping
    (flags as "true"/"false" text or bools; ``source``; ``data_year`` if present); a
    :class:`LayerFacts` gives its own, a :class:`Provenance` is itself."""
    if isinstance(obj, Provenance):
        return obj
    if isinstance(obj, LayerFacts):
        return obj.provenance
    meta = _meta_of(obj)
    approx = is_flag(meta, "approximate")
    if isinstance(obj, pd.DataFrame) and "approximate" in obj.columns and len(obj):
        approx = approx or bool(obj["approximate"].astype(bool).any())
    year = meta.get("data_year")
    return Provenance(
        demo=is_flag(meta, "demo"),
        approximate=approx,
        source=meta.get("source", ""),
        data_year=None if year is None else str(year),
    )


@dataclass(frozen=True)
class LayerFacts:
    """What a page shows about a loaded layer without its features (banners, sidebar figures)."""

    provenance: Provenance
    rows: int
    columns: tuple[str, ...]
    area_km2: float | None
    """Sum of the layer's ``area_km2`` column (km²); None when it has none."""


def facts_to_json(facts: LayerFacts) -> dict[str, Any]:
    """:class:`LayerFacts` as JSON-able data (:mod:`cyc_geo.catalog.result_store`)."""
    return {"provenance": dataclasses.asdict(facts.provenance), "rows": facts.rows,
            "columns": list(facts.columns), "area_km2": facts.area_km2}


def facts_from_json(data: dict[str, Any]) -> LayerFacts:
    """Inverse of :func:`facts_to_json`."""
    return LayerFacts(Provenance(**data["provenance"]), int(data["rows"]), tuple(data["columns"]),
                      None if data["area_km2"] is None else float(data["area_km2"]))


def layer_facts(gdf: pd.DataFrame) -> LayerFacts:
    """The :class:`LayerFacts` of a loaded layer (small enough to cache and share between sessions)."""
    area = float(gdf["area_km2"].sum()) if "area_km2" in gdf.columns else None
    return LayerFacts(provenance_of(gdf), int(len(gdf)), tuple(str(c) for c in gdf.columns), area)


def summarize(layer: LayerDef, gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """The ``layers --json`` record of a loaded layer."""
    prov = provenance_of(gdf)
    bounds = [float(v) for v in gdf.total_bounds] if len(gdf) else None
    return {
        "id": layer.id,
        "title_zh": layer.title_zh,
        "title_en": layer.title_en,
        "features": int(len(gdf)),
        "crs": gdf.crs.to_string() if gdf.crs is not None else None,
        "bounds": bounds,
        "demo": prov.demo,
        "approximate": prov.approximate,
        "source": prov.source,
        "data_year": prov.data_year or layer_data_year(layer.id, provenance_meta(gdf)),
    }


def layer_summary(layer: LayerDef) -> dict[str, Any]:
    """Load ``layer`` and summarise it."""
    from cyc_geo.catalog.loader import load_layer

    return summarize(layer, load_layer(layer))


def provenance_meta(obj: pd.DataFrame | Mapping[str, Any]) -> dict[str, Any]:
    """The metadata mapping of a (Geo)DataFrame (``attrs["meta"]``) or of a mapping."""
    return _meta_of(obj)


def layer_data_year(layer_id: str, meta: Mapping[str, Any] | None = None) -> str | None:
    """The data year of the layer's active imported version (its record), else ``meta["data_year"]``; None if unknown."""
    if meta and meta.get("data_year"):
        return str(meta["data_year"])
    from cyc_geo.catalog import versions

    active = versions.active_file(layer_id)
    name = versions.embedded_version(active) if active else None
    sidecar = versions.versions_dir(layer_id) / f"{name}.json" if name else None
    if sidecar is None or not sidecar.exists():
        return None
    import json

    year = json.loads(sidecar.read_text(encoding="utf-8")).get(versions.DATA_YEAR_KEY)
    return None if year is None else str(year)


def data_year_label(year: Any, lang: str, for_year: int | None = None) -> str:
    """``数据年份 2023`` / ``data year 2023``, or ``数据年份未知`` / ``data year unknown``; shown for a later
    ``for_year``: ``沿用 2022 年数据`` / ``carried from 2022`` (docs/sources.md, "Data years")."""
    if year in (None, "", "None"):
        return "数据年份未知" if lang == "zh" else "data year unknown"
    if for_year is not None and str(year).isdigit() and int(year) < int(for_year):
        return version_label(int(year), int(for_year), lang)
    return f"数据年份 {year}" if lang == "zh" else f"data year {year}"


def version_label(data_year: int | None, year: int, lang: str, none_earlier: bool = False) -> str:
    """How the version used for ``year`` is said: ``2022 年数据`` / ``data of 2022`` (its own year),
    ``沿用 2022 年数据`` / ``carried from 2022`` (an earlier version), ``无 2022 年或更早的数据`` / ``no data for
    2022 or earlier`` (``none_earlier``: every version is later), else ``数据年份未知`` / ``data year unknown``."""
    zh = lang == "zh"
    if data_year is None:
        if none_earlier:
            return f"无 {year} 年或更早的数据" if zh else f"no data for {year} or earlier"
        return "数据年份未知" if zh else "data year unknown"
    if int(data_year) < int(year):
        return f"沿用 {data_year} 年数据" if zh else f"carried from {data_year}"
    return f"{data_year} 年数据" if zh else f"data of {data_year}"


@dataclass(frozen=True)
class DatedValue:
    """A value for one year with the data year it comes from and a note (``carried from YYYY``, …).

    Providers of year-dependent indicators return this; ``value`` None means no data."""

    value: float | None
    data_year: int | None
    note: str = ""
    entered_by: str = ""
    entered_at: str = ""
