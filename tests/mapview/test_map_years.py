"""The map's year in the URL, the compare control and the change layer's drawing (no Streamlit)."""

from __future__ import annotations

import folium
import geopandas as gpd
from shapely.geometry import Point, box

from cyc_geo.mapview import years
from cyc_geo.mapview.webmap import MapState, parse_state, state_query
from cyc_geo.planning import change as chg


def test_year_and_compare_year_round_trip_through_the_url():
    assert years.parse_years({}) == (None, None)
    assert years.parse_years({"year": "2022", "cmp": "2024"}) == (2022, 2024)
    assert years.parse_years({"year": "2019"}) == (None, None)  # not a year of the control
    assert years.parse_years({"year": "2022", "cmp": "2022"}) == (2022, None)
    assert years.parse_years({"cmp": "2024"}) == (None, None)  # compare only with a year
    assert years.parse_years({"year": "20x2", "cmp": "<b>"}) == (None, None)
    state = parse_state({"year": "2023", "cmp": "2021"})
    assert (state.year, state.compare) == (2023, 2021)
    q = state_query(MapState(year=2023, compare=2021))
    assert (q["year"], q["cmp"]) == ("2023", "2021")
    assert "year" not in state_query(MapState()) and "cmp" not in state_query(MapState(year=2022))


def test_the_swipe_control_makes_the_side_panes_and_clips_them():
    m = folium.Map()
    g = folium.FeatureGroup(name="compare").add_to(m)
    years.SwipeControl(years.Compare("years", "2022", "2024")).add_to(g)
    html = m.get_root().render()
    assert "L.control.sideBySide(left, right)" in html
    for side in years.SIDES:
        for pane in years.side_panes(side).values():
            assert f'"{pane}"' in html
    assert f'"{years.TOP_PANE}"' in html
    assert '["2022", "2024"]' in html or '["2022","2024"]' in html


def test_varies_by_year_follows_the_layer_toml():
    from cyc_geo.catalog.registry import get_layer

    assert years.varies_by_year(get_layer("pv_installations")) and years.varies_by_year(get_layer("forest"))
    assert years.varies_by_year(get_layer("landcover")) and not years.varies_by_year(get_layer("townships"))


def test_change_frame_and_legend_say_what_changed_with_totals():
    features = gpd.GeoDataFrame(
        {"kind": [chg.FOREST_GAINED, chg.FARMLAND_LOST, chg.NEW_PV], "area_ha": [12.5, 3.0, None],
         "name": [None, None, "光伏-1"], "capacity_kw": [None, None, 500.0], "date": [None, None, "2023-05-01"]},
        geometry=[box(114.6, 35.1, 114.61, 35.11), box(114.6, 35.1, 114.61, 35.11), Point(114.7, 35.2)], crs="EPSG:4326")
    c = chg.Change(2022, 2024, 1, 0.5, 12.5, 0.0, 3.0, features)
    drawn = years.change_frame(c, "en")
    assert list(drawn["what"]) == ["Forest gained", "Farmland lost", "New grid-connected PV"]
    assert drawn["_stroke"].tolist()[1] == chg.COLOURS[chg.FARMLAND_LOST]
    legend = years.change_legend(c, "zh")
    assert legend.title == "变化图层 2022→2024"
    assert [r[2] for r in legend.rows] == ["新增并网光伏 1 个，0.5 MW", "森林增加 12.5 ha", "森林减少 0.0 ha",
                                          "耕地减少 3.0 ha，45 亩"]
    assert years.change_layer_def().style["category_colors"][chg.FARMLAND_LOST] == "transparent"


def test_two_layers_or_two_scenarios_round_trip_through_the_url():
    known = ["farmland", "eco_redline", "rooftops"]
    assert years.parse_swipe({"swipe": "layers:farmland,eco_redline"}, known) == years.SwipeChoice(
        "layers", "farmland", "eco_redline")
    assert years.parse_swipe({"swipe": "scenarios:50,150"}).pcts == (50, 150)
    for bad in ("layers:farmland,nope", "layers:farmland,farmland", "layers:farmland", "scenarios:55,100",
                "scenarios:100,100", "scenarios:100,210", "scenarios:-10,100", "years:2022,2024", "<b>:1,2", ""):
        assert years.parse_swipe({"swipe": bad}, known) is None, bad
    # two years take precedence: one compare at a time
    assert years.parse_swipe({"year": "2022", "cmp": "2024", "swipe": "scenarios:50,150"}) is None
    assert years.parse_swipe({"year": "2022", "swipe": "scenarios:50,150"}) is not None
    state = parse_state({"swipe": "layers:farmland,eco_redline", "layers": "farmland,eco_redline"}, known)
    assert state.swipe == years.SwipeChoice("layers", "farmland", "eco_redline")
    assert state_query(state)["swipe"] == "layers:farmland,eco_redline"
    assert "swipe" not in state_query(MapState())
    assert "swipe" not in state_query(MapState(year=2022, compare=2024, swipe=state.swipe))


def test_two_scenarios_share_one_set_of_hexagon_classes():
    import pandas as pd

    from cyc_geo.mapview import payloads

    hexes = gpd.GeoDataFrame({"h3": ["a", "b", "c", "d"]}, geometry=[Point(0, i) for i in range(4)])
    low, high = pd.Series({"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0}), pd.Series({"a": 3.0, "b": 6.0, "c": 9.0, "d": 12.0})
    breaks = payloads.shared_breaks(hexes, [low, high], k=3)
    assert breaks[-1] == 12.0  # the classes span both sides
    a, _ = payloads.classed_hexes(hexes, low, k=3, breaks=breaks)
    b, _ = payloads.classed_hexes(hexes, high, k=3, breaks=breaks)
    # the same value has the same colour on both sides (3.0: cell c on the left, cell a on the right)
    assert a.loc[a["h3"] == "c", "_fill"].item() == b.loc[b["h3"] == "a", "_fill"].item()
    # classed alone, the right side (3x the left) would look the same as the left
    own_a, own_b = payloads.classed_hexes(hexes, low, k=3)[0], payloads.classed_hexes(hexes, high, k=3)[0]
    assert own_a["_fill"].tolist() == own_b["_fill"].tolist() and a["_fill"].tolist() != b["_fill"].tolist()
