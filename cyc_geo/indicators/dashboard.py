"""What the indicator dashboard shows, as plain frames: saved PV scenarios, the status table,
the reported-values editor, the plan-vs-actual chart data and the audit trail.

No Streamlit here: the page (``views/indicators.py``) caches, lays out and draws;
every function takes the UI language (``"zh"`` or ``"en"``) where it labels anything.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

import pandas as pd

from cyc_geo import db
from cyc_geo.exports.display import one_language
from cyc_geo.indicators import catalogue as ind

DEFAULT_SCENARIO = "__default__"
"""Option value of the PV scenario picker meaning "no saved scenario, the model's defaults"."""

STATUS_COLOURS = {ind.MET: "#c6efce", ind.BEHIND: "#ffc7ce", ind.NO_DATA: "#eeeeee", ind.NO_TARGET: "#ddebf7"}
AUDIT_COLUMNS = ["at", "actor", "entity_key", "action", "old_value", "new_value"]


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


# ---------------------------------------------------------------- PV scenarios


def saved_pv_scenarios(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """PV scenarios saved from the map/PV page (``scenarios`` table, kind 'pv'), by name; ``params`` as JSON text."""
    rows = conn.execute("SELECT name, params, updated_at FROM scenarios WHERE kind = 'pv' ORDER BY name")
    return [dict(r) for r in rows]


def scenario_choice(scenarios: list[dict[str, Any]], chosen: str) -> tuple[str, str]:
    """(cache key, params JSON) of the chosen option; the key changes whenever the scenario is saved again."""
    row = next((s for s in scenarios if s["name"] == chosen), None)
    if row is None:
        return DEFAULT_SCENARIO, ""
    return f"{chosen}@{row['updated_at']}", row["params"]


def scenario_from_params(params_json: str) -> tuple[Any, str]:
    """A :class:`cyc_geo.pv.params.Scenario` from saved parameters, or (None, reason) if that is not possible."""
    try:
        from cyc_geo.pv.scenarios import scenario_from_params as load

        return load(json.loads(params_json)), ""
    except Exception as exc:  # noqa: BLE001 - an old or foreign scenario must not break the page
        return None, f"{exc.__class__.__name__}: {exc}"


# ---------------------------------------------------------------- status table


def fmt_number(v: Any) -> str:
    """``v`` as short text (``%g``); empty for None and NaN."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"


def shown_numbers(values: pd.Series) -> pd.Series:
    """Numbers as text, missing ones as "—" (st.dataframe draws a missing cell as a grey "None",
    whatever a Styler's ``na_rep`` says)."""
    return values.map(lambda v: fmt_number(v) or "—")


