"""Tidy Excel workbooks for filing (openpyxl).

Every sheet opens with the export's title and header block (date, filters, sources, demo note),
then one table whose header names the unit of each column; cells hold numbers as numbers, rounded
as the plan prints them (``meta.round_for_unit``), and ``—`` for missing values.

Every cell goes through :func:`cyc_geo.exports.cells.safe_cell` (text that would start a formula
gets a leading ``'``; control characters are removed): on writing (:func:`put`, :func:`append`
and the table writers here, so openpyxl never meets a character it refuses) and once more over
the whole workbook when it is saved (:func:`save_bytes`, which every workbook of the app is
saved with), so no text of any sheet is stored as a formula.
"""

from __future__ import annotations

import contextlib
import io
import math
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cyc_geo.exports.cells import safe_cell
from cyc_geo.exports.meta import DEMO_LABEL, MISSING, ExportMeta, round_for_unit

DEMO_FILL = PatternFill("solid", fgColor="FCE5CD")


def _cell(value: Any, unit: str | None) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(AttributeError, ValueError):
            value = value.item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        rounded = round_for_unit(value, unit)
        return MISSING if rounded is None else rounded
    if isinstance(value, (list, dict, tuple, set)):
        return safe_cell(str(value))
    return safe_cell(value)


def put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """``ws.cell(row, column)`` set to ``value`` neutralised (:func:`safe_cell`); returns the cell."""
    return ws.cell(row=row, column=column, value=safe_cell(value))


def append(ws: Worksheet, values: list[Any]) -> None:
    """``ws.append(values)`` with every value neutralised (:func:`safe_cell`)."""
    ws.append([safe_cell(v) for v in values])


def save_bytes(wb: Workbook) -> bytes:
    """``wb`` saved to ``.xlsx`` bytes after :func:`safe_cell` has gone over every cell of every sheet:
    the one way the app's workbooks are saved, so no text cell is stored as a formula."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    safe = safe_cell(cell.value)
                    if safe != cell.value or cell.data_type == "f":
                        cell.value = safe
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def header_label(column: str, unit: str | None) -> str:
    """A column header with its unit, ``名称 (单位)``, unless the name already carries it."""
    if not unit or f"({unit})" in column or f"（{unit}）" in column:
        return column
    return f"{column} ({unit})"


def write_header(ws: Worksheet, meta: ExportMeta) -> int:
    """Title and header block at the top of ``ws``; returns the next free row."""
    put(ws, 1, 1, meta.title_text).font = Font(bold=True, size=14)
    row = 2
    for label, value in meta.header_lines():
        put(ws, row, 1, label).font = Font(bold=True)
        c = put(ws, row, 2, value)
        if label in DEMO_LABEL:
            for cell in (ws.cell(row=row, column=1), c):
                cell.fill = DEMO_FILL
        row += 1
    return row + 1


def write_table(ws: Worksheet, df: pd.DataFrame, start_row: int, units: dict[str, str] | None = None) -> int:
    """``df`` at ``start_row`` with unit-bearing bold headers; returns the row after the table."""
    units = units or {}
    cols = list(df.columns)
    for j, col in enumerate(cols, start=1):
        c = put(ws, start_row, j, header_label(str(col), units.get(col)))
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(df.itertuples(index=False), start=start_row + 1):
        for j, (col, value) in enumerate(zip(cols, row, strict=True), start=1):
            ws.cell(row=i, column=j, value=_cell(value, units.get(col)))
    for j, col in enumerate(cols, start=1):
        width = max([len(str(header_label(str(col), units.get(col))))]
                    + [len(str(v)) for v in df[col].head(200).tolist()])
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(max(10, width * 1.3), 60)
    return start_row + len(df) + 2


def workbook(sheets: dict[str, pd.DataFrame], meta: ExportMeta,
             units: dict[str, dict[str, str]] | None = None) -> Workbook:
    """One sheet per table, each with the header block; ``units`` maps sheet → column → unit."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(name[:31])
        write_table(ws, df, write_header(ws, meta), (units or {}).get(name))
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 16)
    return wb


def workbook_bytes(sheets: dict[str, pd.DataFrame], meta: ExportMeta,
                   units: dict[str, dict[str, str]] | None = None) -> bytes:
    """``workbook`` saved to bytes, for a download button or a CLI ``--out``."""
    return save_bytes(workbook(sheets, meta, units))


def write_grouped_table(ws: Worksheet, df: pd.DataFrame, start_row: int, unit_col: str | None = None,
                        per_row_unit: set[str] | None = None, fills: dict[str, dict[Any, PatternFill]] | None = None
                        ) -> int:
    """``df`` with two-level columns ``(group, name)`` under a two-row header whose group cells are merged
    across their columns (a column whose group is ``""`` is merged over both rows), as in a filed
    attachment's layout. Cells of the columns in ``per_row_unit`` are rounded for the unit in the row's
    ``unit_col`` column (a table of indicators with one unit per row); ``fills`` colours cells of a
    column by value (e.g. status). Returns the row after the table."""
    cols = list(df.columns)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="center", horizontal="center")
    j = 1
    while j <= len(cols):
        group = cols[j - 1][0]
        span = 1
        while group and j + span <= len(cols) and cols[j + span - 1][0] == group:
            span += 1
        if group:
            put(ws, start_row, j, group)
            if span > 1:
                ws.merge_cells(start_row=start_row, start_column=j, end_row=start_row, end_column=j + span - 1)
            for k in range(span):
                put(ws, start_row + 1, j + k, cols[j + k - 1][1])
        else:
            put(ws, start_row, j, cols[j - 1][1])
            ws.merge_cells(start_row=start_row, start_column=j, end_row=start_row + 1, end_column=j)
        j += span
    for r in (start_row, start_row + 1):
        for c in range(1, len(cols) + 1):
            ws.cell(row=r, column=c).font, ws.cell(row=r, column=c).alignment = bold, wrap
    unit_key = next((c for c in cols if c[1] == unit_col), None)
    per_row_unit = per_row_unit or set()
    for i, (_, row) in enumerate(df.iterrows(), start=start_row + 2):
        unit = str(row[unit_key]) if unit_key is not None else None
        for j, col in enumerate(cols, start=1):
            cell = ws.cell(row=i, column=j, value=_cell(row[col], unit if col[1] in per_row_unit else None)
                           if col[1] in per_row_unit else _plain(row[col]))
            fill = ((fills or {}).get(col[1]) or {}).get(row[col])
            if fill is not None:
                cell.fill = fill
    for j, col in enumerate(cols, start=1):
        width = max([len(str(col[1]))] + [len(str(v)) for v in df[col].head(200).tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, width * 1.4), 40)
    return start_row + 2 + len(df) + 1


def _plain(value: Any) -> Any:
    """A cell value as is (numbers unrounded, text neutralised by :func:`safe_cell`), ``—`` for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(AttributeError, ValueError):
            value = value.item()
    return safe_cell(value)
