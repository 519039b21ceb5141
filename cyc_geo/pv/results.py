"""The PV derivation chain: from the roof table and a scenario to every PV figure the pages show.

::

    roof layer ─ attribute table (mapview.payloads.attribute_table, no geometry)
        └─ per-roof results          model.estimate(table, scenario)
             ├─ county totals        aggregation.summary
             ├─ township table       aggregation.township_table(per_roof, townships)
             │    └─ capacity features, township view      capacity_features(..., "township")
             ├─ capacity features, H3 view                  capacity_features(..., "h3")
             ├─ class breakdown      class_breakdown(per_roof, townships, lang)
             └─ low / central / high model.potential_range(table, scenario, per_roof=...)
    roof layer + installations ledger
        └─ remaining potential       progress.remaining_potential (roofs without PV, default shares)
             ├─ progress summary     progress.progress_summary(ledger, as_of, townships, remaining=...)
             └─ by township          progress.remaining_by_township

Pure functions over DataFrames, no Streamlit. ``ui.common`` caches every step (docs/architecture.md,
"Caching"), keyed by the roof layer's source version and the scenario's key (:func:`scenario_key`), and
passes each step its cached inputs, so a figure never recomputes the per-roof results it is built on.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from cyc_geo.pv import aggregation, tables
from cyc_geo.pv.params import Scenario

VIEWS = ("township", "h3")
"""The capacity chart's views: per township (MW) or per H3 cell (kW)."""


def scenario_key(scenario: Scenario) -> str:
    """The scenario as canonical JSON (sorted keys): equal scenarios give equal keys, whatever the order
    their fields or adoption shares were given in. The cache key of every step after the roof table."""
    return scenario.to_json()


def scenario_from_key(key: str) -> Scenario:
    """The validated :class:`~cyc_geo.pv.params.Scenario` a :func:`scenario_key` stands for."""
    return Scenario.from_dict(json.loads(key))


def township_names(townships: pd.DataFrame, lang: str) -> dict[str, str]:
    """Township code → name in ``lang`` (``zh``: ``name``; otherwise ``name_en``)."""
    column = "name" if lang == "zh" else "name_en"
    return dict(zip(townships["code"].astype(str), townships[column], strict=True))


def class_breakdown(per_roof: pd.DataFrame, townships: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """Capacity by township and building class with names in ``lang``, and the townships by total capacity
    (:func:`cyc_geo.pv.tables.class_breakdown`)."""
    return tables.class_breakdown(per_roof, township_names(townships, lang), lang)


def capacity_features(per_roof: pd.DataFrame, townships: gpd.GeoDataFrame, view: str, resolution: int = 8,
                      township_table: pd.DataFrame | None = None) -> list[dict]:
    """GeoJSON features of the capacity for the PV page's chart: per township (``view="township"``, ``v`` in MW)
    or per H3 cell at ``resolution`` (``view="h3"``, ``v`` in kW, cells without capacity left out).

    ``township_table`` (:func:`cyc_geo.pv.aggregation.township_table` of the same results) saves summing again.
    """
    if view not in VIEWS:
        raise ValueError(f"未知视图 {view!r}（township 或 h3）/ unknown view {view!r} (township or h3)")
    if view == "township":
        table = township_table if township_table is not None else aggregation.township_table(per_roof, townships)
        return tables.map_features(tables.township_shapes(townships, table), "capacity_mw")
    return tables.map_features(tables.h3_shapes(per_roof, int(resolution)), "capacity_kw")
