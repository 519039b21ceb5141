"""The map page under AppTest: the 属性表 / Attribute table below the map (filter, row click, Excel export)."""

from __future__ import annotations

import io

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.conftest import app_test


@pytest.fixture
def deferred(monkeypatch):
    """The callables of the page's deferred downloads, by file name (made only when a download is clicked)."""
    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return made


def _farmland_0102(at):
    at.query_params["layers"] = "county,farmland"
    at.run()
    assert not at.exception
    assert not any(d.proto.id.split("-")[-1].startswith("attr_rows_") for d in at.dataframe)  # nothing until opened
    at.toggle(key="attr_on").set_value(True).run()
    at.selectbox(key="attr_layer").set_value("farmland").run()
    at.multiselect(key="attr_fields_farmland").set_value(["class_code"]).run()
    at.multiselect(key="attr_eq_farmland_class_code").set_value(["0102"]).run()
    assert not at.exception


def _table(at):
    return next(d for d in at.dataframe if "-attr_rows_farmland_1_" in d.proto.id)


def _key(element) -> str:
    return element.proto.id.split("-", 2)[-1]


def test_filter_row_click_and_excel(deferred):
    from openpyxl import load_workbook

    from cyc_geo.catalog.loader import load_layer

    farmland = load_layer("farmland")
    expected = int((farmland["class_code"] == "0102").sum())
    at = app_test("views/map.py")
    _farmland_0102(at)
    shown = _table(at).value
    assert set(shown["地类编码"]) == {"0102"}  # only 水浇地 rows
    assert len(shown) == min(200, expected)  # one page of the filtered rows
    assert any(f"筛选后 {expected:,} 行" in c.value for c in at.caption)

    # the Excel export holds every filtered row (all pages), numbers as numbers
    ws = load_workbook(io.BytesIO(deferred["farmland_table.xlsx"]())).active
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "标识码")
    body = [r for r in rows[header + 1:] if r[0] is not None]
    assert len(body) == expected
    area_col = rows[header].index("图斑面积(m²)")
    assert all(isinstance(r[area_col], (int, float)) for r in body)
    assert {r[rows[header].index("地类编码")] for r in body} == {"0102"}

    # a row click moves the map to the parcel and shows it in 所选要素
    pick = 3
    parcel_id = shown.iloc[pick]["标识码"]
    at.session_state[_key(_table(at))] = {"selection": {"rows": [pick], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    pos = at.session_state["attr_selected"][1]
    assert at.session_state["attr_selected"] == ("farmland", pos)
    assert farmland.iloc[pos]["parcel_id"] == parcel_id
    lat, lon, zoom = at.session_state["map_request"]
    w, s, e, n = farmland.geometry.iloc[pos].bounds
    assert w <= lon <= e and s <= lat <= n and zoom >= 14
    assert at.session_state["map_located"]["hit"].position == pos
    assert any(parcel_id in str(t.value.to_numpy()) for t in at.table)  # 所选要素 lists the parcel


def test_english_headers_and_summary():
    from cyc_geo.catalog.loader import load_layer

    farmland = load_layer("farmland")
    at = app_test("views/map.py")
    at.session_state["lang"] = "en"
    at.query_params["lang"] = "en"  # the map page takes its language from its permalink, as a planner's link gives it
    at.query_params["layers"] = "farmland"  # the table opens on the topmost visible vector layer
    at.session_state["attr_on"] = True  # opened (no widget interaction: the area panel's radio is format-bound)
    at.run()
    assert not at.exception
    tables = [d.proto.id for d in at.dataframe if "-attr_rows_farmland_1_" in d.proto.id]
    why = (at.session_state["lang"], dict(at.query_params), tables)  # what the page ran with, if this fails
    assert "Area (m²)" in _table(at).value.columns and "标识码" not in _table(at).value.columns, why
    summary = next(d.value for d in at.dataframe if list(d.value.columns) == ["Column", "Statistic"])
    assert list(summary.columns) == ["Column", "Statistic"]
    area = summary.set_index("Column").loc["Area (m²)", "Statistic"]
    assert area.startswith(f"{len(farmland):,} values; sum {farmland['area_m2'].sum():,.2f}")
