"""The forest carbon page's tables and figures: carbon per zone (townships or belt zones, with the
corridor-afforestation scenario), the county figures beside the plan, and the sink-vs-plan series.

No Streamlit here: ``views/carbon.py`` caches and draws; functions that label anything
take the UI language (``"zh"`` or ``"en"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from cyc_geo.carbon import forest, landcover
from cyc_geo.geo.zonal import RasterData

WAN = forest.WAN
SCENARIO_YEARS = 3.0
"""Years of the plan's stock change 2021→2024 (the net sink is spread over them)."""
SCENARIO_HORIZON = 20
"""Horizon of the scenario's growth-based annual mean sequestration, years (docs/sources.md, "Forest growth")."""
CORRIDOR = "corridor"
"""The belt zone an afforestation scenario converts (the landward ecological corridor)."""


def zone_carbon(
    zones: gpd.GeoDataFrame,
    key: str,
    lc: RasterData,
    params: pd.DataFrame,
    pools: pd.DataFrame,
    belt: gpd.GeoDataFrame | None = None,
    share: float = 0.0,
    horizon: int = SCENARIO_HORIZON,
) -> pd.DataFrame:
    """Forest area, stock, sink and storage per zone (:func:`cyc_geo.carbon.forest.carbon_by_zone`) with
    the zones' ``name``; with ``share`` > 0 that share of the belt's corridor is afforested
    (sequestration columns: growth-based annual mean over ``horizon`` years)."""
    future = None
    if share > 0:
        if belt is None:
            raise ValueError("an afforestation scenario needs the belt zones")
        future = landcover.afforest(lc, belt[belt["zone"] == CORRIDOR], share=share)
    out = forest.carbon_by_zone(zones, id_col=key, landcover=lc, params=params, pools=pools, future=future,
                                horizon=horizon)
    out["name"] = zones["name"].to_numpy()
    return out


def plan_net_sink_t_co2(params: pd.DataFrame) -> float:
    """Net sink (t CO2/yr) of the plan's stock change 2021→2024 (180→183 万m³) with the same factors."""
    delta = (forest.PLAN_STOCK_WAN_M3[2024] - forest.PLAN_STOCK_WAN_M3[2021]) * WAN
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
        return self.gross_wan_t - forest.PLAN_SINK_WAN_T[2021]


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
