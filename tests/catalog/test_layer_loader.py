"""The one way into layer data (cyc_geo.catalog.loader): the planner's import > a file in data/boundaries >
the layer's source file > its demo builder, then the declared transform; and no module but the
catalogue reaches the demo builders."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cyc_geo.catalog.vector_io import write_layer

REPO = Path(__file__).resolve().parents[2]
while not (REPO / "cyc_geo").is_dir():  # the test may live in a subfolder of tests/
    REPO = REPO.parent

BUILDER = '''
from pathlib import Path

import geopandas as gpd
import shapely

from cyc_geo import paths
from cyc_geo.catalog.vector_io import write_layer

CALLS = []


def build():
    """Demo builder: two points, flagged demo, written to the layer's source file."""
    CALLS.append("build")
    out = paths.data_dir() / "own" / "wells.gpkg"
    out.parent.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame({"name": ["demo1", "demo2"]}, geometry=[shapely.Point(114.7, 35.2)] * 2, crs=4326)
    return write_layer(gdf, out, "wells", {"source": "demo wells", "demo": "true", "approximate": "true"})


def stale(path):
    return path.with_suffix(".stale").exists()


def derive(gdf):
    """Transform: records which step supplied the data."""
    gdf["origin"] = gdf.attrs["origin"][0]
    gdf["n"] = len(gdf)
    return gdf
