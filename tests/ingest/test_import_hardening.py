"""Importer refusals for hostile and ambiguous files: each leaves the layer's data as it was.

Every test here failed on the importer before these checks existed (noted per test)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from import_helpers import squares, write_shapefile_zip

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.ingest.importer import ImportFailure, import_file

REPO = Path(__file__).resolve().parents[2]


def _refused(path: Path, layer: str = "townships", **kw) -> dict:
    """Import ``path``, expect a refusal, check nothing changed; returns the refusal's JSON dict."""
    before = sources.active_import_path(layer).read_bytes() if sources.active_import_path(layer).exists() else None
    with pytest.raises(ImportFailure) as err:
        import_file(path, layer, "tester", **kw)
    after = sources.active_import_path(layer).read_bytes() if sources.active_import_path(layer).exists() else None
    assert after == before
    out = err.value.as_dict()
    assert out["error"] == err.value.code and out["message_zh"] and out["message_en"]
    return out


# ---------------------------------------------------------------- a detail never overwrites the code


def test_truncated_zip_keeps_its_code(data_dir: Path, tmp_path: Path) -> None:
    # before: as_dict() spread the reader's detail ``error="File is not a zip file"`` over the code
    good = write_shapefile_zip(squares(3), tmp_path)
    bad = tmp_path / "cut.zip"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out = _refused(bad)
    assert out["error"] == "corrupt_zip"
    assert "zip" in out["detail"].lower()
    fail = ImportFailure("corrupt", "坏", "bad", error="reader text", message_en="x")
    assert fail.as_dict()["error"] == "corrupt" and fail.as_dict()["message_en"] == "bad"
    assert fail.as_dict()["detail"] == "reader text"


# ---------------------------------------------------------------- duplicate keys and mappings


def test_duplicate_township_codes_are_refused_with_the_codes(data_dir: Path, tmp_path: Path) -> None:
    # before: imported silently, so the PV per township was counted twice
    gdf = squares(4, names=["蒲西街道", "蒲东街道", "樊相镇", "芦岗乡"])
    gdf.loc[1, "XZQDM"] = gdf.loc[0, "XZQDM"]
    gdf.loc[3, "XZQDM"] = gdf.loc[2, "XZQDM"]
    out = _refused(write_shapefile_zip(gdf, tmp_path))
    assert out["error"] == "duplicate_key"
    assert out["duplicates"] == {"code": ["410783000000", "410783002000"]}
    assert "410783000000" in out["message_zh"] and "410783002000" in out["message_en"]


def test_one_column_mapped_to_two_roles_is_refused(data_dir: Path, tmp_path: Path) -> None:
    # before: code and name both taken from "name" renamed it to "code"; every page then raised KeyError 'name'
    src = squares(2, crs="EPSG:4326")[["XZQMC", "geometry"]].rename(columns={"XZQMC": "name"})
    path = tmp_path / "only_name.geojson"
    src.to_file(path)
    out = _refused(path, mapping={"code": "name", "name": "name"})
    assert out["error"] == "duplicate_mapping"
    assert out["duplicated"] == {"name": ["code", "name"]}
    assert out["columns"] == ["name"] and out["required"] == ["code", "name"]


# ---------------------------------------------------------------- outside the county


def _beijing(tmp_path: Path) -> Path:
    gdf = gpd.GeoDataFrame({"name": ["北京"]}, geometry=[shapely.box(116.38, 39.90, 116.40, 39.92)], crs="EPSG:4490")
    path = tmp_path / "beijing.geojson"
    gdf.to_file(path)
    return path


def test_a_layer_entirely_outside_the_county_is_refused(data_dir: Path, tmp_path: Path) -> None:
    # before: accepted with "县界外 1"
    path = _beijing(tmp_path)
    out = _refused(path, crs="EPSG:4490", mapping={"code": "name", "name": "name"})
    assert out["error"] == "duplicate_mapping"  # the mapping is checked first ...
    gdf = gpd.read_file(path)
    gdf["DM"] = "110101001000"
    gdf.to_file(path)
    out = _refused(path, crs="EPSG:4490", mapping={"name": "name"})
    assert out["error"] == "outside_county" and out["features"] == 1  # ... and then where it lies
    assert out["bounds_wgs84"][0] == pytest.approx(116.38)


