"""The map page opens on the offline basemap when tiles do not answer (issue 29 item 11)."""

from __future__ import annotations

import pytest

from cyc_geo.mapview import basemaps
from tests.conftest import app_test


@pytest.mark.parametrize(("reachable", "expected"), [(False, "blank"), (True, "osm")])
def test_the_map_page_opens_offline_when_tiles_do_not_answer(monkeypatch, reachable, expected):
    from ui import map_data

    monkeypatch.delenv(basemaps.DEFAULT_ENV, raising=False)
    monkeypatch.delenv("TIANDITU_TOKEN", raising=False)
    monkeypatch.setattr(basemaps, "tiles_reachable", lambda bm, timeout_s=1.5: reachable)
    map_data.default_basemap_id.clear()
    at = app_test("views/map.py")
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="basemap_zh").value == expected
    # the basemap's token note sits right under its select (it sat under the layers and the year)
    order = [(el.type, getattr(el, "key", None), getattr(el, "value", None)) for el in at.sidebar]
    at_select = next(i for i, (_, key, _) in enumerate(order) if key == "basemap_zh")
    assert "天地图需配置令牌" in str(order[at_select + 1][2]), order[at_select:at_select + 2]
    map_data.default_basemap_id.clear()
