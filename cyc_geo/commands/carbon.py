"""``carbon`` command: forest stock, gross and net carbon sink, by township, from the land-cover map.

Stock and gross sink count the app's one stock scope, 森林蓄积量 of 乔木林地 (0301;
:data:`cyc_geo.carbon.forest.STOCK_CLASSES`), named in ``stock_scope`` / ``stock_scope_en``: the same figure
as indicator 16's map estimate (and the growth of that stock as indicator 4's) for the data's year
(``data_year``). With ``--year Y`` the forest version of Y is used (the one of Y, else the latest earlier one,
``carried_from``; in the demo the land cover's demo vintage of Y), as indicators 4 and 16 use it for Y.

Examples::

    python -m cyc_geo carbon --json
    python -m cyc_geo carbon --year 2022 --json                         # the forest version of 2022
    python -m cyc_geo carbon --landcover my_landcover.tif --json        # any CRS / resolution
    python -m cyc_geo carbon --method pools --future belt --json        # InVEST-style sequestration
    python -m cyc_geo carbon --patches forest_patches.gpkg --json       # forest inventory patches
    python -m cyc_geo carbon --zones belt --json                        # also by ecological-belt zone
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from cyc_geo.carbon import forest
from cyc_geo.carbon.belt_scenario import BeltAfforestation, belt_afforestation
from cyc_geo.carbon.landcover import landcover_meta, landcover_path, load_landcover
from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.catalog.sources import read_any
from cyc_geo.cli import UserError, command, emit
from cyc_geo.commands.layers import year_arg
from cyc_geo.places.townships import load_townships

WAN = forest.WAN


def _zones(spec: str) -> tuple[gpd.GeoDataFrame, str]:
    if spec == "townships":
        return load_townships(), "code"
    if spec == "belt":
        from cyc_geo.places.belt import load_belt

        return load_belt(), "zone"
    path = Path(spec)
    if not path.exists():
        raise UserError(f"找不到区域文件 / zones file not found: {spec}")
    gdf = read_any(path)
    gdf["zone_id"] = [str(i) for i in range(len(gdf))] if "zone_id" not in gdf.columns else gdf["zone_id"]
    return gdf, "zone_id"


def _rows(df: pd.DataFrame, key: str, names: pd.Series | None) -> list[dict[str, Any]]:
    rows = []
    for i, r in df.reset_index(drop=True).iterrows():
        row: dict[str, Any] = {"code" if key == "code" else key: str(r[key])}
        if names is not None:
            row["name"] = str(names.iloc[i])
        for col in ("sink_t_co2", "forest_area_ha", "forest_area_mu", "stock_m3", "storage_t_c", "sink_t_co2_per_ha",
                    "sequestration_t_c", "sequestration_t_co2_yr"):
            if col in r and pd.notna(r[col]):
                row[col] = round(float(r[col]), 3)
        rows.append(row)
    return rows


def _current(landcover: str | None, patches: str | None):
    """The current forest data: ``(land-cover raster or None, patch table or None, source meta)``."""
    if patches:
        if not Path(patches).exists():
            raise UserError(f"找不到林地图斑文件 / patch file not found: {patches}")
        return None, read_any(Path(patches)), {"source": f"forest patches {Path(patches).name}", "demo": "false"}
    path = Path(landcover) if landcover else landcover_path()
    if not path.exists():
        raise UserError(f"找不到土地覆被栅格 / land-cover raster not found: {path}")
    return load_landcover(path), None, landcover_meta(path)


def _future(lc, future: str | None) -> tuple[Any, BeltAfforestation | None]:
    """The future land cover for sequestration and, for ``--future belt``, the scenario (the corridor
    planted outside 永久基本农田, :func:`cyc_geo.carbon.belt_scenario.belt_afforestation`); else a raster file."""
    if not future:
        return None, None
    if lc is None:
        raise UserError("--future needs a land-cover raster, not --patches")
    if future == "belt":
        scenario = belt_afforestation(lc, load_layer("belt"), load_layer("farmland"))
        return scenario.future, scenario
    return load_landcover(Path(future)), None


def _sinks(by_town: pd.DataFrame, towns: gpd.GeoDataFrame, method: str):
    """``(by_town, sink, gross, net, seq)``: the method's sink (t CO2/yr; the pools method's is the
    sequestration, None without a future land cover), the stock-based gross sink, the plan-based net
    sink and the total sequestration (None without a future)."""
    gross = float(by_town["sink_t_co2"].sum())
    delta = forest.plan_stock_change_m3()
    net = forest.net_sink_from_stock_change(delta, 3.0)
    seq = float(by_town["sequestration_t_co2_yr"].sum()) if "sequestration_t_co2_yr" in by_town else None
    if method != "pools":
        return by_town, gross, gross, net, seq
    seq_col = by_town.get("sequestration_t_co2_yr")
    by_town = by_town.assign(sink_t_co2=seq_col, sink_t_co2_per_ha=forest._per_ha(seq_col, towns)
                             if seq_col is not None else None)
    return by_town, seq, gross, net, seq


def carbon_report(
    landcover: str | None = None,
    method: str = "stock",
    patches: str | None = None,
    future: str | None = None,
    horizon: int = 20,
    zones: str | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """The ``carbon --json`` document (also used by tests); ``year``: the forest version of that year
    (:func:`cyc_geo.carbon.forest.forest_version_for_year`) instead of the current data."""
    if method not in ("stock", "pools"):
        raise UserError("method must be stock or pools")
    towns = load_townships()
    version: forest.ForestVersion | None = None
    if year is not None:
        if landcover or patches:
            raise UserError("--year 与 --landcover/--patches 不能同时使用 / --year picks the forest version of that "
                            "year: do not combine it with --landcover or --patches")
        found = forest.forest_version_for_year(int(year))
        if isinstance(found, str):
            raise UserError(found)
        version = found
        raster, table = (None, str(version.path)) if version.kind == "patches" else (str(version.path), None)
        lc, patch_gdf, source = _current(raster, table)
    else:
        lc, patch_gdf, source = _current(landcover, patches)
    fut, scenario = _future(lc, future)
    if method == "pools" and lc is None:
        raise UserError("--method pools needs a land-cover raster (the pools are per land-cover class)")
    by_town = forest.carbon_by_zone(towns, id_col="code", landcover=lc, future=fut, horizon=horizon, patches=patch_gdf)
    by_town, sink, gross, net, seq = _sinks(by_town, towns, method)
    prov = provenance_of(source)
    doc: dict[str, Any] = {
        "method": method,
        "sink_t_co2": None if sink is None else round(sink, 3),
        "stock_m3": round(float(by_town["stock_m3"].sum()), 3),
        "stock_scope": forest.scope_label("zh"),
        "stock_scope_en": forest.scope_label("en"),
        "stock_scope_classes": [f"{c:04d}" for c in forest.STOCK_CLASSES],
        "data_year": _data_year(source, patches is not None),
        "forest_area_ha": round(float(by_town["forest_area_ha"].sum()), 3),
        "forest_area_mu": round(float(by_town["forest_area_mu"].sum()), 3),
        "storage_t_c": None if patch_gdf is not None else round(float(by_town["storage_t_c"].sum()), 3),
        "gross_sink_t_co2": round(gross, 3),
        "gross_sink_definition": (f"总碳汇（毛）：{forest.scope_label('zh')}的年生长吸收量 = 蓄积 × 生长率 × BEF × "
                                  f"(1+R) × D × CF × 44/12 / gross sink: annual uptake by growth of the standing "
                                  f"stock, {forest.scope_label('en')}"),
        "net_sink_t_co2": None if math.isnan(net) else round(net, 3),
        "net_sink_definition": _net_definition(),
        "plan_sink_t_co2": {str(y): v * WAN for y, v in forest.PLAN_SINK_WAN_T.items()},
        "plan_stock_m3": {str(y): v * WAN for y, v in forest.PLAN_STOCK_WAN_M3.items()},
        "source": prov.source,
        "demo": prov.demo,
        "by_township": _rows(by_town, "code", towns["name"]),
        "per_ha_basis": "sink_t_co2_per_ha：每公顷区域土地面积（非林地面积） / per hectare of the zone's land area, "
                        "not of its forest",
    }
    if version is not None and year is not None:
        doc.update(_version_doc(int(year), version))
    _add_sequestration(doc, method, sink, seq, horizon)
    if fut is not None:
        doc.update(_growth_doc(lc, fut, horizon))
    if scenario is not None:
        doc["scenario"] = scenario.summary()
        doc["sequestration_label_zh"] = scenario.label("zh", horizon)
        doc["sequestration_label_en"] = scenario.label("en", horizon)
    if zones:
        zg, key = _zones(zones)
        bz = forest.carbon_by_zone(zg, id_col=key, landcover=lc, future=fut, horizon=horizon, patches=patch_gdf)
        doc["by_zone"] = _rows(bz, key, zg["name"] if "name" in zg.columns else None)
    return doc


def _version_doc(year: int, version: forest.ForestVersion) -> dict[str, Any]:
    """``year``, ``data_year``, ``carried_from`` and the version used (its file and how it is said)."""
    from cyc_geo.catalog.provenance import version_label

    return {"year": year, "data_year": version.data_year, "carried_from": version.carried_from,
            "version": {"kind": version.kind, "path": str(version.path), "note": version.note,
                        "label_zh": version_label(version.data_year, year, "zh"),
                        "label_en": version_label(version.data_year, year, "en")}}


def _data_year(source: dict, patches: bool) -> int | None:
    """The data year of the forest data used: the file's own tag, else the active land-cover version's record
    (None for a patch file named on the command line without one, or when unknown)."""
    from cyc_geo.catalog.provenance import layer_data_year

    year = source.get("data_year") if patches else layer_data_year("landcover", source)
    try:
        return int(year) if year not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _net_definition() -> str:
    """What the net sink is: the plan's stock change (from the county profile), or that there is none."""
    stock = forest.PLAN_STOCK_WAN_M3
    if 2021 not in stock or 2024 not in stock:
        return "净碳汇：本县域配置没有规划森林蓄积目标 / net sink: the county profile has no plan forest-stock targets"
    s0, s1 = stock[2021], stock[2024]
    return (f"净碳汇（IPCC 2006 蓄积差法）：规划森林蓄积量净增 {s0:g}→{s1:g} 万m³（2021–2024）折算 / net sink "
            f"(IPCC 2006 stock-difference method): the plan's net forest-stock change of {s1 - s0:+g} 万m³ over 3 years "
            "converted with the same factors")


