"""Growth-based sequestration: one stand by hand, rates within the cited ranges, losses, the CLI series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cyc_geo.carbon import forest, growth

C_PER_M3 = 1.446 * 0.378 * 0.4956 * 1.227  # BEF × D × CF × (1 + R), poplar, t C per m³ of stem


@pytest.fixture(scope="module")
def tables():
    return forest.load_forest_params(), forest.load_pools(), growth.load_growth()


def test_one_poplar_stand_on_cropland_by_hand(tables):
    params, pools, g = tables
    s = growth.transition_series(102, 301, params, pools, g, horizon=20)
    # Chapman-Richards V(τ) = 92 (1 − e^(−kτ))³ m³/ha with τ = year − 1 (one establishment year) and
    # k = 12 / (92 × (2/3)²) = 0.293478 /yr, so that the peak current increment is the MAI of 12 m³/ha/yr
    k = 12 / (92 * (2 / 3) ** 2)
    assert growth.chapman_richards_k(12, 92, 3) == pytest.approx(k)
    level = [92 * C_PER_M3 * (1 - math.exp(-k * (t - 1))) ** 3 for t in range(0, 21)]
    level[0] = 0.0
    assert s["biomass_t_c"].tolist() == pytest.approx([b - a for a, b in zip(level[:-1], level[1:], strict=True)])
    assert s["biomass_t_c"].iloc[0] == 0.0  # planting year: no stem volume yet
    # a sigmoid: slow start, a peak in years 5–6 no higher than the MAI, then slowing towards the mature stand
    peak = int(s["biomass_t_c"].idxmax())
    assert 3 <= peak <= 6 and s["biomass_t_c"].max() <= 12 * C_PER_M3
    assert s["biomass_t_c"].iloc[1] < s["biomass_t_c"].iloc[5] and s["biomass_t_c"].iloc[19] < s["biomass_t_c"].iloc[10]
    # soil 30.4 → 38.0 t C/ha over 20 years (0.38 a year), dead matter 0 → 2.0 (0.1 a year)
    assert s["soil_t_c"].tolist() == pytest.approx([0.38] * 20)
    assert s["dead_t_c"].tolist() == pytest.approx([0.1] * 20)
    # 20-year mean: (30.233 + 7.6 + 2.0) / 20 = 1.99166 t C/ha/yr = 7.303 t CO2/ha/yr (the straight-line
    # growth to the cap gave 7.366: the curve leaves ~1 % of the stand still to grow in year 20)
    seq = growth.sequestration(pd.DataFrame({"from_value": [102], "to_value": [301], "cells": [25], "area_ha": [1.0]}),
                               params, pools, g)
    assert seq.mean_t_co2_yr == pytest.approx((level[20] + 7.6 + 2.0) / 20 * 44 / 12, rel=1e-6)
    assert seq.mean_t_co2_yr == pytest.approx(7.303, abs=1e-3)
    assert seq.afforested_ha == 1.0 and len(seq.by_year) == 20


def test_stand_fraction_lag_and_peak_increment():
    row = pd.Series({"mai_m3_ha_yr": 12.0, "cr_shape": 3.0, "lag_years": 2.0})
    frac = growth.stand_fraction(np.arange(0, 41), row, 92.0)
    assert frac[:3].tolist() == [0.0, 0.0, 0.0]  # two establishment years
    assert (np.diff(frac) >= 0).all() and frac[-1] == pytest.approx(1.0, abs=1e-3)
    fine = growth.stand_fraction(np.linspace(2, 30, 28_001), row, 92.0) * 92.0
    assert np.diff(fine).max() / (28 / 28_000) == pytest.approx(12.0, rel=1e-4)  # peak dV/dt = MAI


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
