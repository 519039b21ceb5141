"""Rooftop PV page: installed progress toward the 70 MW goal first, then the adoption-share scenario potential.

The page opens with what is *installed* (grid-connected rows of the installations ledger,
:mod:`cyc_geo.pv.progress`): the goal status, installed capacity by year against 70 MW with the
pipeline on top, installed by township and the ledger (editors add or correct rows, audited).
Below it comes the rooftop *adoption-share scenario potential* (NEA minimum shares by default, capped by the usable area)
(:mod:`cyc_geo.pv.model`): what closing the gap takes, and the scenario inputs with their township results and downloads. This page only
keeps the inputs.
The inputs live in ``st.session_state["pv_state"]`` (a non-widget key, so they survive
switching pages) and in the ``?pv=`` query parameter (so they survive a browser reload);
saved scenarios come from the database. Writes call ``ui.auth.require_editor()`` first.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.catalog.sources import source_version
from cyc_geo.exports import static_files
from cyc_geo.exports.cells import csv_bytes
from cyc_geo.exports.meta import beijing_time
from cyc_geo.geo import hexgrid
from cyc_geo.places.profile import profile
from cyc_geo.pv import emissions, installations, losses, opening_stock, scenarios, tables
from cyc_geo.pv.goal import adoption_for_goal
from cyc_geo.pv.model import share_caps
from cyc_geo.pv.params import CLASSES, ROOF_TYPES, PVParams, Scenario, resolve_params
from cyc_geo.pv.plan import SEED_SPECIFIC_YIELD
from cyc_geo.pv.uploads import store_yield_raster
from ui import charts
from ui.common import (
    capacity_features,
    choice_value,
    class_breakdown,
    database,
    demo_banner,
    lang,
    language_choice,
    ledger,
    load_layer,
    per_roof,
    potential_range,
    pv_progress,
    remaining_by_township,
    roof_layer,
    roof_summary,
    roofs,
    township_table,
    tr,
)
from ui.errors import storage_message_or_raise
from ui.text import download_link, md_escape

PRESET_LABELS = {i: (p.title_zh, p.title_en) for i, p in emissions.PRESETS.items()}
RASTER_KINDS = {"pvout": ("单位发电量 kWh/kWp·年", "PVOUT kWh/kWp/yr"), "ghi": ("水平总辐照 kWh/m²·年", "GHI kWh/m²/yr")}
MAP_VIEWS = {"township": ("乡镇分级", "Township choropleth"), "h3": ("H3 六边形", "H3 hexagons")}
# (zh, en) labels of the choice widgets whose labels follow the language (see ui.common.choice_value);
# a comment, not a docstring: Streamlit would print a bare string on the page

STATE = "pv_state"
QUERY = "pv"
KEEP = "pv_keep"
# Widget keys that are not part of the scenario but should survive switching pages too.
UI_KEYS = ("pv_save_name", "pv_map_view", "pv_h3_res", "pv_raster_path", "pv_raster_name", "pv_as_of",
           "pv_weather_path", "pv_weather_param", "pv_weather_name")
CLASS_KEYS = {c: f"pv_adopt_{c}" for c in CLASSES}
ROOF_KEYS = {t: f"pv_uf_{t}" for t in ROOF_TYPES}
TILT_KEYS = {t: f"pv_tilt_{t}" for t in ROOF_TYPES}
ROOF_LABELS = tables.ROOF_TYPE_LABELS


def _class_label(c: str) -> str:
    return tables.class_label(c, lang())


# ---------------------------------------------------------------- state <-> widgets


def _widget_values(sc: Scenario) -> dict[str, Any]:
    p = resolve_params(sc)
    vals: dict[str, Any] = {CLASS_KEYS[c]: int(round(100 * sc.adoption[c])) for c in CLASSES}
    vals.update({ROOF_KEYS[t]: float(p.usable_fraction[t]) for t in ROOF_TYPES})
    vals.update({TILT_KEYS[t]: float(p.tilt_deg[t]) for t in ROOF_TYPES})
    vals.update({
        "pv_towns": list(sc.townships),
        "pv_min_roof": float(sc.min_roof_m2),
        "pv_module_w": float(p.module_w_per_m2),
        "pv_pr": float(p.performance_ratio),
        "pv_clear": float(p.clearness_factor),
        "pv_use_override": p.specific_yield_kwh_per_kwp is not None,
        "pv_override": float(p.specific_yield_kwh_per_kwp or round(SEED_SPECIFIC_YIELD)),
        "pv_preset": p.emission_preset,
        "pv_use_raster": p.yield_raster is not None,
        "pv_raster_kind": p.yield_raster_kind,
    })
    if p.yield_raster is not None:
        vals["pv_raster_path"] = p.yield_raster
    own = ("weather_file", p.weather_file) if p.weather_file else ("climate_file", p.climate_file)
    vals["pv_use_weather"] = own[1] is not None
    if own[1] is not None:
        vals["pv_weather_path"], vals["pv_weather_param"] = own[1], own[0]
    return vals


def _scenario_from_widgets(town_labels: dict[str, tuple[str, str]]) -> Scenario:
    ss = st.session_state
    defaults = PVParams()
    params: dict[str, Any] = {}
    uf = {t: float(ss[ROOF_KEYS[t]]) for t in ROOF_TYPES}
    tilt = {t: float(ss[TILT_KEYS[t]]) for t in ROOF_TYPES}
    if uf != defaults.usable_fraction:
        params["usable_fraction"] = uf
    if tilt != defaults.tilt_deg:
        params["tilt_deg"] = tilt
    for key, name in (("pv_module_w", "module_w_per_m2"), ("pv_pr", "performance_ratio"),
                      ("pv_clear", "clearness_factor")):
        if float(ss[key]) != getattr(defaults, name):
            params[name] = float(ss[key])
    if ss["pv_use_override"]:
        params["specific_yield_kwh_per_kwp"] = float(ss["pv_override"])
    preset = choice_value(ss["pv_preset"], PRESET_LABELS)
    if preset != defaults.emission_preset:
        params["emission_preset"] = preset
    if ss.get("pv_use_raster") and ss.get("pv_raster_path"):
        params["yield_raster"] = ss["pv_raster_path"]
        params["yield_raster_kind"] = choice_value(ss["pv_raster_kind"], RASTER_KINDS)
    if ss.get("pv_use_weather") and ss.get("pv_weather_path"):
        params[ss.get("pv_weather_param", "weather_file")] = ss["pv_weather_path"]
    return Scenario(
        adoption={c: ss[CLASS_KEYS[c]] / 100.0 for c in CLASSES},
        townships=tuple(choice_value(ss["pv_towns"], town_labels)),
        min_roof_m2=float(ss["pv_min_roof"]),
        params=params,
    ).validate()


def _apply(sc: Scenario) -> None:
    """Make ``sc`` the current scenario: canonical state and every widget key (call from callbacks)."""
    st.session_state[STATE] = sc.to_dict()
    for key, value in _widget_values(sc).items():
        st.session_state[key] = value


def _init_state() -> None:
    ss = st.session_state
    if STATE not in ss:
        sc = Scenario()
        raw = st.query_params.get(QUERY)
        if raw:
            try:
                sc = Scenario.from_dict(json.loads(raw))
            except Exception:  # noqa: BLE001 - a damaged link falls back to the defaults, never a crash
                ss["pv_msg"] = ("warning", tr("链接中的情景参数无效，已使用默认值。",
                                              "The scenario in the link is invalid; defaults used."))
        ss[STATE] = sc.to_dict()
    current = Scenario.from_dict(ss[STATE])
    for key, value in _widget_values(current).items():
        if key not in ss:  # widget state is dropped when another page ran: restore it
            ss[key] = value
    for key, value in ss.get(KEEP, {}).items():
        if key not in ss:
            ss[key] = value


def _keep_ui() -> None:
    """Mirror the non-scenario inputs into a non-widget key (restored by :func:`_init_state`)."""
    st.session_state[KEEP] = {k: st.session_state[k] for k in UI_KEYS if k in st.session_state}


def _remember(sc: Scenario) -> None:
    st.session_state[STATE] = sc.to_dict()
    if sc.to_dict() == Scenario().to_dict():
        if QUERY in st.query_params:
            del st.query_params[QUERY]
    else:
        st.query_params[QUERY] = json.dumps(sc.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------- callbacks (writes are gated)


def _editor() -> str | None:
    try:
        from ui.auth import current_editor
    except ImportError:
        return None
    return current_editor()


def _save_cb() -> None:
    ss = st.session_state
    try:
        from ui.auth import require_editor

        user = require_editor()
        sc = Scenario.from_dict(ss[STATE])
        row = scenarios.save_scenario(database(), ss.get("pv_save_name", ""), sc, user)
        ss["pv_msg"] = ("success", tr(f"已保存情景「{row['name']}」。", f"Scenario '{row['name']}' saved."))
        ss["pv_pick"] = row["name"]
    except (PermissionError, ValueError, KeyError) as exc:
        ss["pv_msg"] = ("error", str(exc))
    except (sqlite3.DatabaseError, OSError) as exc:  # a full disk: a message, nothing saved
        ss["pv_msg"] = ("error", storage_message_or_raise(exc))


def _load_cb(name: str | None = None) -> None:
    ss = st.session_state
    name = name or ss.get("pv_pick")
    try:
        _apply(scenarios.load_scenario(database(), name))
        ss["pv_save_name"] = name
        ss["pv_msg"] = ("success", tr(f"已载入情景「{name}」。", f"Scenario '{name}' loaded."))
    except (KeyError, ValueError) as exc:
        ss["pv_msg"] = ("error", str(exc))


def _delete_cb() -> None:
    ss = st.session_state
    try:
        from ui.auth import require_editor

        user = require_editor()
        scenarios.delete_scenario(database(), ss.get("pv_pick"), user)
        ss["pv_msg"] = ("success", tr("情景已删除。", "Scenario deleted."))
    except (PermissionError, ValueError, KeyError) as exc:
        ss["pv_msg"] = ("error", str(exc))
    except (sqlite3.DatabaseError, OSError) as exc:
        ss["pv_msg"] = ("error", storage_message_or_raise(exc))


def _reset_cb() -> None:
    _apply(Scenario())


def keep_raster(name: str, data: bytes) -> Path:
    """Keep an uploaded yield raster on disk: editors only (a visitor's upload is refused before
    anything is written; docs/sources.md, "Security defaults")."""
    from ui.auth import require_editor

    require_editor()
    return store_yield_raster(name, data)


def _raster_inputs() -> None:
    """Optional PVOUT / GHI GeoTIFF sampled per building (replaces the clear-sky model where it has data)."""
    ss = st.session_state
    editor = _editor()
    up = st.file_uploader(tr("发电量或辐照栅格 GeoTIFF（可选）", "PVOUT or GHI GeoTIFF (optional)"),
                          type=["tif", "tiff"], key="pv_raster_upload", disabled=editor is None)
    if editor is None:
        st.caption(tr("上传栅格需登录编辑账号（文件保存在服务器上，供已保存的情景使用）。",
                      "Sign in as an editor to upload a raster (it is kept on the server for saved scenarios)."))
    if up is not None:
        try:
            ss["pv_raster_path"] = str(keep_raster(up.name, up.getvalue()))
            ss["pv_raster_name"] = up.name
        except (PermissionError, ValueError) as exc:
            st.error(str(exc))
    have = bool(ss.get("pv_raster_path"))
    st.radio(tr("栅格内容", "Raster holds"), list(RASTER_KINDS), horizontal=True, key="pv_raster_kind",
             format_func=lambda k: tr(*RASTER_KINDS[k]), disabled=not have)
    st.checkbox(tr("按建筑采样栅格", "Sample the raster per building"), key="pv_use_raster", disabled=not have)
    if have:
        shown = md_escape(ss.get("pv_raster_name", Path(ss["pv_raster_path"]).name))  # the user's file name, as text
        st.caption(tr(f"栅格：{shown}", f"Raster: {shown}"))


def _weather_inputs() -> None:
    """Optional weather of the site: an hourly EPW / PVGIS TMY year or the station's monthly means (CSV),
    replacing the bundled approximate monthly GHI (docs/sources.md, "Climate of the county")."""
    from cyc_geo.pv.uploads import store_weather_file
    from ui.auth import require_editor

    ss = st.session_state
    editor = _editor()
    up = st.file_uploader(tr("场址气象：逐时气象年 EPW / PVGIS TMY，或气象站月均值 CSV（可选）",
                             "Site weather: hourly EPW / PVGIS TMY year, or station monthly means CSV (optional)"),
                          type=["epw", "csv", "json"], key="pv_weather_upload", disabled=editor is None)
    if editor is None:
        st.caption(tr("上传场址气象需登录编辑账号（文件保存在服务器上，供已保存的情景使用）。",
                      "Sign in as an editor to upload site weather (it is kept on the server for saved scenarios)."))
    st.caption(tr("默认月均水平总辐照为近似值（非气象站实测），有实测数据时请替换；月均表列为 `month`、`ghi_kwh_m2_day`、"
                  "`t_air_c`、`t_range_c`。",
                  "The default monthly GHI is approximate (not a station record): replace it when measured data "
                  "exist; a monthly table has columns month, ghi_kwh_m2_day, t_air_c, t_range_c."))
    if up is not None and up.file_id != ss.get("pv_weather_file_id"):
        try:
            require_editor()
            path, param = store_weather_file(up.name, up.getvalue())
            ss.update(pv_weather_path=str(path), pv_weather_param=param, pv_weather_name=up.name,
                      pv_weather_file_id=up.file_id, pv_use_weather=True)
        except (PermissionError, ValueError) as exc:
            st.error(str(exc))
    have = bool(ss.get("pv_weather_path"))
    st.checkbox(tr("使用上传的场址气象", "Use the uploaded site weather"), key="pv_use_weather", disabled=not have)
    if have:
        shown = md_escape(ss.get("pv_weather_name", Path(ss["pv_weather_path"]).name))
        kind = tr("逐时气象年", "hourly year") if ss.get("pv_weather_param") == "weather_file" else tr("月均值", "monthly means")
        st.caption(tr(f"场址气象：{shown}（{kind}）", f"Site weather: {shown} ({kind})"))


# ---------------------------------------------------------------- page


def _header_and_data() -> tuple[Any, Any]:
    """Title, goal caption, the rooftops and townships, and the demo/skipped-footprint notes."""
    st.title(tr("屋顶分布式光伏：装机进度与情景潜力", "Rooftop PV: installed progress and scenario potential"))
    st.caption(tr(
        "目标：到 2024 年光伏装机容量力争达到 7 万千瓦（70 MW，已并网装机）；附件2 整市屋顶光伏项目规划 20 万千瓦。",
        "Goal: 70 MW of installed (grid-connected) PV by 2024; the whole-city rooftop project (Annex 2 #3) plans 200 MW.",
    ))
    with st.spinner(tr("正在加载屋顶数据（首次需生成演示数据）…", "Loading rooftops (demo data is generated on first use)…")):
        roofs_gdf = roofs()[0]
        towns = load_layer("townships")
    demo_banner({installations.LAYER_ID: ledger(), "rooftops": roofs_gdf, "townships": towns})
    if roofs_gdf.attrs.get("skipped_total"):
        st.info(tr(f"建筑轮廓文件中有 {roofs_gdf.attrs['skipped_total']} 个要素被跳过：{roofs_gdf.attrs['skipped']}",
                   f"{roofs_gdf.attrs['skipped_total']} footprints were skipped: {roofs_gdf.attrs['skipped']}"))
    if str(roofs_gdf.attrs.get("meta", {}).get("demo", "false")).lower() == "true":
        st.caption(tr("使用自己的建筑轮廓：在“数据导入”页导入图层“建筑屋顶（光伏潜力）”，或将文件放到 data/boundaries/rooftops.gpkg。",
                      "To use your own footprints, import layer 'rooftops' on the Data import page or drop "
                      "data/boundaries/rooftops.gpkg."))
    return roofs_gdf, towns


def _technical_inputs() -> None:
    with st.expander(tr("技术参数（默认值及来源见 docs/pv.md）", "Technical parameters (defaults and sources: docs/pv.md)")):
        st.number_input(tr("组件功率密度 (W/m²)", "Module power density (W/m²)"), 50.0, 400.0, step=5.0,
                        key="pv_module_w")
        st.slider(tr("系统效率 PR", "Performance ratio"), 0.50, 0.95, step=0.01, key="pv_pr")
        st.slider(tr("晴空系数（实测/晴空辐照）", "Clearness factor (measured / clear-sky)"), 0.30, 0.90, step=0.01,
                  key="pv_clear")
        for t in ROOF_TYPES:
            zh, en = ROOF_LABELS[t]
            st.slider(tr(f"{zh} 可用比例", f"{en} usable fraction"), 0.0, 1.0, step=0.01, key=ROOF_KEYS[t])
            st.number_input(tr(f"{zh} 组件倾角 (°)", f"{en} module tilt (°)"), 0.0, 90.0, step=1.0, key=TILT_KEYS[t])
        st.checkbox(tr("使用统一单位发电量（覆盖模型）", "Use one specific yield (override the model)"),
                    key="pv_use_override")
        st.number_input(tr("单位发电量 (kWh/kWp·年)", "Specific yield (kWh/kWp/yr)"), 100.0, 2500.0, step=1.0,
                        key="pv_override", disabled=not st.session_state["pv_use_override"])
        _raster_inputs()
        _weather_inputs()
        st.selectbox(tr("减排折算口径", "Emission factor preset"), list(emissions.PRESETS),
                     format_func=lambda i: tr(*PRESET_LABELS[i]),
                     key="pv_preset")


def _scenario_inputs(town_labels: dict[str, tuple[str, str]]) -> Scenario:
    """The scenario widgets; returns the scenario they describe (the last valid one on an error)."""
    town_names = {code: tr(*pair) for code, pair in town_labels.items()}
    st.subheader(tr("情景设置", "Scenario"))
    st.caption(tr("默认开发比例：国家能源局整县推进屋顶分布式光伏试点最低比例（2021年6月）。",
                  "Default shares: NEA whole-county rooftop PV pilot minimum shares (June 2021)."))
    for c in CLASSES:
        st.slider(tr(f"{_class_label(c)} 开发比例 (%)", f"{_class_label(c)} adoption (%)"), 0, 100, step=1,
                  key=CLASS_KEYS[c])
    st.multiselect(tr("乡镇范围（空 = 全市）", "Townships (empty = whole city)"), list(town_names),
                   format_func=lambda code: town_names.get(code, code), key="pv_towns",
                   placeholder=tr("选择乡镇（可多选）", "Choose townships"))
    st.number_input(tr("最小屋顶面积 (m²)", "Minimum roof size (m²)"), 0.0, 5000.0, step=10.0, key="pv_min_roof")
    _technical_inputs()
    st.button(tr("恢复默认", "Reset to defaults"), on_click=_reset_cb, key="pv_reset")
    try:
        scenario = _scenario_from_widgets(town_labels)
    except ValueError as exc:
        st.error(str(exc))
        scenario = Scenario.from_dict(st.session_state[STATE])
    _remember(scenario)
    return scenario


def _saved_section() -> None:
    st.subheader(tr("已保存的情景", "Saved scenarios"))
    saved = scenarios.list_scenarios(database())
    editor = _editor()
    if saved:
        latest = saved[0]
        when = beijing_time(latest["updated_at"])
        st.caption(tr(f"最近保存：「{latest['name']}」（{latest['updated_by']}，{when} 北京时间）",
                      f"Last saved: '{latest['name']}' ({latest['updated_by']}, {when} Beijing time)"))
        names = [r["name"] for r in saved]
        if st.session_state.get("pv_pick") not in names:
            st.session_state["pv_pick"] = names[0]
        st.selectbox(tr("选择情景", "Pick a scenario"), names, key="pv_pick")
        b1, b2 = st.columns(2)
        b1.button(tr("载入", "Load"), on_click=_load_cb, key="pv_load")
        b2.button(tr("删除", "Delete"), on_click=_delete_cb, key="pv_delete", disabled=editor is None)
    else:
        st.caption(tr("尚无保存的情景。", "No saved scenarios yet."))
    st.text_input(tr("情景名称", "Scenario name"), key="pv_save_name", disabled=editor is None)
    st.button(tr("保存当前情景", "Save current scenario"), on_click=_save_cb, key="pv_save", disabled=editor is None)
    if editor is None:
        st.caption(tr("保存/删除情景需编辑账号登录（侧栏）。", "Sign in as an editor (sidebar) to save or delete scenarios."))


def _metrics(summ: dict[str, Any], params: PVParams) -> None:
    emission_preset = params.emission_preset
    m = st.columns(3)
    m[0].metric(tr("潜力装机容量", "Potential capacity"), f"{summ['capacity_mw']:,.1f} MW")
    m[1].metric(tr("潜力年发电量", "Potential generation"), f"{summ['annual_gwh']:,.1f} GWh")
    m[2].metric(tr("减排 CO₂", "CO₂ avoided"), f"{summ['co2_t'] / 1e4:,.2f} {tr('万t', '× 10k t')}",
                help=tables.co2_factor_note(emission_preset, lang()))
    m = st.columns(3)
    m[0].metric(tr("节约标煤", "Coal saved"), f"{summ['tce']:,.0f} tce")
    m[1].metric(tr("计入屋顶", "Roofs counted"), f"{summ['roofs']:,}")
    life = summ["specific_yield"] * losses.lifetime_factor(float(params.degradation_pct_per_yr), int(params.lifetime_years))
    m[2].metric(tr("首年单位发电量 (kWh/kWp)", "First-year specific yield (kWh/kWp)"), f"{summ['specific_yield']:,.0f}")
    m = st.columns(3)
    m[0].metric(tr(f"{params.lifetime_years} 年平均单位发电量 (kWh/kWp)",
                   f"{params.lifetime_years}-year average specific yield (kWh/kWp)"), f"{life:,.0f}",
                help=tr(f"首年值；寿命平均按年衰减 {params.degradation_pct_per_yr:g}% 计（Jordan & Kurtz 2013）。"
                        f"方案隐含 {SEED_SPECIFIC_YIELD:.0f} kWh/kWp 为寿命平均口径。",
                        f"First year; the lifetime average counts {params.degradation_pct_per_yr:g} %/yr degradation "
                        f"(Jordan & Kurtz 2013). The plan's {SEED_SPECIFIC_YIELD:.0f} kWh/kWp is a lifetime average."))


def _goal_section(summ: dict[str, Any], scenario: Scenario) -> None:
    """This scenario's potential beside the 70 MW goal and the 200 MW project (context, not progress)."""
    st.caption(tr("情景潜力与目标、项目规模对比（潜力不是装机）", "Scenario potential beside the goal and the project size "
                  "(potential is not installed capacity)"))
    st.info(tr(*tables.PROJECT_VS_GOAL_NOTE))
    charts.altair_chart(
        alt.Chart(tables.goal_bars(summ, lang())).mark_bar().encode(
            x=alt.X("mw:Q", title="MW"), y=alt.Y("item:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color("item:N", legend=None, scale=alt.Scale(range=["#f28e2b", "#59a14f", "#4e79a7"])),
            tooltip=["item", alt.Tooltip("mw:Q", format=",.1f")],
        ).properties(height=alt.Step(28)),
        width="stretch",
    )
    needed = adoption_for_goal(scenario, summ["capacity_mw"])
    if needed is not None:
        st.caption(tables.goal_note(needed, summ, lang()))


def _class_chart(scenario: Scenario) -> None:
    by_class, order = class_breakdown(scenario)
    charts.altair_chart(
        alt.Chart(by_class).mark_bar().encode(
            x=alt.X("sum(capacity_mw):Q", title=tr("装机容量 (MW)", "Capacity (MW)")),
            y=alt.Y("township:N", sort=order, title=None),
            color=alt.Color("class:N", title=tr("建筑类别", "Building class")),
            tooltip=["township", "class", alt.Tooltip("capacity_mw:Q", format=",.2f"),
                     alt.Tooltip("annual_gwh:Q", format=",.2f")],
        ).properties(height=28 * max(len(order), 1) + 40),
        width="stretch",
    )


def _downloads(shown: pd.DataFrame, summ: dict[str, Any], scenario: Scenario, results: pd.DataFrame) -> None:
    scenario_json = scenario.to_json()
    d1, d2, d3 = st.columns(3)
    d1.download_button(tr("下载 CSV", "Download CSV"), csv_bytes(shown),
                       file_name="pv_townships.csv", mime="text/csv", key="pv_dl_csv")
    demo = not provenance_of(roofs()[0]).is_real
    name = st.session_state.get("pv_save_name") or ""
    try:
        named = name and scenarios.load_scenario(database(), name).to_json() == scenario_json
    except (KeyError, ValueError):
        named = False
    label = name if named else tr("当前情景（未保存）", "Current scenario (not saved)")
    lg = lang()
    d2.download_button(tr("下载 Excel", "Download Excel"),  # made when clicked (deferred)
                       lambda: tables.workbook(shown, summ, scenario, demo, scenario_name=label, lang=lg),
                       file_name="pv_townships.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="pv_dl_xlsx",
                       on_click="ignore")
    gpkg_key = ("pv_gpkg", source_version(roof_layer().id), scenario_json)
    url = st.session_state.get("pv_gpkg_url")
    if st.session_state.get("pv_gpkg_for") == gpkg_key and url and static_files.path_of(url).exists():
        # a static, content-named file (cyc_geo.exports.static_files): tens of MB through Streamlit's
        # media store were cancelled by the browser; a plain file is sent whole (by nginx behind replicas)
        d3.markdown(download_link(url, "pv_roofs.gpkg", tr("下载屋顶 GeoPackage", "Download roofs GeoPackage")),
                    unsafe_allow_html=True)
    elif d3.button(tr("生成屋顶 GeoPackage", "Prepare roofs GeoPackage"), key="pv_make_gpkg"):
        with st.spinner(tr("正在写出计入情景的屋顶…", "Writing the roofs in the scenario…")):
            data = tables.gpkg_bytes(tables.roofs_in_scenario(roofs()[0], results, scenario))
            st.session_state["pv_gpkg_url"] = static_files.publish(data, "pv_roofs", "gpkg")
            st.session_state["pv_gpkg_for"] = gpkg_key
        st.rerun()


def _map_section(scenario: Scenario) -> None:
    st.subheader(tr("空间分布", "Where"))
    view = language_choice(st.radio, tr("显示", "Show"), list(MAP_VIEWS), MAP_VIEWS, key="pv_map_view",
                           default="township", horizontal=True)
    if view == "township":
        features = capacity_features(scenario, "township")
        label = tr("装机 (MW)", "Capacity (MW)")
    else:
        st.session_state.setdefault("pv_h3_res", 8)
        res = st.select_slider(tr("H3 分辨率", "H3 resolution"), options=list(hexgrid.RESOLUTIONS), key="pv_h3_res")
        features = capacity_features(scenario, "h3", int(res))
        label = tr("装机 (kW)", "Capacity (kW)")
    chart = alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="#666", strokeWidth=0.3).encode(
        color=alt.Color("properties.v:Q", title=label, scale=alt.Scale(scheme="yelloworangered")),
        tooltip=[alt.Tooltip("properties.name:N" if view == "township" else "properties.h3:N", title=""),
                 alt.Tooltip("properties.v:Q", title=label, format=",.1f")],
    ).project("mercator").properties(height=460)
    charts.altair_chart(chart, width="stretch")