def test_the_outside_override_is_explicit_and_audited(data_dir: Path, tmp_path: Path) -> None:
    path = _beijing(tmp_path)
    gdf = gpd.read_file(path)
    gdf["DM"] = "110101001000"
    gdf.to_file(path)
    rec = import_file(path, "townships", "dora", crs="EPSG:4490", allow_outside=True)
    assert rec["allowed_outside"] and rec["outside_county"] == 1
    trail = db.audit_trail(db.connect(), "layer")
    assert [t["action"] for t in trail[:2]] == ["import_allow_outside", "import"] and trail[0]["actor"] == "dora"


# ---------------------------------------------------------------- files holding several layers


def test_a_geopackage_with_two_layers_asks_which(data_dir: Path, tmp_path: Path) -> None:
    # before: the first layer (3 old features) silently replaced the data
    path = tmp_path / "two.gpkg"
    squares(3).to_file(path, layer="a_old_2015")
    squares(5).to_file(path, layer="b_current_2024")
    out = _refused(path)
    assert out["error"] == "choose_sublayer"
    assert out["sublayers"] == ["a_old_2015", "b_current_2024"]
    assert out["sublayer_features"] == {"a_old_2015": 3, "b_current_2024": 5}
    assert _refused(path, sublayer="c_missing")["error"] == "choose_sublayer"
    rec = import_file(path, "townships", "tester", sublayer="b_current_2024")
    assert rec["features"] == 5 and rec["sublayer"] == "b_current_2024"


