"""Print layouts and atlases (cyc_geo.mapview.print_layout): page size, text as text, scale, atlas pages."""

import io

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pypdf import PdfReader

from cyc_geo.exports.pdf import pdf_text
from cyc_geo.mapview import print_layout as pl

PT_PER_MM = 72 / 25.4


def _pages(data: bytes):
    return PdfReader(io.BytesIO(data)).pages


def _size_mm(page) -> tuple[float, float]:
    return round(float(page.mediabox.width) / PT_PER_MM), round(float(page.mediabox.height) / PT_PER_MM)


def test_scale_bar_is_the_longest_round_length_that_fits():
    # 1:339,100 (339.1 m per mm), 50.75 mm of room: 17.2 km fit, so 10 km (1-2-5 steps)
    assert pl.nice_scale_length_m(339.1, 50.75) == 10_000
    assert pl.nice_scale_length_m(52.6, 45.0) == 2_000  # 2.37 km fit
    assert pl.nice_scale_length_m(20.0, 45.0) == 500  # 0.9 km fit
    assert pl.nice_scale_length_m(100.0, 50.0) == 5_000  # exactly 5 km fits
    with pytest.raises(ValueError):
        pl.nice_scale_length_m(0, 10)


def test_extent_keeps_one_scale_in_x_and_y():
    assert pl.fit_extent((0, 0, 100, 50), 200, 200, pad=0) == (0, -25, 100, 75)
    x0, y0, x1, y1 = pl.fit_extent((0, 0, 100, 100), 300, 150, pad=0.1)  # 120 m high → 240 m wide
    assert (x1 - x0, y1 - y0) == pytest.approx((240, 120))


def test_layout_pdf_has_every_element_as_text():
    data = pl.print_layout(paper="A4", landscape=True, title="长垣市会议用图")
    pages = _pages(data)
    assert len(pages) == 1 and _size_mm(pages[0]) == (297, 210)
    text = pdf_text(data)
    for needle in ("长垣市会议用图", "图例", "km", "北", "北京时间", "制图日期", "演示", "数据来源", "数据年份",
                   "长垣市界", "乡镇（街道）", "沿黄生态带", "EPSG:4547", "比例尺 1:"):
        assert needle in text, needle
    assert "蒲西街道" in text and "武邱乡" in text  # township labels set as text over the map
    assert "高德地图公开行政区边界" in text  # the outline's source, in words


def test_layout_paper_orientation_language_and_layers():
    data = pl.print_layout(["county", "townships"], paper="A3", landscape=False, lang="en")
    page = _pages(data)[0]
    assert _size_mm(page) == (297, 420)
    text = pdf_text(data)
    assert "Legend" in text and "N" in text and "Beijing time" in text and "Demo data" in text
    assert "Changyuan city boundary" in text and "Yellow River" not in text  # only the chosen layers
    with pytest.raises(KeyError, match="nope"):
        pl.print_layout(["nope"])
    with pytest.raises(ValueError):
        pl.print_layout(paper="A5")


def test_legend_names_entries_in_words_once():
    drawn = pl.prepare_layers(["projects"])
    rows = pl.legend_sections(drawn, "zh")[0].rows
    labels = [r.label for r in rows]
    assert labels.count("屋顶光伏覆盖范围") == 1 and "项目地块" in labels
    # the county-wide rooftop coverage is drawn as a dashed outline, not a fill over the county
    kinds = [g["kind"] for g in drawn[0].groups]
    assert kinds[0] == "outline" and "polygons" in kinds


def test_township_figures_by_hand():
    towns = pd.DataFrame({"code": ["1", "2"], "name": ["甲镇", "乙镇"], "area_km2": [10.0, 20.0]})
    potential = pd.DataFrame({"code": ["1", "2"], "capacity_mw": [3.0, 4.5]})
    installed = pd.DataFrame({"code": ["2"], "installed_mw": [1.25]})
    forest = pd.DataFrame({"township_code": ["1", "1", "2"], "area_ha": [1.0, 2.5, 4.0],
                           "sink_t_co2_yr": [10.0, 5.0, 1.0]})
    out = pl.township_figures(towns, potential, installed, forest).set_index("code")
    assert out.loc["1", "installed_mw"] == 0.0 and out.loc["2", "installed_mw"] == 1.25
    assert out.loc["1", "forest_ha"] == 3.5 and out.loc["1", "sink_t_co2"] == 15.0
    assert out.loc["2", "potential_mw"] == 4.5 and out.loc["2", "area_km2"] == 20.0
    assert pd.isna(pl.township_figures(towns).loc[0, "potential_mw"])


def test_project_figures_show_roof_coverage_apart():
    sites = gpd.GeoDataFrame({"project_no": [1, 3], "site_kind": ["parcel", "rooftops"]},
                             geometry=[shapely.box(0, 0, 1, 1)] * 2, crs="EPSG:4326")
    results = [{"project_no": 1, "area_mu": 136.8, "status": "ok", "townships": [{"name": "蒲西街道"}]},
               {"project_no": 3, "area_mu": 53230.7, "status": "warning", "townships": []}]
    projects = pd.DataFrame({"序号": [1, 3], "项目名称": ["园区", "整市屋顶光伏"], "name_en": ["Park", "Roofs"]})
    out = pl.project_figures(sites, results, projects).set_index("project_no")
    assert out.loc[1, "site_mu"] == 136.8 and pd.isna(out.loc[1, "coverage_mu"])
    assert pd.isna(out.loc[3, "site_mu"]) and out.loc[3, "coverage_mu"] == 53230.7


