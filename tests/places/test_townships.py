import itertools

import geopandas as gpd
import pytest

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.county import load_county
from cyc_geo.places.townships import load_townships, read_seats


def test_eighteen_units_with_statistical_codes(data_dir):
    t = load_townships()
    assert len(t) == 18
    assert t["code"].is_unique
    assert all(len(c) == 12 and c.startswith("410783") for c in t["code"])
    assert t["approximate"].all()
    assert {"蒲西街道", "魏庄街道", "恼里镇", "武邱乡"} <= set(t["name"])


def test_partition_covers_county_without_overlaps(data_dir):
    t = load_townships().to_crs(AREA_CRS)
    county = load_county().to_crs(AREA_CRS).geometry.iloc[0]
    union = t.geometry.union_all()
    assert union.symmetric_difference(county).area < 1e-6 * county.area
    for a, b in itertools.combinations(t.geometry, 2):
        assert a.intersection(b).area < 1.0  # m²
    assert t.geometry.area.sum() == pytest.approx(county.area, rel=1e-6)


def test_each_seat_lies_in_its_own_township(data_dir):
    t = load_townships().to_crs(AREA_CRS).set_index("code")
    seats = read_seats().to_crs(AREA_CRS)
    for _, s in seats.iterrows():
        assert t.loc[s["code"], "geometry"].contains(s.geometry), s["name"]


def test_official_file_dropped_in_boundaries_replaces_demo(data_dir):
    demo = load_townships()
    official = demo.iloc[:3][["code", "name", "geometry"]].copy()
    official = gpd.GeoDataFrame(official, crs=demo.crs).to_crs("EPSG:4490")  # CGCS2000 geographic
    official.to_file(data_dir / "boundaries" / "townships.geojson", driver="GeoJSON")
    loaded = load_townships()
    assert len(loaded) == 3
    assert not loaded["approximate"].any()
    assert loaded.attrs["meta"]["demo"] == "false"
    assert loaded["area_km2"].sum() == pytest.approx(demo.iloc[:3]["area_km2"].sum(), rel=1e-6)
