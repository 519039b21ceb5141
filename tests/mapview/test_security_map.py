"""Hostile names in map data: script-safe payloads, text-only rendering, a sandboxed PNG browser."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image
from shapely.geometry import box

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview import webmap
from cyc_geo.mapview.export import CHROMIUM, add_title, html_to_png, standalone_html
from cyc_geo.mapview.legend import LegendSection
from cyc_geo.mapview.safe import script_safe, script_safe_json

HOSTILE = [
    "</script><img src=x onerror=alert(1)>",
    "<iframe src=file:///etc/passwd></iframe>",
    "蒲东街道 & <b>粗</b> \u2028 [link](javascript:alert(2))",
]

TOWNSHIPS = LayerDef(
    id="townships", title_zh="乡镇（街道）", title_en="Townships", source="f.gpkg", geometry="polygon",
    tooltip=("name", "code"), tooltip_labels_zh=("名称", "统计代码"), tooltip_labels_en=("Name", "Code"),
    label="name", style={"color": "#ff0000", "fill_opacity": 0.6},
)


def hostile_townships() -> gpd.GeoDataFrame:
    """Three ~8 km squares in the county, named with markup (imported as they are)."""
    cells = [box(114.55 + 0.1 * i, 35.15, 114.63 + 0.1 * i, 35.23) for i in range(3)]
    return gpd.GeoDataFrame({"code": ["410783001", "410783002", "410783003"], "name": HOSTILE},
                            geometry=cells, crs="EPSG:4326")


def hostile_map_html() -> str:
    fmap = webmap.base_map("blank", center=(35.19, 114.69), zoom=11, fit_bounds=((35.1, 114.5), (35.3, 114.9)))
    webmap.add_label_css(fmap)
    webmap.layer_group(TOWNSHIPS, hostile_townships(), "zh").add_to(fmap)
    legend = [webmap.layer_legend(TOWNSHIPS, "zh"), LegendSection(HOSTILE[0], [("fill", "#ff0000", HOSTILE[1])])]
    add_title(fmap, "长垣市碳达峰规划图", HOSTILE[0], legend, "图例")
    return standalone_html(fmap)


def test_script_safe_json_escapes_script_breakers_and_keeps_the_value():
    text = script_safe_json({"n": "</script>&\u2028\u2029"})
    assert text == '{"n":"\\u003c/script\\u003e\\u0026\\u2028\\u2029"}'
    assert json.loads(text) == {"n": "</script>&\u2028\u2029"}
    assert script_safe(text) == text  # idempotent
    assert script_safe_json("长垣") == '"长垣"'  # Chinese stays readable


def test_layer_payload_carries_names_exactly_but_no_markup():
    payload = webmap.layer_payload(TOWNSHIPS, hostile_townships(), "zh")
    for ch in "<>&\u2028\u2029":
        assert ch not in payload
    data = json.loads(payload)
    assert [f["properties"]["name"] for f in data["geojson"]["features"]] == HOSTILE
    assert [x[2] for x in data["labels"]] == HOSTILE
    html = hostile_map_html()
    assert "</script><img" not in html and "<iframe" not in html


def test_png_browser_is_refused_local_files_and_the_network():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
    # a page that tries anyway (as if a name had got through as HTML): file and network loads refused
    html = hostile_map_html().replace(
        "</body>",
        '<iframe src="file:///etc/passwd"></iframe><img src="http://example.invalid/beacon.png">'
        "<script>fetch('file:///etc/passwd').then(function(r){ return r.text(); })"
        ".then(function(t){ document.title = t; });</script></body>",
    )
    blocked: list[str] = []
    png = html_to_png(html, width=800, height=600, settle_s=0.5, blocked=blocked)
    assert "file:///etc/passwd" in blocked
    assert "http://example.invalid/beacon.png" in blocked
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert img.shape == (600, 800, 3)
    assert ((img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)).sum() > 0  # the townships drawn
