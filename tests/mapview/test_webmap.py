"""Map building blocks: legends and class breaks, vector tiles, click look-up, URL state, exports."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from PIL import Image
from streamlit_folium import _get_map_string, generate_js_hash

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.geo.gcj02 import wgs84_to_gcj02
from cyc_geo.mapview import basemaps, legend, tiles, webmap
from cyc_geo.mapview.export import add_title, inline_assets, standalone_html, view_bounds

# ---------------------------------------------------------------- legends


def test_quantile_breaks_match_numpy_quantiles():
    v = np.arange(1, 101, dtype=float)  # 1..100
    # 4 quantile classes: upper bounds are the 25th, 50th, 75th percentiles and the max
    assert legend.class_breaks(v, k=4, scheme="quantiles") == pytest.approx([25.75, 50.5, 75.25, 100.0])


def test_natural_breaks_find_obvious_clusters():
    rng = np.random.default_rng(1)
    v = np.concatenate([rng.uniform(0, 1, 300), rng.uniform(10, 11, 300), rng.uniform(50, 51, 300)])
    breaks = legend.class_breaks(v, k=3)
    assert len(breaks) == 3
    assert 0.9 <= breaks[0] <= 1.0 and 10.9 <= breaks[1] <= 11.0 and breaks[2] == pytest.approx(v.max())


def test_few_distinct_values_give_fewer_classes_and_nan_is_ignored():
    assert legend.class_breaks([3, 3, 7, np.nan], k=5) == [3.0, 7.0]
    assert legend.class_breaks([np.nan]) == []


def test_classify_and_colours_follow_breaks():
    breaks = [10.0, 20.0, 30.0]
    idx = legend.classify([0, 10, 10.5, 25, 99, np.nan], breaks)
    assert idx.tolist() == [0, 0, 1, 2, 2, -1]
    cols = legend.colours_for([5, 15, 25, np.nan], breaks, "YlOrRd", missing="#000000")
    assert cols.tolist() == legend.palette("YlOrRd", 3) + ["#000000"]


def test_palette_is_ordered_light_to_dark():
    def lum(hexcol: str) -> float:
        r, g, b = (int(hexcol[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for name in ("YlOrRd", "Greens", "Blues"):
        lums = [lum(c) for c in legend.palette(name, 6)]
        assert lums == sorted(lums, reverse=True), name
    with pytest.raises(ValueError):
        legend.palette("nope", 3)


def test_legend_html_escapes_and_marks_zoom_sections():
    sec = legend.choropleth_section("光伏 <潜力>", [10.0, 20.0], "Greens", "kW")
    sec.only = "agg"
    html = legend.legend_html([sec], heading="图例")
    assert "&lt;潜力&gt;" in html and "<潜力>" not in html
    assert "0 – 10.0 kW" in html and "10.0 – 20.0 kW" in html
    assert "cyc-only-agg" in html


def test_layer_legend_uses_category_labels():
    layer = LayerDef(id="belt", title_zh="带", title_en="Belt", source="f.gpkg", geometry="polygon",
                     style={"category_colors": {"a": "#111111", "b": "#222222"}},
                     legend={"kind": "categories", "labels_zh": {"a": "滩区"}})
    sec = webmap.layer_legend(layer, "zh")
    assert sec.rows == [("fill", "#111111", "滩区"), ("fill", "#222222", "b")]


# ---------------------------------------------------------------- tiles and look-up


def _squares() -> gpd.GeoDataFrame:
    """Three 20 m squares near 长垣 (0.0002° ≈ 22 m) in different z15 tiles."""
    xs = np.array([114.70, 114.71, 114.80])
    ys = np.array([35.20, 35.20, 35.25])
    geoms = shapely.box(xs, ys, xs + 0.0002, ys + 0.0002)
    return gpd.GeoDataFrame({"building_class": ["gov", "rural", "public"], "roof_id": [1, 2, 3]},
                            geometry=geoms, crs="EPSG:4326")


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Slippy-map tile of a point (OSM wiki formula)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    return x, y


def test_build_mvt_writes_the_expected_tiles_and_attributes(tmp_path):
    gdf = _squares()
    from cyc_geo.catalog.registry import get_layer

    frame, fields = tiles.tile_frame(gdf, get_layer("rooftops").style)
    assert fields == ["c"] and frame["c"].tolist() == [0, 3, 1]
    out = tiles.build_mvt(frame, "rooftops", fields, sig="abc", root=tmp_path)
    assert out == tmp_path / "rooftops-abc"
    for lon, lat in zip([114.7001, 114.7101, 114.8001], [35.2001, 35.2001, 35.2501], strict=True):
        x, y = _tile_xy(lon, lat, tiles.TILE_ZOOM)
        assert (out / str(tiles.TILE_ZOOM) / str(x) / f"{y}.pbf").is_file()
    back = pyogrio.read_dataframe(out / str(tiles.TILE_ZOOM)).to_crs("EPSG:4326")  # GDAL reads one zoom folder
    assert sorted(back["c"].astype(int).tolist()) == [0, 1, 3]
    gov = back[back["c"].astype(int) == 0].geometry.iloc[0]
    # tile quantisation at z15 is ~0.24 m: the square comes back within a metre (1e-5°)
    assert shapely.get_coordinates(gov).min(axis=0) == pytest.approx([114.70, 35.20], abs=1e-5)
    meta = tiles.read_tiles_metadata(out)
    assert int(meta["minzoom"]) == int(meta["maxzoom"]) == tiles.TILE_ZOOM
    # the first byte of an uncompressed MVT is a protobuf field tag, not the gzip magic 0x1f
    first = next(out.rglob("*.pbf")).read_bytes()
    assert first[:2] != b"\x1f\x8b"


def test_signature_changes_with_attributes_and_geometry():
    gdf = _squares()
    sig = tiles.signature(gdf, ["building_class"])
    changed = gdf.copy()
    changed.loc[0, "building_class"] = "public"
    moved = gdf.copy()
    moved.geometry = moved.geometry.translate(0.001, 0)
    assert tiles.signature(changed, ["building_class"]) != sig
    assert tiles.signature(moved, ["building_class"]) != sig
    assert tiles.signature(gdf.copy(), ["building_class"]) == sig


def test_feature_index_finds_the_clicked_square_and_respects_tolerance():
    idx = tiles.FeatureIndex(_squares())
    assert idx.lookup(114.7101, 35.2001) == 1
    # 0.0001° of longitude east of square 0's edge ≈ 9.1 m at 35.2°N
    assert idx.lookup(114.7003, 35.2001) is None
    assert idx.lookup(114.7003, 35.2001, tolerance_m=15) == 0
    assert idx.lookup(114.7003, 35.2001, tolerance_m=5) is None


def test_pixel_tolerance_matches_hand_calculation():
    # one pixel at z0 on the equator is 156,543.03 m; at z15 and 60°N: 156543.03 * 0.5 / 32768
    assert tiles.pixel_tolerance_m(15, 60.0, pixels=1) == pytest.approx(156543.03392 * 0.5 / 32768)


def test_h3_hexagons_sum_values_and_contain_their_points():
    import h3

    pts = [(35.20, 114.70), (35.2001, 114.7001), (35.30, 114.80)]
    cells = np.array([h3.str_to_int(h3.latlng_to_cell(lat, lon, 8)) for lat, lon in pts], dtype=np.uint64)
    import pandas as pd

    from cyc_geo.geo import hexgrid

    hexes = hexgrid.hexagons(cells, pd.DataFrame({"kw": [1.0, 2.0, 5.0]}))
    assert hexes["count"].sum() == 3 and hexes["kw"].sum() == 8.0
    first = hexes[hexes["h3"] == h3.latlng_to_cell(35.20, 114.70, 8)].iloc[0]
    assert first["kw"] == 3.0 and first["count"] == 2
    assert first.geometry.contains(shapely.Point(114.70, 35.20))


def test_write_rgba_png_round_trip(tmp_path):
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[1, 2] = (26, 122, 46, 200)
    out = tiles.write_rgba_png(rgba, tmp_path / "lc.png")
    img = np.asarray(Image.open(out))
    assert img.shape == (4, 6, 4) and tuple(img[1, 2]) == (26, 122, 46, 200) and img[0, 0, 3] == 0


# ---------------------------------------------------------------- base map, state, display shift


def _script(fmap: folium.Map) -> str:
    fmap.get_root().render()
    return _get_map_string(fmap)


def test_base_map_script_is_stable_across_reruns_so_st_folium_does_not_remount():
    bounds = ((35.0, 114.5), (35.4, 115.0))
    a = _script(webmap.base_map("osm", fit_bounds=bounds))
    b = _script(webmap.base_map("osm", fit_bounds=bounds))
    c = _script(webmap.base_map("blank", fit_bounds=bounds))
    assert generate_js_hash(a, "k") == generate_js_hash(b, "k")
    assert generate_js_hash(a, "k") != generate_js_hash(c, "k")
    assert "fitBounds([[35.0, 114.5], [35.4, 115.0]])" in a
    assert "createPane('cycAgg')" in a


def test_amap_basemap_shifts_overlays_for_display_only():
    gdf = _squares()
    shown = webmap.for_display(gdf, "amap")
    before = shapely.get_coordinates(gdf.geometry.iloc[0])
    lon, lat = wgs84_to_gcj02(before[:, 0], before[:, 1])
    after = shapely.get_coordinates(shown.geometry.iloc[0])
    assert after == pytest.approx(np.column_stack([lon, lat]), abs=1e-9)
    shift_m = (after[0, 0] - before[0, 0]) * 111_320 * np.cos(np.radians(35.2))
    assert 300 < shift_m < 900  # the ~500 m GCJ-02 offset (docs/sources.md, "GCJ-02")
    assert webmap.for_display(gdf, "osm") is gdf
    assert shapely.get_coordinates(gdf.geometry.iloc[0]).min(axis=0) == pytest.approx([114.70, 35.20])  # input untouched


def test_map_state_round_trips_and_rejects_bad_values():
    state = webmap.MapState(35.123456, 114.654321, 15, "blank", ("county", "rooftops"))
    q = webmap.state_query(state)
    assert q == {"lat": "35.12346", "lon": "114.65432", "z": "15", "base": "blank", "layers": "county,rooftops"}
    back = webmap.parse_state(q, ["county", "rooftops"])
    assert (back.lat, back.lon, back.zoom, back.basemap, back.layers) == (35.12346, 114.65432, 15, "blank",
                                                                          ("county", "rooftops"))
    bad = webmap.parse_state({"lat": "99", "lon": "x", "z": "40", "base": "evil", "layers": "county,zzz"},
                             ["county"])
    # an unknown basemap is "not said": the page picks the default (cyc_geo.mapview.basemaps.default_basemap)
    assert (bad.lat, bad.lon, bad.zoom, bad.basemap, bad.layers) == (*webmap.COUNTY_CENTRE, 10, "",
                                                                     ("county",))
    assert "lang=en" in webmap.share_url("http://x/map", state, "en")


def test_tianditu_token_comes_from_secrets_or_env(monkeypatch):
    monkeypatch.delenv("TIANDITU_TOKEN", raising=False)
    assert basemaps.tianditu_token({}) is None
    assert [b.id for b in basemaps.available_basemaps(None)] == ["blank", "osm", "amap"]
    monkeypatch.setenv("TIANDITU_TOKEN", "t-env")
    assert basemaps.tianditu_token({}) == "t-env"
    assert basemaps.tianditu_token({"tianditu_token": "t-sec"}) == "t-sec"
    script = _script(webmap.base_map("tianditu_img", token="t-sec"))
    assert "tk=t-sec" in script and "cia_w" in script


# ---------------------------------------------------------------- exports


def _export_map() -> folium.Map:
    fmap = webmap.base_map("blank", fit_bounds=((35.0, 114.5), (35.4, 115.0)))
    layer = LayerDef(id="sq", title_zh="方块", title_en="Squares", source="f.gpkg", geometry="polygon",
                     tooltip=("roof_id",), style={"color": "#ff0000", "fill_opacity": 1.0})
    big = _squares()
    # ~2 km squares, visible at county zoom (buffered in metres, EPSG:4547)
    big.geometry = big.geometry.to_crs(4547).buffer(1000, join_style="mitre").to_crs(4326)
    webmap.layer_group(layer, big, "zh").add_to(fmap)
    add_title(fmap, "长垣市碳达峰规划图", "演示数据", [webmap.layer_legend(layer, "zh")], "图例")
    return fmap


def test_standalone_html_inlines_every_local_asset():
    html = standalone_html(_export_map())
    assert "/app/static/" not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r'<link[^>]+rel="stylesheet"', html)
    assert "L.Map" in html or "L.map(" in html  # Leaflet itself is inside
    assert "长垣市碳达峰规划图" in html or "\\u957f\\u57a3" in html  # the title, raw or JS-escaped
    assert "data:image/png;base64," in html  # leaflet-measure / layer icons from CSS
    assert "cyc-legend" in html and "演示数据" in html


def test_layer_text_reaches_the_page_verbatim_even_if_it_looks_like_a_template():
    """Attribute values are data: a "{{" or "{%" in a name must neither break nor change the page."""
    from streamlit_folium import _get_feature_group_string

    layer = LayerDef(id="sq", title_zh="方块", title_en="Squares", source="f.gpkg", geometry="polygon",
                     tooltip=("name",), style={"color": "#ff0000"})
    gdf = _squares().assign(name=["{{ 7 * 7 }}", "{% if x %}甲{% endif %}", "{#乙#}"])
    html = webmap.layer_group(layer, gdf, "zh").add_to(webmap.base_map("blank")).get_root().render()
    fg = _get_feature_group_string(webmap.layer_group(layer, gdf, "zh"), webmap.base_map("blank"))
    for text in (html, fg):
        for name in gdf["name"]:
            assert name in text
        assert '"49"' not in text


def test_inline_assets_refuses_a_missing_local_asset(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.js"):
        inline_assets('<script src="/app/static/vendor/missing.js"></script>', tmp_path)


def test_view_bounds_hand_calculation():
    w, s, e, n = view_bounds(35.0, 114.7, 15, width_px=1000, height_px=500)
    m_per_px = 156543.03392 * np.cos(np.radians(35.0)) / 2**15
    assert (n - s) * 111_320 == pytest.approx(500 * m_per_px)
    assert (e - w) * 111_320 * np.cos(np.radians(35.0)) == pytest.approx(1000 * m_per_px)


def test_tiles_are_built_by_a_child_process_and_then_served_from_disk(tmp_path):
    """The app never blocks on a tile build: it gets a job, polls it, and finds the set ready."""
    import time

    job = tiles.ensure_tiles_async("river", "t1", root=tmp_path)
    deadline = time.time() + 120
    while job.status == "building" and time.time() < deadline:
        time.sleep(0.5)
        job = tiles.ensure_tiles_async("river", "t1", root=tmp_path)
    assert job.status == "ready", job.error
    assert (tmp_path / "river-t1" / "metadata.json").is_file()
    assert tiles.ensure_tiles_async("river", "t1", root=tmp_path).status == "ready"  # no second build
    assert tiles.tile_url("river", "t1") == "/app/static/tiles/river-t1/{z}/{x}/{y}.pbf"


def test_png_export_renders_the_offline_html_in_chromium():
    import io
    from pathlib import Path

    from cyc_geo.mapview.export import CHROMIUM, html_to_png

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
    png = html_to_png(standalone_html(_export_map()), width=800, height=600, settle_s=0.5)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert img.shape == (600, 800, 3)
    # the red (#ff0000) squares and the dark title text are drawn: not a blank page
    reds = ((img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)).sum()
    dark = (img.sum(axis=2) < 150).sum()
    assert reds > 0 and dark > 50


def test_png_exports_share_one_kept_browser_that_retires_when_idle():
    """Consecutive exports reuse the Chromium the worker launched; an idle worker closes it, a crashed one
    is replaced, and an error in a job reaches the caller."""
    import time

    from cyc_geo.mapview import browser

    browser.close()
    try:
        first = browser.run(lambda b: (id(b), b.is_connected()), timeout_s=120, idle_s=60)
        again = browser.run(lambda b: id(b), timeout_s=120)
        assert first == (again, True) and browser.running()
        with pytest.raises(ZeroDivisionError):
            browser.run(lambda b: 1 / 0, timeout_s=120)
        browser.run(lambda b: b.close(), timeout_s=120)  # the browser goes away under the worker
        assert browser.run(lambda b: b.is_connected(), timeout_s=120) is True
        browser.close()
        browser.run(lambda b: None, timeout_s=120, idle_s=0.3)
        deadline = time.time() + 30
        while browser.running() and time.time() < deadline:
            time.sleep(0.1)
        assert not browser.running()
        assert browser.run(lambda b: b.is_connected(), timeout_s=120) is True  # started again on demand
    finally:
        browser.close()


def test_png_export_has_no_map_controls_and_the_whole_legend():
    """Issue 29 item 5: the PNG showed the zoom, measure, link and full-screen buttons and cut a long
    legend off at the bottom (a scroll box of 46 % of the window)."""
    import io
    from pathlib import Path

    from cyc_geo.mapview.export import CHROMIUM, html_to_png
    from cyc_geo.mapview.legend import LegendSection

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
    fmap = webmap.base_map("blank", fit_bounds=((35.0, 114.5), (35.4, 115.0)))
    rows = [("fill", "#4477aa", f"类别 {i}") for i in range(40)] + [("fill", "#00ff00", "最后一行")]
    add_title(fmap, "长垣市碳达峰规划图", "演示数据", [LegendSection("很长的图例", rows)], "图例")
    report: dict = {}
    png = html_to_png(standalone_html(fmap), width=800, height=600, settle_s=0.3, report=report)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    h, w = img.shape[:2]
    assert [w, h] == report["viewport"]
    left, top, right, bottom = report["legend"]
    assert left >= 0 and top >= 0 and right <= w and bottom <= h, (report, (w, h))  # the legend inside the picture
    assert report["legend_scroll"][0] <= report["legend_scroll"][1] + 1  # and not a scroll box
    greens = ((img[..., 0] < 60) & (img[..., 1] > 200) & (img[..., 2] < 60)).sum()
    assert greens >= 100  # the last row's swatch (16 × 12 px) is in the picture
    kept = ("cyc-legend-ctl", "cyc-map-title", "leaflet-control-scale", "leaflet-control-attribution")
    assert all(any(k in c for k in kept) for c in report["controls"]), report["controls"]
    corner = img[:160, :60]  # where the zoom, full-screen, measure and fit buttons were
    assert ((corner.sum(axis=2) < 200).sum()) == 0


def test_the_legend_heading_folds_the_legend():
    from cyc_geo.mapview import legend

    html = legend.legend_html([legend.LegendSection("图层", [("fill", "#123456", "类")])], heading="图例")
    assert "classList.toggle('cyc-collapsed')" in html.split('class="cyc-title"')[1].split(">")[0]
    assert ".cyc-legend.cyc-collapsed .cyc-sec" in legend.LEGEND_CSS


def test_a_new_version_of_a_tile_set_removes_older_ones_of_its_own_coordinates_only(tmp_path):
    """The AMap (GCJ-02) copy and the WGS84 set are both in use: building one must not remove the other (it did,
    and the maps on the other basemap lost the layer's tiles)."""
    frame, fields = tiles.tile_frame(_squares(), {})
    for sig in ("abc", "abcg"):
        tiles.build_mvt(frame, "rooftops", fields, sig=sig, root=tmp_path)
    assert (tmp_path / "rooftops-abc").is_dir() and (tmp_path / "rooftops-abcg").is_dir()
    tiles.build_mvt(frame, "rooftops", fields, sig="abd", root=tmp_path)  # a new data version, WGS84
    assert sorted(p.name for p in tmp_path.glob("rooftops-*")) == ["rooftops-abcg", "rooftops-abd"]


def test_a_built_tile_set_whose_folder_is_gone_is_built_again(tmp_path):
    """A job the app remembers as ready is not trusted once its folder is gone (it answered 'ready' with tiles
    that were no longer there, and the map never showed them)."""
    import shutil
    import time

    def ready() -> tiles.TileJob:
        job = tiles.ensure_tiles_async("river", "t2", root=tmp_path)
        deadline = time.time() + 120
        while job.status == "building" and time.time() < deadline:
            time.sleep(0.5)
            job = tiles.ensure_tiles_async("river", "t2", root=tmp_path)
        return job

    assert ready().status == "ready"
    shutil.rmtree(tmp_path / "river-t2")
    again = tiles.ensure_tiles_async("river", "t2", root=tmp_path)
    assert again.status == "building"  # not the remembered 'ready'
    assert ready().status == "ready" and (tmp_path / "river-t2" / "metadata.json").is_file()
