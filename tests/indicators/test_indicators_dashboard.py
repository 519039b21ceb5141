"""The indicator dashboard's tables (cyc_geo.indicators.dashboard), against a temporary database."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators import dashboard as dash
from cyc_geo.pv import scenarios as pv_scenarios
from cyc_geo.pv.params import Scenario

SPATIAL = {4: ind.SpatialValue(27.0, "test map"), 16: ind.SpatialValue(180.0, "test map")}


@pytest.fixture
def conn(data_dir):
    c = db.connect()
    yield c
    c.close()


@pytest.fixture(scope="module")
def cat():
    return ind.load_catalogue()


def test_saved_pv_scenarios_by_name_with_json_params_and_only_pv(conn):
    pv_scenarios.save_scenario(conn, "b-high", Scenario(min_roof_m2=20), "alice")
    pv_scenarios.save_scenario(conn, "a-low", Scenario(min_roof_m2=50), "alice")
    with db.transaction(conn):
        conn.execute("INSERT INTO scenarios VALUES ('c-other', 'wind', '{}', 'bob', '2026-01-01')")
    rows = dash.saved_pv_scenarios(conn)
    assert [r["name"] for r in rows] == ["a-low", "b-high"]
    assert set(rows[0]) == {"name", "params", "updated_at"}
    scenario, problem = dash.scenario_from_params(rows[0]["params"])
    assert problem == "" and scenario.min_roof_m2 == 50


def test_scenario_choice_keys_on_update_time():
    rows = [{"name": "s", "params": '{"min_roof_m2": 5}', "updated_at": "2026-01-02T00:00:00"}]
    assert dash.scenario_choice(rows, "s") == ("s@2026-01-02T00:00:00", '{"min_roof_m2": 5}')
    assert dash.scenario_choice(rows, dash.DEFAULT_SCENARIO) == (dash.DEFAULT_SCENARIO, "")


def test_unreadable_scenario_gives_reason_not_error():
    scenario, problem = dash.scenario_from_params("{not json")
    assert scenario is None and problem.startswith("JSONDecodeError")
    scenario, problem = dash.scenario_from_params('{"no_such_field": 1}')
    assert scenario is None and problem


def test_number_text():
    assert dash.fmt_number(None) == "" and dash.fmt_number(math.nan) == ""
    assert dash.fmt_number(261.056) == "261.056" and dash.fmt_number(27.0) == "27"
    assert list(dash.shown_numbers(pd.Series([1.5, None, float("nan")]))) == ["1.5", "—", "—"]


def test_status_table_in_both_languages(cat):
    ev = ind.evaluate(2024, None, SPATIAL, cat)
    zh = dash.status_table(ev, 2024, "zh", cat)
    assert list(zh.columns) == ["序号", "领域", "指标", "单位", "现状值", "2024年目标", "填报值", "地图测算值", "实际值",
                                "计分依据", "状态", "方向", "说明"]
    row4 = zh[zh["序号"] == 4].iloc[0]
    assert (row4["实际值"], row4["状态"], row4["计分依据"], row4["方向"]) == ("27", "达标", "地图测算（同年数据）", "越高越好")
    assert (row4["填报值"], row4["地图测算值"]) == ("—", "27（无数据年份）")
    assert zh[zh["序号"] == 3].iloc[0]["实际值"] == "—"
    en = dash.status_table(ev, 2024, "en", cat)
    row16 = en[en["No."] == 16].iloc[0]
    assert (row16["Status"], row16["Scored"], row16["Target 2024"]) == ("behind", "map estimate (same year)", "183")
    assert en[en["No."] == 1].iloc[0]["Domain"] == "Economy"
    assert dash.status_counts(ev) == {ind.MET: 1, ind.BEHIND: 1, ind.NO_DATA: 17}


def test_status_table_shows_reported_and_map_estimate_and_which_was_scored(data_dir, cat):
    """Issue 26: a map estimate of another data year is shown, marked not scored, and the status is 无数据; a
    reported value is the actual; #5 carries the stock-difference net sink beside it."""
    conn = db.connect()
    ind.save_values(conn, [{"no": 4, "year": 2023, "value": "24", "note": "林业局"}], actor="x", catalogue=cat)
    spatial = {4: ind.SpatialValue(23.35, "map", data_year=2021), 16: ind.SpatialValue(165.56, "map", data_year=2021)}
    ev = ind.evaluate(2023, conn, spatial, cat)
    conn.close()
    zh = dash.status_table(ev, 2023, "zh", cat).set_index("序号")
    assert (zh.loc[4, "填报值"], zh.loc[4, "实际值"], zh.loc[4, "计分依据"]) == ("24（x）", "24", "填报值")
    assert zh.loc[4, "地图测算值"] == "23.35（2021年数据，不计分）"
    assert (zh.loc[16, "实际值"], zh.loc[16, "状态"], zh.loc[16, "计分依据"]) == ("—", ind.NO_DATA, "—")
    assert zh.loc[16, "地图测算值"] == "165.56（2021年数据，不计分）"
    assert "净碳汇（IPCC 2006 蓄积差法" in zh.loc[5, "说明"] and "1.22" in zh.loc[5, "说明"]
    en = dash.status_table(ev, 2023, "en", cat).set_index("No.")
    assert en.loc[16, "Map estimate"] == "165.56 (data of 2021, not scored)" and en.loc[16, "Status"] == "no data"


