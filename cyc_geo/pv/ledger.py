"""The PV installation ledger (光伏装机台账): a planner's Excel or CSV table read as a point layer.

The plan's goal is **installed** PV (光伏装机容量力争达到 7 万千瓦 by 2024; docs/sources.md,
"Plan goals"), so the ledger records what is built, being built or filed, one row per
installation. :func:`read_ledger` turns a messy planner table into the agreed schema:

=================  ======  ==========================================================================
column             type    meaning
=================  ======  ==========================================================================
``install_id``     int     the file's integer id column (序号/编号) if it is unique, else 1..n in file order
``name``           str     project / installation name
``owner``          str     owner or investor ("" if absent)
``building_class`` str     ``gov`` 党政机关, ``public`` 公共建筑, ``commercial`` 工商业, ``rural`` 农村居民, ``other``
``status``         str     ``grid_connected`` 已并网, ``under_construction`` 在建, ``filed`` 备案/拟建
``capacity_kw``    float   AC capacity (并网容量, inverters' rated output) in kW; a header in MW (兆瓦) is
                           multiplied by 1000; NaN when the file gives only DC (kWp)
``capacity_kwp``   float   DC capacity (组件标称功率, 峰值功率) in kWp from a ``kWp``/``MWp``/峰值功率 column;
                           NaN when the file gives AC (kW). The two are never converted into each other
                           (docs/sources.md, "PV capacity: AC and DC")
``date``           str     ISO ``YYYY-MM-DD`` or "": grid-connection date of a grid-connected row, else the
                           filing / start date; a month-only date is the 1st of the month
``township_code``  str     12-digit statistical code (docs/sources.md, "Townships")
``has_coords``     bool    the row gave longitude/latitude (else the point is the township seat)
``geometry``       Point   WGS84 (EPSG:4326); GCJ-02 input is converted (docs/sources.md, "GCJ-02")
=================  ======  ==========================================================================

Provenance is in ``ledger.attrs["meta"]`` (``source``, ``demo`` "false", ``approximate`` "false",
``data_year`` = the year of the latest date, if any), as for every layer
(:mod:`cyc_geo.catalog.provenance`).

Reading rules (documented for planners in ``docs/import.md``, "PV installation ledger"):

- ``.xlsx`` with openpyxl (cached values, merged cells forward-filled), ``.csv`` in UTF-8, UTF-8 with
  BOM, UTF-16 (with BOM), GBK or GB18030 (detected as for Shapefiles: docs/sources.md, "Security defaults");
- the header row is the row (among the first :data:`HEADER_SCAN_ROWS`) matching most of
  :data:`COLUMN_ALIASES`; title rows above it are ignored, blank rows skipped;
- 合计 / 小计 / 总计 rows are dropped and their capacity, if a number, checked against the sum of the rows
  (小计 against the rows since the previous 小计); footnote rows (填表人：…, 备注：… without a capacity) are dropped;
- a file with no status column but a grid-connection date column (a grid company's 并网 list:
  电源名称, 乡镇, 并网时间, 并网容量(kW)) is a list of connections: a row whose 并网时间 is on or before
  the reading date (``as_of``, default today) is ``grid_connected``; a row without one, or dated later,
  is skipped;
- a row whose township is unknown, whose capacity is not a number or is ≤ 0, or whose status is
  unknown goes to :attr:`LedgerRead.skipped` with the row number the planner sees in Excel
  (1-based, title rows counted) and a Chinese and English reason;
- so does a row whose capacity is more than one installation of its building class can be
  (:mod:`cyc_geo.pv.plausibility`), and a row repeating an earlier kept row: the same 备案号, or the
  same name, address (if the file has one), township, capacity and date (:func:`duplicate_keys`);
  their reasons name the row's project name and, for a duplicate, the row it repeats.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.geo.crs import WGS84
from cyc_geo.geo.gcj02 import gcj02_to_wgs84
from cyc_geo.places.profile import profile
from cyc_geo.pv.plausibility import capacity_caveat, capacity_problem

LEDGER_COLUMNS = ("install_id", "name", "owner", "building_class", "status", "capacity_kw", "capacity_kwp",
                  "date", "township_code", "has_coords")
"""Columns of a ledger besides ``geometry``, in order (the schema agreed with the PV page)."""

BUILDING_CLASSES = ("gov", "public", "commercial", "rural", "other")
STATUSES = ("grid_connected", "under_construction", "filed")
COORDS_CRS = ("WGS84", "GCJ02")

HEADER_SCAN_ROWS = 30
"""Rows searched for the header (title rows, notes and a blank line or two sit above it; project choice)."""

TOTAL_ABS_TOL_KW = 0.01
TOTAL_REL_TOL = 1e-6
"""A 合计 row agrees with the sum of the rows within 0.01 kW or one part in a million (rounding of
the printed figures; project choice, docs/import.md, "PV installation ledger")."""

EXCEL_EPOCH = datetime(1899, 12, 30)
"""Day 0 of Excel's 1900 date system as used by every serial after 1900-03-01 (ECMA-376 Part 1, §18.17.4.1)."""
EXCEL_SERIAL_RANGE = (20_000, 80_000)
"""Numbers read as Excel date serials in a date column: 1954-10-03 to 2119-01-11 (project choice)."""

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "install_id": ("序号", "编号", "项目编号", "项目序号", "id", "install_id", "no", "no.", "序"),
    "name": ("项目名称", "名称", "项目", "电站名称", "项目名", "安装单位名称", "单位名称", "户名", "name",
             "project", "project_name", "项目名称/户名", "电源名称", "电源", "并网户名"),
    "owner": ("业主", "业主单位", "业主名称", "建设单位", "投资主体", "投资单位", "投资方", "项目单位", "户主",
              "产权单位", "项目业主", "owner", "investor"),
    "building_class": ("建筑类型", "建筑类别", "屋顶类型", "屋顶类别", "类别", "类型", "项目类型", "项目类别",
                       "场景", "应用场景", "屋顶性质", "building_class", "category", "class", "type"),
    "status": ("状态", "项目状态", "建设状态", "进展", "进展情况", "进度", "建设进度", "并网状态", "status"),
    "capacity": ("装机容量", "容量", "装机规模", "规模", "建设规模", "并网容量", "备案容量", "装机", "峰值功率",
                 "capacity", "capacity_kw", "capacity_mw", "installed_capacity", "installedcapacity"),
    "date_grid": ("并网时间", "并网日期", "投运时间", "投运日期", "投产时间", "投产日期", "建成时间", "建成日期",
                  "建成并网时间", "并网年月", "grid_date", "grid_connection_date", "commissioning_date"),
    "date_other": ("备案时间", "备案日期", "开工时间", "开工日期", "计划开工时间", "filing_date", "start_date"),
    "date": ("日期", "时间", "date"),
    "township": ("乡镇", "乡镇街道", "乡镇名称", "所在乡镇", "所属乡镇", "乡镇/街道", "乡(镇)", "乡镇(街道)",
                 "街道", "镇", "township", "town"),
    "township_code": ("乡镇代码", "乡镇编码", "区划代码", "统计用区划代码", "township_code"),
    "lon": ("经度", "lon", "lng", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "address": ("地址", "项目地址", "建设地址", "建设地点", "安装地址", "安装地点", "详细地址", "项目地点", "address"),
    "filing_no": ("备案号", "备案编号", "备案证号", "备案文号", "项目备案号", "备案代码", "项目代码", "备案项目代码",
                  "filing_no", "filing_number", "record_no"),
}
"""Known header names per field (matched after NFKC normalisation, lower case, without spaces and
without a bracketed or slash-separated unit: ``装机容量（千瓦）`` matches ``装机容量``)."""

