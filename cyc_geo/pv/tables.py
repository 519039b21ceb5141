"""Tables, chart data and downloads of the rooftop PV page, in Chinese or English (no Streamlit here).

Every number comes from :mod:`cyc_geo.pv.model`; this module only shapes and labels it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from cyc_geo.geo import hexgrid
from cyc_geo.mapview.payloads import in_lang
from cyc_geo.pv import model as pv
from cyc_geo.pv.rooftops import CLASS_LABELS_EN, CLASS_LABELS_ZH

ROOF_TYPE_LABELS = {"flat": ("平屋顶", "Flat"), "pitched": ("坡屋顶", "Pitched"), "shed": ("彩钢瓦厂房", "Shed")}
GPKG_COLUMNS = ["roof_id", "building_class", "roof_type", "use", "area_m2", "township_code", "geometry",
                "usable_area_m2", "pv_area_m2", "capacity_kw", "specific_yield", "annual_kwh", "co2_t", "tce"]
"""Columns of the roofs GeoPackage download: attributes, geometry, then the per-roof results."""


def class_label(building_class: str, lang: str) -> str:
    return (CLASS_LABELS_ZH if lang == "zh" else CLASS_LABELS_EN)[building_class]


def goal_bars(summary: dict[str, Any], lang: str) -> pd.DataFrame:
    """``item``/``mw`` rows: this scenario, the 2024 goal, the 200 MW whole-city project."""
    return pd.DataFrame({
        "item": [in_lang(lang, "本情景", "This scenario"), in_lang(lang, "2024 目标", "2024 goal"),
                 in_lang(lang, "整市屋顶光伏项目", "200 MW project")],
        "mw": [summary["capacity_mw"], pv.GOAL_MW, pv.PROJECT_MW],
    })


def goal_note(needed: dict[str, float], summary: dict[str, Any], lang: str) -> str:
    """The sentence saying which adoption shares reach 70 MW (``needed`` from :func:`cyc_geo.pv.goal.adoption_for_goal`)."""
    share = summary["share_of_project_mw"]
    if lang == "zh":
        parts = "，".join(f"{class_label(c, lang)} {100 * needed[c]:.1f}%" for c in pv.CLASSES)
        return f"按当前比例等比缩放，达到 70 MW 约需：{parts}；与 200 MW 项目相比为其 {share:.0%}。"
    parts = ", ".join(f"{class_label(c, lang)} {100 * needed[c]:.1f}%" for c in pv.CLASSES)
    return f"Scaling the current shares, 70 MW needs about: {parts}; this is {share:.0%} of the 200 MW project."


def class_breakdown(per_roof: pd.DataFrame, town_names: dict[str, str], lang: str) -> tuple[pd.DataFrame, list[str]]:
    """Capacity per township and building class (``township``/``class`` labels) and townships by total capacity."""
    out = pv.aggregate(per_roof, ["township_code", "building_class"])
    out["township"] = out["township_code"].map(town_names)
    out["class"] = out["building_class"].map(lambda c: class_label(c, lang))
    order = out.groupby("township")["capacity_mw"].sum().sort_values(ascending=False).index.tolist()
    return out, order


def township_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The township table (:func:`cyc_geo.pv.model.township_table`) with labelled, rounded columns."""
    return pd.DataFrame({
        in_lang(lang, "代码", "Code"): table["code"],
        in_lang(lang, "乡镇", "Township"): table["name"] if lang == "zh" else table["name_en"],
        in_lang(lang, "计入屋顶", "Roofs"): table["roofs"],
        in_lang(lang, "可用面积 (m²)", "Usable area (m²)"): table["usable_area_m2"].round(0),
        in_lang(lang, "装机 (MW)", "Capacity (MW)"): table["capacity_mw"].round(3),
        in_lang(lang, "年发电 (GWh)", "Generation (GWh)"): table["annual_gwh"].round(3),
        in_lang(lang, "减排 CO₂ (t)", "CO₂ (t)"): table["co2_t"].round(0),
        in_lang(lang, "标煤 (tce)", "Coal (tce)"): table["tce"].round(0),
    })


