"""Indicator dashboard (指标看板): the 18 pilot indicators of 附件1 plus the 70 MW PV goal.

Table of every indicator with its current value, the selected year's target and
status (达标 / 未达标 / 无数据, computed with the indicator's direction); reported
values edited in a table (signed-in editors only, validated, saved with an audit
record); charts of each indicator's trajectory against its targets; Excel/CSV
export in the layout of 附件1. All logic lives in :mod:`cyc_geo.indicators.catalogue`
and the page's tables in :mod:`cyc_geo.indicators.dashboard`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from cyc_geo.catalog.sources import source_version
from cyc_geo.exports.display import display_frame
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators import dashboard as dash
from cyc_geo.indicators import evaluation, warning
from cyc_geo.indicators.export import to_csv_bytes, to_excel_bytes
from cyc_geo.places.profile import MissingTable, profile
from cyc_geo.pv import installations
from ui import charts
from ui.auth import current_editor, require_editor
from ui.common import big_layer, database, demo_banner, facts, lang, ledger, registry, tr

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(ttl=900, show_spinner=False, max_entries=16)
def _spatial(scenario_key: str, params_json: str, ledger_key: str = "") -> tuple[dict[int, ind.SpatialValue], str]:
    """Spatial indicator values for one PV scenario (cached; the key includes the scenario's update time and
    ``ledger_key``, the installations ledger's version and edits, which indicator 19 reads)."""
    scenario, problem = (None, "") if scenario_key == dash.DEFAULT_SCENARIO else dash.scenario_from_params(params_json)
    return ind.spatial_values(pv_scenario=scenario), problem


def _save_edits(original: pd.DataFrame, edited: pd.DataFrame, year: int, conn: sqlite3.Connection) -> None:
    """Validate the changed rows and save them in one transaction (editor only)."""
    changed = dash.changed_entries(original, edited, year)
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
        # keep the planner's edits for correction, with cleared cells empty (a null cell reads "None")
        st.session_state["ind_editor_seed"] = (year, edited.astype(object).where(edited.notna(), "").to_dict("list"))
        st.session_state["ind_editor_rev"] = st.session_state.get("ind_editor_rev", 0) + 1
        return
    st.session_state.pop("ind_editor_seed", None)
    st.session_state["ind_flash"] = ("success", tr(f"已保存 {n} 项（已记入审计日志）。", f"Saved {n} value(s) (audited)."))
    st.session_state["ind_editor_rev"] = st.session_state.get("ind_editor_rev", 0) + 1


# Widest a panel's title is drawn (px; a longer name ends in "…", the full one is in the tooltip and the tables; its
# warning status is a second line, never cut): three panels of 190 px and their axes fit the page's 1,100 px.
# (A comment, not a string: Streamlit's "magic" writes a bare string of the page script onto the page.)
FACET_TITLE_PX = 250


def _chart(long: pd.DataFrame, cat: pd.DataFrame | None = None, year: int | None = None) -> alt.FacetChart:
    """Per indicator: plan (baseline, targets), actuals and, with ``year``, the trend to 2024 coloured by its
    early-warning status (正常 / 关注 / 预警, :mod:`cyc_geo.indicators.warning`), the status in the title."""
    if year is None:
        data, order = dash.chart_data(long, lang())
    else:
        data, order = dash.warning_chart_data(long, ind.load_catalogue() if cat is None else cat, year, lang())
    baseline = tr("现状", "Baseline")
    data["stage"] = data["stage"].replace({"现状": baseline})
    plan_label, actual_label = dash.series_labels(lang())
    x = alt.X("stage:N", sort=[baseline, *map(str, ind.YEARS)], title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("amount:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format="~r"))
    # one colour scale for the series and the warning levels, so the chart has one legend (a colour scale resolved
    # per layer drew both legends again in every one of the 19 panels, three times as wide as the page)
    domain, colours = [plan_label, actual_label], ["#7f7f7f", "#d62728"]
    if "warning" in data.columns:
        domain += [tr(*warning.LABELS[k]) for k in warning.LEVELS]
        colours += [dash.WARNING_COLOURS[k] for k in warning.LEVELS]
    scale = alt.Scale(domain=domain, range=colours)
    legend = alt.Legend(orient="top", title=None, columns=len(domain))
    color = alt.Color("series:N", title=None, scale=scale, legend=legend)
    tooltip = ["label:N", "stage:N", "amount:Q"]
    base = alt.Chart()
    plan = base.transform_filter(alt.datum.kind == "plan").mark_line(point=True, strokeDash=[4, 3])
    actual = base.transform_filter(alt.datum.kind == "actual").mark_point(size=90, filled=True)
    layers = [m.encode(x=x, y=y, color=color, tooltip=tooltip) for m in (plan, actual)]
    if "warning" in data.columns:
        warn_colour = alt.Color("warning:N", title=None, scale=scale, legend=legend)
        layers.append(base.transform_filter(alt.datum.kind == "trend").mark_line(strokeDash=[1, 2], strokeWidth=2.5)
                      .encode(x=x, y=y, color=warn_colour, tooltip=["label:N", "stage:N", "amount:Q", "warning:N"]))
    return (
        alt.layer(*layers, data=data)
        .properties(width=190, height=140)
        .facet(facet=alt.Facet("label:N", sort=order, title=None, header=alt.Header(
            labelLimit=FACET_TITLE_PX, labelExpr=f"split(datum.label, '{dash.STATUS_SEPARATOR}')")),
               columns=3)
        .resolve_scale(y="independent")
        .resolve_axis(x="independent")
    )


def _header() -> None:
    st.title(tr("指标看板：碳达峰试点建设指标", "Indicator dashboard: carbon-peak pilot indicators"))
    st.caption(
        tr(
            "附件1《碳达峰试点县（市）建设指标任务分解表》18项指标，另加方案正文三、二的光伏装机目标（7万千瓦）。",
            "The 18 indicators of Annex 1 of the plan, plus the PV capacity goal of section 3.2 (70 MW).",
        )
    )


def _pickers(conn: sqlite3.Connection) -> tuple[int, dict[int, ind.SpatialValue]]:
    """Year and PV scenario pickers; returns the year and the spatial values under the chosen scenario."""
    c1, c2 = st.columns([1, 2])
    year = c1.selectbox(tr("年份", "Year"), ind.YEARS, index=len(ind.YEARS) - 1, key="ind_year")
    scenarios = dash.saved_pv_scenarios(conn)
    default_name = tr("默认情景", "default scenario")  # the run's language, fixed when the options are laid out
    chosen = c2.selectbox(
        tr("光伏情景（地图/屋顶光伏页保存的情景）", "PV scenario (saved on the map / rooftop PV page)"),
        [dash.DEFAULT_SCENARIO] + [s["name"] for s in scenarios],
        format_func=lambda n: default_name if n == dash.DEFAULT_SCENARIO else n,
        key="ind_pv_scenario",
        help=tr("指标19（光伏装机容量）取自装机台账的年末已并网容量，不随光伏潜力情景变化。",
                "Indicator 19 (installed PV) is the ledger's grid-connected capacity at year end; "
                "a PV potential scenario does not change it."),
    )
    with st.spinner(tr("正在由地图数据测算空间指标…", "Computing spatial indicators from the map…")):
        ledger_key = source_version(installations.LAYER_ID) + "|" + installations.edits_stamp(conn)
        spatial, problem = _spatial(*dash.scenario_choice(scenarios, chosen), ledger_key)
    if problem:
        st.warning(tr(f"情景无法读取，已用默认情景：{problem}", f"Scenario could not be read, default used: {problem}"))
    return year, spatial


def _provenance() -> None:
    shown = {layer.id: facts(layer.id) for layer in registry() if layer.feeds_indicators}
    if shown:
        demo_banner(shown)
    st.caption(
        tr(
            "碳汇量、森林蓄积量以林业局填报值为实际值；未填报时，仅当林地数据版本的数据年份为该年，地图测算值才作实际值，"
            "否则只列出、不计分（“计分依据”列说明用了哪一个）。口径：森林蓄积量（乔木林地 0301），碳汇量为其年生长吸收量"
            "（毛碳汇）。二氧化碳净排放量 = 填报的排放总量 − 填报的碳汇量。光伏装机取自装机台账。地图为演示数据时仅供讨论。",
            "Carbon sink and forest stock take the forestry bureau's reported value as the actual; without one, the map "
            "estimate counts only when the forest data version's data year is that year, otherwise it is shown and not "
            "scored (the Scored column says which was used). Scope: forest stock (tree forest 0301); the carbon sink is "
            "its gross annual uptake by growth. Net CO2 emissions = reported total − reported sink. PV capacity comes "
            "from the installations ledger. With demo map data the map figures are for discussion only.",
        )
    )


def _status_section(ev: pd.DataFrame, year: int, cat: pd.DataFrame) -> None:
    counts = dash.status_counts(ev)
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("达标", "On track"), counts[ind.MET])
    m2.metric(tr("未达标", "Behind"), counts[ind.BEHIND])
    m3.metric(tr("无数据", "No data"), counts[ind.NO_DATA])
    table = dash.status_table(ev, year, lang(), cat)
    st.dataframe(
        dash.styled_status(table, ev["status"], lang()), hide_index=True, width="stretch",
        height=35 * (len(table) + 1) + 3, key="ind_table",
    )


def _editor_intro(editor: str | None) -> None:
    if editor is None:
        st.info(tr("浏览无需登录；填报数值请先在侧栏登录编辑账号。", "Browsing is open; sign in as an editor (sidebar) to enter values."))
    else:
        st.caption(
            tr(
                f"编辑：{editor}。仅填数字；清空单元格即删除填报值；推算指标（净排放）不可填报。",
                f"Editor: {editor}. Numbers only; clear a cell to delete a value; derived indicators cannot be entered.",
            )
        )


def _editor_columns() -> dict[str, st.column_config.Column]:
    return {
        "no": st.column_config.NumberColumn(tr("序号", "No."), disabled=True),
        "name": st.column_config.TextColumn(tr("指标", "Indicator"), disabled=True),
        "unit": st.column_config.TextColumn(tr("单位", "Unit"), disabled=True),
        "range": st.column_config.TextColumn(tr("有效范围", "Valid range"), disabled=True),
        "value": st.column_config.TextColumn(tr("填报值", "Value")),
        "note": st.column_config.TextColumn(tr("备注（来源）", "Note (source)"), max_chars=ind.MAX_NOTE_CHARS),
    }


def _editor_section(ev: pd.DataFrame, conn: sqlite3.Connection, year: int, cat: pd.DataFrame) -> None:
    """Reported values of ``year`` in an editable table (disabled unless an editor is signed in)."""
    flash = st.session_state.pop("ind_flash", None)
    st.subheader(tr(f"填报 {year} 年实际值", f"Report actual values for {year}"))
    editor = current_editor()
    _editor_intro(editor)
    original = dash.editor_frame(ev, conn, year, lang(), cat)
    rev = st.session_state.get("ind_editor_rev", 0)
    seed = st.session_state.get("ind_editor_seed")
    shown = pd.DataFrame(seed[1]).astype(original.dtypes.to_dict()) if seed and seed[0] == year else original
    edited = st.data_editor(
        shown, key=f"ind_editor_{year}_{rev}", hide_index=True, disabled=editor is None, width="stretch",
        height=35 * (len(original) + 1) + 3, column_config=_editor_columns(),
    )
    if st.button(tr("保存填报值", "Save values"), disabled=editor is None, key="ind_save", type="primary"):
        _save_edits(original, edited, year, conn)
        st.rerun()
    if flash:
        getattr(st, flash[0])(flash[1])


def _download(column, label: str, data: bytes | Callable[[], bytes], file_name: str, mime: str, key: str) -> None:
    """A download button; ``data`` a callable is made when the button is clicked (Streamlit's deferred data), not on
    every run of the page."""
    column.download_button(label, data, file_name=file_name, mime=mime, key=key)


def _demo_inputs() -> bool:
    """Whether any layer feeding the indicators is demo data (from the cached layer facts: no layer copied)."""
    return any(facts(layer.id).provenance.demo for layer in registry() if layer.feeds_indicators)


def _export_section(ev: pd.DataFrame, cat: pd.DataFrame, year: int) -> None:
    st.subheader(tr("导出", "Export"))
    d1, d2 = st.columns(2)
    name = f"{profile().slug}_indicators_{year}"
    demo = _demo_inputs()
    _download(d1, tr("下载 Excel（附件1格式）", "Download Excel (Annex 1 layout)"), lambda: to_excel_bytes(ev, cat, demo),
              f"{name}.xlsx", XLSX_MIME, "ind_dl_xlsx")
    _download(d2, tr("下载 CSV", "Download CSV"), lambda: to_csv_bytes(ev, cat), f"{name}.csv", "text/csv", "ind_dl_csv")


def _periods(year: int) -> list[tuple[tuple[int, ...], str, str]]:
    """The evaluation's two periods, ``year`` and the pilot: (years, file-name tag, label in the page's language)."""
    return [((year,), str(year), tr(f"{year}年", str(year))), (ind.YEARS, "2022-2024", tr("试点期", "pilot"))]


def _evaluation_section(stamp: str, spatial, cat: pd.DataFrame, year: int) -> None:
    """The annual evaluation (附件1 layout Excel and printable PDF) of ``year`` and of the whole pilot; ``stamp`` is the
    run's :func:`_data_stamp`."""
    st.subheader(tr("年度评估报告", "Annual evaluation report"))
    st.caption(tr("每项指标的目标、实际（计分所用的值）、数据年份、来源（计分依据）、填报人与时间、状态，以及并列的填报值与"
                  "地图测算值；按领域和牵头单位汇总，附趋势图。",
                  "Per indicator: target, actual (the figure scored), data year, source (which figure was scored), who "
                  "entered it and when, status, and the reported value beside the map estimate; summaries by field "
                  "and lead department, with a trend chart."))
    if not st.button(tr("生成评估报告", "Make the evaluation report"), key="ind_eval_go"):
        return
    demo = _demo_inputs()
    files = _evaluation_files(year, lang(), demo, cat, spatial, stamp)
    cols = st.columns(4)
    for i, (_, tag, label) in enumerate(_periods(year)):
        _download(cols[2 * i], tr(f"评估 Excel（{label}）", f"Evaluation Excel ({label})"),
                  files[f"xlsx_{tag}"], f"{profile().slug}_evaluation_{tag}.xlsx", XLSX_MIME, f"ind_eval_xlsx_{tag}")
        _download(cols[2 * i + 1], tr(f"评估 PDF（{label}）", f"Evaluation PDF ({label})"),
                  files[f"pdf_{tag}"], f"{profile().slug}_evaluation_{tag}.pdf", "application/pdf", f"ind_eval_pdf_{tag}")
    cols = st.columns(4)
    for i, (_, tag, label) in enumerate(_periods(year)):
        _download(cols[i], tr(f"年度评估 Word（{label}）", f"Evaluation report, Word ({label})"),
                  files[f"docx_{tag}"], f"{profile().slug}_evaluation_report_{tag}.docx",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document", f"ind_eval_docx_{tag}")


# The database tables the evaluation files read (reported values, project progress, ledger edits, opening stock).
# (A comment, not a string: Streamlit's "magic" writes a bare string of the page script onto the page.)
EVALUATION_TABLES = ("indicator_values", "project_progress", "pv_ledger_edits", "pv_opening_stock")


def _data_stamp(conn: sqlite3.Connection) -> str:
    """A digest of everything the evaluation files read besides their arguments: the rows of
    :data:`EVALUATION_TABLES`, the source versions of the layers they read, and today's date (the PV need is as of
    today, the files are dated): any saved value, import or new day makes a new cache key."""
    import hashlib

    h = hashlib.sha256(str(pd.Timestamp.now(tz="UTC").date()).encode())
    for table in EVALUATION_TABLES:
        h.update(repr(conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
    for layer_id in sorted({layer.id for layer in registry() if layer.feeds_indicators}
                           | {"rooftops", "projects", installations.LAYER_ID}):
        h.update(f"{layer_id}={source_version(layer_id)};".encode())
    return h.hexdigest()


@st.cache_data(ttl=900, show_spinner=False, max_entries=32)
def _trajectory_spec(year: int, lg: str, cat: pd.DataFrame, spatial: dict[int, ind.SpatialValue],
                     stamp: str) -> dict:
    """The trajectories chart's Vega-Lite spec (:func:`_chart` of :func:`cyc_geo.indicators.catalogue.trajectories`),
    cached per year, language, values and :func:`_data_stamp`: evaluating the three years and building the 19 panels
    was half the server time of a dashboard run (0.25 of ~0.5 CPU s)."""
    return charts.spec(_chart(ind.trajectories(database(), spatial, cat), cat, year))


@st.cache_data(ttl=900, show_spinner=False, max_entries=8)
def _evaluation_files(year: int, lg: str, demo: bool, cat: pd.DataFrame, spatial: dict[int, ind.SpatialValue],
                      stamp: str) -> dict[str, bytes]:
    """The evaluation's six files of ``year`` and of the pilot (Excel and PDF of :mod:`cyc_geo.indicators.evaluation`,
    Word of :mod:`cyc_geo.indicators.annual_report`), cached per arguments and :func:`_data_stamp`: a second
    planner asking for the same report gets the same bytes without laying them out again."""
    from cyc_geo.exports.docx import report_docx
    from cyc_geo.indicators import annual_report

    conn = database()
    files: dict[str, bytes] = {}
    for years, tag, _ in _periods(year):
        long = evaluation.evaluate_years(years, conn, spatial, cat)
        files[f"xlsx_{tag}"] = evaluation.workbook_bytes(long, demo, lg)
        files[f"pdf_{tag}"] = evaluation.pdf_bytes(long, cat, demo, lg)
    # the 年度评估 report (一、总体进展 … 六、下一步工作) as Word files (no maps: the command line's
    # ``evaluation --format docx`` adds them)
    inputs = annual_report.evaluation_inputs(ind.YEARS, conn, cat, demo, spatial=spatial, ledger=ledger(),
                                             roofs=big_layer("rooftops"))
    for years, tag, _ in _periods(year):
        files[f"docx_{tag}"] = report_docx(annual_report.build(inputs, years, lg))
    return files


def _audit_section(conn: sqlite3.Connection) -> None:
    with st.expander(tr("填报审计日志", "Audit trail of reported values")):
        trail = dash.audit_table(conn, limit=100)
        if trail.empty:
            st.caption(tr("暂无记录。", "No records yet."))
        else:
            st.dataframe(display_frame(trail, lang()), hide_index=True)


def main() -> None:
    _header()
    try:
        cat = ind.load_catalogue()
    except MissingTable as exc:  # a county profile without plan targets (附件1)
        st.info(tr(exc.zh, exc.en))
        return
    conn = database()
    year, spatial = _pickers(conn)
    _provenance()
    ev = ind.evaluate(year, conn, spatial, cat)
    _status_section(ev, year, cat)
    _editor_section(ev, conn, year, cat)
    st.subheader(tr("指标轨迹：现状值、目标与实际值", "Trajectories: baseline, targets and actual values"))
    stamp = _data_stamp(conn)  # read once a run: the chart's and the evaluation files' cache key
    charts.draw(_trajectory_spec(year, lang(), cat, spatial, stamp), width="content")
    st.caption(tr(f"预警规则：按最近两个点（含现状值）的线性趋势外推到2024年，能达到目标为正常，差距不超过 {warning.ALERT_MISS:.0%} 为关注"
                  f"（无实际值亦为关注），超过 {warning.ALERT_MISS:.0%} 为预警。",
                  f"Warning rule: the linear trend of the last two points (baseline included) extended to 2024; reaching the "
                  f"target is normal, missing it by up to {warning.ALERT_MISS:.0%} is watch (so is no actual value), by more "
                  f"is alert."))
    _export_section(ev, cat, year)
    _evaluation_section(stamp, spatial, cat, year)
    _audit_section(conn)


main()
