"""The PV opening stock: 截至 YYYY 年底累计并网容量, the grid-connected capacity before the ledger starts.

A planner's ledger (台账) often lists only the projects of 2022 and later, so counting its rows alone
understates the installed capacity by everything connected before. The opening stock is one dated
figure (AC MW, the unit the goal is counted in: docs/sources.md, "PV capacity: AC and DC") with its
source (e.g. the county 供电公司's statistics), entered by a signed-in editor on the PV page or with
``python -m cyc_geo pv opening-stock --set MW --as-of YYYY-MM-DD --source TEXT --actor NAME``.
Progress at a date on or after ``as_of`` is the opening stock plus the ledger's grid-connected rows
connected *after* ``as_of`` (:mod:`cyc_geo.pv.progress`).

Stored in the ``pv_opening_stock`` table (one row); every set or clear is audited in the same
transaction (entity :data:`AUDIT_ENTITY`, who / when / old / new), as the other audited saves.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from cyc_geo import db
from cyc_geo.places.profile import profile

AUDIT_ENTITY = "pv_opening_stock"
AUDIT_KEY = "county"
MAX_MW = 5000.0
"""Largest opening stock accepted, MW: indicator 19's valid range (data/reference/indicators.csv, valid_max)."""


@dataclass(frozen=True)
class OpeningStock:
    """Grid-connected PV capacity at the end of ``as_of`` (AC MW), with its source and who entered it."""

    mw: float
    as_of: str
    """ISO ``YYYY-MM-DD``: the capacity is the cumulative connected on or before this day."""
    source: str
    updated_by: str = ""
    updated_at: str = ""

    @property
    def date(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of)

    def label(self, zh: bool = True) -> str:
        """``截至 2021 年底累计并网容量`` (a 31 December date) or ``截至 2021-06-30 累计并网容量``."""
        d = self.date
        year_end = d.month == 12 and d.day == 31
        if zh:
            return f"截至 {d.year} 年底累计并网容量" if year_end else f"截至 {self.as_of} 累计并网容量"
        return f"grid-connected capacity at the end of {d.year}" if year_end else f"grid-connected capacity on {self.as_of}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mw": round(float(self.mw), 4), "label_zh": self.label(True),
                "label_en": self.label(False)}


def clean(mw: Any, as_of: Any, source: Any) -> tuple[float, str, str]:
    """Validated (MW, ISO date, source); ``ValueError`` with every problem in Chinese and English."""
    errors: list[str] = []
    try:
        value = float(mw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0 or value > MAX_MW:
        errors.append(f"期初容量须为 0–{MAX_MW:,.0f} MW 的数字 / the opening stock must be a number of 0–{MAX_MW:,.0f} MW")
    text = str(as_of or "").strip()
    ts = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce") if text else pd.NaT
    if pd.isna(ts):
        errors.append("截至日期须为 YYYY-MM-DD / the as-of date must be YYYY-MM-DD")
    src = str(source or "").strip()
    if not src:
        errors.append(f"需要数据来源（如：{profile().grid_company_zh}统计） / a source is required (e.g. the grid company's statistics)")
    if errors:
        raise ValueError("; ".join(errors))
    return value, ts.strftime("%Y-%m-%d"), src


def read_opening_stock(conn: sqlite3.Connection) -> OpeningStock | None:
    """The stored opening stock, or None when none has been entered."""
    row = conn.execute("SELECT mw, as_of, source, updated_by, updated_at FROM pv_opening_stock WHERE id = 1").fetchone()
    if row is None:
        return None
    return OpeningStock(float(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]))


def load_opening_stock() -> OpeningStock | None:
    """:func:`read_opening_stock` of the default database."""
    conn = db.connect()
    try:
        return read_opening_stock(conn)
    finally:
        conn.close()


def _stored(stock: OpeningStock | None) -> dict[str, Any] | None:
    return None if stock is None else {"mw": stock.mw, "as_of": stock.as_of, "source": stock.source}


def save_opening_stock(conn: sqlite3.Connection, mw: Any, as_of: Any, source: Any, actor: str) -> OpeningStock:
    """Store the opening stock (replacing any earlier one), audited in the same transaction; returns it."""
    if not actor or not str(actor).strip():
        raise ValueError("需要编辑人 / an actor name is required")
    value, day, src = clean(mw, as_of, source)
    with db.transaction(conn):
        old = read_opening_stock(conn)
        now = db.now_iso()
        conn.execute(
            "INSERT INTO pv_opening_stock(id, mw, as_of, source, updated_by, updated_at) VALUES (1,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET mw=excluded.mw, as_of=excluded.as_of, source=excluded.source, "
            "updated_by=excluded.updated_by, updated_at=excluded.updated_at",
            (value, day, src, str(actor).strip(), now),
        )
        new = OpeningStock(value, day, src, str(actor).strip(), now)
        db.audit(conn, str(actor).strip(), AUDIT_ENTITY, AUDIT_KEY, "insert" if old is None else "update",
                 _stored(old), _stored(new))
    return new


def clear_opening_stock(conn: sqlite3.Connection, actor: str) -> bool:
    """Remove the opening stock (audited); False when there was none."""
    if not actor or not str(actor).strip():
        raise ValueError("需要编辑人 / an actor name is required")
    with db.transaction(conn):
        old = read_opening_stock(conn)
        if old is None:
            return False
        conn.execute("DELETE FROM pv_opening_stock WHERE id = 1")
        db.audit(conn, str(actor).strip(), AUDIT_ENTITY, AUDIT_KEY, "delete", _stored(old), None)
    return True
