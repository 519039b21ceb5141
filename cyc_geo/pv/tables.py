"""Tables, chart data and downloads of the rooftop PV page, in Chinese or English (no Streamlit here).

Every number comes from :mod:`cyc_geo.pv.model` (the adoption-share scenario potential) or :mod:`cyc_geo.pv.progress`
(installed capacity from the ledger); this module only shapes and labels it.
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
from cyc_geo.places.profile import profile
from cyc_geo.pv import aggregation, emissions, losses, yield_model
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import CLASSES, ROOF_TYPES, PVParams, Scenario, resolve_params
from cyc_geo.pv.plan import GOAL_MW, PROJECT_MW
from cyc_geo.pv.rooftops import CLASS_LABELS_EN, CLASS_LABELS_ZH

ROOF_TYPE_LABELS = {"flat": ("平屋顶", "Flat"), "pitched": ("坡屋顶", "Pitched"), "shed": ("彩钢瓦厂房", "Shed")}
GPKG_COLUMNS = ["roof_id", "building_class", "roof_type", "use", "area_m2", "township_code", "geometry",
                "usable_area_m2", "pv_area_m2", "capacity_kw", "specific_yield", "annual_kwh", "co2_t", "tce"]
"""Columns of the roofs GeoPackage download: attributes, geometry, then the per-roof results."""


def class_label(building_class: str, lang: str) -> str:
    """A building class in words (``other`` too; an unknown code as is)."""
    labels = {**(CLASS_LABELS_ZH if lang == "zh" else CLASS_LABELS_EN), "other": "其他" if lang == "zh" else "Other"}
    return labels.get(building_class, building_class)


def goal_bars(summary: dict[str, Any], lang: str) -> pd.DataFrame:
    """``item``/``mw`` rows for context: this scenario's adoption-share potential, the 2024 installed goal, the 200 MW project's size."""
    return pd.DataFrame({
        "item": [in_lang(lang, "本情景开发比例潜力（按可用面积封顶）", "This scenario's adoption-share potential (usable-area cap)"),
                 in_lang(lang, "2024 年装机目标", "2024 installed goal"),
                 in_lang(lang, "整市屋顶光伏项目规模（附件2）", "Whole-city rooftop project size (附件2)")],
        "mw": [summary["capacity_mw"], GOAL_MW, PROJECT_MW],
    })


def goal_note(needed: dict[str, float], summary: dict[str, Any], lang: str) -> str:
    """The adoption shares at which this scenario's *potential* equals 70 MW (``needed`` from
    :func:`cyc_geo.pv.goal.adoption_for_goal`); a potential, not progress."""
    if lang == "zh":
        parts = "，".join(f"{class_label(c, lang)} {100 * needed[c]:.1f}%" for c in CLASSES)
        return f"按当前比例等比缩放，情景潜力等于 70 MW 约需开发比例：{parts}（潜力测算，不是装机进度）。"
    parts = ", ".join(f"{class_label(c, lang)} {100 * needed[c]:.1f}%" for c in CLASSES)
    return (f"Scaling the current shares, the scenario potential equals 70 MW at about: {parts} "
            "(a potential, not installed progress).")


def class_breakdown(per_roof: pd.DataFrame, town_names: dict[str, str], lang: str) -> tuple[pd.DataFrame, list[str]]:
    """Capacity per township and building class (``township``/``class`` labels) and townships by total capacity."""
    out = aggregation.aggregate(per_roof, ["township_code", "building_class"])
    out["township"] = out["township_code"].map(town_names)
    out["class"] = out["building_class"].map(lambda c: class_label(c, lang))
    order = out.groupby("township")["capacity_mw"].sum().sort_values(ascending=False).index.tolist()
    return out, order


def township_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The township table (:func:`cyc_geo.pv.aggregation.township_table`) with labelled, rounded columns."""
    return pd.DataFrame({
        in_lang(lang, "代码", "Code"): table["code"],
        in_lang(lang, "乡镇", "Township"): table["name"] if lang == "zh" else table["name_en"],
        in_lang(lang, "计入屋顶", "Roofs"): table["roofs"],
        in_lang(lang, "可用面积 (m²)", "Usable area (m²)"): table["usable_area_m2"].round(0),
        in_lang(lang, "潜力装机 (MW)", "Potential capacity (MW)"): table["capacity_mw"].round(3),
        in_lang(lang, "潜力年发电 (GWh)", "Potential generation (GWh)"): table["annual_gwh"].round(3),
        in_lang(lang, "减排 CO₂ (t)", "CO₂ (t)"): table["co2_t"].round(0),
        in_lang(lang, "标煤 (tce)", "Coal (tce)"): table["tce"].round(0),
    })


