"""The ``pv estimate`` JSON document, built in one place for both ways of computing it (the PV page's
tables and downloads are in :mod:`cyc_geo.pv.tables`).

:func:`cyc_geo.commands.pv.estimate_payload` (the whole table in this process) and
:func:`cyc_geo.pv.engine.cli_payload` (``--engine`` / ``--source``: partitions, dask) compute the
estimate differently but describe it with :func:`estimate_payload`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.pv import emissions, yield_model
from cyc_geo.pv.params import Scenario, resolve_params

POTENTIAL_KIND = ("开发比例情景潜力（默认国家能源局整县推进最低比例，按可用面积封顶；非技术上限，非已并网装机） / "
                  "adoption-share scenario potential (default the NEA county-wide minimum shares, capped by the "
                  "usable area; not a technical ceiling, not installed capacity)")
"""What the potential figures are (issue 26): named so in the JSON, on the page and in the exports."""

RUN_KEYS = ("engine", "scheduler", "partitions", "roofs_in", "seconds")
"""Keys of a :func:`cyc_geo.pv.engine.run_estimate` result copied into the engine's document."""


def township_row(sums: Any, **ids: Any) -> dict[str, Any]:
    """One ``by_township`` row: the identifying ``ids`` (code, name, ...) then the township's sums
    (roofs, capacity MW, annual GWh, t CO2, tce) of a row of :func:`cyc_geo.pv.aggregation.aggregate`."""
    return {**ids, "roofs": int(sums.roofs), "capacity_mw": float(sums.capacity_mw),
            "annual_gwh": float(sums.annual_gwh), "co2_t": float(sums.co2_t), "tce": float(sums.tce)}


def estimate_payload(
    summary: Mapping[str, Any],
    by_township: list[dict[str, Any]],
    scenario: Scenario,
    origin: pd.DataFrame | Mapping[str, Any],
    skipped: Mapping[str, Any] | None,
    *,
    scenario_label: str | None = None,
    with_yields: bool = False,
    run: Mapping[str, Any] | None = None,
    share_caps: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``pv estimate --json`` document.

    ``summary``: :func:`cyc_geo.pv.aggregation.summary` figures (MW, GWh/yr, t CO2/yr, tce/yr, goal);
    ``by_township``: rows of :func:`township_row`; ``origin``: the roof table or its metadata
    (its :func:`~cyc_geo.catalog.provenance.provenance_of` gives ``demo`` and ``source``);
    ``skipped``: counts of footprints left out. ``scenario_label`` (the saved scenario's name) and
    ``with_yields`` (kWh/kWp per roof type) add ``scenario`` and ``specific_yield_by_roof_type``;
    ``run`` (a :func:`cyc_geo.pv.engine.run_estimate` result) adds the :data:`RUN_KEYS`; ``share_caps``
    (:func:`cyc_geo.pv.model.share_caps`, the in-process estimate only) adds ``adoption_capped_by_usable_area``.
    ``potential_kind`` names what ``capacity_mw`` is: the adoption-share scenario (default the NEA 整县推进
    minimum shares) capped by the usable area, neither a technical ceiling nor installed capacity.
    """
    params = resolve_params(scenario)
    out = dict(summary)
    out["by_township"] = by_township
    if scenario_label is not None:
        out["scenario"] = scenario_label
    out["scenario_params"] = scenario.to_dict()
    out["potential_kind"] = POTENTIAL_KIND
    if share_caps is not None:
        out["adoption_capped_by_usable_area"] = dict(share_caps)
    out["emission_preset"] = params.emission_preset
    out.update(emissions.factor_fields(params.emission_preset))
    if with_yields:
        out["specific_yield_by_roof_type"] = yield_model.yield_table(params)
    prov = provenance_of(origin)
    out["demo"] = prov.demo
    out["source"] = prov.source
    out["skipped"] = dict(skipped or {})
    if run is not None:
        out.update({k: run[k] for k in RUN_KEYS})
    return out
