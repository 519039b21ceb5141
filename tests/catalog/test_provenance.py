"""cyc_geo.catalog.provenance.provenance_of: one reading of the demo / approximate flags."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from cyc_geo.catalog.provenance import Provenance, is_flag, provenance_of


def test_flags_from_text_bools_and_missing_keys():
    assert is_flag({"demo": "true"}, "demo") and is_flag({"demo": "TRUE"}, "demo") and is_flag({"demo": True}, "demo")
    assert not is_flag({"demo": "false"}, "demo") and not is_flag({"demo": False}, "demo") and not is_flag({}, "demo")
    assert provenance_of({"demo": "true", "approximate": "true", "source": "generator"}) == Provenance(
        demo=True, approximate=True, source="generator", data_year=None)
    assert provenance_of({}) == Provenance(False, False, "", None)
    assert provenance_of({"demo": False, "approximate": True, "data_year": 2023}).data_year == "2023"


def test_frame_reads_meta_and_a_non_empty_approximate_column():
    gdf = gpd.GeoDataFrame({"approximate": [False, True]}, geometry=[shapely.Point(0, 0)] * 2, crs="EPSG:4326")
    gdf.attrs["meta"] = {"demo": "false", "approximate": "false", "source": "planner file t.gpkg"}
    p = provenance_of(gdf)
    assert (p.demo, p.approximate, p.source) == (False, True, "planner file t.gpkg")
    # all rows exact, or no rows at all: the column does not make it approximate
    assert not provenance_of(gdf.assign(approximate=False)).approximate
    assert not provenance_of(gdf.iloc[:0]).approximate
    # a frame without meta is real data with no source
    assert provenance_of(pd.DataFrame({"a": [1]})) == Provenance(False, False)


def test_status_and_labels():
    demo, approx, real = Provenance(True, True), Provenance(False, True), Provenance(False, False)
    assert [p.status for p in (demo, approx, real)] == ["demo", "approximate", "real"]
    assert [p.label("zh") for p in (demo, approx, real)] == ["演示数据", "近似数据", "真实数据"]
    assert [p.label("en") for p in (demo, approx, real)] == ["demo data", "approximate", "real data"]


def test_other_objects_are_refused():
    with pytest.raises(TypeError, match="provenance_of"):
        provenance_of(["demo"])