POTENTIAL_DEFINITION = (
    "开发比例情景潜力：屋顶面积乘本情景开发比例（默认为国家能源局整县推进最低比例：党政机关 50%、公共建筑 40%、"
    "工商业 30%、农村居民 20%），逐屋顶以可用面积封顶，得到的光伏容量及其首年发电量。它不是技术上限，也不是已建成"
    "（已并网）装机；70 MW 目标的进度只按装机台账中已并网的容量计算。",
    "Adoption-share scenario potential: roof area times this scenario's adoption shares (by default the NEA "
    "county-wide minimum shares: government 50 %, public 40 %, commercial 30 %, rural 20 %), capped roof by roof "
    "by the usable area, and its first-year generation. It is not a technical ceiling and not installed "
    "(grid-connected) capacity. Progress toward the 70 MW goal counts grid-connected capacity of the installations "
    "ledger only.",
)
"""What the PV page's potential figures mean, on screen and in its downloads."""

PROJECT_VS_GOAL_NOTE = (
    f"注意：附件2 第3项“整市推进屋顶分布式光伏”的 {PROJECT_MW:.0f} MW 是该项目（整县推进规划）的建设规模，"
    f"方案的目标是到 2024 年已并网 {GOAL_MW:.0f} MW（三、二）。二者口径不同：{PROJECT_MW:.0f} MW 不是 2024 年装机目标，"
    "项目规模和情景潜力都不计入目标进度。",
    f"Note: the {PROJECT_MW:.0f} MW of priority project 3 (Annex 2, whole-city rooftop PV) is the programme's scale, "
    f"while the plan's goal is {GOAL_MW:.0f} MW installed (grid-connected) by 2024. They are different measures: "
    f"{PROJECT_MW:.0f} MW is not the 2024 installed goal, and neither the project's scale nor the scenario "
    "potential counts toward progress.",
)
"""The flag beside the 200 MW project and the 70 MW goal on the PV page (docs/sources.md, "附件2", "Plan goals")."""


def share_cap_note(caps: dict[str, dict[str, Any]], lang: str) -> str | None:
    """Which classes' adoption shares are capped by the usable area (:func:`cyc_geo.pv.model.share_caps`), or None.

    A class capped on every roof gains nothing from a higher share; a class capped on some roofs gains less."""
    full = [c for c, v in caps.items() if v["capped"]]
    part = [c for c, v in caps.items() if not v["capped"] and v["roofs_at_cap"] > 0]
    if not full and not part:
        return None
    sep = "，" if lang == "zh" else ", "
    bits = []
    if full:
        names = sep.join(f"{class_label(c, lang)} {100 * caps[c]['share']:g}%" for c in full)
        bits.append(in_lang(lang, f"{names}：所有屋顶均受可用面积封顶，提高比例不会增加潜力",
                            f"{names}: every roof is at its usable-area cap, so a higher share adds nothing"))
    if part:
        names = sep.join(f"{class_label(c, lang)} {100 * caps[c]['roofs_at_cap'] / caps[c]['roofs']:.0f}%" for c in part)
        bits.append(in_lang(lang, f"部分屋顶受可用面积封顶（占该类屋顶）：{names}",
                            f"some roofs at the cap (share of the class's roofs): {names}"))
    joiner = "；" if lang == "zh" else "; "
    return in_lang(lang, "开发比例受可用面积封顶：", "Shares capped by the usable area: ") + joiner.join(bits) + in_lang(lang, "。", ".")


