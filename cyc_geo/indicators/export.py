"""Export the evaluated indicators in the layout of 附件1 (Excel via openpyxl, and CSV).

Layout (sheet ``附件1``), as in the seed's attachment:

- row 1: ``附件1``; row 2: the title 碳达峰试点县（市）建设指标任务分解表 (merged);
- row 3: the header 序号 领域 指标 单位 现状值 2022年 2023年 2024年 牵头单位 配合单位,
  followed by two added columns ``实际值（<year>年）`` and ``状态（<year>年）``, then which figure was
  scored (``计分依据``: 填报值 / 地图测算 / 推算), the reported value and the map estimate with the data year
  of the layer version it used (both shown whether scored or not);
- one row per indicator; 领域 cells of consecutive rows of the same domain are
  merged vertically, like the attachment's table;
- extra goal rows (origin other than 附件1, e.g. the 70 MW PV goal of 三、二)
  follow, and a note row says where they come from.

A second sheet ``说明 Notes`` lists English titles, direction, value source and
the reason behind every value or 无数据.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cyc_geo.exports.cells import csv_bytes
from cyc_geo.exports.excel import DEMO_FILL, append, put, save_bytes
from cyc_geo.exports.meta import DEMO_LABEL, ExportMeta, round_for_unit
from cyc_geo.indicators.catalogue import BEHIND, MET
from cyc_geo.places.profile import profile

ANNEX_TITLE = "碳达峰试点县（市）建设指标任务分解表"
ANNEX_HEADER = ["序号", "领域", "指标", "单位", "现状值", "2022年", "2023年", "2024年", "牵头单位", "配合单位"]
NOTES_HEADER = ["序号", "Indicator", "Direction", "Source type", "Value source", "Target", "Value", "Status", "Reason 说明",
                "Reported", "Map estimate", "Map data year", "Reference (not scored)"]
FIRST_DATA_ROW = 4
STATUS_FILL = {MET: "C6EFCE", BEHIND: "FFC7CE"}
STATUS_COL = len(ANNEX_HEADER) + 2
"""Column (1-based) of 状态（<year>年）."""


def _cell(v: object) -> object:
    """NaN/None -> empty cell; numpy scalars -> Python numbers."""
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and v != v:
            return None
    return v


def _figure(f: object) -> Any:
    """A row figure (reported value or map estimate) with a value, else None (absent, NaN after a reindex)."""
    return f if getattr(f, "value", None) is not None else None


def actual_columns(year: int) -> list[str]:
    """Names of the two columns added to 附件1's layout."""
    return [f"实际值（{year}年）", f"状态（{year}年）"]


SCORED_ZH = {"reported": "填报值", "spatial": "地图测算（同年数据）", "derived": "推算（填报值）", "none": "—"}
"""计分依据: which figure the status used (``value_source`` of :func:`cyc_geo.indicators.catalogue.evaluate`)."""


def figure_columns(year: int) -> list[str]:
    """Names of the columns after the status: which figure was scored, the reported value, the map estimate
    and its data year."""
    return [f"计分依据（{year}年）", f"填报值（{year}年）", f"地图测算值（{year}年）", "地图数据年份"]


