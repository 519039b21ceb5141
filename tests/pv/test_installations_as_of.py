"""The installations the map shows for a year: grid-connected by 31 Dec of that year."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from cyc_geo.pv.progress import installations_as_of


def _ledger(meta: dict | None = None) -> gpd.GeoDataFrame:
    rows = [(1, "grid_connected", "2021-06-01"), (2, "grid_connected", "2022-12-31"), (3, "grid_connected", "2023-01-01"),
            (4, "under_construction", "2021-03-01"), (5, "filed", ""), (6, "grid_connected", "")]
    g = gpd.GeoDataFrame({"install_id": [r[0] for r in rows], "status": [r[1] for r in rows],
                          "date": [r[2] for r in rows], "capacity_kw": [100.0] * len(rows)},
                         geometry=[Point(114.7, 35.2)] * len(rows), crs="EPSG:4326")
    g.attrs["meta"] = meta or {}
    return g


def test_connected_by_31_december_only():
    ledger = _ledger({"data_year": "2023"})  # an undated connected row counts from the end of the data year
    assert list(installations_as_of(ledger, 2021)["install_id"]) == [1]
    assert list(installations_as_of(ledger, 2022)["install_id"]) == [1, 2]  # 31 Dec itself is in
    assert list(installations_as_of(ledger, 2023)["install_id"]) == [1, 2, 3, 6]
    out = installations_as_of(ledger, 2024)
    assert list(out["install_id"]) == [1, 2, 3, 6]  # under construction / filed never show
    assert out.geometry.notna().all() and out.attrs["meta"]["as_of"] == "2024-12-31"
    assert out.attrs["meta"]["data_year"] == "2023"