SUMMARY_ROWS: dict[str, tuple[str, str, str, float]] = {
    "buildings": ("建筑数", "Buildings", "个", 1.0),
    "roofs": ("计入屋顶数", "Roofs counted", "个", 1.0),
    "area_m2": ("屋顶面积", "Roof area", "m²", 1.0),
    "usable_area_m2": ("可用面积", "Usable area", "m²", 1.0),
    "pv_area_m2": ("组件面积", "Module area", "m²", 1.0),
    "capacity_mw": ("潜力装机", "Potential capacity", "MW", 1.0),
    "annual_gwh": ("潜力年发电", "Potential generation", "GWh", 1.0),
    "specific_yield": ("单位发电量", "Specific yield", "kWh/kWp", 1.0),
    "co2_t": ("减排 CO₂", "CO₂ avoided", "tCO2", 1.0),
    "tce": ("节约标煤", "Coal saved", "tce", 1.0),
    "co2_factor": ("CO₂ 折算因子（数值、名称、年份）", "CO₂ factor (value, name, year)", "", 1.0),
    "goal_mw": ("2024 年装机目标", "2024 installed goal", "MW", 1.0),
    "project_mw": ("整市屋顶光伏项目规模（附件2）", "Whole-city rooftop project size (附件2)", "MW", 1.0),
    "project_gwh": ("整市屋顶光伏项目年发电（附件2）", "Whole-city rooftop project generation (附件2)", "GWh", 1.0),
    "share_of_project_mw": ("潜力占项目规模比例", "Potential as share of the project size", "%", 100.0),
    "share_of_project_gwh": ("潜力占项目发电比例", "Potential as share of the project generation", "%", 100.0),
}
"""Summary keys of :func:`cyc_geo.pv.aggregation.summary` as labelled rows: (zh, en, unit, factor to the unit)."""


def summary_rows(summary: dict[str, Any], lang: str) -> pd.DataFrame:
    """The summary as 项目 / 数值 / 单位 rows, numbers rounded as the plan prints their unit."""
    from cyc_geo.exports.meta import round_for_unit

    rows = []
    for key, value in summary.items():
        zh, en, unit, factor = SUMMARY_ROWS.get(key, (key, key, "", 1.0))
        number = float(value) * factor if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        if unit == "个":
            number = int(round(number))
        rows.append((in_lang(lang, zh, en), round_for_unit(number, unit or None), unit))
    return pd.DataFrame(rows, columns=[in_lang(lang, "项目", "Item"), in_lang(lang, "数值", "Value"),
                                       in_lang(lang, "单位", "Unit")])


PARAM_LABELS = {
    "performance_ratio": ("系统效率 PR", "Performance ratio"), "albedo": ("地面反照率", "Albedo"),
    "azimuth_deg": ("方位角 (°)", "Azimuth (°)"), "tilt_deg": ("倾角 (°)", "Tilt (°)"),
    "gcr": ("地面覆盖率", "Ground coverage ratio"), "ghi_scale": ("辐照缩放系数", "GHI scale"),
    "specific_yield_kwh_per_kwp": ("单位发电量 (kWh/kWp)", "Specific yield (kWh/kWp)"),
    "emission_preset": ("排放因子", "Emission factor preset"), "usable_fraction": ("可用面积比例", "Usable fraction"),
    "temp_coeff_pct_per_k": ("温度系数 (%/K)", "Temperature coefficient (%/K)"),
    "transposition": ("转换模型", "Transposition model"), "losses_pct": ("损失 (%)", "Losses (%)"),
    "clearness_factor": ("晴空系数", "Clearness factor"), "overcast_ratio": ("阴天比例", "Overcast ratio"),
    "degradation_pct_per_yr": ("年衰减率 (%/年)", "Degradation (%/yr)"), "lifetime_years": ("寿命 (年)", "Lifetime (years)"),
}
"""Names of the scenario's parameter overrides (fields of :class:`cyc_geo.pv.params.PVParams`)."""


