"""The specific yield (kWh/kWp/yr): the hourly model per roof type and the yield of each roof.

Specific yield (GB 50797-2012 光伏发电站设计规范 §6.6: E = H_A x P_AZ / E_s x K), hour by hour over a
representative year (:func:`simulate`)::

    specific_yield = Σ_h POA_h x (1 - IAM loss) x (1 - row shading) x (1 + γ (T_cell - 25)) x Π(1 - fixed loss)
                     / (1 kW/m²)

with POA from an all-sky year built from monthly mean GHI and air temperature
(:mod:`cyc_geo.pv.irradiance`: clear/overcast day types, Erbs split, Hay-Davies or Perez),
row shading of racked flat roofs from the solstice-rule layout (:mod:`cyc_geo.pv.layout`) and
itemised losses (:mod:`cyc_geo.pv.losses`); or per building from a user-supplied PVOUT (kWh/kWp)
or GHI (kWh/m²) GeoTIFF (:mod:`cyc_geo.pv.raster_io`).

Which yield a roof gets is decided in one place, :func:`roof_yields`: the override
(``PVParams.specific_yield_kwh_per_kwp``) if set, else a yield raster's value where it has one,
else the model's yield for the roof's type (:func:`yield_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo.pv import irradiance, layout, losses
from cyc_geo.pv.lookup import lookup
from cyc_geo.pv.params import RACKED, ROOF_TYPES, PVParams, clearsky_ghi_kwh_m2, ghi_scale_factor, weather_year
from cyc_geo.pv.plan import SEED_SPECIFIC_YIELD
from cyc_geo.pv.raster_io import sample_raster


@dataclass(frozen=True)
class YieldResult:
    """The yield model for one roof type: annual and monthly kWh/kWp, the irradiation used and the loss table."""

    roof_type: str
    tilt_deg: float
    gcr: float | None
    """Row GCR for racked roof types, ``None`` for flush-mounted ones."""
    ghi_kwh_m2: float
    """Annual horizontal irradiation used (kWh/m²)."""
    poa_kwh_m2: float
    """Annual irradiation on the module plane before any loss (kWh/m²)."""
    specific_yield_kwh_kwp: float
    monthly_kwh_kwp: tuple[float, ...]
    """12 monthly yields (kWh/kWp), summing to the annual."""
    losses_pct: dict[str, float]
    """Loss table: item -> % of the energy reaching that step (modelled items first)."""

    @property
    def poa_ghi_ratio(self) -> float:
        return self.poa_kwh_m2 / self.ghi_kwh_m2 if self.ghi_kwh_m2 else 0.0

    @property
    def performance_ratio(self) -> float:
        """Yield / POA irradiation (IEC 61724-1 PR, dimensionless)."""
        return self.specific_yield_kwh_kwp / self.poa_kwh_m2 if self.poa_kwh_m2 else 0.0


def _yield_key(p: PVParams, roof_type: str) -> tuple:
    racked = roof_type in RACKED
    climate = None if p.weather_file else irradiance.climate_tuple(p.climate_file)
    return (float(p.latitude), float(p.longitude), float(p.altitude_m), climate, str(p.weather_file),
            float(p.overcast_ratio), ghi_scale_factor(p), float(p.tilt_deg[roof_type]), float(p.azimuth_deg),
            float(p.albedo), p.transposition, racked, float(p.resolved_gcr) if racked else None, float(p.u_c[roof_type]),
            float(p.temp_coeff_pct_per_k), float(p.module_w_per_m2),
            tuple(sorted((k, float(v)) for k, v in p.losses_pct.items())),
            p.explicit.get("performance_ratio"), roof_type)


def simulate(params: PVParams | None = None, roof_type: str = "flat") -> YieldResult:
    """The hourly yield model for one roof type (cached per parameter set; see docs/pv.md).

    POA from :mod:`cyc_geo.pv.irradiance`; then incidence-angle losses (ASHRAE IAM on beam, Marion's
    integrals on sky and ground diffuse), for racked rows the beam shaded fraction and the diffuse
    masked by the row in front (:mod:`cyc_geo.pv.layout`), cell temperature by the PVsyst model with
    the hour's air temperature, and the fixed losses (:mod:`cyc_geo.pv.losses`). 1 kWp at 1 kW/m².
    """
    p = params or PVParams()
    return _simulate(p, _yield_key(p, roof_type))


_SIM_CACHE: dict[tuple, YieldResult] = {}


def _plane_steps(p: PVParams, roof_type: str, w: pd.DataFrame) -> dict[str, np.ndarray]:
    """Hourly plane-of-array irradiance (W/m²) after each loss step: ``e0`` at the plane, ``e1`` after the
    incidence-angle modifier (ASHRAE), ``e2`` after row shading of the beam, ``e3`` after row shading of
    the sky diffuse (racked roofs only), ``e4`` after the cell-temperature loss (PVsyst model)."""
    import pvlib

    tilt = float(p.tilt_deg[roof_type])
    poa = irradiance.transpose(w, tilt, float(p.azimuth_deg), float(p.albedo), p.transposition)
    beam, sky_d, gnd = (poa[c].to_numpy() for c in ("poa_direct", "poa_sky_diffuse", "poa_ground_diffuse"))
    iam_b = np.nan_to_num(np.asarray(pvlib.iam.ashrae(poa["aoi"].to_numpy(), b=losses.IAM_B0), float))
    iam_d = pvlib.iam.marion_diffuse("ashrae", tilt, b=losses.IAM_B0)
    beam1, sky1, gnd1 = beam * iam_b, sky_d * float(iam_d["sky"]), gnd * float(iam_d["ground"])
    beam2, sky2 = beam1, sky1
    if roof_type in RACKED:
        shaded = layout.beam_shaded_fraction(w["apparent_zenith"].to_numpy(), w["azimuth"].to_numpy(), tilt,
                                             float(p.resolved_gcr), float(p.azimuth_deg))
        beam2 = beam1 * (1.0 - shaded)
        sky2 = sky1 * (1.0 - layout.sky_diffuse_row_loss(tilt, float(p.resolved_gcr)))
    e3 = beam2 + sky2 + gnd1
    t_cell = pvlib.temperature.pvsyst_cell(e3, w["temp_air"].to_numpy(), u_c=float(p.u_c[roof_type]), u_v=0.0,
                                           module_efficiency=float(p.module_w_per_m2) / 1000.0,
                                           alpha_absorption=losses.ABSORPTION)
    temp_f = 1.0 + float(p.temp_coeff_pct_per_k) / 100.0 * (np.asarray(t_cell, float) - 25.0)
    return {"e0": beam + sky_d + gnd, "e1": beam1 + sky1 + gnd1, "e2": beam2 + sky1 + gnd1, "e3": e3,
            "e4": e3 * temp_f}


def _loss_table(p: PVParams, steps: dict[str, np.ndarray], racked: bool) -> dict[str, float]:
    """Losses in % of each step's input (:func:`_plane_steps`), then the fixed items or the explicit PR."""
    def pct(before: np.ndarray, after: np.ndarray) -> float:
        tb = before.sum()
        return float(100.0 * (1.0 - after.sum() / tb)) if tb > 0 else 0.0

    table = {"incidence_angle": pct(steps["e0"], steps["e1"])}
    if racked:
        table["row_shading_beam"] = pct(steps["e1"], steps["e2"])
        table["row_shading_diffuse"] = pct(steps["e2"], steps["e3"])
    table["temperature"] = pct(steps["e3"], steps["e4"])
    pr_explicit = p.explicit.get("performance_ratio")
    if pr_explicit is not None:
        table["other (performance_ratio)"] = 100.0 * (1.0 - float(pr_explicit))
    else:
        table.update({k: float(v) for k, v in p.losses_pct.items()})
    return table


