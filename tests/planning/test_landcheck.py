"""Land check on synthetic context layers whose overlaps are known exactly (hand-computed areas).

Synthetic world in EPSG:4547 (metres):
- county: 20 km x 20 km square, x 550-570 km, y 3880-3900 km;
- townships: west half (x < 560 km) "T1" and east half "T2";
- belt: corridor x 565.5-566 km, floodplain x 566-570 km (full height);
- development zone: x 551-555 km, y 3881-3885 km;
- forest: one 100 m x 100 m patch (1 ha, 10 t CO2/yr) at x 552.0-552.1 km, y 3890.0-3890.1 km;
- other sites: project 2 parcel x 553-554 km, y 3882-3883 km.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU
from cyc_geo.planning import landcheck
from cyc_geo.planning.landcheck import CheckContext, LandCheckParams, forest_sink_lost, prepare_site
from cyc_geo.planning.projects import load_projects

X0, Y0 = 550_000.0, 3_880_000.0


def check_site(*args, **kwargs) -> dict:
    """The check as the JSON ``land-check --json`` prints (:meth:`LandCheck.to_dict`)."""
    return landcheck.check_site(*args, **kwargs).to_dict()


def gdf(geoms, crs=AREA_CRS, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


@pytest.fixture
def ctx() -> CheckContext:
    county = gdf([box(X0, Y0, X0 + 20_000, Y0 + 20_000)], name=["county"])
    towns = gdf(
        [box(X0, Y0, X0 + 10_000, Y0 + 20_000), box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 20_000)],
        code=["410783900001", "410783900002"],
        name=["西乡", "东乡"],
        name_en=["T1", "T2"],
        approximate=[False, False],
    )
    belt = gdf(
        [box(X0 + 16_000, Y0, X0 + 20_000, Y0 + 20_000), box(X0 + 15_500, Y0, X0 + 16_000, Y0 + 20_000)],
        zone=["floodplain", "corridor"],
    )
    devzone = gdf([box(X0 + 1_000, Y0 + 1_000, X0 + 5_000, Y0 + 5_000)], name=["zone"])
    forest = gdf(
        [box(X0 + 2_000, Y0 + 10_000, X0 + 2_100, Y0 + 10_100)],
        patch_id=[1],
        class_code=["0301"],
        area_ha=[1.0],
        sink_t_co2_yr=[10.0],
    )
    sites = gdf(
        [box(X0 + 3_000, Y0 + 2_000, X0 + 4_000, Y0 + 3_000)],
        project_no=[2],
        site_kind=["parcel"],
    )
    return CheckContext(
        county=county, townships=towns, belt=belt, devzone=devzone, forest=forest, sites=sites, projects=load_projects(),
        farmland=None, eco_redline=None, urban_boundary=None, cropland=None,
    )


def finding(result: dict, layer: str) -> dict:
    hits = [f for f in result["findings"] if f["layer"] == layer]
    assert len(hits) == 1, result["findings"]
    return hits[0]


def test_square_straddling_the_belt_edge(ctx):
    # 1 km square from x 565.0 to 566.0 km: its east half (565.5-566.0) lies in the corridor
    site = gdf([box(X0 + 15_000, Y0 + 5_000, X0 + 16_000, Y0 + 6_000)])
    r = check_site(site, context=ctx)
    assert r["area_m2"] == pytest.approx(1_000_000.0)
    assert r["area_ha"] == pytest.approx(100.0)
    assert r["area_mu"] == pytest.approx(1_000_000.0 / (10_000 / 15), abs=0.01)
    b = finding(r, "belt")
    assert b["level"] == "conflict"
    assert b["overlap_m2"] == pytest.approx(500_000.0)
    assert b["share"] == pytest.approx(0.5)
    assert b["details"]["per_zone_m2"] == {"floodplain": pytest.approx(0.0), "corridor": pytest.approx(500_000.0)}
    assert "沿黄生态带" in b["reason_zh"] and "ecological belt" in b["reason_en"]
    assert r["status"] == "conflict"


def test_site_clear_of_belt_reports_distance(ctx):
    site = gdf([box(X0 + 14_000, Y0 + 5_000, X0 + 15_000, Y0 + 6_000)])
    b = finding(check_site(site, context=ctx), "belt")
    assert b["level"] == "ok" and b["overlap_m2"] == 0
    assert b["details"]["distance_m"] == pytest.approx(500.0)


def test_site_outside_the_county(ctx):
    r = check_site(gdf([box(X0 + 25_000, Y0, X0 + 26_000, Y0 + 1_000)]), context=ctx)
    c = finding(r, "county")
    assert c["level"] == "conflict" and c["share"] == pytest.approx(1.0)
    assert "市域以外" in c["reason_zh"]
    assert r["townships"] == []
    assert finding(r, "townships")["level"] == "warning"


def test_site_partly_outside_the_county(ctx):
    # x 569-571 km: 1 km x 1 km inside, 1 km x 1 km outside
    r = check_site(gdf([box(X0 + 19_000, Y0 + 5_000, X0 + 21_000, Y0 + 6_000)]), context=ctx)
    c = finding(r, "county")
    assert c["level"] == "conflict"
    assert c["overlap_m2"] == pytest.approx(1_000_000.0)
    assert c["share"] == pytest.approx(0.5)


def test_site_in_two_townships(ctx):
    # x 559.0-561.5 km: 1.0 km in T1, 1.5 km in T2, 1 km tall
    r = check_site(gdf([box(X0 + 9_000, Y0 + 15_000, X0 + 11_500, Y0 + 16_000)]), context=ctx)
    assert [t["name_en"] for t in r["townships"]] == ["T2", "T1"]
    assert r["townships"][0]["overlap_m2"] == pytest.approx(1_500_000.0)
    assert r["townships"][1]["overlap_m2"] == pytest.approx(1_000_000.0)
    assert r["townships"][0]["share"] == pytest.approx(0.6)
    t = finding(r, "townships")
    assert t["level"] == "warning" and "2 个乡镇" in t["reason_zh"] and "2 townships" in t["reason_en"]
    assert finding(r, "county")["level"] == "ok"


def test_self_intersecting_polygon_is_repaired_and_reported(ctx):
    # bow-tie over a 200 m x 200 m square: two triangles of 0.5*200*100 = 10,000 m² each
    x, y = X0 + 6_000, Y0 + 6_000
    bowtie = Polygon([(x, y), (x + 200, y + 200), (x + 200, y), (x, y + 200)])
    assert not bowtie.is_valid and bowtie.area == pytest.approx(0.0)
    r = check_site(gdf([bowtie]), context=ctx)
    assert r["repaired"] is True
    assert r["area_m2"] == pytest.approx(20_000.0)
    g = finding(r, "geometry")
    assert g["level"] == "warning"
    assert "Self-intersection" in g["reason_en"] and "已自动修复" in g["reason_zh"]


def test_site_given_in_other_crs(ctx):
    square = box(X0 + 15_000, Y0 + 5_000, X0 + 16_000, Y0 + 6_000)
    for crs in ("EPSG:4326", "EPSG:3857", "EPSG:32650"):
        site = gdf([square]).to_crs(crs)
        r = check_site(site, context=ctx)
        assert r["crs_in"] == crs
        # vertices round-trip exactly; the edges bend by far less than 1 m² over 1 km
        assert r["area_m2"] == pytest.approx(1_000_000.0, abs=5.0)
        assert finding(r, "belt")["overlap_m2"] == pytest.approx(500_000.0, abs=5.0)


def test_site_without_crs_is_guessed_and_reported(ctx):
    square = gdf([box(X0 + 15_000, Y0 + 5_000, X0 + 16_000, Y0 + 6_000)]).to_crs("EPSG:4326")
    r = check_site(square.set_crs(None, allow_override=True), context=ctx)
    assert r["crs_in"] is None
    assert finding(r, "crs")["level"] == "warning"
    assert r["area_m2"] == pytest.approx(1_000_000.0, abs=5.0)
    with pytest.raises(ValueError, match="no CRS"):
        check_site(gpd.GeoSeries([box(1e8, 1e8, 1e8 + 10, 1e8 + 10)]), context=ctx)


def test_forest_overlap_and_sink_lost_pro_rata(ctx):
    # covers the east half of the 1-ha patch: 5,000 m² -> 50 % of 10 t CO2/yr
    r = check_site(gdf([box(X0 + 2_050, Y0 + 10_000, X0 + 2_150, Y0 + 10_100)]), context=ctx)
    f = finding(r, "forest")
    assert f["level"] == "warning"
    assert f["overlap_m2"] == pytest.approx(5_000.0)
    assert f["details"]["sink_lost_t_co2_yr"] == pytest.approx(5.0)
    assert f["details"]["by_class_m2"] == {"0301": pytest.approx(5_000.0)}
    assert r["sink_lost_t_co2_yr"] == pytest.approx(5.0)
    assert "乔木林地" in f["reason_zh"]


def test_forest_sink_lost_vectorised_many_patches():
    # 3 patches of 100 m x 100 m in a row; a site covering x 50..250 takes 1/2, 1, 1/2 of them
    patches = gdf([box(i * 100, 0, (i + 1) * 100, 100) for i in range(3)], sink_t_co2_yr=[4.0, 6.0, 8.0])
    site = prepare_site(gdf([box(50, 0, 250, 100)]), LandCheckParams())
    ov, lost = forest_sink_lost(site, patches)
    assert list(ov) == pytest.approx([5_000.0, 10_000.0, 5_000.0])
    assert list(lost) == pytest.approx([2.0, 6.0, 4.0])


def test_forest_layer_missing_is_a_warning_not_a_crash(ctx):
    ctx._layers["forest"] = None
    r = check_site(gdf([box(X0 + 2_050, Y0 + 10_000, X0 + 2_150, Y0 + 10_100)]), context=ctx)
    f = finding(r, "forest")
    assert f["level"] == "warning" and "不可用" in f["reason_zh"]
    assert r["sink_lost_t_co2_yr"] == 0.0


def test_overlap_with_other_project_site(ctx):
    # overlaps project 2's parcel (x 553-554 km, y 3882-3883 km) by 500 m x 1000 m
    r = check_site(gdf([box(X0 + 3_500, Y0 + 2_000, X0 + 4_500, Y0 + 3_000)]), 1, context=ctx)
    s = finding(r, "project_sites")
    assert s["level"] == "conflict"
    assert s["overlap_m2"] == pytest.approx(500_000.0)
    assert s["details"]["projects"] == [2]
    # project 2 checked against itself is not a conflict
    r2 = check_site(gdf([box(X0 + 3_000, Y0 + 2_000, X0 + 4_000, Y0 + 3_000)]), 2, context=ctx)
    assert finding(r2, "project_sites")["level"] == "ok"


def test_devzone_inside_partly_and_outside_for_an_industrial_project(ctx):
    inside = check_site(gdf([box(X0 + 1_500, Y0 + 1_500, X0 + 1_800, Y0 + 1_800)]), 1, context=ctx)
    assert finding(inside, "devzone")["level"] == "ok" and inside["devzone_share"] == pytest.approx(1.0)
    # x 554-556 km: half inside the zone (which ends at 555 km)
    partly = check_site(gdf([box(X0 + 4_000, Y0 + 3_500, X0 + 6_000, Y0 + 4_000)]), 1, context=ctx)
    assert finding(partly, "devzone")["level"] == "warning"
    assert partly["devzone_share"] == pytest.approx(0.5)
    outside = check_site(gdf([box(X0 + 8_000, Y0 + 8_000, X0 + 8_300, Y0 + 8_300)]), 1, context=ctx)
    assert finding(outside, "devzone")["level"] == "warning"
    # no project: information only
    assert finding(check_site(gdf([box(X0 + 8_000, Y0 + 8_000, X0 + 8_300, Y0 + 8_300)]), context=ctx), "devzone")["level"] == "ok"


def test_land_need_of_project_1(ctx):
    # project 1: about 137 亩 (seed 附件2) = 137 * 666.67 m², 67,742 m² of new floor area
    need = 137 * M2_PER_MU
    side = need**0.5
    x, y = X0 + 1_200, Y0 + 1_200
    match = check_site(gdf([box(x, y, x + side, y + side)]), 1, context=ctx)
    lf = finding(match, "land_need")
    assert lf["level"] == "ok" and lf["share"] == pytest.approx(1.0, abs=1e-6)
    assert match["area_mu"] == pytest.approx(137.0, abs=0.01)
    assert finding(match, "plot_ratio")["share"] == pytest.approx(67_742 / need, rel=1e-6)
    small = check_site(gdf([box(x, y, x + 200, y + 250)]), 1, context=ctx)  # 50,000 m² = 54.7 % of need
    assert finding(small, "land_need")["level"] == "warning"
    assert finding(small, "land_need")["share"] == pytest.approx(50_000 / need)
    big = check_site(gdf([box(x, y, x + 400, y + 500)]), 1, context=ctx)  # 200,000 m²: plot ratio 0.339 < 0.7
    assert finding(big, "plot_ratio")["level"] == "warning"
    assert finding(big, "plot_ratio")["share"] == pytest.approx(67_742 / 200_000)


def test_rooftop_project_in_belt_is_not_a_land_conflict(ctx):
    roofs = [box(X0 + 17_000 + i * 50, Y0 + 100, X0 + 17_020 + i * 50, Y0 + 120) for i in range(5)]
    site = gdf([shapely.MultiPolygon(roofs)])
    r = check_site(site, 3, context=ctx)
    b = finding(r, "belt")
    assert b["level"] == "ok" and b["overlap_m2"] == pytest.approx(5 * 400.0)
    assert finding(r, "land_need")["level"] == "ok"
    assert r["status"] == "ok"


def test_many_part_site_counts_disjoint_parts_vectorised(ctx):
    # more parts than max_parts_union: parts are summed without dissolving
    p = LandCheckParams(max_parts_union=10)
    roofs = [box(X0 + 9_990 + i * 2, Y0 + 500, X0 + 9_991 + i * 2, Y0 + 501) for i in range(20)]  # 1 m² each
    r = check_site(gdf([shapely.MultiPolygon(roofs)]), context=ctx, params=p)
    assert r["area_m2"] == pytest.approx(20.0)
    # x 9990..10029: parts with i < 5 lie in T1, the rest in T2
    by = {t["name_en"]: t["overlap_m2"] for t in r["townships"]}
    assert by == {"T1": pytest.approx(5.0), "T2": pytest.approx(15.0)}


def test_bad_input_is_a_clear_error(ctx):
    with pytest.raises(ValueError, match="no polygon"):
        check_site(gpd.GeoSeries([shapely.Point(X0 + 1, Y0 + 1)], crs=AREA_CRS), context=ctx)
    with pytest.raises(ValueError, match="empty"):
        check_site(gpd.GeoSeries([], crs=AREA_CRS), context=ctx)
    with pytest.raises(KeyError, match="no project number 9"):
        check_site(gdf([box(X0, Y0, X0 + 10, Y0 + 10)]), 9, context=ctx)


def test_result_is_json_ready(ctx):
    import json

    r = check_site(gdf([box(X0 + 15_000, Y0 + 5_000, X0 + 16_000, Y0 + 6_000)]), 1, context=ctx)
    back = json.loads(json.dumps(r, ensure_ascii=False))
    assert set(back) >= {"area_m2", "area_ha", "area_mu", "townships", "findings"}
    for f in back["findings"]:
        assert set(f) >= {"level", "layer", "overlap_m2", "reason_zh", "reason_en"}
        assert f["level"] in {"info", "ok", "warning", "conflict"}


def test_roofs_cut_by_the_county_line_are_a_warning_parcels_a_conflict(ctx):
    # a 20 m x 20 m roof centred on the county's east edge (x = 570 km): 200 m² outside
    roof = gdf([box(X0 + 19_990, Y0 + 5_000, X0 + 20_010, Y0 + 5_020)])
    as_roof = finding(check_site(roof, 3, context=ctx), "county")
    as_parcel = finding(check_site(roof, context=ctx), "county")
    assert as_roof["level"] == "warning" and as_parcel["level"] == "conflict"
    assert as_roof["overlap_m2"] == pytest.approx(200.0) == as_parcel["overlap_m2"]
    assert "50.0%" in as_parcel["reason_en"]
