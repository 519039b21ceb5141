"""The 附件1-layout export: Excel reopened with openpyxl and compared cell by cell; CSV likewise."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cyc_geo import db
from cyc_geo.indicators import catalogue as ind
from cyc_geo.indicators.export import ANNEX_TITLE, export, figure_columns, to_csv_bytes, to_excel_bytes

SEED = Path("/work/shared/seed/000_36a725ee7d72af04.txt")
HEADER = ["序号", "领域", "指标", "单位", "现状值", "2022年", "2023年", "2024年", "牵头单位", "配合单位"]


def seed_rows() -> list[list[object]]:
    """附件1 rows parsed from the seed text (numbers as numbers; 领域 as printed, blank under its first row)."""
    text = SEED.read_text(encoding="utf-8")
    head = "\t".join(HEADER)
    block = text[text.index(head) + len(head) : text.index("附件2\n\n重点项目表")]
    rows: list[list[object]] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("\t")]
        if cells[0].isdigit():
            rows.append([int(cells[0]), cells[1], cells[2], cells[3], *map(float, cells[4:8]), cells[8], cells[9]])
        else:
            rows[-1][2] = str(rows[-1][2]) + cells[0]  # row 10's title continues after the page break
    return rows


@pytest.fixture
def evaluated(data_dir):
    conn = db.connect()
    ind.save_values(conn, [{"no": 3, "year": 2024, "value": 250.5}, {"no": 13, "year": 2024, "value": 47}], "alice")
    sv = {4: ind.SpatialValue(27.25), 16: ind.SpatialValue(None, "no forest layer"), 19: ind.SpatialValue(41.0)}
    ev = ind.evaluate(2024, conn, sv)
    conn.close()
    return ev


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_excel_reopened_matches_seed_layout_cell_by_cell(evaluated, tmp_path):
    path = export(evaluated, ind.load_catalogue(), tmp_path / "ind.xlsx")
    wb = load_workbook(path)
    ws = wb["附件1"]
    assert ws.cell(1, 1).value == "附件1"
    assert ws.cell(2, 1).value == ANNEX_TITLE
    assert [ws.cell(3, j).value for j in range(1, 13)] == HEADER + ["实际值（2024年）", "状态（2024年）"]

    # hand-computed actuals and statuses for 2024 (targets from 附件1)
    expected_actual = {
        3: (250.5, "达标"),  # reported, <= cap 267.25
        4: (27.25, "达标"),  # map sink >= 26.05
        5: (None, "无数据"),  # derived from reported inputs only: #4 is a map value, not reported
        13: (47, "未达标"),  # 47 < 49
        16: (None, "无数据"),
    }
    merged = {str(r) for r in ws.merged_cells.ranges}
    previous_domain = None
    for i, seed in enumerate(seed_rows()):
        r = 4 + i
        got = [ws.cell(r, j).value for j in range(1, 13)]
        value, state = expected_actual.get(seed[0], (None, "无数据"))
        domain_blank = seed[1] == "" or seed[1] == previous_domain
        if seed[1]:
            previous_domain = seed[1]
        want = list(seed) + [value, state]
        if domain_blank:
            want[1] = None  # merged into the cell above, as in 附件1
        assert got[0] == want[0] and got[2:4] == want[2:4] and got[8:10] == want[8:10], r
        assert got[1] == want[1], (r, got[1], want[1])
        for j in (4, 5, 6, 7):
            assert got[j] == pytest.approx(want[j]), (r, j)
        if want[10] is None:
            assert got[10] is None, r
        else:
            assert got[10] == pytest.approx(want[10]), r
        assert got[11] == want[11], r
    # domains merged exactly over the seed's groups: 碳排放 rows 2-5, 能源 6-8, 工业 9-10, ...
    assert {"B5:B8", "B9:B11", "B12:B13", "B14:B15", "B16:B17", "B18:B19", "B20:B21", "A2:P2"} <= merged
    # the extra PV goal row follows 附件1, with a note naming its origin
    assert [ws.cell(22, j).value for j in (1, 3, 4, 8, 11, 12)] == [19, "光伏装机容量", "MW", 70, 41, "未达标"]
    assert "三、二" in ws.cell(23, 1).value
    # after the status: which figure was scored, the reported value, the map estimate and its data year
    assert [ws.cell(3, j).value for j in range(13, 17)] == figure_columns(2024)
    assert [ws.cell(4 + 2, j).value for j in range(13, 17)] == ["填报值", 250.5, None, None]  # #3
    assert [ws.cell(4 + 3, j).value for j in range(13, 17)] == ["地图测算（同年数据）", None, 27.25, "无数据年份"]  # #4
    assert ws.cell(4 + 4, 13).value == "—"  # #5: no reported #4, nothing scored
    notes = wb["说明 Notes"]
    assert notes.cell(1, 1).value == "序号" and notes.max_row == 1 + 19
    assert notes.cell(1 + 16, 9).value.endswith("no forest layer")


def test_excel_bytes_and_csv_have_same_cells(evaluated):
    cat = ind.load_catalogue()
    ws = load_workbook(io.BytesIO(to_excel_bytes(evaluated, cat)))["附件1"]
    rows = list(csv.reader(io.StringIO(to_csv_bytes(evaluated, cat).decode("utf-8-sig"))))
    assert rows[0] == [ws.cell(3, j).value for j in range(1, 17)]
    assert len(rows) == 1 + 19
    domain_above = None
    for i, row in enumerate(rows[1:]):
        for j, text in enumerate(row, start=1):
            cell = ws.cell(4 + i, j).value
            if j == 2:
                if cell is None:  # merged domain cell: the CSV repeats the domain of the cell above
                    assert text == domain_above, (i, text)
                    continue
                domain_above = cell
            if cell is None:
                assert text == ""
            elif isinstance(cell, (int, float)):
                assert float(text) == pytest.approx(cell)
            else:
                assert text == cell


def test_export_rejects_unknown_suffix(evaluated, tmp_path):
    with pytest.raises(ValueError, match=".xlsx or .csv"):
        export(evaluated, ind.load_catalogue(), tmp_path / "x.pdf")
    assert not list(tmp_path.glob("x.*"))
