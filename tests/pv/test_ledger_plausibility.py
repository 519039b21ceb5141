"""Absurd and duplicate PV ledger rows: a row above the plausible capacity of its building class and a
row repeating an earlier one are refused by name and row number (reader, importer, CLI, data-import
page); ``--accept-skips`` skips them and ``pv progress`` is as if they had never been in the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cyc_geo.catalog import sources
from cyc_geo.pv.installations import clean_row
from cyc_geo.pv.ledger import read_ledger

REPO = Path(__file__).resolve().parents[2]
HEADER = "序号,乡镇,项目名称,地址,建筑类型,装机容量(kW),建设状态,并网时间,备案号"
CLEAN = [
    "1,蒲西街道,张三户用光伏,蒲西村1号,户用,8,已并网,2023-05-01,",
    "2,樊相镇,某机械厂屋顶光伏,,工商业,1200,已并网,2023-06-01,2301-410783-04-01-000001",
    "3,魏庄街道,县医院屋顶光伏,,医院,300,已并网,2022-09-01,",
    "4,芦岗乡,芦岗户用光伏合作项目,芦岗村,户用,800,已并网,2024-03-01,",
    "5,常村镇,常村镇某企业,,工商业,500,已备案,2024-01-01,",
]
ABSURD = "6,蒲西街道,李四户用光伏,蒲西村2号,户用,1000000000,已并网,2023-05-01,"
"""A household row of 1e9 kW (1,000 GW)."""
REPEAT = "7,蒲西街道,张三户用光伏,蒲西村1号,户用,8,已并网,2023-05-01,"
"""Row 2 again (same name, address, township, kW and date)."""
REFILED = "8,樊相镇,某机械厂二期,,工商业,900,在建,,2301-410783-04-01-000001"
"""Another name, the same 备案号 as row 3."""


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _bad(path: Path) -> Path:
    """The clean rows with the absurd row at file row 4 and the repeats at rows 6 and 9 (header = row 1)."""
    return _write(path, [CLEAN[0], CLEAN[1], ABSURD, CLEAN[2], REPEAT, CLEAN[3], CLEAN[4], REFILED])


def test_reader_skips_absurd_and_duplicate_rows_by_name_and_row(tmp_path: Path) -> None:
    # before: all eight rows were kept, total_kw = 1,000,003,716 kW
    read = read_ledger(_bad(tmp_path / "台账.csv"))
    skipped = read.skipped.set_index("row")
    assert list(skipped.index) == [4, 6, 9]
    assert skipped.loc[4, "reason_zh"].startswith("“李四户用光伏”：装机容量 1,000,000,000.0 kW")
    assert "6,000 kW" in skipped.loc[4, "reason_zh"] and "household" in skipped.loc[4, "reason_en"]
    assert skipped.loc[6, "reason_zh"] == "“张三户用光伏”：与第 2 行重复（名称、地址、乡镇、装机容量和日期均相同）"
    assert skipped.loc[6, "reason_en"].startswith("'张三户用光伏': duplicate of row 2")
    assert "2301-410783-04-01-000001" in skipped.loc[9, "reason_zh"] and "第 3 行" in skipped.loc[9, "reason_zh"]
    assert list(read.ledger["name"]) == ["张三户用光伏", "某机械厂屋顶光伏", "县医院屋顶光伏", "芦岗户用光伏合作项目",
                                         "常村镇某企业"]
    assert read.total_kw == pytest.approx(8 + 1200 + 300 + 800 + 500)
    # a household row above one home's 380 V connection is kept with a caveat
    assert list(read.warnings["row"]) == [7] and "400 kW" in read.warnings["reason_zh"].iloc[0]


def test_bounds_follow_the_building_class(tmp_path: Path) -> None:
    rows = ["1,蒲西街道,甲厂,,工商业,45000,已并网,2023-05-01,",     # 45 MW: a large C&I project, kept
            "2,蒲西街道,乙户,,户用,7000,已并网,2023-05-01,",       # 7 MW on homes: above 非自然人户用's 6 MW
            "3,蒲西街道,丙校,,学校,6500,已并网,2023-05-01,",       # 6.5 MW on a school: above 一般工商业's 6 MW
            "4,蒲西街道,丁站,,,90000,已并网,2023-05-01,"]         # 90 MW, no class (other): kept
    read = read_ledger(_write(tmp_path / "b.csv", rows))
    assert list(read.skipped["row"]) == [3, 4]
    assert list(read.ledger["name"]) == ["甲厂", "丁站"]


def test_an_app_edit_has_the_same_bounds() -> None:
    # before: any capacity up to 1,000,000 kW was accepted for any class
    base = {"install_id": 9, "name": "x", "status": "grid_connected", "date": "2024-01-01",
            "township_code": "410783001000"}
    with pytest.raises(ValueError, match="6,000 kW"):
        clean_row({**base, "building_class": "rural", "capacity_kw": 900_000})
    assert clean_row({**base, "building_class": "commercial", "capacity_kw": 40_000})["capacity_kw"] == 40_000


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=600)


@pytest.mark.slow
def test_import_refuses_then_skips_and_progress_ignores_the_skipped_rows(demo_data_dir: Path, tmp_path: Path) -> None:
    bad = _bad(tmp_path / "台账.csv")
    refused = _cli("import", str(bad), "--layer", "pv_installations", "--json")
    assert refused.returncode == 2, refused.stderr
    err = json.loads(refused.stdout)
    assert err["error"] == "rows_skipped" and [r["row"] for r in err["rows_skipped"]] == [4, 6, 9]
    assert "第 4、6、9 行" in err["message_zh"] and "Rows 4, 6, 9" in err["message_en"]
    assert "李四户用光伏" in err["rows_skipped"][0]["reason_zh"] and "张三户用光伏" in err["rows_skipped"][1]["reason_en"]
    assert "row 4: '李四户用光伏'" in refused.stderr and "row 6: '张三户用光伏'" in refused.stderr
    assert not sources.active_import_path("pv_installations").exists()  # nothing imported

    clean = _cli("import", str(_write(tmp_path / "clean.csv", CLEAN)), "--layer", "pv_installations", "--json")
    assert clean.returncode == 0, clean.stderr
    progress_clean = json.loads(_cli("pv", "progress", "--as-of", "2025-01-31", "--json").stdout)

    done = _cli("import", str(bad), "--layer", "pv_installations", "--accept-skips", "--json")
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["accepted_skips"] is True and rec["features"] == 5 and [r["row"] for r in rec["rows_skipped"]] == [4, 6, 9]
    assert rec["total_kw"] == json.loads(clean.stdout)["total_kw"] == pytest.approx(2808.0)
    progress = json.loads(_cli("pv", "progress", "--as-of", "2025-01-31", "--json").stdout)
    assert progress == progress_clean
    assert progress["installed_mw"] == pytest.approx(2.308) and progress["pipeline_mw"] == pytest.approx(0.5)


def test_data_import_page_names_the_rows_without_a_traceback(demo_data_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cyc_geo.ingest import upload_safety
    from cyc_geo.ingest.importer import ImportFailure, import_file

    monkeypatch.chdir(REPO)
    bad = _bad(tmp_path / "台账.csv")
    staged_path, sha = upload_safety.stage_upload(bad.read_bytes(), bad.name)
    with pytest.raises(ImportFailure) as err:
        import_file(staged_path, "pv_installations", "x", file_name=bad.name)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "views/data_import.py"), default_timeout=120)
    at.session_state["cyc_auth"] = {"user": "carol", "expires": time.time() + 600}
    at.session_state["imp_layer"] = "pv_installations"
    at.session_state["imp_staged"] = {"file_id": "f1", "path": str(staged_path), "name": bad.name, "sha256": sha}
    at.session_state["imp_failure"] = {**err.value.as_dict(), "options": {"coords_crs": "WGS84"}}
    at.run()
    assert not at.exception
    assert any("第 4、6、9 行" in e.value for e in at.error)
    table = next(d.value for d in at.dataframe if "行号" in d.value.columns)
    assert list(table["行号"]) == [4, 6, 9]
    assert "李四户用光伏" in table["原因"][0] and "与第 2 行重复" in table["原因"][1]
    at.checkbox(key="imp_accept_skips").check().run()
    at.button(key="imp_retry").click().run()
    assert not at.exception
    assert any("已导入 5 个要素" in s.value for s in at.success)
    st.cache_resource.clear()
    st.cache_data.clear()