def test_a_kml_with_two_folders_asks_which(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.kml"
    squares(2, crs="EPSG:4326").to_file(path, layer="old", driver="KML")
    squares(4, crs="EPSG:4326").to_file(path, layer="new", driver="KML", append=True)
    out = _refused(path, mapping={"code": "XZQDM", "name": "XZQMC"})
    assert out["error"] == "choose_sublayer" and out["sublayers"] == ["old", "new"]


# ---------------------------------------------------------------- forced CRS


def test_a_forced_projected_crs_on_degrees_is_refused(data_dir: Path, tmp_path: Path) -> None:
    # before: --crs 4547 on degree data put 18 features near 109.5E 0.0003N with a warning only
    path = tmp_path / "deg.geojson"
    squares(3, crs="EPSG:4326").to_file(path)
    out = _refused(path, crs="4547")
    assert out["error"] == "crs_implausible" and out["crs_chosen"] == "EPSG:4547"
    assert out["suggestions"][0]["crs"] == "EPSG:4490"


def test_swapped_lat_lon_is_detected_and_offered(data_dir: Path, tmp_path: Path) -> None:
    # before: no suggestion at all for latitude-first coordinates
    src = squares(3, crs="EPSG:4326")
    swapped = src.set_geometry(shapely.transform(src.geometry.values, lambda c: c[:, ::-1]))
    path = tmp_path / "swapped.geojson"
    swapped.to_file(path)
    out = _refused(path)
    assert out["error"] == "crs_needed"
    assert out["suggestions"] == [{"crs": "EPSG:4490", "label_zh": out["suggestions"][0]["label_zh"],
                                   "label_en": out["suggestions"][0]["label_en"], "swap_xy": True,
                                   "reason_en": out["suggestions"][0]["reason_en"]}]
    assert _refused(path, crs="EPSG:4326")["error"] == "crs_implausible"  # forcing it without the swap
    rec = import_file(path, "townships", "tester", crs="EPSG:4490", swap_xy=True)
    assert rec["swapped_xy"] and rec["outside_county"] == 0
    areas = gpd.read_file(sources.active_import_path("townships")).to_crs(AREA_CRS).area
    assert np.allclose(areas, 1e6, rtol=1e-3)  # the 1 km squares come back as 1 km squares


# ---------------------------------------------------------------- encodings


def _gbk_zip(tmp_path: Path, cpg: str | None, ascii_values: bool = False) -> Path:
    gdf = squares(3).rename(columns={"XZQDM": "乡镇代码", "XZQMC": "乡镇名称"})
    if ascii_values:
        gdf["乡镇名称"] = ["a", "b", "c"]
    folder = tmp_path / (cpg or "none").replace(" ", "_")
    folder.mkdir()
    path = write_shapefile_zip(gdf, folder, encoding="GBK")
    if cpg is not None:
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("tw/tw.cpg", cpg)
    return path


def test_gbk_field_names_with_ascii_values_are_detected(data_dir: Path, tmp_path: Path) -> None:
    # before: "corrupt" ('utf-8' codec can't decode byte ...): only the values were tested
    rec = import_file(_gbk_zip(tmp_path, None, ascii_values=True), "townships", "tester")
    assert rec["encoding"] == "GBK" and rec["features"] == 3
    assert sorted(gpd.read_file(sources.active_import_path("townships"))["name"]) == ["a", "b", "c"]


@pytest.mark.parametrize("cpg", ["UTF-8", "System", "ANSI 936"])
def test_a_wrong_or_vague_cpg_is_overruled_by_the_bytes(cpg: str, data_dir: Path, tmp_path: Path) -> None:
    # before: each ended in "corrupt" (文件已损坏)
    rec = import_file(_gbk_zip(tmp_path, cpg), "townships", "tester")
    assert rec["encoding"] == "GBK"
    assert sorted(gpd.read_file(sources.active_import_path("townships"))["name"]) == ["乡镇0", "乡镇1", "乡镇2"]


def test_a_wrong_forced_encoding_says_bad_encoding_with_encodings_to_try(data_dir: Path, tmp_path: Path) -> None:
    out = _refused(_gbk_zip(tmp_path, None), encoding="UTF-8")
    assert out["error"] == "bad_encoding" and out["encodings"] == ["GBK", "GB18030"]
    assert "GBK" in out["message_zh"] and "损坏" in out["message_zh"]  # says the file is NOT damaged


# ---------------------------------------------------------------- NaN / inf vertices


def test_nan_and_inf_vertices_are_refused_with_feature_numbers(data_dir: Path, tmp_path: Path) -> None:
    # before: the NaN vertex was dropped and the square became a triangle
    gdf = squares(4, crs="EPSG:4326")
    ring = np.asarray(gdf.geometry[1].exterior.coords)
    ring[2, 0] = np.nan
    ring2 = np.asarray(gdf.geometry[3].exterior.coords)
    ring2[1, 1] = np.inf
    path = tmp_path / "nan.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gdf.loc[1, "geometry"] = shapely.Polygon(ring)
        gdf.loc[3, "geometry"] = shapely.Polygon(ring2)
        pyogrio.write_dataframe(gdf, path)
    out = _refused(path)
    assert out["error"] == "bad_coordinates" and out["features"] == [2, 4]
    assert "2, 4" in out["message_zh"]


# ---------------------------------------------------------------- the CLI contract


def test_cli_refusals_print_stable_codes(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    squares(3).to_file(path, layer="a_old_2015")
    squares(5).to_file(path, layer="b_current_2024")

    def run(*args: str) -> tuple[int, dict]:
        proc = subprocess.run([sys.executable, "-m", "cyc_geo", "import", str(path), "--layer", "townships", "--json",
                               *args], cwd=REPO, capture_output=True, text=True, timeout=120)
        return proc.returncode, json.loads(proc.stdout)

    rc, out = run()
    assert rc != 0 and out["error"] == "choose_sublayer" and out["sublayers"] == ["a_old_2015", "b_current_2024"]
    assert out["message_zh"].startswith("文件中有多个图层") and "--sublayer" in out["message_en"]
    rc, out = run("--sublayer", "b_current_2024")
    assert rc == 0 and out["features"] == 5
    good = write_shapefile_zip(squares(3), tmp_path)
    path = tmp_path / "cut.zip"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    rc, out = run()
    assert rc != 0 and out["error"] == "corrupt_zip" and "zip" in out["detail"].lower()  # before: the detail text
    assert layer_versions.list_versions(db.connect(), "townships")[0]["counts"]["sublayer"] == "b_current_2024"
