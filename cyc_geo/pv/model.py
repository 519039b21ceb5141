"""Rooftop PV potential: the per-roof estimate and its low / central / high range.

Per roof (vectorised over all roofs, no Python loop)::

    usable_area_m2 = area_m2 x usable_fraction[roof_type]     (technical cap; 0 if filtered out)
    roof_m2        = area_m2 x roof_area_factor[roof_type]    (1/cos slope for sloped roofs)
    pv_area_m2     = min(roof_m2 x adoption[building_class], usable_area_m2)
    capacity_kw    = pv_area_m2 x module_w_per_m2 / 1000
    annual_kwh     = capacity_kw x specific_yield[roof_type]    (kWh/kWp/yr)
    tce, co2_t     = cyc_geo.pv.emissions.convert(annual_kwh / 1000, preset)

Adoption is an expected share (e.g. 20 % of rural roof area), not a random draw,
so results are deterministic and additive: partitions can be estimated separately
and their aggregates summed (the dask engine relies on this).

The model chain: parameters and scenario (:mod:`cyc_geo.pv.params`) → specific yield per roof
(:func:`cyc_geo.pv.yield_model.roof_yields`: the override, a yield raster or the hourly model) →
:func:`estimate` per roof → :func:`potential_range` (low / central / high) → sums
(:mod:`cyc_geo.pv.aggregation`). Every default states its source; docs/pv.md tabulates them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo.pv import emissions, losses
from cyc_geo.pv.lookup import as_str, lookup, lookup_many
from cyc_geo.pv.params import GHI_SPREAD, ROOF_TYPES, PVParams, Scenario, resolve_params, roof_area_factor
from cyc_geo.pv.yield_model import roof_yields, yield_table

REQUIRED = ("roof_id", "township_code", "building_class", "roof_type", "area_m2")


def estimate(roofs: pd.DataFrame, scenario: Scenario | None = None, params: PVParams | None = None) -> pd.DataFrame:
    """Per-roof potential (one row per input roof, vectorised); works on plain DataFrames and partitions.

    Output columns: ``roof_id, township_code, building_class, roof_type, buildings, roofs, area_m2,
    usable_area_m2, pv_area_m2, capacity_kw, specific_yield, annual_kwh, co2_t, tce`` plus ``lon, lat,
    h3_*`` when present in the input. ``roofs`` is 1 for roofs inside the scenario, else 0.
    """
    scenario = (scenario or Scenario()).validate()
    p = resolve_params(scenario, params)
    missing = [c for c in REQUIRED if c not in roofs.columns]
    if missing:
        raise ValueError(f"屋顶数据缺少字段 {missing} / roof table lacks columns {missing}")
    area = pd.to_numeric(roofs["area_m2"], errors="coerce").to_numpy(float)
    ok = np.isfinite(area) & (area >= scenario.min_roof_m2) & (area > 0)
    if scenario.townships:
        ok &= lookup(roofs["township_code"], {c: 1.0 for c in scenario.townships}, 0.0) > 0
    # unknown roof type -> NaN -> excluded
    frac, slope = lookup_many(roofs["roof_type"], p.resolved_usable_fraction, roof_area_factor(p))
    adopt = lookup(roofs["building_class"], scenario.adoption)
    ok &= np.isfinite(frac) & np.isfinite(adopt)
    usable = np.where(ok, area * np.nan_to_num(frac), 0.0)
    # NEA shares are shares of the total roof surface, capped by the technical usable area
    pv_area = np.minimum(np.where(ok, area * np.nan_to_num(slope) * np.nan_to_num(adopt), 0.0), usable)
    capacity_kw = pv_area * p.module_w_per_m2 / 1000.0
    yields = roof_yields(roofs, p) if len(roofs) else np.zeros(0)
    annual_kwh = capacity_kw * yields
    conv = emissions.convert(annual_kwh / 1000.0, p.emission_preset)
    out = pd.DataFrame({
        "roof_id": roofs["roof_id"].to_numpy(),
        "township_code": as_str(roofs["township_code"]),
        "building_class": as_str(roofs["building_class"]),
        "roof_type": as_str(roofs["roof_type"]),
        "buildings": np.ones(len(roofs), dtype=np.int64),
        "roofs": ok.astype(np.int64),
        "area_m2": np.nan_to_num(area),
        "usable_area_m2": usable,
        "pv_area_m2": pv_area,
        "capacity_kw": capacity_kw,
        "specific_yield": yields,
        "annual_kwh": annual_kwh,
        "co2_t": np.asarray(conv["co2_t"], float),
        "tce": np.asarray(conv["tce"], float),
    })
    for col in roofs.columns:
        if col in ("lon", "lat") or col.startswith("h3_"):
            out[col] = roofs[col].to_numpy()
    return out


def share_caps(per_roof: pd.DataFrame, scenario: Scenario | None = None,
               params: PVParams | None = None) -> dict[str, dict[str, Any]]:
    """Where a building class's adoption share is capped by the usable area (docs/sources.md, "NEA rooftop shares").

    For each class with counted roofs in ``per_roof`` (a result of :func:`estimate` for ``scenario``):
    ``share`` (the scenario's share), ``roofs``, ``roofs_at_cap`` (roofs whose share × roof surface reaches
    the usable area, so their module area is the cap), ``requested_m2`` (share × roof surface, m²),
    ``module_m2`` (after the cap, m²) and ``capped`` (every roof of the class is at its cap: a higher
    share adds nothing). The NEA shares are minimums of total roof area, so a capped class's potential is
    set by the usable fraction, not by the share.
    """
    scenario = (scenario or Scenario()).validate()
    p = resolve_params(scenario, params)
    ok = per_roof["roofs"].to_numpy() > 0
    _, slope = lookup_many(per_roof["roof_type"], p.resolved_usable_fraction, roof_area_factor(p))
    adopt = lookup(per_roof["building_class"], scenario.adoption)
    requested = np.where(ok, per_roof["area_m2"].to_numpy(float) * np.nan_to_num(slope) * np.nan_to_num(adopt), 0.0)
    usable = per_roof["usable_area_m2"].to_numpy(float)
    at_cap = ok & (requested >= usable - 1e-9)
    out: dict[str, dict[str, Any]] = {}
    classes = per_roof["building_class"].astype(str).to_numpy()
    for c in sorted(set(classes[ok])):
        sel = ok & (classes == c)
        n, n_cap = int(sel.sum()), int((at_cap & sel).sum())
        out[c] = {"share": float(scenario.adoption.get(c, 0.0)), "roofs": n, "roofs_at_cap": n_cap,
                  "requested_m2": float(requested[sel].sum()), "module_m2": float(per_roof["pv_area_m2"].to_numpy()[sel].sum()),
                  "capped": n > 0 and n_cap == n}
    return out


def range_params(params: PVParams) -> dict[str, PVParams]:
    """Low / central / high parameter sets: GHI x (1 ∓ :data:`GHI_SPREAD`) and every fixed loss moved by
    the spread of :data:`cyc_geo.pv.losses.FIXED_LOSSES_HIGH_PCT` / ``..._LOW_PCT`` around the central
    defaults (docs/sources.md, "PV losses", "PV yield model"). An explicit ``performance_ratio`` stays
    as it is (only the GHI moves); capacities do not change."""
    p = params

    def moved(bound: dict[str, float]) -> dict[str, float]:
        return {k: float(np.clip(v + bound[k] - losses.FIXED_LOSSES_PCT[k], 0.0, 50.0)) for k, v in p.losses_pct.items()}

    return {
        "low": p.with_overrides({"ghi_scale": p.ghi_scale * (1 - GHI_SPREAD), "losses_pct": moved(losses.FIXED_LOSSES_HIGH_PCT)}),
        "central": p,
        "high": p.with_overrides({"ghi_scale": p.ghi_scale * (1 + GHI_SPREAD), "losses_pct": moved(losses.FIXED_LOSSES_LOW_PCT)}),
    }


def potential_range(roofs: pd.DataFrame, scenario: Scenario | None = None, params: PVParams | None = None,
                    per_roof: pd.DataFrame | None = None) -> dict[str, Any]:
    """County totals under low / central / high yield assumptions (:func:`range_params`).

    Returns ``{"low": {...}, "central": {...}, "high": {...}, "assumptions": {...}}``; each case holds
    ``capacity_mw`` (MW, the same in all three), ``annual_gwh`` (GWh/yr), ``specific_yield``
    (kWh/kWp/yr), ``tce`` (t/yr) and ``co2_t`` (t/yr). ``per_roof`` (a result of :func:`estimate` for
    the same roofs and scenario) saves the estimate. With the yield override (e.g. the plan's 991)
    the three cases are equal. Raster yields are scaled by their roof type's low/central ratio.
    """
    sc = (scenario or Scenario()).validate()
    p = resolve_params(sc, params)
    res = per_roof if per_roof is not None else estimate(roofs, sc, params)
    cases = range_params(p)
    central = yield_table(p)
    capacity = float(res["capacity_kw"].sum())
    out: dict[str, Any] = {}
    for name, q in cases.items():
        table = yield_table(q)
        ratio = {t: (table[t] / central[t]) if central[t] else 1.0 for t in ROOF_TYPES}
        kwh = float((res["annual_kwh"].to_numpy() * lookup(res["roof_type"], ratio, 1.0)).sum())
        conv = emissions.convert(kwh / 1000.0, p.emission_preset)
        out[name] = {"capacity_mw": capacity / 1000.0, "annual_gwh": kwh / 1e6,
                     "specific_yield": kwh / capacity if capacity > 0 else 0.0,
                     "tce": float(conv["tce"]), "co2_t": float(conv["co2_t"]),
                     "yield_by_roof_type": table}
    out["assumptions"] = {"ghi_spread": GHI_SPREAD, "losses_low_pct": losses.FIXED_LOSSES_LOW_PCT,
                          "losses_high_pct": losses.FIXED_LOSSES_HIGH_PCT,
                          "source": 'docs/sources.md, "PV losses" and "PV yield model"'}
    return out


def with_results(roofs, scenario: Scenario | None = None, params: PVParams | None = None):
    """The roofs (Geo)DataFrame with the per-roof results joined (for maps, tooltips and downloads)."""
    res = estimate(roofs, scenario, params)
    cols = ["usable_area_m2", "pv_area_m2", "capacity_kw", "specific_yield", "annual_kwh", "co2_t", "tce"]
    out = roofs.copy()
    for c in cols:
        out[c] = res[c].to_numpy()
    return out


def estimate_from_area_raster(raster, zones, scenario: Scenario | None = None, params: PVParams | None = None,
                              building_class: str = "rural", roof_type: str = "flat",
                              zone_id: str = "code") -> pd.DataFrame:
    """PV potential per zone from a rooftop-area raster (m² of roof per pixel) via zonal sums.

    Uses :func:`cyc_geo.geo.zonal.zonal_sum` (exact partial-pixel coverage). The roof area of each zone is
    treated as one pseudo-roof of ``building_class`` / ``roof_type`` (a raster carries no building
    classes); the minimum-roof filter does not apply to these sums.
    """
    from cyc_geo.geo import zonal

    if zone_id not in zones.columns:
        raise ValueError(f"分区缺少字段 {zone_id!r} / zones lack the id column {zone_id!r}")
    sums = zonal.zonal_sum(raster, zones, id_col=zone_id)
    sum_cols = [c for c in sums.columns if c == "sum" or c.endswith("_sum")]
    if not sum_cols:
        raise ValueError(f"zonal_sum returned no sum column: {list(sums.columns)}")
    value_col = sum_cols[0]  # first band: m² of roof per pixel
    ids = sums[zone_id] if zone_id in sums.columns else zones[zone_id].to_numpy()
    pseudo = pd.DataFrame({
        "roof_id": np.arange(1, len(sums) + 1),
        "township_code": np.asarray(ids).astype(str),
        "building_class": building_class,
        "roof_type": roof_type,
        "area_m2": pd.to_numeric(sums[value_col], errors="coerce").fillna(0.0).to_numpy(float),
    })
    sc = replace(scenario or Scenario(), min_roof_m2=0.0)
    return estimate(pseudo, sc, params)
