"""The annual evaluation: 附件1-layout workbook (merged year header, rounded numbers kept as numbers, demo
label), summaries by field and lead department, the PDF's text, the CLI."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from cyc_geo import db
from cyc_geo.exports.pdf import pdf_text
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators import evaluation

SPATIAL = {
    4: ind.SpatialValue(23.3512, "map", by_year={y: ind.SpatialValue(23.3512, "map", data_year=2021) for y in ind.YEARS}),
    16: ind.SpatialValue(None, "no data", by_year={
        2022: ind.SpatialValue(165.6049, "map; carried from 2021", data_year=2021),
        2023: ind.SpatialValue(182.456, "map", data_year=2023, entered_by="张三", entered_at="2024-03-01T02:30:00+00:00"),
        2024: ind.SpatialValue(182.456, "map; carried from 2023", data_year=2023)}),
    19: ind.SpatialValue(None, "ledger", by_year={y: ind.SpatialValue(40.04 + 10 * i, "ledger", data_year=y)
                                                  for i, y in enumerate(ind.YEARS)}),
}


@pytest.fixture(scope="module")
def _long_once(tmp_path_factory):
    """The evaluation of a few saved values, computed once per module in a data folder of its own."""
    d = tmp_path_factory.mktemp("evaluation") / "data"
    (d / "boundaries").mkdir(parents=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_DATA_DIR", str(d))
        mp.setenv("CYC_GEO_DB", str(d / "test.sqlite"))
        conn = db.connect()
        ind.save_values(conn, [{"no": 1, "year": 2023, "value": "7.86"}, {"no": 9, "year": 2023, "value": "1.1234"},
                               {"no": 3, "year": 2023, "value": "250.5"}, {"no": 3, "year": 2024, "value": "260"},
                               {"no": 4, "year": 2024, "value": "26.1"}], actor="王五")
        out = evaluation.evaluate_years(ind.YEARS, conn, SPATIAL)
        conn.close()
    return out


@pytest.fixture
def long(_long_once, data_dir):
    """A copy of the module's evaluation for one test (in that test's own empty data folder)."""
    return _long_once.copy()


def test_workbook_in_annex1_layout(long):
    wb = load_workbook(io.BytesIO(evaluation.workbook_bytes(long, demo=True)))
    assert wb.sheetnames[0] == "附件1" and {"按领域汇总", "按牵头单位汇总", "说明"} <= set(wb.sheetnames)
    ws = wb["附件1"]
    cells = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
    # the demo label in the header block
    assert any(v == "数据性质" for v in cells.values())
    assert any(isinstance(v, str) and v.startswith("演示数据") for v in cells.values())
    head = next(r for (r, c), v in cells.items() if v == "序号")
    top = [ws.cell(row=head, column=j).value for j in range(1, ws.max_column + 1)]
    sub = [ws.cell(row=head + 1, column=j).value for j in range(1, ws.max_column + 1)]
    assert top[:5] == ["序号", "领域", "指标", "单位", "现状值"] and top[-2:] == ["牵头单位", "配合单位"]
    assert [t for t in top if t and t.endswith("年")] == ["2022年", "2023年", "2024年"]
    assert sub[5:15] == ["目标", "实际", "数据年份", "来源", "填报人", "填报时间", "状态", "填报值", "地图测算值", "地图数据年份"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert f"F{head}:O{head}" in merged and f"A{head}:A{head + 1}" in merged
    rows = {ws.cell(row=r, column=1).value: r for r in range(head + 2, ws.max_row + 1)}
    col = {f"{y}:{name}": 6 + 10 * i + k for i, y in enumerate(ind.YEARS) for k, name in enumerate(sub[5:15])}

    def at(no, key):
        return ws.cell(row=rows[no], column=col[key]).value

    # rounded as the plan prints them, stored as numbers: % to 1, 吨/万元 to 3, 万吨 / 万立方米 to 2
    assert at(1, "2023:实际") == 7.9 and isinstance(at(1, "2023:实际"), float)
    assert at(9, "2023:实际") == 1.123
    # a map estimate of another data year is shown beside the actual, never scored (issue 26)
    assert at(4, "2023:实际") == "—" and at(4, "2023:地图测算值") == 23.35 and at(4, "2023:地图数据年份") == 2021
    assert at(4, "2023:状态") == ind.NO_DATA and at(4, "2022:状态") == ind.NO_DATA
    assert at(16, "2022:实际") == "—" and at(16, "2022:地图测算值") == 165.6 and at(16, "2022:状态") == ind.NO_DATA
    assert at(16, "2023:实际") == 182.46 and at(16, "2023:来源") == "地图测算（同年数据）"  # data of 2023: scored
    assert at(16, "2024:实际") == "—" and at(16, "2024:地图数据年份") == 2023  # carried from 2023: not scored
    # the reported value wins and is shown as such; #5 = reported #3 − reported #4 only
    assert at(4, "2024:实际") == 26.1 and at(4, "2024:填报值") == 26.1 and at(4, "2024:来源") == "填报"
    assert at(4, "2024:地图测算值") == 23.35 and at(4, "2024:状态") == ind.MET
    assert at(5, "2024:实际") == pytest.approx(260 - 26.1) and at(5, "2024:来源") == "推算（填报值）"
    assert at(5, "2023:实际") == "—" and at(5, "2023:状态") == ind.NO_DATA  # #4 not reported for 2023
    assert at(19, "2024:实际") == 60.0  # MW to 1 decimal
    assert at(16, "2023:目标") == 182 and isinstance(at(16, "2023:目标"), (int, float))
    # data year, source kind, who and when (Beijing time), status
    assert at(16, "2023:数据年份") == 2023 and at(16, "2022:数据年份") == "—"
    assert at(1, "2023:来源") == "填报" and at(1, "2023:填报值") == 7.9
    assert at(19, "2023:来源") == "台账"
    assert at(1, "2023:填报人") == "王五" and at(16, "2023:填报人") == "张三"
    assert at(16, "2023:填报时间") == "2024-03-01 10:30"
    assert at(1, "2023:状态") == ind.MET and at(16, "2023:状态") == ind.MET and at(2, "2023:状态") == ind.NO_DATA
    assert ws.cell(row=rows[4], column=top.index("牵头单位") + 1).value == "林业局"


def test_summary_by_field_and_lead(long):
    by_lead = evaluation.summary(long, "lead")
    y23 = by_lead[by_lead["年份"] == 2023].set_index("牵头单位")
    # 林业局 leads #4 (only a map estimate of 2021: no data) and #16 (182.456 ≥ 182, data of 2023): one met
    assert (y23.loc["林业局", ind.MET], y23.loc["林业局", ind.BEHIND], y23.loc["林业局", ind.NO_DATA]) == (1, 0, 1)
    assert y23.loc["合计", [ind.MET, ind.BEHIND, ind.NO_DATA, ind.NO_TARGET]].sum() == 19
    assert y23.loc["合计", ind.NO_TARGET] == 1  # #19: the plan sets no 2023 PV target
    by_field = evaluation.summary(long, "domain")
    f23 = by_field[by_field["年份"] == 2023].set_index("领域")
    assert f23.loc["经济", ind.MET] == 1  # #1 GDP growth 7.86 ≥ 7.5


def test_pdf_text_and_single_year(long):
    one = long[long["year"] == 2024]
    text = pdf_text(evaluation.pdf_bytes(one, ind.load_catalogue(), demo=True))
    for word in ("碳达峰试点建设指标年度评估", "2024年评估", "森林蓄积量", "林业局", "演示数据", "按牵头单位", "趋势"):
        assert word in text
    assert "2022年评估" not in text


def test_cli_writes_xlsx_and_pdf(demo_data_dir, tmp_path, monkeypatch, capsys):
    from cyc_geo.cli import main

    monkeypatch.setattr(evaluation, "spatial_values", lambda cat, years: SPATIAL)
    monkeypatch.setattr(evaluation, "inputs_demo", lambda: True)
    assert main(["evaluation", "--pilot", "--out", str(tmp_path / "p.xlsx"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["years"] == [2022, 2023, 2024] and doc["demo"] is True
    assert load_workbook(tmp_path / "p.xlsx").sheetnames[0] == "附件1"
    assert main(["evaluation", "--year", "2023", "--out", str(tmp_path / "y.pdf")]) == 0
    assert "2023年度评估报告" in pdf_text((tmp_path / "y.pdf").read_bytes())  # a .pdf is the 年度评估 report (issue 28)
    assert main(["evaluation", "--year", "2023", "--pilot", "--out", str(tmp_path / "x.xlsx")]) == 2


def test_pdf_keeps_the_trend_heading_with_its_chart(long):
    """Issue 29: a page held only the heading "趋势 / trends", the chart being on the next page."""
    import io

    from pypdf import PdfReader

    for part in (long, long[long["year"] == 2024]):
        pages = PdfReader(io.BytesIO(evaluation.pdf_bytes(part, ind.load_catalogue(), demo=True))).pages
        with_heading = [p for p in pages if "趋势 / trends" in (p.extract_text() or "")]
        assert len(with_heading) == 1 and len(with_heading[0].images) == 1
        assert all(len(p.images) == 0 for p in pages if p is not with_heading[0])
