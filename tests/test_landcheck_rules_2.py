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
import pytest
import shapely
from shapely.geometry import box

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
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.catalog.provenance import provenance_of
    from cyc_geo.planning.rules import protection_level

    layer = get_layer("forest_protection")
    assert "BHDJ" in layer.schema["aliases"]["protection_level"]
    gdf = layer.load()
    assert provenance_of(gdf).demo
    assert set(gdf["protection_level"]) == {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ"}
    assert set(gdf.loc[gdf["protection_level"] == "Ⅰ", "class_code"]) <= {"0301", "0302"}
    assert [protection_level(v) for v in ("1", "01", "I", "Ⅰ级", "一级", "4", "x")] == ["Ⅰ"] * 5 + ["Ⅳ", ""]
