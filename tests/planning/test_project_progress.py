"""Yearly progress of the 附件2 projects: validated, audited records; project 3's MW from the ledger rows it owns."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from cyc_geo import db
from cyc_geo.cli import main
from cyc_geo.planning import progress as pp
from tests.planning.test_projects import fresh_db, proj_env  # noqa: F401 - fixtures


def test_migration_appends_one_table(conn):
    assert db.schema_version(conn) == len(db.MIGRATIONS)
    assert any("CREATE TABLE project_progress" in m for m in db.MIGRATIONS)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(project_progress)")]
    assert cols == pp.COLUMNS


def test_save_is_validated_and_audited(conn):
    assert pp.save_progress(conn, 1, 2023, {"status": "在建", "investment_wan": "12,500", "progress_text": "主体厂房封顶"}, "张三")
    assert not pp.save_progress(conn, 1, 2023, {"status": "在建", "investment_wan": 12500, "progress_text": "主体厂房封顶"}, "张三")
    assert pp.save_progress(conn, 1, 2023, {"status": "in operation", "investment_wan": 42000}, "李四")
    rec = pp.read_progress(conn, 2023).iloc[0]
    assert (rec["status"], rec["investment_wan"], rec["updated_by"]) == ("投产", 42000.0, "李四")
    trail = db.audit_trail(conn, pp.AUDIT_ENTITY)
    assert [(t["actor"], t["action"], t["entity_key"]) for t in trail] == [("李四", "update", "1:2023"), ("张三", "insert", "1:2023")]
    assert json.loads(trail[0]["old_value"])["progress_text"] == "主体厂房封顶"
    for bad in ({"status": "完工"}, {"status": "在建", "investment_wan": "abc"}, {"status": "在建", "investment_wan": -1},
                {"status": "在建", "investment_wan": 420_000_000}):
        with pytest.raises(pp.ProgressError):
            pp.save_progress(conn, 1, 2023, bad, "张三")
    with pytest.raises(pp.ProgressError):
        pp.save_progress(conn, 7, 2023, {"status": "在建"}, "张三")
    with pytest.raises(pp.ProgressError):
        pp.save_progress(conn, 1, 2021, {"status": "在建"}, "张三")
    assert len(db.audit_trail(conn, pp.AUDIT_ENTITY)) == 2  # nothing written by the refused ones


def _ledger(**extra):
    return gpd.GeoDataFrame(
        {"status": ["grid_connected", "grid_connected", "grid_connected", "under_construction", "grid_connected"],
         "capacity_kw": [1000.0, 2000.0, 4000.0, 8000.0, 500.0],
         "date": ["2022-09-01", "2022-05-01", "2023-06-01", "2023-06-01", "2024-03-01"],
         "has_coords": [True, True, True, True, False], **extra},
        geometry=[Point(0.5, 0.5), Point(0.5, 0.6), Point(5, 5), Point(0.5, 0.5), Point(0.5, 0.5)], crs="EPSG:3857")


def test_project3_spatial_rule_roofs_and_period():
    roofs = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:3857")
    # row 1 on a roof, connected after 2022-08: counted; row 2 on a roof but before the project began;
    # row 3 off any roof; row 4 not connected; row 5 only at a township seat
    assert pp.project3_connected_mw(_ledger(), 2024, roofs) == pytest.approx(1.0)
    assert pp.project3_connected_mw(_ledger(), 2021, roofs) == 0.0


def test_project3_ledger_column_wins():
    ledger = _ledger(project_no=[3, 3, 3, 3, 1])
    assert pp.project3_connected_mw(ledger, 2023, roofs=None) == pytest.approx(5.0)  # rows 1 and 3 (row 2: before start)


def test_cli_set_then_report_and_audit(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "cli.sqlite"))
    assert main(["projects", "progress", "--year", "2023", "--project", "3", "--set", "status=在建",
                 "--set", "investment=30000", "--set", "progress=已并网屋顶 120 处", "--actor", "王五", "--json"]) == 0
    rows = {r["序号"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[3]["status"] == "在建" and rows[3]["progress_text"] == "已并网屋顶 120 处"
    assert rows[3]["connected_mw"] > 0 and rows[1]["connected_mw"] is None
    assert main(["projects", "progress", "--year", "2023", "--project", "3", "--set", "status=done", "--actor", "王五"]) == 2
    c = db.connect()
    try:
        assert [t["actor"] for t in db.audit_trail(c, pp.AUDIT_ENTITY)] == ["王五"]
    finally:
        c.close()


def test_table_lists_every_project_with_its_record(conn):
    pp.save_progress(conn, 4, 2022, {"status": "投产", "tce_saved": 301.56}, "张三")
    ledger = _ledger().iloc[:0]
    t = pp.progress_table(conn, 2022, ledger=ledger, roofs=gpd.GeoDataFrame(geometry=[], crs="EPSG:3857"))
    assert list(t["序号"]) == [1, 2, 3, 4] and t.set_index("序号").at[4, "tce_saved"] == 301.56
    assert t.set_index("序号").at[3, "connected_mw"] == 0.0 and pd.isna(t.set_index("序号").at[1, "status"])


def test_projects_page_editor_saves_progress_audited_and_in_the_report(proj_env, fresh_db, monkeypatch, tmp_path):  # noqa: F811
    import streamlit as st
    from docx import Document

    from tests.conftest import app_test

    monkeypatch.setattr(pp, "project3_connected_mw", lambda ledger, year, roofs=None: 12.5)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = app_test("views/projects.py", timeout_s=240)
    at.run()
    assert not at.exception, at.exception
    assert any("填报项目进展需" in i.value for i in at.info)  # anonymous: no form
    at.session_state["cyc_auth"] = {"user": "carol", "expires": 4.0e9}
    at.run()
    at.selectbox(key="progress_year").set_value(2023)
    at.selectbox(key="progress_project").set_value(2)
    at.selectbox(key="progress_status").set_value("在建")
    at.number_input(key="progress_invest").set_value(51000.0)
    at.text_input(key="progress_text").set_value("主体钢结构完成 80%")
    next(b for b in at.button if b.label == "保存进展").click().run()
    assert not at.exception, at.exception
    assert any("已保存项目 2 的 2023 年进展" in s.value for s in at.success)
    shown = next(d.value for d in at.dataframe if "形象进度" in d.value.columns)
    assert "主体钢结构完成 80%" in list(shown["形象进度"]) and "台账已并网 12.50 MW" in list(shown["实际效益"])
    conn = db.connect()
    try:
        trail = db.audit_trail(conn, pp.AUDIT_ENTITY)
        assert [(t["actor"], t["entity_key"]) for t in trail] == [("carol", "2:2023")]
    finally:
        conn.close()
    st.cache_resource.clear()
    st.cache_data.clear()
    out = tmp_path / "R.docx"
    assert main(["evaluation", "--year", "2023", "--format", "docx", "--out", str(out), "--no-maps"]) == 0
    cells = [c.text for t in Document(str(out)).tables for r in t.rows for c in r.cells]
    assert "主体钢结构完成 80%" in cells and "51,000" in cells


def test_latest_progress_text_is_each_projects_last_year_in_each_language():
    records = pd.DataFrame([
        {"project_no": 1, "year": 2022, "status": "前期", "investment_wan": None, "progress_text": ""},
        {"project_no": 1, "year": 2023, "status": "在建", "investment_wan": 12500.0, "progress_text": "主体厂房封顶"},
        {"project_no": 2, "year": 2024, "status": "投产", "investment_wan": float("nan"), "progress_text": None},
    ])
    texts = pp.latest_progress_text(records)
    assert texts[1] == ("2023 年：在建；累计完成投资 12,500 万元；主体厂房封顶",
                        "2023: under construction; investment completed 12,500 (10^4 yuan)")
    assert texts[2] == ("2024 年：投产", "2024: in operation")
    assert set(texts) == {1, 2}


def test_a_saved_record_renews_the_project_layer_and_shows_in_its_popup(proj_env, fresh_db):  # noqa: F811
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.catalog.sources import source_version
    from cyc_geo.mapview.click import feature_record

    before = source_version("projects")
    assert set(load_layer("projects")["progress"]) == {""}
    conn = db.connect()
    try:
        pp.save_progress(conn, 2, 2023, {"status": "在建", "investment_wan": 8000}, "张三")
    finally:
        conn.close()
    assert source_version("projects") != before  # every cache keyed by the version is renewed
    sites = load_layer("projects")
    row = sites[sites["project_no"] == 2].iloc[0]
    layer = get_layer("projects")
    assert feature_record(layer, row, "zh")["最新进展"] == "2023 年：在建；累计完成投资 8,000 万元"
    assert feature_record(layer, row, "en")["Latest progress"] == "2023: under construction; investment completed 8,000 (10^4 yuan)"
    assert set(sites.loc[sites["project_no"] != 2, "progress"]) == {""}
