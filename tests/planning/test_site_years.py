"""The project sites as of a year (layer ``projects``'s year frame), from the sites' audit trail."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from shapely.geometry import box, mapping

from cyc_geo import db
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.planning import progress as pp
from cyc_geo.planning import site_years
from tests.planning.test_projects import fresh_db, proj_env  # noqa: F401 - fixtures

DEMO, A, B = box(114.70, 35.10, 114.71, 35.11), box(114.72, 35.12, 114.73, 35.13), box(114.74, 35.14, 114.76, 35.16)


def _frame(geom, source: str, version: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"project_no": [1], "source": [source], "version": [version], "demo": [version == 0],
                             "updated_by": [""], "updated_at": [""], "area_m2": [0.0]}, geometry=[geom], crs=WGS84)


def _rec(i: int, at: str, old, new) -> dict:
    enc = lambda v: None if v is None else json.dumps(v)  # noqa: E731
    return {"id": i, "at": at, "entity_key": "1", "old_value": enc(old), "new_value": enc(new)}


TRAIL = [  # saved as A in 2023, as B in mid-2024; the audit keeps UTC times
    _rec(1, "2023-03-01T02:00:00+00:00", None, {"version": 1, "source": "drawn", "geojson": json.dumps(mapping(A))}),
    _rec(2, "2024-06-01T02:00:00+00:00", {"version": 1, "source": "drawn", "geojson": json.dumps(mapping(A))},
         {"version": 2, "source": "upload", "geojson": json.dumps(mapping(B))}),
]


def test_each_year_shows_the_site_saved_by_its_31_december():
    current, base = _frame(B, "upload", 2), _frame(DEMO, "demo", 0)
    by_year = {y: site_years.sites_as_of(current, base, TRAIL, y).iloc[0] for y in (2022, 2023, 2024)}
    assert by_year[2022].geometry.equals(DEMO) and (by_year[2022]["source"], by_year[2022]["version"]) == ("demo", 0)
    assert by_year[2023].geometry.equals(A) and (by_year[2023]["source"], by_year[2023]["version"]) == ("drawn", 1)
    assert by_year[2024].geometry.equals(B) and by_year[2024]["version"] == 2
    expected = gpd.GeoSeries([A], crs=WGS84).to_crs(AREA_CRS).area.iloc[0]
    assert abs(by_year[2023]["area_m2"] - expected) < 1e-6  # measured again for the changed site


def test_the_year_ends_at_midnight_beijing_time():
    # 2023-12-31 17:00 UTC is 2024-01-01 01:00 in Beijing: that save belongs to 2024, not to 2023
    late = [_rec(1, "2023-12-31T17:00:00+00:00", None, {"version": 1, "source": "drawn",
                                                       "geojson": json.dumps(mapping(A))})]
    current, base = _frame(A, "drawn", 1), _frame(DEMO, "demo", 0)
    assert site_years.sites_as_of(current, base, late, 2023).iloc[0].geometry.equals(DEMO)
    assert site_years.sites_as_of(current, base, late, 2024).iloc[0].geometry.equals(A)
    assert site_years.year_end_utc(2023) == pd.Timestamp("2023-12-31T16:00:00Z")


def test_the_layer_of_a_past_year_has_the_site_and_progress_of_then(proj_env, fresh_db):  # noqa: F811
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.catalog.vintages import layer_for_year
    from cyc_geo.planning.projects import save_project_site

    demo_site = load_layer("projects").set_index("project_no").loc[1].geometry
    conn = db.connect()
    try:  # saved today (2026): the site of 2024 is still the demo parcel; the record of 2023 is the progress of 2024
        save_project_site(conn, 1, gpd.GeoDataFrame(geometry=[box(562_100, 3_885_900, 562_400, 3_886_200)],
                                                    crs=AREA_CRS), "alice", "drawn")
        pp.save_progress(conn, 1, 2023, {"status": "在建", "investment_wan": 500}, "alice")
    finally:
        conn.close()
    now = load_layer("projects").set_index("project_no").loc[1]
    frame, _ = layer_for_year("projects", 2024)
    then = frame.set_index("project_no").loc[1]
    assert now["version"] == 1 and not now.geometry.equals(demo_site)
    assert then.geometry.equals(demo_site) and then["version"] == 0
    assert then["progress"] == "2023 年：在建；累计完成投资 500 万元"
    frame_2022, _ = layer_for_year("projects", 2022)
    assert frame_2022.set_index("project_no").loc[1, "progress"] == ""
