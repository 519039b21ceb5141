"""Early warning (预警) of the pilot's indicators: is each one on course for its 2024 target?

Rule (docs/sources.md, "Early-warning rule"):

- **Points**: the indicator's 现状值 (the end of :data:`~cyc_geo.indicators.catalogue.PATH_START_YEAR`,
  2021: the plan's baseline) and its actual value (reported, else map estimate, else derived, as
  :func:`cyc_geo.indicators.catalogue.evaluate` resolves it) of every evaluated year up to the year asked.
- **Projection**: the straight line through the last two points, extended to the end of
  :data:`GOAL_YEAR` (2024). With one point the value is held flat; a point of 2024 itself is the projection.
- **Miss**: how far the projection falls short of the 2024 target, relative to the target
  (``higher``: (target − projected) / |target|; ``lower``: (projected − target) / |target|).
- **Status**: ``normal`` (正常) when the projection meets the target (miss ≤ 0); ``watch`` (关注) when it
  misses by at most :data:`ALERT_MISS` (5 %), or when there is no actual value at all (unknown progress
  needs attention); ``alert`` (预警) when it misses by more than 5 %.

  The 5 % threshold is this project's choice, not a standard: 附件1's targets move by about 1–4 % of their
  value a year (e.g. #3 263.17 → 265.23 → 267.25 万吨, #16 181 → 182 → 183 万立方米), so a projected miss
  above 5 % is more than a year's planned step and cannot be closed by ordinary year-on-year progress.
- **What it would take**: the amount still needed (target − latest actual, in the indicator's unit, in
  the direction that helps) and, for PV (#19, the installations ledger), the grid-connected MW still
  needed by 31 Dec 2024 divided by the months left from the as-of date (:func:`pv_needed`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cyc_geo.indicators.catalogue import PATH_START_YEAR

GOAL_YEAR = 2024
"""The pilot's last target year (附件1, column 2024年)."""
ALERT_MISS = 0.05
"""Projected relative miss of the 2024 target above which the status is ``alert`` (see the module rule)."""
NORMAL, WATCH, ALERT = "normal", "watch", "alert"
LEVELS = (NORMAL, WATCH, ALERT)
LABELS = {NORMAL: ("正常", "normal"), WATCH: ("关注", "watch"), ALERT: ("预警", "alert")}
"""Status labels (zh, en)."""
MEAN_MONTH_DAYS = 365.2425 / 12
"""Days of a mean Gregorian month (30.44), for months left to a deadline."""
PV_INDICATOR = 19
"""The PV capacity goal row of the catalogue (70 MW by 2024, plan text 三、二)."""


@dataclass(frozen=True)
class Warning:
    """One indicator's early warning: ``status`` in :data:`LEVELS`; ``projected`` value at the end of 2024;
    ``miss`` relative shortfall (NaN if unknown); ``needed`` amount still needed to the target from the
    latest actual (0 if reached; NaN if unknown); ``basis`` (zh, en) how it was worked out."""

    status: str
    projected: float
    miss: float
    needed: float
    basis: tuple[str, str]

    def label(self, lang: str = "zh") -> str:
        return LABELS[self.status][0 if lang == "zh" else 1]


def _finite(v: object) -> bool:
    return isinstance(v, (int, float, np.floating)) and math.isfinite(float(v))


def project(points: Sequence[tuple[int, float]], goal_year: int = GOAL_YEAR) -> float:
    """The value at the end of ``goal_year`` on the line through the last two ``(year, value)`` points
    (one point: held flat; none: NaN)."""
    pts = sorted((int(y), float(v)) for y, v in points if _finite(v))
    if not pts:
        return float("nan")
    if len(pts) == 1 or pts[-1][0] >= goal_year:
        return pts[-1][1]
    (y1, v1), (y2, v2) = pts[-2], pts[-1]
    return v2 + (v2 - v1) / (y2 - y1) * (goal_year - y2)


def assess(points: Sequence[tuple[int, float]], target: float, direction: str, has_actual: bool = True) -> Warning:
    """The warning of one indicator from its points (baseline and actuals), 2024 target and direction."""
    if not _finite(target):
        nan = float("nan")
        return Warning(WATCH, nan, nan, nan, ("无2024年目标", "no 2024 target"))
    target = float(target)
    if not has_actual:
        nan = float("nan")
        return Warning(WATCH, project(points), nan, nan,
                       ("无实际值，进度不明", "no actual value: progress unknown"))
    projected = project(points)
    sign = 1.0 if direction == "higher" else -1.0
    miss = sign * (target - projected) / max(abs(target), 1e-12)
    latest = sorted((int(y), float(v)) for y, v in points if _finite(v))[-1][1]
    needed = max(0.0, sign * (target - latest))
    status = NORMAL if miss <= 1e-9 else (WATCH if miss <= ALERT_MISS else ALERT)
    pct = f"{100 * miss:.1f}%"
    if status == NORMAL:
        basis = (f"按近两点线性趋势，2024年预计 {projected:.4g}，可达目标 {target:g}",
                 f"linear trend of the last two points projects {projected:.4g} in 2024, meeting the target {target:g}")
    else:
        basis = (f"按近两点线性趋势，2024年预计 {projected:.4g}，较目标 {target:g} 差 {pct}",
                 f"linear trend of the last two points projects {projected:.4g} in 2024, missing the target {target:g} "
                 f"by {pct}")
    return Warning(status, projected, miss, needed, basis)


