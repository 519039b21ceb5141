"""三区三线, 三调 耕地 and PV rules on synthetic layers whose overlaps are known exactly (EPSG:4547 m).

World (as tests/planning/test_landcheck.py, plus):
- 永久基本农田 F1 0101, F2 0102, F3 0103: 200 m x 200 m parcels side by side at x 551.0-551.6 km, y 3890.0-3890.2 km;
- 耕地: F1-F3 plus C4 0102 (not basic farmland) at x 551.6-551.8 km;
- 生态保护红线: x 568-570 km (inside the floodplain);
- 城镇开发边界: x 551-556 km, y 3881-3886 km.
Site A: x 551.1-551.7 km, y 3890.05-3890.15 km (600 m x 100 m = 60,000 m²) takes
F1 10,000 + F2 20,000 + F3 20,000 = 50,000 m² of basic farmland, 10,000 m² of C4, and lies wholly
outside the development boundary.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box

from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU
from cyc_geo.planning import landcheck
from cyc_geo.planning.landcheck import CheckContext, site_conflicts
from cyc_geo.planning.projects import load_projects

X0, Y0 = 550_000.0, 3_880_000.0
SITE_A = box(551_100, 3_890_050, 551_700, 3_890_150)


def check_site(*args, **kwargs) -> dict:
    """The check as the JSON ``land-check --json`` prints (:meth:`LandCheck.to_dict`)."""
    return landcheck.check_site(*args, **kwargs).to_dict()


def gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=AREA_CRS)


def parcels(n=3):
    xs = [551_000 + 200 * i for i in range(4)]
    codes = ["0101", "0102", "0103", "0102"]
    names = ["水田", "水浇地", "旱地", "水浇地"]
    return gdf([box(x, 3_890_000, x + 200, 3_890_200) for x in xs[:n]], parcel_id=[f"F{i + 1}" for i in range(n)],
               class_code=codes[:n], class_name=names[:n], located_in=["东村", "东村", "西村", "西村"][:n],
               owner=["东村集体"] * n)


def world() -> CheckContext:
    """The synthetic world of the land-check tests (EPSG:4547 metres; also used by test_landcheck_types)."""
    return CheckContext(
        county=gdf([box(X0, Y0, X0 + 20_000, Y0 + 20_000)], name=["county"]),
        townships=gdf([box(X0, Y0, X0 + 20_000, Y0 + 20_000)], code=["410783001"], name=["东乡"], name_en=["T1"]),
        belt=gdf([box(X0 + 16_000, Y0, X0 + 20_000, Y0 + 20_000)], zone=["floodplain"]),
        devzone=gdf([box(X0 + 1_000, Y0 + 1_000, X0 + 5_000, Y0 + 5_000)], name=["zone"]),
        forest=gdf([box(552_000, 3_890_000, 552_100, 3_890_100)], patch_id=[1], class_code=["0301"], area_ha=[1.0],
                   sink_t_co2_yr=[10.0]),
        sites=gdf([box(553_000, 3_882_000, 554_000, 3_883_000)], project_no=[1], site_kind=["parcel"]),
        projects=load_projects(),
        farmland=parcels(3),
        cropland=parcels(4),
        eco_redline=gdf([box(568_000, Y0, 570_000, Y0 + 20_000)], name=["黄河湿地红线"], redline_type=["生物多样性维护"]),
        urban_boundary=gdf([box(551_000, 3_881_000, 556_000, 3_886_000)], name=["城区"]),
    )


@pytest.fixture
def ctx() -> CheckContext:
    return world()


def one(result, layer):
    hits = [f for f in result["findings"] if f["layer"] == layer]
    assert len(hits) == 1, [f["layer"] for f in result["findings"]]
    return hits[0]


def test_industrial_site_on_basic_farmland_cropland_outside_the_boundary(ctx):
    r = check_site(gdf([SITE_A]), context=ctx, site_type="industrial")
    assert r["site_type"] == "industrial" and r["status"] == "conflict"
    assert r["area_m2"] == pytest.approx(60_000.0)
    f = one(r, "farmland")
    assert f["level"] == "conflict"
    assert f["overlap_m2"] == pytest.approx(50_000.0)
    assert f["overlap_mu"] == pytest.approx(75.0)
    assert f["parts"] == [
        {"code": "0101", "name": "水田", "overlap_m2": 10_000.0, "overlap_mu": pytest.approx(15.0)},
        {"code": "0102", "name": "水浇地", "overlap_m2": 20_000.0, "overlap_mu": pytest.approx(30.0)},
        {"code": "0103", "name": "旱地", "overlap_m2": 20_000.0, "overlap_mu": pytest.approx(30.0)},
    ]
    table = {p["parcel_id"]: p for p in f["parcels"]}
    assert table["F1"]["share"] == pytest.approx(1 / 6, abs=1e-6) and table["F1"]["located_in"] == "东村"
    assert table["F3"]["overlap_mu"] == pytest.approx(30.0) and table["F3"]["located_in"] == "西村"
    assert f["rule"]["article"] == "第三十五条" and "土地管理法" in f["rule"]["document"]
    c = one(r, "cropland")
    assert c["level"] == "warning" and c["overlap_m2"] == pytest.approx(10_000.0) and c["overlap_mu"] == pytest.approx(15.0)
    assert "占补平衡" in c["reason_zh"] and c["parts"][0]["code"] == "0102"
    u = one(r, "urban_boundary")  # issue 27: an industrial site outside is a conflict (was a warning)
    assert u["level"] == "conflict" and u["outside_m2"] == pytest.approx(60_000.0)
    assert one(r, "eco_redline")["level"] == "ok"
    cited = {x["key"] for x in r["rules"]}
    assert {"farmland", "cropland", "urban_boundary"} <= cited
    json.dumps(r, ensure_ascii=False)


def test_pv_arrays_on_farmland_and_cropland_are_conflicts_and_forest_is_lin_guang_hu_bu(ctx):
    r = check_site(gdf([SITE_A]), context=ctx, site_type="pv")
    f, c, u = one(r, "farmland"), one(r, "cropland"), one(r, "urban_boundary")
    assert f["level"] == "conflict" and f["rule"]["key"] == "pv_cropland" and "自然资办发〔2023〕12号" in f["rule"]["document"]
    assert c["level"] == "conflict" and c["overlap_m2"] == pytest.approx(10_000.0) and "不得占用耕地" in c["reason_zh"]
    assert u["level"] == "info" and u["outside_m2"] == pytest.approx(60_000.0)  # PV is not urban construction
    # a PV site half on the 1 ha tree-forest patch: arrays may not use 乔木林地 (issue 27: a conflict, was a warning)
    r2 = check_site(gdf([box(552_000, 3_890_000, 552_200, 3_890_100)]), context=ctx, site_type="pv")
    fo = one(r2, "forest")
    assert fo["level"] == "conflict" and fo["overlap_m2"] == pytest.approx(10_000.0)
    assert "林光互补" in fo["reason_zh"] and fo["rule"]["key"] == "pv_forest"
    assert fo["parts"] == [{"code": "0301", "name": "乔木林地", "overlap_m2": 10_000.0, "overlap_mu": pytest.approx(15.0)}]


def test_public_and_other_sites_and_the_red_line(ctx):
    site_b = gdf([box(567_500, 3_885_000, 568_500, 3_885_100)])  # 100,000 m², 50,000 m² in the red line
    r = check_site(site_b, context=ctx, site_type="other")
    red = one(r, "eco_redline")
    assert red["level"] == "conflict" and red["overlap_m2"] == pytest.approx(50_000.0) and red["overlap_mu"] == pytest.approx(75.0)
    assert red["rule"]["key"] == "eco_redline" and "142号" in red["rule"]["document"]
    assert one(r, "urban_boundary")["level"] == "info"
    road = check_site(site_b, context=ctx, site_type="public", redline_activity="linear_infrastructure")
    red2 = one(road, "eco_redline")
    assert red2["level"] == "warning" and "线性基础设施" in red2["reason_zh"]
    assert one(road, "urban_boundary")["level"] == "warning"  # public facilities are urban construction
    assert one(road, "urban_boundary")["outside_m2"] == pytest.approx(100_000.0)
    with pytest.raises(ValueError, match="unknown limited activity"):
        check_site(site_b, context=ctx, site_type="public", redline_activity="factory")
    with pytest.raises(ValueError, match="unknown site type"):
        check_site(site_b, context=ctx, site_type="mine")


def test_industrial_site_inside_the_boundary_off_farmland_passes_the_three_lines(ctx):
    r = check_site(gdf([box(552_000, 3_882_000, 552_300, 3_882_300)]), context=ctx, site_type="industrial")
    for layer in ("farmland", "eco_redline", "urban_boundary", "cropland"):
        assert one(r, layer)["level"] == "ok", layer
    assert one(r, "urban_boundary")["outside_m2"] == 0.0


def test_project_2_floor_area_on_100_mu_is_an_error_not_a_pass(ctx):
    # 200 m x 333.33 m = 66,666.67 m² = 100 亩; 393,830 m² of floor area -> plot ratio 5.907
    site = gdf([box(551_500, 3_881_500, 551_700, 3_881_500 + 100 * M2_PER_MU / 200)])
    r = check_site(site, 2, context=ctx)
    assert r["area_mu"] == pytest.approx(100.0)
    pr = one(r, "plot_ratio")
    # issue 27: 24号 sets only a minimum (表2: 0.7 for division 35); above 3.0 is a "please check" note, the
    # project's own check value, no longer a conflict citing 24号
    assert pr["level"] == "ok" and pr["min_plot_ratio"] == 0.7 and pr["industry_division"] == "35"
    high = one(r, "plot_ratio_high")
    assert high["level"] == "warning" and "rule" not in high and "24号未设上限" in high["reason_zh"]
    assert r["status"] != "ok"
    assert pr["plot_ratio"] == pytest.approx(393_830 / (100 * M2_PER_MU), abs=1e-3)
    assert pr["site_range_mu"] == [pytest.approx(393_830 / 3.0 / M2_PER_MU, abs=0.05),
                                   pytest.approx(393_830 / 0.7 / M2_PER_MU, abs=0.05)]
    # the same floor area on 300 亩 (ratio 1.97) is within both bounds
    big = gdf([box(551_500, 3_881_500, 552_100, 3_881_500 + 300 * M2_PER_MU / 600)])
    big_r = check_site(big, 2, context=ctx)
    assert one(big_r, "plot_ratio")["level"] == "ok"
    assert not [f for f in big_r["findings"] if f["layer"] == "plot_ratio_high"]


def test_rooftop_project_with_roofs_over_forest_is_not_a_pass(ctx):
    # project 3 (rooftop PV): 5,000 of 20,000 m² of "roofs" lie on the tree-forest patch -> the layers disagree
    roofs = gdf([box(552_000, 3_890_000, 552_050, 3_890_100), box(553_500, 3_890_000, 553_650, 3_890_100)])
    r = check_site(roofs, 3, context=ctx)
    assert r["site_type"] == "pv"
    fo = one(r, "forest")
    assert fo["level"] == "warning" and fo["overlap_m2"] == pytest.approx(5_000.0) and fo["share"] == pytest.approx(0.25)
    assert "不一致" in fo["reason_zh"] or "有误" in fo["reason_zh"]
    assert r["status"] == "warning"
    # roofs only touching it at raster edges (0.5 %) still pass
    edge = gdf([box(552_095, 3_890_000, 552_100, 3_890_020), box(553_500, 3_890_000, 553_700, 3_890_100)])
    assert one(check_site(edge, 3, context=ctx), "forest")["level"] == "ok"


def test_conflict_areas_for_the_map(ctx):
    site = gdf([SITE_A])
    r = landcheck.check_site(site, context=ctx, site_type="industrial")
    areas = site_conflicts(site, r, ctx).to_crs(AREA_CRS).set_index("layer")
    assert areas.loc["farmland", "area_m2"] == pytest.approx(50_000.0)
    assert areas.loc["cropland", "area_m2"] == pytest.approx(10_000.0)
    assert areas.loc["urban_boundary", "area_m2"] == pytest.approx(60_000.0)
    assert areas.loc["farmland", "level"] == "conflict"
    assert areas.loc["farmland"].geometry.area == pytest.approx(50_000.0, rel=1e-6)


def test_cli_land_check_reads_a_jzd_file_and_exports_one(ctx, tmp_path, monkeypatch, capsys):
    from cyc_geo.cli import main
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.jzd import read_jzd

    monkeypatch.setattr(landcheck, "CheckContext", lambda: ctx)
    pts = ["J1,1,3890050.000,38551100.000", "J2,1,3890050.000,38551700.000", "J3,1,3890150.000,38551700.000",
           "J4,1,3890150.000,38551100.000", "J1,1,3890050.000,38551100.000"]
    src = tmp_path / "site.txt"
    src.write_bytes(("[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=38\n"
                     "[地块坐标]\n5,6.0000,1,测试地块,面,,工业,,@\n" + "\n".join(pts) + "\n").encode("gbk"))
    out = tmp_path / "out.txt"
    assert main(["land-check", "--site", str(src), "--type", "industrial", "--export-jzd", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    farm = next(f for f in res["findings"] if f["layer"] == "farmland")
    assert farm["overlap_m2"] == pytest.approx(50_000.0) and farm["overlap_mu"] == pytest.approx(75.0)
    assert [p["code"] for p in farm["parts"]] == ["0101", "0102", "0103"]
    assert next(f for f in res["findings"] if f["layer"] == "urban_boundary")["outside_m2"] == pytest.approx(60_000.0)
    assert read_jzd(out).to_crs(AREA_CRS).geometry.area.sum() == pytest.approx(60_000.0, abs=0.01)
    bad = tmp_path / "bad.txt"
    bad.write_text("[地块坐标]\nJ1,1,1,2\n", encoding="utf-8")
    assert main(["land-check", "--site", str(bad), "--json"]) == 2
    assert "line 2" in capsys.readouterr().err
