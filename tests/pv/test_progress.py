"""cyc_geo.pv.progress on a hand-built ledger: sums by year / township / type, goal status on installed only."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from cyc_geo.pv import installations as inst
from cyc_geo.pv import progress as pg

TOWNS = pd.DataFrame({"code": ["410783001000", "410783002000"], "name": ["蒲西街道", "蒲东街道"],
                      "name_en": ["Puxi", "Pudong"]})
A, B = TOWNS["code"]


def _ledger(rows, data_year: str | None = "2024") -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=["status", "capacity_kw", "date", "township_code", "building_class", "x"])
    df.insert(0, "install_id", range(1, len(df) + 1))
    df["name"], df["owner"], df["has_coords"] = "n", "o", True
    gdf = gpd.GeoDataFrame(df.drop(columns="x"), geometry=[Point(x, 0.5) for x in df["x"]], crs="EPSG:4326")
    gdf.attrs["meta"] = {"demo": "false", **({"data_year": data_year} if data_year else {})}
    return inst.normalise(gdf)


# 2021: 1000 kW (A); 2022: 3000 kW (A) + 500 kW (B); 2024: 20,000 kW (B); pipeline 80,000 kW.
ROWS = [
    ("grid_connected", 1000.0, "2021-06-01", A, "public", 0.5),
    ("grid_connected", 3000.0, "2022-03-01", A, "commercial", 1.5),
    ("grid_connected", 500.0, "2022-12-31", B, "rural", 2.5),
    ("grid_connected", 20000.0, "2024-07-01", B, "commercial", 3.5),
    ("under_construction", 30000.0, "2024-05-01", B, "commercial", 4.5),
    ("filed", 50000.0, "2024-09-01", A, "commercial", 5.5),
]


def test_by_year_added_and_cumulative():
    years = pg.by_year(_ledger(ROWS), pg.as_of_date("2025-03-01"))
    assert years["year"].tolist() == [2021, 2022, 2023, 2024, 2025]
    assert years["added_mw"].tolist() == pytest.approx([1.0, 3.5, 0.0, 20.0, 0.0])
    assert years["cumulative_mw"].tolist() == pytest.approx([1.0, 4.5, 4.5, 24.5, 24.5])


def test_installed_pipeline_township_type():
    led, as_of = _ledger(ROWS), pg.as_of_date("2024-12-31")
    assert pg.installed_mw(led, as_of) == pytest.approx(24.5)
    assert pg.installed_mw(led, pg.as_of_date("2022-12-30")) == pytest.approx(4.0)  # B's 500 kW on the 31st
    assert pg.pipeline_mw(led, as_of) == pytest.approx(80.0)
    assert pg.pipeline_mw(led, pg.as_of_date("2024-06-01")) == pytest.approx(30.0)  # filed later
    towns = pg.by_township(led, as_of, TOWNS).set_index("code")["installed_mw"]
    assert towns[A] == pytest.approx(4.0) and towns[B] == pytest.approx(20.5)
    types = pg.by_type(led, as_of).set_index("building_class")
    assert types.loc["commercial", "installed_mw"] == pytest.approx(23.0)
    assert types.loc["commercial", "pipeline_mw"] == pytest.approx(80.0)
    assert pg.gap_mw(led, pg.as_of_date("2026-01-01")) == pytest.approx(70 - 24.5)


def test_goal_uses_installed_only_never_pipeline_or_potential():
    led = _ledger(ROWS)  # 24.5 MW installed + 80 MW pipeline > 70 MW
    after = pg.as_of_date("2025-01-01")
    assert pg.goal_status(led, after) == pg.NOT_MET
    roofs = gpd.GeoDataFrame({"roof_id": [1], "building_class": ["commercial"], "roof_type": ["flat"],
                              "area_m2": [5e6], "township_code": [A]}, geometry=[box(100, 100, 101, 101)],
                             crs="EPSG:4326")
    out = pg.progress_summary(led, after, TOWNS, roofs)
    assert out["remaining_potential_mw"] > 70  # a huge potential...
    assert out["goal_status"] == "not_met" and out["gap_mw"] == pytest.approx(45.5)  # ...changes nothing
    assert out["installed_mw"] == pytest.approx(24.5) and out["pipeline_mw"] == pytest.approx(80.0)
    assert out["share_to_close"] == pytest.approx(45.5 / out["remaining_potential_mw"])


def test_met_once_installed_reaches_goal_by_2024():
    rows = ROWS + [("grid_connected", 50000.0, "2024-12-31", A, "commercial", 6.5)]
    assert pg.goal_status(_ledger(rows), pg.as_of_date("2025-01-01")) == pg.MET
    late = ROWS + [("grid_connected", 50000.0, "2025-01-02", A, "commercial", 6.5)]
    assert pg.goal_status(_ledger(late), pg.as_of_date("2026-01-01")) == pg.NOT_MET  # too late for 2024


def test_linear_path_before_goal_year_ends():
    led = _ledger(ROWS)  # baseline end 2021: 1 MW; path to 70 MW at end 2024
    mid = pg.as_of_date("2023-07-01")
    assert pg.expected_on_path(1.0, mid) == pytest.approx(1 + 69 * (mid - pg.year_end(2021)) / (pg.year_end(2024) - pg.year_end(2021)))
    assert pg.goal_status(led, mid) == pg.BEHIND  # 4.5 MW < ~36 MW
    assert pg.goal_status(led, pg.as_of_date("2021-12-31")) == pg.ON_TRACK  # on the path's start
    assert pg.goal_status(led, pg.as_of_date("2021-03-01")) == pg.ON_TRACK  # before it
    assert pg.goal_status(led, pg.as_of_date("2022-01-02")) == pg.BEHIND  # 1 MW < 1 + 69 * 2/1096 MW
    ahead = _ledger(ROWS + [("grid_connected", 40000.0, "2022-05-01", A, "commercial", 6.5)])
    assert pg.goal_status(ahead, mid) == pg.ON_TRACK  # 44.5 MW ≥ ~36 MW


def test_undated_connected_rows_count_from_the_data_year_end():
    rows = ROWS + [("grid_connected", 2000.0, "", A, "rural", 6.5)]
    led = _ledger(rows, data_year="2023")
    assert pg.cumulative_at_year_end(led, 2022) == pytest.approx(4.5)
    assert pg.cumulative_at_year_end(led, 2023) == pytest.approx(6.5)
    no_year = _ledger(rows, data_year=None)  # only today
    assert pg.cumulative_at_year_end(no_year, 2024) == pytest.approx(24.5)
    assert pg.installed_mw(no_year, pg.as_of_date()) == pytest.approx(26.5)
    undated_pipe = ROWS + [("filed", 2000.0, "", A, "rural", 6.5)]
    assert pg.installed_mw(_ledger(undated_pipe), pg.as_of_date()) == pytest.approx(24.5)


def test_remaining_potential_skips_roofs_with_pv():
    roofs = gpd.GeoDataFrame({"roof_id": [1, 2], "building_class": ["public", "public"], "roof_type": ["flat", "flat"],
                              "area_m2": [1000.0, 1000.0], "township_code": [A, B]},
                             geometry=[box(0, 0, 1, 1), box(10, 0, 11, 1)], crs="EPSG:4326")
    rem = pg.remaining_potential(roofs, _ledger(ROWS[:1]))  # the point (0.5, 0.5) sits on roof 1
    assert rem["roof_id"].tolist() == [2]
    ranked = pg.remaining_by_township(rem, TOWNS)
    assert ranked.iloc[0]["code"] == B and ranked.iloc[1]["potential_mw"] == 0.0
    assert pg.share_to_close(0.0, 0.0) == 0.0 and pg.share_to_close(5.0, 0.0) is None
    assert pg.nea_shares_to_close(0.5)["gov"] == pytest.approx(0.25)