def workbook(shown: pd.DataFrame, summary: dict[str, Any], scenario_json: str) -> bytes:
    """The Excel download: the township table, the summary and the scenario."""
    return pv.export_xlsx({
        "townships": shown,
        "summary": pd.DataFrame({"key": list(summary), "value": [str(v) for v in summary.values()]}),
        "scenario": pd.DataFrame({"scenario": [scenario_json]}),
    })


def roofs_in_scenario(roofs: gpd.GeoDataFrame, per_roof: pd.DataFrame, scenario: pv.Scenario) -> gpd.GeoDataFrame:
    """The roofs counted in ``scenario`` (``per_roof.roofs == 1``) with their results (:func:`pv.with_results`)."""
    counted = roofs.loc[per_roof["roofs"].to_numpy() == 1]
    return pv.with_results(counted, scenario)[GPKG_COLUMNS]


def gpkg_bytes(gdf: gpd.GeoDataFrame, layer: str = "pv_roofs") -> bytes:
    """``gdf`` as a GeoPackage file's bytes (one layer)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        return path.read_bytes()


def map_features(shapes: gpd.GeoDataFrame, value: str) -> list[dict]:
    """GeoJSON features with ``v`` (``value``, 0 where missing) and the ``name``/``h3`` label, for a chart."""
    out = shapes.copy()
    out["v"] = out[value].fillna(0.0)
    keep = [c for c in out.columns if c in ("v", "name", "h3", "geometry")]
    return json.loads(out[keep].to_json())["features"]


def township_shapes(towns: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Township polygons with their capacity (MW) and generation (GWh)."""
    return towns[["code", "name", "geometry"]].merge(table[["code", "capacity_mw", "annual_gwh"]], on="code", how="left")


def h3_shapes(per_roof: pd.DataFrame, resolution: int) -> gpd.GeoDataFrame:
    """H3 hexagons with capacity (kW) and generation (GWh), cells without capacity dropped."""
    cells = pv.aggregate_h3(per_roof, int(resolution))
    cells = cells[cells["capacity_kw"] > 0]
    return hexgrid.cell_polygons(cells[["h3", "capacity_kw", "annual_gwh"]])


def yield_rows(params: pv.PVParams, lang: str) -> pd.DataFrame:
    """Specific yield per roof type under ``params`` (labelled)."""
    ytab = pv.yield_table(params)
    return pd.DataFrame({
        in_lang(lang, "屋顶类型", "Roof type"): [in_lang(lang, *ROOF_TYPE_LABELS[t]) for t in ytab],
        in_lang(lang, "单位发电量 (kWh/kWp·年)", "Specific yield (kWh/kWp/yr)"): [round(v, 1) for v in ytab.values()],
    })


def yield_model_note(params: pv.PVParams, lang: str) -> str:
    """How the yield is modelled, with the scenario's numbers."""
    ghi = pv.clearsky_ghi_kwh_m2(params)
    p = params
    if lang == "zh":
        return (
            f"pvlib 晴空模型（Ineichen，内置 Linke 浑浊度）计算长垣（{p.latitude}°N, {p.longitude}°E，"
            f"海拔 {p.altitude_m:.0f} m）晴空水平辐照 {ghi:,.0f} kWh/m²·年，乘以晴空系数 {p.clearness_factor:.2f} "
            f"（等效 {ghi * p.clearness_factor:,.0f} kWh/m²），转换到组件倾斜面，再乘系统效率 {p.performance_ratio:.2f}。"
            f"方案隐含单位发电量 {pv.SEED_SPECIFIC_YIELD:.0f} kWh/kWp。"
        )
    return (
        f"pvlib clear sky (Ineichen, bundled Linke turbidity) at Changyuan ({p.latitude} N, {p.longitude} E, "
        f"{p.altitude_m:.0f} m): clear-sky GHI {ghi:,.0f} kWh/m²/yr, times clearness factor "
        f"{p.clearness_factor:.2f} (effective {ghi * p.clearness_factor:,.0f} kWh/m²), transposed to the "
        f"module plane, times performance ratio {p.performance_ratio:.2f}. The plan implies "
        f"{pv.SEED_SPECIFIC_YIELD:.0f} kWh/kWp."
    )
