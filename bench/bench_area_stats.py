"""Area statistics of a township (:func:`cyc_geo.planning.area_stats.area_statistics`), cold and warm.

Setup (not timed): the demo roofs, the installations ledger and the township polygon of 蒲东街道 (the largest
urban township; ``quick``: the same). Variants:

- ``cold``: a fresh :class:`cyc_geo.planning.landcheck.CheckContext` (loads and projects the 三区三线 layers, the
  belt, the county and reads the land-cover raster) plus the statistics;
- ``warm``: the statistics again over the same context (the map panel's case after the first area: the context is
  shared by the page, :func:`ui.projects_data.base_context`).

Both report wall seconds and CPU seconds (``cpu_s``, the fair figure on a shared machine). The roofs and the
ledger are injected (the page has them cached), so neither variant reads them.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import measure, result_row


def run(quick: bool = False) -> list[dict[str, Any]]:
    from cyc_geo.places.townships import load_townships
    from cyc_geo.planning.area_stats import area_statistics
    from cyc_geo.planning.landcheck import CheckContext
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.rooftops import load_rooftops

    towns = load_townships()
    area = towns[towns["name"] == "蒲东街道"][["geometry"]]
    roofs, ledger = load_rooftops(), load_ledger()
    ctx = CheckContext()
    rows = []
    for variant in ("cold", "warm"):
        c0 = time.process_time()
        m = measure(area_statistics, area, "2024-12-31", None, ctx, roofs, ledger, None)
        cpu = time.process_time() - c0
        stats = m.result
        rows.append(result_row("area_stats_township", variant, stats["roofs"], m, cpu_s=round(cpu, 3),
                               installed_mw=stats["installed_mw"], potential_mw=round(stats["potential_mw"], 3),
                               forest_stock_m3=round(stats["forest_stock_m3"], 1), farmland_mu=stats["farmland_mu"]))
    return rows