UNIT_FACTORS = {"kW": 1.0, "MW": 1000.0, "万kW": 10_000.0, "kWp": 1.0, "MWp": 1000.0}
"""kW (or kWp) per unit of a capacity header: 1 MW = 1,000 kW, 1 万千瓦 = 10,000 kW (SI prefixes; 万 = 10⁴)."""
DC_UNITS = ("kWp", "MWp")
"""Units of DC (peak, 组件标称功率) capacity: a column in one of them fills ``capacity_kwp``, not ``capacity_kw``."""
_UNIT_WORDS = {"万千瓦": "万kW", "兆瓦": "MW", "mwp": "MWp", "mw": "MW", "千瓦": "kW", "kwp": "kWp", "kw": "kW"}
_UNIT_RE = re.compile(r"(万千瓦|兆瓦|千瓦|mwp|mw|kwp|kw)(?![a-z])")
_NOTE_RE = re.compile(r"^(填表人|填报人|填表|审核人|审核|制表人|制表|备注|注[:：]|说明|联系人|联系电话|填报日期|填表日期|"
                      r"数据来源|note|remark)")
"""A footnote row under the table (填表人：…, 备注：…): its first cell starts so and its capacity cell is empty."""
_TOTAL_WORDS = {"合计", "小计", "总计", "总合计", "累计", "total", "subtotal", "sum"}

BUILDING_CLASS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gov", ("党政机关", "党政", "机关", "政府", "行政", "gov", "government")),
    ("public", ("公共建筑", "公共", "学校", "医院", "卫生", "文化", "体育", "事业单位", "教育", "public",
                "school", "hospital")),
    ("commercial", ("工商业", "工业", "厂房", "企业", "商业", "园区", "工厂", "commercial", "industrial",
                    "factory", "business")),
    ("rural", ("农村居民", "农村", "户用", "居民", "农户", "村民", "民居", "家庭", "rural", "residential",
               "household")),
    ("other", ("其他", "其它", "other")),
)
"""Words of a building-class cell, tried in this order (exact, then as a substring); else ``other``."""

STATUS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grid_connected", ("已并网", "并网", "已投运", "投运", "建成并网", "全容量并网", "全部并网", "已建成", "建成",
                        "投产", "已投产", "grid_connected", "connected", "operating", "in operation")),
    ("under_construction", ("在建", "施工中", "建设中", "正在建设", "正在施工", "已开工", "开工", "under_construction",
                            "under construction", "construction")),
    ("filed", ("备案", "已备案", "拟建", "计划", "规划", "前期", "filed", "planned", "registered")),
)
"""Words of a status cell (exact, then as a substring). A cell with 未/待/不/无 (未并网, 待并网) is
unknown - it says what has *not* happened - and the row is skipped for the planner to decide."""


