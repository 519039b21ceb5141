"""Straightforward row-by-row baseline for the rooftop PV estimate (kept for ``bench_pv``).

What a first GIS script would do with geopandas: iterate over the roofs with
``GeoDataFrame.iterrows()``, compute each roof's numbers with scalar Python and
accumulate township and H3 sums in dictionaries. It uses the same inputs
(``area_m2``, ``township_code``, ``h3_<res>``) and the same parameters and yield
table as :func:`cyc_geo.pv.model.estimate`, so both produce the same totals; only the
execution strategy differs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import geopandas as gpd
import h3

from cyc_geo.pv import emissions, yield_model
from cyc_geo.pv.params import Scenario, resolve_params, roof_area_factor


def rowwise_estimate(roofs: gpd.GeoDataFrame, scenario: Scenario | None = None,
                     h3_resolution: int = 8) -> dict[str, Any]:
    """County total, township sums and H3 sums, one roof at a time."""
    scenario = scenario or Scenario()
    params = resolve_params(scenario)
    yields = yield_model.yield_table(params)
    slope = roof_area_factor(params)
    preset = emissions.get_preset(params.emission_preset)
    towns: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    cells: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    total: dict[str, float] = defaultdict(float)
    h3_col = f"h3_{h3_resolution}"
    for _, row in roofs.iterrows():
        area = float(row["area_m2"])
        if area < scenario.min_roof_m2 or area <= 0:
            continue
        if scenario.townships and row["township_code"] not in scenario.townships:
            continue
        frac = params.usable_fraction.get(row["roof_type"])
        adopt = scenario.adoption.get(row["building_class"])
        if frac is None or adopt is None:
            continue
        kw = min(area * slope[row["roof_type"]] * adopt, area * frac) * params.module_w_per_m2 / 1000.0
        kwh = kw * yields[row["roof_type"]]
        mwh = kwh / 1000.0
        values = {"roofs": 1, "capacity_kw": kw, "annual_kwh": kwh,
                  "co2_t": mwh * preset.co2_factor(), "tce": mwh * preset.gce_per_kwh / 1000.0}
        cell = h3.int_to_str(int(row[h3_col])) if h3_col in row else h3.latlng_to_cell(row["lat"], row["lon"], h3_resolution)
        for key, v in values.items():
            total[key] += v
            towns[row["township_code"]][key] += v
            cells[cell][key] += v
    return {"total": dict(total), "by_township": {k: dict(v) for k, v in towns.items()},
            "h3": {k: dict(v) for k, v in cells.items()}}
