"""Killing a CLI import at many points - including while the new version is being written and right
after its record is saved - leaves the layer fully old or fully new, readable, with a consistent
import history after restart (the same for the real app during an upload:
tests/browser/test_load_fault.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import REPO
from import_helpers import CENTRE_4547, squares, write_shapefile_zip

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.catalog.vector_io import read_meta
from cyc_geo.ingest.importer import import_file

BIG_N = 10_000


def _big_geojson(folder: Path, n: int = BIG_N) -> Path:
    x, y = CENTRE_4547
    side = 40.0
    cols = 150
    geoms = [shapely.box(x + (i % cols) * 60 - 4500, y + (i // cols) * 60 - 4000,
                         x + (i % cols) * 60 - 4500 + side, y + (i // cols) * 60 - 4000 + side) for i in range(n)]
    gdf = gpd.GeoDataFrame({"code": [f"B{i}" for i in range(n)], "name": ["新"] * n}, geometry=geoms, crs="EPSG:4547")
    path = folder / "big.geojson"
    gdf.to_crs("EPSG:4326").to_file(path)
    return path


def _state(conn) -> tuple[str, int]:
    """('old'|'new', features) of the active townships file; also checks history consistency."""
    active = sources.active_import_path("townships")
    n = len(gpd.read_file(active))
    version = read_meta(active, "townships")[layer_versions.VERSION_KEY]
    hist = layer_versions.list_versions(conn, "townships")  # reconciles after a crash
    actives = [h for h in hist if h["active"]]
    assert len(actives) == 1 and actives[0]["counts"]["version"] == version
    assert n in (3, BIG_N), n
    return ("old" if n == 3 else "new"), n


def _cli_import(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cyc_geo", "import", str(path), "--layer", "townships", "--json"],
        cwd=REPO, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_for(pred, proc: subprocess.Popen, timeout: float = 120.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if pred():
            return True
        time.sleep(0.005)
    return False


def _writing(folder: Path) -> bool:
    """True while a new version's GeoPackage is being written (its temporary file exists)."""
    return folder.exists() and any(e.name.startswith(".") and e.name.endswith(".tmp.gpkg") for e in os.scandir(folder))


def _sidecar_count(folder: Path) -> int:
    return len(list(folder.glob("*.json"))) if folder.exists() else 0


@pytest.mark.slow
def test_kill_cli_import_at_many_points_leaves_old_or_new(data_dir: Path, tmp_path: Path) -> None:
    conn = db.connect()
    import_file(write_shapefile_zip(squares(3), tmp_path / "old"), "townships", "tester", conn=conn)
    big = _big_geojson(tmp_path)
    versions = layer_versions.versions_dir("townships")
    # reference run: how long a whole import takes
    t0 = time.perf_counter()
    proc = _cli_import(big)
    assert proc.wait(timeout=300) == 0
    full = time.perf_counter() - t0
    assert _state(conn) == ("new", BIG_N)
    layer_versions.rollback(conn, "townships", "tester")
    assert _state(conn)[0] == "old"

    outcomes = []
    # deterministic points: while the new version file is being written; right after its record is saved;
    # then fractions of the measured full import time
    points = ["writing", "sidecar", 0.6, 0.9]
    for label in points:
        before = _sidecar_count(versions)
        proc = _cli_import(big)
        if label == "writing":
            hit = _wait_for(lambda: _writing(versions), proc)
        elif label == "sidecar":
            hit = _wait_for(lambda b=before: _sidecar_count(versions) > b, proc)
        else:
            time.sleep(label * full)
            hit = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        state, _ = _state(conn)  # "restart": a fresh read of files and history
        outcomes.append((label, hit, state))
        if state == "new":
            layer_versions.rollback(conn, "townships", "tester")
    print("\nkill points:", outcomes, f"(full import {full:.1f} s)")
    assert outcomes[0][1] and outcomes[0][2] == "old"  # killed while writing: the old data stays
    assert outcomes[1][1]  # killed after the record, before/after the switch: either, but consistent
    # the next import cleans up what the killed ones left and succeeds
    rec = import_file(big, "townships", "tester", conn=conn)
    assert rec["features"] == BIG_N and not _writing(versions)
    data_files = {p.stem for p in versions.glob("*.gpkg")}
    assert data_files == {p.stem for p in versions.glob("*.json")}  # no orphan version files
