"""A damaged database or a full disk gives a clear bilingual message, never a traceback."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import streamlit as st

from cyc_geo import db, paths
from tests.conftest import REPO, app_test

APP_PAGES = ["views/map.py", "views/pv.py", "views/carbon.py", "views/projects.py", "views/indicators.py",
             "views/data_import.py"]


def _database_with_data(path: Path) -> None:
    conn = db.connect(path)
    with db.transaction(conn):
        for i in range(300):  # a few pages of audit rows, so that a cut goes through the tables
            db.audit(conn, "alice", "x", i, "set", None, {"v": "x" * 200})
    conn.close()  # the last connection checkpoints the WAL into the file


def _junk_head(path: Path) -> None:
    """The first two pages overwritten with junk (header and schema gone)."""
    with open(path, "r+b") as fh:
        fh.write(os.urandom(8192))


def _truncated(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


DAMAGE = {"junk_head": _junk_head, "truncated": _truncated}


@pytest.fixture
def clean_caches():
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_integrity_check_names_the_file(data_dir: Path, damage: str) -> None:
    path = paths.db_path()
    _database_with_data(path)
    db.check_integrity(path)  # a sound file passes
    DAMAGE[damage](path)
    with pytest.raises(db.DatabaseDamaged) as info:
        db.check_integrity(path)
    assert str(path) in info.value.zh and str(path) in info.value.en
    assert "备份" in info.value.zh and "backup" in info.value.en
    db.check_integrity(data_dir / "missing.sqlite")  # a missing file passes (connect creates it)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_no_page_shows_a_traceback_on_a_damaged_database(data_dir: Path, clean_caches, damage: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of the app (app.py's navigation, as a browser opens it), as anonymous and as editor."""
    import ui.errors

    monkeypatch.setattr(ui.errors, "_CHECKED", set())
    path = paths.db_path()
    _database_with_data(path)
    DAMAGE[damage](path)
    for page in APP_PAGES:
        for lang in ("zh", "en"):
            at = app_test("app.py", timeout_s=300)
            at.session_state["lang"] = lang
            at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() + 3600}
            at.switch_page(page)
            at.run()
            assert not at.exception, (page, [e.message[:300] for e in at.exception])
            errors = " ".join(e.value for e in at.error)
            assert str(path) in errors, (page, errors)
            assert ("损坏" in errors) == (lang == "zh") and ("damaged" in errors) == (lang == "en")


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_the_server_refuses_to_start_on_a_damaged_database(data_dir: Path, damage: str) -> None:
    path = paths.db_path()
    _database_with_data(path)
    DAMAGE[damage](path)
    before = path.read_bytes()
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "ui.serve", "--server.port", "1"], cwd=REPO, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 2, out.stdout + out.stderr
    assert time.monotonic() - t0 < 60
    assert str(path) in out.stderr and "damaged" in out.stderr and "损坏" in out.stderr
    assert "Traceback" not in out.stderr
    assert path.read_bytes() == before  # the check changes nothing


def test_served_runs_hide_error_details() -> None:
    from ui import serve

    assert serve.served_args(["--server.port", "8501"]) == [
        "--server.port", "8501", "--client.showErrorDetails", "none"]
    # an explicit flag wins (a developer debugging a served run)
    assert serve.served_args(["--client.showErrorDetails=full"]) == ["--client.showErrorDetails=full"]


def test_a_full_disk_on_save_gives_the_clear_message_and_saves_nothing(demo_data_dir: Path, clean_caches,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's "database or disk is full" in the middle of a save (simulated in the audit write)."""
    import geopandas as gpd
    from shapely.geometry import Point

    import ui.common
    from cyc_geo.indicators import catalogue as ind

    # not under test: the spatial indicators and the big layers they read
    monkeypatch.setattr(ind, "spatial_values", lambda catalogue=None, pv_scenario=None: {})
    monkeypatch.setattr(ui.common, "load_layer", lambda layer_id: gpd.GeoDataFrame(
        {"a": [1]}, geometry=[Point(114.7, 35.2)], crs="EPSG:4326"))
    at = app_test("app.py", timeout_s=300)
    at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() + 3600}
    at.switch_page("views/indicators.py")
    at.run()
    assert not at.exception
    rows = list(at.data_editor(key="ind_editor_2024_0").value["no"])
    at.session_state["ind_editor_2024_0"] = {"edited_rows": {rows.index(3): {"value": "250"}},
                                            "added_rows": [], "deleted_rows": []}
    at.run()

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db, "audit", full)
    at.button(key="ind_save").click().run()
    assert not at.exception, [e.message[:300] for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "磁盘空间已满" in errors and "没有写入半个" in errors
    monkeypatch.undo()
    conn = db.connect()
    assert ind.read_values(conn).empty  # the value's row was rolled back with the failed audit write
    conn.close()


def test_a_full_disk_on_a_file_write_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "export.geojson"
    target.write_bytes(b"old")
    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, fd: int, mode: str) -> None:
            self._fh = real_fdopen(fd, mode)

        def write(self, data: bytes) -> int:
            self._fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self._fh.close()

    monkeypatch.setattr(paths.os, "fdopen", FullFile)
    with pytest.raises(OSError) as info:
        paths.write_atomic(target, b"new contents" * 1000)
    assert db.is_disk_full(info.value)
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    from ui.errors import storage_message

    with monkeypatch.context() as m:
        m.setattr("ui.errors.tr", lambda zh, en: en)
        assert "disk is full" in storage_message(info.value)
        assert storage_message(sqlite3.OperationalError("database or disk is full")).startswith("The disk is full")
        assert storage_message(ValueError("x")) is None


def test_a_full_disk_in_a_widget_callback_gives_the_message(tmp_path: Path, clean_caches,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The PV page saves a scenario in a button callback (outside app.py's guard): same message, nothing saved."""
    from cyc_geo.pv import scenarios

    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "pv.sqlite"))
    monkeypatch.chdir(REPO)
    at = app_test("views/pv.py", timeout_s=300)
    at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() + 3600}
    at.run()
    at.text_input(key="pv_save_name").input("方案A").run()

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db, "audit", full)
    at.button(key="pv_save").click().run()
    assert not at.exception, [e.message[:300] for e in at.exception]
    assert any("磁盘空间已满" in e.value for e in at.error)
    monkeypatch.undo()
    conn = db.connect(tmp_path / "pv.sqlite")
    assert scenarios.list_scenarios(conn) == []
    conn.close()
