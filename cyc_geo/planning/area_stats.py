"""Statistics of any area across every layer with numbers: a drawn polygon, a township, a project site or a file.

:func:`area_statistics` takes a polygon (GeoDataFrame / GeoSeries / shapely geometry, any CRS; none: guessed as
the land check guesses it) and returns :class:`AreaStats`: one table (:attr:`AreaStats.rows`) with, for each
figure, its value, unit, definition, layer and the layer's data year and provenance, and the flat figures of
``python -m cyc_geo stats --area FILE --json`` (:meth:`AreaStats.to_dict`). Every area is measured in
EPSG:4547 (:data:`cyc_geo.geo.crs.AREA_CRS`); layers come from the catalogue
(:class:`cyc_geo.planning.landcheck.CheckContext`, :func:`cyc_geo.catalog.loader.load_layer`).

The rules, chosen so that a township's statistics equal the other pages' township rows:

- **Roofs and PV potential**: the roofs whose centroid lies in the area (the rule that assigns a roof to its
  township, :func:`cyc_geo.pv.rooftops.finish_footprints`), estimated with :func:`cyc_geo.pv.model.estimate`
  (default: the NEA county-wide minimum shares, capped by the usable area; the PV page's township table,
  :func:`cyc_geo.pv.aggregation.township_table`).
- **Installed and pipeline PV**: the installations ledger (with the app's edits) rows whose point lies in the
  area (rows without coordinates stand at their township seat), installed and pipeline as
  :mod:`cyc_geo.pv.progress` counts them on the as-of date. The **opening stock** (a county figure without
  location) is added only when the area covers the whole county (≥ :data:`COUNTY_COVER_SHARE` of it); for a
  sub-area it is not apportioned, and once it applies only ledger rows connected after its date count (the rows
  before are inside it) - exactly as the PV page's township table (:func:`cyc_geo.pv.progress.by_township`).
- **Forest**: area, stock and gross sink by exact zonal statistics of the land-cover raster
  (:func:`cyc_geo.carbon.forest.carbon_by_zone`, as ``carbon --json``).
- **三调 地类**: the land check's 地类 breakdown (:mod:`cyc_geo.planning.landuse_breakdown`), summed by 建设用地 /
  农用地 / 未利用地.
- **三区三线, 耕地, belt**: exact polygon overlaps (:func:`cyc_geo.planning.overlaps.zoning_overlap`, the function
  the land check's findings use), per 三调 class for 永久基本农田 and 耕地, per zone for the belt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cyc_geo.catalog.provenance import layer_data_year, provenance_meta, provenance_of
from cyc_geo.geo.crs import AREA_CRS, M2_PER_HA, M2_PER_MU
from cyc_geo.planning.landcheck import CheckContext
from cyc_geo.planning.overlaps import LayerOverlap, zoning_overlap
from cyc_geo.planning.site import LandCheckParams, PreparedSite, prepare_site

COUNTY_COVER_SHARE = 0.999
"""Share of the county outline an area must cover for the county's PV opening stock to be added to it (project
choice: the opening stock has no location, so only the whole county carries it; docs/sources.md, "PV progress rules")."""

DEFAULT_SCENARIO_NAME = ("开发比例情景潜力（整县推进最低比例，受可用面积限制）",
                         "adoption-share scenario potential (NEA county-wide minimum shares, capped by the usable area)")
"""The scenario the potential is given for when none is chosen (the PV page's default)."""
CHOSEN_SCENARIO_NAME = ("开发比例情景潜力（所选情景的开发比例，受可用面积限制）",
                        "adoption-share scenario potential (the chosen scenario's shares, capped by the usable area)")


ROW_COLUMNS = ("topic", "item", "label_zh", "label_en", "value", "unit", "definition_zh", "definition_en", "layer",
               "data_year", "provenance")
"""Columns of :attr:`AreaStats.rows`."""

TOPICS = {"area": ("区域", "Area"), "roofs": ("屋顶", "Roofs"), "pv_potential": ("光伏潜力", "PV potential"),
          "pv_ledger": ("光伏装机（台账）", "PV installed (ledger)"), "forest": ("森林", "Forest"),
          "farmland": ("永久基本农田", "Basic farmland"), "cropland": ("耕地（三调）", "Cropland (3rd survey)"),
          "eco_redline": ("生态保护红线", "Ecological red line"), "urban_boundary": ("城镇开发边界", "Urban development boundary"),
          "belt": ("沿黄生态带", "Yellow River belt"), "landuse": ("三调地类", "Land use (3rd survey)")}
"""Topics of the table, in order, with their names."""

_BELT_ZONES = {"floodplain": ("黄河滩区", "floodplain"), "corridor": ("堤外生态廊道", "landward corridor")}


@dataclass
class AreaStats:
    """Statistics of one area: ``figures`` (the flat JSON figures), ``rows`` (the table, :data:`ROW_COLUMNS`)
    and ``layers`` (each layer used: title, provenance, data year, source)."""

    figures: dict[str, Any]
    rows: pd.DataFrame
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    site: PreparedSite | None = field(default=None, repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.figures[key]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``stats --area FILE --json``: the figures, the table's rows and the layers."""
        rows = [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
                for r in self.rows.to_dict(orient="records")]
        return {**self.figures, "rows": rows, "layers": self.layers}

    def table(self, lang: str) -> pd.DataFrame:
        """The table as shown and exported, in ``lang`` (``zh`` or ``en``); values stay numbers."""
        zh = lang == "zh"
        r = self.rows
        return pd.DataFrame({
            "类别" if zh else "Topic": [TOPICS[t][0 if zh else 1] for t in r["topic"]],
            "项目" if zh else "Item": r["label_zh" if zh else "label_en"],
            "数值" if zh else "Value": r["value"],
            "单位" if zh else "Unit": r["unit"],
            "定义" if zh else "Definition": r["definition_zh" if zh else "definition_en"],
            "图层" if zh else "Layer": r["layer"],
            "数据年份" if zh else "Data year": r["data_year"].fillna("未知" if zh else "unknown"),
            "数据性质" if zh else "Provenance": r["provenance"],
        })


class _Rows:
    """Collects the table's rows."""

    def __init__(self, layers: dict[str, dict[str, Any]]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.layers = layers

    def add(self, topic: str, item: str, label: tuple[str, str], value: Any, unit: str,
            definition: tuple[str, str], layer: str) -> None:
        info = self.layers.get(layer, {})
        self.rows.append({"topic": topic, "item": item, "label_zh": label[0], "label_en": label[1], "value": value,
                          "unit": unit, "definition_zh": definition[0], "definition_en": definition[1], "layer": layer,
                          "data_year": info.get("data_year"), "provenance": info.get("provenance")})

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=list(ROW_COLUMNS))
        out["value"] = pd.Series([r["value"] for r in self.rows], dtype=object)  # counts stay integers
        return out


def _layer_info(layer_id: str, gdf: pd.DataFrame | None) -> dict[str, Any]:
    """Title, provenance (demo / approximate / real / absent), data year and source of a layer as loaded."""
    from cyc_geo.catalog.registry import get_layer

    try:
        title = get_layer(layer_id).title_zh
    except KeyError:
        title = layer_id
    if gdf is None:
        return {"title": title, "provenance": "absent", "data_year": None, "source": ""}
    prov = provenance_of(gdf)
    return {"title": title, "provenance": prov.status, "data_year": layer_data_year(layer_id, provenance_meta(gdf)),
            "source": prov.source}


def _centroids_in(site: PreparedSite, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Boolean per point (EPSG:4547 ``x``, ``y``): it lies in (or on the edge of) a part of the site."""
    inside = np.zeros(len(x), dtype=bool)
    if len(x):
        idx, _ = site.tree.query(shapely.points(x, y), predicate="intersects")
        inside[np.unique(idx)] = True
    return inside


def _zone(site: PreparedSite) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"zone": [0]}, geometry=[shapely.union_all(site.parts)], crs=AREA_CRS)


def _pv_potential(site: PreparedSite, roofs: gpd.GeoDataFrame, scenario: Any, out: _Rows) -> dict[str, Any]:
    from cyc_geo.pv import model as pv
    from cyc_geo.pv.aggregation import ADDITIVE
    from cyc_geo.pv.params import Scenario
    from cyc_geo.pv.tables import POTENTIAL_DEFINITION

    if "x" in roofs.columns:
        x, y = roofs["x"].to_numpy(float), roofs["y"].to_numpy(float)
    else:
        cent = shapely.centroid(roofs.geometry.to_crs(AREA_CRS).to_numpy())
        x, y = shapely.get_x(cent), shapely.get_y(cent)
    inside = _centroids_in(site, x, y)
    table = pd.DataFrame(roofs.loc[inside].drop(columns="geometry"))
    per_roof = pv.estimate(table, scenario)
    sums = {c: float(per_roof[c].sum()) for c in ADDITIVE if c in per_roof.columns}
    default = scenario is None or scenario == Scenario()
    name = DEFAULT_SCENARIO_NAME if default else CHOSEN_SCENARIO_NAME
    roof_def = ("屋顶图层中质心位于区域内的建筑屋顶（与屋顶归属乡镇同一规则）",
                "roof footprints whose centroid lies in the area (the rule that assigns roofs to townships)")
    figs = {"roofs": int(inside.sum()), "roof_area_m2": round(sums.get("area_m2", 0.0), 2),
            "roofs_in_scenario": int(sums.get("roofs", 0)), "usable_area_m2": round(sums.get("usable_area_m2", 0.0), 2),
            "potential_mw": round(sums.get("capacity_kw", 0.0) / 1000.0, 6),
            "potential_gwh": round(sums.get("annual_kwh", 0.0) / 1e6, 6), "potential_scenario": name[0],
            "potential_scenario_en": name[1]}
    out.add("roofs", "roofs", ("屋顶数", "Roofs"), figs["roofs"], "个", roof_def, "rooftops")
    out.add("roofs", "roof_area_m2", ("屋顶面积", "Roof area"), figs["roof_area_m2"], "m²", roof_def, "rooftops")
    out.add("pv_potential", "roofs_in_scenario", ("计入情景的屋顶", "Roofs in the scenario"), figs["roofs_in_scenario"], "个",
            (f"{name[0]}：面积不低于最小屋顶面积、类别有开发比例的屋顶", f"{name[1]}: roofs above the minimum roof area whose "
             "class has an adoption share"), "rooftops")
    pot_def = (f"{name[0]}。{POTENTIAL_DEFINITION[0]}", f"{name[1]}. {POTENTIAL_DEFINITION[1]}")
    out.add("pv_potential", "potential_mw", ("光伏情景潜力装机", "PV scenario potential capacity"), figs["potential_mw"], "MW",
            pot_def, "rooftops")
    out.add("pv_potential", "potential_gwh", ("光伏情景潜力年发电量", "PV scenario potential generation"), figs["potential_gwh"],
            "GWh", pot_def, "rooftops")
    return figs


def _pv_ledger(site: PreparedSite, ledger: gpd.GeoDataFrame, as_of: pd.Timestamp, opening: Any, whole_county: bool,
               out: _Rows) -> dict[str, Any]:
    from cyc_geo.pv import progress

    pts = ledger.geometry.to_crs(AREA_CRS)
    inside = _centroids_in(site, shapely.get_x(pts.to_numpy()), shapely.get_y(pts.to_numpy()))
    rows = ledger.loc[inside]
    applies = opening is not None and as_of >= opening.date
    ledger_mw = float(progress.installed_rows(rows, as_of, opening)["capacity_kw"].sum() / 1000.0)
    add_opening = bool(applies and whole_county)
    installed = ledger_mw + (float(opening.mw) if add_opening else 0.0)
    pipeline = progress.pipeline_mw(rows, as_of)
    day = as_of.strftime("%Y-%m-%d")
    if opening is None:
        treat = ("未录入期初容量：只计台账行", "no opening stock entered: ledger rows only")
    elif not applies:
        treat = (f"期初容量（{opening.date:%Y-%m-%d}）晚于统计日期，不适用：只计台账行",
                 f"the opening stock ({opening.date:%Y-%m-%d}) is later than the as-of date and does not apply: ledger rows only")
    elif add_opening:
        treat = (f"区域覆盖全市：含全市期初容量 {opening.mw:,.3f} MW 及其日期之后并网的台账行",
                 f"the area covers the whole county: the county opening stock of {opening.mw:,.3f} MW plus ledger rows "
                 "connected after its date")
    else:
        treat = (f"期初容量 {opening.mw:,.3f} MW 为全市数、无位置，不分摊到区域；只计其日期（{opening.date:%Y-%m-%d}）之后并网、"
                 "点位在区域内的台账行（与光伏页乡镇表相同）",
                 f"the opening stock of {opening.mw:,.3f} MW is a county figure without location and is not apportioned to "
                 f"the area; only ledger rows in the area connected after its date ({opening.date:%Y-%m-%d}) count (as the "
                 "PV page's township table)")
    figs = {"as_of": day, "installed_mw": round(installed, 6), "ledger_installed_mw": round(ledger_mw, 6),
            "pipeline_mw": round(pipeline, 6), "installations": int(inside.sum()),
            "opening_stock_included": add_opening, "opening_stock_treatment": treat[0], "opening_stock_treatment_en": treat[1]}
    where = ("点位在区域内的台账行（无坐标的按乡镇驻地）", "ledger rows whose point lies in the area (rows without coordinates at "
             "their township seat)")
    out.add("pv_ledger", "installed_mw", (f"已并网光伏装机（截至 {day}）", f"Installed PV, grid-connected (as of {day})"),
            figs["installed_mw"], "MW",
            (f"装机台账中截至 {day} 已并网的交流容量；{where[0]}；{treat[0]}", f"AC capacity grid-connected by {day} in the "
             f"installations ledger; {where[1]}; {treat[1]}"), "pv_installations")
    out.add("pv_ledger", "pipeline_mw", (f"在建及备案光伏（截至 {day}）", f"PV pipeline, under construction and filed (as of {day})"),
            figs["pipeline_mw"], "MW",
            (f"台账中在建、备案且日期不晚于 {day}（或无日期）的容量；{where[0]}；不计入目标进度",
             f"under-construction and filed capacity dated by {day} (or undated); {where[1]}; not counted toward the goal"),
            "pv_installations")
    return figs


def _forest(site: PreparedSite, ctx: CheckContext, out: _Rows) -> dict[str, Any]:
    from cyc_geo.carbon import forest

    raster = ctx.get("landcover")
    if raster is None:
        return {"forest_area_ha": None, "forest_stock_m3": None, "forest_gross_sink_t_co2_yr": None}
    z = forest.carbon_by_zone(_zone(site), id_col=None, landcover=raster).iloc[0]
    scope = (f"{forest.scope_label('zh')}，与碳汇页、carbon --json 和附件1 第16项相同",
             f"{forest.scope_label('en')}, as the carbon page, carbon --json and 附件1 #16")
    figs = {"forest_area_ha": round(float(z["forest_area_ha"]), 6), "forest_area_mu": round(float(z["forest_area_mu"]), 6),
            "forest_stock_m3": round(float(z["stock_m3"]), 6), "forest_stock_scope": scope[0],
            "forest_gross_sink_t_co2_yr": round(float(z["sink_t_co2"]), 6)}
    exact = ("土地覆被栅格（三调分类）按精确部分像元面积加权的区域统计", "exact partial-pixel zonal statistics of the land-cover raster")
    out.add("forest", "forest_area_ha", ("林地面积", "Forest area"), figs["forest_area_ha"], "ha",
            (f"三调林地类（0301/0302/0305/0307）面积；{exact[0]}", f"area of the 林地 classes 0301/0302/0305/0307; {exact[1]}"),
            "landcover")
    out.add("forest", "forest_stock_m3", ("森林蓄积量", "Forest stock"), figs["forest_stock_m3"], "m³",
            (f"蓄积 = 面积 × 单位面积蓄积（data/reference/forest_params.csv）；范围：{scope[0]}",
             f"stock = area × stock per ha (data/reference/forest_params.csv); scope: {scope[1]}"), "landcover")
    out.add("forest", "forest_gross_sink_t_co2_yr", ("森林年碳汇（毛）", "Forest gross sink"), figs["forest_gross_sink_t_co2_yr"],
            "tCO2/yr", ("总碳汇（毛）：蓄积 × 生长率 × BEF × (1+R) × D × CF × 44/12，未扣除采伐等损失（非净碳汇）",
                        "gross sink: stock × growth rate × BEF × (1+R) × D × CF × 44/12, before harvest and other losses "
                        "(not the net sink)"), "landcover")
    return figs


def _class_rows(topic: str, over: LayerOverlap | None, out: _Rows, definition: tuple[str, str]) -> dict[str, Any]:
    if over is None:
        out.add(topic, f"{topic}_m2", ("图层不可用，未统计", "layer not available, not counted"), None, "m²", definition, topic)
        return {f"{topic}_m2": None, f"{topic}_mu": None, f"{topic}_by_class": []}
    figs = {f"{topic}_m2": round(over.total_m2, 2), f"{topic}_mu": round(over.total_m2 / M2_PER_MU, 3),
            f"{topic}_by_class": over.parts}
    out.add(topic, f"{topic}_mu", ("合计", "Total"), figs[f"{topic}_mu"], "亩", definition, topic)
    for p in over.parts:
        out.add(topic, f"{topic}_{p['code']}_mu", (f"{p['code']} {p['name']}", f"{p['code']} {p['name']}"), p["overlap_mu"], "亩",
                definition, topic)
    return figs


def _zoning(site: PreparedSite, ctx: CheckContext, min_m2: float, out: _Rows) -> dict[str, Any]:
    figs: dict[str, Any] = {}
    exact = ("与区域的精确相交面积（EPSG:4547），按三调地类", "exact intersection with the area (EPSG:4547), by 三调 class")
    figs.update(_class_rows("farmland", zoning_overlap(site, ctx, "farmland", min_m2), out,
                            (f"永久基本农田（三区三线）图斑{exact[0]}", f"permanent basic farmland parcels (三区三线): {exact[1]}")))
    figs.update(_class_rows("cropland", zoning_overlap(site, ctx, "cropland", min_m2), out,
                            (f"三调耕地图斑（含永久基本农田内的耕地）{exact[0]}",
                             f"3rd-survey cropland parcels (including those inside basic farmland): {exact[1]}")))
    for name, label in (("eco_redline", ("生态保护红线内面积", "Inside the ecological red line")),
                        ("urban_boundary", ("城镇开发边界内面积", "Inside the urban development boundary"))):
        over = zoning_overlap(site, ctx, name, min_m2)
        m2 = None if over is None else round(over.total_m2, 2)
        figs[f"{name}_m2"] = m2
        figs[f"{name}_mu"] = None if m2 is None else round(m2 / M2_PER_MU, 3)
        d = (f"{TOPICS[name][0]}（三区三线）与区域的精确相交面积",
             f"exact intersection of the {TOPICS[name][1].lower()} (三区三线) with the area")
        out.add(name, f"{name}_m2", label, m2, "m²", d, name)
        out.add(name, f"{name}_mu", label, figs[f"{name}_mu"], "亩", d, name)
    belt = ctx.area_crs("belt")
    figs["belt_by_zone_m2"] = {}
    if belt is not None:
        from cyc_geo.planning.overlaps import layer_overlap

        ov = layer_overlap(site, belt, min_m2).per_feature
        zones = belt["zone"].astype(str).tolist() if "zone" in belt.columns else [str(i) for i in range(len(belt))]
        for z, a in zip(zones, ov, strict=True):
            figs["belt_by_zone_m2"][z] = round(figs["belt_by_zone_m2"].get(z, 0.0) + float(a), 2)
        figs["belt_m2"] = round(float(ov.sum()), 2)
        d = ("沿黄生态带（黄河滩区 + 堤外生态廊道）与区域的精确相交面积", "exact intersection of the Yellow River ecological belt "
             "(floodplain + landward corridor) with the area")
        out.add("belt", "belt_m2", ("合计", "Total"), figs["belt_m2"], "m²", d, "belt")
        for z, a in figs["belt_by_zone_m2"].items():
            out.add("belt", f"belt_{z}_m2", _BELT_ZONES.get(z, (z, z)), a, "m²", d, "belt")
    return figs


def _landuse(site: PreparedSite, ctx: CheckContext, min_m2: float, out: _Rows) -> dict[str, Any]:
    """The area's 三调 地类 by the three classes of the Land Administration Law (the land check's breakdown,
    :func:`cyc_geo.planning.landuse_breakdown.landuse_breakdown`: 地类图斑 if loaded, else the land-cover raster)."""
    from cyc_geo.planning.landuse_breakdown import GROUPS, group_totals, landuse_breakdown

    rows = landuse_breakdown(site, False, ctx, min_m2)
    d = ("按《土地管理法》第四条三大类汇总的三调地类面积（地类图斑，无则土地覆被栅格精确区域统计；与用地核查的地类表相同）",
         "3rd-survey land classes summed by the three classes of the Land Administration Law (地类图斑, else exact zonal "
         "statistics of the land-cover raster; the land check's land-use table)")
    for group, m2 in group_totals(rows).items():
        out.add("landuse", f"landuse_{group}_mu", GROUPS[group], round(m2 / M2_PER_MU, 3), "亩", d, "landcover")
    return {"landuse_breakdown": rows}


def area_statistics(
    area: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    as_of: Any = None,
    scenario: Any = None,
    context: CheckContext | None = None,
    roofs: gpd.GeoDataFrame | None = None,
    ledger: gpd.GeoDataFrame | None = None,
    opening: Any = "load",
    params: LandCheckParams | None = None,
) -> AreaStats:
    """Statistics of ``area`` (polygons, any CRS) across every layer with numbers (see the module docstring).

    ``as_of``: the date of installed and pipeline PV (``YYYY-MM-DD`` or a date; default today);
    ``scenario``: the PV scenario of the potential (:class:`cyc_geo.pv.params.Scenario`; default the NEA shares);
    ``context``, ``roofs``, ``ledger``, ``opening`` (the PV opening stock or None): injected layers, else loaded
    from the catalogue. ``ValueError`` (zh + en) for an unusable area.
    """
    from cyc_geo.pv import progress

    p = params or LandCheckParams()
    ctx = context or CheckContext()
    site = prepare_site(area, p)
    day = progress.as_of_date(as_of)
    if roofs is None:
        from cyc_geo.pv.rooftops import load_rooftops

        roofs = load_rooftops()
    if ledger is None:
        from cyc_geo.pv.installations import load_ledger

        ledger = load_ledger()
    if isinstance(opening, str):
        from cyc_geo.pv.opening_stock import load_opening_stock

        opening = load_opening_stock()
    landcover_fp = None
    if ctx.get("landcover") is not None:
        from cyc_geo.catalog.loader import load_layer

        landcover_fp = load_layer("landcover")
    layers = {"rooftops": _layer_info("rooftops", roofs), "pv_installations": _layer_info("pv_installations", ledger),
              "landcover": _layer_info("landcover", landcover_fp),
              **{n: _layer_info(n, ctx.get(n)) for n in ("farmland", "cropland", "eco_redline", "urban_boundary", "belt")}}
    out = _Rows(layers)
    figs: dict[str, Any] = {"area_m2": round(site.area_m2, 2), "area_ha": round(site.area_m2 / M2_PER_HA, 4),
                            "area_mu": round(site.area_m2 / M2_PER_MU, 2)}
    area_def = ("区域面积（EPSG:4547 平面面积）", "area of the polygon (planar, EPSG:4547)")
    out.add("area", "area_m2", ("面积", "Area"), figs["area_m2"], "m²", area_def, "")
    out.add("area", "area_mu", ("面积", "Area"), figs["area_mu"], "亩", area_def, "")
    county = ctx.area_crs("county")
    whole = False
    if county is not None and len(county):
        c_area = float(county.geometry.area.sum())
        whole = c_area > 0 and float(site.overlap_by_feature(county.geometry.to_numpy()).sum()) >= COUNTY_COVER_SHARE * c_area
    figs["covers_county"] = whole
    figs.update(_pv_potential(site, roofs, scenario, out))
    figs.update(_pv_ledger(site, ledger, day, opening, whole, out))
    figs.update(_forest(site, ctx, out))
    figs.update(_zoning(site, ctx, p.min_overlap_m2, out))
    figs.update(_landuse(site, ctx, p.min_overlap_m2, out))
    figs["demo"] = any(v["provenance"] == "demo" for v in layers.values())
    return AreaStats(figs, out.frame(), layers, site)


def print_rows(stats: AreaStats, lang: str) -> list[tuple[str, str]]:
    """The table as (label, value with unit) pairs for a print layout's key figures
    (:func:`cyc_geo.mapview.print_layout.map_page`, ``figures``)."""
    zh = lang == "zh"
    rows = []
    for r in stats.rows.itertuples(index=False):
        topic = TOPICS[r.topic][0 if zh else 1]
        label = f"{topic} · {r.label_zh if zh else r.label_en}"
        v = r.value
        text = ("—" if v is None or (isinstance(v, float) and not np.isfinite(v))
                else f"{v:,.0f}" if isinstance(v, (int, np.integer)) or r.unit in ("m²", "个")
                else f"{v:,.3f}" if r.unit == "MW" else f"{v:,.2f}")
        rows.append((f"{label} ({r.unit})", text))
    return rows


def workbook_bytes(stats: AreaStats, lang: str = "zh", title: tuple[str, str] | None = None) -> bytes:
    """The statistics as an Excel workbook (header block with date, sources and data years, demo note; one
    table with numbers as numbers), saved through :func:`cyc_geo.exports.excel.save_bytes`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from cyc_geo.catalog.provenance import data_year_label
    from cyc_geo.exports.excel import put, save_bytes, write_header
    from cyc_geo.exports.meta import ExportMeta

    zh = lang == "zh"
    sources = [f"{v['title']}：{v['source'] or v['provenance']}（{data_year_label(v['data_year'], lang)}）" for v in stats.layers.values()
               if v["provenance"] != "absent"]
    meta = ExportMeta(title=title or ("区域统计", "Area statistics"), lang=lang, sources=sources, demo=bool(stats["demo"]),
                      filters={("统计日期" if zh else "As of"): stats["as_of"],
                               ("光伏情景" if zh else "PV scenario"): stats["potential_scenario" if zh else "potential_scenario_en"]})
    wb = Workbook()
    ws = wb.active
    ws.title = "区域统计" if zh else "Area statistics"
    row = write_header(ws, meta)
    table = stats.table(lang)
    for j, col in enumerate(table.columns, start=1):
        put(ws, row, j, col).font = Font(bold=True)
    for i, rec in enumerate(table.itertuples(index=False), start=row + 1):
        for j, v in enumerate(rec, start=1):
            if isinstance(v, (bool, np.bool_)):
                v = str(v)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                v = None if not np.isfinite(float(v)) else (int(v) if isinstance(v, (int, np.integer)) else float(v))
            put(ws, i, j, "—" if v is None else v)
    for letter, width in zip("ABCDEFGH", (16, 30, 16, 8, 70, 16, 12, 12), strict=True):
        ws.column_dimensions[letter].width = width
    return save_bytes(wb)
