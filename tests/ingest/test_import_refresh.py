"""An import is seen by the running app without a restart (caches keyed by the layer's source version).

The map page runs in this process through AppTest; roofs are imported with the importer into a
temporary data folder between two reruns of the same session, as the import page would.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import streamlit as st
from import_helpers import CENTRE_4547

from cyc_geo.catalog import sources
from cyc_geo.ingest.importer import import_file
from tests.conftest import app_test

REPO = Path(__file__).resolve().parents[2]


def _roofs_file(folder: Path, n: int) -> Path:
    """``n`` 20 m × 20 m roofs 60 m apart at the county centre (EPSG:4547), as a GeoPackage."""
    x0, y0 = CENTRE_4547
    geoms = [shapely.box(x0 + 60 * i, y0, x0 + 60 * i + 20, y0 + 20) for i in range(n)]
    gdf = gpd.GeoDataFrame({"building_class": ["public"] * n, "roof_type": ["flat"] * n}, geometry=geoms,
                           crs="EPSG:4547")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"roofs_{n}.gpkg"
    gdf.to_file(path, layer="roofs", driver="GPKG", engine="pyogrio")
    return path


def _metric(at, label: str) -> int:
    return next(int(str(m.value).replace(",", "")) for m in at.sidebar.get("metric") if m.label == label)


def test_source_version_changes_with_each_import_and_rollback(data_dir: Path, tmp_path: Path) -> None:
    from cyc_geo import db
    from cyc_geo.catalog import versions

    assert sources.source_version("rooftops") == "missing"  # a loader layer whose demo file is built on demand
    import_file(_roofs_file(tmp_path / "a", 3), "rooftops", "alice")
    first = sources.source_version("rooftops")
    assert first.startswith("planner:") and "active.gpkg" in first
    time.sleep(0.01)
    import_file(_roofs_file(tmp_path / "b", 5), "rooftops", "alice")
    second = sources.source_version("rooftops")
    assert second != first
    versions.rollback(db.connect(), "rooftops", "alice")
    assert sources.source_version("rooftops") != second


def test_a_source_layer_is_versioned_by_its_file(data_dir: Path) -> None:
    from cyc_geo.catalog.registry import get_layer

    layer = next(layer for layer in map(get_layer, ("belt", "river", "projects")) if layer.source)
    path = sources.source_path(layer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"type": "FeatureCollection", "features": []}')
    version = sources.source_version(layer.id)
    assert version.startswith("source:") and str(path) in version
    assert sources.source_version("no_such_layer") == "missing"


def test_map_shows_imported_roofs_without_a_restart(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    st.cache_resource.clear()
    st.cache_data.clear()
    import_file(_roofs_file(tmp_path / "a", 3), "rooftops", "alice")
    at = app_test("views/map.py")
    at.run()
    at.checkbox(key="layer_rooftops").check().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "建筑屋顶数") == 3

    time.sleep(0.01)
    import_file(_roofs_file(tmp_path / "b", 5), "rooftops", "alice")  # no cache cleared on purpose
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "建筑屋顶数") == 5


@pytest.mark.parametrize("write", ["import", "rollback"])
def test_import_page_clears_both_caches(write: str, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("data_import_page", REPO / "views" / "data_import.py")
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    monkeypatch.setattr(page, "require_editor", lambda: "alice")
    st.cache_resource.clear()  # the cached DB connection must point at this test's database
    st.cache_data.clear()
    calls: list[str] = []

    @st.cache_resource
    def shared() -> object:
        calls.append("resource")
        return object()

    @st.cache_data
    def copied() -> int:
        calls.append("data")
        return 1

    import_file(_roofs_file(tmp_path / "a", 3), "rooftops", "alice")
    shared(), copied()
    if write == "import":
        path = _roofs_file(tmp_path / "b", 4)
        page.do_import({"path": str(path), "name": path.name}, "rooftops")
    else:
        page.do_rollback("rooftops")
    shared(), copied()
    assert calls == ["resource", "data", "resource", "data"]
