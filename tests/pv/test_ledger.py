"""The PV installation ledger: messy planner tables (Excel and CSV) read into the agreed schema.

Every file is built here with openpyxl / csv; the expected sums are computed by hand in the comments.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cyc_geo.geo.gcj02 import wgs84_to_gcj02
from cyc_geo.places.townships import read_seats
from cyc_geo.pv.ledger import (
    COLUMN_ALIASES,
    LEDGER_COLUMNS,
    LedgerError,
    parse_date,
    read_ledger,
    status_of,
    yearly_grid_kw,
)

SEATS = read_seats().set_index("code")


def write_kw_xlsx(path: Path) -> Path:
    """A ledger in kW: title + unit note above the header, merged title / township / total cells,
    a blank row, a 合计 row, mixed dates, an unknown township and a text capacity.

    Row (Excel)  township    capacity  status  date                 fate
    4            蒲西街道      300       已并网   date cell 2022-06-30  kept, grid 2022
    5            樊相镇 (merged B5:B6) 150.5  并网  "2023年3月"          kept, grid 2023-03-01
    6            (merged)    "1,200"   已投运   serial 45000          kept, grid 2023-03-15
    7            blank row
    8            火星镇        10        已并网   "2023-11-15"          skipped: unknown township
    9            魏庄          "约30"    在建     ""                   skipped: text capacity
    10           芦岗          48        已并网   "2023/11/15"          kept, grid 2023-11-15
    11           410783105000  60       施工中   ""                   kept, under construction
    12           常村          500       已备案   filed "2024.01"       kept, filed 2024-01-01
    13           合计 (merged A13:E13)  2268.5 = 300+150.5+1200+10+48+60+500 (text row not counted)
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["长垣市分布式光伏装机台账（2022—2024年）"])
    ws.merge_cells("A1:I1")
    ws.append(["填报单位：长垣市发展改革委", None, None, None, None, "单位：千瓦"])
    ws.append(["序号", "乡镇（街道）", "项目名称", "业主单位", "建筑类型", "装机容量(kW)", "建设状态",
               "并网时间", "备案时间"])
    ws.append([1, "蒲西街道", "市政府机关屋顶", "长垣市机关事务服务中心", "党政机关", 300, "已并网",
               datetime(2022, 6, 30), None])
    ws.append([2, "樊相镇", "樊相镇中心学校", None, "学校", 150.5, "并网", "2023年3月", None])
    ws.append([3, None, "某机械厂房", "河南某起重机械有限公司", "工业厂房", "1,200", "已投运", 45000, None])
    ws.merge_cells("B5:B6")
    ws.append([])
    ws.append([4, "火星镇", "虚构项目", None, "户用", 10, "已并网", "2023-11-15", None])
    ws.append([5, "魏庄", "农户屋顶", "张三", "户用", "约30", "在建", None, None])
    ws.append([6, "芦岗", "芦岗乡农户合作社", None, "农村居民", 48, "已并网", "2023/11/15", None])
    ws.append([7, 410783105000, "孟岗镇卫生院", None, "医院", 60, "施工中", None, None])
    ws.append([8, "常村", "常村镇某企业", "某企业", "工商业", 500, "已备案", None, "2024.01"])
    ws.append(["合计", None, None, None, None, 2268.5])
    ws.merge_cells("A13:E13")
    wb.save(path)
    return path


def write_mw_xlsx(path: Path) -> Path:
    """A ledger in MW on its second sheet (the first is a cover sheet), with a wrong 合计.

    装机规模(MW): 0.5 已并网 2024-05-20 (date cell) · 1.2 全容量并网 "2023年12月" · 0.25 建设中 · 合计 2.0
    → kW 500, 1200, 250; the rows sum to 1.95 MW = 1950 kW, so the 合计 check fails.
    """
    wb = openpyxl.Workbook()
    cover = wb.active
    cover.title = "说明"
    cover.append(["本表由各乡镇填报"])
    ws = wb.create_sheet("明细")
    ws.append(["长垣市光伏项目汇总表"])
    ws.append(["项目名称", "乡镇", "装机规模(MW)", "状态", "投运日期", "屋顶类型"])
    ws.append(["起重产业园屋顶", "魏庄街道", 0.5, "已并网", date(2024, 5, 20), "工商业"])
    ws.append(["县医院", "蒲东", 1.2, "全容量并网", "2023年12月", "公共建筑"])
    ws.append(["赵堤镇政府", "赵堤", 0.25, "建设中", None, "党政机关"])
    ws.append(["合计", None, 2.0])
    wb.save(path)
    return path