def _simulate(p: PVParams, key: tuple) -> YieldResult:
    hit = _SIM_CACHE.get(key)
    if hit is not None:
        return hit
    roof_type = key[-1]
    racked = roof_type in RACKED
    w = weather_year(p)
    steps = _plane_steps(p, roof_type, w)
    pr_explicit = p.explicit.get("performance_ratio")
    fixed = float(pr_explicit) if pr_explicit is not None else losses.fixed_factor(p.losses_pct)
    hourly_kwh_kwp = steps["e4"] * fixed / 1000.0
    month = w["month"].to_numpy()
    monthly = tuple(float(hourly_kwh_kwp[month == m].sum()) for m in range(1, 13))
    res = YieldResult(roof_type=roof_type, tilt_deg=float(p.tilt_deg[roof_type]),
                      gcr=float(p.resolved_gcr) if racked else None, ghi_kwh_m2=float(w["ghi"].sum() / 1000.0),
                      poa_kwh_m2=float(steps["e0"].sum() / 1000.0), specific_yield_kwh_kwp=float(sum(monthly)),
                      monthly_kwh_kwp=monthly, losses_pct=_loss_table(p, steps, racked))
    if len(_SIM_CACHE) > 256:
        _SIM_CACHE.clear()
    _SIM_CACHE[key] = res
    return res


