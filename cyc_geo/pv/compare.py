"""Saved PV scenarios side by side: potential capacity, generation and CO2, by township, and how their
parameters differ. Pure functions over per-roof results (:func:`cyc_geo.pv.model.estimate`)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cyc_geo.mapview.payloads import in_lang
from cyc_geo.pv import aggregation, emissions
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import Scenario, resolve_params
from cyc_geo.pv.tables import scenario_rows

MIN_SCENARIOS = 2


def totals(per_roof: dict[str, pd.DataFrame], scenarios: dict[str, Scenario] | None = None,
           lang: str = "zh") -> pd.DataFrame:
    """One row per scenario (in the given order): ``scenario``, ``roofs``, ``capacity_mw``, ``annual_gwh``,
    ``co2_t``, ``tce`` (county sums of :func:`cyc_geo.pv.aggregation.summary`) and, with ``scenarios``,
    ``co2_factor``: the factor and year each scenario's CO2 is counted with
    (:func:`cyc_geo.pv.emissions.factor_label`)."""
    rows = []
    for name, res in per_roof.items():
        s = aggregation.summary(res)
        row = {"scenario": name, "roofs": s["roofs"], "capacity_mw": s["capacity_mw"],
               "annual_gwh": s["annual_gwh"], "co2_t": s["co2_t"], "tce": s["tce"]}
        if scenarios is not None and name in scenarios:
            row["co2_factor"] = emissions.factor_label(resolve_params(scenarios[name]).emission_preset, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def by_township(per_roof: dict[str, pd.DataFrame], townships: pd.DataFrame) -> pd.DataFrame:
    """Long table: ``code``, ``name``, ``name_en``, ``scenario``, ``capacity_mw``, ``annual_gwh``, ``co2_t``
    for every township and scenario (:func:`cyc_geo.pv.aggregation.township_table`, zeros where no roof counts)."""
    parts = []
    for name, res in per_roof.items():
        t = aggregation.township_table(res, townships)
        t = t[["code", "name", "name_en", "capacity_mw", "annual_gwh", "co2_t"]]
        parts.append(t.assign(scenario=name))
    return pd.concat(parts, ignore_index=True)[["code", "name", "name_en", "scenario", "capacity_mw",
                                                "annual_gwh", "co2_t"]]


def parameter_table(scenarios: dict[str, Scenario], lang: str = "zh",
                    town_names: dict[str, str] | None = None, only_differences: bool = False) -> pd.DataFrame:
    """Parameters (rows) × scenarios (columns), readable (:func:`cyc_geo.pv.tables.scenario_rows`), with a
    column 不同 / Differs; a parameter a scenario does not set shows the model default (—)."""
    per: dict[str, dict[str, str]] = {}
    order: list[str] = []
    for name, sc in scenarios.items():
        rows = dict(scenario_rows(sc, lang, town_names))
        per[name] = rows
        order += [k for k in rows if k not in order]
    label = in_lang(lang, "参数", "Parameter")
    differs = in_lang(lang, "不同", "Differs")
    table = pd.DataFrame({label: order})
    for name, rows in per.items():
        table[name] = [rows.get(k, in_lang(lang, "默认", "default")) for k in order]
    values = table[list(per)]
    table[differs] = values.nunique(axis=1).gt(1).map({True: in_lang(lang, "是", "yes"), False: ""})
    if only_differences:
        table = table[table[differs] != ""].reset_index(drop=True)
    return table


def compare(scenarios: dict[str, Scenario], roofs: pd.DataFrame, townships: pd.DataFrame,
            estimate: Callable[[Scenario], pd.DataFrame] | None = None, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """``totals``, ``by_township`` and ``parameters`` of two or more scenarios (name → scenario).

    ``estimate`` gives the per-roof results of a scenario (default :func:`cyc_geo.pv.model.estimate` on
    ``roofs``; the app passes its cached one)."""
    if len(scenarios) < MIN_SCENARIOS:
        raise ValueError("至少选择两个情景 / choose at least two scenarios")
    run = estimate or (lambda sc: pv.estimate(roofs, sc))
    results = {name: run(sc) for name, sc in scenarios.items()}
    names = dict(zip(townships["code"].astype(str), townships["name" if lang == "zh" else "name_en"], strict=True))
    return {"totals": totals(results, scenarios, lang), "by_township": by_township(results, townships),
            "parameters": parameter_table(scenarios, lang, names)}


def display_totals(tot: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`totals` with labelled headers (units in them)."""
    return pd.DataFrame({
        in_lang(lang, "情景", "Scenario"): tot["scenario"],
        in_lang(lang, "计入屋顶", "Roofs"): tot["roofs"],
        in_lang(lang, "潜力装机 (MW)", "Potential capacity (MW)"): tot["capacity_mw"],
        in_lang(lang, "潜力年发电 (GWh)", "Potential generation (GWh)"): tot["annual_gwh"],
        in_lang(lang, "减排 CO₂ (tCO2)", "CO₂ avoided (tCO2)"): tot["co2_t"],
        in_lang(lang, "节约标煤 (tce)", "Coal saved (tce)"): tot["tce"],
        **({in_lang(lang, "CO₂ 折算因子", "CO₂ factor"): tot["co2_factor"]} if "co2_factor" in tot else {}),
    })


