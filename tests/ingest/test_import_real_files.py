"""Real planner files (issue 27, items 11-12): the 三区三线 / 三调 standard layers (永久基本农田保护图斑 YJJBNTBHTB,
地类图斑 DLTB, 生态保护红线 STBHHX, 城镇开发边界 CZKFBJ; GBK shapefiles without .cpg) map their fields, and a GCJ-02
(DataV/AMap) county outline read as WGS84 is named in the import's ``warnings``."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from import_helpers import CENTRE_4547, write_shapefile_zip
from streamlit.testing.v1 import AppTest

from cyc_geo.catalog.loader import load_layer
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.geo.gcj02 import gdf_wgs84_to_gcj02
from cyc_geo.ingest.importer import import_file
from cyc_geo.planning import compliance
from cyc_geo.planning.landcheck import CheckContext, check_site

REPO = Path(__file__).resolve().parents[2]
X0, Y0 = CENTRE_4547


def _boxes(n: int, side: float = 200.0) -> list[shapely.Polygon]:
    return [shapely.box(X0 + i * 400, Y0, X0 + i * 400 + side, Y0 + side) for i in range(n)]


def yjjbntbhtb() -> gpd.GeoDataFrame:
    """Three 永久基本农田保护图斑 with the 三区三线 layer's fields (YJJBNTBHTB), in EPSG:4547."""
    return gpd.GeoDataFrame({
        "BSM": [101, 102, 103], "YSDM": ["2005010100"] * 3, "XZQDM": ["410783"] * 3,
        "YJJBNTTBBH": ["0017", "0018", "0019"], "TBBH": ["1201", "1202", "1203"],
        "DLBM": ["0102", "0103", "0102"], "DLMC": ["水浇地", "旱地", "水浇地"],
        "QSDWMC": ["孟岗村", "孟岗村", "南蒲村"], "ZLDWMC": ["孟岗村", "孟岗村", "南蒲村"],
        "YJJBNTTBMJ": [40012.35, 39988.10, 40001.00], "KCDLBM": ["1203"] * 3, "KCXS": [0.03, 0.05, 0.0],
        "KCMJ": [1200.37, 1999.41, 0.0], "YJJBNTMJ": [38811.98, 37988.69, 40001.00], "GDLX": ["PD"] * 3,
        "GDPDJB": ["1"] * 3, "SJNF": [2022] * 3,
    }, geometry=_boxes(3), crs=AREA_CRS)


def test_basic_farmland_shapefile_maps_its_area_fields_and_the_parcel_table_shows_the_tbbh(demo_data_dir, tmp_path):
    src = yjjbntbhtb()
    path = write_shapefile_zip(src, tmp_path, name="YJJBNTBHTB", encoding="GBK")  # no .cpg
    rec = import_file(path, "farmland", "tester")
    assert rec["encoding"].upper() in ("GBK", "GB18030")
    assert {"area_m2": "YJJBNTTBMJ", "deducted_m2": "KCMJ", "net_area_m2": "YJJBNTMJ", "parcel_no": "YJJBNTTBBH",
            "parcel_id": "BSM"}.items() <= rec["mapping"].items()
    farm = load_layer("farmland").sort_values("parcel_no")
    assert list(farm["area_m2"]) == pytest.approx(list(src["YJJBNTTBMJ"]))
    assert list(farm["deducted_m2"]) == pytest.approx(list(src["KCMJ"]))
    assert list(farm["net_area_m2"]) == pytest.approx(list(src["YJJBNTMJ"]))
    assert list(farm["parcel_no"]) == ["0017", "0018", "0019"] and list(farm["class_name"]) == ["水浇地", "旱地", "水浇地"]
    # a site over the first two parcels: the land check's parcel table names them by 图斑编号 with their 图斑面积
    site = gpd.GeoDataFrame(geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 650, Y0 + 250)], crs=AREA_CRS)
    ctx = CheckContext(farmland=load_layer("farmland"), cropland=None, eco_redline=None, urban_boundary=None,
                       forest_protection=None)
    result = check_site(site, context=ctx, site_type="industrial")
    table = compliance.parcel_table(result, "zh")
    assert list(table["图斑编号"]) == ["0017", "0018"]
    assert list(table["图斑面积"]) == pytest.approx([40012.35, 39988.10])
    assert list(compliance.parcel_table(result, "en")["Parcel no."]) == ["0017", "0018"]


def test_dltb_as_cropland_keeps_gross_deducted_and_net_area(demo_data_dir, tmp_path):
    src = gpd.GeoDataFrame({
        "BSM": [1, 2], "YSDM": ["2001010100"] * 2, "TBYBH": ["0301", "0302"], "TBBH": ["0301", "0302"],
        "DLBM": ["0103", "0102"], "DLMC": ["旱地", "水浇地"], "QSXZ": ["30"] * 2, "QSDWDM": ["4107831020010000000"] * 2,
        "QSDWMC": ["孟岗村"] * 2, "ZLDWDM": ["4107831020010000000"] * 2, "ZLDWMC": ["孟岗村"] * 2,
        "TBMJ": [40000.0, 40000.0], "KCDLBM": ["1203"] * 2, "KCXS": [0.05, 0.0], "KCMJ": [2000.0, 0.0],
        "TBDLMJ": [38000.0, 40000.0], "GDLX": ["PD"] * 2, "GDPDJB": ["1"] * 2, "XZDWKD": [0.0] * 2, "TBXHDM": [""] * 2,
        "ZZSXDM": [""] * 2, "CZCSXM": [""] * 2, "SJNF": [2022] * 2,
    }, geometry=_boxes(2), crs=AREA_CRS)
    rec = import_file(write_shapefile_zip(src, tmp_path, name="DLTB"), "cropland", "tester")
    assert {"area_m2": "TBMJ", "deducted_m2": "KCMJ", "net_area_m2": "TBDLMJ", "parcel_no": "TBBH"}.items() \
        <= rec["mapping"].items()
    crop = load_layer("cropland").sort_values("parcel_no")
    assert list(crop["net_area_m2"]) == [38000.0, 40000.0] and list(crop["deducted_m2"]) == [2000.0, 0.0]


