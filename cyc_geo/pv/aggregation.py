"""Sums of per-roof PV results: by township, by H3 cell, the county summary and the township table.

Every summed column is additive (:data:`ADDITIVE`), so the aggregate of partitions equals the
aggregate of the whole (the dask engine relies on this).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo.geo import hexgrid
from cyc_geo.pv.plan import GOAL_MW, PROJECT_GWH, PROJECT_MW

ADDITIVE = ["buildings", "roofs", "area_m2", "usable_area_m2", "pv_area_m2", "capacity_kw", "annual_kwh",
            "co2_t", "tce"]
"""Columns of a per-roof result that sum over any grouping (``roofs`` counts roofs in the scenario)."""


def aggregate(per_roof: pd.DataFrame, by: str | list[str] = "township_code") -> pd.DataFrame:
    """Sums of the additive columns per group (also ``capacity_mw`` and ``annual_gwh``).

    Additive: the aggregate of a concatenation equals the sum of the aggregates of its parts,
    so partition results can be aggregated again with ``aggregate(..., by)`` on the sums.
    """
    cols = [c for c in ADDITIVE if c in per_roof.columns]
    return _with_totals(per_roof.groupby(by, sort=True, observed=True)[cols].sum().reset_index())


def _with_totals(out: pd.DataFrame) -> pd.DataFrame:
    """Add ``capacity_mw`` and ``annual_gwh`` to sums holding ``capacity_kw`` / ``annual_kwh``."""
    if "capacity_kw" in out:
        out["capacity_mw"] = out["capacity_kw"] / 1000.0
    if "annual_kwh" in out:
        out["annual_gwh"] = out["annual_kwh"] / 1e6
    return out


def aggregate_h3(per_roof: pd.DataFrame, resolution: int = 8) -> pd.DataFrame:
    """:func:`aggregate` by H3 cell (column ``h3``, hex id; :func:`cyc_geo.geo.hexgrid.aggregate`);
    cells without any roof are absent."""
    cols = [c for c in ADDITIVE if c in per_roof.columns]
    return _with_totals(hexgrid.aggregate(per_roof, cols, resolution))


def summary(per_roof: pd.DataFrame, goal_mw: float = GOAL_MW) -> dict[str, Any]:
    """County totals of a scenario potential, with the 70 MW installed goal and the 200 MW project for
    context. No gap to the goal and no share of it: a potential is not installed capacity (issue 26;
    progress is :mod:`cyc_geo.pv.progress`)."""
    tot = {c: float(per_roof[c].sum()) if c in per_roof else 0.0 for c in ADDITIVE}
    capacity_mw = tot["capacity_kw"] / 1000.0
    annual_gwh = tot["annual_kwh"] / 1e6
    return {
        "buildings": int(tot["buildings"]),
        "roofs": int(tot["roofs"]),
        "area_m2": tot["area_m2"],
        "usable_area_m2": tot["usable_area_m2"],
        "pv_area_m2": tot["pv_area_m2"],
        "capacity_mw": capacity_mw,
        "annual_gwh": annual_gwh,
        "specific_yield": (tot["annual_kwh"] / tot["capacity_kw"]) if tot["capacity_kw"] > 0 else 0.0,
        "co2_t": tot["co2_t"],
        "tce": tot["tce"],
        "goal_mw": _plan_figure(goal_mw),
        "project_mw": _plan_figure(PROJECT_MW),
        "project_gwh": _plan_figure(PROJECT_GWH),
        "share_of_project_mw": _plan_figure(capacity_mw / PROJECT_MW),
        "share_of_project_gwh": _plan_figure(annual_gwh / PROJECT_GWH),
    }


def _plan_figure(value: float) -> float | None:
    """A figure from the plan's goals, ``None`` (JSON null) when the county profile has no plan goals (NaN)."""
    return None if math.isnan(value) else value


def township_table(per_roof: pd.DataFrame, townships: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per township (all of them, zero where no roof counts) with code, names and sums."""
    if townships is None:
        from cyc_geo.places.townships import load_townships

        townships = load_townships()
    base = pd.DataFrame({"code": townships["code"].astype(str), "name": townships["name"],
                         "name_en": townships.get("name_en", townships["name"])})
    agg = aggregate(per_roof, "township_code").rename(columns={"township_code": "code"})
    out = base.merge(agg, on="code", how="left")
    num = [c for c in out.columns if c not in ("code", "name", "name_en")]
    out[num] = out[num].fillna(0.0)
    for c in ("buildings", "roofs"):
        if c in out:
            out[c] = out[c].astype(np.int64)
    return out.sort_values("code").reset_index(drop=True)
