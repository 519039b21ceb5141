"""Rollback returns to the state before the latest change; readers never repair the history mid-import."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from import_helpers import squares, write_shapefile_zip

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.ingest.importer import import_file


def _active_version() -> str | None:
    return layer_versions.embedded_version(sources.active_import_path("townships"))


def test_rollback_after_rollback_and_import_returns_to_the_state_before(data_dir: Path, tmp_path: Path) -> None:
    # before: history #1, #2 (broken), rollback to #1, import #3; the next rollback activated #2
    conn = db.connect()
    r1 = import_file(write_shapefile_zip(squares(2), tmp_path / "a"), "townships", "t", conn=conn)
    r2 = import_file(write_shapefile_zip(squares(3), tmp_path / "b"), "townships", "t", conn=conn)
    assert layer_versions.rollback(conn, "townships", "t")["to"] == r1["import_id"]
    r3 = import_file(write_shapefile_zip(squares(4), tmp_path / "c"), "townships", "t", conn=conn)
    back = layer_versions.rollback(conn, "townships", "t")
    assert back == {"layer": "townships", "from": r3["import_id"], "to": r1["import_id"]}
    assert _active_version() == r1["version"]
    assert layer_versions.rollback(conn, "townships", "t")["to"] is None  # #1 replaced demo data
    assert not sources.active_import_path("townships").exists()
    # an activation is a change too: rolling it back returns to what was active before it
    layer_versions.activate(conn, "townships", r2["import_id"], "t")
    layer_versions.activate(conn, "townships", r3["import_id"], "t")
    assert layer_versions.rollback(conn, "townships", "t")["to"] == r2["import_id"]
    assert _active_version() == r2["version"]


def test_import_and_rollback_under_a_concurrent_reader(data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    # before: list_versions() ran reconcile() without the lock, so a reader between the importer's
    # file switch and its database commit recorded the import a second time (16 imports -> 21 rows)
    real_record = layer_versions.record_import

    def slow_record(*args, **kwargs):  # a slow database commit widens the window between switch and record
        time.sleep(0.05)
        return real_record(*args, **kwargs)

    monkeypatch.setattr(layer_versions, "record_import", slow_record)
    files = [write_shapefile_zip(squares(1 + i % 3), tmp_path / f"f{i}") for i in range(8)]
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        conn = db.connect()
        try:
            while not stop.is_set():
                hist = layer_versions.list_versions(conn, "townships")
                seen.append(sum(v["active"] for v in hist))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        conn = db.connect()
        records = [import_file(f, "townships", "t", conn=conn) for f in files]
        result = layer_versions.rollback(conn, "townships", "t")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors
    rows = conn.execute("SELECT COUNT(*) FROM layer_imports WHERE layer = 'townships'").fetchone()[0]
    assert rows == len(files)
    assert result == {"layer": "townships", "from": records[-1]["import_id"], "to": records[-2]["import_id"]}
    assert _active_version() == records[-2]["version"]  # the file changed with the record
    hist = layer_versions.list_versions(conn, "townships")
    assert [v["id"] for v in hist if v["active"]] == [records[-2]["import_id"]]
    assert seen and max(seen) <= 1