def test_redline_and_development_boundary_fields(demo_data_dir, tmp_path):
    red = gpd.GeoDataFrame({"BSM": [1], "YSDM": ["3001010100"], "XZQDM": ["410783"], "XZQMC": ["长垣市"],
                            "HXMC": ["黄河湿地生态保护红线"], "LHLX": ["生物多样性维护"], "MJ": [123.4]},
                           geometry=_boxes(1, 2000), crs=AREA_CRS)
    rec = import_file(write_shapefile_zip(red, tmp_path / "r", name="STBHHX"), "eco_redline", "tester")
    assert rec["mapping"] == {"name": "HXMC", "redline_type": "LHLX"}
    assert load_layer("eco_redline")["redline_type"].tolist() == ["生物多样性维护"]
    ub = gpd.GeoDataFrame({"BSM": [1], "YSDM": ["2001010100"], "XZQDM": ["410783"], "XZQMC": ["长垣市"],
                           "GHFQDM": ["11"], "GHFQMC": ["城镇集中建设区"]}, geometry=_boxes(1, 3000), crs=AREA_CRS)
    rec = import_file(write_shapefile_zip(ub, tmp_path / "u", name="CZKFBJ"), "urban_boundary", "tester")
    assert rec["mapping"] == {"name": "XZQMC", "zone_type": "GHFQMC"}
    assert load_layer("urban_boundary")[["name", "zone_type"]].iloc[0].tolist() == ["长垣市", "城镇集中建设区"]


# ---------------------------------------------------------------- 12: GCJ-02 outlines


def _gcj_county(tmp_path: Path) -> Path:
    """The county outline shifted into GCJ-02 degrees, as DataV hands it out (a GeoJSON that says nothing of GCJ-02)."""
    county = load_layer("county")[["geometry"]].assign(name="长垣市", adcode="410783")
    path = tmp_path / "410783_full.json"
    gdf_wgs84_to_gcj02(county).to_file(path, driver="GeoJSON")
    return path


def test_gcj02_county_outline_imported_without_crs_gets_a_warning(demo_data_dir, tmp_path, capsys):
    from cyc_geo.cli import main

    path = _gcj_county(tmp_path)
    assert main(["import", str(path), "--layer", "county", "--json", "--actor", "t"]) == 0
    rec = json.loads(capsys.readouterr().out)
    (warning,) = rec["warnings"]
    assert warning["code"] == "gcj02_suspected" and warning["suggest_crs"] == "GCJ02"
    assert "GCJ-02" in warning["message_zh"] and "GCJ-02" in warning["message_en"] and "--crs GCJ02" in warning["message_en"]
    assert 0.93 < warning["iou_as_read"] < 0.97 and warning["iou_gcj02_shifted"] > 0.99
    assert 300 < warning["offset_m"] < 800
    # imported with --crs GCJ02 it lands on the county: no warning; a WGS84 outline has none either
    assert main(["import", str(path), "--layer", "county", "--crs", "GCJ02", "--json", "--actor", "t"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []
    wgs = tmp_path / "wgs.geojson"
    load_layer("county")[["geometry"]].assign(name="长垣市").to_file(wgs, driver="GeoJSON")
    assert main(["import", str(wgs), "--layer", "county", "--json", "--actor", "t"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


class _Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name, self.size, self.file_id = name, len(data), "gcj-1"


@pytest.mark.parametrize("lang, text", [("zh", "GCJ-02（高德/DataV 火星坐标）"), ("en", "most likely in GCJ-02")])
def test_data_import_page_shows_the_gcj02_warning(demo_data_dir, tmp_path, monkeypatch, lang, text):
    """The page's default layer (townships) from a GCJ-02 township file: the import's warning in the page's language."""
    import streamlit

    towns = load_layer("townships")[["code", "name", "geometry"]]
    path = tmp_path / "towns_gcj.geojson"
    gdf_wgs84_to_gcj02(towns).to_file(path, driver="GeoJSON")
    data = path.read_bytes()
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: _Upload(data, "towns.geojson"))
    streamlit.cache_resource.clear()
    streamlit.cache_data.clear()
    at = AppTest.from_file(str(REPO / "views" / "data_import.py"), default_timeout=120)
    at.session_state["cyc_auth"] = {"user": "carol", "expires": time.time() + 600}
    at.session_state["lang"] = lang
    if lang == "zh":
        at.run()
        at.button(key="imp_go").click().run()
    else:  # AppTest formats a select box's value outside the page (in Chinese), so the English rerun is not
        # clicked: the page shows the record the import left in the session, as after the click
        at.session_state["imp_result"] = import_file(path, "townships", "carol")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [w.value.replace("\\", "") for w in at.warning if "GCJ" in w.value]  # markdown-escaped on the page
    assert len(shown) == 1 and text in shown[0]
    assert ("请用坐标系 GCJ02 重新导入" in shown[0]) == (lang == "zh")  # one language at a time
    streamlit.cache_resource.clear()
    streamlit.cache_data.clear()
