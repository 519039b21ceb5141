"""County zonal statistics on the demo land-cover raster: exact (exactextract) vs naive mask-and-sum.

Target (docs/sources.md, "Performance targets"): zonal statistics for all 18 townships on the county raster in
under 2 s, side by side with a naive baseline.

Setup (not timed): the demo land cover (20 m, EPSG:4547, ~5.3 M cells) is
loaded and turned into the four per-cell carbon bands of
:func:`cyc_geo.carbon.forest.carbon_rasters` (forest m², stock m³, sink t CO2, storage t C).

Variants, each timed in this process (best of ``repeats``):

- ``cyc-geo``: :func:`cyc_geo.geo.zonal.zonal_sum` — exactextract, partial-pixel
  weights, all four bands in one pass over each township;
- ``baseline``: per township, ``rasterio.features.geometry_mask`` over the whole
  grid (cell-centre inclusion, no partial pixels) and a masked sum per band —
  the obvious loop a GIS script would write;
- ``cyc-geo-e2e``: :func:`cyc_geo.carbon.forest.carbon_by_zone` from the GeoTIFF path,
  i.e. including reading and the per-cell lookups (what the CLI does).

Extra columns: ``ratio`` = seconds ÷ baseline seconds, ``cpu_s`` / ``cpu_ratio`` the
same in process CPU time (robust to other load on a shared machine), ``county_sink_t`` = sum
of the township sinks, ``diff_vs_exact_pct`` = largest township difference of the
sink from the exact result (the centre-sampling error of the baseline).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from rasterio.features import geometry_mask

from bench.common import best_of, result_row


def naive_zonal_sum(data, zones) -> pd.DataFrame:
    """Per-polygon mask-and-sum (cell centres inside the polygon), one full-grid mask per zone."""
    z = zones.to_crs(data.crs)
    rows, cols = data.shape
    filled = np.ma.filled(data.array.astype("float64"), 0.0)
    out = []
    for geom in z.geometry:
        inside = ~geometry_mask([geom], out_shape=(rows, cols), transform=data.transform)
        out.append([float(band[inside].sum()) for band in filled])
    return pd.DataFrame(out, columns=[f"{n}_sum" for n in data.names], index=zones.index)




def run(quick: bool = False) -> list[dict[str, Any]]:
    from cyc_geo.carbon import forest, landcover
    from cyc_geo.geo import zonal
    from cyc_geo.places.townships import load_townships

    repeats = 1 if quick else 3
    t0 = time.perf_counter()
    path = landcover.landcover_path()
    towns = load_townships()
    lc = landcover.load_landcover(path)
    bands = forest.carbon_rasters(lc)
    setup_s = time.perf_counter() - t0
    cells = int(lc.shape[0] * lc.shape[1])

    exact = best_of(lambda: zonal.zonal_sum(bands, towns, id_col="code", band_names=bands.names), repeats)
    naive = best_of(lambda: naive_zonal_sum(bands, towns), repeats)
    e2e = best_of(lambda: forest.carbon_by_zone(towns, landcover=path), repeats)

    ex = exact.result["sink_t_co2_sum"].to_numpy()
    nv = naive.result["sink_t_co2_sum"].to_numpy()
    diff = float(np.max(np.abs(nv - ex) / np.where(ex > 0, ex, 1.0)) * 100)
    base_s, base_cpu = naive.seconds, naive.extra["cpu_s"]
    common = {"cells": cells, "bands": len(bands.names), "setup_s": round(setup_s, 2)}

    def ratios(m) -> dict[str, Any]:
        return {"ratio": round(m.seconds / base_s, 3), "cpu_s": round(m.extra["cpu_s"], 3),
                "cpu_ratio": round(m.extra["cpu_s"] / base_cpu, 3) if base_cpu > 0 else None}

    return [
        result_row("zonal_townships", "cyc-geo", len(towns), exact, **ratios(exact),
                   county_sink_t=round(float(ex.sum()), 1), diff_vs_exact_pct=0.0, under_2s=exact.seconds < 2.0,
                   **common),
        result_row("zonal_townships", "baseline", len(towns), naive, **ratios(naive),
                   county_sink_t=round(float(nv.sum()), 1), diff_vs_exact_pct=round(diff, 3), **common),
        result_row("zonal_townships", "cyc-geo-e2e", len(towns), e2e, **ratios(e2e),
                   county_sink_t=round(float(e2e.result["sink_t_co2"].sum()), 1), **common),
    ]


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
