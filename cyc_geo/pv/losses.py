"""Itemised PV system losses (instead of one performance ratio) and their low / high spreads.

Two kinds of items:

- **modelled** hour by hour in :mod:`cyc_geo.pv.yield_model` from the irradiance and the layout:
  ``temperature`` (PVsyst cell-temperature model ``pvlib.temperature.pvsyst_cell`` with the month's
  air temperature and a linear power temperature coefficient), ``incidence_angle`` (ASHRAE IAM on
  beam, Marion's integral on diffuse), ``row_shading_beam`` and ``row_shading_diffuse`` (racked rows
  only; :mod:`cyc_geo.pv.layout`);
- **fixed** percentages below (:data:`FIXED_LOSSES_PCT`), applied as factors (1 − loss).

All losses are in per cent of the energy reaching that step; the loss table of a roof type is
``{name: %}`` and the yield is POA × Π(1 − loss) / 1 kW/m². Sources: docs/sources.md, "PV losses".
"""

from __future__ import annotations

from collections.abc import Mapping

FIXED_LOSSES_PCT: dict[str, float] = {
    "external_shading": 3.0,
    "soiling": 3.5,
    "mismatch": 2.0,
    "wiring": 2.0,
    "connections": 0.5,
    "light_induced_degradation": 1.5,
    "nameplate": 1.0,
    "inverter": 2.5,
    "availability": 3.0,
    "low_irradiance_spectral": 1.0,
}
"""Central fixed losses (%): external shading 3 (PVWatts v5 default "shading": trees, neighbouring
buildings, parapets, chimneys; the rows' own shading is modelled apart), mismatch 2, DC wiring 2,
connections 0.5, light-induced degradation 1.5, nameplate 1, availability 3 (PVWatts v5 defaults,
Dobos 2014, NREL/TP-6A20-62641; pvlib ``pvsystem.pvwatts_losses``); soiling 3.5 (Global Solar Atlas
methodology); inverter 2.5 (weighted efficiency 97.5 %, project choice between PVWatts' nominal 96 % and
98-98.5 % of current string inverters); low irradiance and spectrum 1 (project choice: the hourly model
is linear in irradiance, while c-Si modules lose a few per cent of relative efficiency at 200 W/m²;
14 % of the flat-roof energy arrives below 200 W/m², 28 % below 400). docs/sources.md, "PV losses"."""

FIXED_LOSSES_LOW_PCT: dict[str, float] = {
    "external_shading": 1.0, "low_irradiance_spectral": 0.5, "soiling": 2.0, "mismatch": 1.0, "wiring": 1.0, "connections": 0.3,
    "light_induced_degradation": 1.0, "nameplate": 0.0, "inverter": 1.5, "availability": 1.0,
}
"""Optimistic end of each fixed loss (%) (docs/sources.md, "PV losses")."""

FIXED_LOSSES_HIGH_PCT: dict[str, float] = {
    "external_shading": 6.0, "low_irradiance_spectral": 2.0, "soiling": 6.0, "mismatch": 3.0, "wiring": 3.0, "connections": 1.0,
    "light_induced_degradation": 2.5, "nameplate": 2.0, "inverter": 4.0, "availability": 5.0,
}
"""Pessimistic end of each fixed loss (%) (docs/sources.md, "PV losses")."""

DEGRADATION_PCT_PER_YR = 0.5
"""Long-term module degradation, % of the first year's output lost per year after it: the median of
about 2,000 field rates in Jordan & Kurtz 2013, "Photovoltaic Degradation Rates — an Analytical Review",
Prog. Photovolt. 21:12-29 (mean 0.8 %/yr). The first year's light-induced loss is the separate
``light_induced_degradation`` item (docs/sources.md, "PV losses")."""
LIFETIME_YEARS = 25
"""Service life over which the lifetime-average yield is taken: the 25-year horizon of module power
warranties and of the degradation rates above (docs/sources.md, "PV losses")."""

TEMP_COEFF_PCT_PER_K = -0.35
"""Power temperature coefficient of mono-PERC modules, %/K (datasheets of 2021-2023 modules give
−0.34 to −0.37; docs/sources.md, "PV losses")."""
U_C_RACKED = 29.0
"""PVsyst heat-loss factor (W/m²K) of free-standing racked rows (pvlib ``pvsyst_cell`` default;
docs/sources.md, "PV losses")."""
U_C_FLUSH = 20.0
"""Heat-loss factor (W/m²K) of modules on rails a few cm above a tile or steel roof: between pvlib's
29 (free-standing) and 15 (insulated back); project choice (docs/sources.md, "PV losses")."""
ABSORPTION = 0.9
"""Absorbed share of the incident irradiance in the PVsyst model (pvlib default; docs/sources.md, "PV losses")."""
IAM_B0 = 0.05
"""ASHRAE incidence-angle coefficient b0 for glass-fronted modules (pvlib ``iam.ashrae`` default;
docs/sources.md, "PV losses")."""

MODELLED = ("incidence_angle", "row_shading_beam", "row_shading_diffuse", "temperature")
"""Loss items computed hour by hour (their order in the loss table)."""


def fixed_factor(losses_pct: Mapping[str, float]) -> float:
    """Π(1 − loss/100) over ``losses_pct`` (dimensionless)."""
    f = 1.0
    for v in losses_pct.values():
        f *= 1.0 - float(v) / 100.0
    return f


def check(losses_pct: Mapping[str, float]) -> None:
    """``ValueError`` (zh + en) unless every loss is a known item within 0-50 %."""
    unknown = set(losses_pct) - set(FIXED_LOSSES_PCT)
    if unknown:
        raise ValueError(f"未知损失项 {sorted(unknown)} / unknown loss items {sorted(unknown)}")
    if any(not (0 <= float(v) <= 50) for v in losses_pct.values()):
        raise ValueError("损失须在 0–50 % / losses must be within 0-50 %")


def total_pct(table: Mapping[str, float]) -> float:
    """Combined loss (%) of a loss table: 100 × (1 − Π(1 − loss/100))."""
    return 100.0 * (1.0 - fixed_factor(table))


def lifetime_factor(degradation_pct_per_yr: float = DEGRADATION_PCT_PER_YR, years: int = LIFETIME_YEARS) -> float:
    """Lifetime-average output / first-year output (dimensionless): the mean of (1 − d)^k over years
    k = 0 … ``years`` − 1 with d = ``degradation_pct_per_yr`` / 100 (0.9422 at 0.5 %/yr over 25 years)."""
    if years < 1 or not (0 <= degradation_pct_per_yr < 100):
        raise ValueError("寿命须 ≥ 1 年，年衰减须在 0–100 % / lifetime must be ≥ 1 year, degradation in [0, 100) %/yr")
    d = degradation_pct_per_yr / 100.0
    return sum((1.0 - d) ** k for k in range(int(years))) / int(years)
