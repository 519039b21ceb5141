"""Issue 27, rules: PV on forest land and 林地保护等级 (自然资办发〔2023〕12号), the 城镇开发边界 with the
单独选址 declaration (厅字〔2019〕48号), the site's 三调 地类 breakdown, the floodplain rule for PV, 24号 and the
PV 配套设施 part.

The forest squares are found on the demo land cover (a 300 m square whose every 20 m cell is the class), so the
tests follow the demo data rather than fixed coordinates.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from cyc_geo.catalog.loader import load_layer
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU


def square_on(code: int, side_m: float = 300.0) -> shapely.Polygon:
    """A ``side_m`` square (EPSG:4547) every cell of which is land-cover class ``code`` in the demo raster."""
    from scipy.ndimage import uniform_filter

    from cyc_geo.carbon.landcover import load_landcover

    lc = load_landcover()
    a = np.ma.filled(lc.array[0], 0)
    t = lc.transform
    n = int(np.ceil(side_m / abs(t.a))) + 3  # cells, with a margin of a cell and a half each side
    hits = np.argwhere(uniform_filter((a == code).astype(float), size=n, mode="constant") > 1 - 1e-9)
    assert len(hits), f"no {side_m} m square of class {code} in the demo land cover"
    r, c = hits[len(hits) // 2]
    x, y = t.c + (c + 0.5) * t.a, t.f + (r + 0.5) * t.e
    return box(x - side_m / 2, y - side_m / 2, x + side_m / 2, y + side_m / 2)


def land_check(tmp_path, capsys, geom, *args: str) -> dict:
    from cyc_geo.cli import main

    src = tmp_path / "site.geojson"
    gpd.GeoDataFrame(geometry=[geom], crs=AREA_CRS).to_file(src, driver="GeoJSON")
    assert main(["land-check", "--site", str(src), *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def one(result: dict, layer: str) -> dict:
    hits = [f for f in result["findings"] if f["layer"] == layer]
    assert len(hits) == 1, [f["layer"] for f in result["findings"]]
    return hits[0]


def test_pv_arrays_on_tree_forest_are_a_conflict_and_on_shrub_forest_a_warning_with_the_conditions(tmp_path, capsys):
    r = land_check(tmp_path, capsys, square_on(301), "--type", "pv")
    fo = one(r, "forest")
    assert fo["level"] == "conflict" and r["status"] == "conflict"
    assert fo["overlap_m2"] == pytest.approx(90_000.0, rel=1e-3)
    assert [p["code"] for p in fo["parts"]] == ["0301"] and fo["banned_m2"] == pytest.approx(90_000.0, rel=1e-3)
    assert fo["rule"]["key"] == "pv_forest" and "自然资办发〔2023〕12号" in fo["rule"]["document"]
    assert "灌木林地" in fo["rule"]["summary_zh"] and "400毫米" in fo["rule"]["summary_zh"]
    shrub = land_check(tmp_path, capsys, square_on(305), "--type", "pv")
    fs = one(shrub, "forest")
    assert fs["level"] == "warning" and [p["code"] for p in fs["parts"]] == ["0305"]
    for words in ("林光互补", "400毫米", "50%", "不得采伐"):
        assert words in fs["reason_zh"], words
    for words in ("400 mm", "50 %", "felling"):
        assert words in fs["reason_en"], words


def test_the_notice_is_quoted_in_its_own_words():
    from cyc_geo.planning.rules import RULES

    text = RULES["pv_cropland"].summary_zh
    assert "东北内蒙古重点国有林区" in text and "东北地区天然林" not in text
    assert "Ⅰ级保护林地" in text


def test_class_one_protected_forest_is_a_conflict_for_every_site_type():
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.landcheck import CheckContext

    lvl = gpd.GeoDataFrame({"protection_level": ["1", "Ⅱ级"]},
                           geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100)],
                           crs=AREA_CRS)
    site = gpd.GeoDataFrame(geometry=[box(552_050, 3_882_000, 552_150, 3_882_100)], crs=AREA_CRS)  # 5,000 m² of each
    ctx = CheckContext(forest_protection=lvl)
    for kind in ("industrial", "pv", "public", "other"):
        f = landcheck.check_site(site, context=ctx, site_type=kind).finding("forest_protection")
        assert f.level == "conflict", kind
        assert f.overlap_m2 == pytest.approx(5_000.0) and f.extra["by_level_m2"] == {"Ⅰ": 5_000.0, "Ⅱ": 5_000.0}
        assert f.rule.key == "forest_level1" and "第四条" in f.rule.article
    off = gpd.GeoDataFrame(geometry=[box(552_100, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS)
    assert landcheck.check_site(off, context=ctx, site_type="industrial").finding("forest_protection").level == "ok"


def test_the_demo_protection_layer_is_built_from_the_forest_and_imports_by_bhdj():
    from cyc_geo.catalog.provenance import provenance_of
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.planning.rules import protection_level

    layer = get_layer("forest_protection")
    assert "BHDJ" in layer.schema["aliases"]["protection_level"]
    gdf = load_layer(layer)
    assert provenance_of(gdf).demo
    assert set(gdf["protection_level"]) == {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"}
    assert set(gdf.loc[gdf["protection_level"] == "Ⅰ", "class_code"]) <= {"0301", "0302"}
    assert [protection_level(v) for v in ("1", "01", "I", "Ⅰ级", "一级", "4", "x")] == ["Ⅰ"] * 5 + ["Ⅳ", ""]


def test_an_industrial_site_outside_the_development_boundary_is_a_conflict_unless_declared_standalone(tmp_path, capsys):
    from cyc_geo.planning.compliance import report_meta
    from cyc_geo.planning.landcheck import CheckContext
    from cyc_geo.planning.site import LandCheck

    site = square_on(103)
    r = land_check(tmp_path, capsys, site, "--type", "industrial")
    u = one(r, "urban_boundary")
    assert u["outside_m2"] == pytest.approx(r["area_m2"])  # wholly outside
    assert u["level"] == "conflict" and r["status"] == "conflict" and r["standalone_siting"] is False
    assert "不得设立各类开发区" in u["rule"]["summary_zh"] and "48号" in u["rule"]["document"]
    d = land_check(tmp_path, capsys, site, "--type", "industrial", "--standalone-siting")
    ud = one(d, "urban_boundary")
    assert ud["level"] == "warning" and ud["standalone_siting"] is True and "单独选址" in ud["reason_zh"]
    assert d["standalone_siting"] is True
    back = LandCheck.from_dict(d)
    assert back.standalone_siting is True
    meta = report_meta(back, CheckContext(), "zh", "site")
    assert "单独选址" in meta.filters["申报声明"]
    assert "standalone" in report_meta(back, CheckContext(), "en", "site").filters["Declared"]
    assert "申报声明" not in report_meta(LandCheck.from_dict(r), CheckContext(), "zh", "site").filters
    # PV outside the boundary stays information (arrays are not urban construction)
    assert one(land_check(tmp_path, capsys, site, "--type", "pv"), "urban_boundary")["level"] == "info"


def test_the_landuse_breakdown_sums_to_the_site_area(tmp_path, capsys):
    # a 600 m x 450 m site across tree forest and what lies around it: several 三调 classes
    sq = square_on(301)
    x, y = sq.centroid.x, sq.centroid.y
    r = land_check(tmp_path, capsys, box(x - 300, y - 300, x + 300, y + 150), "--type", "pv")
    rows = r["landuse_breakdown"]
    assert rows and all({"code", "name", "overlap_m2", "overlap_mu"} <= set(row) for row in rows)
    total = sum(row["overlap_m2"] for row in rows)
    assert total == pytest.approx(r["area_m2"], rel=1e-3) and r["area_m2"] == pytest.approx(270_000.0, rel=1e-6)
    assert sum(row["overlap_mu"] for row in rows) == pytest.approx(r["area_mu"], rel=1e-3)
    by_code = {row["code"]: row for row in rows}
    assert by_code["0301"]["name"] == "乔木林地" and by_code["0301"]["group_name"] == "农用地"
    assert by_code["0301"]["overlap_m2"] >= 90_000.0 * 0.999
    for row in rows:
        assert row["overlap_mu"] == pytest.approx(row["overlap_m2"] / M2_PER_MU, abs=1e-3)


def test_the_breakdown_reads_a_dltb_layer_and_groups_the_three_classes():
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.landcheck import CheckContext
    from cyc_geo.planning.landuse_breakdown import group_totals, land_group

    dltb = gpd.GeoDataFrame({"DLBM": ["0102", "0601", "1106"], "DLMC": ["水浇地", "工业用地", "内陆滩涂"]},
                            geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100),
                                      box(552_200, 3_882_000, 552_300, 3_882_100)], crs=AREA_CRS)
    site = gpd.GeoDataFrame(geometry=[box(552_050, 3_882_000, 552_350, 3_882_100)], crs=AREA_CRS)  # 30,000 m²
    res = landcheck.check_site(site, context=CheckContext(dltb=dltb), site_type="industrial")
    rows = res.landuse_breakdown
    assert [(r["group"], r["code"], r["overlap_m2"]) for r in rows] == [
        ("construction", "0601", 10_000.0), ("agricultural", "0102", 5_000.0), ("unused", "1106", 10_000.0),
        ("unknown", "", 5_000.0)]
    assert group_totals(rows) == {"construction": 10_000.0, "agricultural": 5_000.0, "unused": 10_000.0, "unknown": 5_000.0}
    assert [land_group(c) for c in ("0404", "1006", "1104", "1003", "0305", "1201")] == [
        "unused", "agricultural", "agricultural", "construction", "agricultural", "construction"]
    assert landcheck.LandCheck.from_dict(res.to_dict()).landuse_breakdown == rows


def test_both_compliance_reports_carry_the_landuse_breakdown():
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from cyc_geo.planning import landcheck
    from cyc_geo.planning.compliance import landuse_table, report_pdf, report_xlsx
    from cyc_geo.planning.landcheck import CheckContext

    dltb = gpd.GeoDataFrame({"class_code": ["0102", "0601"], "class_name": ["水浇地", "工业用地"]},
                            geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100)],
                            crs=AREA_CRS)
    ctx = CheckContext(dltb=dltb)
    res = landcheck.check_site(gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS),
                               context=ctx, site_type="industrial")
    table = landuse_table(res, "zh")
    assert list(table["地类编码"]) == ["0601", "0102"] and list(table["三大类"]) == ["建设用地", "农用地"]
    wb = load_workbook(io.BytesIO(report_xlsx(res, ctx, "zh", "测试地块")))
    cells = [c.value for row in wb["地类现状"].iter_rows() for c in row]
    assert "工业用地" in cells and "水浇地" in cells
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(res, ctx, "en", "site"))).pages)
    assert "Land use now" in text and "0601" in text and "0102" in text


def test_the_english_compliance_workbook_says_mu_and_names_its_documents_in_english():
    """One language at a time: the English report has no 亩 (mu) and cites the land law by its English name."""
    import io
    import re

    from openpyxl import load_workbook

    from cyc_geo.planning import landcheck
    from cyc_geo.planning.compliance import report_xlsx
    from cyc_geo.planning.landcheck import CheckContext

    dltb = gpd.GeoDataFrame({"class_code": ["0102"], "class_name": ["水浇地"]},
                            geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS)
    cropland = gpd.GeoDataFrame({"class_code": ["0102"]}, geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)],
                                crs=AREA_CRS)
    ctx = CheckContext(dltb=dltb, cropland=cropland)
    res = landcheck.check_site(gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS),
                               context=ctx, site_type="industrial")
    wb = load_workbook(io.BytesIO(report_xlsx(res, ctx, "en", "site")))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if "亩" in c]
    assert any("29.99 mu" in c or "30.00 mu" in c for c in cells), [c for c in cells if "m²" in c][:3]
    rules = [c for c in cells if "Land Administration Law" in c]
    assert rules and not [c for c in rules if re.search(r"[\u4e00-\u9fff]", c)]


def test_pv_in_the_floodplain_cites_the_river_management_range_and_the_yellow_river_law():
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.landcheck import CheckContext

    belt = gpd.GeoDataFrame({"zone": ["floodplain", "corridor"]},
                            geometry=[box(566_000, 3_880_000, 570_000, 3_900_000), box(565_000, 3_880_000, 566_000, 3_900_000)],
                            crs=AREA_CRS)
    site = gpd.GeoDataFrame(geometry=[box(565_900, 3_885_000, 566_100, 3_885_100)], crs=AREA_CRS)
    ctx = CheckContext(belt=belt)
    pv = landcheck.check_site(site, context=ctx, site_type="pv").finding("belt")
    assert pv.level == "conflict" and pv.extra["floodplain_m2"] == pytest.approx(10_000.0)
    assert pv.rule.key == "river_floodplain" and "河道管理条例" in pv.rule.document and "黄河保护法" in pv.rule.document
    assert "建设用地" not in pv.reason_zh and "行洪" in pv.reason_zh
    other = landcheck.check_site(site, context=ctx, site_type="industrial").finding("belt")
    assert other.rule is None and "建设用地" in other.reason_zh  # construction keeps the belt's own wording


def test_24hao_indicators_per_industry_division():
    from cyc_geo.planning.industrial_land import industrial_land_findings, min_plot_ratio
    from cyc_geo.planning.site import CheckParams, IndustryFigures, prepare_site

    site = prepare_site(gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS))  # 2 ha
    assert min_plot_ratio("13") == (1.0, "农副食品加工业") and min_plot_ratio("C35")[0] == 0.7
    assert min_plot_ratio("25")[0] == 0.5 and min_plot_ratio("38") is None  # 表2 lists no 38
    figs = IndustryFigures(division="13", floor_area_m2=16_000, footprint_m2=4_000, office_land_m2=2_000,
                           green_land_m2=5_000, investment_wan=9_000)
    got = {f.check: f for f in industrial_land_findings(site, CheckParams(site_type="industrial", industry=figs), None)}
    assert got["plot_ratio"].level == "warning" and got["plot_ratio"].extra["min_plot_ratio"] == 1.0
    assert "1.0" in got["plot_ratio"].reason_zh and "农副食品加工业" in got["plot_ratio"].reason_zh
    assert got["building_coverage"].level == "warning" and got["building_coverage"].extra["building_coverage"] == 0.2
    assert got["office_share"].level == "conflict" and got["office_share"].extra["office_share"] == 0.1
    assert got["green_share"].level == "conflict" and got["green_share"].extra["green_share"] == 0.25
    inv = got["investment_intensity"]
    assert inv.level == "info" and inv.extra["investment_intensity_wan_per_ha"] == pytest.approx(4_500.0)
    assert any("Table 1" in x for x in got["land_indicators"].extra["not_checked"])
    for key in ("plot_ratio", "building_coverage", "office_share", "green_share"):
        assert "24号" in got[key].rule.document, key
    assert "plot_ratio_high" not in got
    good = IndustryFigures(division="35", floor_area_m2=16_000, footprint_m2=8_000, office_land_m2=1_000, green_land_m2=0)
    ok = {f.check: f.level for f in industrial_land_findings(site, CheckParams(site_type="industrial", industry=good), None)}
    assert ok["plot_ratio"] == ok["building_coverage"] == ok["office_share"] == ok["green_share"] == "ok"


def test_project_1_states_which_24hao_indicators_its_data_cannot_check():
    from cyc_geo.planning.industrial_land import industrial_land_findings
    from cyc_geo.planning.projects import load_projects, project_row
    from cyc_geo.planning.site import CheckParams, prepare_site

    site = prepare_site(gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_320, 3_882_285)], crs=AREA_CRS))  # 91,200 m²
    row = project_row(1, load_projects())
    got = {f.check: f for f in industrial_land_findings(site, CheckParams(site_type="industrial", project_no=1, project=row), None)}
    assert got["plot_ratio"].level == "ok" and got["plot_ratio"].share == pytest.approx(67_742 / 91_200, abs=1e-6)
    assert got["plot_ratio"].extra["industry_division"] == "35"
    assert got["investment_intensity"].extra["investment_intensity_wan_per_ha"] == pytest.approx(42_000 / 9.12, abs=0.1)
    missing = " ".join(got["land_indicators"].extra["not_checked"])
    for word in ("footprint", "office", "green", "Table 1"):
        assert word in missing, word
    assert {"building_coverage", "office_share", "green_share"}.isdisjoint(got)


def test_a_pv_site_s_support_facilities_are_checked_as_construction_land():
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.landcheck import CheckContext

    farm = gpd.GeoDataFrame({"parcel_id": ["F1"], "class_code": ["0101"], "class_name": ["水田"]},
                            geometry=[box(552_000, 3_882_000, 552_100, 3_882_100)], crs=AREA_CRS)
    crop = gpd.GeoDataFrame({"class_code": ["0101", "0103"], "class_name": ["水田", "旱地"]},
                            geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100)],
                            crs=AREA_CRS)
    dltb = gpd.GeoDataFrame({"class_code": ["0101", "0103", "0404"]},
                            geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100),
                                      box(552_200, 3_882_000, 552_400, 3_882_100)], crs=AREA_CRS)
    ctx = CheckContext(farmland=farm, cropland=crop, dltb=dltb)
    arrays = gpd.GeoDataFrame(geometry=[box(552_200, 3_882_000, 552_400, 3_882_100)], crs=AREA_CRS)  # 其他草地
    # a substation on 5,000 m² of 旱地 (cropland, not basic farmland) and 5,000 m² of 其他草地
    sub_ok = gpd.GeoDataFrame(geometry=[box(552_150, 3_882_000, 552_250, 3_882_100)], crs=AREA_CRS)
    r = landcheck.check_site(arrays, context=ctx, site_type="pv", support=sub_ok)
    f = r.finding("support_facilities")
    assert f.level == "warning" and f.rule.key == "pv_support" and "12号" in f.rule.document
    assert f.extra["support_m2"] == pytest.approx(10_000.0) and f.extra["cropland_m2"] == pytest.approx(5_000.0)
    assert f.extra["agricultural_m2"] == pytest.approx(5_000.0)
    assert "农用地转用" in f.reason_zh and "占补平衡" in f.reason_zh
    assert r.finding("cropland").level == "ok"  # the arrays themselves take no cropland
    # on basic farmland: a conflict
    sub_bad = gpd.GeoDataFrame(geometry=[box(552_050, 3_882_000, 552_150, 3_882_100)], crs=AREA_CRS)
    bad = landcheck.check_site(arrays, context=ctx, site_type="pv", support=sub_bad).finding("support_facilities")
    assert bad.level == "conflict" and bad.overlap_m2 == pytest.approx(5_000.0)
    # an area only: stated as construction land, classes unknown
    only = landcheck.check_site(arrays, context=ctx, site_type="pv", support_area_m2=3_000.0).finding("support_facilities")
    assert only.level == "warning" and only.extra["support_m2"] == 3_000.0 and "未核查" in only.reason_zh
    # not for other site types
    assert landcheck.check_site(arrays, context=ctx, site_type="industrial", support_area_m2=3_000.0).finding(
        "support_facilities") is None


def test_the_page_records_the_declaration_and_shows_the_landuse_table(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from cyc_geo import paths

    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "page.sqlite"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(paths.REPO_ROOT / "views" / "projects.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    sq = gpd.GeoSeries([square_on(103)], crs=AREA_CRS).to_crs("EPSG:4326").iloc[0]
    drawn = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(sq)}
    drawn["geometry"]["coordinates"] = [[list(c) for c in ring] for ring in drawn["geometry"]["coordinates"]]
    at.session_state[at.get("component_instance")[0].key] = {"last_active_drawing": drawn}
    at.selectbox(key="projects_site_type").set_value("industrial")
    at.checkbox(key="projects_standalone_siting").check()
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="projects_industry_div").set_value("13")
    at.number_input(key="projects_industry_office_land_m2").set_value(9_000.0)  # 10 % of the 9 ha square
    at.run()
    assert not at.exception, at.exception
    # entered figures checked (markdown-escaped)
    assert any("行政办公及生活服务设施用地" in e.value and r"超过 7\%" in e.value for e in at.error)
    assert any("单独选址" in c.value for c in at.caption)  # the declaration, beside the figures
    assert any("单独选址" in w.value and "城镇开发边界" in w.value for w in at.warning)  # urban_boundary: warning
    assert any("地类现状" in m.value for m in at.markdown)  # the 三调 breakdown table's heading
    st.cache_resource.clear()
    st.cache_data.clear()


def test_conflict_areas_split_pv_forest_by_class_and_draw_class_one_forest():
    from cyc_geo.planning import landcheck
    from cyc_geo.planning.landcheck import CheckContext, site_conflicts

    forest = gpd.GeoDataFrame({"class_code": ["0301", "0305"], "sink_t_co2_yr": [1.0, 1.0]},
                              geometry=[box(552_000, 3_882_000, 552_100, 3_882_100), box(552_100, 3_882_000, 552_200, 3_882_100)],
                              crs=AREA_CRS)
    lvl = gpd.GeoDataFrame({"protection_level": ["Ⅰ"]}, geometry=[box(552_000, 3_882_000, 552_050, 3_882_100)], crs=AREA_CRS)
    site = gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS)
    ctx = CheckContext(forest=forest, forest_protection=lvl)
    res = landcheck.check_site(site, context=ctx, site_type="pv")
    areas = site_conflicts(site, res, ctx).to_crs(AREA_CRS)
    got = {(r.layer, r.level): round(r.area_m2) for r in areas.itertuples()}
    assert got[("forest", "conflict")] == 10_000 and got[("forest", "warning")] == 10_000
    assert got[("forest_protection", "conflict")] == 5_000


def test_a_planner_file_with_bhdj_imports_as_the_protection_layer_and_drives_the_check(data_dir, tmp_path):
    from cyc_geo.catalog.provenance import provenance_of
    from cyc_geo.ingest.importer import import_file
    from cyc_geo.places.county import county_geometry_area_crs
    from cyc_geo.planning.landcheck import CheckContext
    from cyc_geo.planning.rules import forest_protection_finding
    from cyc_geo.planning.site import CheckParams, prepare_site

    c = county_geometry_area_crs().representative_point()
    a, b = box(c.x, c.y, c.x + 200, c.y + 200), box(c.x + 200, c.y, c.x + 400, c.y + 200)
    src = tmp_path / "lddj.geojson"
    gpd.GeoDataFrame({"BHDJ": ["1", "3"], "DLBM": ["0301", "0301"]}, geometry=[a, b], crs=AREA_CRS).to_crs(
        "EPSG:4326").to_file(src, driver="GeoJSON")
    rec = import_file(src, "forest_protection", "tester")
    assert rec["mapping"]["protection_level"] == "BHDJ"
    gdf = load_layer("forest_protection")
    assert not provenance_of(gdf).demo and sorted(gdf["protection_level"]) == ["1", "3"]
    site = prepare_site(gpd.GeoDataFrame(geometry=[box(c.x + 100, c.y, c.x + 300, c.y + 200)], crs=AREA_CRS))
    f = forest_protection_finding(site, CheckParams(site_type="public"), CheckContext())
    assert f.level == "conflict" and f.overlap_m2 == pytest.approx(20_000.0, rel=1e-6)
    assert f.extra["by_level_m2"] == {"Ⅰ": pytest.approx(20_000.0, rel=1e-6), "Ⅲ": pytest.approx(20_000.0, rel=1e-6)}


def test_the_land_use_table_names_classes_in_the_reports_language() -> None:
    """The English compliance report names a 三调 class in English (it printed 乔木林地); a planner's own 地类图斑
    name of an unknown code stays as the file gives it."""
    from types import SimpleNamespace

    from cyc_geo.planning.compliance import landuse_table

    rows = [{"group": "agricultural", "code": "0301", "name": "乔木林地", "overlap_m2": 60.0, "overlap_mu": 0.09},
            {"group": "unknown", "code": "9999", "name": "自定地类", "overlap_m2": 40.0, "overlap_mu": 0.06}]
    result = SimpleNamespace(landuse_breakdown=rows, area_m2=100.0)
    assert list(landuse_table(result, "en")["Class"]) == ["Tree forest", "自定地类"]
    assert list(landuse_table(result, "zh")["地类名称"]) == ["乔木林地", "自定地类"]


def test_compliance_map_has_scale_bar_north_arrow_cropland_and_no_coordinate_axes():
    """Issue 29: the report map showed raw EPSG:4547 axis numbers, no scale bar or north arrow, and left out the
    cropland its findings warn about."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from cyc_geo.planning import landcheck
    from cyc_geo.planning.compliance import map_figure, map_png
    from tests.planning.test_landcheck_rules import SITE_A, world

    ctx = world()
    site = gpd.GeoDataFrame(geometry=[SITE_A], crs=AREA_CRS)
    res = landcheck.check_site(site, context=ctx, site_type="industrial")
    conflicts = landcheck.site_conflicts(site, res, ctx)
    assert set(conflicts["level"]) == {"conflict", "warning"}  # basic farmland, and cropland (C4)
    for lang, north, crop, warn, conf in (("zh", "北", "耕地", "注意区域", "冲突区域"),
                                          ("en", "N", "Cropland", "warning area", "conflict area")):
        fig = map_figure(site, conflicts, ctx, lang)
        ax = fig.axes[0]
        assert not [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
        assert not len(ax.get_xticks()) and not len(ax.get_yticks())
        texts = [t.get_text() for t in ax.texts]
        assert any(t.endswith(" m") or t.endswith(" km") for t in texts), texts  # the scale bar's length
        assert north in texts
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert crop in legend and warn in legend and conf in legend and len(legend) == len(set(legend))
        plt.close(fig)
    assert Image.open(io.BytesIO(map_png(site, conflicts, ctx, "zh"))).size[0] > 500


def test_a_site_almost_wholly_in_the_development_zone_does_not_read_as_wholly_in_and_partly_out():
    """Issue 29: "地块 100.0% 位于经开区内，其余在区外" for a site with 10 m² of 1,000,000 m² outside."""
    from cyc_geo.planning import landcheck
    from tests.planning.test_landcheck_rules import X0, Y0, world

    # the zone ends at X0 + 5 km: a 1 km × 1 km site reaching 1 cm past it
    site = gpd.GeoDataFrame(geometry=[box(X0 + 4_000 + 0.01, Y0 + 2_000, X0 + 5_000 + 0.01, Y0 + 3_000)], crs=AREA_CRS)
    f = landcheck.check_site(site, context=world(), site_type="industrial").finding("devzone")
    assert f.level == "warning"
    assert "100.0%" not in f.reason_zh and "100.0%" not in f.reason_en
    assert ">99.9%" in f.reason_zh and "区外部分 10 m²" in f.reason_zh and "其余" not in f.reason_zh
    assert "10 m² (<0.1%) outside" in f.reason_en


def test_compliance_findings_of_figures_have_empty_area_cells():
    """Issue 29: the 容积率 row read "0 m² / 0 亩" in the report; a check of a figure has no area."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from cyc_geo.planning import landcheck
    from cyc_geo.planning.compliance import findings_table, report_pdf, report_xlsx
    from cyc_geo.planning.landcheck import CheckContext
    from cyc_geo.planning.site import IndustryFigures

    figs = IndustryFigures(division="13", floor_area_m2=16_000, footprint_m2=4_000, office_land_m2=2_000,
                           green_land_m2=5_000, investment_wan=9_000)
    site = gpd.GeoDataFrame(geometry=[box(552_000, 3_882_000, 552_200, 3_882_100)], crs=AREA_CRS)
    ctx = CheckContext()
    res = landcheck.check_site(site, context=ctx, site_type="industrial", industry=figs)
    table = findings_table(res, "zh").set_index("图层")
    for name in ("容积率", "建筑系数", "绿地率", "投资强度"):
        assert pd.isna(table.loc[name, "面积"]) and pd.isna(table.loc[name, "亩数"]), name
    assert table.loc["市域范围", "面积"] == pytest.approx(20_000.0)  # an overlap keeps its area
    wb = load_workbook(io.BytesIO(report_xlsx(res, ctx, "zh", "地块")))
    rows = {r[1]: r for r in wb["核查结论"].iter_rows(values_only=True) if r and len(r) > 3}
    assert rows["容积率"][2] in (None, "", "—") and rows["容积率"][3] in (None, "", "—")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(report_pdf(res, ctx, "zh", "地块"))).pages)
    line = next(x for x in text.splitlines() if "容积率" in x and ("注意" in x or "通过" in x or "冲突" in x))
    assert "容积率 — —" in line, line  # empty area and 亩 cells


def test_project_report_map_has_scale_bars_and_north_arrows_not_coordinates():
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from cyc_geo.planning import report
    from tests.planning.test_landcheck_rules import SITE_A, world

    captured = []
    real = plt.close
    try:
        plt.close = lambda fig=None: captured.append(fig)  # keep the figure to look at its axes
        png = report.render_site_map(gpd.GeoDataFrame(geometry=[SITE_A], crs=AREA_CRS), None, world())
    finally:
        plt.close = real
    assert Image.open(io.BytesIO(png)).size[0] > 500
    (fig,) = captured
    for ax in fig.axes:
        assert not len(ax.get_xticks()) and not len(ax.get_yticks())
        texts = [t.get_text() for t in ax.texts]
        assert any(t.endswith(" km") or t.endswith(" m") for t in texts) and ("北" in texts or "N" in texts)
    real(fig)
