"""The dashboard's chart per indicator: values vs targets with the early-warning status (trend to 2024)."""

from __future__ import annotations

import json

import pytest
import streamlit as st

import ui.common
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators import dashboard as dash
from tests.conftest import app_test

FAKE = {4: ind.SpatialValue(27.0, "t"), 16: ind.SpatialValue(180.0, "t"), 19: ind.SpatialValue(35.0, "t")}


def test_chart_data_carries_the_warning_in_titles_and_a_trend_to_2024():
    cat = ind.load_catalogue()
    long = ind.trajectories(None, FAKE, cat)
    data, order = dash.warning_chart_data(long, cat, 2024, "zh")
    assert order[3] == "#4 碳汇量 (万吨) · 正常" and order[15].endswith("· 关注") and order[18].endswith("· 预警")
    trend = data[data["kind"] == "trend"]
    assert set(trend["no"]) == {4, 16, 19}  # only indicators with an actual get a trend line
    pv = trend[trend["no"] == 19].sort_values("order")
    assert list(pv["stage"])[-1] == "2024" and pv["warning_key"].iloc[0] == "alert"
    en, _ = dash.warning_chart_data(long, cat, 2024, "en")
    assert set(en.loc[en["kind"] == "trend", "warning"]) == {"normal", "watch", "alert"}


@pytest.fixture
def page_env(demo_data_dir, monkeypatch):
    monkeypatch.setattr(ind, "spatial_values", lambda catalogue=None, pv_scenario=None: dict(FAKE))

    def tiny_demo_layer(layer_id: str):
        import geopandas as gpd
        from shapely.geometry import Point

        gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(114.7, 35.2)], crs="EPSG:4326")
        gdf.attrs["meta"] = {"demo": "true"}
        return gdf

    monkeypatch.setattr(ui.common, "load_layer", tiny_demo_layer)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_data_dir
    st.cache_resource.clear()


def test_dashboard_draws_the_warning_trend(page_env):
    at = app_test("views/indicators.py")
    at.run()
    assert not at.exception
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    spec = json.dumps([json.loads(c.proto.spec) for c in charts], ensure_ascii=False)
    assert "趋势外推至2024年" in spec or "trend" in spec
    assert "#19 光伏装机容量 (MW) · 预警" in spec
    # one colour scale, so one legend for the chart: the series and the trend's warning levels (a scale per layer
    # drew two legends in each of the 19 panels and made the chart three times as wide as the page)
    from cyc_geo.indicators import dashboard as dash
    from cyc_geo.indicators import warning

    domain = [*dash.series_labels("zh"), *(warning.LABELS[k][0] for k in warning.LEVELS)]
    specs = json.loads(spec)
    scales = [layer["encoding"]["color"]["scale"] for c in specs for layer in c["spec"]["layer"]]
    assert scales and all(sc["domain"] == domain for sc in scales), scales
    assert all("resolve" not in c["spec"] and "color" not in c.get("resolve", {}).get("scale", {}) for c in specs)
    assert any("预警规则" in c.value for c in at.caption)
