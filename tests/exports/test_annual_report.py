"""The 年度评估 report in Word and PDF: six sections, the 附件1 table as printed, the projects, English in English."""

from __future__ import annotations

import io
import json
import re

import pytest
from docx import Document
from pypdf import PdfReader

from cyc_geo import db
from cyc_geo.cli import main
from cyc_geo.indicators import annual_report as ar
from cyc_geo.indicators import catalogue as ind
from cyc_geo.planning import progress as pp

SIX = ["一、总体进展", "二、指标完成情况", "三、重点工作进展", "四、重点项目进展", "五、存在问题", "六、下一步工作"]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


@pytest.fixture
def dbfile(tmp_path, monkeypatch):
    path = tmp_path / "r.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    conn = db.connect(path)
    ind.save_values(conn, [{"no": 10, "year": 2023, "value": 3.456, "note": "统计公报"}], "张三")
    pp.save_progress(conn, 3, 2023, {"status": "在建", "investment_wan": 30000, "progress_text": "已并网屋顶 120 处"}, "李四")
    conn.close()
    return path


def _texts(doc) -> list[str]:
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    heads = [p.text for s in doc.sections for p in s.header.paragraphs + s.footer.paragraphs]
    return [p.text for p in doc.paragraphs] + cells + heads


def test_word_report_has_the_six_sections_the_annex1_table_and_the_projects(dbfile, tmp_path, capsys):
    out = tmp_path / "F.docx"
    assert main(["evaluation", "--year", "2023", "--format", "docx", "--out", str(out), "--no-maps", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(out)
    doc = Document(str(out))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == SIX
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号" and t.rows[0].cells[1].text == "指标")
    head = [c.text for c in table.rows[0].cells]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert len(rows) >= 18
    row10 = rows["10"]
    assert row10[head.index("2024年目标")] == "3.55" and row10[head.index("现状值")] == "3.7"
    assert row10[head.index("实际值")] == "3.46"  # 2 decimals, as 附件1 prints percentages
    assert row10[head.index("来源")] == "填报" and row10[head.index("数据年份")] == "2023"
    assert rows["2"][head.index("现状值")] == "4.56" and rows["3"][head.index("现状值")] == "261.056"
    assert row10[head.index("预警")] in ("正常", "关注", "预警")
    projects = next(t for t in doc.tables if t.rows[0].cells[1].text == "项目名称")
    names = [r.cells[1].text for r in projects.rows[1:]]
    assert len(names) == 4 and names[2] == "长垣市整市屋顶光伏项目"
    p3 = [c.text for c in projects.rows[3].cells]
    assert "在建" in p3 and "30,000" in p3 and "已并网屋顶 120 处" in p3 and any("MW" in c for c in p3)
    text = "\n".join(_texts(doc))
    for goal in ("风电装机容量", "煤炭消费占比", "单位GDP能耗比2020年下降", "非化石能源"):
        assert goal in text
    assert "非附件1" in text and "4.7" in text and "< 60" in text and "≥ 16" in text and "≥ 11.5" in text
    assert "演示数据" in doc.sections[0].header.paragraphs[0].text  # the demo note on every page
    style = doc.styles["Normal"].element.rPr.rFonts
    assert style.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "Noto Sans CJK SC"


def test_english_word_report_is_english(dbfile, tmp_path):
    out = tmp_path / "E.docx"
    assert main(["evaluation", "--year", "2023", "--format", "docx", "--out", str(out), "--lang", "en", "--no-maps"]) == 0
    doc = Document(str(out))
    plan_title = "《长垣市推进碳达峰试点建设工作方案》"
    leftovers = [t for t in _texts(doc) if CJK.search(t.replace(plan_title, ""))]
    assert leftovers == []
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == [ar.HEADINGS[k][1] for k in ("overall", "indicators", "tasks", "projects", "problems", "next")]
    text = "\n".join(_texts(doc))
    assert "2023年" not in text and "Science, Technology, Industry and Information Technology Bureau" in text
    assert "under construction" in text and "entered in Chinese" in text


def test_pilot_pdf_names_the_period_every_rows_data_year_and_no_lonely_heading(dbfile, tmp_path):
    out = tmp_path / "P.pdf"
    assert main(["evaluation", "--pilot", "--format", "pdf", "--out", str(out), "--no-maps"]) == 0
    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(out.read_bytes())).pages]
    first = pages[0]
    assert "2022–2024" in first and "数据年份：2023" not in first
    assert first.count("数据年份") >= 2  # the header line and the table column
    headings = set(SIX) | {f"{y}年" for y in ind.YEARS} | {t[0] for t in ar.TASK_AREAS}
    for n, page in enumerate(pages, 1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
        body = [ln for ln in lines if "演示数据" not in ln and "第 " not in ln]
        assert body and body[-1] not in headings, f"page {n} ends with a heading: {body[-3:]}"
        assert not (len(body) == 1 and body[0] in headings), f"page {n} holds only a heading"


def test_a_heading_at_the_foot_of_a_page_moves_to_the_next_page():
    """Synthetic: one-line paragraphs push a heading down the page line by line; wherever it lands it never ends a
    page (with no keep-with-next rule one of these placements leaves it alone at the foot of page 1)."""
    import pandas as pd

    from cyc_geo.exports.meta import ExportMeta

    for n in range(22, 29):  # n = 25 puts it at the foot of page 1 on A4 landscape
        rep = ar.AnnualReport(ExportMeta("t"), (2023,))
        rep.blocks += [ar.Block("paragraph", f"line {i}") for i in range(n)]
        rep.blocks += [ar.Block("heading", "HEADING-X"), ar.Block("table", table=pd.DataFrame({"a": ["1"] * 3}))]
        pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(ar.pdf_bytes(rep))).pages]
        where = next(i for i, p in enumerate(pages) if "HEADING-X" in p)
        body = [ln.strip() for ln in pages[where].splitlines() if ln.strip() and "Page" not in ln]
        assert body[-1] != "HEADING-X", n