def write_gbk_csv(path: Path) -> Path:
    """GBK bytes, no BOM: a title line, the header on line 2, data on lines 3-5; line 5 has capacity -5.

    容量（千瓦）: 20.5 已并网 2023-11-15 · 30 并网 "2023.11" (→ 2023-11-01) · -5 (skipped, ≤ 0)
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["长垣市户用光伏台账", "", "", "", "", ""])
    w.writerow(["名称", "乡镇", "容量（千瓦）", "状态", "并网日期", "业主"])
    w.writerow(["李四家屋顶", "蒲东", "20.5", "已并网", "2023-11-15", "李四"])
    w.writerow(["南蒲某小区", "南蒲街道", "30", "并网", "2023.11", ""])
    w.writerow(["苗寨农户", "苗寨", "-5", "已并网", "2023-12-01", "王五"])
    path.write_bytes(buf.getvalue().encode("gbk"))
    return path


WGS_POINT = (114.70, 35.20)


def write_bom_csv(path: Path) -> Path:
    """UTF-8 with BOM, GCJ-02 coordinates on the first row, none on the second, ids 101/102, kWp."""
    glon, glat = wgs84_to_gcj02(*WGS_POINT)
    rows = [
        ["编号", "项目名称", "乡镇代码", "装机容量(kWp)", "建设状态", "并网时间", "经度", "纬度", "类别"],
        ["101", "起重园区厂房", "410783005000", "800", "已并网", "2022-12-31", f"{float(glon):.10f}", f"{float(glat):.10f}", "厂房"],
        ["102", "方里镇学校", "方里", "40", "拟建", "", "", "", "学校"],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return path


# ---------------------------------------------------------------- Excel


def test_kw_workbook_with_title_merges_total_and_mixed_dates(tmp_path: Path) -> None:
    read = read_ledger(write_kw_xlsx(tmp_path / "台账.xlsx"))
    led = read.ledger
    assert list(led.columns) == [*LEDGER_COLUMNS, "geometry"]
    assert led.crs.to_epsg() == 4326
    assert read.unit == "kW" and read.header_row == 3 and read.sheet == "台账"
    assert read.rows_read == 8  # rows 4,5,6,8,9,10,11,12 (blank row 7 and 合计 row 13 not counted)
    assert list(read.skipped["row"]) == [8, 9]
    assert "火星镇" in read.skipped["reason_zh"][0] and "not one of Changyuan's townships" in read.skipped["reason_en"][0]
    assert "约30" in read.skipped["reason_zh"][1] and "not a number" in read.skipped["reason_en"][1]
    # file ids 1,2,3,6,7,8 are integers and unique among the kept rows
    assert list(led["install_id"]) == [1, 2, 3, 6, 7, 8]
    assert list(led["capacity_kw"]) == [300.0, 150.5, 1200.0, 48.0, 60.0, 500.0]
    assert read.total_kw == pytest.approx(2258.5)  # 300+150.5+1200+48+60+500
    assert list(led["date"]) == ["2022-06-30", "2023-03-01", "2023-03-15", "2023-11-15", "", "2024-01-01"]
    assert list(led["status"]) == ["grid_connected", "grid_connected", "grid_connected", "grid_connected",
                                   "under_construction", "filed"]
    assert list(led["building_class"]) == ["gov", "public", "commercial", "rural", "public", "commercial"]
    # 樊相镇 forward-filled from the merged B5:B6 into row 6; a code works as well as a name
    assert list(led["township_code"]) == ["410783001000", "410783101000", "410783101000", "410783201000",
                                          "410783105000", "410783103000"]
    assert led.loc[0, "owner"] == "长垣市机关事务服务中心" and led.loc[1, "owner"] == ""
    # grid-connected kW by year: 2022: 300; 2023: 150.5 + 1200 + 48 = 1398.5
    assert yearly_grid_kw(led) == {2022: 300.0, 2023: 1398.5}
    # no coordinates: every point is its township seat
    assert not led["has_coords"].any()
    for geom, code in zip(led.geometry, led["township_code"], strict=True):
        assert geom.equals_exact(SEATS.geometry[code], 1e-12)
    # the 合计 row is dropped and checked: 2268.5 = every numeric capacity in the file
    assert read.total_checks == [{"row": 13, "label": "合计", "file_kw": 2268.5, "sum_kw": 2268.5, "ok": True}]
    assert led.attrs["meta"] == {"source": "planner ledger 台账.xlsx", "demo": "false", "approximate": "false",
                                 "data_year": "2024"}


def test_mw_workbook_on_a_second_sheet_is_converted_to_kw(tmp_path: Path) -> None:
    read = read_ledger(write_mw_xlsx(tmp_path / "mw.xlsx"))
    assert read.sheet == "明细" and read.unit == "MW"
    assert read.skipped.empty and read.rows_read == 3
    assert list(read.ledger["capacity_kw"]) == [500.0, 1200.0, 250.0]
    assert read.total_kw == pytest.approx(1950.0)
    assert yearly_grid_kw(read.ledger) == {2023: 1200.0, 2024: 500.0}
    assert list(read.ledger["install_id"]) == [1, 2, 3]  # no id column: file order
    assert list(read.ledger["building_class"]) == ["commercial", "public", "gov"]
    assert list(read.ledger["date"]) == ["2024-05-20", "2023-12-01", ""]
    (check,) = read.total_checks
    assert (check["file_kw"], check["sum_kw"], check["ok"]) == (2000.0, 1950.0, False)
    with pytest.raises(LedgerError, match="明细") as exc:
        read_ledger(tmp_path / "mw.xlsx", sheet="不存在")
    assert exc.value.code == "bad_sheet"


# ---------------------------------------------------------------- CSV


def test_gbk_csv_without_bom(tmp_path: Path) -> None:
    read = read_ledger(write_gbk_csv(tmp_path / "gbk.csv"))
    assert read.encoding == "GBK"
    assert read.rows_read == 3 and read.header_row == 2
    assert list(read.skipped["row"]) == [5]
    assert "不大于 0" in read.skipped["reason_zh"][0] and "not greater than 0" in read.skipped["reason_en"][0]
    assert list(read.ledger["name"]) == ["李四家屋顶", "南蒲某小区"]
    assert list(read.ledger["township_code"]) == ["410783002000", "410783003000"]
    assert list(read.ledger["date"]) == ["2023-11-15", "2023-11-01"]
    assert yearly_grid_kw(read.ledger) == {2023: 50.5}  # 20.5 + 30
    assert list(read.ledger["owner"]) == ["李四", ""]
    assert list(read.ledger["building_class"]) == ["other", "other"]  # no class column


def test_utf8_bom_csv_with_gcj02_coordinates(tmp_path: Path) -> None:
    path = write_bom_csv(tmp_path / "bom.csv")
    read = read_ledger(path, coords_crs="GCJ02")
    led = read.ledger
    assert read.encoding == "UTF-8-SIG" and read.skipped.empty
    assert list(led["install_id"]) == [101, 102]
    assert list(led["has_coords"]) == [True, False]
    assert math.isclose(led.geometry[0].x, WGS_POINT[0], abs_tol=1e-8)
    assert math.isclose(led.geometry[0].y, WGS_POINT[1], abs_tol=1e-8)
    assert led.geometry[1].equals_exact(SEATS.geometry["410783109000"], 1e-12)  # 方里 → its seat
    assert list(led["status"]) == ["grid_connected", "filed"]
    assert list(led["building_class"]) == ["commercial", "public"]
    assert (read.total_kw, read.total_kwp) == (0.0, 840.0)  # a kWp column is DC, never read as AC kW
    assert led["capacity_kw"].isna().all() and read.report()["capacity_basis"] == "DC"
    # read as WGS84 the same numbers land about 500 m away (the GCJ-02 offset)
    raw = read_ledger(path).ledger.geometry[0]
    assert abs(raw.x - WGS_POINT[0]) > 1e-3


# ---------------------------------------------------------------- refusals and parsers


def test_a_file_without_a_header_or_capacity_is_refused_naming_its_columns(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="甲、乙、丙") as exc:
        read_ledger(p)
    assert exc.value.code == "no_header" and "columns in the file: 甲, 乙, 丙" in str(exc.value)
    p.write_text("项目名称,乡镇,状态\n某屋顶,蒲西,已并网\n", encoding="utf-8")
    with pytest.raises(ValueError, match="No capacity column found") as exc:
        read_ledger(p)
    assert exc.value.code == "no_capacity_column" and exc.value.details["columns"] == ["项目名称", "乡镇", "状态"]
    p.write_text("项目名称,乡镇,状态,装机容量\n某屋顶,蒲西,已并网,5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no unit") as exc:
        read_ledger(p)
    assert exc.value.code == "capacity_unit_unknown"


def test_unknown_status_is_skipped(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text("项目名称,乡镇,状态,装机容量(kW)\n甲,蒲西,未并网,5\n乙,蒲西,已并网,7\n丙,蒲西,,9\n", encoding="utf-8")
    read = read_ledger(p)
    assert list(read.skipped["row"]) == [2, 4]
    assert "未并网" in read.skipped["reason_zh"][0] and read.skipped["reason_en"][1] == "status missing"
    assert read.total_kw == 7.0


@pytest.mark.parametrize(("cell", "iso"), [
    ("2023年3月", "2023-03-01"), ("2023年3月15日", "2023-03-15"), ("2023-11-15", "2023-11-15"),
    ("2023/11/15", "2023-11-15"), ("2023.11", "2023-11-01"), (45000, "2023-03-15"), ("45000", "2023-03-15"),
    (datetime(2024, 5, 20, 0, 0), "2024-05-20"), ("2023-11-15 00:00:00", "2023-11-15"), ("", ""), (None, ""),
    ("20231115", "2023-11-15"), ("2023-13-01", None), ("去年", None),
])
def test_parse_date(cell, iso) -> None:
    assert parse_date(cell) == iso


def test_status_words() -> None:
    assert [status_of(w) for w in ("已并网", "并网", "已投运", "投运", "建成并网", "在建", "施工中", "建设中",
                                   "备案", "已备案", "拟建", "计划", "未并网", "待并网", "?")] == [
        *["grid_connected"] * 5, *["under_construction"] * 3, *["filed"] * 4, None, None, None]


def test_aliases_are_a_module_constant() -> None:
    assert "装机容量" in COLUMN_ALIASES["capacity"] and "乡镇" in COLUMN_ALIASES["township"]


def test_subtotals_and_footnotes(tmp_path: Path) -> None:
    """小计 rows check the rows since the previous 小计; 合计 checks all rows; footnotes are not data.

    rows 3-4: 10 + 20 → 小计 30 (row 5); rows 6-7: 5 + 5 → 小计 10 (row 8); 合计 40 (row 9); 填表人 (row 10).
    """
    p = tmp_path / "sub.csv"
    lines = ["光伏台账", "项目名称,乡镇,装机容量(kW),状态", "甲,蒲西,10,已并网", "乙,蒲西,20,已并网", "小计,,30,",
             "丙,蒲东,5,在建", "丁,蒲东,5,在建", "小计,,10,", "合计,,40,", "填表人：王工,,,"]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = read_ledger(p)
    assert read.rows_read == 4 and read.skipped.empty and read.total_kw == 40.0
    assert [(c["row"], c["label"], c["sum_kw"], c["ok"]) for c in read.total_checks] == [
        (5, "小计", 30.0, True), (8, "小计", 10.0, True), (9, "合计", 40.0, True)]


@pytest.mark.parametrize(("header", "kw", "kwp"), [
    ("装机容量(kW)", 2.5, None), ("容量（千瓦）", 2.5, None), ("装机规模(MW)", 2500.0, None), ("容量/兆瓦", 2500.0, None),
    ("kWp", None, 2.5), ("并网容量（万千瓦）", 25000.0, None), ("Capacity (MWp)", None, 2500.0),
    ("峰值功率(kWp)", None, 2.5),
])
def test_capacity_unit_from_the_header(tmp_path: Path, header: str, kw: float | None, kwp: float | None) -> None:
    """AC (kW) and DC (kWp) columns fill different fields: a kWp figure is never taken for kW."""
    p = tmp_path / "u.csv"
    p.write_text(f"项目名称,乡镇,{header},状态\n甲,蒲西,2.5,已并网\n", encoding="utf-8")
    led = read_ledger(p).ledger
    assert [None if pd.isna(v) else v for v in led["capacity_kw"]] == [kw]
    assert [None if pd.isna(v) else v for v in led["capacity_kwp"]] == [kwp]


def test_two_row_header_with_the_unit_below(tmp_path: Path) -> None:
    """装机容量 in row 2 with （千瓦） under it in row 3, the other headers merged over rows 2-3."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["台账"])
    ws.append(["项目名称", "乡镇", "装机容量", "状态", "并网时间"])
    ws.append([None, None, "（千瓦）", None, None])
    for col in "ABDE":
        ws.merge_cells(f"{col}2:{col}3")
    ws.append(["甲", "蒲西", 12, "已并网", "2024年1月"])
    ws.append(["乙", "蒲西", 8, "在建", "2024年6月"])  # not connected: its 并网时间 is not its date
    wb.save(tmp_path / "two.xlsx")
    read = read_ledger(tmp_path / "two.xlsx")
    assert read.header_row == 3 and read.unit == "kW" and read.rows_read == 2
    assert list(read.ledger["date"]) == ["2024-01-01", ""]
    assert yearly_grid_kw(read.ledger) == {2024: 12.0}
