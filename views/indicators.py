"""Indicator dashboard (指标看板): the 18 pilot indicators of 附件1 plus the 70 MW PV goal.

Table of every indicator with its current value, the selected year's target and
status (达标 / 未达标 / 无数据, computed with the indicator's direction); reported
values edited in a table (signed-in editors only, validated, saved with an audit
record); charts of each indicator's trajectory against its targets; Excel/CSV
export in the layout of 附件1. All logic lives in :mod:`cyc_geo.indicators.catalogue`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators.export import to_csv_bytes, to_excel_bytes
from ui.common import database, demo_banner, lang, load_layer, registry, tr

try:  # access control (issue 8); without it the page is read-only
    from ui.auth import current_editor, require_editor
except ImportError:  # pragma: no cover - only while ui.auth is missing
    def current_editor() -> str | None:
        return None

    def require_editor() -> str:
        raise PermissionError("需要登录编辑账号 / editor sign-in required")


STATUS_COLOURS = {ind.MET: "#c6efce", ind.BEHIND: "#ffc7ce", ind.NO_DATA: "#eeeeee"}
DEFAULT_SCENARIO = "__default__"


def _saved_pv_scenarios(conn) -> list[dict[str, Any]]:
    """PV scenarios saved from the map/PV page (``scenarios`` table, kind 'pv')."""
    rows = conn.execute("SELECT name, params, updated_at FROM scenarios WHERE kind = 'pv' ORDER BY name")
    return [dict(r) for r in rows]


def _scenario_from_params(params_json: str) -> tuple[Any, str]:
    """A :class:`cyc_geo.pv.model.Scenario` from saved parameters, or (None, reason) if that is not possible."""
    try:
        params = json.loads(params_json)
        try:
            from cyc_geo.pv import scenarios as pv_scenarios  # PV's own loader, if it offers one

            loader = getattr(pv_scenarios, "scenario_from_params", None)
        except ImportError:
            loader = None
        if loader is not None:
            return loader(params), ""
        from cyc_geo.pv.model import Scenario

        return Scenario(**params), ""
    except Exception as exc:  # an old or foreign scenario must not break the page
        return None, f"{exc.__class__.__name__}: {exc}"


@st.cache_data(ttl=900, show_spinner=False, max_entries=16)
def _spatial(scenario_key: str, params_json: str) -> tuple[dict[int, ind.SpatialValue], str]:
    """Spatial indicator values for one PV scenario (cached; the key includes the scenario's update time)."""
    scenario, problem = (None, "") if scenario_key == DEFAULT_SCENARIO else _scenario_from_params(params_json)
    return ind.spatial_values(pv_scenario=scenario), problem


def _fmt(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g}"


def _shown(values: pd.Series) -> pd.Series:
    """Numbers as text, missing ones as "—" (st.dataframe draws a missing cell as a grey "None",
    whatever a Styler's ``na_rep`` says)."""
    return values.map(lambda v: _fmt(v) or "—")


def _status_table(ev: pd.DataFrame, year: int) -> pd.DataFrame:
    zh = lang() == "zh"
    value_source = {
        "reported": tr("填报", "reported"),
        "spatial": tr("地图测算", "map"),
        "derived": tr("推算", "derived"),
        "none": "—",
    }
    return pd.DataFrame(
        {
            tr("序号", "No."): ev["no"],
            tr("领域", "Domain"): ev["domain"] if zh else ev["no"].map(ind.load_catalogue()["domain_en"]),
            tr("指标", "Indicator"): ev["name"] if zh else ev["name_en"],
            tr("单位", "Unit"): ev["unit"],
            tr("现状值", "Baseline"): _shown(ev["baseline"]),
            tr(f"{year}年目标", f"Target {year}"): _shown(ev["target"]),
            tr("实际值", "Actual"): _shown(ev["value"]),
            tr("状态", "Status"): ev["status"] if zh else ev["status"].map(ind.STATUS_EN),
            tr("方向", "Direction"): ev["direction"].map(
                {"higher": tr("越高越好", "higher is better"), "lower": tr("越低越好", "lower is better")}
            ),
            tr("来源", "Source"): ev["value_source"].map(value_source),
            tr("说明", "Note"): ev["reason"],
        }
    )


def _styled(table: pd.DataFrame, statuses: pd.Series):
    """Colour the status cells (green 达标, red 未达标, grey 无数据)."""
    status_col = tr("状态", "Status")
    colours = dict(zip(table.index, statuses.map(STATUS_COLOURS)))
    return table.style.apply(
        lambda col: [f"background-color: {colours[i]}" for i in col.index], subset=[status_col]
    )


def _editor_frame(ev: pd.DataFrame, conn, year: int, cat: pd.DataFrame) -> pd.DataFrame:
    editable = ev[ev["source"] != "derived"]
    reported = ind.read_values(conn, year).set_index("indicator_no") if conn is not None else None
    values, notes = [], []
    for no in editable["no"]:
        if reported is not None and no in reported.index:
            values.append(_fmt(float(reported.loc[no, "value"])))
            notes.append(str(reported.loc[no, "note"]))
        else:
            values.append("")
            notes.append("")
    return pd.DataFrame(
        {
            "no": editable["no"].to_numpy(),
            "name": (editable["name"] if lang() == "zh" else editable["name_en"]).to_numpy(),
            "unit": editable["unit"].to_numpy(),
            "range": [f"{cat.loc[n, 'valid_min']:g} – {cat.loc[n, 'valid_max']:g}" for n in editable["no"]],
            "value": values,
            "note": notes,
        }
    )


def _save_edits(original: pd.DataFrame, edited: pd.DataFrame, year: int, conn) -> None:
    """Validate the changed rows and save them in one transaction (editor only)."""
    changed = []
    for (_, before), (_, after) in zip(original.iterrows(), edited.iterrows()):
        value_after = "" if after["value"] is None else str(after["value"]).strip()
        note_after = "" if after["note"] is None else str(after["note"]).strip()
        if value_after != before["value"] or note_after != before["note"]:
            changed.append({"no": int(before["no"]), "year": year, "value": value_after, "note": note_after})
    if not changed:
        st.session_state["ind_flash"] = ("info", tr("没有修改。", "Nothing changed."))
        return
    try:
        user = require_editor()
        n = ind.save_values(conn, changed, actor=user)
    except PermissionError as exc:
        st.session_state["ind_flash"] = ("error", str(exc))
        return
    except ind.ValidationError as exc:
        st.session_state["ind_flash"] = (
            "error",
            tr("输入有误，未保存任何数据：", "Invalid input, nothing was saved: ") + "\n\n- " + "\n- ".join(exc.errors),
        )
        return
    st.session_state["ind_flash"] = ("success", tr(f"已保存 {n} 项（已记入审计日志）。", f"Saved {n} value(s) (audited)."))
    st.session_state["ind_editor_rev"] = st.session_state.get("ind_editor_rev", 0) + 1


def _chart(long: pd.DataFrame) -> alt.FacetChart:
    zh = lang() == "zh"
    data = long.copy()
    data["label"] = "#" + data["no"].astype(str) + " " + (data["name"] if zh else data["name_en"]) + " (" + data["unit"] + ")"
    plan_label, actual_label = tr("现状值与目标", "baseline & targets"), tr("实际值", "actual")
    data["series"] = data["kind"].map({"plan": plan_label, "actual": actual_label})
    x = alt.X("stage:N", sort=["现状", *map(str, ind.YEARS)], title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("amount:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format="~r"))
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=[plan_label, actual_label], range=["#7f7f7f", "#d62728"]),
        legend=alt.Legend(orient="top"),
    )
    base = alt.Chart()
    plan = base.transform_filter(alt.datum.kind == "plan").mark_line(point=True, strokeDash=[4, 3]).encode(
        x=x, y=y, color=color, tooltip=["label:N", "stage:N", "amount:Q"]
    )
    actual = base.transform_filter(alt.datum.kind == "actual").mark_point(size=90, filled=True).encode(
        x=x, y=y, color=color, tooltip=["label:N", "stage:N", "amount:Q"]
    )
    order = list(dict.fromkeys(data.sort_values("no")["label"]))
    return (
        alt.layer(plan, actual, data=data)
        .properties(width=190, height=140)
        .facet(facet=alt.Facet("label:N", sort=order, title=None), columns=3)
        .resolve_scale(y="independent")
        .resolve_axis(x="independent")
    )


def main() -> None:
    st.title(tr("指标看板：碳达峰试点建设指标", "Indicator dashboard: carbon-peak pilot indicators"))
    st.caption(
        tr(
            "附件1《碳达峰试点县（市）建设指标任务分解表》18项指标，另加方案正文三、二的光伏装机目标（7万千瓦）。",
            "The 18 indicators of Annex 1 of the plan, plus the PV capacity goal of section 3.2 (70 MW).",
        )
    )
    cat = ind.load_catalogue()
    conn = database()

    c1, c2 = st.columns([1, 2])
    year = c1.selectbox(tr("年份", "Year"), ind.YEARS, index=len(ind.YEARS) - 1, key="ind_year")
    scenarios = _saved_pv_scenarios(conn)
    options = [DEFAULT_SCENARIO] + [s["name"] for s in scenarios]
    chosen = c2.selectbox(
        tr("光伏情景（地图/屋顶光伏页保存的情景）", "PV scenario (saved on the map / rooftop PV page)"),
        options,
        format_func=lambda n: tr("默认情景", "default scenario") if n == DEFAULT_SCENARIO else n,
        key="ind_pv_scenario",
    )
    chosen_row = next((s for s in scenarios if s["name"] == chosen), None)
    key = DEFAULT_SCENARIO if chosen_row is None else f"{chosen}@{chosen_row['updated_at']}"
    with st.spinner(tr("正在由地图数据测算空间指标…", "Computing spatial indicators from the map…")):
        spatial, problem = _spatial(key, "" if chosen_row is None else chosen_row["params"])
    if problem:
        st.warning(tr(f"情景无法读取，已用默认情景：{problem}", f"Scenario could not be read, default used: {problem}"))

    shown = {layer.id: load_layer(layer.id) for layer in registry() if layer.feeds_indicators}
    if shown:
        demo_banner(shown)
    st.caption(
        tr(
            "空间指标（碳汇量、森林蓄积量、光伏装机）由地图数据测算；地图为演示数据时仅供讨论。碳汇量为年总吸收量（毛碳汇）。",
            "Spatial indicators (carbon sink, forest stock, PV capacity) are computed from the map; with demo map data they "
            "are for discussion only. The carbon sink is the gross annual uptake.",
        )
    )

    ev = ind.evaluate(year, conn, spatial, cat)
    counts = ev["status"].value_counts()
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("达标", "On track"), int(counts.get(ind.MET, 0)))
    m2.metric(tr("未达标", "Behind"), int(counts.get(ind.BEHIND, 0)))
    m3.metric(tr("无数据", "No data"), int(counts.get(ind.NO_DATA, 0)))
    table = _status_table(ev, year)
    st.dataframe(
        _styled(table, ev["status"]), hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3, key="ind_table"
    )

    flash = st.session_state.pop("ind_flash", None)
    st.subheader(tr(f"填报 {year} 年实际值", f"Report actual values for {year}"))
    editor = current_editor()
    if editor is None:
        st.info(tr("浏览无需登录；填报数值请先在侧栏登录编辑账号。", "Browsing is open; sign in as an editor (sidebar) to enter values."))
    else:
        st.caption(
            tr(
                f"编辑：{editor}。仅填数字；清空单元格即删除填报值；推算指标（净排放）不可填报。",
                f"Editor: {editor}. Numbers only; clear a cell to delete a value; derived indicators cannot be entered.",
            )
        )
    original = _editor_frame(ev, conn, year, cat)
    rev = st.session_state.get("ind_editor_rev", 0)
    edited = st.data_editor(
        original,
        key=f"ind_editor_{year}_{rev}",
        hide_index=True,
        disabled=editor is None,
        width="stretch",
        height=35 * (len(original) + 1) + 3,
        column_config={
            "no": st.column_config.NumberColumn(tr("序号", "No."), disabled=True),
            "name": st.column_config.TextColumn(tr("指标", "Indicator"), disabled=True),
            "unit": st.column_config.TextColumn(tr("单位", "Unit"), disabled=True),
            "range": st.column_config.TextColumn(tr("有效范围", "Valid range"), disabled=True),
            "value": st.column_config.TextColumn(tr("填报值", "Value")),
            "note": st.column_config.TextColumn(tr("备注（来源）", "Note (source)"), max_chars=ind.MAX_NOTE_CHARS),
        },
    )
    if st.button(tr("保存填报值", "Save values"), disabled=editor is None, key="ind_save", type="primary"):
        _save_edits(original, edited, year, conn)
        st.rerun()
    if flash:
        getattr(st, flash[0])(flash[1])

    st.subheader(tr("指标轨迹：现状值、目标与实际值", "Trajectories: baseline, targets and actual values"))
    long = ind.trajectories(conn, spatial, cat)
    st.altair_chart(_chart(long), width="content")

    st.subheader(tr("导出", "Export"))
    d1, d2 = st.columns(2)
    d1.download_button(
        tr("下载 Excel（附件1格式）", "Download Excel (Annex 1 layout)"),
        to_excel_bytes(ev, cat),
        file_name=f"changyuan_indicators_{year}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="ind_dl_xlsx",
    )
    d2.download_button(
        tr("下载 CSV", "Download CSV"),
        to_csv_bytes(ev, cat),
        file_name=f"changyuan_indicators_{year}.csv",
        mime="text/csv",
        key="ind_dl_csv",
    )

    with st.expander(tr("填报审计日志", "Audit trail of reported values")):
        trail = pd.DataFrame(db.audit_trail(conn, ind.AUDIT_ENTITY, limit=100))
        if trail.empty:
            st.caption(tr("暂无记录。", "No records yet."))
        else:
            st.dataframe(trail[["at", "actor", "entity_key", "action", "old_value", "new_value"]], hide_index=True)


main()
