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


def status_table(ev: pd.DataFrame, year: int, lang: str, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """The dashboard's table of :func:`cyc_geo.indicators.catalogue.evaluate` rows, headed and labelled in ``lang``."""
    zh = lang == "zh"
    cat = ind.load_catalogue() if catalogue is None else catalogue
    value_source = {
        "reported": _t(lang, "填报", "reported"),
        "spatial": _t(lang, "地图测算", "map"),
        "derived": _t(lang, "推算", "derived"),
        "none": "—",
    }
    directions = {"higher": _t(lang, "越高越好", "higher is better"), "lower": _t(lang, "越低越好", "lower is better")}
    return pd.DataFrame(
        {
            _t(lang, "序号", "No."): ev["no"],
            _t(lang, "领域", "Domain"): ev["domain"] if zh else ev["no"].map(cat["domain_en"]),
            _t(lang, "指标", "Indicator"): ev["name"] if zh else ev["name_en"],
            _t(lang, "单位", "Unit"): ev["unit"] if zh else ev["no"].map(cat["unit_en"]),
            _t(lang, "现状值", "Baseline"): shown_numbers(ev["baseline"]),
            _t(lang, f"{year}年目标", f"Target {year}"): shown_numbers(ev["target"]),
            _t(lang, "实际值", "Actual"): shown_numbers(ev["value"]),
            _t(lang, "状态", "Status"): ev["status"] if zh else ev["status"].map(ind.STATUS_EN),
            _t(lang, "方向", "Direction"): ev["direction"].map(directions),
            _t(lang, "来源", "Source"): ev["value_source"].map(value_source),
            _t(lang, "说明", "Note"): ev["reason"].map(lambda r: one_language(r, lang)),
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
