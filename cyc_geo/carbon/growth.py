"""Growth-based sequestration of a land-cover change (IPCC 2006 Vol. 4 gain-loss structure).

A change of one hectare from class ``a`` to class ``b`` books, year by year (year 1 = the year of
the change):

* **biomass** (above + below ground): a class with a growth row (``data/reference/forest_growth.csv``:
  poplar 0301, 0307) follows a Chapman-Richards stand-volume curve
  ``V(τ) = A · (1 − e^(−kτ))^p`` from the biomass the land had before towards the mature stock
  ``A`` (``stock_m3_per_ha`` of ``forest_params.csv``), where ``τ`` is the stand age after an
  establishment lag of ``lag_years`` (planting and survival: no stem volume is counted), ``p`` is the
  shape (``cr_shape``) and ``k`` is set so that the curve's peak current annual increment equals the
  growth table's ``MAI`` (m³/ha/yr); volumes convert with ``BEF × D × CF × (1 + R)`` t C per m³.
  Any other class moves to its pools-table biomass, a loss in year 1 (IPCC Tier 1: biomass of the
  previous land use is lost in the year of conversion) and a gain spread over the transition period;
* **dead matter** (litter, dead wood): gains spread linearly over the transition, losses in year 1;
* **soil**: (SOC_b − SOC_a) / T per year for the IPCC default transition ``T`` = 20 years.

Removing forest therefore books its biomass and dead matter as a loss at once and the soil loss over
20 years. The headline is the annual mean over a stated horizon (default 20 years).

Sources: docs/sources.md, "Forest growth".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cyc_geo import paths
from cyc_geo.carbon.landcover import FOREST_CODES, NODATA
from cyc_geo.geo.crs import M2_PER_HA
from cyc_geo.geo.zonal import RasterData

GROWTH_CSV = paths.REFERENCE_DIR / "forest_growth.csv"
CO2_PER_C = 44.0 / 12.0
"""CO2/C molecular-weight ratio (docs/sources.md, "Forest carbon")."""
TRANSITION_YEARS = 20
"""IPCC default transition period for soil (and dead-matter gains), years (docs/sources.md, "Forest growth")."""
HORIZON_YEARS = 20
"""Horizon of the headline annual mean, years (docs/sources.md, "Forest growth": project choice, = the transition)."""


def _pixel_m2(grid: RasterData) -> float:
    """Cell area (m²) of a projected land-cover grid (:class:`cyc_geo.geo.zonal.RasterData`)."""
    px = grid.pixel_area_m2
    if px is None:
        raise ValueError("land cover must be in a projected CRS in metres to measure areas")
    return float(px)


def load_growth(path: Path | None = None) -> pd.DataFrame:
    """Growth rows per class (``mai_m3_ha_yr`` and its ``mai_low``/``mai_high`` range, m³/ha/yr), indexed by class value."""
    df = pd.read_csv(path or GROWTH_CSV, dtype={"code": str})
    df["code"] = df["code"].str.zfill(4)
    df.index = df["code"].astype(int)
    df.index.name = "value"
    return df


def carbon_per_m3(params: pd.DataFrame) -> pd.Series:
    """t C (above + below ground) per m³ of stem volume: BEF × D × CF × (1 + R)."""
    return params["bef"] * params["wood_density"] * params["carbon_fraction"] * (1.0 + params["root_shoot"])


def biomass_rate_t_c_ha_yr(value: int, params: pd.DataFrame, growth: pd.DataFrame, which: str = "mai_m3_ha_yr") -> float:
    """Biomass growth of a growing stand of class ``value``, t C/ha/yr (``which``: mai_m3_ha_yr, mai_low, mai_high)."""
    return float(growth.loc[value, which] * carbon_per_m3(params).loc[value])


def _pool(pools: pd.DataFrame, value: int, cols: list[str]) -> float:
    return float(pools.loc[value, cols].sum()) if value in pools.index else 0.0


def chapman_richards_k(mai: float, asymptote_m3_ha: float, shape: float) -> float:
    """Rate ``k`` (1/yr) of ``V(τ) = A (1 − e^(−kτ))^p`` whose peak current annual increment is ``mai``.

    The increment ``dV/dτ`` peaks where ``e^(−kτ) = 1/p`` at ``A · k · (1 − 1/p)^(p−1)``; setting that
    equal to the growth table's MAI (m³/ha/yr) gives ``k`` (docs/sources.md, "Forest growth").
    """
    if asymptote_m3_ha <= 0 or mai <= 0:
        return 0.0
    return float(mai / (asymptote_m3_ha * (1.0 - 1.0 / shape) ** (shape - 1.0)))


def stand_fraction(years: np.ndarray, row: pd.Series, asymptote_m3_ha: float, mai: float | None = None) -> np.ndarray:
    """Share of the mature stock (0–1) a stand planted in year 1 holds at the end of each year.

    Chapman-Richards ``(1 − e^(−kτ))^p`` with the stand age ``τ = year − lag_years`` (0 during the
    establishment lag); ``row`` is a growth-table row (``mai_m3_ha_yr``, ``cr_shape``, ``lag_years``);
    ``mai`` overrides its MAI (m³/ha/yr). Sources: docs/sources.md, "Forest growth".
    """
    shape = float(row.get("cr_shape", 3.0))
    lag = float(row.get("lag_years", 0.0))
    k = chapman_richards_k(float(row["mai_m3_ha_yr"] if mai is None else mai), asymptote_m3_ha, shape)
    age = np.clip(np.asarray(years, dtype="float64") - lag, 0.0, None)
    return (1.0 - np.exp(-k * age)) ** shape


def transition_series(
    from_value: int,
    to_value: int,
    params: pd.DataFrame,
    pools: pd.DataFrame,
    growth: pd.DataFrame,
    horizon: int = HORIZON_YEARS,
    transition: int = TRANSITION_YEARS,
    mai: float | None = None,
) -> pd.DataFrame:
    """Stock change per hectare in each year 1..``horizon`` of a change ``from_value`` → ``to_value``.

    Columns ``year, biomass_t_c, dead_t_c, soil_t_c, total_t_c`` (t C/ha in that year, positive =
    uptake). ``mai`` (m³/ha/yr) overrides the growth table's central rate.
    """
    years = np.arange(1, int(horizon) + 1)
    live = ["c_above", "c_below"]
    b0 = _pool(pools, from_value, live)
    if to_value in growth.index and to_value in params.index:
        b_max = float(params.loc[to_value, "stock_m3_per_ha"] * carbon_per_m3(params).loc[to_value])
        share = stand_fraction(years, growth.loc[to_value], float(params.loc[to_value, "stock_m3_per_ha"]), mai)
        level = np.concatenate([[b0], b0 + (b_max - b0) * share if b0 <= b_max else np.full(len(years), b_max)])
        biomass = np.diff(level)
    else:
        biomass = _spread(_pool(pools, to_value, live) - b0, years, transition)
    dead = _spread(_pool(pools, to_value, ["c_dead"]) - _pool(pools, from_value, ["c_dead"]), years, transition)
    d_soil = _pool(pools, to_value, ["c_soil"]) - _pool(pools, from_value, ["c_soil"])
    soil = np.where(years <= transition, d_soil / transition, 0.0)
    return pd.DataFrame({"year": years, "biomass_t_c": biomass, "dead_t_c": dead, "soil_t_c": soil,
                         "total_t_c": biomass + dead + soil})


def _spread(delta: float, years: np.ndarray, transition: int) -> np.ndarray:
    """A gain spread evenly over the transition; a loss booked in year 1."""
    if delta < 0:
        return np.where(years == 1, delta, 0.0)
    return np.where(years <= transition, delta / transition, 0.0)


def transitions(current: RasterData, future: RasterData) -> pd.DataFrame:
    """Changed cells of two land-cover rasters on the same grid: ``from_value, to_value, cells, area_ha``."""
    if current.shape != future.shape:
        raise ValueError("current and future land cover must share one grid")
    a = np.ma.filled(current.array[0], NODATA).astype("int64").ravel()
    b = np.ma.filled(future.array[0], NODATA).astype("int64").ravel()
    changed = (a != b) & (a != NODATA) & (b != NODATA)
    if not changed.any():
        return pd.DataFrame({"from_value": [], "to_value": [], "cells": [], "area_ha": []})
    keys, counts = np.unique(a[changed] * 100_000 + b[changed], return_counts=True)
    px_ha = _pixel_m2(current) / M2_PER_HA
    return pd.DataFrame({"from_value": keys // 100_000, "to_value": keys % 100_000, "cells": counts,
                         "area_ha": counts * px_ha})


@dataclass(frozen=True)
class Sequestration:
    """A land-cover change's sequestration: the series (t C and t CO2 per year) and its headline."""

    by_year: pd.DataFrame
    """``year, biomass_t_c, dead_t_c, soil_t_c, total_t_c, t_co2`` (sum over all changed hectares)."""
    horizon: int
    afforested_ha: float
    """Area turned from non-forest into forest (林地 03xx)."""
    deforested_ha: float

    @property
    def mean_t_co2_yr(self) -> float:
        """Annual mean over the horizon, t CO2/yr (the headline)."""
        return float(self.by_year["t_co2"].sum()) / self.horizon

    def records(self) -> list[dict[str, float]]:
        """The series as JSON-able rows ``{year, t_c, t_co2}``."""
        return [{"year": int(r.year), "t_c": round(float(r.total_t_c), 3), "t_co2": round(float(r.t_co2), 3)}
                for r in self.by_year.itertuples()]


