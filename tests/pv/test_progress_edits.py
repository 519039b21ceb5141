"""Ledger rows added or corrected in the app: validated, audited, applied over the ledger."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from cyc_geo import db
from cyc_geo.pv import installations as inst
from cyc_geo.pv import progress as pg


def _base() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"install_id": [1, 2], "name": ["a", "b"], "owner": ["", ""],
                            "building_class": ["public", "rural"], "status": ["grid_connected", "filed"],
                            "capacity_kw": [100.0, 10.0], "date": ["2022-01-05", "2024-02-01"],
                            "township_code": ["410783001000"] * 2, "has_coords": [True, True]},
                           geometry=[Point(114.6, 35.2), Point(114.7, 35.2)], crs="EPSG:4326")
    gdf.attrs["meta"] = {"demo": "true", "source": "demo"}
    return inst.normalise(gdf)


def test_edits_are_audited_and_applied(tmp_path):
    conn = db.connect(tmp_path / "e.sqlite")
    base = _base()
    # correct row 2: it is now grid-connected; add a new row without coordinates
    assert inst.save_ledger_row(conn, {"install_id": 2, "name": "b", "building_class": "rural",
                                       "status": "grid_connected", "capacity_kw": 12, "date": "2023-05-01",
                                       "township_code": "410783001000", "lon": 114.7, "lat": 35.2}, "alice") == 1
    new_id = inst.next_install_id(base, conn)
    assert new_id == 3
    inst.save_ledger_row(conn, {"install_id": new_id, "name": "新增", "status": "under_construction",
                                "capacity_kw": "500", "date": "", "township_code": "410783002000"}, "bob")
    assert inst.save_ledger_row(conn, {"install_id": 2, "name": "b", "building_class": "rural", "status": "grid_connected",
                                       "capacity_kw": 15, "date": "2023-05-01", "township_code": "410783001000"},
                                "alice") == 2
    led = inst.apply_edits(base, inst.read_edits(conn))
    assert led["install_id"].tolist() == [1, 2, 3]
    assert pg.installed_mw(led, pg.as_of_date("2024-01-01")) == pytest.approx(0.115)
    assert pg.pipeline_mw(led, pg.as_of_date("2024-01-01")) == pytest.approx(0.5)
    assert not bool(led.loc[2, "has_coords"]) and led.attrs["meta"]["edits"] == "2"
    trail = db.audit_trail(conn, inst.AUDIT_ENTITY)
    assert [(t["actor"], t["action"]) for t in trail] == [("alice", "update"), ("bob", "insert"), ("alice", "insert")]
    assert '"capacity_kw": 12.0' in trail[0]["old_value"] and '"capacity_kw": 15.0' in trail[0]["new_value"]


@pytest.mark.parametrize("bad", [
    {"status": "built"}, {"capacity_kw": -1}, {"capacity_kw": "abc"}, {"date": "2024/01/01"},
    {"township_code": "999"}, {"name": ""},
])
def test_bad_rows_are_refused_and_nothing_is_written(tmp_path, bad):
    conn = db.connect(tmp_path / "e.sqlite")
    row = {"install_id": 9, "name": "x", "status": "filed", "capacity_kw": 10, "date": "2024-01-01",
           "township_code": "410783001000", **bad}
    with pytest.raises(ValueError):
        inst.save_ledger_row(conn, row, "alice")
    assert inst.read_edits(conn).empty and not db.audit_trail(conn, inst.AUDIT_ENTITY)
    with pytest.raises(ValueError):
        inst.save_ledger_row(conn, {**row, **bad}, "")


def test_normalise_dates_from_a_reader_that_parsed_them():
    import pandas as pd

    base = _base()
    parsed = base.assign(date=pd.to_datetime(["2022-01-05", None]))
    assert inst.normalise(parsed)["date"].tolist() == ["2022-01-05", ""]
    texty = base.assign(date=["2022-01-05 00:00:00", None])
    assert inst.normalise(texty)["date"].tolist() == ["2022-01-05", ""]
