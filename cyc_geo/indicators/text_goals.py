"""Goals in the plan's text that 附件1's table does not carry (reported goals, marked as from the text).

``data/reference/plan_text_goals.csv`` copies them from the seed plan: 三、二 "风电装机容量力争达到 4.7 万千瓦" and
"煤炭消费占比下降到 60% 以下" (by 2024), 二、主要目标 "到十四五末，单位生产总值能源消耗比 2020 年下降 16%，非化石能源占
能源消费总量比重达到 11.5%" (by 2025). (The text's PV goal, 7 万千瓦, is catalogue row 19, computed from the ledger.)

They are numbered 101–104 so their reported values share the ``indicator_values`` table with 附件1's rows
(1–19) without clashing; they are entered like the others (``indicators --year Y --set 101=3.2 --actor …``),
validated against their own range and audited (:func:`save_values`). Status: ``comparison`` ``≥`` met at
value ≥ target, ``<`` met below it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo import paths
from cyc_geo.indicators import catalogue as ind

GOALS_PATH = paths.REFERENCE_DIR / "plan_text_goals.csv"
FIRST_NO = 101
"""Numbers of the plan-text goals start here (附件1 and the PV row use 1–19)."""


def load_goals() -> pd.DataFrame:
    """The plan-text goals, indexed by ``no`` (``target`` and the valid range as floats)."""
    df = pd.read_csv(GOALS_PATH, dtype=str, keep_default_na=False, encoding="utf-8")
    df["no"] = df["no"].astype(int)
    for col in ("target", "valid_min", "valid_max"):
        df[col] = df[col].astype(float)
    df["target_year"] = df["target_year"].astype(int)
    return df.set_index("no", drop=False)


def as_catalogue(goals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The goals in the shape :func:`cyc_geo.indicators.catalogue.save_values` validates against (reported rows)."""
    g = load_goals() if goals is None else goals
    return g.assign(source="reported", rule="")


def is_goal(no: Any) -> bool:
    try:
        return int(no) >= FIRST_NO
    except (TypeError, ValueError):
        return False


def save_values(conn: sqlite3.Connection, entries: Iterable[Mapping[str, Any]], actor: str) -> int:
    """Validate and store reported values of the goals (same rules and audit as 附件1's rows)."""
    return ind.save_values(conn, entries, actor, as_catalogue())


def with_values(conn: sqlite3.Connection | None, year: int) -> pd.DataFrame:
    """The goals with the value reported for ``year`` (``value`` NaN if none) and ``status`` met / behind / no data."""
    g = load_goals().copy()
    rep = ind.read_values(conn, year) if conn is not None else pd.DataFrame(columns=["indicator_no", "value"])
    values = dict(zip(rep["indicator_no"].astype(int), rep["value"].astype(float), strict=True))
    g["value"] = [values.get(int(n), np.nan) for n in g["no"]]
    met = np.where(g["comparison"].isin(["≥", ">="]), g["value"] >= g["target"], g["value"] < g["target"])
    g["status"] = np.where(g["value"].isna(), ind.NO_DATA, np.where(met, ind.MET, ind.BEHIND))
    g["origin_note"] = "方案正文，非附件1 / from the plan's text, not Annex 1"
    return g.reset_index(drop=True)
