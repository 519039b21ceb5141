"""Filed exports: PV workbook, indicators 附件1 workbook, projects summary (Excel, HTML) and pv estimate --xlsx."""

import io

import openpyxl
import pandas as pd
import pytest

from cyc_geo.pv import tables
from cyc_geo.pv.params import Scenario


def _rows(ws):
    return [[c.value for c in r] for r in ws.iter_rows()]


def test_pv_workbook_summary_has_chinese_keys_numbers_and_readable_scenario():
    shown = pd.DataFrame({"代码": ["410783001000"], "乡镇": ["蒲西街道"], "潜力装机 (MW)": [159.232278],
                          "减排 CO₂ (t)": [151234.6]})
    summary = {"capacity_mw": 318.1367783804485, "share_of_project_mw": 4.5448, "roofs": 1234.0, "co2_t": 99.6}
    sc = Scenario.from_dict({"adoption": {"gov": 0.6}, "townships": ["410783001000"],
                                "params": {"performance_ratio": 0.78}})
    data = tables.workbook(shown, summary, sc, demo=True, scenario_name="方案甲",
                           town_names={"410783001000": "蒲西街道"})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    summ = _rows(wb["汇总"])
    assert summ[0][0] == "屋顶光伏开发比例情景潜力（按乡镇）"
    assert ["情景", "方案甲", None] in summ
    assert any(r[0] == "数据性质" and "演示" in r[1] for r in summ)
    assert ["潜力装机", 318.1, "MW"] in summ  # a number, rounded as the plan prints MW
    assert ["潜力占项目规模比例", 454.5, "%"] in summ
    assert ["计入屋顶数", 1234, "个"] in summ
    assert ["减排 CO₂", 100, "tCO2"] in summ
    scen = {r[0]: r[1] for r in _rows(wb["情景"])}
    assert scen["开发比例：党政机关 (%)"] == "60" and scen["开发比例：农村居民 (%)"] == "20"
    assert scen["乡镇范围"] == "蒲西街道" and scen["系统效率 PR"] == "0.78"
    town = _rows(wb["乡镇"])
    head = town.index(["代码", "乡镇", "潜力装机 (MW)", "减排 CO₂ (t)"])
    assert town[head + 1] == ["410783001000", "蒲西街道", 159.2, 151235]
    en = openpyxl.load_workbook(io.BytesIO(tables.workbook(shown, summary, sc, demo=False, lang="en")))
    assert en.sheetnames == ["About", "Townships", "Summary", "Scenario"]
    assert ["Potential capacity", 318.1, "MW"] in _rows(en["Summary"])


def test_indicators_workbook_rounds_values_and_carries_the_demo_note():
    from cyc_geo.indicators import catalogue as ind
    from cyc_geo.indicators.catalogue import SpatialValue
    from cyc_geo.indicators.export import to_excel_bytes

    cat = ind.load_catalogue()
    spatial = {int(n): SpatialValue(23.35405981636073 if int(n) == 4 else 1034.309220692179, "test")
               for n in cat.index[cat["source"] == "spatial"]}
    ev = ind.evaluate(2024, None, spatial, cat)
    ws = openpyxl.load_workbook(io.BytesIO(to_excel_bytes(ev, cat, demo=True)))["附件1"]
    rows = _rows(ws)
    by_no = {r[0]: r for r in rows[3:] if isinstance(r[0], int)}
    assert by_no[4][3] == "万吨" and by_no[4][10] == 23.35
    assert by_no[16][3] == "万立方米" and by_no[16][10] == 1034.31
    assert by_no[19][3] == "MW" and by_no[19][10] == 1034.3
    assert any(r[0] == "数据性质" and "演示" in str(r[2]) for r in rows)
    assert any(r[0] == "评估年份" and r[2] == "2024年" for r in rows)
    real = _rows(openpyxl.load_workbook(io.BytesIO(to_excel_bytes(ev, cat, demo=False)))["附件1"])
    assert not any(r[0] == "数据性质" for r in real)


def _result(no: int, mu: float, status: str = "ok"):
    from cyc_geo.planning.site import Finding, LandCheck, Township

    forest = Finding.of(status, "forest", 0.0, 0.0, "林地", "forest", sink_lost_t_co2_yr=1.23456)
    return LandCheck(project_no=no, site_type="other", rooftop=False, area_m2=mu * 666.67, area_ha=mu / 15, area_mu=mu,
                     townships=[Township("410783001", "蒲西街道", "Puxi", 1.0, 1.0)], findings=[forest], repaired=False,
                     crs_in=None, layers={"townships": "demo"})


def test_projects_summary_shows_roof_coverage_apart_and_the_demo_note():
    from cyc_geo.planning.report import summary_html, summary_table, summary_xlsx

    table = summary_table([_result(1, 136.8049), _result(3, 53230.7049, "warning")])
    row3 = table.set_index("序号").loc[3]
    assert pd.isna(row3["地块面积(亩)"]) and row3["屋顶覆盖范围(亩)"] == pytest.approx(53230.7049)
    assert table.set_index("序号").loc[1, "地块面积(亩)"] == pytest.approx(136.8049)
    cells = _rows(openpyxl.load_workbook(io.BytesIO(summary_xlsx(table)))["汇总 Summary"])
    assert cells[0][0] == "重点项目用地核查汇总"
    assert any(r[0] == "数据性质" and "演示" in str(r[1]) for r in cells)
    head = next(i for i, r in enumerate(cells) if r[0] == "序号")
    cols = cells[head]
    rows = {r[0]: dict(zip(cols, r, strict=True)) for r in cells[head + 1:] if isinstance(r[0], int)}
    assert rows[3]["地块面积(亩)"] == "—" and rows[3]["屋顶覆盖范围(亩)"] == 53230.7
    assert rows[1]["地块面积(亩)"] == 136.8 and rows[1]["碳汇损失 sink lost (t CO2/yr)"] == 1.23
    html = summary_html(table)
    assert "演示数据" in html and "53,230.7" in html and "屋顶覆盖范围(亩)" in html


def test_pv_estimate_cli_writes_the_pages_workbook(tmp_path):
    from cyc_geo.cli import main

    out = tmp_path / "pv.xlsx"
    assert main(["pv", "estimate", "--xlsx", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["说明", "乡镇", "汇总", "情景"]
    summ = _rows(wb["汇总"])
    cap = next(r for r in summ if r[0] == "潜力装机")
    assert isinstance(cap[1], float) and cap[2] == "MW"
    assert any(r[0] == "数据性质" for r in summ)  # the demo roofs
    town = _rows(wb["乡镇"])
    head = next(i for i, r in enumerate(town) if r[0] == "代码")
    assert len([r for r in town[head + 1:] if r[0]]) == 18
