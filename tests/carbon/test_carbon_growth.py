"""Growth-based sequestration: one stand by hand, rates within the cited ranges, losses, the CLI series."""

from __future__ import annotations

import pytest

from cyc_geo.carbon import forest, growth

C_PER_M3 = 1.446 * 0.378 * 0.4956 * 1.227  # BEF × D × CF × (1 + R), poplar, t C per m³ of stem


@pytest.fixture(scope="module")
def tables():
    return forest.load_forest_params(), forest.load_pools(), growth.load_growth()


def test_one_poplar_stand_on_cropland_by_hand(tables):
    params, pools, g = tables
    s = growth.transition_series(102, 301, params, pools, g, horizon=20)
    # 12 m³/ha/yr × 0.33238 t C/m³ = 3.9886 t C/ha/yr until the 92 m³/ha stand (30.579 t C/ha) is
    # reached in year 8 (7 × 3.9886 = 27.920, year 8 adds the remaining 2.659); nothing after
    rate = 12 * C_PER_M3
    assert s["biomass_t_c"].iloc[:7].tolist() == pytest.approx([rate] * 7)
    assert s["biomass_t_c"].iloc[7] == pytest.approx(92 * C_PER_M3 - 7 * rate)
    assert s["biomass_t_c"].iloc[8:].abs().max() == pytest.approx(0)
    # soil 30.4 → 38.0 t C/ha over 20 years (0.38 a year), dead matter 0 → 2.0 (0.1 a year)
    assert s["soil_t_c"].tolist() == pytest.approx([0.38] * 20)
    assert s["dead_t_c"].tolist() == pytest.approx([0.1] * 20)
    # 20-year mean: (30.579 + 7.6 + 2.0) / 20 = 2.0089 t C/ha/yr = 7.366 t CO2/ha/yr
    import pandas as pd

    seq = growth.sequestration(pd.DataFrame({"from_value": [102], "to_value": [301], "cells": [25], "area_ha": [1.0]}),
                               params, pools, g)
    assert seq.mean_t_co2_yr == pytest.approx(40.179035 / 20 * 44 / 12, rel=1e-6)
    assert seq.mean_t_co2_yr == pytest.approx(7.3656, abs=1e-3)
    assert seq.afforested_ha == 1.0 and len(seq.by_year) == 20


def test_rates_within_the_cited_ranges(tables):
    params, pools, g = tables
    lo, mid, hi = (growth.biomass_rate_t_c_ha_yr(301, params, g, w) for w in ("mai_low", "mai_m3_ha_yr", "mai_high"))
    # docs/sources.md "Forest growth": 8–20 m³/ha/yr → 2.66–6.65 t C/ha/yr of biomass
    assert (lo, mid, hi) == pytest.approx((2.659, 3.989, 6.648), abs=1e-3)
    assert lo <= mid <= hi
    # R within IPCC 2006 V4 Table 4.4 (temperate broadleaf, AGB < 75 t/ha: 0.12–0.93), CF within Table 4.3 (0.46–0.50)
    assert 0.12 <= params.loc[301, "root_shoot"] <= 0.93
    assert 0.46 <= params.loc[301, "carbon_fraction"] <= 0.50
    # above-ground biomass of the mature stand (92 m³/ha × BEF × D) stays below the 75 t/ha class limit
    assert 92 * 1.446 * 0.378 < 75


def test_forest_removed_books_biomass_at_once_and_soil_over_20_years(tables):
    params, pools, g = tables
    s = growth.transition_series(301, 102, params, pools, g, horizon=25)
    assert s["biomass_t_c"].iloc[0] == pytest.approx(-(24.9 + 5.7))
    assert s["dead_t_c"].iloc[0] == pytest.approx(-2.0)
    assert s["biomass_t_c"].iloc[1:].abs().max() == 0
    assert s["soil_t_c"].iloc[:20].tolist() == pytest.approx([-0.38] * 20)
    assert s["soil_t_c"].iloc[20:].tolist() == [0.0] * 5


def test_mature_stand_pools_match_stock_method(tables):
    """The pools table's 0301 biomass is the stock method's mature stand (92 m³/ha) within 0.1 %."""
    params, pools, _ = tables
    assert pools.loc[301, ["c_above", "c_below"]].sum() == pytest.approx(92 * C_PER_M3, rel=1e-3)
