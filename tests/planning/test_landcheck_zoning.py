"""The demo 三区三线 layers: derived from the land cover, consistent with each other, flagged demo,
importable under their 三调 / 三区三线 field names."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from cyc_geo.catalog.provenance import provenance_of
from cyc_geo.catalog.registry import get_layer
from cyc_geo.geo.crs import AREA_CRS


@pytest.fixture(scope="module")
def zoning(demo_landcover_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(demo_landcover_dir))
        from cyc_geo.planning.landcheck import _load_zoning

        layers = {i: _load_zoning(i) for i in ("urban_boundary", "farmland", "cropland", "eco_redline")}
        from cyc_geo.places.belt import load_belt
        from cyc_geo.planning.projects import load_devzone

        layers["belt"] = load_belt()
        layers["devzone"] = load_devzone()
    return {k: v.to_crs(AREA_CRS) if k != "raw" else v for k, v in layers.items()} | {"raw": layers}


def test_demo_layers_are_flagged_demo_everywhere(zoning):
    for name in ("urban_boundary", "farmland", "cropland", "eco_redline"):
        prov = provenance_of(zoning["raw"][name])
        assert prov.demo, name
        assert "cyc_geo.demo.landuse" in prov.source


def test_farmland_is_cropland_away_from_the_development_boundary(zoning):
    farm, crop, ub = zoning["farmland"], zoning["cropland"], zoning["urban_boundary"]
    assert set(farm["class_code"]) <= {"0101", "0102", "0103"} and len(farm) > 100
    assert {"parcel_id", "class_code", "class_name", "area_m2", "located_in", "owner"} <= set(farm.columns)
    # basic farmland is a subset of the cropland parcels, and most of the cropland
    assert 0.6 < farm.geometry.area.sum() / crop.geometry.area.sum() < 1.0
    boundary = ub.geometry.union_all()
    assert farm.geometry.distance(boundary).min() > 299.0  # reserve_m = 300 m around the boundary
    assert (farm["area_m2"] - farm.geometry.area).abs().max() < 1.0


def test_development_boundary_holds_the_zone_and_red_line_lies_in_the_floodplain(zoning):
    boundary = zoning["urban_boundary"].geometry.union_all()
    zone = zoning["devzone"].geometry.union_all()
    assert shapely.difference(zone, boundary).area < 1.0
    assert set(zoning["urban_boundary"]["kind"]) >= {"city", "town", "devzone"}
    red = zoning["eco_redline"].geometry.union_all()
    belt = zoning["belt"]
    flood = belt.loc[belt["zone"] == "floodplain"].geometry.union_all()
    assert shapely.difference(red, flood.buffer(1.0)).area < 1.0
    assert 10e6 < red.area < flood.area


def test_toml_import_aliases_cover_the_planner_field_names():
    farm = get_layer("farmland").schema["aliases"]
    assert {"DLBM", "DLMC", "TBMJ", "ZLDWMC", "QSDWMC"} <= {a for v in farm.values() for a in v}
    red = get_layer("eco_redline").schema["aliases"]
    assert "HXMC" in red["name"] and "HXLX" in red["redline_type"]
    assert "BJMC" in get_layer("urban_boundary").schema["aliases"]["name"]
    from cyc_geo.ingest.importer import propose_mapping

    mapping = propose_mapping(["BSM", "DLBM", "DLMC", "TBMJ", "ZLDWMC", "QSDWMC"], get_layer("farmland").schema)
    assert mapping == {"class_code": "DLBM", "class_name": "DLMC", "area_m2": "TBMJ", "located_in": "ZLDWMC",
                       "owner": "QSDWMC", "parcel_id": "BSM"}


def test_check_against_the_demo_layers_finds_farmland_with_its_parcels(zoning):
    from cyc_geo.planning import rules
    from cyc_geo.planning.landcheck import CheckContext, CheckParams, prepare_site

    farm = zoning["farmland"]
    p = farm.geometry.iloc[int(farm.geometry.area.argmax())].representative_point()
    site = gpd.GeoDataFrame(geometry=[shapely.box(p.x - 50, p.y - 50, p.x + 50, p.y + 50)], crs=AREA_CRS)
    ctx = CheckContext(**{k: zoning["raw"][k] for k in ("farmland", "cropland", "eco_redline", "urban_boundary")})
    inside = farm.geometry.intersection(site.geometry.iloc[0]).area.sum()
    f = rules.farmland_finding(prepare_site(site), CheckParams(site_type="industrial"), ctx)
    assert f.level == "conflict" and f.overlap_m2 == pytest.approx(inside, abs=0.5)
    assert f.parcels[0]["located_in"] and f.parcels[0]["code"] in {"0101", "0102", "0103"}
