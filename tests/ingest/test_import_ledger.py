"""Importing a PV installation ledger (xlsx/csv) through the importer: all-or-nothing on skipped rows,
``--accept-skips`` audited, versions and the CLI JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.catalog.vector_io import read_layer
from cyc_geo.ingest.importer import ImportFailure, import_file
from cyc_geo.ingest.upload_safety import UploadRejected, check_content
from cyc_geo.pv.ledger import LEDGER_COLUMNS, yearly_grid_kw
from tests.pv.test_ledger import write_bom_csv, write_gbk_csv, write_kw_xlsx, write_mw_xlsx

REPO = Path(__file__).resolve().parents[2]
LAYER = "pv_installations"
LEDGER_TOML = """id = "pv_installations"
title_zh = "光伏装机台账（测试）"
title_en = "PV installations (test)"
geometry = "point"
source = "generated/pv_installations_demo.gpkg"
"""
WELLS_TOML = """id = "wells"
title_zh = "机井"
title_en = "Wells"
geometry = "point"
source = "wells.geojson"
"""


@pytest.fixture
def layers(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A layer folder with the ledger layer (and one other point layer) as the other branch will declare it."""
    folder = tmp_path / "layers"
    folder.mkdir()
    (folder / "pv_installations.toml").write_text(LEDGER_TOML, encoding="utf-8")
    (folder / "wells.toml").write_text(WELLS_TOML, encoding="utf-8")
    # the county check reads layer "county" from the catalogue (listed after the test's layers)
    county = (REPO / "layers" / "county.toml").read_text(encoding="utf-8").replace("order = 10\n", "order = 200\n")
    (folder / "county.toml").write_text(county, encoding="utf-8")
    monkeypatch.setenv("CYC_GEO_LAYERS_DIR", str(folder))
    return folder


def _history() -> list[dict]:
    return layer_versions.list_versions(db.connect(), LAYER)


def test_skipped_rows_stop_the_import_and_accept_skips_imports_the_rest(layers: Path, tmp_path: Path) -> None:
    xlsx = write_kw_xlsx(tmp_path / "台账.xlsx")
    with pytest.raises(ImportFailure) as exc:
        import_file(xlsx, LAYER, "alice")
    fail = exc.value.as_dict()
    assert fail["error"] == "rows_skipped"
    assert [r["row"] for r in fail["rows_skipped"]] == [8, 9]
    assert "火星镇" in fail["rows_skipped"][0]["reason_zh"] and "not a number" in fail["rows_skipped"][1]["reason_en"]
    assert (fail["rows_read"], fail["total_kw"]) == (8, 2258.5)
    assert not sources.active_import_path(LAYER).exists()  # nothing imported
    assert _history() == []

    rec = import_file(xlsx, LAYER, "alice", accept_skips=True)
    assert (rec["rows_read"], rec["features"], rec["total_kw"], rec["accepted_skips"]) == (8, 6, 2258.5, True)
    assert [r["row"] for r in rec["rows_skipped"]] == [8, 9]
    active = read_layer(sources.active_import_path(LAYER))
    assert list(active.columns) == [*LEDGER_COLUMNS, "geometry"]
    assert list(active["install_id"]) == [1, 2, 3, 6, 7, 8]
    assert active["has_coords"].dtype == bool and not active["has_coords"].any()
    assert list(active["township_code"])[:2] == ["410783001000", "410783101000"]
    assert float(active["capacity_kw"].sum()) == pytest.approx(2258.5)
    assert yearly_grid_kw(active) == {2022: 300.0, 2023: 1398.5}
    meta = active.attrs["meta"]
    assert (meta["demo"], meta["approximate"], meta["data_year"]) == ("false", "false", "2024")
    assert meta["source"] == "planner import 台账.xlsx"
    (hist,) = _history()
    assert hist["active"] and hist["counts"]["accepted_skips"] is True and hist["counts"]["total_kw"] == 2258.5
    trail = db.audit_trail(db.connect(), "layer")
    accepted = [t for t in trail if t["action"] == "import_accept_skips"]
    assert len(accepted) == 1 and accepted[0]["actor"] == "alice"
    assert json.loads(accepted[0]["new_value"])["rows_skipped"][0]["row"] == 8


def test_a_clean_ledger_imports_and_rolls_back(layers: Path, tmp_path: Path) -> None:
    first = import_file(write_mw_xlsx(tmp_path / "mw.xlsx"), LAYER, "alice")
    assert (first["rows_read"], first["rows_skipped"], first["total_kw"], first["accepted_skips"]) == (3, [], 1950.0, False)
    assert first["total_checks"][0]["ok"] is False  # reported, not refused
    second = import_file(write_bom_csv(tmp_path / "bom.csv"), LAYER, "bob", coords_crs="GCJ02")
    assert second["crs_in"] == "GCJ02" and second["encoding"] == "UTF-8-SIG" and second["outside_county"] == 0
    active = read_layer(sources.active_import_path(LAYER))
    assert list(active["install_id"]) == [101, 102] and list(active["has_coords"]) == [True, False]
    assert active.geometry[0].x == pytest.approx(114.70, abs=1e-7)
    layer_versions.rollback(db.connect(), LAYER, "bob")
    back = read_layer(sources.active_import_path(LAYER))
    assert list(back["capacity_kw"]) == [500.0, 1200.0, 250.0]


