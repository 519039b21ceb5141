"""The whole UI in the chosen language: a walker over every page (AppTest) in Chinese and English.

Every table header (after the column configuration's labels), metric label, choice placeholder and
option, and every table cell is checked: no English words in Chinese headers, no Chinese in English
headers and metrics, no UTC ISO timestamps, no "None"/"nan" cells, and no table the browser cannot take as it
is (Streamlit's Arrow fallback: a column of numbers and "—" it had to convert, logging a traceback on every run).
Audit and history records are seeded so those tables are on the page too. Plus unit tests of the display helpers.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import streamlit as st

from cyc_geo import db
from cyc_geo.exports.display import display_frame, label, unit, value_text
from cyc_geo.exports.meta import MISSING
from cyc_geo.planning.sites_table import CHECK_NAMES, finding_lines
from tests.conftest import REPO, app_test, logged
from tests.pages.test_indicators_view import page_env  # noqa: F401 - fixture

PAGES = [(f"views/{p.name}",) for p in sorted((REPO / "views").glob("*.py"))]

ALLOWED_LATIN = {
    # units and symbols planners use as they are
    "kW", "MW", "GW", "kWh", "GWh", "MWh", "kWp", "tce", "CO", "CO2", "CO₂", "ha", "m", "km", "t", "C", "gce",
    # acronyms and file/format names
    "BEF", "EPSG", "SHA", "PV", "GHI", "ID", "NEA", "IPCC", "InVEST", "Excel", "CSV", "HTML", "PDF", "PNG",
}
"""Latin tokens allowed in a Chinese header (units, acronyms)."""

UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_words(text: str) -> list[str]:
    """Latin words of ``text`` that are not allowed units/acronyms."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z0-9₂_]*", text) if w not in ALLOWED_LATIN]


def test_english_words_finds_the_words_not_the_units():
    assert english_words("装机 (kW)") == []
    assert english_words("forest_area_ha") == ["forest_area_ha"]
    assert english_words("年碳汇 (t CO₂)") == []
    assert english_words("actor") == ["actor"]


@pytest.fixture
def seeded_db(tmp_path, monkeypatch):
    """A fresh database holding one indicator audit record and one site edit (JSON values, UTC times)."""
    from cyc_geo.indicators import catalogue as ind
    from cyc_geo.planning.projects import SITE_ENTITY

    path = tmp_path / "walk.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    conn = db.connect(path)
    db.audit(conn, "规划员", ind.AUDIT_ENTITY, "1|2023", "set", None, {"value": 80.5, "note": None})
    db.audit(conn, "规划员", SITE_ENTITY, "1", "save", None, {"version": 1, "source": "drawn"})
    conn.commit()
    conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def _headers(el) -> list[str]:
    """A table's visible headers: the column configuration's labels, else the column names."""
    df = el.value
    cfg = json.loads(el.proto.columns or "{}") if hasattr(el.proto, "columns") else {}
    out = []
    for col in df.columns:
        c = cfg.get(str(col), {})
        if c.get("hidden"):
            continue
        out.append(str(c.get("label") or col))
    if df.index.name and not cfg.get("_index", {}).get("hidden"):
        out.append(str(df.index.name))
    return out


def _walk(lang: str) -> dict[str, list[str]]:
    """Problems found on each page in ``lang`` (an editor signed in)."""
    problems: dict[str, list[str]] = {}
    for file, *_ in PAGES:
        at = app_test(file, timeout_s=300)
        at.session_state["lang"] = lang
        at.session_state["cyc_auth"] = {"user": "规划员", "expires": 9e12}
        with logged("streamlit.dataframe_util") as fallbacks:  # a frame with a column Arrow refused
            at.run()
        found = [f"exception: {e.message[:200]}" for e in at.exception]
        found += [f"table the browser cannot take: {r.exc_info[1] if r.exc_info else r.getMessage()}"
                  for r in fallbacks if "Arrow" in r.getMessage()]
        for el in list(at.dataframe) + list(at.table):
            for h in _headers(el):
                if lang == "zh" and english_words(h):
                    found.append(f"header {h!r}")
                if lang == "en" and CJK.search(h):
                    found.append(f"header {h!r}")
            cells = el.value.astype(str)
            for bad in ("None", "nan", "NaT"):
                if (cells == bad).to_numpy().any():
                    found.append(f"cell {bad!r} in {list(el.value.columns)[:4]}")
            if cells.apply(lambda s: s.str.contains(UTC_ISO)).to_numpy().any():
                found.append(f"UTC timestamp in {list(el.value.columns)[:4]}")
        for m in at.metric:
            if lang == "en" and CJK.search(m.label):
                found.append(f"metric {m.label!r}")
        for w in list(at.multiselect) + list(at.selectbox):
            if not getattr(w.proto, "placeholder", "x") and w.type == "multiselect":
                found.append(f"multiselect {w.label!r} without placeholder (Streamlit's 'Choose options')")
            if lang == "zh":
                raw = [o for o in w.options if re.fullmatch(r"[a-z_]+", str(o))]
                if raw:
                    found.append(f"choice {w.label!r} shows codes {raw}")
        for t in list(at.caption) + list(at.markdown):
            if UTC_ISO.search(t.value):
                found.append(f"UTC timestamp in text {t.value[:80]!r}")
        problems[file] = found
    return problems


