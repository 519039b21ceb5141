"""Area statistics (cyc_geo.planning.area_stats, ``stats --area``) against the other commands' own figures.

A township's statistics must equal ``pv progress``'s installed MW, ``carbon``'s stock and the PV page's township
table; a site's 永久基本农田 / 红线 / 城镇开发边界 overlaps must equal ``land-check``'s (one overlap implementation).
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from cyc_geo.cli import main
from cyc_geo.geo.crs import AREA_CRS, M2_PER_MU

AS_OF = "2024-12-31"


def run_json(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _township_file(tmp_path, name: str) -> tuple[str, str]:
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    one = towns[towns["name"] == name]
    assert len(one) == 1
    path = tmp_path / "town.geojson"
    one[["code", "name", "geometry"]].to_file(path, driver="GeoJSON")
    return str(path), str(one["code"].iloc[0])


def test_township_stats_equal_pv_progress_carbon_and_the_pv_township_table(demo_data_dir, tmp_path, capsys):
    from cyc_geo.places.townships import load_townships
    from cyc_geo.pv import aggregation
    from cyc_geo.pv import model as pv
    from cyc_geo.pv.rooftops import load_rooftops

    path, code = _township_file(tmp_path, "蒲东街道")
    stats = run_json(capsys, "stats", "--area", path, "--as-of", AS_OF, "--json")

    progress = run_json(capsys, "pv", "progress", "--as-of", AS_OF, "--json")
    town = next(t for t in progress["by_township"] if t["name"] == "蒲东街道")
    assert town["installed_mw"] > 0
    assert stats["installed_mw"] == pytest.approx(town["installed_mw"], abs=0.001)
    assert stats["as_of"] == AS_OF

    carbon = run_json(capsys, "carbon", "--json")
    row = next(r for r in carbon["by_township"] if r["name"] == "蒲东街道")
    assert row["stock_m3"] > 0
    assert round(stats["forest_stock_m3"], 3) == pytest.approx(row["stock_m3"], abs=0.001)
    assert round(stats["forest_gross_sink_t_co2_yr"], 3) == pytest.approx(row["sink_t_co2"], abs=0.001)
    assert round(stats["forest_area_ha"], 3) == pytest.approx(row["forest_area_ha"], abs=0.001)

    roofs = load_rooftops()
    table = aggregation.township_table(pv.estimate(pd.DataFrame(roofs.drop(columns="geometry"))), load_townships())
    t = table[table["code"] == code].iloc[0]
    assert stats["roofs_in_scenario"] == int(t["roofs"]) > 0
    assert stats["roofs"] == int(t["buildings"])
    assert stats["roof_area_m2"] == pytest.approx(float(t["area_m2"]), abs=0.01)
    assert stats["potential_mw"] == pytest.approx(float(t["capacity_mw"]), abs=1e-6)
    assert stats["potential_gwh"] == pytest.approx(float(t["annual_gwh"]), abs=1e-6)
    assert stats["potential_scenario"] == "开发比例情景潜力（整县推进最低比例，受可用面积限制）"

    rows = {r["item"]: r for r in stats["rows"]}
    assert rows["potential_mw"]["value"] == stats["potential_mw"] and rows["potential_mw"]["unit"] == "MW"
    definition = rows["forest_stock_m3"]["definition_zh"]
    assert rows["forest_stock_m3"]["provenance"] == "demo" and "乔木林地 0301" in definition and "0307" not in definition
    assert rows["installed_mw"]["layer"] == "pv_installations" and rows["installed_mw"]["data_year"] == "2024"
    assert stats["layers"]["farmland"]["provenance"] == "demo"


def test_opening_stock_counts_for_the_whole_county_only(demo_data_dir, tmp_path, capsys):
    """With an opening stock, a township keeps the PV page's township figure (ledger rows after its date) and the
    whole county gets ``pv progress``'s installed MW, opening stock included."""
    from cyc_geo import db
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.pv import opening_stock

    conn = db.connect()
    try:
        opening_stock.save_opening_stock(conn, 12.5, "2022-12-31", "test", "tester")
    finally:
        conn.close()
    path, _ = _township_file(tmp_path, "蒲东街道")
    town_stats = run_json(capsys, "stats", "--area", path, "--as-of", AS_OF, "--json")
    progress = run_json(capsys, "pv", "progress", "--as-of", AS_OF, "--json")
    assert progress["opening_stock_applied"]
    town = next(t for t in progress["by_township"] if t["name"] == "蒲东街道")
    assert town_stats["installed_mw"] == pytest.approx(town["installed_mw"], abs=0.001)
    assert not town_stats["opening_stock_included"] and "不分摊" in town_stats["opening_stock_treatment"]

    county = tmp_path / "county.gpkg"
    load_layer("county")[["geometry"]].to_file(county, driver="GPKG")
    county_stats = run_json(capsys, "stats", "--area", str(county), "--as-of", AS_OF, "--json")
    assert county_stats["opening_stock_included"]
    assert county_stats["installed_mw"] == pytest.approx(progress["installed_mw"], abs=0.001)
    assert county_stats["pipeline_mw"] == pytest.approx(progress["pipeline_mw"], abs=0.001)


