"""Importer: formats, encodings, CRS detection, repairs, schema mapping, versions and rollback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from import_helpers import CENTRE_4547, squares, write_raster, write_shapefile_zip, zip_folder
from pyproj import CRS

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.geo.crs import WGS84, area_m2
from cyc_geo.geo.detect import gk_epsg, suggest_crs
from cyc_geo.ingest.importer import ImportFailure, detect_bytes_encoding, import_file
from cyc_geo.places.townships import load_townships

REPO = Path(__file__).resolve().parents[2]
NAMES = ["蒲西街道", "魏庄街道", "樊相镇", "芦岗乡"]


def _imp(path: Path, layer: str = "townships", **kw):
    return import_file(path, layer, "tester", **kw)


# ---------------------------------------------------------------- CRS detection


@pytest.mark.parametrize(
    ("width", "zone", "prefix", "family", "expected_name"),
    [
        (3, 38, True, 0, "CGCS2000 / 3-degree Gauss-Kruger zone 38"),
        (3, 38, False, 0, "CGCS2000 / 3-degree Gauss-Kruger CM 114E"),
        (3, 25, True, 0, "CGCS2000 / 3-degree Gauss-Kruger zone 25"),
        (3, 45, False, 0, "CGCS2000 / 3-degree Gauss-Kruger CM 135E"),
        (3, 38, True, 1, "Xian 1980 / 3-degree Gauss-Kruger zone 38"),
        (3, 38, False, 1, "Xian 1980 / 3-degree Gauss-Kruger CM 114E"),
        (3, 38, True, 2, "Beijing 1954 / 3-degree Gauss-Kruger zone 38"),
        (3, 38, False, 2, "Beijing 1954 / 3-degree Gauss-Kruger CM 114E"),
        (6, 20, True, 0, "CGCS2000 / Gauss-Kruger zone 20"),
        (6, 20, False, 0, "CGCS2000 / Gauss-Kruger CM 117E"),
        (6, 20, True, 1, "Xian 1980 / Gauss-Kruger zone 20"),
        (6, 20, False, 2, "Beijing 1954 / Gauss-Kruger 20N"),
    ],
)
def test_gk_epsg_codes_match_pyproj(width, zone, prefix, family, expected_name) -> None:
    assert CRS.from_epsg(gk_epsg(width, zone, prefix, family)).name == expected_name


def test_zone_suggestions_from_magnitudes() -> None:
    x, y = CENTRE_4547
    with_prefix = [s.crs for s in suggest_crs((38e6 + x - 1e4, y - 1e4, 38e6 + x + 1e4, y + 1e4))]
    assert with_prefix[0] == "EPSG:4526" and set(with_prefix) == {"EPSG:4526", "EPSG:2362", "EPSG:2414"}
    no_prefix = [s.crs for s in suggest_crs((x - 1e4, y - 1e4, x + 1e4, y + 1e4))]
    assert no_prefix[0] == "EPSG:4547" and set(no_prefix) == {"EPSG:4547", "EPSG:2383", "EPSG:2435"}
    geo = [s.crs for s in suggest_crs((114.6, 35.1, 114.8, 35.3))]
    assert geo[:2] == ["EPSG:4490", "EPSG:4326"] and "GCJ02" in geo
    assert suggest_crs((500.0, 500.0, 900.0, 900.0)) == []  # local coordinates: nothing fits


# ---------------------------------------------------------------- encodings


def test_detect_bytes_encoding() -> None:
    assert detect_bytes_encoding(["长垣".encode()]) == "UTF-8"
    assert detect_bytes_encoding(["长垣".encode("gbk")]) == "GBK"
    assert detect_bytes_encoding(["长垣㐀".encode("gb18030")]) == "GB18030"  # CJK Ext-A is outside GBK
    # a fixed-width DBF field may cut the last UTF-8 character
    assert detect_bytes_encoding(["蒲西街道".encode()[:-1]]) == "UTF-8"


def test_gbk_shapefile_round_trip_without_cpg(data_dir: Path, tmp_path: Path) -> None:
    src = squares(4, names=NAMES)
    zipped = write_shapefile_zip(src, tmp_path, encoding="GBK")
    with __import__("zipfile").ZipFile(zipped) as zf:
        assert not any(n.endswith(".cpg") for n in zf.namelist())
    rec = _imp(zipped)
    assert rec["encoding"] == "GBK" and rec["features"] == 4 and rec["layer"] == "townships"
    got = load_townships()
    assert sorted(got["name"]) == sorted(NAMES)
    assert sorted(got["code"]) == sorted(src["XZQDM"])
    assert rec["mapping"] == {"code": "XZQDM", "name": "XZQMC"}


def test_utf8_shapefile_without_cpg_and_forced_encoding(data_dir: Path, tmp_path: Path) -> None:
    zipped = write_shapefile_zip(squares(2, names=NAMES), tmp_path, encoding="UTF-8")
    assert _imp(zipped)["encoding"] == "UTF-8"
    assert sorted(load_townships()["name"]) == sorted(NAMES[:2])
    gbk = write_shapefile_zip(squares(2, names=NAMES), tmp_path / "g", encoding="GBK")
    rec = _imp(gbk, encoding="GB18030")  # GB18030 is a superset of GBK: same text
    assert rec["encoding"] == "GB18030" and sorted(load_townships()["name"]) == sorted(NAMES[:2])


def test_gbk_geojson_is_transcoded(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.geojson"
    path.write_bytes(squares(2, crs=WGS84, names=NAMES).to_json(ensure_ascii=False).encode("gbk"))
    rec = _imp(path)
    assert rec["encoding"] == "GBK"
    assert sorted(load_townships()["name"]) == sorted(NAMES[:2])


# ---------------------------------------------------------------- Gauss-Kruger areas


@pytest.mark.parametrize("epsg", ["EPSG:4526", "EPSG:4547", "EPSG:2362", "EPSG:2383"])
def test_gauss_kruger_input_without_prj_areas_within_0_1_percent(data_dir: Path, tmp_path: Path, epsg: str) -> None:
    """Known values: the squares are exactly 1 km² and 0.25 km² in CGCS2000 GK CM 114E."""
    gdf = squares(3, side_m=1000.0)
    gdf.loc[3] = ["410783099000", "小方块", shapely.box(CENTRE_4547[0], CENTRE_4547[1] - 2000, CENTRE_4547[0] + 500, CENTRE_4547[1] - 1500)]
    known = np.array([1e6, 1e6, 1e6, 0.25e6])
    # the coordinates are the same numbers in every family (datum differences are metres), as in real files
    raw = gdf.set_crs(epsg, allow_override=True) if epsg != "EPSG:4547" else gdf
    if epsg in ("EPSG:4526", "EPSG:2362"):
        raw = raw.set_geometry(shapely.transform(raw.geometry.values, lambda c: c + [38e6, 0]))
    zipped = write_shapefile_zip(raw, tmp_path, keep_prj=False)
    with pytest.raises(ImportFailure) as err:
        _imp(zipped)
    assert err.value.code == "crs_needed"
    suggested = [s["crs"] for s in err.value.details["suggestions"]]
    assert epsg in suggested
    rec = _imp(zipped, crs=suggested[0] if epsg in ("EPSG:4526", "EPSG:4547") else epsg)
    got = load_townships().set_index("code").loc[gdf["XZQDM"]]
    rel = np.abs(area_m2(got).to_numpy() - known) / known
    assert rel.max() < 1e-3, rel
    assert rec["outside_county"] == 0


def test_township_areas_survive_gk_round_trip(data_dir: Path, tmp_path: Path) -> None:
    demo = load_townships()
    known = (demo.set_index("code")["area_km2"]).sort_index()
    gk = demo[["code", "name", "geometry"]].rename(columns={"code": "乡镇代码", "name": "乡镇名称"}).to_crs("EPSG:4526")
    path = tmp_path / "tw.gpkg"
    pyogrio.write_dataframe(gk, path, layer="xz")
    rec = _imp(path)
    assert rec["crs_in"] == "EPSG:4526" and rec["features"] == 18
    after = load_townships().set_index("code")["area_km2"].sort_index()
    assert np.allclose(after.to_numpy(), known.to_numpy(), rtol=1e-3)
    assert not load_townships()["approximate"].any()


# ---------------------------------------------------------------- formats


def test_geoparquet_filegdb_kml_gpkg(data_dir: Path, tmp_path: Path) -> None:
    gdf = squares(3, crs=WGS84, names=NAMES).rename(columns={"XZQDM": "code", "XZQMC": "name"})
    pq = tmp_path / "t.parquet"
    gdf.to_parquet(pq)
    assert _imp(pq)["features"] == 3
    gdb = tmp_path / "tw.gdb"
    pyogrio.write_dataframe(gdf, gdb, layer="townships", driver="OpenFileGDB")
    rec = _imp(zip_folder(gdb, tmp_path / "gdb.zip"))
    assert rec["format"] == "gdb" and sorted(load_townships()["name"]) == sorted(NAMES[:3])
    kml = tmp_path / "t.kml"
    pyogrio.write_dataframe(gdf.rename(columns={"name": "Name"}), kml, driver="KML")
    rec = _imp(kml, mapping={"code": "code", "name": "Name"})
    assert rec["features"] == 3 and sorted(load_townships()["name"]) == sorted(NAMES[:3])
    gp = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(gdf.to_crs("EPSG:4490"), gp)
    assert _imp(gp)["crs_in"] == "EPSG:4490"


def test_gcj02_choice_shifts_to_wgs84(data_dir: Path, tmp_path: Path) -> None:
    pts = gpd.GeoDataFrame({"code": ["1"], "name": ["点"]}, geometry=[shapely.Point(114.7, 35.2)], crs=WGS84)
    poly = pts.copy()
    poly["geometry"] = pts.to_crs("EPSG:4547").buffer(100).to_crs(WGS84)
    path = tmp_path / "gcj.geojson"
    poly.to_file(path)
    rec = _imp(path, crs="GCJ02")
    assert rec["crs_used"] == "GCJ02"
    c = load_townships().to_crs("EPSG:4547").geometry.centroid.iloc[0]
    c0 = pts.to_crs("EPSG:4547").geometry.iloc[0]
    shift = c0.distance(c)
    assert 300 < shift < 800  # GCJ-02 offset here is about 500 m (docs/sources.md, "GCJ-02")
    assert c.x < c0.x  # west shift


def test_raster_import_for_raster_layer(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layers = tmp_path / "layers"
    layers.mkdir()
    for f in (REPO / "layers").glob("*.toml"):
        (layers / f.name).write_bytes(f.read_bytes())
    (layers / "lc_test.toml").write_text(
        'id = "lc_test"\ntitle_zh = "地类"\ntitle_en = "Land cover"\nsource = "lc_test.tif"\ngeometry = "raster"\n'
    )
    monkeypatch.setattr("cyc_geo.paths.LAYERS_DIR", layers)
    tif = write_raster(tmp_path / "lc.tif")
    rec = _imp(tif, layer="lc_test")
    assert rec["crs_in"] == "EPSG:4547" and rec["features"] == 1600
    active = sources.active_raster_path("lc_test")
    import rasterio

    with rasterio.open(active) as src, rasterio.open(tif) as orig:
        assert np.array_equal(src.read(1), orig.read(1)) and src.crs == orig.crs
    # a raster without CRS is refused, with zone suggestions, and the old raster stays
    before = active.read_bytes()
    with pytest.raises(ImportFailure) as err:
        _imp(write_raster(tmp_path / "nocrs.tif", crs=None), layer="lc_test")
    assert err.value.code == "raster_no_crs" and err.value.details["suggestions"][0]["crs"] == "EPSG:4547"
    assert active.read_bytes() == before
    rec2 = _imp(tmp_path / "nocrs.tif", layer="lc_test", crs="EPSG:4547")
    assert rec2["crs_used"] == "EPSG:4547"
    with pytest.raises(ImportFailure) as wrong:
        _imp(tif, layer="townships")
    assert wrong.value.code == "wrong_geometry"


# ---------------------------------------------------------------- geometry cleaning and mapping


def test_repair_drop_and_outside_counts(data_dir: Path, tmp_path: Path) -> None:
    gdf = squares(4, crs="EPSG:4547")
    x, y = CENTRE_4547
    geoms = list(gdf.geometry)
    geoms[1] = shapely.Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])  # bow-tie: invalid
    geoms[2] = shapely.Polygon()  # empty
    geoms[3] = shapely.box(x + 200_000, y, x + 201_000, y + 1000)  # 200 km east: outside the county
    gdf = gdf.set_geometry(geoms)
    path = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(gdf, path)
    rec = _imp(path, crs=None)
    assert (rec["features"], rec["repaired"], rec["dropped"], rec["outside_county"]) == (3, 1, 1, 1)
    got = load_townships().set_index("code")
    assert got.geometry.is_valid.all()
    # the repaired bow-tie keeps both triangles: 2 x 0.25 km²
    assert area_m2(got.loc[["410783001000"]]).iloc[0] == pytest.approx(0.5e6, rel=1e-3)
    assert bool(got.loc["410783003000", "outside_county"]) and not bool(got.loc["410783000000", "outside_county"])


def test_unknown_columns_need_mapping(data_dir: Path, tmp_path: Path) -> None:
    gdf = squares(2, crs=WGS84).rename(columns={"XZQDM": "F1", "XZQMC": "F2"})
    path = tmp_path / "t.geojson"
    gdf.to_file(path)
    with pytest.raises(ImportFailure) as err:
        _imp(path)
    assert err.value.code == "mapping_needed" and set(err.value.details["missing"]) == {"code", "name"}
    assert err.value.details["columns"] == ["F1", "F2"]
    assert not sources.active_import_path("townships").exists()
    rec = _imp(path, mapping={"code": "F1", "name": "F2"})
    assert rec["mapping"] == {"code": "F1", "name": "F2"}
    assert sorted(load_townships()["code"]) == sorted(gdf["F1"])


# ---------------------------------------------------------------- versions, rollback, records


def test_versions_rollback_and_record(data_dir: Path, tmp_path: Path) -> None:
    conn = db.connect()
    first = write_shapefile_zip(squares(2, names=NAMES), tmp_path / "a")
    second = write_shapefile_zip(squares(3, names=NAMES), tmp_path / "b")
    r1 = _imp(first, conn=conn)
    r2 = _imp(second, conn=conn)
    assert len(load_townships()) == 3
    hist = layer_versions.list_versions(conn, "townships")
    assert [h["id"] for h in hist] == [r2["import_id"], r1["import_id"]] and [h["active"] for h in hist] == [1, 0]
    row = conn.execute("SELECT * FROM layer_imports WHERE id = ?", (r1["import_id"],)).fetchone()
    counts = json.loads(row["counts"])
    assert row["file_name"] == "tw.zip" and len(row["sha256"]) == 64 and row["imported_by"] == "tester"
    assert counts["features"] == 2 and row["imported_at"]
    assert layer_versions.rollback(conn, "townships", "tester") == {"layer": "townships", "from": r2["import_id"], "to": r1["import_id"]}
    assert len(load_townships()) == 2
    layer_versions.rollback(conn, "townships", "tester")
    assert not sources.active_import_path("townships").exists()
    demo = load_townships()
    assert len(demo) == 18 and demo["approximate"].all()
    with pytest.raises(ValueError):
        layer_versions.rollback(conn, "townships", "tester")
    actions = [a["action"] for a in db.audit_trail(conn, "layer")]
    assert actions == ["rollback", "rollback", "import", "import"]


def test_reconcile_after_crash_between_switch_and_commit(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = db.connect()
    r1 = _imp(write_shapefile_zip(squares(2), tmp_path / "a"), conn=conn)

    def crash(*a, **k):
        raise SystemExit("killed")

    with monkeypatch.context() as m, pytest.raises(SystemExit):
        m.setattr(layer_versions, "record_import", crash)
        _imp(write_shapefile_zip(squares(3), tmp_path / "b"), conn=conn)
    assert len(load_townships()) == 3  # the file switch happened
    hist = layer_versions.list_versions(conn, "townships")
    assert len(hist) == 2 and hist[0]["active"] == 1 and hist[1]["id"] == r1["import_id"] and hist[1]["active"] == 0


def test_cli_import_json(data_dir: Path, tmp_path: Path) -> None:
    zipped = write_shapefile_zip(squares(2, names=NAMES), tmp_path, keep_prj=False)
    cmd = [sys.executable, "-m", "cyc_geo", "import", str(zipped), "--layer", "townships", "--json"]
    bad = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=120)
    assert bad.returncode == 2
    err = json.loads(bad.stdout)
    assert err["error"] == "crs_needed" and err["suggestions"][0]["crs"] == "EPSG:4547"
    ok = subprocess.run(cmd + ["--crs", "4547"], capture_output=True, text=True, cwd=REPO, env=dict(os.environ), timeout=120)
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout)
    for key in ("features", "crs_in", "encoding", "repaired", "dropped", "outside_county", "layer"):
        assert key in out
    assert (out["features"], out["crs_in"], out["encoding"], out["layer"]) == (2, None, "GBK", "townships")
    hist = layer_versions.list_versions(db.connect(), "townships")
    assert hist[0]["counts"]["features"] == 2 and hist[0]["imported_by"].startswith("cli")