def test_styled_status_colours_only_the_status_column(cat):
    ev = ind.evaluate(2024, None, SPATIAL, cat)
    html = dash.styled_status(dash.status_table(ev, 2024, "en", cat), ev["status"], "en").to_html()
    assert html.count("background-color: #c6efce") == 1 and html.count("background-color: #ffc7ce") == 1


def test_editor_frame_shows_reported_values_and_changes_round_trip(conn, cat):
    ind.save_values(conn, [{"no": 3, "year": 2024, "value": 250, "note": "统计局"}], actor="alice")
    ev = ind.evaluate(2024, conn, SPATIAL, cat)
    frame = dash.editor_frame(ev, conn, 2024, "en", cat)
    assert 5 not in set(frame["no"])  # derived
    row3 = frame[frame["no"] == 3].iloc[0]
    assert (row3["value"], row3["note"], row3["name"]) == ("250", "统计局", "Total CO2 emissions")
    assert frame[frame["no"] == 1].iloc[0][["value", "note", "range"]].tolist() == ["", "", "-30 – 30"]
    assert dash.changed_entries(frame, frame.copy(), 2024) == []
    edited = frame.copy()
    edited.loc[edited["no"] == 3, "value"] = " 251 "
    edited.loc[edited["no"] == 1, "note"] = None  # a cleared cell: unchanged (was empty)
    edited.loc[edited["no"] == 13, ["value", "note"]] = ["47", "交通局"]
    assert dash.changed_entries(frame, edited, 2024) == [
        {"no": 3, "year": 2024, "value": "251", "note": "统计局"},
        {"no": 13, "year": 2024, "value": "47", "note": "交通局"},
    ]
    assert dash.editor_frame(ev, None, 2024, "zh", cat)["value"].eq("").all()


def test_chart_data_labels_series_and_order(cat):
    long = ind.trajectories(None, SPATIAL, cat)
    data, order = dash.chart_data(long, "zh")
    assert order[0] == "#1 GDP年均增速 (%)" and len(order) == len(cat)
    assert set(data["series"]) == set(dash.series_labels("zh"))
    en, _ = dash.chart_data(long, "en")
    assert en[en["kind"] == "actual"]["series"].eq("actual").all()
    assert en["label"].str.contains("Carbon sink").any()


def test_audit_table_newest_first(conn):
    assert list(dash.audit_table(conn).columns) == dash.AUDIT_COLUMNS and dash.audit_table(conn).empty
    ind.save_values(conn, [{"no": 3, "year": 2024, "value": 250}], actor="alice")
    ind.save_values(conn, [{"no": 3, "year": 2024, "value": 240}], actor="bob")
    trail = dash.audit_table(conn)
    assert list(trail["actor"]) == ["bob", "alice"] and list(trail["action"]) == ["update", "insert"]