def test_every_page_in_chinese_has_chinese_headers_beijing_times_and_dashes(seeded_db):
    problems = _walk("zh")
    assert problems == {file: [] for file, *_ in PAGES}


def test_every_page_in_english_has_english_headers_and_units(seeded_db):
    problems = _walk("en")
    assert problems == {file: [] for file, *_ in PAGES}


def test_display_frame_labels_times_actions_json_and_missing():
    audit = pd.DataFrame({
        "at": ["2026-11-30T16:06:57+00:00"], "actor": ["规划员"], "action": ["set"],
        "old_value": [None], "new_value": ['{"value": 80.5, "note": null}'],
    })
    zh = display_frame(audit, "zh")
    assert list(zh.columns) == ["时间（北京时间）", "操作人", "操作", "原值", "新值"]
    row = zh.iloc[0]
    assert row["时间（北京时间）"] == "2026-12-01 00:06"  # 16:06 UTC + 8 h
    assert row["操作"] == "填报" and row["原值"] == MISSING
    assert row["新值"] == f"数值: 80.5；说明: {MISSING}"
    en = display_frame(audit, "en")
    assert list(en.columns)[:2] == ["Time (Beijing)", "By"] and en.iloc[0]["Action"] == "set"


def test_units_and_labels_follow_the_language():
    assert unit("80.57 万t", "en") == "80.57 10k t"
    assert unit("346,416 亩", "en") == "346,416 mu"
    assert unit("80.57 万t", "zh") == "80.57 万t"
    assert label("forest_area_ha", "zh") == "林地面积 (ha)" and label("forest_area_ha", "en") == "Forest area (ha)"
    assert value_text(float("nan")) == MISSING and value_text("None") == MISSING and value_text(3) == 3


def test_land_check_findings_name_the_checks_in_words():
    from types import SimpleNamespace

    from cyc_geo.planning.site import Finding

    result = SimpleNamespace(findings=[
        Finding("conflict", "belt", 0.0, 0.0, None, "位于沿黄生态带", "inside the belt"),
        Finding("ok", "plot_ratio", 0.0, 0.0, None, "容积率合理", "plot ratio fine"),
        Finding("warning", "county", 0.0, 0.0, None, "靠近市界", "near the boundary"),
    ])
    zh = [text for _, text in finding_lines(result, "zh")]
    assert zh[0].startswith("⛔") or "冲突" in zh[0]
    assert all(not re.search(r"`?(county|belt|plot_ratio)`?", t) for t in zh), zh
    assert "沿黄生态带" in zh[0] and "容积率" in zh[2] and "市域范围" in zh[1]
    en = [text for _, text in finding_lines(result, "en")]
    assert "Yellow River belt" in en[0] and "plot ratio" in en[2]
    assert set(CHECK_NAMES) >= {"county", "belt", "plot_ratio", "townships", "forest", "devzone"}


def test_cleared_cells_stay_empty_after_a_refused_save(page_env):  # noqa: F811 - fixture
    from tests.pages.test_indicators_view import PAGE, _signed_in

    at = app_test(PAGE)
    _signed_in(at)
    at.run()
    rows = list(at.data_editor(key="ind_editor_2024_0").value["no"])
    at.session_state["ind_editor_2024_0"] = {
        "edited_rows": {rows.index(1): {"value": None, "note": None}, rows.index(8): {"value": "150"}},
        "added_rows": [], "deleted_rows": [],
    }
    at.run()
    at.button(key="ind_save").click().run()
    assert not at.exception and any("未保存任何数据" in e.value for e in at.error)
    shown = at.data_editor(key="ind_editor_2024_1").value  # the editor again, with the planner's edits kept
    assert shown.loc[rows.index(8), "value"] == "150"
    assert shown.loc[rows.index(1), "value"] == "" and shown.loc[rows.index(1), "note"] == ""
    assert not (shown.astype(str) == "None").to_numpy().any()