def test_township_atlas_has_one_page_per_township_with_its_figures():
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    figures = pl.township_figures(towns).assign(potential_mw=12.34, installed_mw=5.0, forest_ha=100.0,
                                                sink_t_co2=789.0)
    data = pl.atlas("townships", ["county", "townships"], figures=figures)
    pages = _pages(data)
    assert len(pages) == len(towns) == 18
    assert all(_size_mm(p) == (297, 210) for p in pages)
    order = sorted(towns["code"].astype(str))
    name_of = dict(zip(towns["code"].astype(str), towns["name"], strict=True))
    for page, code in zip(pages, order, strict=True):
        text = page.extract_text()
        assert f"{name_of[code]}（{code}）" in text
        assert "主要指标" in text and "12.3" in text and "789" in text and "图例" in text and "km" in text
        assert "北" in text and "演示" in text


def test_a_reused_map_canvas_draws_each_page_as_a_new_figure_would():
    """An atlas draws every page on one figure: nothing of a page is left on the next."""
    import numpy as np

    drawn = pl.prepare_layers(["county", "townships"])
    units = next(d.frame for d in drawn if d.layer.id == "townships")
    frame = pl.page_frames("A4", True)[0]
    canvas = pl.MapCanvas(frame, dpi=30)
    pages = []
    for i in (0, 5, 0):
        unit = units.geometry.iloc[i]
        _, extent, _ = pl.page_extent(unit.bounds, "A4", True)
        image = np.asarray(canvas.image(drawn, extent, unit))
        assert np.array_equal(image, np.asarray(pl.render_map_image(drawn, extent, frame, unit, dpi=30)))
        assert not canvas.ax.collections  # the page's layers were taken off again
        pages.append(image)
    assert not np.array_equal(pages[0], pages[1]) and np.array_equal(pages[0], pages[2])


def test_atlas_draws_the_prepared_layers_it_is_given(monkeypatch):
    import numpy as np

    from cyc_geo.places.townships import load_townships

    drawn = pl.prepare_layers(pl.atlas_layer_ids("townships", ["county", "river"]))
    assert [d.layer.id for d in drawn] == ["county", "townships", "river"]
    kept = pl.kept_for_reuse(drawn, keep=("townships",))  # as the map page caches them: the river's features go
    assert [len(d.frame) for d in kept] == [len(drawn[0].frame), 18, 0] and kept[2].groups is drawn[2].groups
    frame = pl.page_frames("A4", True)[0]
    _, extent, _ = pl.page_extent(drawn[1].frame.geometry.iloc[0].bounds, "A4", True)
    assert np.array_equal(np.asarray(pl.render_map_image(kept, extent, frame, dpi=30)),
                          np.asarray(pl.render_map_image(drawn, extent, frame, dpi=30)))
    figures = pl.township_figures(load_townships())

    def no_preparing(*_a, **_k):
        raise AssertionError("the atlas prepared its layers again")

    monkeypatch.setattr(pl, "prepare_layers", no_preparing)
    data = pl.atlas("townships", ["county", "river"], figures=figures, drawn=kept)
    assert len(_pages(data)) == 18 and "黄河（县界段）" in pdf_text(data)  # in the legend and the sources
    with pytest.raises(ValueError, match="unit layer"):
        pl.atlas("townships", ["county"], figures=figures, drawn=kept[:1])
    assert pl.atlas_layer_ids("projects", ["county", "projects"]) == ["county", "projects"]
    with pytest.raises(ValueError, match="townships or projects"):
        pl.atlas_layer_ids("villages")


def test_map_print_cli(tmp_path, capsys):
    from cyc_geo.cli import main

    out = tmp_path / "map.pdf"
    assert main(["map", "print", "--out", str(out), "--paper", "A3", "--landscape", "--title", "测试",
                 "--layers", "county,river"]) == 0
    pages = _pages(out.read_bytes())
    assert len(pages) == 1 and _size_mm(pages[0]) == (420, 297)
    assert "测试" in pdf_text(out.read_bytes())
    assert main(["map", "print", "--out", str(tmp_path / "x.pdf"), "--layers", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


def test_map_page_makes_a_print_layout_of_the_view():
    from tests.conftest import app_test

    at = app_test("views/map.py", timeout_s=240)
    at.query_params["lat"] = "35.2"
    at.query_params["lon"] = "114.7"
    at.query_params["z"] = "11"
    at.query_params["base"] = "blank"
    at.query_params["layers"] = "county,townships"
    at.run()
    assert not at.exception
    at.button(key="map_print_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    what, data, laid = at.session_state["map_print_pdf"]
    assert what == "view" and data[:5] == b"%PDF-"
    assert not laid.reported  # no map in an AppTest: the view box is estimated, and the caption says so
    assert any("地图尚未移动" in c.value for c in at.caption)
    text = pdf_text(data)
    assert "长垣市碳达峰规划图" in text and "图例" in text and "乡镇（街道）" in text and "沿黄生态带" not in text
    assert any(b.label == "下载 PDF" for b in at.get("download_button"))


def test_map_page_atlas_follows_the_chosen_orientation_and_asks_no_title():
    """The print form's 方向 is the atlas's too (it was always landscape), and its 标题 field is disabled for an atlas
    (the atlas titles its pages by township): a planner's click-through found both ignored."""
    from tests.conftest import app_test

    at = app_test("views/map.py", timeout_s=240)
    at.query_params["base"] = "blank"
    at.query_params["layers"] = "county,townships"
    at.run()
    assert not at.exception
    at.radio(key="map_print_what_zh").set_value("atlas").run()  # language_choice: keyed per language
    at.radio(key="map_print_landscape_zh").set_value(False).run()
    assert at.text_input(key="map_print_title_zh").disabled
    at.button(key="map_print_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    what, data, _ = at.session_state["map_print_pdf"]
    pages = _pages(data)
    assert what == "atlas" and len(pages) == 18
    assert _size_mm(pages[0]) == (210, 297)  # A4 portrait
