"""The PV derivation chain (cyc_geo.pv.results): scenario keys, the class breakdown and the capacity chart's
features, checked against sums taken by hand from the per-roof results."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from cyc_geo.pv import aggregation, results
from cyc_geo.pv import model as pv
from cyc_geo.pv.params import NEA_ADOPTION, Scenario

# one yield for every roof: the chain, not the hourly model, is under test here
FLAT_YIELD = {"specific_yield_kwh_per_kwp": 1000.0}


@pytest.fixture()
def towns() -> gpd.GeoDataFrame:
    boxes = [shapely.box(114.60 + 0.1 * i, 35.10, 114.70 + 0.1 * i, 35.20) for i in range(3)]
    return gpd.GeoDataFrame({"code": ["t1", "t2", "t3"], "name": ["甲镇", "乙镇", "丙镇"],
                             "name_en": ["Jia", "Yi", "Bing"]}, geometry=boxes, crs="EPSG:4326")


@pytest.fixture()
def per_roof() -> pd.DataFrame:
    roofs = pd.DataFrame({
        "roof_id": [1, 2, 3, 4],
        "township_code": ["t1", "t1", "t2", "t2"],
        "building_class": ["gov", "rural", "rural", "commercial"],
        "roof_type": ["flat", "flat", "pitched", "shed"],
        "area_m2": [1000.0, 200.0, 400.0, 3000.0],
        "lon": [114.65, 114.66, 114.75, 114.76],
        "lat": [35.15, 35.16, 35.15, 35.16],
    })
    return pv.estimate(roofs, Scenario(params=FLAT_YIELD))


def test_equal_scenarios_have_one_key_and_the_key_gives_the_scenario_back():
    shares = dict(reversed(list(NEA_ADOPTION.items())))
    a = Scenario(adoption=dict(NEA_ADOPTION), params={"albedo": 0.25, "ghi_scale": 1.1})
    b = Scenario(adoption=shares, params={"ghi_scale": 1.1, "albedo": 0.25})
    assert results.scenario_key(a) == results.scenario_key(b)
    assert results.scenario_from_key(results.scenario_key(a)) == a
    assert results.scenario_key(Scenario(min_roof_m2=50.0)) != results.scenario_key(Scenario())


def test_a_bad_key_is_refused_in_both_languages():
    with pytest.raises(ValueError, match="未知情景字段.*unknown scenario fields"):
        results.scenario_from_key('{"adoptoin": {}}')


def test_class_breakdown_names_townships_in_the_language_and_keeps_the_totals(per_roof, towns):
    by_class, order = results.class_breakdown(per_roof, towns, "en")
    assert set(by_class["township"]) == {"Jia", "Yi"}
    by_town = per_roof.groupby("township_code")["capacity_kw"].sum() / 1000.0
    assert by_class.groupby("township_code")["capacity_mw"].sum().to_dict() == pytest.approx(by_town.to_dict())
    assert order == (["Yi", "Jia"] if by_town["t2"] > by_town["t1"] else ["Jia", "Yi"])
    zh, _ = results.class_breakdown(per_roof, towns, "zh")
    assert set(zh["township"]) == {"甲镇", "乙镇"}


def test_township_features_cover_every_township_and_sum_to_the_county(per_roof, towns):
    feats = results.capacity_features(per_roof, towns, "township")
    values = {f["properties"]["name"]: f["properties"]["v"] for f in feats}
    assert set(values) == {"甲镇", "乙镇", "丙镇"} and values["丙镇"] == 0.0  # no roof there: 0, not missing
    assert sum(values.values()) == pytest.approx(aggregation.summary(per_roof)["capacity_mw"])
    table = aggregation.township_table(per_roof, towns)
    assert results.capacity_features(per_roof, towns, "township", township_table=table) == feats


def test_h3_features_hold_kilowatts_of_the_cells_with_capacity(per_roof, towns):
    feats = results.capacity_features(per_roof, towns, "h3", resolution=7)
    assert sum(f["properties"]["v"] for f in feats) == pytest.approx(per_roof["capacity_kw"].sum())
    assert all(f["properties"]["v"] > 0 and f["properties"]["h3"] for f in feats)
    fine = results.capacity_features(per_roof, towns, "h3", resolution=9)
    assert len(fine) >= len(feats)


def test_an_unknown_view_is_refused_in_both_languages(per_roof, towns):
    with pytest.raises(ValueError, match="未知视图.*unknown view"):
        results.capacity_features(per_roof, towns, "hexagons")
