"""The indicator dashboard page under streamlit.testing.v1.AppTest."""

from __future__ import annotations

import re
import time

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from shapely.geometry import Point

import ui.common
from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
from tests.conftest import app_test

PAGE = "views/indicators.py"
FAKE_SPATIAL = {
    4: ind.SpatialValue(27.0, "test map"),  # >= 26.05 -> 达标
    16: ind.SpatialValue(180.0, "test map"),  # < 183 -> 未达标
    19: ind.SpatialValue(35.0, "test map"),  # < 70 MW -> 未达标
}


@pytest.fixture
def page_env(demo_data_dir, monkeypatch):
    """Isolated DB, fast deterministic spatial values, no cached connection/values from earlier tests."""
    monkeypatch.setattr(ind, "spatial_values", lambda catalogue=None, pv_scenario=None: dict(FAKE_SPATIAL))

    def tiny_demo_layer(layer_id: str) -> gpd.GeoDataFrame:
        """Stands in for the big forest/rooftop layers (only their provenance is read here)."""
        gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(114.7, 35.2)], crs="EPSG:4326")
        gdf.attrs["meta"] = {"demo": "true"}
        return gdf

    monkeypatch.setattr(ui.common, "load_layer", tiny_demo_layer)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_data_dir
    st.cache_resource.clear()


def _signed_in(at, user: str = "alice") -> None:
    at.session_state["cyc_auth"] = {"user": user, "expires": time.time() + 3600}


def _table(at):
    return at.dataframe[0].value


def test_page_renders_all_indicators_with_targets_and_status(page_env):
    at = app_test(PAGE)
    at.run()
    assert not at.exception
    table = _table(at)
    assert list(table["序号"]) == list(range(1, 20))
    row3 = table[table["序号"] == 3].iloc[0]
    assert row3["2024年目标"] == "267.25" and row3["指标"] == "二氧化碳排放总量"
    assert row3["现状值"] == "261.056" and row3["实际值"] == "—"  # missing actual: a dash, not a grey "None"
    assert table[table["序号"] == 4].iloc[0]["实际值"] == "27"
    assert not table.isna().any().any()
    status = dict(zip(table["序号"], table["状态"], strict=True))
    assert (status[4], status[16], status[19], status[1]) == ("达标", "未达标", "未达标", "无数据")
    assert [m.value for m in at.metric] == ["1", "2", "16"]
    # the spatial values rest on demo forest/rooftop layers: the page says so
    assert any("演示数据" in w.value and "林地" in w.value and "屋顶" in w.value for w in at.warning)
    assert len(at.get("download_button")) == 2
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # anonymous: the editor and the save button are disabled
    assert at.button(key="ind_save").disabled
    assert any("登录" in i.value for i in at.info)


def test_year_switch_changes_targets(page_env):
    at = app_test(PAGE)
    at.run()
    at.selectbox(key="ind_year").set_value(2022).run()
    assert not at.exception
    table = _table(at)
    assert table[table["序号"] == 3].iloc[0]["2022年目标"] == "263.17"
    row19 = table[table["序号"] == 19].iloc[0]
    assert row19["状态"] == "无年度目标" and row19["实际值"] != "—"  # the PV goal has no 2022 target: value shown


def _chart_rows(at) -> pd.DataFrame:
    """The trajectories chart's data (the Arrow dataset Streamlit sends with the Vega-Lite spec)."""
    chart = (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))[0]
    return pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()


def _charted_actual(at, no: int, year: int) -> list[float]:
    rows = _chart_rows(at)
    return rows[(rows["no"] == no) & (rows["stage"] == str(year)) & (rows["kind"] == "actual")]["amount"].tolist()


