"""The one export helper: header block, rounding, numbers as numbers, searchable PDF text."""

import datetime as dt
import io

import openpyxl
import pandas as pd

from cyc_geo.exports.excel import workbook_bytes
from cyc_geo.exports.meta import BEIJING, ExportMeta, beijing_time, round_for_unit
from cyc_geo.exports.pdf import cjk_font_file, new_report, pdf_text


def test_round_for_unit_follows_the_plan_and_keeps_numbers():
    assert round_for_unit(23.35405981636073, "万t") == 23.35
    assert round_for_unit(1034.309220692179, "MW") == 1034.3
    assert round_for_unit(318.9, "kW") == 319 and isinstance(round_for_unit(318.9, "kW"), int)
    assert round_for_unit(float("nan"), "MW") is None
    assert round_for_unit("x", "MW") == "x"


def test_beijing_time_shifts_utc_by_eight_hours():
    assert beijing_time("2026-05-01T16:06:57+00:00") == "2026-05-02 00:06"
    assert beijing_time("2026-05-01T16:06:57") == "2026-05-02 00:06"
    assert beijing_time(None) == "—"


def test_workbook_has_header_block_units_and_numbers():
    meta = ExportMeta(title=("测试", "Test"), filters={"年份": 2024}, sources=["三调 2020"], demo=True,
                      made_at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=BEIJING))
    df = pd.DataFrame({"乡镇": ["蒲西街道", "蒲东街道"], "装机": [1.23456, 2.0], "面积": [10.06, None]})
    data = workbook_bytes({"表": df}, meta, {"表": {"装机": "MW", "面积": "亩"}})
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(data))["表"].iter_rows()]
    assert rows[0][0] == "测试"
    assert ["导出时间", "2026-01-02 03:04 北京时间", None] in rows
    assert any(r[0] == "数据性质" and "演示" in r[1] for r in rows)
    header = rows.index(["乡镇", "装机 (MW)", "面积 (亩)"])
    assert rows[header + 1] == ["蒲西街道", 1.2, 10.1]
    assert rows[header + 2] == ["蒲东街道", 2.0, "—"]


def test_pdf_text_is_searchable_chinese_and_paper_size():
    assert cjk_font_file().exists()
    meta = ExportMeta(title=("长垣市报告", "Report"), demo=True)
    pdf = new_report(meta, paper="A3", landscape=True)
    pdf.table(pd.DataFrame({"乡镇": ["蒲西街道"], "装机": [1.26]}), units={"装机": "MW"})
    data = pdf.to_bytes()
    text = pdf_text(data)
    for word in ("长垣市报告", "演示", "蒲西街道", "装机 (MW)", "1.3", "北京时间"):
        assert word in text
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (420, 297)


def test_pdf_heading_at_the_foot_of_a_page_starts_the_next_one():
    from cyc_geo.exports.meta import ExportMeta
    from cyc_geo.exports.pdf import PdfReport, pdf_text

    doc = PdfReport(ExportMeta(title="t", lang="zh"))
    doc.add_page()
    doc.set_y(doc.h - doc.b_margin - 10)  # 10 mm left: less than a heading and its first lines
    doc.heading("小节标题")
    assert doc.page == 2
    doc.paragraph("正文")
    pages = pdf_text(doc.to_bytes()).split("\n")
    assert "小节标题" in "".join(pages)