def _model_notes(params: PVParams) -> None:
    with st.expander(tr("发电量模型说明与损失表", "About the yield model, with the loss table")):
        st.markdown(tables.yield_model_note(params, lang()))
        st.dataframe(tables.yield_rows(params, lang()), hide_index=True)
        st.dataframe(tables.loss_table(params, lang()), hide_index=True)
        st.caption(emissions.PRESETS[params.emission_preset].source_in(lang()))


def _results_section(scenario: Scenario) -> None:
    results = per_roof(scenario)
    summ = roof_summary(scenario)
    st.subheader(tr("本情景开发比例潜力（按可用面积封顶）", "This scenario's adoption-share potential (capped by the usable area)"))
    st.caption(tr(*tables.POTENTIAL_DEFINITION))
    params = resolve_params(scenario)
    preset = params.emission_preset
    _metrics(summ, params)
    capped = tables.share_cap_note(share_caps(results, scenario), lang())
    if capped:
        st.warning(capped)
    st.caption(tables.co2_factor_note(preset, lang()))
    st.caption(tables.range_caption(potential_range(scenario), lang(), preset))
    _goal_section(summ, scenario)
    st.subheader(tr("分乡镇情景潜力", "Scenario potential by township"))
    _class_chart(scenario)
    shown = tables.township_display(township_table(scenario), lang())
    st.dataframe(shown, hide_index=True, width="stretch")
    _downloads(shown, summ, scenario, results)
    _map_section(scenario)
    _model_notes(resolve_params(scenario))