def _param_value(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        sep = "；" if lang == "zh" else "; "
        return sep.join(f"{ROOF_TYPE_LABELS.get(k, (k, k))[0 if lang == 'zh' else 1]} {v:g}" if isinstance(v, (int, float))
                        else f"{k} {v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def scenario_rows(scenario: Scenario, lang: str, town_names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """A scenario as readable (parameter, value) rows: adoption per class (%), townships, minimum roof size,
    each parameter override."""
    rows = [(in_lang(lang, f"开发比例：{class_label(c, lang)} (%)", f"Adoption: {class_label(c, lang)} (%)"),
             f"{100 * float(scenario.adoption.get(c, 0.0)):g}") for c in CLASSES]
    names = [(town_names or {}).get(code, code) for code in scenario.townships]
    rows.append((in_lang(lang, "乡镇范围", "Townships"),
                 ("、" if lang == "zh" else ", ").join(names) if names else in_lang(lang, "全市", "whole city")))
    rows.append((in_lang(lang, "最小屋顶面积 (m²)", "Minimum roof size (m²)"), f"{float(scenario.min_roof_m2):g}"))
    for key in sorted(scenario.params):
        label = PARAM_LABELS.get(key, (key, key))
        rows.append((label[0] if lang == "zh" else label[1], _param_value(scenario.params[key], lang)))
    return rows


def workbook(shown: pd.DataFrame, summary: dict[str, Any], scenario: Scenario | str, demo: bool,
             scenario_name: str | None = None, lang: str = "zh", town_names: dict[str, str] | None = None) -> bytes:
    """The Excel download (``cyc_geo.exports``): every sheet opens with title, date, scenario name and the
    demo note; sheets 说明 (what the figures are: potential, not installed), 乡镇 (the township table),
    汇总 (labelled summary, numbers as numbers) and 情景 (the scenario as parameter rows)."""
    from cyc_geo.exports.excel import workbook_bytes
    from cyc_geo.exports.meta import ExportMeta

    if isinstance(scenario, str):
        scenario = Scenario.from_dict(json.loads(scenario)) if scenario.strip() not in ("", "{}") else Scenario()
    name = scenario_name or in_lang(lang, "默认情景（国家能源局整县推进比例）", "Default (NEA county-wide shares)")
    meta = ExportMeta(title=("屋顶光伏开发比例情景潜力（按乡镇）", "Rooftop PV adoption-share scenario potential by township"), lang=lang,
                      filters={in_lang(lang, "情景", "Scenario"): name}, demo=demo,
                      sources=[in_lang(lang, "屋顶：建筑屋顶图层；发电：全天候逐时模型（见 docs/pv.md）",
                                       "Roofs: building rooftops layer; yield: all-sky hourly model (see docs/pv.md)")])
    preset = resolve_params(scenario).emission_preset
    about = [in_lang(lang, *POTENTIAL_DEFINITION), co2_factor_note(preset, lang)]
    summary = {**summary, "co2_factor": emissions.get_preset(preset).label(lang)}  # text: value, name and year
    units = {}
    for col in shown.columns:
        for unit in ("MW", "GWh", "m²", "tce"):
            if f"({unit})" in str(col):
                units[col] = unit
        if "CO₂ (t)" in str(col):
            units[col] = "t"
    key = in_lang(lang, "参数", "Parameter"), in_lang(lang, "取值", "Value")
    sheets = {
        in_lang(lang, "说明", "About"): pd.DataFrame({in_lang(lang, "说明", "Definition"): about}),
        in_lang(lang, "乡镇", "Townships"): shown,
        in_lang(lang, "汇总", "Summary"): summary_rows(summary, lang),
        in_lang(lang, "情景", "Scenario"): pd.DataFrame(scenario_rows(scenario, lang, town_names), columns=list(key)),
    }
    return workbook_bytes(sheets, meta, {in_lang(lang, "乡镇", "Townships"): units})


def roofs_in_scenario(roofs: gpd.GeoDataFrame, per_roof: pd.DataFrame, scenario: Scenario) -> gpd.GeoDataFrame:
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
    cells = aggregation.aggregate_h3(per_roof, int(resolution))
    cells = cells[cells["capacity_kw"] > 0]
    return hexgrid.cell_polygons(cells[["h3", "capacity_kw", "annual_gwh"]])


def yield_rows(params: PVParams, lang: str) -> pd.DataFrame:
    """Specific yield per roof type under ``params`` (labelled)."""
    ytab = yield_model.yield_table(params)
    life = losses.lifetime_factor(float(params.degradation_pct_per_yr), int(params.lifetime_years))
    years = int(params.lifetime_years)
    return pd.DataFrame({
        in_lang(lang, "屋顶类型", "Roof type"): [in_lang(lang, *ROOF_TYPE_LABELS[t]) for t in ytab],
        in_lang(lang, "首年单位发电量 (kWh/kWp·年)", "First-year specific yield (kWh/kWp/yr)"):
            [round(v, 1) for v in ytab.values()],
        in_lang(lang, f"{years} 年平均单位发电量 (kWh/kWp·年)", f"{years}-year average specific yield (kWh/kWp/yr)"):
            [round(v * life, 1) for v in ytab.values()],
    })


LOSS_LABELS = {
    "incidence_angle": ("入射角", "Incidence angle"), "row_shading_beam": ("前后排遮挡（直射）", "Row shading (beam)"),
    "row_shading_diffuse": ("前后排遮挡（散射）", "Row shading (diffuse)"), "temperature": ("温度", "Temperature"),
    "soiling": ("积灰", "Soiling"), "mismatch": ("失配", "Mismatch"), "wiring": ("直流线损", "DC wiring"),
    "connections": ("接头", "Connections"), "light_induced_degradation": ("光致衰减", "Light-induced degradation"),
    "nameplate": ("铭牌偏差", "Nameplate"), "inverter": ("逆变器", "Inverter"), "availability": ("可用率", "Availability"),
    "external_shading": ("外部遮挡（树木、邻近建筑、女儿墙）", "External shading (trees, neighbours, parapets)"),
    "low_irradiance_spectral": ("弱光与光谱", "Low irradiance and spectrum"),
}
"""Names of the itemised losses of :func:`cyc_geo.pv.yield_model.yield_payload` (docs/sources.md, "PV losses")."""


TRANSPOSITION_NAMES = {"haydavies": ("Hay-Davies", "Hay-Davies"), "perez": ("Perez", "Perez"),
                       "isotropic": ("各向同性", "isotropic")}
"""Transposition models (:attr:`cyc_geo.pv.params.PVParams.transposition`) by their authors' names, as cited."""


def yield_model_note(params: PVParams, lang: str) -> str:
    """How the yield is modelled (all-sky irradiation, transposition, itemised losses), with this scenario's numbers."""
    y = yield_model.yield_payload(params)
    flat = y["flat"]
    y = {**y, "transposition": in_lang(lang, *TRANSPOSITION_NAMES.get(y["transposition"], (y["transposition"],) * 2))}
    if lang == "zh":
        return (
            f"全天候逐时模型：{profile().short_zh}（{params.latitude}°N, {params.longitude}°E）月均水平总辐照合计 "
            f"{y['ghi_kwh_m2']:,.0f} kWh/m²·年（近似气候值，可换用 EPW/PVGIS 逐时文件，见 docs/pv.md），"
            f"Erbs 分离直射与散射，{y['transposition']} 模型转换到组件面（平屋顶 {flat['tilt_deg']:.0f}° 倾斜面"
            f"为水平面的 {flat['poa_ghi_ratio']:.3f} 倍），再逐项扣除损失（下表）。平屋顶支架按冬至日 9–15 时"
            f"前后排无遮挡布置，地面覆盖率 {flat['gcr']:.2f}。以上为首年值；按年衰减 {y['degradation_pct_per_yr']:g}%、"
            f"寿命 {y['lifetime_years']} 年，平屋顶 {y['lifetime_years']} 年平均单位发电量 "
            f"{flat['specific_yield_lifetime_kwh_kwp']:,.0f} kWh/kWp（首年 {flat['specific_yield_kwh_kwp']:,.0f}）。"
            f"方案隐含单位发电量 {y['plan_implied_kwh_kwp']:.0f} kWh/kWp（按寿命平均口径比较），"
            f"为平屋顶寿命平均值的 {100 * y['plan_vs_lifetime_flat']:.0f}%。"
        )
    return (
        f"All-sky hourly model: monthly mean GHI at {profile().name_en} ({params.latitude} N, {params.longitude} E) adds up to "
        f"{y['ghi_kwh_m2']:,.0f} kWh/m²/yr (approximate climate means; an EPW/PVGIS hourly file can replace them, "
        f"see docs/pv.md), split into beam and diffuse with Erbs, transposed with {y['transposition']} (a "
        f"{flat['tilt_deg']:.0f}° flat-roof plane gets {flat['poa_ghi_ratio']:.3f} × GHI), then itemised losses "
        f"(table below). Flat-roof racks are spaced for no row shading 9:00–15:00 at the winter solstice, ground "
        f"coverage {flat['gcr']:.2f}. These are first-year figures; at {y['degradation_pct_per_yr']:g} %/yr "
        f"degradation over {y['lifetime_years']} years a flat roof averages "
        f"{flat['specific_yield_lifetime_kwh_kwp']:,.0f} kWh/kWp (first year {flat['specific_yield_kwh_kwp']:,.0f}). "
        f"The plan implies {y['plan_implied_kwh_kwp']:.0f} kWh/kWp, a lifetime-average figure: "
        f"{100 * y['plan_vs_lifetime_flat']:.0f} % of the flat roof's lifetime average."
    )


def loss_table(params: PVParams, lang: str) -> pd.DataFrame:
    """Losses in % by roof type (rows: loss items, columns: roof types) and the resulting performance ratio."""
    y = yield_model.yield_payload(params)
    names = list(y["flat"]["losses"])
    table = {in_lang(lang, "损失项", "Loss"): [in_lang(lang, *LOSS_LABELS.get(n, (n, n))) for n in names]
             + [in_lang(lang, "系统效率 PR", "Performance ratio")]}
    for t in ROOF_TYPES:
        vals = [round(float(y[t]["losses"].get(n, 0.0)), 2) for n in names]
        table[in_lang(lang, *ROOF_TYPE_LABELS[t]) + " (%)"] = vals + [round(100 * y[t]["performance_ratio"], 1)]
    return pd.DataFrame(table)


def co2_factor_note(emission_preset: str, lang: str) -> str:
    """What every CO₂ figure of a scenario is counted with: the factor, its name and year
    (:func:`cyc_geo.pv.emissions.factor_label`; docs/sources.md, "Grid emission factors")."""
    label = emissions.get_preset(emission_preset).label(lang)
    if lang == "zh":
        return f"减排 CO₂ 按 {label} 折算；标煤按 300 gce/kWh（方案口径）。"
    return f"CO₂ avoided is counted at {label}; coal saved at 300 gce/kWh (the plan's)."


def range_caption(rng: dict[str, Any], lang: str, emission_preset: str | None = None) -> str:
    """One line giving the low–high range of the potential's generation and CO₂ (:func:`cyc_geo.pv.model.potential_range`),
    with the CO₂ factor of ``emission_preset`` when given."""
    lo, mid, hi = rng["low"], rng["central"], rng["high"]
    factor = "" if emission_preset is None else (
        f"（{emissions.factor_label(emission_preset, lang)}）" if lang == "zh"
        else f" ({emissions.factor_label(emission_preset, lang)})")
    if lang == "zh":
        return (f"区间（低 / 中 / 高，辐照 ±{100 * rng['assumptions']['ghi_spread']:.0f}% 与损失上下限）："
                f"年发电量 {lo['annual_gwh']:,.0f} / {mid['annual_gwh']:,.0f} / {hi['annual_gwh']:,.0f} GWh，"
                f"减排 CO₂ {lo['co2_t'] / 1e4:,.1f} / {mid['co2_t'] / 1e4:,.1f} / {hi['co2_t'] / 1e4:,.1f} 万t{factor}，"
                f"单位发电量 {lo['specific_yield']:,.0f} / {mid['specific_yield']:,.0f} / {hi['specific_yield']:,.0f} kWh/kWp。")
    return (f"Range (low / central / high: GHI ±{100 * rng['assumptions']['ghi_spread']:.0f}% and loss bounds): "
            f"generation {lo['annual_gwh']:,.0f} / {mid['annual_gwh']:,.0f} / {hi['annual_gwh']:,.0f} GWh/yr, "
            f"CO₂ avoided {lo['co2_t'] / 1e4:,.1f} / {mid['co2_t'] / 1e4:,.1f} / {hi['co2_t'] / 1e4:,.1f} × 10k t{factor}, "
            f"specific yield {lo['specific_yield']:,.0f} / {mid['specific_yield']:,.0f} / {hi['specific_yield']:,.0f} kWh/kWp.")


# ---------------------------------------------------------------- installed progress (ledger)


def progress_sentence(summary: dict[str, Any], lang: str) -> str:
    """The goal-status sentence of :func:`cyc_geo.pv.progress.progress_summary` (installed capacity only)."""
    from cyc_geo.pv.progress import STATUS_LABELS

    status = in_lang(lang, *STATUS_LABELS[summary["goal_status"]])
    inst, gap, pipe = summary["installed_mw"], summary["gap_mw"], summary["pipeline_mw"]
    return progress_sentence_text(summary, lang, status, inst, gap, pipe) + opening_stock_sentence(summary, lang)


def progress_sentence_text(summary: dict[str, Any], lang: str, status: str, inst: float, gap: float, pipe: float) -> str:
    """The sentence's first part: installed, gap, status, pipeline."""
    if lang == "zh":
        return (f"已并网 {inst:,.1f} MW，距 {summary['goal_year']} 年 {summary['goal_mw']:.0f} MW 目标缺口 "
                f"{gap:,.1f} MW（{status}，截至 {summary['as_of']}）。在建及备案 {pipe:,.1f} MW 尚未并网，不计入目标。")
    return (f"Installed (grid-connected): {inst:,.1f} MW; gap to the {summary['goal_year']} goal of "
            f"{summary['goal_mw']:.0f} MW: {gap:,.1f} MW ({status}, as of {summary['as_of']}). "
            f"{pipe:,.1f} MW under construction or filed is not yet connected and does not count.")


def opening_stock_sentence(summary: dict[str, Any], lang: str) -> str:
    """What installed capacity starts from: the opening stock (with its source) or the ledger alone; DC-only rows."""
    stock = summary.get("opening_stock")
    zh = lang == "zh"
    if stock is None:
        text = ("未录入期初容量：已并网仅为台账所列项目之和，台账之前并网的光伏未计入。" if zh else
                " No opening stock entered: installed is the sum of the ledger's rows; PV connected before the ledger "
                "is not counted.")
    elif summary.get("opening_stock_applied"):
        text = (f"含期初：{stock['label_zh']} {stock['mw']:,.1f} MW（来源：{stock['source']}），加台账中其后并网的 "
                f"{summary['ledger_installed_mw']:,.1f} MW。" if zh else
                f" Includes the opening stock: {stock['label_en']} {stock['mw']:,.1f} MW (source: {stock['source']}), "
                f"plus {summary['ledger_installed_mw']:,.1f} MW of ledger rows connected after it.")
    else:
        text = (f"截至日期早于期初容量日期（{stock['as_of']}），仅计台账。" if zh else
                f" The as-of date is before the opening stock's date ({stock['as_of']}): the ledger alone counts.")
    dc = float(summary.get("installed_dc_only_mwp") or 0.0)
    if dc > 0:
        text += (f"另有仅注明直流组件容量的已并网项目 {dc:,.2f} MWp，未换算、不计入交流目标。" if zh else
                 f" Another {dc:,.2f} MWp of connected rows is known only as DC module capacity: not converted, "
                 "not counted toward the AC goal.")
    return text


def progress_series_labels(lang: str) -> tuple[str, str, str]:
    """Legend names: cumulative installed, pipeline, the 70 MW goal."""
    return (in_lang(lang, "累计已并网", "Installed (cumulative)"), in_lang(lang, "在建+备案", "Under construction + filed"),
            in_lang(lang, "2024 年目标 70 MW", "2024 goal 70 MW"))


def progress_chart_data(summary: dict[str, Any], lang: str) -> pd.DataFrame:
    """Long rows (``year``, ``series``, ``lo``, ``hi`` in MW): installed per year end, pipeline on top of the last year, goal line."""
    inst_label, pipe_label, goal_label = progress_series_labels(lang)
    years = [y["year"] for y in summary["by_year"]] or [int(summary["as_of"][:4])]
    rows = [{"year": y["year"], "series": inst_label, "lo": 0.0, "hi": y["cumulative_mw"]} for y in summary["by_year"]]
    last = years[-1]
    rows.append({"year": last, "series": pipe_label, "lo": summary["installed_mw"],
                 "hi": summary["installed_mw"] + summary["pipeline_mw"]})
    span = sorted(set(years) | {summary["goal_year"]})
    rows += [{"year": y, "series": goal_label, "lo": 0.0, "hi": summary["goal_mw"]} for y in range(span[0], span[-1] + 1)]
    return pd.DataFrame(rows).astype({"year": str})


def township_installed(summary: dict[str, Any], townships: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``township``/``installed_mw`` rows (labelled in ``lang``), largest first."""
    en = dict(zip(townships["code"].astype(str), townships["name_en"], strict=True))
    return pd.DataFrame({
        "township": [t["name"] if lang == "zh" else en.get(t["code"], t["name"]) for t in summary["by_township"]],
        "installed_mw": [t["installed_mw"] for t in summary["by_township"]],
    })


def remaining_display(ranked: pd.DataFrame, lang: str, top: int = 10) -> pd.DataFrame:
    """The township ranking of the remaining scenario potential (NEA minimum shares, usable-area cap)
    (:func:`cyc_geo.pv.progress.remaining_by_township`)."""
    head = ranked.head(top)
    return pd.DataFrame({
        in_lang(lang, "乡镇", "Township"): head["name"] if lang == "zh" else head["name_en"],
        in_lang(lang, "剩余情景潜力 (MW，整县推进最低比例)",
                "Remaining scenario potential (MW, NEA minimum shares)"): head["potential_mw"].round(1),
    })


def what_it_takes(summary: dict[str, Any], lang: str) -> str:
    """What closing the gap takes: MW still needed, the free roofs' potential and the share of the NEA ratios."""
    from cyc_geo.pv.progress import nea_shares_to_close

    gap, pot, share = summary["gap_mw"], summary["remaining_potential_mw"], summary["share_to_close"]
    if gap <= 0:
        return in_lang(lang, "已并网容量已达到 70 MW 目标，无需再补缺口。",
                       "Installed capacity has reached the 70 MW goal; no gap to close.")
    if share is None:
        return in_lang(lang, f"仍需 {gap:,.1f} MW，但未装光伏的屋顶按整县推进最低比例已无剩余情景潜力。",
                       f"{gap:,.1f} MW still needed, but the roofs without PV have no scenario potential left at the NEA minimum shares.")
    shares = nea_shares_to_close(share)
    parts = ("，" if lang == "zh" else ", ").join(f"{class_label(c, lang)} {100 * shares[c]:.1f}%" for c in CLASSES)
    if lang == "zh":
        return (f"仍需新增并网 {gap:,.1f} MW。尚未安装光伏的屋顶按国家能源局整县推进最低比例（按可用面积封顶）的情景潜力为 {pot:,.1f} MW，"
                f"只需建成其中 {share:.1%}（即开发比例：{parts}）即可补足缺口。")
    return (f"{gap:,.1f} MW still needs to be connected. The roofs without PV have {pot:,.1f} MW of scenario potential "
            f"at the NEA county-wide minimum shares (capped by the usable area); building {share:.1%} of it (adoption: {parts}) closes "
            "the gap.")


LEDGER_LABELS = {"install_id": ("编号", "Id"), "name": ("名称", "Name"), "owner": ("业主", "Owner"),
                 "building_class": ("建筑类别", "Building class"), "status": ("状态", "Status"),
                 "capacity_kw": ("并网容量 (kW, 交流)", "Capacity (kW, AC)"),
                 "capacity_kwp": ("组件容量 (kWp, 直流)", "Capacity (kWp, DC)"), "date": ("日期", "Date"),
                 "township_code": ("乡镇代码", "Township code")}


def ledger_display(ledger: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ledger as a labelled table (status in words), newest first."""
    from cyc_geo.pv.installations import STATUS_LABELS

    out = pd.DataFrame(ledger.reindex(columns=list(LEDGER_LABELS))).sort_values(["date", "install_id"], ascending=False)
    out["status"] = out["status"].map(lambda s: in_lang(lang, *STATUS_LABELS.get(s, (s, s))))
    out["building_class"] = out["building_class"].map(lambda c: class_label(c, lang))
    return out.rename(columns={k: in_lang(lang, *v) for k, v in LEDGER_LABELS.items()})


def ledger_row_defaults(ledger: gpd.GeoDataFrame, install_id: int | None) -> dict[str, Any]:
    """Form defaults for correcting ``install_id`` (None: a new row), with ``lon``/``lat`` when it has coordinates."""
    if install_id is None or install_id not in set(ledger["install_id"]):
        return {"name": "", "owner": "", "building_class": "rural", "status": "grid_connected", "capacity_kw": 10.0,
                "date": "", "township_code": "", "lon": "", "lat": ""}
    r = ledger[ledger["install_id"] == install_id].iloc[0]
    has = bool(r["has_coords"])
    return {"name": r["name"], "owner": r["owner"], "building_class": r["building_class"], "status": r["status"],
            "capacity_kw": float(r["capacity_kw"]) if pd.notna(r["capacity_kw"]) else 0.0, "date": r["date"],
            "township_code": r["township_code"],
            "lon": f"{r.geometry.x:.6f}" if has else "", "lat": f"{r.geometry.y:.6f}" if has else ""}