def status_counts(ev: pd.DataFrame) -> dict[str, int]:
    """How many indicators are 达标 / 未达标 / 无数据 (every status present, zero if none)."""
    counts = ev["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in (ind.MET, ind.BEHIND, ind.NO_DATA)}


def reported_text(fig: ind.ReportedValue | None, lang: str) -> str:
    """A reported value as a table cell: ``24 （x）`` with who entered it; "—" when nothing is reported."""
    if fig is None:
        return "—"
    return f"{fmt_number(fig.value)}（{fig.who}）" if lang == "zh" else f"{fmt_number(fig.value)} ({fig.who})"


def map_estimate_text(fig: ind.MapEstimate | None, lang: str) -> str:
    """A map estimate as a table cell with the data year of the layer version it used, e.g.
    ``165.563 （无数据年份，不计分）``; "—" for rows without one."""
    if fig is None or fig.value is None:
        return "—"
    if fig.data_year is None:
        year = _t(lang, "无数据年份", "no data year")
    else:
        year = _t(lang, f"{fig.data_year}年数据", f"data of {fig.data_year}")
    scored = "" if fig.scored else _t(lang, "，不计分", ", not scored")
    return _t(lang, f"{fmt_number(fig.value)}（{year}{scored}）", f"{fmt_number(fig.value)} ({year}{scored})")


def reference_text(fig: ind.ReferenceFigure | None, lang: str) -> str:
    """A reference figure (shown beside an indicator, never scored) as one sentence; empty when none."""
    if fig is None:
        return ""
    name, definition = (fig.name_zh, fig.definition_zh) if lang == "zh" else (fig.name_en, fig.definition_en)
    return _t(lang, f"参考：{name} {fig.value:.2f} {fig.unit}。{definition}",
              f"Reference: {name} {fig.value:.2f} {fig.unit_en or fig.unit}. {definition}")


def status_table(ev: pd.DataFrame, year: int, lang: str, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """The dashboard's table of :func:`cyc_geo.indicators.catalogue.evaluate` rows, headed and labelled in ``lang``:
    the reported value and the map estimate side by side, the actual the status used and which of them it is
    (计分依据 / Scored)."""
    zh = lang == "zh"
    cat = ind.load_catalogue() if catalogue is None else catalogue
    value_source = {
        "reported": _t(lang, "填报值", "reported"),
        "spatial": _t(lang, "地图测算（同年数据）", "map estimate (same year)"),
        "derived": _t(lang, "推算（填报值）", "derived (reported inputs)"),
        "none": "—",
    }
    notes = [r if not ref else f"{r}{_t(lang, '；', '; ')}{ref}" for r, ref in
             zip(ev["reason"], (reference_text(f, lang) for f in ev["reference"]), strict=True)]
    directions = {"higher": _t(lang, "越高越好", "higher is better"), "lower": _t(lang, "越低越好", "lower is better")}
    return pd.DataFrame(
        {
            _t(lang, "序号", "No."): ev["no"],
            _t(lang, "领域", "Domain"): ev["domain"] if zh else ev["no"].map(cat["domain_en"]),
            _t(lang, "指标", "Indicator"): ev["name"] if zh else ev["name_en"],
            _t(lang, "单位", "Unit"): ev["unit"] if zh else ev["no"].map(cat["unit_en"]),
            _t(lang, "现状值", "Baseline"): shown_numbers(ev["baseline"]),
            _t(lang, f"{year}年目标", f"Target {year}"): shown_numbers(ev["target"]),
            _t(lang, "填报值", "Reported"): [reported_text(f, lang) for f in ev["reported"]],
            _t(lang, "地图测算值", "Map estimate"): [map_estimate_text(f, lang) for f in ev["map_estimate"]],
            _t(lang, "实际值", "Actual"): shown_numbers(ev["value"]),
            _t(lang, "计分依据", "Scored"): ev["value_source"].map(value_source),
            _t(lang, "状态", "Status"): ev["status"] if zh else ev["status"].map(ind.STATUS_EN),
            _t(lang, "方向", "Direction"): ev["direction"].map(directions),
            _t(lang, "说明", "Note"): [one_language(n, lang) for n in notes],
        }
    )


def styled_status(table: pd.DataFrame, statuses: pd.Series, lang: str):
    """A Styler colouring the status cells of :func:`status_table` (green 达标, red 未达标, grey 无数据)."""
    colours = dict(zip(table.index, statuses.map(STATUS_COLOURS), strict=True))
    return table.style.apply(
        lambda col: [f"background-color: {colours[i]}" for i in col.index], subset=[_t(lang, "状态", "Status")]
    )


# ---------------------------------------------------------------- reported values


def editor_frame(
    ev: pd.DataFrame, conn: sqlite3.Connection | None, year: int, lang: str, catalogue: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Rows of the reported-values editor: every non-derived indicator with its valid range and the
    value and note reported for ``year`` (empty text where none is)."""
    cat = ind.load_catalogue() if catalogue is None else catalogue
    editable = ev[ev["source"] != "derived"]
    reported = ind.read_values(conn, year).set_index("indicator_no") if conn is not None else pd.DataFrame()
    has = editable["no"].isin(reported.index)
    values = [fmt_number(float(reported.loc[n, "value"])) if ok else "" for n, ok in zip(editable["no"], has, strict=True)]
    notes = [str(reported.loc[n, "note"]) if ok else "" for n, ok in zip(editable["no"], has, strict=True)]
    return pd.DataFrame(
        {
            "no": editable["no"].to_numpy(),
            "name": (editable["name"] if lang == "zh" else editable["name_en"]).to_numpy(),
            "unit": (editable["unit"] if lang == "zh" else editable["no"].map(cat["unit_en"])).to_numpy(),
            "range": [f"{cat.loc[n, 'valid_min']:g} – {cat.loc[n, 'valid_max']:g}" for n in editable["no"]],
            "value": values,
            "note": notes,
        }
    )


def _cell(v: Any) -> str:
    """An editor cell as stripped text; a cleared cell (None, or NaN once pandas has held it) is empty."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def changed_entries(original: pd.DataFrame, edited: pd.DataFrame, year: int) -> list[dict[str, Any]]:
    """Entries (``no, year, value, note``) for :func:`~cyc_geo.indicators.catalogue.save_values` of the
    editor rows whose value or note differ from :func:`editor_frame`'s (text compared stripped)."""
    changed = []
    for (_, before), (_, after) in zip(original.iterrows(), edited.iterrows(), strict=False):
        value_after, note_after = _cell(after["value"]), _cell(after["note"])
        if value_after != before["value"] or note_after != before["note"]:
            changed.append({"no": int(before["no"]), "year": year, "value": value_after, "note": note_after})
    return changed


# ---------------------------------------------------------------- charts and audit


def series_labels(lang: str) -> tuple[str, str]:
    """Legend labels of the plan (baseline and targets) and actual series."""
    return _t(lang, "现状值与目标", "baseline & targets"), _t(lang, "实际值", "actual")


def chart_data(long: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """:func:`~cyc_geo.indicators.catalogue.trajectories` with a facet ``label`` and a ``series`` in
    ``lang``, and the facet labels in indicator order."""
    data = long.copy()
    names = data["name"] if lang == "zh" else data["name_en"]
    units = data["unit"] if lang == "zh" else data["no"].map(ind.load_catalogue()["unit_en"])
    data["label"] = "#" + data["no"].astype(str) + " " + names + " (" + units + ")"
    plan_label, actual_label = series_labels(lang)
    data["series"] = data["kind"].map({"plan": plan_label, "actual": actual_label})
    order = list(dict.fromkeys(data.sort_values("no")["label"]))
    return data, order


def audit_table(conn: sqlite3.Connection, limit: int = 100) -> pd.DataFrame:
    """The newest audit records of reported values, newest first (empty frame with the columns if none)."""
    return pd.DataFrame(db.audit_trail(conn, ind.AUDIT_ENTITY, limit=limit)).reindex(columns=AUDIT_COLUMNS)


# ---------------------------------------------------------------- early warning on the charts


WARNING_COLOURS = {"normal": "#2ca02c", "watch": "#ff9f0e", "alert": "#d62728"}
"""Colour of each early-warning status (:mod:`cyc_geo.indicators.warning`) on the dashboard's charts."""


def trajectory_warnings(long: pd.DataFrame, catalogue: pd.DataFrame, year: int) -> dict[int, Any]:
    """:func:`cyc_geo.indicators.warning.warnings` as of ``year`` from the actuals of
    :func:`~cyc_geo.indicators.catalogue.trajectories` (``kind == "actual"``)."""
    from cyc_geo.indicators import warning as warn

    act = long[(long["kind"] == "actual") & (long["stage"] != "现状")]
    evaluated = pd.DataFrame({"no": act["no"], "year": act["stage"].astype(int), "value": act["amount"]})
    return warn.warnings(evaluated, catalogue, year)


STATUS_SEPARATOR = " · "
"""Between an indicator's name and its warning status in a chart panel's title (the page draws them as two lines)."""


def warning_chart_data(long: pd.DataFrame, catalogue: pd.DataFrame, year: int, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """:func:`chart_data` with each facet label ending in its warning status (正常 / 关注 / 预警) and, per
    indicator with a projection, ``kind == "trend"`` rows: the last point (actual, else 现状值) and the value
    the linear trend reaches in 2024, with ``warning`` (label in ``lang``) and ``warning_key``."""
    from cyc_geo.indicators import warning as warn

    data, order = chart_data(long, lang)
    warns = trajectory_warnings(long, catalogue, year)
    suffix = {no: f"{STATUS_SEPARATOR}{w.label(lang)}" for no, w in warns.items()}
    data["label"] = data["label"] + data["no"].map(suffix).fillna("")
    order = [next(lab for lab in data["label"] if lab.startswith(o)) for o in order]
    rows = []
    for no, w in warns.items():
        if not (math.isfinite(w.projected) and math.isfinite(w.miss)):  # no actual: no trend to draw
            continue
        own = data[(data["no"] == no) & ((data["kind"] == "actual") | (data["stage"] == "现状"))
                   & (data["stage"].map(lambda s: s == "现状" or int(s) <= year))]
        if own.empty:
            continue
        last = own.sort_values("order").iloc[-1]
        for stage, order_no, amount in ((last["stage"], last["order"], last["amount"]), (str(warn.GOAL_YEAR), len(ind.YEARS),
                                                                                         w.projected)):
            rows.append({**last.to_dict(), "stage": stage, "order": order_no, "amount": float(amount), "kind": "trend",
                         "series": _t(lang, "趋势外推至2024年", "trend to 2024"), "warning": w.label(lang),
                         "warning_key": w.status})
    trend = pd.DataFrame(rows)
    if not trend.empty:
        data = pd.concat([data, trend], ignore_index=True)
    return data, order