class LedgerError(ValueError):
    """A ledger that cannot be read at all (no header, no capacity column, unit unknown, bad sheet)."""

    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en, self.details = code, zh, en, details


@dataclass
class LedgerRead:
    """Result of :func:`read_ledger`.

    ``ledger``: the rows that are fine (schema in the module docstring); ``skipped``: ``row``,
    ``reason_zh``, ``reason_en`` of rows left out; ``rows_read``: data rows read (kept + skipped, not
    counting blank and total rows); ``total_kw``: sum of ``capacity_kw`` of the kept rows (kW).
    """

    ledger: gpd.GeoDataFrame
    skipped: pd.DataFrame
    rows_read: int
    total_kw: float
    """Sum of the kept rows' AC ``capacity_kw`` (kW; 0 for a DC-only file)."""
    total_kwp: float = 0.0
    """Sum of the kept rows' DC ``capacity_kwp`` (kWp; 0 for an AC file)."""
    columns: dict[str, str] = field(default_factory=dict)
    """{field: header as written in the file}."""
    unit: str = "kW"
    """Unit of the capacity column in the file (``kW``, ``MW``, ``万kW``, ``kWp`` or ``MWp``; see :data:`UNIT_FACTORS`)."""
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 0
    total_checks: list[dict[str, Any]] = field(default_factory=list)
    """One entry per 合计/小计 row with a number: ``row``, ``label``, ``file_kw``, ``sum_kw``, ``ok``."""
    warnings: pd.DataFrame = field(default_factory=lambda: _issues([]))
    """Rows kept with a caveat (unreadable date, unusable coordinates): ``row``, ``reason_zh``, ``reason_en``."""

    def report(self) -> dict[str, Any]:
        """JSON-able summary: ``rows_read``, ``rows_skipped`` (list of {row, reason_zh, reason_en}),
        ``total_kw`` and how the file was read."""
        return {
            "rows_read": int(self.rows_read),
            "rows_skipped": _records(self.skipped),
            "total_kw": float(self.total_kw),
            "total_kwp": float(self.total_kwp),
            "unit_in_file": self.unit,
            "capacity_basis": "DC" if self.unit in DC_UNITS else "AC",
            "header_row": int(self.header_row),
            "sheet": self.sheet,
            "columns_found": dict(self.columns),
            "total_checks": list(self.total_checks),
            "warnings": _records(self.warnings),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"row": int(r.row), "reason_zh": str(r.reason_zh), "reason_en": str(r.reason_en)}
            for r in df.itertuples(index=False)]


def _issues(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "reason_zh", "reason_en"]).astype({"row": int})


# ------------------------------------------------------------------ text helpers


def _text(value: Any) -> str:
    """A cell as stripped text ("" for empty; 3.0 → "3")."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _norm(text: str) -> str:
    """Header / value key: NFKC, lower case, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _header_parts(header: Any) -> tuple[str, str | None]:
    """(base name, unit "kW"/"MW"/None) of a header cell: ``装机容量（MW）`` → (``装机容量``, ``MW``)."""
    key = _norm(_text(header))
    unit = None
    m = _UNIT_RE.search(key)
    if m:
        unit = _UNIT_WORDS[m.group(1)]
    base = re.sub(r"[(\[【].*?[)\]】]", "", key)
    base = _UNIT_RE.sub("", base)
    base = re.sub(r"单位[:：]?", "", base)
    base = base.strip("/\\_-:：|()[]【】")
    return base, unit


_ALIAS_KEYS = {f: {_norm(a) for a in names} for f, names in COLUMN_ALIASES.items()}


def _field_of(header: Any) -> tuple[str | None, str | None]:
    """(field, unit) a header cell names, or (None, None)."""
    full = _norm(_text(header))
    if not full:
        return None, None
    base, unit = _header_parts(header)
    for fld, keys in _ALIAS_KEYS.items():
        if full in keys or base in keys:
            return fld, unit
    if unit and (not base or any(w in base for w in ("容量", "规模", "capacity"))):
        return "capacity", unit
    return None, None


# ------------------------------------------------------------------ reading the grid