def specific_yield(params: PVParams | None = None, roof_type: str = "flat") -> float:
    """Specific yield (kWh/kWp/yr) for a roof type: the override if set, else :func:`simulate`."""
    p = params or PVParams()
    if p.specific_yield_kwh_per_kwp is not None:
        return float(p.specific_yield_kwh_per_kwp)
    return simulate(p, roof_type).specific_yield_kwh_kwp


def yield_table(params: PVParams | None = None) -> dict[str, float]:
    """Specific yield (kWh/kWp/yr) for every roof type."""
    return {t: specific_yield(params, t) for t in ROOF_TYPES}


def roof_yields(roofs: pd.DataFrame, p: PVParams) -> np.ndarray:
    """kWh/kWp/yr per roof, the one place deciding it: the override (every roof), else the raster's value where
    it is valid (a PVOUT raster as is, a GHI raster times the roof type's modelled yield per kWh/m² of GHI), else
    the roof type's yield of :func:`yield_table`."""
    table = yield_table(p)
    model = lookup(roofs["roof_type"], table, table["flat"])
    if p.yield_raster is None or p.specific_yield_kwh_per_kwp is not None:
        return model
    values = sample_raster(p.yield_raster, roofs["lon"].to_numpy(), roofs["lat"].to_numpy())
    if p.yield_raster_kind == "ghi":
        per_ghi = {t: simulate(p, t).specific_yield_kwh_kwp / simulate(p, t).ghi_kwh_m2 for t in ROOF_TYPES}
        values = values * lookup(roofs["roof_type"], per_ghi, per_ghi["flat"])  # kWh/kWp per kWh/m² of GHI
    valid = np.isfinite(values) & (values > 0)
    return np.where(valid, values, model)


def yield_payload(params: PVParams | None = None) -> dict[str, Any]:
    """The ``pv yield --json`` document: per roof type tilt, GCR, POA/GHI ratio, first-year specific and
    monthly yield (kWh/kWp), the lifetime-average specific yield (first year × :func:`losses.lifetime_factor`),
    loss table (%) and GHI (kWh/m²); at the top the GHI, the plan's 991 kWh/kWp, the degradation rate
    (%/yr), lifetime (years), the product of the fixed losses and 991 / the flat lifetime yield."""
    p = params or PVParams()
    life = losses.lifetime_factor(float(p.degradation_pct_per_yr), int(p.lifetime_years))
    out: dict[str, Any] = {}
    for t in ROOF_TYPES:
        r = simulate(p, t)
        out[t] = {"tilt_deg": r.tilt_deg, "gcr": r.gcr, "poa_ghi_ratio": r.poa_ghi_ratio,
                  "poa_kwh_m2": r.poa_kwh_m2, "specific_yield_kwh_kwp": r.specific_yield_kwh_kwp,
                  "monthly_kwh_kwp": list(r.monthly_kwh_kwp), "losses": dict(r.losses_pct),
                  "performance_ratio": r.performance_ratio, "usable_fraction": float(p.resolved_usable_fraction[t]),
                  "ghi_kwh_m2": r.ghi_kwh_m2,
                  "specific_yield_lifetime_kwh_kwp": r.specific_yield_kwh_kwp * life}
    out["ghi_kwh_m2"] = out["flat"]["ghi_kwh_m2"]
    out["clear_sky_ghi_kwh_m2"] = clearsky_ghi_kwh_m2(p)
    out["climate"] = p.weather_file or p.climate_file or str(irradiance.CLIMATE_FILE.name)
    out["transposition"] = p.transposition
    out["plan_implied_kwh_kwp"] = SEED_SPECIFIC_YIELD
    out["degradation_pct_per_yr"] = float(p.degradation_pct_per_yr)
    out["lifetime_years"] = int(p.lifetime_years)
    out["lifetime_factor"] = life
    out["fixed_loss_factor"] = losses.fixed_factor(p.losses_pct)
    out["plan_vs_lifetime_flat"] = SEED_SPECIFIC_YIELD / out["flat"]["specific_yield_lifetime_kwh_kwp"]
    return out
