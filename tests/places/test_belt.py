import pytest
import shapely

from cyc_geo.demo.belt import build_belt
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.places.belt import BeltParams, load_belt, load_river
from cyc_geo.places.county import load_county


def _zones():
    b = load_belt().to_crs(AREA_CRS).set_index("zone")
    return b.loc["floodplain", "geometry"], b.loc["corridor", "geometry"]


def test_river_is_the_edge_with_dongming_and_lankao(data_dir):
    river = load_river().to_crs(AREA_CRS)
    assert river.length.sum() / 1000 == pytest.approx(57.0 + 5.1, rel=0.1)


def test_belt_inside_county_and_as_wide_as_configured(data_dir):
    county = load_county().to_crs(AREA_CRS).geometry.iloc[0]
    floodplain, corridor = _zones()
    river = load_river().to_crs(AREA_CRS).geometry.iloc[0]
    p = BeltParams()
    for zone in (floodplain, corridor):
        assert zone.difference(county.buffer(0.01)).area < 1.0
    assert floodplain.intersection(corridor).area < 1.0
    # farthest belt point from the river = floodplain + corridor width
    far = shapely.hausdorff_distance(shapely.union(floodplain, corridor).boundary, river)
    assert far == pytest.approx(p.floodplain_width_m + p.corridor_width_m, rel=0.02)
    # every corridor point is between the two widths
    pts = shapely.get_coordinates(corridor.boundary)[::25]
    d = shapely.distance(shapely.points(pts), river)
    assert d.min() >= p.floodplain_width_m - 1 or d.min() < 1  # touches river only at county edge ends
    assert d.max() <= p.floodplain_width_m + p.corridor_width_m + 1


def test_width_parameters_change_the_belt(data_dir):
    build_belt(BeltParams(floodplain_width_m=2000, corridor_width_m=800))
    floodplain, corridor = _zones()
    river = load_river().to_crs(AREA_CRS).geometry.iloc[0]
    assert shapely.hausdorff_distance(floodplain.boundary, river) == pytest.approx(2000, rel=0.02)
    assert shapely.hausdorff_distance(shapely.union(floodplain, corridor).boundary, river) == pytest.approx(
        2800, rel=0.02
    )