def _read_xlsx(path: Path, sheet: str | None) -> list[tuple[str, list[list[Any]], list[list[Any]]]]:
    """[(sheet name, filled grid, raw grid)] of the chosen sheet, or of every sheet when ``sheet`` is None.

    The filled grid has every merged range's top-left value copied into its cells; the raw grid is
    as stored (used to tell blank rows).
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:
        raise LedgerError("corrupt", f"无法读取 Excel 文件：{exc}", f"Cannot read the Excel file: {exc}") from exc
    names = wb.sheetnames
    if sheet is not None and sheet not in names:
        raise LedgerError("bad_sheet", f"工作表 “{sheet}” 不存在（有：{'、'.join(names)}）",
                          f"Sheet {sheet!r} not found (sheets: {', '.join(names)})", sheets=names)
    out = []
    for name in [sheet] if sheet else names:
        ws = wb[name]
        raw = [list(r) for r in ws.iter_rows(values_only=True)]
        filled = [list(r) for r in raw]
        for rng in ws.merged_cells.ranges:
            top = raw[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(raw) else None
            for r in range(rng.min_row - 1, min(rng.max_row, len(filled))):
                for c in range(rng.min_col - 1, min(rng.max_col, len(filled[r]))):
                    filled[r][c] = top
        out.append((name, filled, raw))
    wb.close()
    return out


def _decode_csv(raw: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding): BOMs decide, else strict UTF-8, else GBK, else GB18030 (docs/sources.md,
    "Security defaults"); ``encoding`` forces one."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise LedgerError("bad_encoding", f"无法按 {encoding} 解码 CSV", f"Cannot decode the CSV as {encoding}") from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8-SIG"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    for codec in ("UTF-8", "GBK", "GB18030"):
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise LedgerError("bad_encoding", "无法识别 CSV 的文字编码（非 UTF-8/GBK/GB18030）",
                      "Cannot detect the CSV text encoding (not UTF-8/GBK/GB18030)")


def _read_csv(path: Path, encoding: str | None) -> tuple[list[list[Any]], str]:
    text, used = _decode_csv(Path(path).read_bytes(), encoding)
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    return rows, used


# ------------------------------------------------------------------ header


def _find_header(grid: list[list[Any]]) -> tuple[int, dict[str, int], dict[str, str | None]] | None:
    """(row index, {field: column}, {field: unit}) of the best header among the first rows, or None."""
    best: tuple[int, int, dict[str, int], dict[str, str | None]] | None = None
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        units: dict[str, str | None] = {}
        for j, cell in enumerate(row):
            fld, unit = _field_of(cell)
            if fld and fld not in cols:
                cols[fld], units[fld] = j, unit
        score = len(cols) + (1 if "capacity" in cols else 0)
        if len(cols) >= 2 and (best is None or score > best[1]):
            best = (i, score, cols, units)
    return None if best is None else (best[0], best[2], best[3])


def _unit_from_notes(grid: list[list[Any]], header_idx: int) -> str | None:
    """A unit note above the header (``单位：千瓦``, ``单位: MW``)."""
    for row in grid[:header_idx]:
        for cell in row:
            key = _norm(_text(cell))
            m = re.search(r"单位[:：]?(万千瓦|兆瓦|千瓦|mwp|mw|kwp|kw)", key) or re.search(r"unit[:：]?(mwp|mw|kwp|kw)", key)
            if m:
                return _UNIT_WORDS[m.group(1)]
    return None


def _found_columns(grid: list[list[Any]]) -> list[str]:
    """The non-empty cells of the first non-empty row (for error messages)."""
    for row in grid[:HEADER_SCAN_ROWS]:
        cells = [_text(c) for c in row if _text(c)]
        if len(cells) >= 2:
            return cells
    return [c for row in grid[:1] for c in (_text(x) for x in row) if c]


# ------------------------------------------------------------------ values


def parse_capacity(value: Any) -> float | None:
    """A capacity cell as a number in the file's unit, or None when it is not a number
    (``"1,200.5"`` → 1200.5; ``"约300"``, ``"待定"`` → None)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    text = _text(value).replace(",", "").replace(" ", "")
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", text):
        return float(text)
    return None