def test_editor_saves_valid_values_with_audit(page_env):
    at = app_test(PAGE)
    _signed_in(at)
    at.run()
    assert _charted_actual(at, 3, 2024) == []  # nothing reported yet
    editor = at.data_editor(key="ind_editor_2024_0")
    rows = list(editor.value["no"])
    assert 5 not in rows  # derived net emission is not editable
    at.session_state["ind_editor_2024_0"] = {
        "edited_rows": {rows.index(3): {"value": "250"}, rows.index(4): {"value": "24", "note": "林业局"},
                        rows.index(13): {"value": "47", "note": "交通局年报"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="ind_save").click().run()
    assert not at.exception, at.exception
    assert any("已保存 3" in s.value for s in at.success)
    conn = db.connect()
    assert ind.read_value(conn, 3, 2024) == 250.0 and ind.read_value(conn, 13, 2024) == 47.0
    assert {r["actor"] for r in db.audit_trail(conn, ind.AUDIT_ENTITY)} == {"alice"}
    conn.close()
    table = _table(at)
    row5 = table[table["序号"] == 5].iloc[0]
    assert float(row5["实际值"]) == pytest.approx(250 - 24.0)  # derived: reported total − reported sink (not the map's 27)
    assert row5["状态"] == "达标" and row5["计分依据"] == "推算（填报值）"
    assert "蓄积差法" in row5["说明"]  # the stock-difference net sink beside it, not scored
    row4 = table[table["序号"] == 4].iloc[0]
    assert (row4["实际值"], row4["计分依据"], row4["填报值"]) == ("24", "填报值", "24（alice）")
    assert row4["地图测算值"] == "27（无数据年份，不计分）" and row4["状态"] == "未达标"  # 24 < 26.05
    assert table[table["序号"] == 13].iloc[0]["状态"] == "未达标"  # 47 < 49
    # the trajectories chart (cached per data) shows the saved values at once
    assert _charted_actual(at, 3, 2024) == [250.0] and _charted_actual(at, 13, 2024) == [47.0]


def test_bad_input_shows_message_and_saves_nothing(page_env):
    at = app_test(PAGE)
    _signed_in(at)
    at.run()
    rows = list(at.data_editor(key="ind_editor_2024_0").value["no"])
    at.session_state["ind_editor_2024_0"] = {
        "edited_rows": {rows.index(1): {"value": "7.8"}, rows.index(7): {"value": "十"}, rows.index(8): {"value": "150"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="ind_save").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "未保存任何数据" in errors and "numbers only" in errors and "outside the valid range" in errors
    conn = db.connect()
    assert ind.read_values(conn).empty and db.audit_trail(conn, ind.AUDIT_ENTITY) == []
    conn.close()


def test_expired_session_cannot_save(page_env):
    at = app_test(PAGE)
    at.session_state["cyc_auth"] = {"user": "mallory", "expires": time.time() - 1}
    at.run()
    assert not at.exception
    assert at.button(key="ind_save").disabled


def test_english_page(page_env):
    at = app_test(PAGE)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    table = _table(at)
    row4 = table[table["No."] == 4].iloc[0]
    assert row4["Indicator"].startswith("Carbon sink") and row4["Target 2024"] == "26.05"
    assert row4["Status"] == "on track" and row4["Direction"] == "higher is better"
    assert at.title[0].value.startswith("Indicator dashboard")
    # the evaluation's download buttons (shown once it is made) in English too: they read "(2024年)"
    at.button(key="ind_eval_go").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Evaluation Excel (2024)" in labels and "Evaluation report, Word (pilot)" in labels, labels
    assert not [lb for lb in labels if re.search(r"[\u4e00-\u9fff]", lb)], labels


def test_evaluation_files_made_once_per_data_and_again_after_a_saved_value(page_env, monkeypatch):
    """A second 生成评估报告 on unchanged data reuses the laid-out files (issue 29: the report took 3.5 s each
    time); a value saved in between is in the files made next (no stale report)."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.indicators import evaluation

    made: list[float] = []
    real = evaluation.workbook_bytes

    def counting(long, *args, **kwargs):
        row = long[(long["no"] == 3) & (long["year"] == 2024)]
        made.append(float(row["value"].iloc[0]) if len(row) else float("nan"))
        return real(long, *args, **kwargs)

    monkeypatch.setattr(evaluation, "workbook_bytes", counting)
    for layer_id in ("rooftops", "pv_installations", "projects", "forest"):  # demo files built before, as `make data` does
        load_layer(layer_id)
    for _ in range(2):
        at = app_test(PAGE)
        at.run()
        at.button(key="ind_eval_go").click().run()
        assert not at.exception
    assert len(made) == 2  # the year's and the pilot's workbook, made by the first click only
    conn = db.connect()
    try:
        ind.save_values(conn, [{"no": 3, "year": 2024, "value": 266.5}], actor="alice")
    finally:
        conn.close()
    at = app_test(PAGE)
    at.run()
    at.button(key="ind_eval_go").click().run()
    assert not at.exception
    assert made[2:] == [266.5, 266.5]


def test_evaluation_downloads(page_env):
    """生成评估报告 offers the evaluation of the chosen year and of the pilot, as Excel and PDF."""
    at = app_test(PAGE)
    at.run()
    at.button(key="ind_eval_go").click().run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 8
    labels = " ".join(b.proto.label for b in buttons)
    assert "评估 Excel（2024年）" in labels and "评估 PDF（试点期）" in labels
    assert "年度评估 Word（2024年）" in labels and "年度评估 Word（试点期）" in labels  # the 年度评估 report (issue 28)
