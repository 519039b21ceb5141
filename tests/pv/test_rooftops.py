"""Demo rooftop generator and loader: scale, determinism, geometry/attribute consistency."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import copy_demo_county

from cyc_geo.demo import rooftops as demo_rooftops
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.pv import rooftops


@pytest.fixture(scope="module")
def demo(demo_county, tmp_path_factory):
    """The full demo county (built once per run by ``demo_county``), copied into an isolated data folder."""
    mp = pytest.MonkeyPatch()
    d = copy_demo_county(demo_county, tmp_path_factory.mktemp("roofdata") / "data")
    mp.setenv("CYC_GEO_DATA_DIR", str(d))
    mp.setenv("CYC_GEO_DB", str(d / "t.sqlite"))
    gdf = rooftops.load_rooftops()
    yield d, gdf
    mp.undo()


def test_demo_scale_classes_and_every_township(demo):
    d, gdf = demo
    assert 200_000 <= len(gdf) <= 300_000
    assert (d / "rooftops" / rooftops.DEMO_FILE).exists()
    assert gdf.attrs["meta"]["demo"] == "true"
    assert list(gdf.columns[: len(rooftops.COLUMNS)]) == rooftops.COLUMNS
    assert set(gdf["building_class"]) == set(rooftops.BUILDING_CLASSES)
    assert set(gdf["roof_type"]) == set(rooftops.ROOF_TYPES)
    assert gdf["roof_id"].is_unique
    from cyc_geo.places.townships import load_townships

    counts = gdf.groupby("township_code").size()
    assert set(counts.index) == set(load_townships()["code"])
    assert counts.min() > 3000  # villages everywhere
    # industry sits in the named clusters: sheds dominate 魏庄 and 丁栾 among the townships
    sheds = gdf[gdf["use"] == "factory"].groupby("township_code").size()
    assert {"410783005000", "410783100000", "410783108000"} <= set(sheds.index)
    # the city seat (蒲西/蒲东/蒲北/南蒲) holds the dense blocks
    urban = gdf[gdf["use"] == "mixed_use_block"]["township_code"].str[-6:-3].astype(int)
    assert (urban <= 4).mean() > 0.95


def test_areas_centroids_and_h3_are_consistent(demo):
    _, gdf = demo
    sample = gdf.sample(2000, random_state=0)
    proj = sample.to_crs(AREA_CRS)
    assert np.allclose(proj.geometry.area.to_numpy(), sample["area_m2"].to_numpy(), rtol=1e-6)
    cent = proj.geometry.centroid
    assert np.allclose(cent.x.to_numpy(), sample["x"].to_numpy(), atol=0.01)
    assert np.allclose(cent.y.to_numpy(), sample["y"].to_numpy(), atol=0.01)
    assert gdf.crs.to_epsg() == 4326
    assert all(shapely.is_valid(sample.geometry.values))
    expected = [h3.str_to_int(h3.latlng_to_cell(a, b, 8)) for a, b in zip(sample["lat"], sample["lon"], strict=True)]
    assert sample["h3_8"].astype("uint64").tolist() == expected
    # realistic sizes: courtyard houses ~75-150 m², sheds larger than 500 m²
    houses = gdf.loc[gdf["use"] == "courtyard_house", "area_m2"]
    assert houses.min() >= 75 and houses.max() <= 150
    assert gdf.loc[gdf["use"] == "factory", "area_m2"].median() > 500


def test_generator_is_deterministic():
    """Same seed, same roofs; another seed, others (its speed: bench/bench_demo.py)."""
    a = demo_rooftops.generate_demo_rooftops(scale=0.05)
    b = demo_rooftops.generate_demo_rooftops(scale=0.05)
    assert len(a) == len(b) > 10_000
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert shapely.equals_exact(a.geometry.values[:500], b.geometry.values[:500], tolerance=0).all()
    c = demo_rooftops.generate_demo_rooftops(seed=1, scale=0.05)
    assert not np.allclose(c["area_m2"].to_numpy()[:100], a["area_m2"].to_numpy()[:100])


def test_stale_or_foreign_demo_file_is_detected(tmp_path):
    import geopandas as gpd

    g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(114.7, 35.2)], crs="EPSG:4326")
    old = rooftops.write_geoparquet(g, tmp_path / "old.parquet", {"generator_version": "0", "demo": "true"})
    cur = rooftops.write_geoparquet(g, tmp_path / "cur.parquet",
                                    {"generator_version": demo_rooftops.GENERATOR_VERSION, "demo": "true"})
    assert demo_rooftops.is_stale(old) and not demo_rooftops.is_stale(cur)
    assert rooftops.read_geoparquet(cur).attrs["meta"]["demo"] == "true"
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    assert demo_rooftops.is_stale(tmp_path / "junk.parquet")


def test_rectangles_match_hand_geometry():
    poly = demo_rooftops.rectangles([0.0], [0.0], [10.0], [4.0], [np.pi / 2])[0]
    assert shapely.area(poly) == pytest.approx(40.0)
    minx, miny, maxx, maxy = poly.bounds  # rotated 90°: 4 wide, 10 tall
    assert (maxx - minx, maxy - miny) == pytest.approx((4.0, 10.0))


def test_total_area_of_a_planner_file_reads_its_area_column_alone(data_dir, monkeypatch):
    """Project 3's roof area on a planner's GeoPackage: the ``area_m2`` column summed without reading the
    footprints (the whole layer was loaded to sum one column); without the column, areas come from geometry."""
    import geopandas as gpd
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs(4326, AREA_CRS, always_xy=True).transform(114.70, 35.20)  # inside the county
    squares = [shapely.box(x0 + x, y0, x0 + x + 10, y0 + 20) for x in range(0, 300, 30)]  # 10 roofs of 200 m²
    gdf = gpd.GeoDataFrame({"area_m2": [200.0] * 9 + [123.5]}, geometry=squares, crs="EPSG:4547").to_crs(4326)
    gdf.to_file(data_dir / "boundaries" / "rooftops.gpkg")

    def no_full_load(*_a, **_k):
        raise AssertionError("the whole layer was read")

    monkeypatch.setattr(rooftops, "load_rooftops", no_full_load)
    assert rooftops.total_area_m2() == pytest.approx(9 * 200.0 + 123.5)
    monkeypatch.undo()
    monkeypatch.setenv("CYC_GEO_DATA_DIR", str(data_dir))
    gdf.drop(columns="area_m2").to_file(data_dir / "boundaries" / "rooftops.gpkg")
    assert rooftops.total_area_m2() == pytest.approx(10 * 200.0, rel=1e-6)