def test_gbk_csv_import_reports_the_skip(layers: Path, tmp_path: Path) -> None:
    with pytest.raises(ImportFailure) as exc:
        import_file(write_gbk_csv(tmp_path / "gbk.csv"), LAYER, "alice")
    assert [r["row"] for r in exc.value.details["rows_skipped"]] == [5]
    rec = import_file(tmp_path / "gbk.csv", LAYER, "alice", accept_skips=True)
    assert (rec["encoding"], rec["features"], rec["total_kw"]) == ("GBK", 2, 50.5)


def test_tables_only_go_to_layers_with_a_table_reader(layers: Path, tmp_path: Path) -> None:
    with pytest.raises(ImportFailure) as exc:
        import_file(write_mw_xlsx(tmp_path / "mw.xlsx"), "wells", "alice")
    assert exc.value.code == "table_not_supported"
    p = tmp_path / "nohead.csv"
    p.write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFailure) as exc:
        import_file(p, LAYER, "alice")
    assert exc.value.code == "no_header" and exc.value.details["columns"] == ["甲", "乙"]
    assert _history() == []


def test_upload_checks_for_tables(tmp_path: Path, data_dir: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    with pytest.raises(UploadRejected, match="not an Excel workbook"):
        check_content(fake, ".xlsx")
    bomb = tmp_path / "entity.xlsx"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><workbook/>')
    with pytest.raises(UploadRejected, match="document type declaration"):
        check_content(bomb, ".xlsx")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(UploadRejected, match="not a text table"):
        check_content(binary, ".csv")
    real = write_kw_xlsx(tmp_path / "ok.xlsx")
    check_content(real, ".xlsx")  # a real workbook passes
    check_content(write_gbk_csv(tmp_path / "ok.csv"), ".csv")


def test_cli_json(layers: Path, tmp_path: Path) -> None:
    xlsx = write_kw_xlsx(tmp_path / "台账.xlsx")
    cmd = [sys.executable, "-m", "cyc_geo", "import", str(xlsx), "--layer", LAYER, "--json", "--actor", "cli:test"]
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=300)
    assert bad.returncode == 2, bad.stderr
    err = json.loads(bad.stdout)
    assert err["error"] == "rows_skipped" and err["rows_read"] == 8 and err["total_kw"] == 2258.5
    assert err["rows_skipped"] == [
        {"row": 8, "reason_zh": "乡镇“火星镇”不是长垣市的乡镇/街道",
         "reason_en": "township '火星镇' is not one of Changyuan's townships"},
        {"row": 9, "reason_zh": "装机容量“约30”不是数字", "reason_en": "capacity '约30' is not a number"},
    ]
    assert "row 8:" in bad.stderr
    assert not sources.active_import_path(LAYER).exists()
    ok = subprocess.run(cmd + ["--accept-skips", "--coords-crs", "gcj02"], capture_output=True, text=True, cwd=REPO,
                        env=dict(os.environ), timeout=300)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    assert (out["rows_read"], len(out["rows_skipped"]), out["total_kw"], out["features"]) == (8, 2, 2258.5, 6)
    assert out["accepted_skips"] is True and out["layer"] == LAYER
    (hist,) = _history()
    assert hist["imported_by"] == "cli:test" and hist["counts"]["features"] == 6


def test_page_lists_skipped_rows_and_imports_after_the_checkbox(layers: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cyc_geo.ingest import upload_safety

    monkeypatch.chdir(REPO)
    xlsx = write_kw_xlsx(tmp_path / "台账.xlsx")
    staged_path, sha = upload_safety.stage_upload(xlsx.read_bytes(), xlsx.name)
    staged = {"file_id": "f1", "path": str(staged_path), "name": xlsx.name, "sha256": sha}
    with pytest.raises(ImportFailure) as err:
        import_file(staged_path, LAYER, "x", file_name=xlsx.name)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(REPO / "views/data_import.py"), default_timeout=120)
    at.session_state["cyc_auth"] = {"user": "carol", "expires": time.time() + 600}
    at.session_state["imp_staged"] = staged
    at.session_state["imp_failure"] = {**err.value.as_dict(), "options": {"coords_crs": "WGS84"}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="imp_layer").value == LAYER
    assert at.selectbox(key="imp_coords_crs").value == "WGS84"
    table = next(d.value for d in at.dataframe if "行号" in d.value.columns)
    assert list(table["行号"]) == [8, 9] and "火星镇" in table["原因"][0]
    assert "imp_retry" not in [b.key for b in at.button]  # nothing to retry until the skip is accepted
    at.checkbox(key="imp_accept_skips").check().run()
    at.button(key="imp_retry").click().run()
    assert not at.exception
    assert any("已导入 6 个要素" in s.value for s in at.success)
    (hist,) = _history()
    assert hist["imported_by"] == "carol" and hist["counts"]["accepted_skips"] is True
