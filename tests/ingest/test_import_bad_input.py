"""Bad input never crashes and never replaces good data: each case gives a clear zh+en message."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from import_helpers import squares, write_raster, write_shapefile_zip

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.geo.crs import WGS84
from cyc_geo.ingest import upload_safety
from cyc_geo.ingest.importer import ImportFailure, import_file
from cyc_geo.places.townships import load_townships


@pytest.fixture
def good(data_dir: Path, tmp_path: Path) -> dict:
    """A layer with good imported data; each test checks that it survives."""
    rec = import_file(write_shapefile_zip(squares(3), tmp_path / "good"), "townships", "tester")
    active = sources.active_import_path("townships")
    return {"record": rec, "bytes": active.read_bytes(), "n_versions": len(list(layer_versions.versions_dir("townships").iterdir()))}


def _assert_refused(path: Path, good: dict, code: str, **kw) -> ImportFailure:
    with pytest.raises(ImportFailure) as err:
        import_file(path, kw.pop("layer", "townships"), "tester", **kw)
    exc = err.value
    assert exc.code == code, (exc.code, str(exc))
    assert exc.zh and exc.en and any("\u4e00" <= ch <= "\u9fff" for ch in exc.zh) and exc.en.isascii() is not None
    # the good data is untouched, no version was added, history still shows one active import
    assert sources.active_import_path("townships").read_bytes() == good["bytes"]
    assert len(list(layer_versions.versions_dir("townships").iterdir())) == good["n_versions"]
    hist = layer_versions.list_versions(db.connect(), "townships")
    assert [h["active"] for h in hist] == [1]
    assert len(load_townships()) == 3
    return exc


def test_truncated_geopackage(good: dict, tmp_path: Path) -> None:
    src = tmp_path / "full.gpkg"
    pyogrio.write_dataframe(squares(50, crs=WGS84), src)
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 3])
    _assert_refused(cut, good, "corrupt")


def test_truncated_shapefile_in_zip(good: dict, tmp_path: Path) -> None:
    full = write_shapefile_zip(squares(40), tmp_path / "f")
    out = tmp_path / "cut.zip"
    with zipfile.ZipFile(full) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, data[: len(data) // 2] if info.filename.endswith(".shp") else data)
    exc = _assert_refused(out, good, "corrupt")
    assert "truncated" in exc.en


def test_truncated_zip_and_geojson(good: dict, tmp_path: Path) -> None:
    full = write_shapefile_zip(squares(40), tmp_path / "f")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(full.read_bytes()[:200])
    _assert_refused(cut, good, "corrupt_zip")
    gj = tmp_path / "cut.geojson"
    gj.write_text(squares(5, crs=WGS84).to_json()[:300])
    _assert_refused(gj, good, "corrupt")


def test_zip_path_traversal(good: dict, tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../escaped.geojson", squares(1, crs=WGS84).to_json())
    exc = _assert_refused(evil, good, "zip_traversal")
    assert "escapes" in exc.en
    assert not (tmp_path.parent / "escaped.geojson").exists()
    absolute = tmp_path / "abs.zip"
    with zipfile.ZipFile(absolute, "w") as zf:
        zf.writestr("/tmp/abs.geojson", "{}")
    _assert_refused(absolute, good, "zip_traversal")


def test_zip_bomb(good: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a member with an impossible-for-deflate ratio (bzip2 packs 50 MB of spaces into ~100 bytes)
    ratio_bomb = tmp_path / "ratio.zip"
    with zipfile.ZipFile(ratio_bomb, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("a.geojson", b" " * (50 * 1024 * 1024))
    assert ratio_bomb.stat().st_size < 10 * 1024
    exc = _assert_refused(ratio_bomb, good, "zip_bomb")
    assert "ratio" in exc.en
    # a deflate bomb (~1000:1) that expands beyond 10 x the upload limit (here 1 MB -> 10 MB)
    monkeypatch.setenv("CYC_GEO_MAX_UPLOAD_MB", "1")
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.geojson", b" " * (50 * 1024 * 1024))
    assert bomb.stat().st_size < 200 * 1024
    _assert_refused(bomb, good, "zip_bomb")
    # many incompressible members that together exceed the total cap (here 10 x 1 MB)
    wide = tmp_path / "wide.zip"
    with zipfile.ZipFile(wide, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(12):
            zf.writestr(f"part{i}.bin", os.urandom(1024 * 1024))
    monkeypatch.setenv("CYC_GEO_MAX_UPLOAD_MB", "20")
    monkeypatch.setattr(upload_safety, "UNZIPPED_FACTOR", 0.5)
    exc = _assert_refused(wide, good, "zip_bomb")
    assert "expands" in exc.en
    # headers can lie: a member that inflates beyond its declared size is stopped while extracting
    liar = tmp_path / "liar.zip"
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.geojson", b"x" * 4096)
    raw = bytearray(liar.read_bytes())
    cd = raw.rfind(b"PK\x01\x02")  # central directory entry: uncompressed size at offset 24
    raw[cd + 24: cd + 28] = (100).to_bytes(4, "little")
    liar.write_bytes(bytes(raw))
    _assert_refused(liar, good, "corrupt_zip")


def test_file_over_size_limit(good: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.geojson"
    path.write_text(squares(200, crs=WGS84).to_json())
    monkeypatch.setenv("CYC_GEO_MAX_UPLOAD_MB", str(path.stat().st_size / 1024 / 1024 / 2))
    exc = _assert_refused(path, good, "too_large")
    assert "MB" in exc.zh and "limit" in exc.en
    # staging an upload stream refuses it too, and leaves no file behind
    with pytest.raises(upload_safety.UploadRejected):
        upload_safety.stage_upload(io.BytesIO(path.read_bytes()), "big.geojson")
    assert list(upload_safety.uploads_dir().glob("*.geojson")) == []


def test_wrong_extension(good: dict, tmp_path: Path) -> None:
    doc = tmp_path / "report.docx"
    doc.write_bytes(b"PK\x03\x04 not really")
    _assert_refused(doc, good, "bad_extension")
    gpkg_as_geojson = tmp_path / "layer.geojson"
    pyogrio.write_dataframe(squares(2, crs=WGS84), tmp_path / "real.gpkg")
    gpkg_as_geojson.write_bytes((tmp_path / "real.gpkg").read_bytes())
    exc = _assert_refused(gpkg_as_geojson, good, "content_mismatch")
    assert "gpkg" in exc.en
    empty = tmp_path / "zero.gpkg"
    empty.write_bytes(b"")
    _assert_refused(empty, good, "empty_file")


def test_empty_layer(good: dict, tmp_path: Path) -> None:
    empty = tmp_path / "empty.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=WGS84), empty)
    _assert_refused(empty, good, "empty_layer")
    all_empty = tmp_path / "allempty.geojson"
    all_empty.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1","name":"x"},"geometry":null}]}')
    _assert_refused(all_empty, good, "empty_layer")


def test_mixed_geometry_types(good: dict, tmp_path: Path) -> None:
    sq = squares(2, crs=WGS84)
    mixed = gpd.GeoDataFrame(
        {"code": ["1", "2", "3"], "name": ["a", "b", "c"]},
        geometry=[sq.geometry.iloc[0], sq.geometry.iloc[1].centroid, shapely.LineString([(114.7, 35.2), (114.71, 35.21)])],
        crs=WGS84,
    )
    path = tmp_path / "mixed.geojson"
    mixed.to_file(path)
    exc = _assert_refused(path, good, "wrong_geometry")
    assert exc.details["geometry_types"] == {"Polygon": 1, "Point": 1, "LineString": 1}
    points = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"code": ["1"], "name": ["a"]}, geometry=[shapely.Point(114.7, 35.2)], crs=WGS84).to_file(points)
    _assert_refused(points, good, "wrong_geometry")


def test_raster_without_crs_into_vector_layer_and_garbage_tif(good: dict, tmp_path: Path) -> None:
    tif = write_raster(tmp_path / "nocrs.tif", crs=None)
    _assert_refused(tif, good, "wrong_geometry")  # townships is a vector layer
    garbage = tmp_path / "bad.tif"
    garbage.write_bytes(b"II*\x00" + b"\x00" * 100)
    _assert_refused(garbage, good, "wrong_geometry")


def test_implausible_crs_and_bad_user_crs(good: dict, tmp_path: Path) -> None:
    wrong = squares(2, crs=WGS84).set_crs("EPSG:4547", allow_override=True)  # degrees labelled as metres
    path = tmp_path / "wrong.gpkg"
    pyogrio.write_dataframe(wrong, path)
    exc = _assert_refused(path, good, "crs_needed")
    assert exc.details["crs_in"] == "EPSG:4547" and exc.details["suggestions"][0]["crs"] == "EPSG:4490"
    _assert_refused(path, good, "bad_crs", crs="EPSG:999999")


def test_unknown_layer_and_missing_sidecars(good: dict, tmp_path: Path) -> None:
    _assert_refused(write_shapefile_zip(squares(1), tmp_path / "x"), good, "unknown_layer", layer="no_such_layer")
    lone = tmp_path / "lone"
    lone.mkdir()
    pyogrio.write_dataframe(squares(1), lone / "t.shp")
    (lone / "t.dbf").unlink()
    exc = _assert_refused(lone / "t.shp", good, "corrupt")
    assert ".dbf" in exc.en


def test_upload_stored_under_generated_name(data_dir: Path) -> None:
    path, sha = upload_safety.stage_upload(b'{"type":"FeatureCollection","features":[]}', "../../etc/passwd.geojson")
    assert path.parent == upload_safety.uploads_dir() and path.suffix == ".geojson"
    assert "passwd" not in path.name and len(path.stem) == 32 and len(sha) == 64
    with pytest.raises(upload_safety.UploadRejected):
        upload_safety.stage_upload(b"x", "evil.sh")
