"""A layer's dated versions and its version for a year ("沿用 2022 年数据" / "carried from 2022").

The versions of a layer, first rule that applies:

1. its imported versions that carry a data year (:func:`cyc_geo.catalog.versions.dated_versions`);
2. a planner's file without a data year: that file alone, its data year unknown;
3. ``versions_from``: the versions of the layer it is derived from (forest patches follow the land cover);
4. ``vintages``: the demo's vintages (data year -> file, :mod:`cyc_geo.demo.landcover_vintages`);
5. else the current file, with the data year of its record or metadata when it has one.

The version for year Y is the one whose data year is Y, else the latest earlier one
(:func:`cyc_geo.catalog.versions.version_for_year`; docs/sources.md, "Data years"). A ledger whose rows are
dated (``dated_by``, the PV ledger) has one version for every year up to its data year: its rows dated by
31 Dec of Y ("台账截至 2022-12-31" / "ledger as of 31 Dec 2022").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd

from cyc_geo.catalog.loader import current_source, load_layer, planner_path
from cyc_geo.catalog.provenance import layer_data_year, provenance_meta, version_label
from cyc_geo.catalog.registry import LayerDef, get_layer, import_ref
from cyc_geo.catalog.versions import _year_or_none, dated_versions, version_for_year

DEMO_ACTOR = "演示数据 / demo"
"""``imported_by`` of a demo vintage (it was built, not imported)."""


def _layer(layer: str | LayerDef) -> LayerDef:
    return get_layer(layer) if isinstance(layer, str) else layer


def _imported(layer_id: str) -> list[dict[str, Any]]:
    from cyc_geo import db

    conn = db.connect()
    try:
        return [{**v, "origin": "import"} for v in dated_versions(conn, layer_id)]
    finally:
        conn.close()


def demo_vintages(layer: str | LayerDef) -> list[dict[str, Any]]:
    """The demo vintages of a layer as versions (``import_id`` None, ``origin`` ``"demo"``), oldest first;
    empty when the layer declares none."""
    layer = _layer(layer)
    if not layer.vintages:
        return []
    files: dict[int, Path] = import_ref(layer.vintages)()
    latest = max(files)
    return [{"import_id": None, "data_year": int(y), "stored_path": str(p), "imported_by": DEMO_ACTOR,
             "imported_at": "", "active": y == latest, "layer": layer.id, "origin": "demo"}
            for y, p in sorted(files.items())]


def layer_versions(layer: str | LayerDef, current_year: Any = None) -> list[dict[str, Any]]:
    """The dated versions of ``layer`` by the rules of the module docstring, oldest first. ``current_year``:
    the data year of the loaded layer when the caller knows it (else read from its record). Undated
    versions come back with ``data_year`` None (a one-element list)."""
    layer = _layer(layer)
    imported = _imported(layer.id)
    if imported:
        return imported
    user = planner_path(layer)
    if user is None and layer.versions_from:
        derived = layer_versions(layer.versions_from)
        return [{**v, "derived_from": layer.versions_from} for v in derived]
    if user is None and layer.vintages:
        return demo_vintages(layer)
    path = user if user is not None else current_source(layer)
    year = _year_or_none(current_year if current_year not in (None, "") else layer_data_year(layer.id))
    return [{"import_id": None, "data_year": year, "stored_path": str(path) if path else None,
             "imported_by": "", "imported_at": "", "active": True, "layer": layer.id,
             "origin": "planner" if user is not None else "current"}]


def layer_version_for_year(layer: str | LayerDef, year: int, current_year: Any = None) -> dict[str, Any]:
    """The version of ``layer`` used for ``year``: ``year, data_year, carried_from, origin, import_id, path,
    label_zh, label_en`` (labels: "2022 年数据" / "沿用 2022 年数据" / "无 2022 年或更早的数据" /
    "数据年份未知", a dated ledger's "台账截至 2022-12-31"); ``data_year`` None when the layer has no version of
    ``year`` or earlier, or an undated one."""
    layer = _layer(layer)
    year = int(year)
    found = layer_versions(layer, current_year)
    dated = [v for v in found if v["data_year"] is not None]
    out: dict[str, Any] = {"year": year, "data_year": None, "carried_from": None, "origin": None,
                           "import_id": None, "path": None}
    if not dated:
        v = found[0] if found else {}
        out.update(origin=v.get("origin"), path=v.get("stored_path"))
    else:
        if layer.dated_by:  # a dated ledger holds every earlier year: its rows dated by 31 Dec of that year
            dated = [{**v, "data_year": min(year, v["data_year"])} if v is dated[-1] else v for v in dated]
        chosen, carried = version_for_year(dated, year)
        if chosen is not None:
            out.update(data_year=int(chosen["data_year"]), carried_from=carried, origin=chosen["origin"],
                       import_id=chosen["import_id"], path=chosen["stored_path"])
        if "derived_from" in dated[0]:
            out["derived_from"] = dated[0]["derived_from"]
    if layer.dated_by and out["data_year"] == year:
        out.update(dated_by=layer.dated_by, label_zh=f"台账截至 {year}-12-31", label_en=f"ledger as of 31 Dec {year}")
        return out
    no_version = bool(dated) and out["data_year"] is None
    out["none_earlier"] = no_version
    out["label_zh"] = version_label(out["data_year"], year, "zh", none_earlier=no_version)
    out["label_en"] = version_label(out["data_year"], year, "en", none_earlier=no_version)
    return out


def layer_for_year(layer: str | LayerDef, year: int, load: Any = None) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """``(frame, version)``: the layer as the map draws it for ``year``, and :func:`layer_version_for_year`.

    The frame is the layer's ``year_frame`` (``module:function(year)``) when it declares one; for a raster
    layer with a dated version, its footprint row pointing at that version's file (``path``); else the layer
    in use (``load(layer_id)``, default :func:`cyc_geo.catalog.loader.load_layer`), which the version's label
    then qualifies ("沿用 2022 年数据", "数据年份未知")."""
    layer = _layer(layer)
    gdf = (load or load_layer)(layer.id)
    version = layer_version_for_year(layer, year, provenance_meta(gdf).get("data_year"))
    if layer.year_frame:
        return import_ref(layer.year_frame)(int(year)), version
    if layer.geometry == "raster" and version.get("path") and "path" in gdf.columns:
        gdf = gdf.copy()
        gdf["path"] = str(version["path"])
    return gdf, version


def carried_note(layer: LayerDef, version: dict[str, Any], lang: str) -> str | None:
    """What the map says of a layer shown for a year whose own version it lacks: "图层：沿用 2022 年数据" /
    "layer: carried from 2022", or "无 2022 年或更早的数据"; None when the layer has the year's version or no
    dated version at all (its data year unknown: nothing to carry)."""
    data_year = version.get("data_year")
    carried = data_year is not None and int(data_year) < int(version["year"])
    if not (carried or version.get("none_earlier")):
        return None
    label = version["label_zh"] if lang == "zh" else version["label_en"]
    return f"{layer.title(lang)}：{label}" if lang == "zh" else f"{layer.title(lang)}: {label}"