'''


def _wells(names: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": names}, geometry=[shapely.Point(114.75, 35.15)] * len(names), crs=4326)


@pytest.fixture
def wells(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """A registry of one layer ``wells`` (source + demo builder + stale check + transform) over an empty data folder."""
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "wells_layer.py").write_text(BUILDER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(mods))
    layers = tmp_path / "layers"
    layers.mkdir()
    (layers / "wells.toml").write_text(textwrap.dedent('''\
        id = "wells"
        title_zh = "机井"
        title_en = "Wells"
        geometry = "point"
        source = "own/wells.gpkg"
        demo = "wells_layer:build"
        demo_stale = "wells_layer:stale"
        transform = "wells_layer:derive"
        '''), encoding="utf-8")
    monkeypatch.setenv("CYC_GEO_LAYERS_DIR", str(layers))
    import wells_layer

    wells_layer.CALLS.clear()
    return wells_layer


def test_the_loader_order_is_import_then_boundaries_then_source_then_demo_build(wells, data_dir: Path) -> None:
    from cyc_geo.catalog import sources
    from cyc_geo.catalog.loader import load_layer, resolve

    # 4. nothing there: the demo builder writes the source file, which is read, then transformed
    gdf = load_layer("wells")
    assert wells.CALLS == ["build"] and list(gdf["name"]) == ["demo1", "demo2"]
    assert list(gdf["origin"]) == ["built"] * 2 and list(gdf["n"]) == [2, 2]
    assert gdf.attrs["meta"]["demo"] == "true"
    # 3. the source file exists: read, not rebuilt
    (data_dir / "own" / "wells.gpkg").unlink()
    write_layer(_wells(["own"]), data_dir / "own" / "wells.gpkg", "wells", {"source": "bundled", "demo": "false"})
    gdf = load_layer("wells")
    assert wells.CALLS == ["build"] and list(gdf["name"]) == ["own"] and list(gdf["origin"]) == ["source"]
    # ... unless the builder's stale check asks for a rebuild
    (data_dir / "own" / "wells.stale").touch()
    assert list(load_layer("wells")["name"]) == ["demo1", "demo2"] and wells.CALLS == ["build", "build"]
    (data_dir / "own" / "wells.stale").unlink()
    # 2. a planner's file in data/boundaries wins over the source, flagged not demo, transformed too
    _wells(["b1", "b2", "b3"]).to_file(data_dir / "boundaries" / "wells.geojson", driver="GeoJSON")
    gdf = load_layer("wells")
    assert list(gdf["name"]) == ["b1", "b2", "b3"] and list(gdf["n"]) == [3, 3, 3]
    assert list(gdf["origin"]) == ["planner"] * 3 and gdf.attrs["meta"]["demo"] == "false"
    # 1. the active import wins over the boundaries file
    write_layer(_wells(["imported"]), sources.active_import_path("wells"), "wells", {"source": "import"})
    gdf = load_layer("wells")
    assert list(gdf["name"]) == ["imported"] and resolve("wells") == ("planner", sources.active_import_path("wells"))
    # transform=False: the data as stored
    assert "n" not in load_layer("wells", transform=False).columns
    assert wells.CALLS == ["build", "build"]


def test_a_layer_without_file_or_builder_says_so(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyc_geo.catalog.loader import load_layer

    (tmp_path / "x.toml").write_text('id = "x"\ntitle_zh = "甲"\ntitle_en = "X"\ngeometry = "point"\nsource = "no/x.gpkg"\n')
    monkeypatch.setenv("CYC_GEO_LAYERS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="数据文件不存在.*not found"):
        load_layer("x")
    with pytest.raises(KeyError):
        load_layer("nothing")


def test_cropland_is_a_layer_and_the_land_check_reads_it_from_the_catalogue(data_dir: Path) -> None:
    """耕地 has its own TOML: a planner's file in data/boundaries is what the land check's context holds."""
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.planning.landcheck import CheckContext

    layer = get_layer("cropland")
    assert layer.source and layer.demo and layer.schema["required"] == ["class_code"]
    poly = shapely.box(114.70, 35.10, 114.71, 35.11)
    gpd.GeoDataFrame({"class_code": ["0103"]}, geometry=[poly], crs=4326).to_file(
        data_dir / "boundaries" / "cropland.geojson", driver="GeoJSON")
    crop = CheckContext().get("cropland")
    assert list(crop["class_code"]) == ["0103"] and crop.attrs["meta"]["demo"] == "false"


def _imports(path: Path) -> set[str]:
    """Modules a file imports (module level and inside functions), ``from a import b`` as ``a`` and ``a.b``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_no_module_but_the_catalogue_reaches_demo_builders_or_planner_files() -> None:
    """Demo builders are named in the layer TOMLs and imported by the catalogue only; no domain module imports
    cyc_geo.demo or asks for a planner file itself (it loads the layer by id)."""
    offenders = []
    for path in sorted((REPO / "cyc_geo").rglob("*.py")):
        rel = path.relative_to(REPO)
        if rel.parts[1] in ("catalog", "demo"):
            continue
        names = _imports(path)
        if any(n == "cyc_geo.demo" or n.startswith("cyc_geo.demo.") for n in names):
            offenders.append(f"{rel}: imports cyc_geo.demo")
        if "cyc_geo.catalog.sources.planner_file" in names:
            offenders.append(f"{rel}: imports planner_file")
    assert offenders == []


def test_a_layer_definition_is_plain_data() -> None:
    """The registry imports no loader: a LayerDef cannot load itself (that made registry <-> sources a cycle)."""
    from cyc_geo.catalog.registry import LayerDef

    assert not hasattr(LayerDef, "load") and not hasattr(LayerDef, "build_demo")
    names = _imports(REPO / "cyc_geo" / "catalog" / "registry.py")
    assert not {n for n in names if n.startswith(("cyc_geo.catalog.sources", "cyc_geo.catalog.loader"))}


def test_a_planner_sites_file_replaces_the_demo_project_sites(data_dir: Path) -> None:
    """Layer ``projects``: a file named after the layer id in data/boundaries is the stored sites, under the saved
    edits and the project table's names (its transform); the land check's ``sites`` are the same layer."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.planning.landcheck import CheckContext

    poly = shapely.box(114.70, 35.10, 114.71, 35.11)
    gpd.GeoDataFrame({"project_no": [1]}, geometry=[poly], crs=4326).to_file(
        data_dir / "boundaries" / "projects.geojson", driver="GeoJSON")
    layer = load_layer("projects")
    assert list(layer["project_no"]) == [1] and list(layer["source"]) == ["planner file"]
    assert layer.loc[0, "name"] and not bool(layer.loc[0, "demo"]) and layer.attrs["meta"]["demo"] == "false"
    sites = CheckContext().get("sites")
    assert list(sites["project_no"]) == [1] and sites.geometry.iloc[0].equals(layer.geometry.iloc[0])
