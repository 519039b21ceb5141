"""Property-based tests (hypothesis) of the importer on generated files.

1. Any generated layer - random rectangles, Chinese/ASCII names, one of five formats,
   five CRSs, with or without a .prj, with injected empty and self-intersecting
   features - imports with the right counts, names and areas.
2. Any corruption of a valid file (truncation, byte flips) either imports or is
   refused with ImportFailure; it never raises anything else and never leaves the
   layer unreadable.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_helpers import CENTRE_4547, write_shapefile_zip

from cyc_geo.catalog import sources
from cyc_geo.geo.crs import area_m2
from cyc_geo.ingest.importer import ImportFailure, import_file
from cyc_geo.places.townships import load_townships

CJK = "长垣蒲西东南北魏庄丁栾樊相恼里常村赵堤孟岗满苗寨张三方佘家芦武邱镇乡街道"
NAME = st.text(alphabet=CJK + "ABCxyz019-_", min_size=1, max_size=8)
FORMATS = ["shp-gbk", "shp-utf8", "gpkg", "geojson", "parquet"]
CRSS = ["EPSG:4326", "EPSG:4490", "EPSG:4547", "EPSG:4526", "EPSG:2383"]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def layers(draw):
    n = draw(st.integers(1, 6))
    rects = []
    for _i in range(n):
        dx = draw(st.floats(-15_000, 15_000))
        dy = draw(st.floats(-15_000, 15_000))
        w = draw(st.floats(10, 2_000))
        h = draw(st.floats(10, 2_000))
        rects.append(shapely.box(CENTRE_4547[0] + dx, CENTRE_4547[1] + dy, CENTRE_4547[0] + dx + w, CENTRE_4547[1] + dy + h))
    names = draw(st.lists(NAME, min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(["ok", "ok", "ok", "empty", "bowtie"]), min_size=n, max_size=n))
    if all(k == "empty" for k in kinds):
        kinds[0] = "ok"
    return rects, names, kinds, draw(st.sampled_from(FORMATS)), draw(st.sampled_from(CRSS)), draw(st.booleans())


def _bowtie(r: shapely.Polygon) -> shapely.Polygon:
    x0, y0, x1, y1 = r.bounds
    return shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def _write(gdf: gpd.GeoDataFrame, fmt: str, folder: Path, keep_prj: bool) -> Path:
    if fmt.startswith("shp"):
        return write_shapefile_zip(gdf, folder, encoding="GBK" if fmt == "shp-gbk" else "UTF-8", keep_prj=keep_prj)
    if fmt == "gpkg":
        pyogrio.write_dataframe(gdf, folder / "t.gpkg")
        return folder / "t.gpkg"
    if fmt == "geojson":
        gdf.to_crs("EPSG:4326").to_file(folder / "t.geojson")  # RFC 7946: GeoJSON is WGS84
        return folder / "t.geojson"
    gdf.to_parquet(folder / "t.parquet")
    return folder / "t.parquet"


@SETTINGS
@given(spec=layers())
def test_generated_layers_import_faithfully(data_dir: Path, spec) -> None:
    rects, names, kinds, fmt, crs, keep_prj = spec
    geoms = [shapely.Polygon() if k == "empty" else _bowtie(r) if k == "bowtie" else r for r, k in zip(rects, kinds, strict=True)]
    codes = [f"4107830{i:02d}000" for i in range(len(rects))]
    gdf = gpd.GeoDataFrame({"XZQDM": codes, "XZQMC": names}, geometry=geoms, crs="EPSG:4547").to_crs(crs)
    if crs == "EPSG:2383":  # Xi'an 1980 numbers: same digits, different datum label
        gdf = gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=geoms, crs="EPSG:2383")
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(gdf, fmt, Path(tmp), keep_prj)
        user_crs = None if (keep_prj or not fmt.startswith("shp")) else crs
        # rectangles up to 15 km from the centre may fall outside the (irregular) county outline: the
        # outside-county refusal has its own tests (test_import_hardening), this one checks faithfulness
        rec = import_file(path, "townships", "prop", crs=user_crs, allow_outside=True)
    n_empty, n_bow = kinds.count("empty"), kinds.count("bowtie")
    assert rec["features"] == len(rects) - n_empty
    assert rec["dropped"] == n_empty and rec["repaired"] == n_bow
    got = load_townships().set_index("code")
    keep = [i for i, k in enumerate(kinds) if k != "empty"]
    assert sorted(got.index) == sorted(codes[i] for i in keep)
    assert [got.loc[codes[i], "name"] for i in keep] == [names[i] for i in keep]
    ok = [codes[i] for i in keep if kinds[i] == "ok"]
    if ok:
        expected = np.array([rects[int(c[7:9])].area for c in ok])
        rel = np.abs(area_m2(got.loc[ok]).to_numpy() - expected) / expected
        assert rel.max() < 1e-3
    bows = [codes[i] for i in keep if kinds[i] == "bowtie"]
    if bows:  # a repaired bow-tie keeps both triangles: half the box
        expected = np.array([rects[int(c[7:9])].area / 2 for c in bows])
        assert np.allclose(area_m2(got.loc[bows]).to_numpy(), expected, rtol=1e-3)


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("seed")
    x, y = CENTRE_4547
    gdf = gpd.GeoDataFrame({"XZQDM": [f"41078300{i}000" for i in range(5)], "XZQMC": ["蒲西街道"] * 5},
                           geometry=[shapely.box(x + i * 900, y, x + i * 900 + 800, y + 800) for i in range(5)], crs="EPSG:4547")
    out = {}
    for fmt in ("shp-gbk", "gpkg", "geojson"):
        sub = folder / fmt
        sub.mkdir()
        p = _write(gdf, fmt, sub, True)
        out[p.suffix] = p.read_bytes()
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_files_fail_cleanly(data_dir: Path, seed_files: dict[str, bytes], data) -> None:
    suffix = data.draw(st.sampled_from(sorted(seed_files)))
    raw = bytearray(seed_files[suffix])
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    for _ in range(data.draw(st.integers(0, 8))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(bytes(raw))
        before = sources.active_import_path("townships")
        before_bytes = before.read_bytes() if before.exists() else None
        try:
            rec = import_file(path, "townships", "fuzz")
        except ImportFailure as exc:
            assert exc.zh and exc.en
            after = sources.active_import_path("townships")
            assert (after.read_bytes() if after.exists() else None) == before_bytes
        else:
            assert rec["features"] >= 1
    if sources.active_import_path("townships").exists():
        assert len(load_townships()) >= 1  # whatever is active is readable
