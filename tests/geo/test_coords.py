"""Typed coordinates (cyc_geo.geo.coords): decimal degrees, 度分秒, CGCS2000 3-degree X/Y with and without the zone."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from cyc_geo.geo.coords import parse_coordinate

LON, LAT = 114.68, 35.2
E, N = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(LON, LAT)


@pytest.mark.parametrize("text, kind", [
    ("114.68, 35.20", "degrees"), ("35.20 114.68", "degrees"), ("N35.2 E114.68", "degrees"), ("35.2N, 114.68E", "degrees"),
    ("114°40'48\"E 35°12'0\"N", "dms"), ("35°12′N 114°40′48″E", "dms"), ("114度40分48秒 35度12分", "dms"),
    (f"38 {N:.2f} {E:.2f}", "gk3"), (f"{N:.2f} 38{E:.2f}", "gk3"), (f"X={N:.2f} Y={E:.2f}", "gk3"),
    (f"{E:.2f}，{N:.2f}", "gk3"),
])
def test_every_written_form_reads_to_the_same_point(text, kind):
    c = parse_coordinate(text)
    assert c is not None and c.kind == kind
    assert c.lon == pytest.approx(LON, abs=1e-6) and c.lat == pytest.approx(LAT, abs=1e-6)


def test_the_zone_prefix_names_the_crs():
    assert parse_coordinate(f"{N:.2f} 38{E:.2f}").crs == "EPSG:4526"  # CGCS2000 3-degree zone 38, with prefix
    assert parse_coordinate(f"38 {N:.2f} {E:.2f}").crs == "EPSG:4547"  # zone 38 given apart: CM 114E
    assert parse_coordinate(f"{N:.2f} 37{E:.2f}").lon == pytest.approx(LON - 3, abs=0.01)  # zone 37: CM 111E


@pytest.mark.parametrize("text", ["", "蒲东街道", "4107830001", "12", "114.68", "38 39 40 41", "1e9 2e9", "200, 100",
                                  f"{N:.2f} 38{E:.2f} 5"])
def test_other_texts_are_not_coordinates(text):
    assert parse_coordinate(text) is None