def parse_date(value: Any) -> str | None:
    """A date cell as ISO ``YYYY-MM-DD``; "" when empty; None when unreadable.

    Accepts date/datetime cells, Excel serials (see :data:`EXCEL_SERIAL_RANGE`), ``2023年3月`` /
    ``2023年3月15日``, ``2023-11-15``, ``2023/11/15``, ``2023.11`` (month only → the 1st), ``2023``
    (→ 01-01), ``20231115`` and ``202311``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        if math.isnan(v):
            return ""
        return _date_from_number(v)
    text = _text(value)
    if re.fullmatch(r"\d+(\.0+)?", text):
        return _date_from_number(float(text))
    m = re.fullmatch(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*(?:[月\-/.]\s*(?:(\d{1,2})\s*[日号]?)?)?"
                     r"(?:\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", text)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    m = re.fullmatch(r"(\d{4})\s*年", text)
    if m:
        return _ymd(int(m.group(1)), 1, 1)
    return None


def _date_from_number(v: float) -> str | None:
    if v.is_integer() and 1990 <= v <= 2100:
        return _ymd(int(v), 1, 1)
    if v.is_integer() and 199001 <= v <= 210012:
        return _ymd(int(v) // 100, int(v) % 100, 1)
    if v.is_integer() and 19900101 <= v <= 21001231:
        n = int(v)
        return _ymd(n // 10000, n // 100 % 100, n % 100)
    if EXCEL_SERIAL_RANGE[0] <= v <= EXCEL_SERIAL_RANGE[1]:
        return (EXCEL_EPOCH + timedelta(days=int(v))).date().isoformat()
    return None


def _ymd(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _classify(value: Any, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    key = _norm(_text(value))
    if not key:
        return None
    for cls, words in table:
        if key in {_norm(w) for w in words}:
            return cls
    for cls, words in table:
        if any(_norm(w) in key for w in words):
            return cls
    return None


def building_class_of(value: Any) -> str:
    """``gov`` / ``public`` / ``commercial`` / ``rural`` / ``other`` for a building-class cell."""
    return _classify(value, BUILDING_CLASS_WORDS) or "other"


def status_of(value: Any) -> str | None:
    """``grid_connected`` / ``under_construction`` / ``filed`` for a status cell, None if unknown."""
    key = _norm(_text(value))
    if not key or any(w in key for w in ("未", "待", "不", "无")):
        return None
    return _classify(value, STATUS_WORDS)


def township_lookup() -> dict[str, str]:
    """{name, short name or code: 12-digit code} of the 18 townships (docs/sources.md, "Townships")."""
    from cyc_geo.places.townships import read_seats

    seats = read_seats()
    out: dict[str, str] = {}
    for code, name in zip(seats["code"].astype(str), seats["name"].astype(str), strict=True):
        out[_norm(name)] = code
        short = re.sub(r"(街道办事处|街道办|街道|镇|乡)$", "", name)
        out.setdefault(_norm(short), code)
        out[code] = code
        out[code[:9]] = code
    return out


def _admin_prefix() -> str:
    """Regex of the province / prefecture / county prefix a township name may carry (from the county profile)."""
    p = profile()
    opt = [f"({re.escape(x)})?" for x in (p.province_zh, p.prefecture_zh) if x]
    return "^" + "".join(opt) + "(" + "|".join(re.escape(a) for a in p.aliases_zh) + ")?"


def _township_code(value: Any, lookup: dict[str, str]) -> str | None:
    key = _norm(_text(value))
    if not key:
        return None
    if key in lookup:
        return lookup[key]
    key = re.sub(_admin_prefix(), "", key)
    for variant in (key, re.sub(r"(办事处)$", "", key)):
        if variant in lookup:
            return lookup[variant]
    return None


def _coordinate(value: Any, lo: float, hi: float) -> float | None:
    v = parse_capacity(value)
    return v if v is not None and lo <= v <= hi else None


# ------------------------------------------------------------------ main


def read_ledger(path: str | Path, *, coords_crs: str = "WGS84", sheet: str | None = None,
                encoding: str | None = None, as_of: date | str | None = None) -> LedgerRead:
    """Read a planner's PV installation ledger (``.xlsx`` or ``.csv``) into the agreed schema.

    ``coords_crs``: ``"WGS84"`` or ``"GCJ02"`` (web-map coordinates, converted with
    :func:`cyc_geo.geo.gcj02.gcj02_to_wgs84`) for longitude/latitude columns; ``sheet``: the
    workbook sheet (default: the first sheet with a recognisable header); ``encoding``: force a CSV
    encoding (default: detect); ``as_of``: the date up to which a connection list's rows (no status
    column, a 并网时间 column) count as grid-connected (default: today, UTC). Raises :class:`LedgerError` (a ``ValueError``, Chinese +
    English, naming the columns found) when the file has no recognisable header or capacity column.
    """
    path = Path(path)
    crs = _coords_crs(coords_crs)
    sheets, used_encoding = _read_sheets(path, sheet, encoding)
    name, filled, raw, (hidx, cols, units) = _choose_sheet(sheets)
    unit, hidx = _capacity_unit(filled, hidx, cols, units)
    headers = filled[hidx]
    read = _read_rows(filled, raw, hidx, cols, unit, crs, _as_of_iso(as_of))
    read.columns = {f: _text(headers[j]) for f, j in cols.items()}
    read.encoding, read.sheet, read.header_row = used_encoding, name, hidx + 1
    read.ledger.attrs["meta"] = _meta(path, read.ledger)
    return read


def _as_of_iso(as_of: date | str | None) -> str:
    """ISO date a connection list is read at (None: today, UTC)."""
    if as_of is None:
        return datetime.now(UTC).date().isoformat()
    iso = parse_date(as_of)
    if not iso:
        raise LedgerError("bad_as_of", f"日期无效：{as_of}", f"invalid date {as_of!r} (YYYY-MM-DD)")
    return iso


def _coords_crs(coords_crs: str) -> str:
    """``"WGS84"`` or ``"GCJ02"`` from what a planner or the CLI says (CGCS2000 is WGS84 at this scale)."""
    crs = str(coords_crs).upper().replace("-", "").replace("_", "")
    if crs in ("EPSG:4326", "4326", "EPSG:4490", "4490", "CGCS2000"):
        crs = "WGS84"
    if crs not in COORDS_CRS:
        raise LedgerError("bad_crs", f"坐标系须为 WGS84 或 GCJ02，而不是 {coords_crs}",
                          f"coords_crs must be WGS84 or GCJ02, not {coords_crs}")
    return crs


def _read_sheets(path: Path, sheet: str | None, encoding: str | None) -> tuple[list, str | None]:
    """The file's sheets as (name, merged-filled grid, raw grid), and the CSV encoding used."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet), None
    if suffix == ".csv":
        grid, used_encoding = _read_csv(path, encoding)
        return [(None, grid, grid)], used_encoding
    raise LedgerError("bad_extension", f"台账须为 .xlsx 或 .csv（不是 {suffix or '无扩展名'}；旧版 .xls 请另存为 .xlsx）",
                      f"A ledger must be .xlsx or .csv (not {suffix or 'no extension'}; save an old .xls as .xlsx)")