def _growth_doc(lc, fut, horizon: int) -> dict[str, Any]:
    """The growth-based series of the land-cover change over the whole raster (the county)."""
    from cyc_geo.carbon import growth

    seq = growth.sequestration(growth.transitions(lc, fut), forest.load_forest_params(), forest.load_pools(),
                               horizon=horizon)
    return {
        "afforested_ha": round(seq.afforested_ha, 3),
        "deforested_ha": round(seq.deforested_ha, 3),
        "sequestration_t_co2_yr": round(seq.mean_t_co2_yr, 3),
        "sequestration_by_year": seq.records(),
        "sequestration_definition": (
            f"情景固碳：土地覆被变化后林木按生长率逐年积累生物量、土壤碳按 {growth.TRANSITION_YEARS} 年过渡期变化，"
            f"{horizon} 年平均 / scenario sequestration: biomass grows at the stand's growth rate and soil carbon "
            f"changes over the {growth.TRANSITION_YEARS}-year transition; annual mean over {horizon} years"),
    }


def _add_sequestration(doc: dict[str, Any], method: str, sink: float | None, seq: float | None, horizon: int) -> None:
    if seq is not None:
        doc["sequestration_t_co2_yr"] = round(seq, 3)
        doc["sequestration_horizon_years"] = horizon
    if method == "pools" and sink is None:
        doc["note"] = ("碳库法需要未来土地覆被（--future）才能计算年碳汇；此处仅给出碳储量 / the pools method gives "
                       "storage only; pass --future FILE or --future belt for sequestration")


