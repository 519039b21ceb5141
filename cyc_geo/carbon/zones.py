"""The forest carbon page's tables and figures: carbon per zone (townships or belt zones, with the
corridor-afforestation scenario), the county figures beside the plan, and the sink-vs-plan series.

No Streamlit here: ``views/carbon.py`` caches and draws; functions that label anything
take the UI language (``"zh"`` or ``"en"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from cyc_geo.carbon import forest
from cyc_geo.geo.zonal import RasterData

WAN = forest.WAN
SCENARIO_YEARS = 3.0
"""Years of the plan's stock change 2021→2024 (the net sink is spread over them)."""
SCENARIO_HORIZON = 20
"""Horizon of the scenario's growth-based annual mean sequestration, years (docs/sources.md, "Forest growth")."""


def zone_carbon(
    zones: gpd.GeoDataFrame,
    key: str,
    lc: RasterData,
    params: pd.DataFrame,
    pools: pd.DataFrame,
    future: RasterData | None = None,
    horizon: int = SCENARIO_HORIZON,
) -> pd.DataFrame:
    """Forest area, stock, sink and storage per zone (:func:`cyc_geo.carbon.forest.carbon_by_zone`) with
    the zones' ``name``; with a ``future`` land cover (e.g. the belt scenario's,
    :func:`cyc_geo.carbon.belt_scenario.belt_afforestation`) the sequestration columns give the
    growth-based annual mean over ``horizon`` years."""
    out = forest.carbon_by_zone(zones, id_col=key, landcover=lc, params=params, pools=pools, future=future,
                                horizon=horizon)
    out["name"] = zones["name"].to_numpy()
    if "name_en" in zones:
        out["name_en"] = zones["name_en"].to_numpy()
    return out


def plan_net_sink_t_co2(params: pd.DataFrame) -> float:
    """Net sink (t CO2/yr) of the plan's stock change 2021→2024 (180→183 万m³) with the same factors."""
    delta = forest.plan_stock_change_m3()
    return forest.net_sink_from_stock_change(delta, SCENARIO_YEARS, params)


@dataclass(frozen=True)
class CountyFigures:
    """The county totals the page shows, in the plan's units (万 = 10⁴)."""

    gross_wan_t: float
    net_wan_t: float
    stock_wan_m3: float
    forest_area_ha: float
    forest_area_mu: float
    storage_wan_t_c: float
    sequestration_wan_t_co2_yr: float

    @property
    def gross_vs_plan_2021(self) -> float:
        """Gross sink minus the plan's 2021 sink (附件1 #4), 万t CO2/yr."""
        return self.gross_wan_t - forest.PLAN_SINK_WAN_T.get(2021, float("nan"))


def county_figures(by_township: pd.DataFrame, params: pd.DataFrame) -> CountyFigures:
    """County totals from :func:`zone_carbon` over the townships (sequestration 0 without a scenario)."""
    seq = by_township["sequestration_t_co2_yr"].sum() if "sequestration_t_co2_yr" in by_township else 0.0
    return CountyFigures(
        gross_wan_t=float(by_township["sink_t_co2"].sum()) / WAN,
        net_wan_t=plan_net_sink_t_co2(params) / WAN,
        stock_wan_m3=float(by_township["stock_m3"].sum()) / WAN,
        forest_area_ha=float(by_township["forest_area_ha"].sum()),
        forest_area_mu=float(by_township["forest_area_mu"].sum()),
        storage_wan_t_c=float(by_township["storage_t_c"].sum()) / WAN,
        sequestration_wan_t_co2_yr=float(seq) / WAN,
    )