def _choose_sheet(sheets: list) -> tuple:
    """The first sheet whose header has a capacity column; a clear refusal naming the columns otherwise."""
    chosen = None
    for name, filled, raw in sheets:
        found = _find_header(filled)
        if found is not None and "capacity" in found[1]:
            return name, filled, raw, found
        if chosen is None and found is not None:
            chosen = (name, filled, raw, found)
    grid = chosen[1] if chosen else sheets[0][1]
    cols = [_text(c) for c in grid[chosen[3][0]] if _text(c)] if chosen else _found_columns(grid)
    what_zh = "找不到装机容量列" if chosen else "找不到可识别的表头"
    what_en = "No capacity column found" if chosen else "No recognisable header row found"
    raise LedgerError(
        "no_capacity_column" if chosen else "no_header",
        f"{what_zh}（需要如“装机容量(kW)”“容量（千瓦）”“装机规模(MW)”的列；文件中的列：{'、'.join(cols) or '无'}）",
        f"{what_en} (expected a column such as 装机容量(kW), 容量（千瓦）, 装机规模(MW), capacity_kw; "
        f"columns in the file: {', '.join(cols) or 'none'})",
        columns=cols,
    )


def _capacity_unit(filled: list, hidx: int, cols: dict, units: dict) -> tuple[str, int]:
    """The capacity unit (header, a unit note, or the row under a two-row header) and the header row."""
    unit = units.get("capacity") or _unit_from_notes(filled, hidx)
    if unit is None and hidx + 1 < len(filled):
        # a two-row header: 装机容量 above, (kW) in the row below it
        base, below = _header_parts(_cell(filled[hidx + 1], cols["capacity"]))
        if below and not base:
            unit, hidx = below, hidx + 1
            filled[hidx] = [h if _text(h) else u for h, u in zip(filled[hidx - 1], filled[hidx], strict=False)]
    if unit is None:
        headers = filled[hidx]
        raise LedgerError(
            "capacity_unit_unknown",
            f"容量列 “{_text(headers[cols['capacity']])}” 未注明单位：请把表头写成“装机容量(kW)”或“装机容量(MW)”",
            f"The capacity column {_text(headers[cols['capacity']])!r} has no unit: write the header as "
            "装机容量(kW) or 装机容量(MW)",
            columns=[_text(c) for c in headers if _text(c)],
        )
    return unit, hidx


def _meta(path: Path, ledger: gpd.GeoDataFrame) -> dict[str, str]:
    meta = {"source": f"planner ledger {path.name}", "demo": "false", "approximate": "false"}
    dates = [d for d in ledger["date"] if d]
    if dates:
        meta["data_year"] = max(dates)[:4]
    return meta


def _cell(row: list[Any], j: int | None) -> Any:
    return row[j] if j is not None and j < len(row) else None


def _is_blank(row: list[Any]) -> bool:
    return all(_text(c) == "" for c in row)


def _total_label(row: list[Any], cols: dict[str, int]) -> str | None:
    """合计/小计/总计 when a row is a total row (its label in any text cell)."""
    for c in row:
        key = _norm(_text(c))
        if key in _TOTAL_WORDS or re.fullmatch(r"(合计|小计|总计)[:：]?", key):
            return _text(c)
    return None


def _is_note(row: list[Any], cols: dict[str, int]) -> bool:
    first = next((_norm(_text(c)) for c in row if _text(c)), "")
    return bool(_NOTE_RE.match(first)) and _text(_cell(row, cols["capacity"])) == ""


def _read_rows(filled: list[list[Any]], raw: list[list[Any]], hidx: int, cols: dict[str, int], unit: str,
               crs: str, as_of: str = "9999-12-31") -> LedgerRead:
    lookup = township_lookup()
    factor = UNIT_FACTORS[unit]
    first_row: dict[tuple[Any, ...], int] = {}  # duplicate key -> row number of the kept row it first came from
    kept: list[dict[str, Any]] = []
    skipped: list[tuple[int, str, str]] = []
    warns: list[tuple[int, str, str]] = []
    checks: list[dict[str, Any]] = []
    all_kw = 0.0  # every numeric capacity read (kept or skipped), for the 合计 check
    since_sub = 0.0
    rows_read = 0
    for i in range(hidx + 1, len(filled)):
        row, rownum = filled[i], i + 1
        if _is_blank(raw[i] if i < len(raw) else row):
            continue
        label = _total_label(raw[i] if i < len(raw) else row, cols)
        if label is not None:
            cap = parse_capacity(_cell(raw[i] if i < len(raw) else row, cols["capacity"]))
            if cap is not None:
                want = since_sub if label.startswith("小计") or _norm(label) == "subtotal" else all_kw
                got = cap * factor
                ok = math.isclose(got, want, rel_tol=TOTAL_REL_TOL, abs_tol=TOTAL_ABS_TOL_KW)
                checks.append({"row": rownum, "label": label, "file_kw": got, "sum_kw": round(want, 6), "ok": ok})
            if label.startswith("小计"):
                since_sub = 0.0
            continue
        if _is_note(raw[i] if i < len(raw) else row, cols):
            continue
        rows_read += 1
        rec, zh, en = _parse_row(row, rownum, cols, factor, lookup, warns, as_of)
        if rec.get("capacity_kw") is not None:
            all_kw += rec["capacity_kw"]
            since_sub += rec["capacity_kw"]
        if not zh:
            for key in duplicate_keys(rec):
                if key in first_row:
                    z, e = _named(rec["name"], *_duplicate_reason(key, first_row[key], rec))
                    zh.append(z)
                    en.append(e)
                    break
        if zh:
            skipped.append((rownum, "；".join(zh), "; ".join(en)))
        else:
            kept.append(rec)
            for key in duplicate_keys(rec):
                first_row.setdefault(key, rownum)
    ledger = _frame(kept, crs, warns, dc=unit in DC_UNITS)
    total = float(ledger["capacity_kw"].sum()) if len(ledger) else 0.0
    total_kwp = float(ledger["capacity_kwp"].sum()) if len(ledger) else 0.0
    return LedgerRead(ledger, _issues(skipped), rows_read, total, total_kwp=total_kwp, unit=unit,
                      total_checks=checks, warnings=_issues(sorted(warns)))


