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
    "soiling": 3.5,
    "mismatch": 2.0,
    "wiring": 2.0,
    "connections": 0.5,
    "light_induced_degradation": 1.5,
    "nameplate": 1.0,
    "inverter": 2.5,
    "availability": 3.0,
}
"""Central fixed losses (%): soiling 3.5 (Global Solar Atlas methodology); mismatch 2, DC wiring 2,
connections 0.5, light-induced degradation 1.5, nameplate 1, availability 3 (PVWatts v5 defaults,
Dobos 2014, NREL/TP-6A20-62641); inverter 2.5 (weighted efficiency 97.5 %, project choice between
PVWatts' nominal 96 % and 98-98.5 % of current string inverters). docs/sources.md, "PV losses"."""

FIXED_LOSSES_LOW_PCT: dict[str, float] = {
    "soiling": 2.0, "mismatch": 1.0, "wiring": 1.0, "connections": 0.3,
    "light_induced_degradation": 1.0, "nameplate": 0.0, "inverter": 1.5, "availability": 1.0,
}
"""Optimistic end of each fixed loss (%) (docs/sources.md, "PV losses")."""

FIXED_LOSSES_HIGH_PCT: dict[str, float] = {
    "soiling": 6.0, "mismatch": 3.0, "wiring": 3.0, "connections": 1.0,
    "light_induced_degradation": 2.5, "nameplate": 2.0, "inverter": 4.0, "availability": 5.0,
}
"""Pessimistic end of each fixed loss (%) (docs/sources.md, "PV losses")."""

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