def sequestration(
    table: pd.DataFrame,
    params: pd.DataFrame,
    pools: pd.DataFrame,
    growth: pd.DataFrame | None = None,
    horizon: int = HORIZON_YEARS,
    mai: float | None = None,
) -> Sequestration:
    """Year-by-year sequestration of a :func:`transitions` table (area-weighted sum of :func:`transition_series`)."""
    growth = load_growth() if growth is None else growth
    cols = ["biomass_t_c", "dead_t_c", "soil_t_c", "total_t_c"]
    total = pd.DataFrame({"year": np.arange(1, int(horizon) + 1), **{c: 0.0 for c in cols}})
    for r in table.itertuples():
        s = transition_series(int(r.from_value), int(r.to_value), params, pools, growth, horizon, mai=mai)
        total[cols] += s[cols].to_numpy() * float(r.area_ha)
    total["t_co2"] = total["total_t_c"] * CO2_PER_C
    forest = set(FOREST_CODES)
    into = table["to_value"].isin(forest) & ~table["from_value"].isin(forest)
    out_of = table["from_value"].isin(forest) & ~table["to_value"].isin(forest)
    return Sequestration(total, int(horizon), float(table.loc[into, "area_ha"].sum()),
                         float(table.loc[out_of, "area_ha"].sum()))


def mean_rate_band(
    current: RasterData,
    future: RasterData,
    params: pd.DataFrame,
    pools: pd.DataFrame,
    growth: pd.DataFrame | None = None,
    horizon: int = HORIZON_YEARS,
) -> np.ndarray:
    """Per-cell annual mean sequestration over ``horizon`` (t CO2/yr per cell, float32; NaN under the mask)."""
    growth = load_growth() if growth is None else growth
    a = np.ma.filled(current.array[0], NODATA).astype("int64")
    b = np.ma.filled(future.array[0], NODATA).astype("int64")
    out = np.zeros(a.shape, dtype="float64")
    changed = (a != b) & (a != NODATA) & (b != NODATA)
    if changed.any():
        keys, inverse = np.unique(a[changed] * 100_000 + b[changed], return_inverse=True)
        per_ha = np.array([transition_series(int(k // 100_000), int(k % 100_000), params, pools, growth,
                                             horizon)["total_t_c"].sum() / horizon for k in keys])
        out[changed] = per_ha[inverse] * CO2_PER_C * _pixel_m2(current) / M2_PER_HA
    out = out.astype("float32")
    out[np.ma.getmaskarray(current.array[0])] = np.nan
    return out