# ---------------------------------------------------------------- installed progress (ledger)

STATUS_BOX = {"met": "success", "on_track": "info", "behind": "warning", "not_met": "warning"}


def _progress_chart(prog: dict[str, Any]) -> None:
    """Cumulative installed by year (line) against the 70 MW goal (dashed), the pipeline stacked on the last year."""
    data = tables.progress_chart_data(prog, lang())
    labels = list(tables.progress_series_labels(lang()))
    color = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=260),
                      scale=alt.Scale(domain=labels, range=["#1a9850", "#fdae61", "#d73027"]))
    x = alt.X("year:O", title=tr("年份（年末）", "Year (year end)"), axis=alt.Axis(labelAngle=0))
    tip = ["series:N", "year:O", alt.Tooltip("hi:Q", title="MW", format=",.1f")]
    part = {lab: alt.Chart(data[data["series"] == lab]) for lab in labels}
    installed = part[labels[0]].mark_line(point=True, strokeWidth=3).encode(
        x=x, y=alt.Y("hi:Q", title=tr("装机容量 (MW)", "Capacity (MW)")), color=color, tooltip=tip)
    pipeline = part[labels[1]].mark_bar(size=26, opacity=0.85).encode(x=x, y="lo:Q", y2="hi:Q", color=color, tooltip=tip)
    goal_line = part[labels[2]].mark_line(strokeDash=[6, 4], strokeWidth=2).encode(x=x, y="hi:Q", color=color, tooltip=tip)
    charts.altair_chart(alt.layer(pipeline, installed, goal_line).properties(height=320), width="stretch")


