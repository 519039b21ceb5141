"""The map's layers as of a year (``layer_for_year``) and the on-screen note of a layer without that year."""

from __future__ import annotations

from cyc_geo.catalog.registry import get_layer
from cyc_geo.catalog.vintages import carried_note, layer_for_year


def test_each_layer_as_of_a_year_on_the_demo(demo_data_dir):
    pv22, v22 = layer_for_year("pv_installations", 2022)
    pv24, _ = layer_for_year("pv_installations", 2024)
    assert 0 < len(pv22) < len(pv24) and set(pv22["install_id"]) < set(pv24["install_id"])
    assert v22["label_en"] == "ledger as of 31 Dec 2022" and set(pv22["status"]) == {"grid_connected"}
    assert (pv22["date"] <= "2022-12-31").all()
    lc22, lc_v = layer_for_year("landcover", 2022)
    assert lc22["path"].iloc[0].endswith("landcover_demo_2022.tif") and lc_v["data_year"] == 2022
    assert layer_for_year("landcover", 2024)[0]["path"].iloc[0].endswith("landcover_demo.tif")
    forest22, fv = layer_for_year("forest", 2022)
    forest24, _ = layer_for_year("forest", 2024)
    assert fv["data_year"] == 2022 and forest22.attrs["meta"]["data_year"] == "2022"
    assert {"patch_id", "class_code", "area_ha", "stock_m3", "township_code"} <= set(forest22.columns)
    # the demo's 2022 forest is not its 2024 forest (afforestation, loss): another patch table
    assert abs(forest22["area_ha"].sum() - forest24["area_ha"].sum()) > 1.0
    towns, tv = layer_for_year("townships", 2022)
    assert len(towns) == 18 and tv["data_year"] is None


def test_carried_note_only_for_a_layer_without_the_year():
    layer = get_layer("landcover")
    own = {"year": 2023, "data_year": 2023, "label_zh": "2023 年数据", "label_en": "data of 2023", "none_earlier": False}
    carried = {"year": 2023, "data_year": 2022, "label_zh": "沿用 2022 年数据", "label_en": "carried from 2022",
               "none_earlier": False}
    unknown = {"year": 2023, "data_year": None, "label_zh": "数据年份未知", "label_en": "data year unknown",
               "none_earlier": False}
    none = {"year": 2021, "data_year": None, "label_zh": "无 2021 年或更早的数据", "label_en": "no data for 2021 or earlier",
            "none_earlier": True}
    assert carried_note(layer, own, "zh") is None and carried_note(layer, unknown, "en") is None
    assert carried_note(layer, carried, "zh") == "土地覆被（三调分类）：沿用 2022 年数据"
    assert carried_note(layer, carried, "en") == "Land cover (3rd land survey classes): carried from 2022"
    assert carried_note(layer, none, "en").endswith("no data for 2021 or earlier")
