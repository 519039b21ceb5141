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