def indicator_series(gross_wan: float, net_wan: float, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's sink targets per year (bars) and the map's gross and the plan's net sink (lines), 万t CO2/yr."""
    zh = lang == "zh"
    plan = pd.DataFrame({
        "year": [str(y) for y in forest.PLAN_SINK_WAN_T],
        "value": list(forest.PLAN_SINK_WAN_T.values()),
        "series": "规划目标（附件1 #4）" if zh else "Plan target (Annex 1 #4)",
    })
    lines = pd.DataFrame({
        "value": [gross_wan, net_wan],
        "series": ["地图计算：毛碳汇", "规划蓄积净增折算：净碳汇"] if zh
        else ["From the map: gross sink", "Net sink from the plan's stock change"],
    })
    return plan, lines


SERIES = {
    "gross": ("毛碳汇（年生长吸收）", "Gross uptake (annual growth)",
              "现有林木一年生长吸收的 CO2：蓄积 × 生长率 × BEF × (1+R) × D × CF × 44/12（规划碳汇量即此口径）。",
              "CO2 taken up in one year by the growth of the standing forest: stock × growth rate × BEF × (1+R) × D × "
              "CF × 44/12 (the plan's carbon sink figure is this)."),
    "net": ("净蓄积变化（净碳汇）", "Net stock change (net sink)",
            "规划蓄积 180→183 万m³（2021–2024）的年净增量按同一系数折算的 CO2：生长减去采伐后留在林中的部分。",
            "The plan's net stock change 1.80→1.83 million m³ (2021–2024) per year, converted with the same factors: growth "
            "minus harvest, what stays in the forest."),
    "scenario": ("情景固碳（造林新增）", "Scenario sequestration (new planting)",
                 "情景中新造林按生长率逐年积累生物量、土壤碳按20年过渡期变化，取20年年均值；是在现有碳汇之外的新增量。",
                 "Carbon taken up by the scenario's new stands, grown at their growth rate with soil carbon changing "
                 "over the 20-year transition, as the 20-year annual mean; it adds to the existing sink."),
    "plan": ("规划目标 23.36→26.05 万t（附件1 #4）", "Plan target 233,600→260,500 t (Annex 1 #4)",
             "方案附件1 碳汇量：2021年现状 23.36，2022–2024年目标 24.19 / 25.12 / 26.05 万t CO2/年。",
             "Annex 1 carbon sink: 233,600 t CO2/yr in 2021, targets 241,900 / 251,200 / 260,500 t CO2/yr for 2022–2024."),
}
"""Name and one-sentence definition (zh, en) of each series the forest page draws."""


def series_label(key: str, lang: str) -> str:
    """The legend name of a series (:data:`SERIES`) in ``lang``."""
    zh, en, _, _ = SERIES[key]
    return zh if lang == "zh" else en


def series_definitions(lang: str, keys: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``series, definition`` for the series ``keys`` of :data:`SERIES` (default all), in ``lang``."""
    zh = lang == "zh"
    return pd.DataFrame([{"series": v[0] if zh else v[1], "definition": v[2] if zh else v[3]}
                         for k, v in SERIES.items() if keys is None or k in keys])


def chart_series(gross_wan: float, net_wan: float, scenario_wan: float | None, lang: str) -> pd.DataFrame:
    """Every series of the sink chart in one long table ``year, value, series, mark`` (万t CO2/yr).

    ``mark`` is ``bar`` for the plan's targets (one per year 2021–2024) and ``rule`` for the
    map's figures (one level each); the scenario is left out when there is none.
    """
    rows = [{"year": str(y), "value": v, "series": series_label("plan", lang), "mark": "bar"}
            for y, v in forest.PLAN_SINK_WAN_T.items()]
    levels = [("gross", gross_wan), ("net", net_wan)] + ([("scenario", scenario_wan)] if scenario_wan else [])
    rows += [{"year": "", "value": v, "series": series_label(k, lang), "mark": "rule"} for k, v in levels]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TargetsCheck:
    """Whether the sink (附件1 #4) and stock (#16) targets of 2024 can both be met with a fixed uptake per m³."""

    t_co2_per_m3: float
    """Gross uptake per m³ of stock per year in use (t CO2/m³/yr)."""
    sink_at_target_stock_wan_t: float
    """Gross sink if the stock meets its 2024 target, 万t CO2/yr."""
    needed_t_co2_per_m3: float
    """Uptake per m³ at which the 2024 stock target gives the 2024 sink target."""

    @property
    def reachable(self) -> bool:
        return self.sink_at_target_stock_wan_t >= forest.PLAN_SINK_WAN_T[2024] - 1e-9

    @property
    def growth_factor_needed(self) -> float:
        """By how much the growth rate must rise for both targets to be met together."""
        return self.needed_t_co2_per_m3 / self.t_co2_per_m3


def targets_check(gross_wan: float, stock_wan_m3: float) -> TargetsCheck:
    """With uptake = gross / stock (fixed per m³, e.g. 0.1298 t CO2/m³), the sink at 183 万m³ vs 26.05 万t."""
    per_m3 = gross_wan / stock_wan_m3 if stock_wan_m3 else float("nan")
    return TargetsCheck(per_m3, per_m3 * forest.PLAN_STOCK_WAN_M3[2024],
                        forest.PLAN_SINK_WAN_T[2024] / forest.PLAN_STOCK_WAN_M3[2024])
