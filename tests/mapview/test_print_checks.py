"""Print checks (issue 29): a print maps its unit large enough at a standard scale, every colour drawn in the
map frame is in the legend, and a Chinese print's source block is written for readers in Chinese.

The checks read the PDF as a reader gets it: the map image embedded in the page and the colours the page's
vector drawing sets (the legend swatches), so they hold for whatever draws the page."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from cyc_geo.exports.pdf import LINE_START_FORBIDDEN, pdf_text
from cyc_geo.mapview import print_layout as pl
from cyc_geo.places.county import load_county

COUNTY_RED = (0xB2, 0x18, 0x2B)  # layers/county.toml [style] color
SIGNIFICANT = 0.0005  # a colour drawn on at least 0.05 % of the map frame must be in the legend
TOLERANCE = 8  # per RGB channel, 0-255: anti-aliasing and PNG rounding


def _map_image(data: bytes) -> np.ndarray:
    page = PdfReader(io.BytesIO(data)).pages[0]
    (img,) = page.images
    return np.asarray(Image.open(io.BytesIO(img.data)).convert("RGB"))


def _vector_colours(data: bytes) -> np.ndarray:
    """Every fill and stroke colour the page's content stream sets (``r g b rg`` / ``RG``), 0-255."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    found = re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)\b", stream)
    return np.array([[round(float(v) * 255) for v in c] for c in found], dtype=int)


def _county_fill(img: np.ndarray) -> tuple[float, float, float, float]:
    """(share of width, share of height, centre x, centre y as shares) of the county outline's pixels."""
    near = (np.abs(img.astype(int) - np.array(COUNTY_RED)).max(axis=2) <= 12)
    ys, xs = np.nonzero(near)
    h, w = near.shape
    return ((xs.max() - xs.min()) / w, (ys.max() - ys.min()) / h, (xs.max() + xs.min()) / 2 / w,
            (ys.max() + ys.min()) / 2 / h)


@pytest.mark.parametrize("paper,landscape", [("A3", True), ("A3", False), ("A4", True), ("A4", False)])
def test_the_county_fills_the_frame_at_a_standard_scale_and_centred(paper, landscape):
    data = pl.print_layout(["county"], paper=paper, landscape=landscape)
    share_w, share_h, cx, cy = _county_fill(_map_image(data))
    assert max(share_w, share_h) >= 0.60, (paper, landscape, share_w, share_h)
    assert cx == pytest.approx(0.5, abs=0.02) and cy == pytest.approx(0.5, abs=0.02)
    scale = int(re.search(r"比例尺 1:([\d,]+)", pdf_text(data)).group(1).replace(",", ""))
    assert scale in pl.STANDARD_SCALES


def test_a_print_of_a_view_wider_than_the_city_prints_the_city():
    """The map page's view at zoom 10 (the issue's 1:658,600 A3 print, the county a quarter of the frame)."""
    from cyc_geo.mapview.export import view_bounds

    data = pl.print_layout(["county"], paper="A3", landscape=True, bbox_wgs84=view_bounds(35.2, 114.75, 10))
    assert "比例尺 1:200,000（A3）" in pdf_text(data)
    share_w, share_h, cx, cy = _county_fill(_map_image(data))
    assert max(share_w, share_h) >= 0.60
    assert cx == pytest.approx(0.5, abs=0.02) and cy == pytest.approx(0.5, abs=0.02)


def test_standard_scale_is_the_largest_that_fits():
    assert pl.standard_scale((0, 0, 10_000, 10_000), 106, 106) == 100_000  # 10 km in 100 mm + 2 × 3 mm
    assert pl.standard_scale((0, 0, 10_000, 10_000), 105, 200) == 200_000  # 10 km need 104 mm; 100 mm room
    assert pl.standard_scale((0, 0, 100, 100), 200, 200) == 5_000  # never larger than 1:5,000
    assert pl.standard_scale((0, 0, 3e6, 1), 100, 100) == 32_000_000  # beyond the series: whole millions
    assert pl.scaled_extent((0, 0, 10, 20), 100, 50, 10_000) == (-495, -240, 505, 260)


# the map page's default layers; not cropland, forest or rooftops: their many thin parcel edges and sub-pixel
# dots blend with their fills into shades no legend has, as two translucent fills over each other do
@pytest.mark.parametrize("paper,landscape,lang", [("A3", True, "zh"), ("A4", False, "en")])
def test_every_colour_drawn_in_the_map_frame_is_in_the_legend(paper, landscape, lang):
    data = pl.print_layout(None, paper=paper, landscape=landscape, lang=lang)
    img = _map_image(data).reshape(-1, 3).astype(int)
    colours, counts = np.unique(img, axis=0, return_counts=True)
    shown = colours[counts >= SIGNIFICANT * len(img)]
    legend = np.vstack([_vector_colours(data), [[255, 255, 255]]])
    missing = [tuple(c) for c in shown if np.abs(legend - c).max(axis=1).min() > TOLERANCE]
    assert not missing, [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in missing]