def _parse_row(row: list[Any], rownum: int, cols: dict[str, int], factor: float, lookup: dict[str, str],
               warns: list[tuple[int, str, str]], as_of: str = "9999-12-31",
               ) -> tuple[dict[str, Any], list[str], list[str]]:
    """One data row as a record plus the reasons (zh, en) it must be skipped (empty lists when fine).

    ``capacity_kw`` of the record is in the file's basis (kW, or kWp for a DC column; split in :func:`_frame`).
    """
    zh: list[str] = []
    en: list[str] = []
    get = lambda f: _cell(row, cols.get(f))  # noqa: E731
    code = None
    for fld in ("township_code", "township"):
        if fld in cols:
            code = code or _township_code(get(fld), lookup)
    if code is None:
        given = _text(get("township")) or _text(get("township_code"))
        if given:
            zh.append(f"乡镇“{given}”不是{profile().name_zh}的乡镇/街道")
            en.append(f"township {given!r} is not one of {profile().name_en}'s townships")
        else:
            zh.append("缺少乡镇")
            en.append("township missing")
    cap_cell = get("capacity")
    cap = parse_capacity(cap_cell)
    if cap is None:
        shown = _text(cap_cell)
        zh.append(f"装机容量“{shown}”不是数字" if shown else "缺少装机容量")
        en.append(f"capacity {shown!r} is not a number" if shown else "capacity missing")
    elif cap <= 0:
        zh.append(f"装机容量 {_text(cap_cell)} 不大于 0")
        en.append(f"capacity {_text(cap_cell)} is not greater than 0")
    building_class = building_class_of(get("building_class"))
    name = _text(get("name"))
    if cap is not None and cap > 0:
        problem = capacity_problem(building_class, cap * factor)
        if problem:
            z, e = _named(name, *problem)
            zh.append(z)
            en.append(e)
        caveat = capacity_caveat(building_class, cap * factor)
        if caveat:
            warns.append((rownum, *_named(name, *caveat)))
    status = status_of(get("status")) if "status" in cols else None
    if "status" not in cols and "date_grid" in cols:
        status = _connection_status(get("date_grid"), as_of, zh, en)
    elif status is None:
        shown = _text(get("status"))
        zh.append(f"建设状态“{shown}”无法识别（已并网/在建/备案）" if shown else "缺少建设状态")
        en.append(f"status {shown!r} unknown (grid-connected / under construction / filed)" if shown else "status missing")
    date_iso = _row_date(row, cols, status, rownum, warns)
    rec: dict[str, Any] = {
        "row": rownum,
        "id_cell": get("install_id"),
        "name": name,
        "owner": _text(get("owner")),
        "building_class": building_class,
        "address": _text(get("address")),
        "filing_no": _text(get("filing_no")),
        "status": status,
        "capacity_kw": None if cap is None else cap * factor,
        "date": date_iso,
        "township_code": code,
        "lon": get("lon"),
        "lat": get("lat"),
    }
    return rec, zh, en


def _connection_status(cell: Any, as_of: str, zh: list[str], en: list[str]) -> str | None:
    """Status of a row of a connection list (no status column): ``grid_connected`` when its 并网时间 is on or
    before ``as_of``, else None with the reason appended to ``zh`` / ``en``."""
    iso = parse_date(cell)
    if not iso:
        shown = _text(cell)
        zh.append(f"并网时间“{shown}”无法识别（无建设状态列，按并网时间判断是否已并网）" if shown
                  else "缺少并网时间（无建设状态列，按并网时间判断是否已并网）")
        en.append(f"grid-connection date {shown!r} not understood (no status column: the date says whether "
                  "it is connected)" if shown else "grid-connection date missing (no status column: the date "
                  "says whether it is connected)")
        return None
    if iso > as_of:
        zh.append(f"并网时间 {iso} 晚于 {as_of}，尚未并网")
        en.append(f"grid-connection date {iso} is after {as_of}: not yet connected")
        return None
    return "grid_connected"


