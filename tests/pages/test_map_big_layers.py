"""Large area layers at county zoom (issue 29 item 8): one filled at a time, areas in 亩 / ha."""

from __future__ import annotations

import json
import re

from cyc_geo.mapview import static_payloads
from tests.conftest import app_test


def _text(at) -> str:
    args = json.dumps(json.loads(next(iter(at.get("component_instance"))).proto.json_args), ensure_ascii=False)
    return re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), args)


def test_two_area_layers_one_filled_one_outlined_legend_in_mu():
    at = app_test("views/map.py")
    at.query_params["layers"] = "county,belt,farmland,cropland"
    at.run()
    assert not at.exception
    text = _text(at)
    assert not re.search(r"(?<!k)m²", text) and "亩" in text  # the farmland legend was in millions of m²
    assert "县域视图同时只填色一个大图层" in text  # the stated rule, on the outlined layer's legend
    urls = static_payloads.URL_PATTERN.findall(text)
    hexes = [json.loads(static_payloads.read(u)) for u in urls if "_hex" in u]
    assert len(hexes) == 2
    filled = sorted(h["style"]["fillOpacity"] for h in hexes)
    assert filled[0] == 0 and filled[1] > 0  # one filled, one outlined