def _text(doc: dict[str, Any]) -> str:
    lines = [
        f"forest area: {doc['forest_area_ha']:,.1f} ha ({doc['forest_area_mu']:,.0f} 亩)",
        f"{doc['stock_scope']} / {doc['stock_scope_en']}: {doc['stock_m3'] / WAN:,.2f} 万m³"
        f" (data year {doc['data_year'] or 'unknown'})"
        + (f" [{doc['version']['label_zh']} / {doc['version']['label_en']}]" if "version" in doc else ""),
        f"sink ({doc['method']}): " + ("n/a" if doc["sink_t_co2"] is None else f"{doc['sink_t_co2'] / WAN:,.2f} 万t CO2/yr"),
        f"gross sink {doc['gross_sink_t_co2'] / WAN:,.2f} vs net sink "
        + ("n/a (no plan targets)" if doc["net_sink_t_co2"] is None else f"{doc['net_sink_t_co2'] / WAN:,.2f} 万t CO2/yr"),
        "",
    ]
    table = pd.DataFrame(doc["by_township"])
    return "\n".join(lines) + table.to_string(index=False)


def cmd_carbon(args: argparse.Namespace) -> int:
    doc = carbon_report(args.landcover, args.method, args.patches, args.future, args.horizon, args.zones, args.year)
    emit(doc, args.json, _text(doc))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "carbon", cmd_carbon, help="forest stock and carbon sink by township (exact zonal statistics)")
    p.add_argument("--landcover", metavar="FILE", help="land-cover GeoTIFF (三调 codes as integers; any CRS)")
    p.add_argument("--method", choices=("stock", "pools"), default="stock",
                   help="stock: stock-based gross sink (default); pools: InVEST-style storage/sequestration")
    p.add_argument("--patches", metavar="FILE", help="forest-patch vector file with class_code (and stock_m3)")
    p.add_argument("--future", metavar="FILE|belt",
                   help="future land cover for sequestration ('belt': afforest the 500 m landward corridor)")
    p.add_argument("--horizon", type=int, default=20,
                   help="years over which the growth-based sequestration is averaged (default 20)")
    p.add_argument("--zones", metavar="townships|belt|FILE", help="also aggregate by these zones")
    p.add_argument("--year", type=year_arg, metavar="YYYY",
                   help="the forest version of this year (its data year, else the latest earlier one)")
