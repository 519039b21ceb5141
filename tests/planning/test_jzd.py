"""界址点 coordinate files (报盘格式): read, areas by hand, holes, GBK, bad lines, export round trip."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.planning.jzd import JzdError, jzd_bytes, read_jzd, read_jzd_bytes, write_jzd
from cyc_geo.planning.projects import read_site_file

# Parcel 1: 320 m x 285 m rectangle (E 562000-562320, N 3885800-3886085) = 91,200 m2,
# with a 100 m x 50 m hole (E 562100-562200, N 3885900-3885950) = 5,000 m2 -> 86,200 m2.
# Parcel 2: trapezoid (562500,3885800) (562700,3885800) (562650,3885900) (562550,3885900):
# shoelace = (200 + 100) / 2 * 100 = 15,000 m2.
TWO_PARCELS = """[属性描述]
格式版本号=1.01版本
数据产生单位=长垣市自然资源局
数据产生日期=2023-05-10
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=38
精度=0.001
转换参数=,,,,,,
[地块坐标]
10,8.6200,1,蒲瑞精密一期,面,,工业用地,,@
J1,1,3885800.000,38562000.000
J2,1,3885800.000,38562320.000
J3,1,3886085.000,38562320.000
J4,1,3886085.000,38562000.000
J1,1,3885800.000,38562000.000
J5,2,3885900.000,38562100.000
J6,2,3885950.000,38562100.000
J7,2,3885950.000,38562200.000
J8,2,3885900.000,38562200.000
J5,2,3885900.000,38562100.000
5,1.5000,2,蒲瑞精密二期,面,,工业用地,,@
J1,1,3885800.000,38562500.000
J2,1,3885800.000,38562700.000
J3,1,3885900.000,38562650.000
J4,1,3885900.000,38562550.000
J1,1,3885800.000,38562500.000
"""


def test_zone_prefix_two_parcels_and_a_hole_match_hand_areas():
    gdf = read_jzd_bytes(TWO_PARCELS.encode("utf-8"))
    assert gdf.crs.to_epsg() == 4526  # CGCS2000 3-degree GK zone 38, Y with the zone number
    assert list(gdf["name"]) == ["蒲瑞精密一期", "蒲瑞精密二期"]
    one, two = gdf.geometry
    assert len(one.interiors) == 1
    assert one.area == pytest.approx(86_200.0, abs=1e-6)
    assert two.area == pytest.approx(15_000.0, abs=1e-6)
    assert list(gdf["stated_area_ha"]) == [8.62, 1.5]
    # the same figures in the project's area CRS (EPSG:4547 = zone 38 without the prefix)
    assert gdf.to_crs(AREA_CRS).geometry.area.sum() == pytest.approx(101_200.0, abs=1e-3)
    assert one.bounds == pytest.approx((38_562_000.0, 3_885_800.0, 38_562_320.0, 3_886_085.0))


def test_gbk_file_and_the_site_reader(tmp_path):
    path = tmp_path / "红线.txt"
    path.write_bytes(TWO_PARCELS.encode("gbk"))
    gdf = read_site_file(path)
    assert list(gdf["name"]) == ["蒲瑞精密一期", "蒲瑞精密二期"]
    assert gdf.geometry.area.sum() == pytest.approx(101_200.0)
    # UTF-8 with a BOM reads the same
    path.write_bytes(b"\xef\xbb\xbf" + TWO_PARCELS.encode("utf-8"))
    assert read_jzd(path).geometry.area.sum() == pytest.approx(101_200.0)


def test_without_prefix_and_six_degree_zones():
    no_prefix = TWO_PARCELS.replace(",38562", ",562")
    gdf = read_jzd_bytes(no_prefix.encode())
    assert gdf.crs.to_epsg() == 4547
    six = no_prefix.replace("几度分带=3", "几度分带=6").replace("带号=38", "带号=20")
    assert read_jzd_bytes(six.encode()).crs.to_epsg() == 4509  # CGCS2000 6-degree CM 117E
    xian = no_prefix.replace("2000国家大地坐标系", "1980西安坐标系")
    assert read_jzd_bytes(xian.encode()).crs.to_epsg() == 2383  # Xi'an 80 3-degree CM 114E
    assert read_jzd_bytes(xian.encode()).crs.name.startswith("Xian 1980")


def test_export_then_reimport_gives_the_same_polygon_to_a_millimetre():
    site = gpd.GeoDataFrame(geometry=[read_jzd_bytes(TWO_PARCELS.encode()).geometry.union_all()], crs="EPSG:4526").to_crs(4326)
    text = write_jzd(site, name="出让地块")
    assert "带号=38" in text and "坐标系=2000国家大地坐标系" in text
    assert ",38562000.000" in text  # Y carries the zone number
    back = read_jzd_bytes(jzd_bytes(site, name="出让地块"))
    assert back.crs.to_epsg() == 4526 and len(back) == 2
    a = site.to_crs(AREA_CRS).geometry.iloc[0]
    b = back.to_crs(AREA_CRS).geometry.union_all()
    assert shapely.hausdorff_distance(a, b) < 1e-3
    assert b.area == pytest.approx(101_200.0, abs=0.01)
    assert sum(len(p.interiors) for p in shapely.get_parts(b)) == 1


@pytest.mark.parametrize(
    "edit, line, words",
    [
        (lambda t: t.replace("J3,1,3886085.000,38562320.000", "J3,1,3886085.000,abc"), 16, "Y"),
        (lambda t: t.replace("J2,1,3885800.000,38562700.000", "J2,1,38562700.000,3885800.000"), 26, "swapped"),
        (lambda t: t.replace("10,8.6200,1", "11,8.6200,1"), 13, "states 11 points"),
        (lambda t: t.replace("[地块坐标]\n", "[地块坐标]\nJ0,1,1,2\n"), 13, "before any parcel header"),
    ],
)
def test_bad_lines_are_named(edit, line, words):
    with pytest.raises(JzdError) as err:
        read_jzd_bytes(edit(TWO_PARCELS).encode())
    assert err.value.line == line
    assert f"第 {line} 行" in str(err.value) and f"line {line}" in str(err.value) and words in str(err.value)


def test_missing_zone_is_a_clear_error():
    text = TWO_PARCELS.replace(",38562", ",562").replace("带号=38\n", "")
    with pytest.raises(JzdError, match="zone number missing"):
        read_jzd_bytes(text.encode())


def test_box_site_exports_one_parcel_closed():
    site = gpd.GeoDataFrame(geometry=[box(562000, 3885800, 562100, 3885900)], crs=AREA_CRS)
    rows = write_jzd(site).splitlines()
    header = next(r for r in rows if r.endswith("@"))
    assert header.startswith("5,1.0000,1,")
    pts = rows[rows.index(header) + 1:]
    assert len(pts) == 5 and pts[0] == pts[-1]


def test_export_of_an_uploaded_file_keeps_each_parcels_name_and_use():
    """Issue 29: the 界址点 export of an uploaded file wrote the file name as every parcel's name and no use."""
    from cyc_geo.planning.projects import export_site

    up = read_jzd_bytes(TWO_PARCELS.encode())
    names, uses = list(up["name"]), list(up["use"])
    assert all(names) and all(uses)  # the sample file names and uses both parcels
    site = up.to_crs(4326)  # as the projects page keeps it
    back = read_jzd_bytes(jzd_bytes(export_site(site), name="upload.txt"))
    assert list(back["name"]) == names and list(back["use"]) == uses
    merged = export_site(gpd.GeoDataFrame(geometry=[box(562000, 3885800, 562100, 3885900)], crs=AREA_CRS))
    assert len(merged) == 1
    again = read_jzd_bytes(jzd_bytes(merged, name="项目1", use="工业用地"))
    assert list(again["name"]) == ["项目1"] and list(again["use"]) == ["工业用地"]


def test_land_check_cli_export_keeps_the_parcels_names(tmp_path):
    from cyc_geo.cli import main

    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(TWO_PARCELS.encode("gbk"))
    assert main(["land-check", "--site", str(src), "--export-jzd", str(out), "--json"]) in (0, 1)
    assert list(read_jzd(out)["name"]) == list(read_jzd_bytes(TWO_PARCELS.encode())["name"])
