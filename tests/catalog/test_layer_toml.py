"""A layer is one TOML file: a data file plus a TOML, no Python, reaches the CLI and the map page."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cyc_geo.catalog.loader import load_layer
from cyc_geo.catalog.registry import load_registry, parse_layer
from tests.conftest import REPO, app_test

BASE = {"id": "x", "title_zh": "甲", "title_en": "X", "geometry": "point"}

WELLS_TOML = """id = "wells"
title_zh = "机井（测试）"
title_en = "Wells (test)"
geometry = "point"
source = "extra/wells.geojson"
tooltip = ["name"]
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "give 'source'"),
        ({"loader": "a:b"}, "unknown keys"),
        ({"source": "f.geojson", "transform": "no_colon"}, "transform must be 'module:function'"),
        ({"source": "../outside.geojson"}, "inside the data folder"),
        ({"source": "/etc/passwd"}, "inside the data folder"),
        ({"source": "f.geojson", "demo": "no_colon"}, "demo must be 'module:function'"),
        ({"source": "f.geojson", "colour": "#fff"}, "unknown keys"),
        ({"source": "f.geojson", "style": {"colour": "#fff"}}, "unknown key 'colour' in \\[style\\]"),
        ({"source": "f.geojson", "style": {"weight": "thick"}}, "weight has the wrong type"),
        ({"source": "f.geojson", "legend": {"kind": "bubbles"}}, "legend kind must be"),
        ({"source": "f.geojson", "scenario": "wind"}, "scenario must be"),
    ],
)
def test_bad_layer_files_are_refused_with_the_reason(extra, message):
    with pytest.raises(ValueError, match=message):
        parse_layer({**BASE, **extra}, "x.toml")


def test_the_registry_picks_up_a_new_file_without_a_restart(tmp_path):
    (tmp_path / "a.toml").write_text('id = "a"\ntitle_zh = "甲"\ntitle_en = "A"\ndemo = "m:f"\ngeometry = "point"\n')
    assert [d.id for d in load_registry(tmp_path)] == ["a"]
    (tmp_path / "b.toml").write_text('id = "b"\ntitle_zh = "乙"\ntitle_en = "B"\nsource = "b.gpkg"\ngeometry = "line"\n')
    assert [d.id for d in load_registry(tmp_path)] == ["a", "b"]
    (tmp_path / "a.toml").unlink()
    assert [d.id for d in load_registry(tmp_path)] == ["b"]


def test_a_source_layer_without_its_file_says_which_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(tmp_path))
    layer = parse_layer({**BASE, "source": "missing.geojson"})
    with pytest.raises(FileNotFoundError, match="missing.geojson"):
        load_layer(layer)


def test_a_source_layer_is_built_by_its_demo_builder_when_missing(tmp_path, monkeypatch):
    """The belt is declared as source + demo builder: an empty data folder gets it built."""
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(tmp_path))
    (tmp_path / "boundaries").mkdir()
    (belt,) = [d for d in load_registry() if d.id == "belt"]
    assert belt.source and belt.demo and not belt.transform
    gdf = load_layer(belt)
    assert (tmp_path / belt.source).exists()
    assert set(gdf["zone"]) == {"floodplain", "corridor"}
    assert gdf.attrs["meta"]["demo"] == "true"


def _wells(path: Path) -> gpd.GeoDataFrame:
    """Three wells inside the county (WGS84), written as GeoJSON with no provenance metadata."""
    gdf = gpd.GeoDataFrame(
        {"name": ["一号井", "二号井", "三号井"]},
        geometry=[shapely.Point(114.68, 35.20), shapely.Point(114.75, 35.15), shapely.Point(114.80, 35.25)],
        crs="EPSG:4326",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, driver="GeoJSON")
    return gdf


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A scratch copy of the layer folder and the data folder, plus a GeoJSON and one TOML."""
    layers = tmp_path / "layers"
    shutil.copytree(REPO / "layers", layers)
    data = tmp_path / "data"
    src = REPO / "data"
    shutil.copytree(src, data, ignore=shutil.ignore_patterns("*.sqlite*", "layers", "uploads"))
    _wells(data / "extra" / "wells.geojson")
    (layers / "wells.toml").write_text(WELLS_TOML, encoding="utf-8")
    monkeypatch.setenv("CYC_GEO_LAYERS_DIR", str(layers))
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(data))
    monkeypatch.setenv("CYC_GEO_DB", str(data / "test.sqlite"))
    return tmp_path


@pytest.mark.slow
def test_a_geojson_and_one_toml_make_a_layer_on_the_cli_and_the_map(scratch):
    out = subprocess.run([sys.executable, "-m", "cyc_geo", "layers", "--json"], cwd=REPO, capture_output=True,
                         text=True, check=True, env=os.environ.copy())
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert rows["wells"]["features"] == 3
    assert rows["wells"]["title_zh"] == "机井（测试）" and rows["wells"]["demo"] is False
    assert rows["wells"]["crs"] == "EPSG:4326"
    assert "county" in rows and "rooftops" in rows  # the other layers are still there

    at = app_test("views/map.py")
    at.run()
    assert not at.exception, at.exception
    box = at.sidebar.checkbox(key="layer_wells")
    assert box.label == "机井（测试）" and box.value is True
    (comp,) = list(at.get("component_instance"))
    drawn = json.dumps(json.loads(comp.proto.json_args), ensure_ascii=False)
    from cyc_geo.mapview.static_payloads import with_payloads

    drawn = with_payloads(drawn)  # the layers' data are fetched files
    drawn = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), drawn)
    for name in ("一号井", "二号井", "三号井"):
        assert name in drawn
    assert "四号井" not in drawn
