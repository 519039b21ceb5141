import numpy as np
import pytest
from pyproj import Geod

from cyc_geo.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

# Published GCJ-02 test vectors (wgs lat, lon) -> (gcj lat, lon), as used by the
# eviltransform test suites in several languages.
VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("wgs,gcj", VECTORS)
def test_forward_matches_published_vectors(wgs, gcj):
    lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    assert lat == pytest.approx(gcj[0], abs=1e-9)
    assert lon == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", VECTORS)
def test_inverse_recovers_wgs_within_a_centimetre(wgs, gcj):
    lon, lat = gcj02_to_wgs84(gcj[1], gcj[0])
    _, _, dist = GEOD.inv(lon, lat, wgs[1], wgs[0])
    assert dist < 0.01


def test_round_trip_over_changyuan_below_one_metre():
    lon, lat = np.meshgrid(np.linspace(114.45, 115.05, 40), np.linspace(34.95, 35.45, 40))
    glon, glat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    _, _, dist = GEOD.inv(wlon, wlat, lon.ravel(), lat.ravel())
    assert dist.max() < 1.0


def test_offset_in_changyuan_is_about_half_a_kilometre_west():
    # docs/sources.md, "GCJ-02": the GCJ-02 seats shift about 520 m west when converted
    glon, glat = 114.668936, 35.201548
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert lon < glon
    _, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert 400 < dist < 700


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (lon, lat) == (2.35, 48.85)