def test_every_drawn_style_group_has_a_legend_row():
    drawn = pl.prepare_layers(["projects", "belt", "townships"])
    sections = pl.legend_sections(drawn, "zh")
    labels = [r.label for s in sections for r in s.rows]
    assert labels.count("屋顶光伏覆盖范围") == 1 and "项目地块" in labels and "黄河滩区" in labels
    roofs = next(r for s in sections for r in s.rows if r.label == "屋顶光伏覆盖范围")
    assert roofs.kind == "outline" and roofs.dashed  # as the map draws the city-wide coverage: no hatch
    assert [g["kind"] for g in drawn[0].groups if g["category"] == "rooftops"] in (["outline"], [])


ALLOWED_ASCII = {"EPSG", "CGCS"}  # codes; units are at most 3 letters


def _source_block(text: str) -> str:
    start = text.index("数据来源")
    return text[start:text.index("制图日期", start)]


def test_the_source_block_of_a_chinese_print_is_chinese_with_data_years():
    layers = ["county", "townships", "belt", "river", "devzone", "projects", "cropland", "farmland", "forest",
              "rooftops", "pv_installations"]
    text = pdf_text(pl.print_layout(layers, paper="A3", landscape=True, lang="zh"))
    block = _source_block(text)
    words = {w for w in re.findall(r"[A-Za-z]{4,}", block) if w not in ALLOWED_ASCII}
    assert not words, words
    assert block.count("数据年份") >= 5 and "2024" in block  # the ledger's data year
    assert "演示" in block


def test_an_english_print_has_no_chinese_outside_place_names():
    drawn_names = set(load_county()["name_en"]) if "name_en" in load_county() else set()
    text = pdf_text(pl.print_layout(["county", "belt", "river", "devzone", "projects"], paper="A3", landscape=True,
                                    lang="en"))
    cjk = re.findall(r"[\u3400-\u9fff]+", text)
    assert not cjk, (cjk, drawn_names)



ALL_LAYERS = ["county", "townships", "belt", "river", "devzone", "projects", "cropland", "farmland", "forest",
              "rooftops", "pv_installations"]


@pytest.mark.parametrize("paper, landscape, lang", [("A4", True, "zh"), ("A4", False, "zh"), ("A4", False, "en")])
def test_a_print_of_every_layer_is_one_page_and_its_chinese_lines_keep_the_punctuation_rules(paper, landscape, lang):
    """The foot (sources, date line, 制图单位/审图号) fits above the bottom margin: with every layer on, an A4
    portrait print put its last lines on a second page, and the 审图号 note under a long legend ran into the
    sources. No Chinese line starts with closing punctuation ("》）" did, GB/T 15834-2011)."""
    data = pl.print_layout(ALL_LAYERS, paper=paper, landscape=landscape, lang=lang)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_text(data)
    assert "制图单位" in text if lang == "zh" else "Map maker" in text
    if lang == "zh":
        bad = [ln for ln in text.splitlines() if ln[:1] in LINE_START_FORBIDDEN - set(",.;:?!)]}%")]
        assert not bad, bad

def test_map_maker_and_review_number_are_printed_or_noted():
    empty = pdf_text(pl.print_layout(["county"], paper="A4"))
    assert "制图单位：（未填写）" in empty and "审图号：（未填写）" in empty and "地图管理条例" in empty
    filled = pdf_text(pl.print_layout(["county"], paper="A4", maker="长垣市自然资源局", review_no="豫S（2026）001号"))
    assert "制图单位：长垣市自然资源局" in filled and "审图号：豫S（2026）001号" in filled
    assert "地图管理条例" not in filled


def test_map_print_cli_takes_maker_and_review_number(tmp_path):
    from cyc_geo.cli import main

    out = tmp_path / "m.pdf"
    assert main(["map", "print", "--out", str(out), "--layers", "county", "--maker", "测绘院",
                 "--review-no", "豫S（2026）002号"]) == 0
    text = pdf_text(out.read_bytes())
    assert "制图单位：测绘院" in text and "审图号：豫S（2026）002号" in text


def test_atlas_key_figures_name_the_gross_sink_per_year():
    row = {"area_km2": 1.0, "potential_mw": 1.0, "installed_mw": 1.0, "forest_ha": 1.0, "sink_t_co2": 10.0}
    import pandas as pd

    zh = dict(pl._township_rows(pd.Series(row), "zh"))
    en = dict(pl._township_rows(pd.Series(row), "en"))
    assert any("总碳汇" in k and "/年" in k for k in zh), zh
    assert any("gross" in k and "/yr" in k for k in en), en


def test_atlas_page_legend_names_the_highlighted_unit():
    from cyc_geo.places.townships import load_townships

    towns = load_townships()
    figures = pl.township_figures(towns)
    data = pl.atlas("townships", ["county", "townships"], figures=figures)
    first = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "本页图幅单元" in first