def _square_on_farmland_edge(side: float = 300.0) -> shapely.Polygon:
    """A ``side`` m square (EPSG:4547) centred on the west edge of a basic-farmland parcel that also touches the
    urban development boundary's neighbourhood: it takes part of the parcel, not all of it."""
    from cyc_geo.catalog.loader import load_layer

    farm = load_layer("farmland").to_crs(AREA_CRS)
    big = farm[farm.geometry.area > 4 * side * side]
    g = big.geometry.iloc[len(big) // 2]
    x0 = g.bounds[0]
    y = g.representative_point().y
    return shapely.box(x0 - side / 2 + 40, y - side / 2, x0 + side / 2 + 40, y + side / 2)


@pytest.mark.parametrize("kind", ["gpkg", "txt"])
def test_site_farmland_and_zoning_equal_the_land_check(demo_data_dir, tmp_path, capsys, kind):
    from cyc_geo.planning.jzd import jzd_bytes
    from cyc_geo.planning.projects import site_from_gdf

    square = gpd.GeoDataFrame(geometry=[_square_on_farmland_edge()], crs=AREA_CRS)
    path = tmp_path / f"site.{kind}"
    if kind == "gpkg":
        square.to_file(path, driver="GPKG")
    else:  # 界址点 TXT, read by the land check's site reader for both commands
        path.write_bytes(jzd_bytes(site_from_gdf(square, AREA_CRS), name="site"))
    stats = run_json(capsys, "stats", "--area", str(path), "--json")
    check = run_json(capsys, "land-check", "--site", str(path), "--json")
    assert stats["area_mu"] == pytest.approx(check["area_mu"], abs=0.01)
    assert stats["area_m2"] == pytest.approx(90_000, rel=1e-3)

    farm = next(f for f in check["findings"] if f["layer"] == "farmland")
    assert 0 < farm["overlap_mu"] < check["area_mu"]  # the square takes part of the parcel
    assert stats["farmland_mu"] == pytest.approx(farm["overlap_mu"], abs=0.01)
    assert stats["farmland_by_class"] == farm["parts"]
    red = next(f for f in check["findings"] if f["layer"] == "eco_redline")
    assert stats["eco_redline_m2"] == pytest.approx(red["overlap_m2"], abs=0.01)
    ub = next(f for f in check["findings"] if f["layer"] == "urban_boundary")
    assert stats["urban_boundary_m2"] == pytest.approx(ub["overlap_m2"], abs=0.01)
    belt = next(f for f in check["findings"] if f["layer"] == "belt")
    assert stats["belt_by_zone_m2"] == pytest.approx(belt["details"]["per_zone_m2"], abs=0.01)
    assert stats["cropland_mu"] >= stats["farmland_mu"] - 0.01  # 耕地 includes the 耕地 inside basic farmland
    assert stats["landuse_breakdown"] == check["landuse_breakdown"]  # the land check's 地类 table, the same function


def test_stats_excel_and_print_rows_carry_the_table(demo_data_dir):
    from openpyxl import load_workbook

    from cyc_geo.exports.pdf import pdf_text
    from cyc_geo.mapview.print_layout import print_layout
    from cyc_geo.planning.area_stats import area_statistics, print_rows, workbook_bytes

    square = gpd.GeoDataFrame(geometry=[_square_on_farmland_edge()], crs=AREA_CRS)
    stats = area_statistics(square, as_of=AS_OF)
    ws = load_workbook(io.BytesIO(workbook_bytes(stats, "zh"))).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(cells) if r[:4] == ["类别", "项目", "数值", "单位"])
    body = cells[header + 1:]
    assert len(body) == len(stats.rows)
    farm = next(r for r in body if r[0] == "永久基本农田" and r[1] == "合计")
    assert isinstance(farm[2], float) and farm[2] == pytest.approx(stats["farmland_mu"]) and farm[3] == "亩"
    assert any("数据年份" in str(r[1]) for r in cells[:header])  # sources with data years in the header block
    assert any(r[1] == "已并网光伏装机（截至 2024-12-31）" and r[3] == "MW" for r in body)

    rows = print_rows(stats, "zh")
    assert len(rows) == len(stats.rows)
    text = pdf_text(print_layout(["county", "townships"], "A3", True, "区域统计测试", "zh", figures=rows))
    assert "永久基本农田 · 合计" in text and f"{stats['farmland_mu']:,.2f}" in text