def warnings(long: pd.DataFrame, catalogue: pd.DataFrame, up_to: int) -> dict[int, Warning]:
    """The warning of every indicator as of the evaluated year ``up_to``.

    ``long``: evaluated rows of one or more years (``no, year, value``; :func:`cyc_geo.indicators.evaluation.evaluate_years`);
    ``catalogue``: baseline (现状值, end of 2021), ``target_2024`` and ``direction``.
    """
    cat = catalogue.set_index("no", drop=False)
    rows = long[long["year"] <= up_to]
    out: dict[int, Warning] = {}
    for no, r in cat.iterrows():
        own = rows[rows["no"] == no]
        actuals = [(int(y), float(v)) for y, v in zip(own["year"], own["value"], strict=True) if _finite(v)]
        points = ([(PATH_START_YEAR, float(r["baseline"]))] if _finite(r["baseline"]) else []) + actuals
        out[int(no)] = assess(points, r.get(f"target_{GOAL_YEAR}", float("nan")), str(r["direction"]), bool(actuals))
    return out


# ---------------------------------------------------------------- PV: what it would take


@dataclass(frozen=True)
class PvNeed:
    """PV still needed to the 70 MW goal: ``installed_mw`` at ``as_of``, ``needed_mw`` to the goal, ``months_left``
    to 31 Dec 2024 and ``per_month_mw`` (None once the deadline has passed)."""

    as_of: pd.Timestamp
    installed_mw: float
    needed_mw: float
    months_left: float
    per_month_mw: float | None


def months_left(as_of: pd.Timestamp, goal_year: int = GOAL_YEAR) -> float:
    """Months from ``as_of`` to 31 Dec of ``goal_year``: days / :data:`MEAN_MONTH_DAYS`, at least one month while
    any day is left (the last month's additions still count), 0 after the deadline."""
    days = (pd.Timestamp(goal_year, 12, 31) - pd.Timestamp(as_of)).days
    return 0.0 if days <= 0 else max(days / MEAN_MONTH_DAYS, 1.0)


def ledger_as_of(ledger: pd.DataFrame, today: pd.Timestamp | None = None) -> pd.Timestamp:
    """The date the ledger speaks for: its latest grid-connection date, but never after ``today``."""
    from cyc_geo.pv.progress import as_of_date, connection_dates

    today = as_of_date() if today is None else pd.Timestamp(today)
    latest = connection_dates(ledger).max()
    return today if pd.isna(latest) else min(pd.Timestamp(latest), today)


def pv_needed(ledger: pd.DataFrame, as_of: pd.Timestamp, opening=None, goal_mw: float | None = None) -> PvNeed:
    """Grid-connected MW still needed by 31 Dec 2024 (70 MW goal, ``cyc_geo.pv.progress``) and per month left."""
    from cyc_geo.pv.progress import GOAL_MW, installed_mw

    goal = GOAL_MW if goal_mw is None else goal_mw
    installed = installed_mw(ledger, pd.Timestamp(as_of), opening)
    needed = max(0.0, goal - installed)
    months = months_left(pd.Timestamp(as_of))
    per_month = None if months <= 0 else needed / months
    return PvNeed(pd.Timestamp(as_of), installed, needed, months, per_month)


def pv_needed_now(as_of: str | None = None, year: int | None = None) -> PvNeed:
    """:func:`pv_needed` on the current ledger (with app edits) and opening stock; ``as_of`` ``YYYY-MM-DD`` or
    None for :func:`ledger_as_of`, not after 31 Dec of ``year`` (the year evaluated) when one is given."""
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.opening_stock import load_opening_stock
    from cyc_geo.pv.progress import as_of_date

    ledger = load_ledger()
    date = ledger_as_of(ledger) if as_of is None else as_of_date(as_of)
    if as_of is None and year is not None:
        date = min(date, pd.Timestamp(int(year), 12, 31))
    return pv_needed(ledger, date, load_opening_stock())
