"""cyc_geo.mapview.payloads / overlay / click: the map page's computations without Streamlit."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from import_helpers import write_raster

from cyc_geo.catalog.provenance import layer_facts, provenance_of
from cyc_geo.catalog.registry import LayerDef, get_layer
from cyc_geo.geo.gcj02 import wgs84_to_gcj02
from cyc_geo.mapview import click, overlay, payloads, tiles

LON, LAT = 114.70, 35.20


def _squares(n: int = 3, side: float = 0.001) -> gpd.GeoDataFrame:
    geoms = [shapely.box(LON + 3 * i * side, LAT, LON + 3 * i * side + side, LAT + side) for i in range(n)]
    return gpd.GeoDataFrame({"code": [f"c{i}" for i in range(n)], "area_m2": [10.0, 20.0, 30.0][:n],
                             "name": [f"n{i}" for i in range(n)]}, geometry=geoms, crs="EPSG:4326")


# ---------------------------------------------------------------- payloads


def test_hex_values_sum_the_first_additive_column_per_cell():
    gdf = _squares()
    cells = payloads.hex_cells(gdf, 7)
    assert len(set(cells.tolist())) == 1  # 3 small squares 6 m apart share one res-7 cell
    sums, label, unit = payloads.hex_values(gdf, cells, "en")
    assert (label, unit) == ("Area", "ha") and sums.iloc[0] == pytest.approx(0.006)  # 60 m²
    sums_zh, label, unit = payloads.hex_values(gdf, cells, "zh")
    assert (label, unit) == ("面积", "亩") and sums_zh.iloc[0] == pytest.approx(60 / (10000 / 15))
    assert sums.index[0] == h3.int_to_str(int(cells[0]))
    per_roof = pd.DataFrame({"capacity_kw": [1.0, 2.0, 3.5]})
    sums, label, unit = payloads.hex_values(gdf, cells, "zh", per_roof)
    assert (label, unit) == ("光伏潜力", "kW") and sums.iloc[0] == 6.5
    sums, label, unit = payloads.hex_values(gdf.drop(columns="area_m2"), cells, "en")
    assert (label, unit, sums.iloc[0]) == ("Features", "", 3.0)


def test_classed_hexes_round_and_colour_every_cell():
    cells = np.array([h3.str_to_int(h3.latlng_to_cell(LAT + 0.05 * i, LON, 7)) for i in range(8)], dtype=np.uint64)
    geometry = payloads.hex_geometry(cells)
    sums = pd.Series(np.arange(8) * 10.04, index=geometry["h3"])
    hexes, breaks = payloads.classed_hexes(geometry, sums)
    assert hexes["value"].tolist() == [round(v, 1) for v in sums]
    assert hexes["_fill"].str.startswith("#").all() and breaks[-1] == pytest.approx(70.3)
    assert "value" not in geometry.columns  # the cached geometry is not modified


def test_hex_layer_def_and_tile_style_follow_the_toml():
    roofs = get_layer("rooftops")
    hexdef = payloads.hex_layer_def(roofs, "PV potential", "kW")
    assert hexdef.id == "rooftops_hex" and hexdef.tooltip_labels("en") == ("PV potential (kW)", "Features")
    url, fill_js, section = payloads.tile_style(roofs, "abc", "zh")
    assert url == tiles.tile_url("rooftops", "abc")
    lut = json.loads(fill_js.split(")[p.c]")[0].lstrip("("))
    assert lut == {str(roofs.style["category_codes"][k]): v for k, v in roofs.style["category_colors"].items()}
    assert [r[2] for r in section.rows] == list(roofs.legend_labels("zh").values())
    plain = replace(roofs, style={"fill_color": "#123456"})
    assert payloads.tile_style(plain, "s", "en")[1] == '"#123456"'


def test_demo_flags_bounds_and_features_in_view():
    gdf = _squares()
    gdf.attrs["meta"] = {"demo": "true"}
    facts = layer_facts(gdf.assign(area_km2=[1.5, 2.0, 0.25]))
    assert not provenance_of(gdf).is_real and provenance_of(facts) == provenance_of(gdf) and facts.provenance.demo
    assert (facts.rows, facts.area_km2, "area_km2" in facts.columns) == (3, 3.75, True)
    assert layer_facts(gdf).area_km2 is None
    gdf.attrs["meta"] = {"demo": "false"}
    assert provenance_of(gdf).is_real and not provenance_of(gdf.assign(approximate=[False, True, False])).is_real
    (s, w), (n, _e) = payloads.bounds_of(gdf)
    assert (s, w) == (LAT, LON) and n == pytest.approx(LAT + 0.001)
    inside = payloads.features_in_view(gdf, tiles.FeatureIndex(gdf), (LON - 0.01, LAT - 0.01, LON + 0.0035, LAT + 0.01))
    assert inside["code"].tolist() == ["c0", "c1"]


# ---------------------------------------------------------------- overlay


def test_raster_overlay_writes_once_and_lists_the_classes_present(tmp_path: Path):
    tif = write_raster(tmp_path / "lc.tif")  # class values 1..5
    footprint = gpd.GeoDataFrame({"path": [str(tif)], "resolution": ["30 x 30"]}, geometry=[shapely.box(0, 0, 1, 1)],
                                 crs="EPSG:4326")
    layer = LayerDef(id="lc", title_zh="土地", title_en="Land", geometry="raster", source="f.gpkg",
                     style={"raster_rgba": "cyc_geo.carbon.landcover:overlay_rgba"},
                     legend={"kind": "categories", "source": "tests.mapview.test_mapview_pure:_classes"})
    png = overlay.png_path("lc", footprint, tmp_path)
    assert png.name.startswith("lc-") and png.name.endswith(f"-{int(tif.stat().st_mtime)}.png")
    drawn = overlay.raster_overlay(layer, footprint, "en", root=tmp_path)
    assert drawn.url.endswith(png.name) and png.exists()
    assert overlay.read_overlay(png)[1] == [1, 2, 3, 4, 5]
    assert [r[2] for r in drawn.legend.rows] == ["0001 one", "0003 three"]  # 9 is not in the raster
    (s, w), (n, e) = drawn.bounds
    assert s < n and w < e
    png.write_bytes(b"cached")  # a second call reads the files written the first time
    assert overlay.raster_overlay(layer, footprint, "zh", root=tmp_path).legend.rows[0][2] == "0001 一"
    assert png.read_bytes() == b"cached"
    assert overlay.raster_overlay(replace(layer, style={}), footprint, "en", root=tmp_path) is None


def _classes() -> pd.DataFrame:
    return pd.DataFrame({"value": [1, 3, 9], "code": ["0001", "0003", "0009"], "name_zh": ["一", "三", "九"],
                         "name_en": ["one", "three", "nine"], "color": ["#111111", "#333333", "#999999"]})


def test_landcover_legend_comes_from_its_toml_source():
    layer = get_layer("landcover")
    table = overlay.class_table(layer)
    assert {"value", "code", "name_zh", "name_en", "color"} <= set(table.columns)
    rows = overlay.legend_rows(table, [301], "zh")
    assert rows == [("fill", "#1a7a2e", "0301 乔木林地")]


# ---------------------------------------------------------------- click


def test_click_undoes_the_gcj02_shift_over_amap():
    glon, glat = wgs84_to_gcj02(np.array([LON]), np.array([LAT]))
    lon, lat = click.to_wgs84(float(glon[0]), float(glat[0]), "amap")
    assert (lon, lat) == pytest.approx((LON, LAT), abs=1e-5)
    assert click.to_wgs84(LON, LAT, "osm") == (LON, LAT)


def _layer(id_: str, order: int, **kw) -> LayerDef:
    return LayerDef(id=id_, title_zh=id_, title_en=id_, geometry=kw.pop("geometry", "polygon"), source="f.gpkg",
                    order=order, **kw)


def test_clickable_layers_topmost_first_big_only_from_building_zoom():
    shown = [_layer("towns", 20), _layer("roofs", 60, big=True), _layer("lc", 12, geometry="raster"),
             _layer("sites", 80, clickable=False), _layer("river", 40, geometry="line")]
    assert [layer.id for layer in click.clickable(shown, 12)] == ["river", "towns"]
    assert [layer.id for layer in click.clickable(shown, tiles.DETAIL_MIN_ZOOM)] == ["roofs", "river", "towns"]
    assert click.tolerance_m(shown[0], 12, LAT) == 0.0
    assert click.tolerance_m(shown[4], 12, LAT) == pytest.approx(tiles.pixel_tolerance_m(12, LAT, 4.0))


def test_lookup_builds_records_by_layer_behaviour():
    towns = _squares()
    roofs = _squares()
    layers = {
        "towns": _layer("towns", 20, tooltip=("name", "area_m2"), tooltip_labels_en=("Name", "Area"),
                        click_details="township_pv"),
        "roofs": _layer("roofs", 60, big=True, scenario="pv"),
    }
    frames = {"towns": towns, "roofs": roofs.assign(roof_id=[1, 2, 3], building_class="rural", roof_type="flat")}
    results = pd.DataFrame({"capacity_kw": [1.234, 2.0, 3.0], "annual_kwh": [10.0, 20.0, 30.0],
                            "co2_t": [0.1, 0.2, 0.3]})
    hits = click.lookup(
        {"lng": LON + 0.0035, "lat": LAT + 0.0005}, tiles.DETAIL_MIN_ZOOM, list(layers.values()), "osm", "en",
        index=lambda i: tiles.FeatureIndex(frames[i]), frame=frames.__getitem__, per_roof=lambda: results,
        township=lambda layer_id, code: {"Code": f"{layer_id}:{code}"},
    )
    assert [layer.id for layer, _ in hits] == ["roofs", "towns"]
    roof, town = hits[0][1], hits[1][1]
    assert roof["Roof id"] == 2 and roof["Building class"] == "Rural residents" and roof["Capacity (kW)"] == 2.0
    assert town == {"Name": "n1", "Area": 20.0, "Code": "towns:c1"}


def test_township_figures_sum_the_roofs_and_report_failures():
    per_roof = pd.DataFrame({"township_code": ["a", "a", "b"], "capacity_kw": [1500.0, 500.0, 7.0],
                             "annual_kwh": [2e6, 1e6, 1.0]})
    assert click.township_pv(per_roof, "a", "en") == {
        "Rooftops": 2, "Rooftop PV scenario potential (MW)": 2.0, "Potential generation (GWh/yr)": 3.0}

    def broken():
        raise RuntimeError("boom")

    rec = click.township_figures("a", broken, broken, "en")
    assert rec == {"PV": "no data (boom)", "Forest sink": "no data (boom)"}
    assert click.township_figures("a", lambda: None, lambda: gpd.GeoDataFrame({"code": []}), "en") == {}


def test_the_side_panel_shows_measurements_with_thousands_separators_and_ids_as_they_are():
    """Issue 29 item 7: "167395.0" and "1544170.5" in the township panel."""
    assert click.panel_text(167395.0) == "167,395"
    assert click.panel_text(1544170.5) == "1,544,170.5"
    assert click.panel_text(2.25) == "2.25" and click.panel_text(np.float64(0.1)) == "0.1"
    assert click.panel_text(123456) == "123456" and click.panel_text(2024) == "2024"  # roof numbers, years
    assert click.panel_text("蒲西街道") == "蒲西街道"


def test_township_figures_say_potential_generation_and_gross_sink():
    per_roof = pd.DataFrame({"township_code": ["a"], "capacity_kw": [1.0], "annual_kwh": [1.0]})
    zh = click.township_pv(per_roof, "a", "zh")
    assert "情景潜力年发电量 (GWh/年)" in zh and not any(k.startswith("年发电量") for k in zh)


def test_one_large_layer_is_filled_at_county_zoom_the_others_are_outlines_below_the_small_layers():
    """Issue 29 item 8: stacked hexagon layers hid each other and the belt and the red line."""
    from cyc_geo.mapview import webmap

    assert payloads.hex_fill_rule(["farmland", "cropland", "rooftops"]) == {
        "farmland": True, "cropland": False, "rooftops": False}
    layer = LayerDef(id="farmland", title_zh="农田", title_en="Farmland", source="x.gpkg", geometry="polygon")
    filled, outline = payloads.hex_layer_def(layer, "面积", "亩"), payloads.hex_layer_def(layer, "面积", "亩", outline=True)
    assert filled.style["fill_opacity"] > 0
    assert outline.style["fill_opacity"] == 0 and outline.style["stroke_col"] == "_fill"
    hexes = gpd.GeoDataFrame({"value": [1.0], "count": [1], "_fill": ["#ff0000"]}, geometry=[shapely.box(0, 0, 1, 1)],
                             crs="EPSG:4326")
    payload = json.loads(webmap.layer_payload(outline, hexes, "zh", fill_col="_fill"))
    assert payload["stroke_col"] == "_fill" and payload["style"]["fillOpacity"] == 0
    assert webmap.AGG_PANE_Z < 400  # Leaflet's overlay pane, where the small layers are drawn
    assert f"zIndex = {webmap.AGG_PANE_Z}" in webmap.base_map("blank").get_root().render()


def test_layer_payload_tooltip_shows_coded_values_as_words_and_keeps_codes_for_colours():
    # the map's hover card of a project site read 地块来源 "demo", of an installation 状态 "grid_connected", in Chinese
    import json

    import geopandas as gpd
    import shapely

    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.mapview import webmap

    pv = gpd.GeoDataFrame({"name": ["甲"], "status": ["grid_connected"], "capacity_kw": [120.0], "date": ["2023-05-01"]},
                          geometry=[shapely.Point(114.7, 35.2)], crs=4326)
    layer = get_layer("pv_installations")
    for lang, want in (("zh", "已并网"), ("en", "Grid-connected")):
        p = json.loads(webmap.layer_payload(layer, pv, lang))
        key = dict((lab, f) for f, lab in p["tooltip"])["状态" if lang == "zh" else "Status"]
        props = p["geojson"]["features"][0]["properties"]
        assert props[key] == want
        assert props[p["cat_field"]] == "grid_connected"  # the colour still keyed by the code
    site = gpd.GeoDataFrame({"project_no": [1], "name": ["乙"], "source": ["demo"], "area_m2": [91200.0], "progress": [""]},
                            geometry=[shapely.box(114.7, 35.2, 114.71, 35.21)], crs=4326)
    p = json.loads(webmap.layer_payload(get_layer("projects"), site, "zh"))
    key = dict((lab, f) for f, lab in p["tooltip"])["地块来源"]
    assert p["geojson"]["features"][0]["properties"][key] == "演示"


def test_layer_payload_tooltip_in_english_reads_the_english_twins():
    # the English hover card of a project read its Chinese name and 最新进展 (the side panel had the twins)
    import json

    import geopandas as gpd
    import shapely

    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.mapview import webmap

    site = gpd.GeoDataFrame({"project_no": [1, 2], "name": ["甲项目", "乙项目"], "name_en": ["Project A", ""],
                             "source": ["demo", "demo"], "area_m2": [91200.0, 5.0],
                             "progress": ["2024 年：前期", ""], "progress_en": ["2024: preparation", ""]},
                            geometry=[shapely.box(114.7, 35.2, 114.71, 35.21)] * 2, crs=4326)
    for lang, want in (("en", [("Project A", "2024: preparation"), ("乙项目", "")]),
                       ("zh", [("甲项目", "2024 年：前期"), ("乙项目", "")])):
        p = json.loads(webmap.layer_payload(get_layer("projects"), site, lang))
        keys = [f for f, _ in p["tooltip"]]
        name_key, prog_key = keys[1], keys[4]
        got = [(f["properties"][name_key], f["properties"][prog_key]) for f in p["geojson"]["features"]]
        assert got == want, (lang, got)