def _named(name: str, zh: str, en: str) -> tuple[str, str]:
    """A reason (zh, en) led by the row's project name, so the planner finds the row by name too."""
    return (f"“{name}”：{zh}", f"{name!r}: {en}") if name else (zh, en)


def duplicate_keys(rec: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Keys under which two ledger rows are the same installation: ``("filing_no", 备案号)`` when the row has
    one, and ``("same", name, address, township, kW, date)`` when it has a name (texts compared after
    NFKC, case and whitespace folding; kW to 1 W)."""
    keys: list[tuple[Any, ...]] = []
    if _norm(rec.get("filing_no") or ""):
        keys.append(("filing_no", _norm(rec["filing_no"])))
    if _norm(rec.get("name") or "") and rec.get("capacity_kw") is not None:
        keys.append(("same", _norm(rec["name"]), _norm(rec.get("address") or ""), rec.get("township_code"),
                     round(float(rec["capacity_kw"]), 3), rec.get("date") or ""))
    return keys


def _duplicate_reason(key: tuple[Any, ...], first: int, rec: dict[str, Any]) -> tuple[str, str]:
    if key[0] == "filing_no":
        return (f"备案号“{rec['filing_no']}”与第 {first} 行相同（重复的行）",
                f"filing number {rec['filing_no']!r} is the same as row {first}'s (a duplicate row)")
    return (f"与第 {first} 行重复（名称、地址、乡镇、装机容量和日期均相同）",
            f"duplicate of row {first} (same name, address, township, capacity and date)")


def _row_date(row: list[Any], cols: dict[str, int], status: str | None, rownum: int,
              warns: list[tuple[int, str, str]]) -> str:
    """Grid-connection date of a grid-connected row; else the filing / start date; else the plain date column."""
    # a row not yet connected has no grid-connection date: its 并网时间 (if any) is not read
    order = ("date_grid", "date") if status == "grid_connected" else ("date_other", "date")
    for fld in order:
        if fld not in cols:
            continue
        cell = _cell(row, cols[fld])
        iso = parse_date(cell)
        if iso is None:
            warns.append((rownum, f"日期“{_text(cell)}”无法识别，已留空", f"date {_text(cell)!r} not understood, left empty"))
            return ""
        if iso:
            return iso
    return ""


def _frame(kept: list[dict[str, Any]], crs: str, warns: list[tuple[int, str, str]], dc: bool = False) -> gpd.GeoDataFrame:
    """The ledger GeoDataFrame from parsed records: ids, coordinates (or township seats), WGS84.

    ``dc``: the file's capacity column is DC (kWp): it fills ``capacity_kwp`` and ``capacity_kw`` is NaN
    (and the other way round for an AC column)."""
    from cyc_geo.places.townships import read_seats

    n = len(kept)
    ids = [_int_or_none(r["id_cell"]) for r in kept]
    if not (n and all(i is not None and i > 0 for i in ids) and len(set(ids)) == n):
        ids = list(range(1, n + 1))
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    for k, r in enumerate(kept):
        x, y = _coordinate(r["lon"], -180, 180), _coordinate(r["lat"], -90, 90)
        if x is not None and y is not None:
            lon[k], lat[k] = x, y
        elif _text(r["lon"]) or _text(r["lat"]):
            warns.append((r["row"], f"经纬度“{_text(r['lon'])}, {_text(r['lat'])}”无法使用，已放在乡镇驻地",
                          f"coordinates {_text(r['lon'])!r}, {_text(r['lat'])!r} unusable, placed at the township seat"))
    has = ~np.isnan(lon)
    if crs == "GCJ02" and has.any():
        lon[has], lat[has] = gcj02_to_wgs84(lon[has], lat[has])
    seats = read_seats().set_index("code").geometry
    codes = [r["township_code"] for r in kept]
    xs = np.where(has, lon, [seats[c].x for c in codes] if n else [])
    ys = np.where(has, lat, [seats[c].y for c in codes] if n else [])
    df = pd.DataFrame({
        "install_id": pd.Series(ids, dtype="int64"),
        "name": [r["name"] for r in kept],
        "owner": [r["owner"] for r in kept],
        "building_class": [r["building_class"] for r in kept],
        "status": [r["status"] for r in kept],
        "capacity_kw": pd.Series([np.nan if dc else r["capacity_kw"] for r in kept], dtype=float),
        "capacity_kwp": pd.Series([r["capacity_kw"] if dc else np.nan for r in kept], dtype=float),
        "date": [r["date"] for r in kept],
        "township_code": [r["township_code"] for r in kept],
        "has_coords": pd.Series(has, dtype=bool),
    })
    for col in ("name", "owner", "building_class", "status", "date", "township_code"):
        df[col] = df[col].astype(object)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=WGS84)


def _int_or_none(value: Any) -> int | None:
    v = parse_capacity(value)
    return int(v) if v is not None and float(v).is_integer() else None


def yearly_grid_kw(ledger: pd.DataFrame) -> dict[int, float]:
    """{year: kW} of grid-connected capacity by grid-connection year (rows without a date left out)."""
    grid = ledger[(ledger["status"] == "grid_connected") & (ledger["date"] != "")]
    return {int(y): float(v) for y, v in grid.groupby(grid["date"].str[:4])["capacity_kw"].sum().items()}
