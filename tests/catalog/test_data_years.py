"""Data years: every imported version carries the year its data describe; indicators per year use the
matching version or the nearest earlier one, and say so."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from cyc_geo import db
from cyc_geo.carbon import forest
from cyc_geo.catalog import versions
from cyc_geo.catalog.provenance import layer_data_year
from cyc_geo.cli import main
from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.indicators import catalogue as ind


def _inventory(path, stock_0301: float, sjnf: int | None = None):
    from cyc_geo.places.county import county_geometry_area_crs

    c = county_geometry_area_crs().centroid
    cols = {"class_code": ["0301", "0307"], "stock_m3": [stock_0301, 4000.0]}
    if sjnf is not None:
        cols["SJNF"] = [sjnf, sjnf]
    gpd.GeoDataFrame(cols, geometry=[shapely.box(c.x, c.y, c.x + 500, c.y + 200),
                                     shapely.box(c.x, c.y - 400, c.x + 100, c.y - 300)], crs=AREA_CRS).to_file(path)
    return path


def test_two_forest_versions_of_different_years(demo_data_dir, tmp_path, capsys):
    # 2022: by the import's --data-year; 2023: read from the file's 三调 年份 column (SJNF)
    a = _inventory(tmp_path / "inv2022.gpkg", 50_000.0)
    b = _inventory(tmp_path / "inv2023.gpkg", 80_000.0, sjnf=2023)
    assert main(["import", str(a), "--layer", "forest", "--data-year", "2022", "--json", "--actor", "张三"]) == 0
    assert json.loads(capsys.readouterr().out)["data_year"] == 2022
    assert main(["import", str(b), "--layer", "forest", "--json", "--actor", "李四"]) == 0
    assert json.loads(capsys.readouterr().out)["data_year"] == 2023
    conn = db.connect()
    dated = versions.dated_versions(conn, "forest")
    assert [v["data_year"] for v in dated] == [2022, 2023]
    assert layer_data_year("forest") == "2023"  # the active version, shown in layer lists
    # indicator 16 counts 乔木林 (0301) only: 5 万m³ in 2022, 8 万m³ in 2023 (the 0307 stock is not counted)
    by_year = {y: ind.evaluate(y, conn).set_index("no").loc[16] for y in (2022, 2023, 2024)}
    conn.close()
    assert by_year[2022]["value"] == pytest.approx(5.0, rel=1e-6)
    assert by_year[2023]["value"] == pytest.approx(8.0, rel=1e-6)
    assert by_year[2022]["data_year"] == 2022 and by_year[2023]["data_year"] == 2023
    assert "0301" in by_year[2022]["reason"] and "0307" not in by_year[2022]["reason"]
    # 2024 has no data of its own: the 2023 version is shown as the map estimate, says where it came from,
    # and is not scored (issue 26: a map estimate counts only for its own data year)
    assert by_year[2024]["map_estimate"].value == pytest.approx(8.0, rel=1e-6)
    assert by_year[2024]["map_estimate"].data_year == 2023 and not by_year[2024]["map_estimate"].scored
    assert "carried from 2023" in by_year[2024]["map_estimate"].note
    assert pd.isna(by_year[2024]["value"]) and by_year[2024]["status"] == ind.NO_DATA
    assert by_year[2023]["entered_by"] == "李四"
    # the sink (#4) is the growth of the same stock scope: 2023's 80,000 m³ of 0301 (0307 not counted)
    sink = ind.evaluate(2023, db.connect()).set_index("no").loc[4, "value"]
    assert sink == pytest.approx(80_000 * 0.1027 * 1.2187 / 1e4, rel=1e-3)
    # the CLI: per-year actuals with their data year, the map estimate of another year beside them
    assert main(["indicators", "--year", "2024", "--json"]) == 0
    rows = {r["no"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[16]["actual"] is None and rows[16]["data_year"] is None
    assert rows[16]["map_estimate"]["data_year"] == 2023 and "carried from 2023" in rows[16]["map_estimate"]["note"]
    assert rows[3]["data_year"] is None  # not reported


def test_year_before_every_version_has_no_value(data_dir, tmp_path):
    path = _inventory(tmp_path / "inv.gpkg", 50_000.0, sjnf=2023)
    from cyc_geo.ingest.importer import import_file

    conn = db.connect()
    rec = import_file(path, "forest", "张三", conn=conn)
    assert versions.apply_data_year(conn, "forest", rec, None, "张三") == 2023
    v = forest.stock_by_year(2022)
    assert v.value is None and "2022" in v.note and "2023" in v.note
    with pytest.raises(ValueError):
        versions.set_data_year(conn, "forest", rec["import_id"], 1800, "张三")
    conn.close()


def test_version_for_year_picks_match_or_nearest_earlier():
    vs = [{"data_year": 2021, "import_id": 1}, {"data_year": 2023, "import_id": 2}, {"data_year": 2023, "import_id": 3}]
    assert versions.version_for_year(vs, 2023) == (vs[2], None)
    assert versions.version_for_year(vs, 2022) == (vs[0], 2021)
    assert versions.version_for_year(vs, 2020) == (None, None)
