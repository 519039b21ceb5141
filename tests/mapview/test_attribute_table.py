"""The attribute table's pure functions (cyc_geo.mapview.attribute_table) and the [table] key of a layer TOML."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cyc_geo.catalog.registry import LayerDef, load_registry, parse_layer
from cyc_geo.exports.meta import ExportMeta
from cyc_geo.mapview import attribute_table as table
from cyc_geo.mapview.export import view_bounds

BASE = {"id": "x", "title_zh": "甲", "title_en": "X", "geometry": "polygon", "source": "x.gpkg"}


def _layer(**kw) -> LayerDef:
    return parse_layer({**BASE, "tooltip": ["code", "kind", "area_m2", "owner"],
                        "tooltip_labels_zh": ["编号", "地类", "面积(m²)", "权属"],
                        "tooltip_labels_en": ["No.", "Class", "Area (m²)", "Owner"], **kw})


def _frame(n: int = 6) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": [f"P{i:03d}" for i in range(n)],
        "kind": ["0101", "0102", "0102", "0103", "0102", None][:n],
        "area_m2": [100.0, 250.0, 50.0, 400.0, np.nan, 10.0][:n],
        "owner": ["甲村", "乙村", "甲村集体", "丙村", "乙村", "甲村"][:n],
        "extra": range(n),
    }, geometry=[shapely.box(114.6 + i * 0.01, 35.1, 114.605 + i * 0.01, 35.105) for i in range(n)], crs=4326)


def test_columns_default_to_tooltip_with_units_and_kinds():
    gdf = _frame()
    cols = table.table_columns(_layer(), "zh", gdf)
    assert [(c.field, c.label, c.unit, c.kind) for c in cols] == [
        ("code", "编号", None, "class"), ("kind", "地类", None, "class"),
        ("area_m2", "面积(m²)", "m²", "number"), ("owner", "权属", None, "class")]
    assert [c.label for c in table.table_columns(_layer(), "en", gdf)][2] == "Area (m²)"


def test_columns_from_table_key_override_kind_and_unit():
    layer = _layer(table={"columns": ["code", "area_m2", "missing"], "labels_zh": ["编号", "面积", "无"],
                          "labels_en": ["No.", "Area", "None"], "units": {"area_m2": "m²"}, "kinds": {"code": "text"}})
    cols = table.table_columns(layer, "zh", _frame())
    assert [(c.field, c.label, c.kind) for c in cols] == [("code", "编号", "text"), ("area_m2", "面积 (m²)", "number")]


def test_many_distinct_texts_are_text_not_class():
    gdf = gpd.GeoDataFrame({"name": [f"n{i}" for i in range(table.CLASS_MAX + 1)]},
                           geometry=[shapely.Point(114.6, 35.1)] * (table.CLASS_MAX + 1), crs=4326)
    layer = parse_layer({**BASE, "tooltip": ["name"]})
    assert table.table_columns(layer, "zh", gdf)[0].kind == "text"


@pytest.mark.parametrize("bad", [
    {"columns": ["a", "b"], "labels_zh": ["甲"]},
    {"kinds": {"a": "date"}},
    {"colums": ["a"]},
    {"units": ["m²"]},
])
def test_bad_table_key_is_refused(bad):
    with pytest.raises(ValueError, match=r"\[table\]"):
        parse_layer({**BASE, "table": bad}, "x.toml")


def test_every_vector_layer_of_the_registry_has_a_table():
    for layer in load_registry():
        if layer.geometry == "raster":
            continue
        fields = layer.table.get("columns") or layer.tooltip
        assert fields, layer.id


def test_filters_contains_equals_range_and_view():
    gdf = _frame()
    cols = table.table_columns(_layer(), "zh", gdf)
    frame = table.attribute_frame(gdf, cols)
    bounds = table.feature_bounds(gdf)
    assert list(table.filtered(frame, table.FilterSpec(equals={"kind": ["0102"]})).index) == [1, 2, 4]
    assert list(table.filtered(frame, table.FilterSpec(contains={"owner": "甲村"})).index) == [0, 2, 5]
    assert list(table.filtered(frame, table.FilterSpec(contains={"code": "p00"})).index) == list(range(6))  # any case
    assert list(table.filtered(frame, table.FilterSpec(ranges={"area_m2": (50, 250)})).index) == [0, 1, 2]
    assert list(table.filtered(frame, table.FilterSpec(ranges={"area_m2": (None, 60)})).index) == [2, 5]
    view = (114.615, 35.0, 114.632, 35.2)  # touches features 1 (ends at .615), 2 and 3
    assert list(table.filtered(frame, table.FilterSpec(view=view), bounds).index) == [1, 2, 3]
    both = table.FilterSpec(equals={"kind": ["0102"]}, view=view)
    assert list(table.filtered(frame, both, bounds).index) == [1, 2]


def test_sort_keeps_positions_and_puts_missing_last():
    gdf = _frame()
    frame = table.attribute_frame(gdf, table.table_columns(_layer(), "zh", gdf))
    up = table.filtered(frame, table.FilterSpec(), sort="area_m2")
    assert list(up.index) == [5, 2, 0, 1, 3, 4]
    down = table.filtered(frame, table.FilterSpec(), sort="area_m2", ascending=False)
    assert list(down.index) == [3, 1, 0, 2, 5, 4]


def test_pages():
    frame = pd.DataFrame({"a": range(450)})
    assert table.page_count(450) == 3 and table.page_count(0) == 1
    assert len(table.page(frame, 1)) == 200 and list(table.page(frame, 3)["a"])[0] == 400
    assert list(table.page(frame, 99)["a"])[-1] == 449  # clamped to the last page


def test_summary_numbers_and_classes():
    gdf = _frame()
    cols = table.table_columns(_layer(), "zh", gdf)
    frame = table.attribute_frame(gdf, cols)
    s = table.summary(frame, cols, "zh").set_index("列")["统计"]
    assert s["面积(m²)"] == "5 个值；合计 810.00；平均 162.00"
    assert s["地类"] == "0102: 3；0101: 1；0103: 1"
    en = table.summary(frame, table.table_columns(_layer(), "en", gdf), "en").set_index("Column")["Statistic"]
    assert en["Area (m²)"] == "5 values; sum 810.00; mean 162.00"


def test_excel_and_csv_of_filtered_rows_numbers_as_numbers():
    from openpyxl import load_workbook

    gdf = _frame()
    cols = table.table_columns(_layer(), "zh", gdf)
    rows = table.filtered(table.attribute_frame(gdf, cols), table.FilterSpec(equals={"kind": ["0102"]}))
    data = table.excel_bytes(rows, cols, ExportMeta(title=("甲 属性表", "X table"), filters={"地类": "0102"}))
    values = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(values) if r[0] == "编号")
    body = [r for r in values[head + 1:] if r[0] is not None]
    assert [r[0] for r in body] == ["P001", "P002", "P004"]
    assert body[0][2] == 250 and isinstance(body[0][2], int)  # m² rounded to whole numbers, a number cell
    csv = pd.read_csv(io.BytesIO(table.csv_bytes(rows, cols)), encoding="utf-8-sig", dtype={"地类": str})
    assert list(csv.columns) == ["编号", "地类", "面积(m²)", "权属"] and len(csv) == 3
    assert csv["面积(m²)"].tolist()[:2] == [250.0, 50.0]


def test_export_neutralises_formula_text():
    gdf = _frame(2)
    gdf.loc[0, "owner"] = "=HYPERLINK(\"x\")"
    cols = table.table_columns(_layer(), "zh", gdf)
    text = table.csv_bytes(table.attribute_frame(gdf, cols), cols).decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_feature_hit_and_fit_zoom_show_the_feature():
    gdf = _frame()
    hit = table.feature_hit("x", gdf, 3)
    assert hit is not None and hit.layer == "x" and hit.position == 3
    assert gdf.geometry.iloc[3].contains(shapely.Point(hit.lon, hit.lat))
    zoom = table.fit_zoom(hit.bounds)
    w, s, e, n = view_bounds(hit.lat, hit.lon, zoom, 800, 500)
    fw, fs, fe, fn = hit.bounds
    assert w <= fw and fe <= e and s <= fs and fn <= n  # the whole feature is in the view
    assert table.fit_zoom((114.0, 35.0, 115.0, 36.0)) < 11 < table.fit_zoom((114.0, 35.0, 114.001, 35.001))
    gdf.loc[1, "geometry"] = None
    assert table.feature_hit("x", gdf, 1) is None


def test_summary_names_classes_by_their_labels():
    gdf = _frame()
    cols = table.table_columns(_layer(), "zh", gdf)
    s = table.summary(table.attribute_frame(gdf, cols), cols, "zh", value_labels={"kind": {"0102": "水浇地"}})
    assert s.set_index("列")["统计"]["地类"] == "水浇地: 3；0101: 1；0103: 1"


def test_values_in_the_reader_language_english_twins_and_words():
    gdf = gpd.GeoDataFrame({"name": ["甲项目", "乙项目"], "name_en": ["Project A", ""], "source": ["demo", "app"]},
                           geometry=[shapely.Point(114.6, 35.1)] * 2, crs=4326)
    layer = parse_layer({**BASE, "tooltip": ["name", "source"]})
    cols = table.table_columns(layer, "en", gdf)
    en = table.attribute_frame(gdf, cols, "en")
    assert en["name"].tolist() == ["Project A", "乙项目"]  # no twin: the name as it is
    assert en["source"].tolist() == ["demo", "entered in the app"]
    zh = table.attribute_frame(gdf, table.table_columns(layer, "zh", gdf), "zh")
    assert zh["name"].tolist() == ["甲项目", "乙项目"] and zh["source"].tolist() == ["演示", "网页录入"]


def test_table_words_of_the_layer_tomls_match_the_code_labels():
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.pv.installations import STATUS_LABELS
    from cyc_geo.pv.rooftops import CLASS_LABELS_EN, CLASS_LABELS_ZH
    from cyc_geo.pv.tables import ROOF_TYPE_LABELS

    for lang, classes in (("zh", CLASS_LABELS_ZH), ("en", CLASS_LABELS_EN)):
        i = 0 if lang == "zh" else 1
        roofs = table.value_words(get_layer("rooftops"), lang)
        assert roofs["building_class"] == classes
        assert roofs["roof_type"] == {k: v[i] for k, v in ROOF_TYPE_LABELS.items()}
        ledger = table.value_words(get_layer("pv_installations"), lang)
        assert ledger["building_class"] == classes
        assert ledger["status"] == {k: v[i] for k, v in STATUS_LABELS.items()}


def test_words_replace_codes_and_keep_unknown_values():
    gdf = _frame(4)
    cols = table.table_columns(_layer(), "zh", gdf)
    out = table.attribute_frame(gdf, cols, "zh", {"kind": {"0102": "水浇地"}})
    assert out["kind"].tolist() == ["0101", "水浇地", "水浇地", "0103"]


def test_summary_counts_no_empty_text_as_a_class():
    # the projects' 最新进展 is "" until a progress record exists: no ": 4" row of a nameless class
    gdf = _frame(4)
    gdf["kind"] = ["", "", " ", "0102"]
    cols = table.table_columns(_layer(), "zh", gdf)
    assert table.summary(table.attribute_frame(gdf, cols), cols, "zh").set_index("列")["统计"]["地类"] == "0102: 1"
    gdf["kind"] = ""
    assert table.summary(table.attribute_frame(gdf, cols), cols, "zh").set_index("列")["统计"]["地类"] == "无数值"
    en_cols = table.table_columns(_layer(), "en", gdf)
    en = table.summary(table.attribute_frame(gdf, en_cols), en_cols, "en").set_index("Column")["Statistic"]
    assert en["Class"] == "no values"


def test_a_project_number_is_counted_not_summed():
    from cyc_geo.catalog.registry import get_layer
    from cyc_geo.mapview import attribute_table as table

    frame = pd.DataFrame({"project_no": [1, 2, 3, 4], "name": ["a", "b", "c", "d"], "area_m2": [1.0, 2.0, 3.0, 4.0]})
    columns = table.table_columns(get_layer("projects"), "zh", frame)
    kinds = {c.field: c.kind for c in columns}
    assert kinds["project_no"] == "class" and kinds["area_m2"] == "number"
    stats = table.summary(frame, columns, "zh").set_index("列")["统计"]
    assert "合计" not in stats["序号"] and "合计 10.00" in stats["面积(m²)"]
