"""What every exported file says about itself, and how numbers are rounded for filing.

Times are shown in Beijing time (Asia/Shanghai), the zone planners work in. Rounding follows
how 附件1 of the plan prints each unit (``PLAN_DECIMALS``): see docs/sources.md, "Rounding of
exported figures".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

DEMO_NOTE = (
    "演示数据：含演示图层，数值仅供演示，非官方数据",
    "Demo data: includes demo layers; figures are for demonstration only, not official",
)
"""The demo note every export carries while any input is demo (zh, en)."""

DEMO_LABEL = ("数据性质", "Data status")
"""The header-block label in front of the demo note (zh, en)."""

MISSING = "—"
"""What a missing value looks like in every table and export."""

PLAN_DECIMALS: dict[str, int] = {
    "万t": 2, "万tCO2": 2, "万吨": 2, "万tce": 2, "万m³": 2, "万千瓦": 2,
    "MW": 1, "kW": 0, "GWh": 1, "MWh": 0, "kWh/kWp": 0,
    "%": 1, "t": 0, "tce": 0, "tCO2": 0, "ha": 2, "亩": 1, "mu": 1, "m²": 0, "km²": 2,
    "万立方米": 2, "吨/万元": 3, "吨/人": 2,
}
"""Decimals by unit, as the plan's tables print them (docs/sources.md, "Rounding of exported figures")."""


def beijing_now() -> dt.datetime:
    """The current time in Beijing (Asia/Shanghai), to the second."""
    return dt.datetime.now(BEIJING).replace(microsecond=0)


def beijing_time(value: Any) -> str:
    """An ISO or datetime timestamp (UTC if it carries no zone) as ``YYYY-MM-DD HH:MM`` Beijing time;
    ``MISSING`` for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return MISSING
    ts = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def round_for_unit(value: Any, unit: str | None, default: int = 2) -> Any:
    """``value`` rounded to the decimals the plan prints for ``unit``; non-numbers pass through,
    NaN/inf become ``None`` (shown as ``MISSING``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    digits = PLAN_DECIMALS.get(unit or "", default)
    out = round(float(value), digits)
    return int(out) if digits == 0 else out


def fmt(value: Any, unit: str | None = None) -> str:
    """A value as printed in a report or shown in a table: rounded for its unit (:func:`round_for_unit`) with
    thousands separators, ``MISSING`` when missing (None, NaN, inf); text passes through."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        r = round_for_unit(value, unit)
        return MISSING if r is None else f"{r:,}"
    return str(value)


@dataclass
class ExportMeta:
    """The header block of an export.

    ``title``: a pair (zh, en) or one string; ``filters``: what was chosen to make it (scenario,
    year, layers …) as label → value; ``sources``: one line per data source, with its data year;
    ``demo``: whether any input is demo data; ``lang``: ``zh`` or ``en`` (which label of a pair
    comes first).
    """

    title: tuple[str, str] | str
    lang: str = "zh"
    filters: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    demo: bool = False
    made_at: dt.datetime = field(default_factory=beijing_now)

    def text(self, pair: tuple[str, str] | str) -> str:
        """One label in the export's language."""
        if isinstance(pair, str):
            return pair
        return pair[0] if self.lang == "zh" else pair[1]

    @property
    def title_text(self) -> str:
        return self.text(self.title)

    @property
    def date_text(self) -> str:
        return self.made_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") + (" 北京时间" if self.lang == "zh" else " Beijing time")

    def header_lines(self) -> list[tuple[str, str]]:
        """(label, value) rows: date, each filter, each source, and the demo note."""
        zh = self.lang == "zh"
        rows = [("导出时间" if zh else "Exported", self.date_text)]
        rows += [(str(k), MISSING if v is None else str(v)) for k, v in self.filters.items()]
        rows += [("数据来源" if zh else "Data source", s) for s in self.sources]
        if self.demo:
            rows.append((DEMO_LABEL[0] if zh else DEMO_LABEL[1], self.text(DEMO_NOTE)))
        return rows