def display_by_township(long: pd.DataFrame, lang: str, value: str = "capacity_mw") -> pd.DataFrame:
    """Townships (rows) × scenarios (columns) of one value of :func:`by_township`."""
    names = long["name"] if lang == "zh" else long["name_en"]
    wide = long.assign(_t=names).pivot_table(index=["code", "_t"], columns="scenario", values=value,
                                              sort=False, aggfunc="sum")
    wide = wide[list(dict.fromkeys(long["scenario"]))].reset_index()
    return wide.rename(columns={"code": in_lang(lang, "代码", "Code"), "_t": in_lang(lang, "乡镇", "Township")})


UNITS = {"capacity_mw": "MW", "annual_gwh": "GWh", "co2_t": "tCO2"}


def workbook(result: dict[str, pd.DataFrame], lang: str, demo: bool) -> bytes:
    """Excel of a comparison (``cyc_geo.exports``): totals, capacity / generation / CO2 by township, parameters."""
    from cyc_geo.exports.excel import workbook_bytes
    from cyc_geo.exports.meta import ExportMeta

    names = list(result["totals"]["scenario"])
    meta = ExportMeta(title=("屋顶光伏情景对比（开发比例情景潜力）", "Rooftop PV scenarios compared (adoption-share scenario potential)"),
                      lang=lang, demo=demo,
                      filters={in_lang(lang, "情景", "Scenarios"): ("、" if lang == "zh" else ", ").join(names)})
    tot = display_totals(result["totals"], lang)
    # the four figures after scenario and roofs; the CO2 factor column (if any) names its own unit (t CO2/MWh)
    unit_of = {c: u for c, u in zip(tot.columns[2:6], ("MW", "GWh", "tCO2", "tce"), strict=True)}
    sheets = {in_lang(lang, "合计", "Totals"): tot}
    units = {in_lang(lang, "合计", "Totals"): unit_of}
    for value, (zh, en) in {"capacity_mw": ("分乡镇装机", "Capacity by township"),
                            "annual_gwh": ("分乡镇发电", "Generation by township"),
                            "co2_t": ("分乡镇减排", "CO2 by township")}.items():
        wide = display_by_township(result["by_township"], lang, value)
        sheet = in_lang(lang, f"{zh}", f"{en}")
        wide.columns = [c if c not in names else f"{c} ({UNITS[value]})" for c in wide.columns]
        sheets[sheet] = wide
        units[sheet] = {c: UNITS[value] for c in wide.columns if c.endswith(f"({UNITS[value]})")}
    sheets[in_lang(lang, "参数差异", "Parameters")] = result["parameters"]
    return workbook_bytes(sheets, meta, units)