def test_stats_cli_refuses_bad_files_without_a_traceback(demo_data_dir, tmp_path, capsys):
    assert main(["stats", "--area", str(tmp_path / "missing.geojson"), "--json"]) == 2
    assert "找不到" in capsys.readouterr().err
    pts = tmp_path / "points.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(114.68, 35.2)], crs="EPSG:4326").to_file(pts, driver="GeoJSON")
    assert main(["stats", "--area", str(pts), "--json"]) == 2
    assert "没有面要素" in capsys.readouterr().err
    box = tmp_path / "box.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(114.6, 35.1, 114.61, 35.11)], crs="EPSG:4326").to_file(box, driver="GeoJSON")
    assert main(["stats", "--area", str(box), "--as-of", "2024-13-45", "--json"]) == 2
    assert "日期无效" in capsys.readouterr().err


def test_area_of_the_stats_is_its_polygon_in_epsg_4547(demo_data_dir):
    from cyc_geo.planning.area_stats import area_statistics

    square = gpd.GeoDataFrame(geometry=[shapely.box(560_000, 3_890_000, 560_300, 3_890_300)], crs=AREA_CRS)
    stats = area_statistics(square.to_crs("EPSG:4326"), as_of=AS_OF)
    assert stats["area_m2"] == pytest.approx(90_000, abs=0.5)
    assert stats["area_mu"] == pytest.approx(90_000 / M2_PER_MU, abs=0.01)


def test_land_check_and_stats_measure_zoning_through_one_overlap_function(demo_data_dir, monkeypatch):
    """Both the land check's findings and the statistics measure 永久基本农田, 红线, 城镇开发边界 and 耕地 through
    cyc_geo.planning.overlaps.layer_overlap (one implementation): a change there changes both."""
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.planning import overlaps
    from cyc_geo.planning.area_stats import area_statistics
    from cyc_geo.planning.landcheck import CheckContext, check_site

    square = gpd.GeoDataFrame(geometry=[_square_on_farmland_edge()], crs=AREA_CRS)
    sizes = {n: len(load_layer(n)) for n in ("farmland", "eco_redline", "urban_boundary", "cropland")}
    real = overlaps.layer_overlap
    seen: dict[str, list[int]] = {"check": [], "stats": []}
    caller = ["check"]

    def doubled(site, layer, min_m2=1.0, per_feature=None):
        seen[caller[0]].append(len(layer))
        out = real(site, layer, min_m2, per_feature)
        return overlaps.LayerOverlap(out.per_feature * 2, out.total_m2 * 2, out.codes, out.names, out.parts)

    ctx = CheckContext()
    before = check_site(square, context=ctx).finding("farmland").overlap_m2
    monkeypatch.setattr(overlaps, "layer_overlap", doubled)
    check = check_site(square, context=ctx)
    caller[0] = "stats"
    stats = area_statistics(square, context=ctx, as_of=AS_OF)
    assert before > 0
    assert check.finding("farmland").overlap_m2 == pytest.approx(2 * before, abs=0.02)
    assert stats["farmland_m2"] == pytest.approx(2 * before, abs=0.02)
    for name in ("farmland", "eco_redline", "urban_boundary"):
        assert sizes[name] in seen["check"] and sizes[name] in seen["stats"], name
