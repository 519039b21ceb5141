"""The forest of each year (issue 28 item 1): ``carbon --year Y`` and indicators 4 and 16 of year Y use the demo
land-cover vintage of Y; the stock changes between years by the stated demo rules (docs/sources.md,
"Demo vintages")."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from cyc_geo.carbon import forest
from cyc_geo.cli import main
from cyc_geo.geo.crs import AREA_CRS

CELL_HA = 0.04  # 20 m cells of the demo raster
M3_PER_HA = 92.0  # 0301 stock density of forest_params.csv


def _carbon(capsys, *args: str) -> dict:
    assert main(["carbon", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_forest_stock_differs_between_years(demo_data_dir, capsys):
    by_year = {y: _carbon(capsys, "--year", str(y)) for y in (2021, 2022, 2024)}
    current = _carbon(capsys)
    for y, doc in by_year.items():
        assert doc["year"] == y and doc["data_year"] == y and doc["carried_from"] is None
        assert doc["version"]["label_en"] == f"data of {y}"
    assert by_year[2022]["version"]["path"].endswith("landcover_demo_2022.tif")
    assert by_year[2022]["stock_m3"] != by_year[2024]["stock_m3"]
    # 2024 is the demo raster itself (the figures every page shows) and its data year is now known
    assert by_year[2024]["stock_m3"] == current["stock_m3"] and current["data_year"] == 2024
    # the rules add 117.9 ha (belt) + 80 ha (growth) − 64 ha (harvest) − 25 ha (loss) of 0301 a year:
    # about 108.9 ha × 92 m³/ha ≈ 1.0 万m³ a year, the plan's own net stock path (180 → 183 万m³)
    per_year = (by_year[2024]["stock_m3"] - by_year[2022]["stock_m3"]) / 2
    assert per_year == pytest.approx(108.9 * M3_PER_HA, rel=0.02)
    assert by_year[2021]["stock_m3"] == pytest.approx(by_year[2022]["stock_m3"] - per_year, rel=1e-3)
    assert by_year[2022]["forest_area_ha"] < by_year[2024]["forest_area_ha"]  # the belt's plantings
    # a year after the last vintage carries it and says so
    later = _carbon(capsys, "--year", "2026")
    assert (later["data_year"], later["carried_from"]) == (2024, 2024) and later["stock_m3"] == current["stock_m3"]
    assert later["version"]["label_zh"] == "沿用 2024 年数据"


def test_year_cannot_be_combined_with_a_landcover_file(demo_data_dir, capsys):
    assert main(["carbon", "--json", "--year", "2022", "--landcover", "x.tif"]) != 0
    assert "do not combine it with --landcover" in json.loads(capsys.readouterr().out)["message_en"]


def test_indicators_of_a_year_score_the_vintage_of_that_year(demo_data_dir: Path, capsys):
    stock23 = _carbon(capsys, "--year", "2023")
    assert main(["indicators", "--year", "2023", "--json"]) == 0
    rows = {r["no"]: r for r in json.loads(capsys.readouterr().out)}
    est16, est4 = rows[16]["map_estimate"], rows[4]["map_estimate"]
    # a map estimate counts only for its own data year: the 2023 vintage is the 2023 actual
    assert est16["data_year"] == 2023 and est16["scored"] is True and rows[16]["scored"] == "map_estimate"
    assert rows[16]["actual"] == pytest.approx(stock23["stock_m3"] / 1e4, rel=1e-6)
    assert rows[4]["actual"] == pytest.approx(stock23["sink_t_co2"] / 1e4, rel=1e-6) and est4["data_year"] == 2023
    assert "demo vintage 2023" in est16["note"] and "0301" in est16["note"]
    assert main(["indicators", "--year", "2022", "--json"]) == 0
    rows22 = {r["no"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows22[16]["map_estimate"]["data_year"] == 2022
    assert rows22[16]["actual"] < rows[16]["actual"]  # the stock of 2022 is not the stock of 2023
    # a planner's forest file without a data year replaces the demo: its figures, never mixed with demo vintages
    from cyc_geo.places.county import county_geometry_area_crs

    c = county_geometry_area_crs().centroid
    gpd.GeoDataFrame({"class_code": ["0301"], "stock_m3": [50_000.0]}, geometry=[shapely.box(c.x, c.y, c.x + 500,
                     c.y + 200)], crs=AREA_CRS).to_file(demo_data_dir / "boundaries" / "forest.gpkg")
    v = forest.stock_by_year(2023)
    assert v.data_year is None and v.value == pytest.approx(5.0, rel=1e-6)  # the planner's file, year unknown
    assert "no forest version of 2023" in v.note