def annex_table(evaluated: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """The evaluated indicators as a table with 附件1's columns plus actual value and status.

    ``evaluated`` comes from :func:`cyc_geo.indicators.catalogue.evaluate`; ``catalogue``
    supplies the baseline and the three years' targets.
    """
    year = int(evaluated["year"].iloc[0])
    cat = catalogue.set_index("no", drop=False)
    ev = evaluated.set_index("no")
    table = pd.DataFrame(
        {
            "序号": cat["no"].astype(int),
            "领域": cat["domain"],
            "指标": cat["name"],
            "单位": cat["unit"],
            "现状值": cat["baseline"],
            "2022年": cat["target_2022"],
            "2023年": cat["target_2023"],
            "2024年": cat["target_2024"],
            "牵头单位": cat["lead"],
            "配合单位": cat["partners"],
        }
    )
    value_col, status_col = actual_columns(year)
    values = ev["value"].reindex(table.index)
    table[value_col] = [round_for_unit(float(v), u) if pd.notna(v) else None
                        for v, u in zip(values, table["单位"].astype(str), strict=True)]
    table[status_col] = ev["status"].reindex(table.index)
    scored_col, reported_col, map_col, map_year_col = figure_columns(year)
    table[scored_col] = ev["value_source"].reindex(table.index).map(SCORED_ZH)
    units = table["单位"].astype(str)
    reported = [_figure(f) for f in ev["reported"].reindex(table.index)]
    estimate = [_figure(f) for f in ev["map_estimate"].reindex(table.index)]
    table[reported_col] = [None if f is None else round_for_unit(f.value, u) for f, u in zip(reported, units, strict=True)]
    table[map_col] = [None if f is None else round_for_unit(f.value, u) for f, u in zip(estimate, units, strict=True)]
    table[map_year_col] = [None if f is None else (f.data_year if f.data_year is not None else "无数据年份")
                           for f in estimate]
    table["origin"] = cat["origin"]
    return table.reset_index(drop=True)


def to_csv_bytes(evaluated: pd.DataFrame, catalogue: pd.DataFrame) -> bytes:
    """CSV with the same columns and rounded values as the workbook (UTF-8 with BOM so Excel shows the Chinese
    text); a plain table for other programs, so the header facts and demo note are in the workbook only."""
    return csv_bytes(annex_table(evaluated, catalogue).drop(columns=["origin"]))


def export_meta(year: int, demo: bool, scenario: str | None = None) -> ExportMeta:
    """The header facts of an indicators export: title, year, scenario of the spatial indicators, demo note."""
    filters = {"评估年份": f"{year}年"}
    if scenario:
        filters["光伏情景"] = scenario
    return ExportMeta(title=(ANNEX_TITLE, "Pilot indicators (Annex 1)"), filters=filters, demo=demo,
                      sources=[f"目标值：《{profile().plan_zh}》附件1；实际值：填报值，否则同年数据版本的地图测算值"
                               "（“计分依据”列；非同年的测算值只列出、不计分，见“说明 Notes”）"])


def _write_footer(ws, row: int, meta: ExportMeta) -> int:
    """Date, filters, sources and the demo note below the table (the 附件1 rows above stay as printed)."""
    row += 1
    for label, value in meta.header_lines():
        put(ws, row, 1, label).font = Font(bold=True)
        put(ws, row, 3, value)
        if label in DEMO_LABEL:
            ws.cell(row, 1).fill = DEMO_FILL
            ws.cell(row, 3).fill = DEMO_FILL
        row += 1
    return row


def write_workbook(evaluated: pd.DataFrame, catalogue: pd.DataFrame, demo: bool = False,
                   scenario: str | None = None) -> Workbook:
    """Build the openpyxl workbook (see module docstring for the layout); actual values are rounded as the
    plan prints their unit, and the export's date, year, scenario and demo note follow the table."""
    year = int(evaluated["year"].iloc[0])
    table = annex_table(evaluated, catalogue)
    header = ANNEX_HEADER + actual_columns(year) + figure_columns(year)
    ncol = len(header)

    wb = Workbook()
    ws = wb.active
    ws.title = "附件1"
    put(ws, 1, 1, "附件1")
    put(ws, 2, 1, ANNEX_TITLE)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    ws.cell(2, 1).font = Font(bold=True, size=14)
    ws.cell(2, 1).alignment = Alignment(horizontal="center")
    for j, name in enumerate(header, start=1):
        c = put(ws, 3, j, name)
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    extra = table[table["origin"] != "附件1"]
    row = _write_rows(ws, table[table["origin"] == "附件1"], FIRST_DATA_ROW, ncol)
    row = _write_rows(ws, extra, row, ncol)
    if len(extra):
        put(ws, row, 1,
            "注：序号" + "、".join(str(n) for n in extra["序号"]) + "不属于附件1，来自方案正文："
            + "；".join(extra["origin"].unique()) + "。")
        row += 1
    _write_footer(ws, row, export_meta(year, demo, scenario))

    widths = [6, 10, 34, 10, 9, 9, 9, 9, 14, 44, 14, 12, 16, 12, 14, 12]
    for j, w in enumerate(widths[:ncol], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1)
    _write_notes(wb.create_sheet("说明 Notes"), evaluated)
    return wb


def _write_notes(notes, evaluated: pd.DataFrame) -> None:
    """The English notes sheet: one row per indicator with how its value was obtained."""
    append(notes, NOTES_HEADER)
    for rec in evaluated.itertuples(index=False):
        append(
            notes,
            [
                int(rec.no),
                rec.name_en,
                f"{rec.direction} is better",
                rec.source,
                rec.value_source,
                _cell(rec.target),
                _cell(rec.value),
                f"{rec.status} ({rec.status_en})",
                rec.reason,
                None if rec.reported is None else rec.reported.value,
                None if rec.map_estimate is None else rec.map_estimate.value,
                None if rec.map_estimate is None else rec.map_estimate.data_year,
                None if rec.reference is None else
                f"{rec.reference.name_en}: {rec.reference.value:.2f} — {rec.reference.definition_en}",
            ]
        )


def _write_rows(ws, part: pd.DataFrame, row: int, ncol: int) -> int:
    """Write ``part``'s rows from ``row`` on (status cell coloured, 领域 merged); returns the next free row."""
    start = row
    for rec in part.itertuples(index=False):
        for j, v in enumerate(rec[:ncol], start=1):
            put(ws, row, j, _cell(v))
        fill = STATUS_FILL.get(str(rec[STATUS_COL - 1]))
        if fill:
            ws.cell(row, STATUS_COL).fill = PatternFill("solid", start_color=fill, end_color=fill)
        row += 1
    _merge_domains(ws, start, row - 1)
    return row


def _merge_domains(ws, first: int, last: int) -> None:
    """Merge 领域 cells (column B) of consecutive rows with the same domain, as in 附件1."""
    r = first
    while r <= last:
        end = r
        while end + 1 <= last and ws.cell(end + 1, 2).value == ws.cell(r, 2).value:
            end += 1
        if end > r:
            ws.merge_cells(start_row=r, start_column=2, end_row=end, end_column=2)
            ws.cell(r, 2).alignment = Alignment(vertical="center", horizontal="center")
        r = end + 1


def to_excel_bytes(evaluated: pd.DataFrame, catalogue: pd.DataFrame, demo: bool = False,
                   scenario: str | None = None) -> bytes:
    """The workbook as ``.xlsx`` bytes (for a download button)."""
    return save_bytes(write_workbook(evaluated, catalogue, demo, scenario))


def export(evaluated: pd.DataFrame, catalogue: pd.DataFrame, path: Path | str, demo: bool = False,
           scenario: str | None = None) -> Path:
    """Write ``.xlsx`` or ``.csv`` (chosen by the suffix) atomically; returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = to_excel_bytes(evaluated, catalogue, demo, scenario)
    elif suffix == ".csv":
        data = to_csv_bytes(evaluated, catalogue)
    else:
        raise ValueError(f"导出格式须为 .xlsx 或 .csv / export format must be .xlsx or .csv, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