def _township_bars(prog: dict[str, Any], towns: Any) -> None:
    data = tables.township_installed(prog, towns, lang())
    charts.altair_chart(alt.Chart(data).mark_bar(color="#1a9850").encode(
        x=alt.X("installed_mw:Q", title=tr("已并网装机 (MW)", "Installed (MW)")),
        y=alt.Y("township:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
        tooltip=["township", alt.Tooltip("installed_mw:Q", format=",.2f")],
    ).properties(height=alt.Step(22)), width="stretch")


def _progress_section(towns: Any) -> dict[str, Any]:
    """The page's opening: goal status on installed capacity, the progress chart, installed by township, the ledger."""
    st.header(tr("装机进度（已并网）", "Installed progress (grid-connected)"))
    st.session_state.setdefault("pv_as_of", date.today())
    as_of = st.date_input(tr("截至日期", "As of"), key="pv_as_of", min_value=date(2015, 1, 1))
    prog = pv_progress(as_of.isoformat())
    getattr(st, STATUS_BOX[prog["goal_status"]])(tables.progress_sentence(prog, lang()))
    m = st.columns(3)
    m[0].metric(tr("已并网装机", "Installed (grid-connected)"), f"{prog['installed_mw']:,.1f} MW")
    m[1].metric(tr("在建+备案（未并网）", "Pipeline (not connected)"), f"{prog['pipeline_mw']:,.1f} MW")
    m[2].metric(tr("距 70 MW 缺口", "Gap to 70 MW"), f"{prog['gap_mw']:,.1f} MW")
    _opening_stock_section(prog)
    st.subheader(tr("累计已并网装机与 70 MW 目标", "Cumulative installed capacity against the 70 MW goal"))
    _progress_chart(prog)
    st.subheader(tr("分乡镇已并网装机", "Installed capacity by township"))
    _township_bars(prog, towns)
    _ledger_section(towns)
    return prog


def _what_it_takes(prog: dict[str, Any]) -> None:
    st.subheader(tr("补足缺口需要什么（整县推进比例情景潜力）", "What closing the gap takes (NEA-share scenario potential)"))
    st.markdown(tables.what_it_takes(prog, lang()))
    st.caption(tr("剩余情景潜力：尚无光伏点位的屋顶按国家能源局整县推进最低比例、以可用面积封顶测算的潜力（非技术上限），前 10 个乡镇：",
                  "Remaining scenario potential of the roofs without PV at the NEA county-wide minimum shares, capped by "
                  "the usable area (not a technical ceiling), top 10 townships:"))
    st.dataframe(tables.remaining_display(remaining_by_township(), lang()), hide_index=True, width="stretch")


# ---------------------------------------------------------------- the opening stock


def _opening_stock_section(prog: dict[str, Any]) -> None:
    """The opening stock progress starts from (截至 YYYY 年底累计并网容量): shown, and set by a signed-in editor."""
    stock = prog.get("opening_stock")
    title = (tr("期初容量：未录入", "Opening stock: not entered") if stock is None else
             tr(f"期初容量：{stock['label_zh']} {stock['mw']:,.1f} MW", f"Opening stock: {stock['label_en']} "
                f"{stock['mw']:,.1f} MW"))
    with st.expander(title):
        if stock is None:
            st.caption(tr("未录入期初容量时，已并网只计台账中的项目；台账之前（如 2021 年底以前）并网的光伏不在其中。"
                          "请录入供电公司统计的截至某年底累计并网容量（交流侧，MW）及其来源。",
                          "Without an opening stock, installed counts only the ledger's rows; PV connected before the "
                          "ledger (e.g. before the end of 2021) is missing. Enter the grid company's cumulative "
                          "connected capacity at a year end (AC, MW) and its source."))
        else:
            st.caption(tr(f"来源：{stock['source']}；录入：{stock['updated_by']}，{beijing_time(stock['updated_at'])}。"
                          "其后并网的台账项目累加在期初之上。",
                          f"Source: {stock['source']}; entered by {stock['updated_by']}, "
                          f"{beijing_time(stock['updated_at'])}. Ledger rows connected after it are added on top."))
        if _editor() is None:
            st.caption(tr("录入或更正期初容量需编辑账号登录（侧栏）。", "Sign in as an editor (sidebar) to enter or correct it."))
            return
        with st.form("pv_opening_stock_form"):
            mw = st.number_input(tr("累计并网容量（MW，交流侧）", "Cumulative grid-connected capacity (MW, AC)"), 0.0,
                                 opening_stock.MAX_MW, float(stock["mw"]) if stock else 0.0, step=0.1, format="%.4f")
            day = st.date_input(tr("截至日期", "As of"), date.fromisoformat(stock["as_of"]) if stock else date(2021, 12, 31),
                                min_value=date(2000, 1, 1), key="pv_opening_as_of")
            src = st.text_input(tr(f"数据来源（如：{profile().grid_company_zh}统计）", "Source (e.g. the grid company's statistics)"),
                                stock["source"] if stock else "")
            if st.form_submit_button(tr("保存期初容量", "Save opening stock")):
                _save_opening_stock(mw, day.isoformat(), src)


def _save_opening_stock(mw: float, as_of: str, source: str) -> None:
    try:
        from ui.auth import require_editor

        user = require_editor()
        stock = opening_stock.save_opening_stock(database(), mw, as_of, source, user)
        st.session_state["pv_msg"] = ("success", tr(f"期初容量已保存：{stock.label(True)} {stock.mw:,.1f} MW。",
                                                    f"Opening stock saved: {stock.label(False)} {stock.mw:,.1f} MW."))
        st.rerun()
    except (PermissionError, ValueError) as exc:
        st.error(str(exc))


# ---------------------------------------------------------------- the ledger and its edits


def _ledger_section(towns: Any) -> None:
    led = ledger()
    # keyed: the label's row count changes when an editor adds a row, which otherwise folded the panel (ui/markup.py)
    with st.expander(tr(f"装机台账（{len(led)} 条）", f"Installations ledger ({len(led)} rows)"), key="pv_ledger_panel"):
        st.dataframe(tables.ledger_display(led, lang()), hide_index=True, width="stretch", height=260)
        meta = led.attrs.get("meta", {})
        st.caption(tr("演示台账：程序生成，装在演示屋顶上，非真实项目。", "Demo ledger: generated on the demo roofs, not real projects.")
                   if str(meta.get("demo", "false")).lower() == "true" else md_escape(meta.get("source", "")))
        _ledger_form(led, towns)


def _ledger_form(led: Any, towns: Any) -> None:
    """Add or correct one ledger row (editors only; saved with an audit record)."""
    editor = _editor()
    st.markdown(tr("**新增或更正台账记录**", "**Add or correct a ledger row**"))
    if editor is None:
        st.caption(tr("新增或更正台账需编辑账号登录（侧栏）。", "Sign in as an editor (sidebar) to add or correct rows."))
        return
    ids = [None, *sorted(int(i) for i in led["install_id"])]
    pick = st.selectbox(tr("记录", "Row"), ids, key="pv_led_pick",
                        format_func=lambda i: tr("（新增）", "(new row)") if i is None else f"#{i}")
    d = tables.ledger_row_defaults(led, pick)
    codes = [str(c) for c in towns["code"]]
    names = dict(zip(codes, towns["name"] if lang() == "zh" else towns["name_en"], strict=True))
    with st.form(f"pv_led_form_{pick}"):
        vals = {"install_id": pick, "name": st.text_input(tr("名称", "Name"), d["name"]),
                "owner": st.text_input(tr("业主", "Owner"), d["owner"])}
        vals["building_class"] = st.selectbox(tr("建筑类别", "Building class"), installations.BUILDING_CLASSES,
                                              index=installations.BUILDING_CLASSES.index(d["building_class"]),
                                              format_func=_class_label)
        vals["status"] = st.selectbox(tr("状态", "Status"), installations.STATUSES,
                                      index=installations.STATUSES.index(d["status"]),
                                      format_func=lambda v: tr(*installations.STATUS_LABELS[v]))
        vals["capacity_kw"] = st.number_input(tr("装机容量 (kW)", "Capacity (kW)"), 0.0, 1e6, float(d["capacity_kw"]))
        vals["date"] = st.text_input(tr("日期 YYYY-MM-DD（并网日期或备案/开工日期）", "Date YYYY-MM-DD (grid connection, "
                                        "else filing/start)"), d["date"])
        vals["township_code"] = st.selectbox(tr("乡镇", "Township"), codes, format_func=lambda c: names.get(c, c),
                                             index=codes.index(d["township_code"]) if d["township_code"] in codes else 0)
        vals["lon"] = st.text_input(tr("经度（WGS84，可空）", "Longitude (WGS84, optional)"), d["lon"])
        vals["lat"] = st.text_input(tr("纬度（WGS84，可空）", "Latitude (WGS84, optional)"), d["lat"])
        if st.form_submit_button(tr("保存台账记录", "Save ledger row")):
            _save_ledger_row(vals, led)


def _save_ledger_row(vals: dict[str, Any], led: Any) -> None:
    try:
        from ui.auth import require_editor

        user = require_editor()
        conn = database()
        row = {**vals, "install_id": vals["install_id"] or installations.next_install_id(led, conn)}
        version = installations.save_ledger_row(conn, row, user)
        st.session_state["pv_msg"] = ("success", tr(f"台账记录 #{row['install_id']} 已保存（第 {version} 版）。",
                                                    f"Ledger row #{row['install_id']} saved (version {version})."))
        st.rerun()
    except (PermissionError, ValueError) as exc:
        st.error(str(exc))


def main() -> None:
    _roofs_gdf, towns = _header_and_data()
    _init_state()
    msg = st.session_state.pop("pv_msg", None)
    if msg:
        getattr(st, msg[0])(msg[1])
    prog = _progress_section(towns)
    st.divider()
    st.header(tr("屋顶开发比例情景潜力（非装机、非技术上限）",
                 "Rooftop adoption-share scenario potential (not installed, not a technical ceiling)"))
    _what_it_takes(prog)
    town_labels = {str(c): (zh, en) for c, zh, en in towns[["code", "name", "name_en"]].itertuples(index=False)}
    col_in, col_out = st.columns([1, 2], gap="large")
    with col_in:
        scenario = _scenario_inputs(town_labels)
        _saved_section()
    with col_out:
        _results_section(scenario)
    _compare_section(towns)
    _keep_ui()


def _compare_section(towns: Any) -> None:
    """Two or more saved scenarios side by side (cyc_geo.pv.compare): totals, chart, townships, parameters."""
    from cyc_geo.pv import compare

    st.subheader(tr("情景对比", "Compare scenarios"))
    saved = [r["name"] for r in scenarios.list_scenarios(database())]
    if len(saved) < compare.MIN_SCENARIOS:
        st.caption(tr("保存至少两个情景后可在此并排对比。", "Save at least two scenarios to compare them here."))
        return
    picked = st.multiselect(tr("选择要对比的已保存情景", "Saved scenarios to compare"), saved,
                            default=saved[:2], key="pv_compare_pick", placeholder=tr("选择情景", "Choose scenarios"))
    if len(picked) < compare.MIN_SCENARIOS:
        st.caption(tr("至少选择两个情景。", "Choose at least two scenarios."))
        return
    scs = {n: scenarios.load_scenario(database(), n) for n in picked}
    result = compare.compare(scs, roofs()[1], towns, estimate=per_roof, lang=lang())
    st.dataframe(compare.display_totals(result["totals"], lang()).round(1), hide_index=True, width="stretch")
    long = result["by_township"].assign(township=lambda d: d["name"] if lang() == "zh" else d["name_en"])
    charts.altair_chart(
        alt.Chart(long).mark_bar().encode(
            x=alt.X("capacity_mw:Q", title=tr("潜力装机 (MW)", "Potential capacity (MW)")),
            y=alt.Y("township:N", title=None, sort="-x"), yOffset="scenario:N",
            color=alt.Color("scenario:N", title=tr("情景", "Scenario")),
            tooltip=["township", "scenario", alt.Tooltip("capacity_mw:Q", format=",.1f"),
                     alt.Tooltip("annual_gwh:Q", format=",.1f"), alt.Tooltip("co2_t:Q", format=",.0f")],
        ).properties(height=alt.Step(9)),
        width="stretch",
    )
    st.dataframe(result["parameters"], hide_index=True, width="stretch")
    demo = not provenance_of(roofs()[0]).is_real
    st.download_button(tr("下载对比 Excel", "Download comparison (Excel)"), compare.workbook(result, lang(), demo),
                       file_name="pv_scenarios_compared.xlsx", key="pv_dl_compare",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


if __name__ == "__main__":
    main()