def test_history_sources_are_words():
    hist = pd.DataFrame({"project_no": [3, 1], "source": ["upload", "drawn"]})
    assert list(display_frame(hist, "zh")["来源"]) == ["上传", "绘制"]
    assert list(display_frame(hist, "en")["Source"]) == ["upload", "drawn"]
    audit = pd.DataFrame({"new_value": ['{"version": 1, "source": "upload"}']})
    assert display_frame(audit, "zh").iloc[0, 0] == "版本: 1；来源: 上传"


def test_library_notes_in_one_language_without_module_names():
    from cyc_geo.exports.display import one_language

    note = ("地图测算 / computed from the map (cyc_geo.carbon.forest:sink_by_year); 数据年份未知：各年均用当前数据 / "
            "data year unknown: the current data stand for every year")
    assert one_language(note, "zh") == "地图测算；数据年份未知：各年均用当前数据"
    assert one_language(note, "en") == "computed from the map; data year unknown: the current data stand for every year"
    assert one_language("未填报 / not reported", "zh") == "未填报"
    assert one_language("推算 #3 - #4 / derived #3 - #4：输入缺失 / input missing", "en") == "derived #3 - #4: input missing"
    assert one_language("装机台账（年末已并网）/ installations ledger (cyc_geo.pv.progress:x)", "en") == "installations ledger"
    assert one_language("填报值 / reported: 统计局年报", "zh") == "填报值：统计局年报"  # the planner's note kept
    assert one_language("吨/万元", "en") == "吨/万元" and one_language(None, "en") is None


def test_feature_panel_names_places_in_the_readers_language():
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.mapview.click import feature_record

    row = pd.Series({"name": "常村镇", "name_en": "Changcun Town", "code": "410783201", "area_km2": 61.234})
    assert feature_record(get_layer("townships"), row, "en") == {"Name": "Changcun Town", "Code": "410783201",
                                                                 "Area (km²)": 61.23}
    assert feature_record(get_layer("townships"), row, "zh")["名称"] == "常村镇"
    assert feature_record(get_layer("townships"), row.drop("name_en"), "en")["Name"] == "常村镇"  # no twin: as is


def test_map_scale_bar_is_metric_only():
    from cyc_geo.mapview.webmap import base_map

    html = base_map("blank").get_root().render()
    assert "L.control.scale({metric: true, imperial: false})" in html
    assert "L.control.scale()" not in html  # folium's default: miles and feet too


def test_widget_text_script_follows_the_language():
    from ui.common import WIDGET_TEXTS_ZH, widget_texts_js

    zh, en = widget_texts_js("zh"), widget_texts_js("en")
    assert 'd.cycWidgetLang="zh"' in zh and 'd.cycWidgetLang="en"' in en
    assert WIDGET_TEXTS_ZH["Select all"] == "全选" and '"Select all": "全选"' in zh
    assert "MutationObserver" in zh and "per file" in zh
    assert "widget_texts()" in (REPO / "app.py").read_text(encoding="utf-8")


def test_feature_panel_shows_coded_values_as_words_of_the_readers_language():
    # 所选要素 of a project site read 地块来源 "demo", of an installation 状态 "grid_connected", on a Chinese page
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.mapview.click import feature_record

    site = pd.Series({"project_no": 1, "name": "甲项目", "source": "demo", "area_m2": 91200.0, "progress": ""})
    assert feature_record(get_layer("projects"), site, "zh")["地块来源"] == "演示"
    assert feature_record(get_layer("projects"), site, "en")["Site source"] == "demo"
    pv = pd.Series({"name": "乙屋顶", "status": "grid_connected", "capacity_kw": 120.0, "date": "2023-05-01"})
    assert feature_record(get_layer("pv_installations"), pv, "zh")["状态"] == "已并网"
    assert feature_record(get_layer("pv_installations"), pv, "en")["Status"] == "Grid-connected"
    assert feature_record(get_layer("pv_installations"), pv.replace("grid_connected", "x9"), "zh")["状态"] == "x9"
