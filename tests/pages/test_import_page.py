"""The data-import page: open to browse, closed to anonymous writes (UI and page functions)."""

from __future__ import annotations

import importlib.util
import io
import time
from pathlib import Path

import pytest
from import_helpers import squares, write_shapefile_zip
from streamlit.testing.v1 import AppTest

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.ingest.importer import import_file

REPO = Path(__file__).resolve().parents[2]
PAGE = "views/data_import.py"


def _page_module():
    """Load the page file as a module without rendering it (``__name__`` is not ``__main__``)."""
    spec = importlib.util.spec_from_file_location("data_import_page", REPO / PAGE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def two_imports(demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    monkeypatch.chdir(REPO)
    return [
        import_file(write_shapefile_zip(squares(2), tmp_path / "a"), "townships", "alice"),
        import_file(write_shapefile_zip(squares(3), tmp_path / "b"), "townships", "alice"),
    ]


def _app() -> AppTest:
    import streamlit as st

    st.cache_resource.clear()  # the cached DB connection must point at this test's database
    st.cache_data.clear()
    return AppTest.from_file(str(REPO / PAGE), default_timeout=120)


def test_anonymous_can_browse_but_not_write(two_imports: list[dict]) -> None:
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "数据导入"
    status = at.dataframe[0].value
    row = status[status["图层标识"] == "townships"].iloc[0]
    assert f"#{two_imports[1]['import_id']}" in row["数据来源"] and row["要素数"] == "3"
    assert any("需要在左侧边栏以编辑账号登录" in i.value for i in at.info)
    keys = [b.key for b in at.button]
    assert "imp_go" not in keys  # no import widgets for anonymous users
    rollback = at.button(key="imp_rollback")
    assert rollback.disabled
    history = at.dataframe[1].value
    assert list(history["#"]) == [two_imports[1]["import_id"], two_imports[0]["import_id"]]


def test_anonymous_page_functions_raise(two_imports: list[dict], tmp_path: Path) -> None:
    page = _page_module()
    before = sources.active_import_path("townships").read_bytes()
    with pytest.raises(PermissionError):
        page.do_rollback("townships")
    staged = {"path": str(write_shapefile_zip(squares(1), tmp_path / "c")), "name": "c.zip"}
    with pytest.raises(PermissionError):
        page.do_import(staged, "townships")

    class Upload(io.BytesIO):
        name, size, file_id = "c.zip", 10, "x"

    with pytest.raises(PermissionError):
        page.stage(Upload(b"PK\x03\x04"))
    assert sources.active_import_path("townships").read_bytes() == before
    assert [v["active"] for v in layer_versions.list_versions(db.connect(), "townships")] == [1, 0]


def test_expired_session_cannot_write(two_imports: list[dict]) -> None:
    at = _app()
    at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() - 5}
    at.run()
    assert at.button(key="imp_rollback").disabled
    assert "imp_go" not in [b.key for b in at.button]


def test_editor_rolls_back_in_one_click(two_imports: list[dict]) -> None:
    at = _app()
    at.session_state["cyc_auth"] = {"user": "bob", "expires": time.time() + 600}
    at.run()
    assert not at.exception
    assert not at.button(key="imp_rollback").disabled
    assert "imp_go" in [b.key for b in at.button]  # the import form is shown to editors
    at.button(key="imp_rollback").click().run()
    assert not at.exception
    assert any(f"#{two_imports[1]['import_id']}" in s.value for s in at.success)
    hist = layer_versions.list_versions(db.connect(), "townships")
    assert [v["active"] for v in hist] == [0, 1]
    trail = db.audit_trail(db.connect(), "layer")
    assert trail[0]["action"] == "rollback" and trail[0]["actor"] == "bob"


def test_english_page_renders(two_imports: list[dict]) -> None:
    at = _app()
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and at.title[0].value == "Data import"


def _stopped(path: Path, **kw) -> dict:
    from cyc_geo.ingest import upload_safety
    from cyc_geo.ingest.importer import ImportFailure

    staged_path, sha = upload_safety.stage_upload(path.read_bytes(), path.name)
    staged = {"file_id": "f1", "path": str(staged_path), "name": path.name, "sha256": sha}
    with pytest.raises(ImportFailure) as err:
        import_file(staged_path, "townships", "x", file_name=path.name, **kw)
    return {"staged": staged, "failure": {**err.value.as_dict(), "options": {}}}


def test_editor_resolves_missing_crs_with_a_suggestion(demo_data_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    gk = squares(2).set_geometry(squares(2).geometry.translate(38_000_000, 0))
    stop = _stopped(write_shapefile_zip(gk, tmp_path, keep_prj=False))
    at = _app()
    at.session_state["cyc_auth"] = {"user": "carol", "expires": time.time() + 600}
    at.session_state["imp_staged"] = stop["staged"]
    at.session_state["imp_failure"] = stop["failure"]
    at.run()
    assert any("没有坐标系" in e.value for e in at.error)
    radio = at.radio(key="imp_fix_crs")
    assert radio.value == "EPSG:4526"  # the zone-38 suggestion comes first
    at.button(key="imp_retry").click().run()
    assert not at.exception
    assert any("已导入 2 个要素" in s.value for s in at.success)
    hist = layer_versions.list_versions(db.connect(), "townships")
    assert hist[0]["imported_by"] == "carol" and hist[0]["counts"]["crs_used"] == "EPSG:4526"


def test_editor_maps_unknown_columns(demo_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    src = squares(2, crs="EPSG:4326").rename(columns={"XZQDM": "F_CODE", "XZQMC": "F_NAME"})
    path = tmp_path / "odd.geojson"
    src.to_file(path)
    stop = _stopped(path)
    at = _app()
    at.session_state["cyc_auth"] = {"user": "carol", "expires": time.time() + 600}
    at.session_state["imp_staged"] = stop["staged"]
    at.session_state["imp_failure"] = stop["failure"]
    at.run()
    at.selectbox(key="imp_map_code").select("F_CODE")
    at.selectbox(key="imp_map_name").select("F_NAME")
    at.button(key="imp_retry").click().run()
    assert not at.exception
    assert any("已导入 2 个要素" in s.value for s in at.success)
    from cyc_geo.places.townships import load_townships

    assert sorted(load_townships()["code"]) == sorted(src["F_CODE"])


def test_editor_reactivates_a_chosen_version(two_imports: list[dict]) -> None:
    at = _app()
    at.session_state["cyc_auth"] = {"user": "bob", "expires": time.time() + 600}
    at.run()
    at.selectbox(key="imp_pick").select(two_imports[0]["import_id"])
    at.button(key="imp_activate").click().run()
    assert not at.exception
    hist = layer_versions.list_versions(db.connect(), "townships")
    assert [v["id"] for v in hist if v["active"]] == [two_imports[0]["import_id"]]
    assert db.audit_trail(db.connect(), "layer")[0]["action"] == "activate"
    with pytest.raises(PermissionError):
        _page_module().do_activate("townships", two_imports[1]["import_id"])
