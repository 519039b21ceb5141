"""The map page at script level (AppTest): big layers, scenario knob, click panel, URL state."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import app_test


def _component(at):
    comps = list(at.get("component_instance"))
    assert comps, "no st_folium component rendered"
    return comps[0]


def _args(at) -> dict:
    return json.loads(_component(at).proto.json_args)


def _text(at) -> str:
    args = json.dumps(_args(at), ensure_ascii=False)
    return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), args)


def _metric(at, label_part: str) -> float:
    for m in at.sidebar.get("metric"):
        if label_part in m.label:
            return float(str(m.value).replace(",", ""))
    raise AssertionError(f"no metric {label_part!r}")


def _click(at, lon: float, lat: float, zoom: int = 12) -> None:
    """Simulate a map click: the component's value, keyed by its (hashed) widget key."""
    key = _component(at).proto.id.split("-")[-1]
    at.session_state[key] = {"last_clicked": {"lat": lat, "lng": lon}, "center": {"lat": lat, "lng": lon}, "zoom": zoom}
    at.run()


@pytest.fixture(scope="module")
def roofs():
    from cyc_geo.pv.rooftops import load_rooftops

    return load_rooftops()


def test_rooftops_drawn_as_hexagons_and_the_adoption_knob_scales_capacity(roofs):
    at = app_test("views/map.py")
    at.run()
    at.checkbox(key="layer_rooftops").check().run()
    assert not at.exception
    text = _text(at)
    assert "光伏潜力" in text and "cycAgg" in text  # hexagon choropleth on the aggregated pane
    assert "h3" not in _args(at)["script"]  # the base map script itself is unchanged
    from cyc_geo.pv import aggregation
    from cyc_geo.pv import model as pv
    from cyc_geo.pv.params import DEFAULT_MIN_ROOF_M2

    assert _metric(at, "建筑屋顶数") == len(roofs)
    assert _metric(at, "纳入情景的屋顶数") == int((roofs["area_m2"] >= DEFAULT_MIN_ROOF_M2).sum())
    full = _metric(at, "屋顶光伏情景潜力")
    # the goal sits beside installed capacity (the ledger), never beside the potential
    from datetime import date

    from cyc_geo.pv import installations, opening_stock, progress
    from ui.common import database

    ledger = installations.load_ledger(database())
    opening = opening_stock.read_opening_stock(database())  # installed counts the opening stock where it applies
    assert _metric(at, "已并网光伏装机") == pytest.approx(
        progress.installed_mw(ledger, progress.as_of_date(date.today().isoformat()), opening), abs=0.05)
    # the goal is a caption beside the installed figure, not a metric delta (an up-arrow read as growth)
    assert any("70 MW" in c.value for c in at.sidebar.caption)
    assert not any(m.delta for m in at.sidebar.get("metric"))
    at.slider(key="pv_scale").set_value(50).run()
    # half the NEA shares: the library's estimate of that scenario (shares of total roof area are capped by
    # the usable area, so halving them more than halves nothing: the result lies between full/2 and full)
    import pandas as pd

    from cyc_geo.pv.goal import map_scenario

    half_roofs = pv.estimate(pd.DataFrame(roofs.drop(columns="geometry")), map_scenario(0.5))
    half = aggregation.summary(half_roofs)["capacity_mw"]
    assert _metric(at, "屋顶光伏情景潜力") == pytest.approx(half, abs=0.1)
    assert full / 2 - 0.1 <= half < full
    assert at.query_params["pvpct"] in ("50", ["50"])


def test_click_on_a_township_shows_its_numbers(roofs):
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    row = towns[towns["name"] == "恼里镇"].iloc[0]
    pt = row.geometry.representative_point()
    at = app_test("views/map.py")
    at.run()
    _click(at, pt.x, pt.y)
    assert not at.exception
    tables = [t.value for t in at.table]
    town = next(t for t in tables if "恼里镇" in t.iloc[:, 0].astype(str).tolist())
    values = dict(zip(town.index, town.iloc[:, 0], strict=True))
    assert values["统计代码"] == row["code"]
    # roof count: independent count of the rooftop table by township code, with thousands separators as the page's
    # other numbers (it read "10550" beside "1,302")
    # (the cell is Markdown-escaped text: "32\\,612" shows as "32,612")
    assert values["建筑屋顶数"].replace("\\", "") == f"{int((roofs['township_code'] == row['code']).sum()):,}"


def test_url_state_opens_the_map_where_the_link_says():
    at = app_test("views/map.py")
    at.query_params["lat"] = "35.25"
    at.query_params["lon"] = "114.70"
    at.query_params["z"] = "13"
    at.query_params["base"] = "blank"
    at.query_params["layers"] = "county,river"
    at.run()
    assert not at.exception
    args = _args(at)
    assert args["center"] == [35.25, 114.70] and args["zoom"] == 13
    assert at.checkbox(key="layer_river").value and not at.checkbox(key="layer_townships").value
    assert at.selectbox(key="basemap_zh").value == "blank"
    assert "tile.openstreetmap.org" not in args["script"]
