"""Progress toward the 70 MW goal from the installations ledger (installed capacity, never potential).

The plan's goal is *installed* PV: 光伏装机容量力争达到 7 万千瓦 (70 MW) by 2024 (docs/sources.md,
"Plan goals"). Everything here is judged on grid-connected rows of the ledger
(:mod:`cyc_geo.pv.installations`); the pipeline (under construction + filed) and the rooftop
technical potential are reported beside it and can never make the goal ``met``.

Rules (docs/sources.md, "PV progress rules"):

- **Unit**: AC capacity (``capacity_kw``, 并网容量), the unit the goal is counted in (docs/sources.md,
  "PV capacity: AC and DC"). Rows known only in DC (``capacity_kwp``) are never converted: they are
  reported apart (``installed_dc_only_mwp``) and do not count toward the goal.
- **Opening stock** (:mod:`cyc_geo.pv.opening_stock`, 截至 YYYY 年底累计并网容量): when one is entered,
  installed capacity at a date on or after its ``as_of`` is the opening stock plus the ledger rows
  connected *after* ``as_of`` (the rows before are in the opening stock). Before ``as_of`` the ledger
  alone counts (the opening stock says nothing about earlier dates).
- **Installed at a date**: a ``grid_connected`` row whose grid-connection date is on or before
  the date. A ``grid_connected`` row *without* a date is dated at the latest moment it can have
  been connected: the end of the ledger's ``data_year`` (``attrs["meta"]``), else today (the
  ledger says it is connected now, but not since when: it counts for today and for no earlier
  date). Other statuses are never installed.
- **Pipeline**: ``under_construction`` and ``filed`` rows dated on or before the as-of date (or
  undated).
- **Goal status**: once the goal year has ended (as-of after 2024-12-31) ``met`` / ``not_met`` on
  the cumulative installed at 2024-12-31; before that ``on_track`` / ``behind`` against a linear
  path from the installed capacity at the end of 2021 (the year before 附件1's first target year)
  to 70 MW at the end of 2024 (``on_track`` up to the path's start).
- **Gap**: 70 MW minus the installed capacity at the end of the goal year (or at the as-of date
  if that is earlier), never below zero.
- **Remaining potential**: the technical potential (:func:`cyc_geo.pv.model.estimate`, default
  NEA-share scenario) of the roofs that carry no installation point yet (a point of any status
  with real coordinates inside the roof).
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as Date
from typing import Any, TypeGuard, overload

import geopandas as gpd
import numpy as np
import pandas as pd

from cyc_geo.pv import model as pv
from cyc_geo.pv.installations import PIPELINE
from cyc_geo.pv.opening_stock import OpeningStock
from cyc_geo.pv.params import NEA_ADOPTION, Scenario
from cyc_geo.pv.plan import GOAL_MW

GOAL_MW = GOAL_MW
"""70 MW installed by the end of :data:`GOAL_YEAR` (docs/sources.md, "Plan goals")."""
GOAL_YEAR = 2024
"""The goal's year (docs/sources.md, "Plan goals")."""
BASELINE_YEAR = 2021
"""Start of the linear path: the end of the year before 附件1's first target year 2022 (docs/sources.md, "PV progress rules")."""

MET, NOT_MET, ON_TRACK, BEHIND = "met", "not_met", "on_track", "behind"
STATUS_LABELS = {MET: ("已达标", "met"), NOT_MET: ("未达标", "not met"), ON_TRACK: ("进度正常", "on track"),
                 BEHIND: ("进度落后", "behind")}


def as_of_date(value: str | Date | None = None) -> pd.Timestamp:
    """The as-of date as a Timestamp (None: today, UTC); ``ValueError`` for a bad date string."""
    if value is None:
        return pd.Timestamp(datetime.now(UTC).date())
    ts = pd.to_datetime(value, errors="coerce")
    if pd.isna(ts):
        raise ValueError(f"日期无效 / invalid date {value!r} (YYYY-MM-DD)")
    return pd.Timestamp(ts.date())


def year_end(year: int) -> pd.Timestamp:
    """31 December of ``year``."""
    return pd.Timestamp(int(year), 12, 31)


def connection_dates(ledger: pd.DataFrame) -> pd.Series:
    """Grid-connection date of each ``grid_connected`` row (undated rows: see the module rules); NaT for the others."""
    data_year = str((ledger.attrs.get("meta") or {}).get("data_year", "")).strip()
    fallback = year_end(int(data_year)) if data_year.isdigit() else as_of_date()
    dates = pd.to_datetime(ledger["date"].astype(str).replace("", None), errors="coerce")
    dates = dates.fillna(fallback)
    return dates.where(ledger["status"].astype(str) == "grid_connected")


def _applies(opening: OpeningStock | None, as_of: pd.Timestamp) -> TypeGuard[OpeningStock]:
    """The opening stock counts on ``as_of`` (it exists and ``as_of`` is on or after its date)."""
    return opening is not None and as_of >= opening.date


def installed_rows(ledger: pd.DataFrame, as_of: pd.Timestamp, opening: OpeningStock | None = None) -> pd.DataFrame:
    """The ledger rows installed (grid-connected) on ``as_of``, with their ``connected`` date; with an
    opening stock that applies, only those connected after its date (the others are in it)."""
    dates = connection_dates(ledger)
    out = pd.DataFrame(ledger.drop(columns="geometry", errors="ignore")).assign(connected=dates)
    keep = dates.notna() & (dates <= as_of)
    if _applies(opening, as_of):
        keep &= dates > opening.date
    return out[keep]


def installations_as_of(ledger: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    """The installations the map shows for ``year``: the ledger rows grid-connected by 31 Dec of ``year``
    (the "installed at a date" rule of the module docstring), every column and the geometry kept, in ledger
    order. Rows under construction or filed are never in it (the ledger holds their status of today only)."""
    dates = connection_dates(ledger)
    keep = (dates.notna() & (dates <= year_end(year))).to_numpy()
    out = ledger[keep].copy()
    out.attrs = {**ledger.attrs, "meta": {**(ledger.attrs.get("meta") or {}), "as_of": f"{int(year)}-12-31"}}
    return out


def ledger_for_year(year: int) -> gpd.GeoDataFrame:
    """``year_frame`` of layer ``pv_installations``: :func:`installations_as_of` of the catalogue's ledger."""
    from cyc_geo.pv.installations import load_installations

    return installations_as_of(load_installations(), year)


def installed_mw(ledger: pd.DataFrame, as_of: pd.Timestamp, opening: OpeningStock | None = None) -> float:
    """Installed (grid-connected) AC capacity on ``as_of``, MW: the opening stock (if it applies) plus the ledger rows."""
    base = float(opening.mw) if _applies(opening, as_of) else 0.0
    return base + float(installed_rows(ledger, as_of, opening)["capacity_kw"].sum() / 1000.0)


def installed_dc_only_mwp(ledger: pd.DataFrame, as_of: pd.Timestamp, opening: OpeningStock | None = None) -> float:
    """DC capacity (MWp) of installed rows known only in kWp: not counted toward the AC goal, shown apart."""
    rows = installed_rows(ledger, as_of, opening)
    if "capacity_kwp" not in rows.columns:
        return 0.0
    dc_only = rows["capacity_kw"].isna()
    return float(rows.loc[dc_only, "capacity_kwp"].sum() / 1000.0)


def pipeline_mw(ledger: pd.DataFrame, as_of: pd.Timestamp) -> float:
    """Under-construction plus filed capacity on ``as_of`` (rows dated on or before it, or undated), MW."""
    dates = pd.to_datetime(ledger["date"].astype(str).replace("", None), errors="coerce")
    rows = ledger["status"].isin(PIPELINE) & (dates.isna() | (dates <= as_of))
    return float(ledger.loc[rows, "capacity_kw"].sum() / 1000.0)


def by_year(ledger: pd.DataFrame, as_of: pd.Timestamp, opening: OpeningStock | None = None) -> pd.DataFrame:
    """Installed capacity added in each year and cumulative at each year end (the as-of year: at as-of), MW.

    One row per year from the first grid connection (or the opening stock's year, when it applies) to
    the as-of year (``year``, ``added_mw``, ``cumulative_mw``; the cumulative starts from the opening
    stock, which is not an addition of its year); empty when nothing is installed.
    """
    rows = installed_rows(ledger, as_of, opening)
    base = float(opening.mw) if _applies(opening, as_of) else 0.0
    if rows.empty and not _applies(opening, as_of):
        return pd.DataFrame({"year": pd.Series(dtype=int), "added_mw": pd.Series(dtype=float),
                             "cumulative_mw": pd.Series(dtype=float)})
    first = int(opening.date.year) if _applies(opening, as_of) else int(rows["connected"].dt.year.min())
    years = np.arange(first, int(as_of.year) + 1)
    added = rows.groupby(rows["connected"].dt.year)["capacity_kw"].sum().reindex(years, fill_value=0.0) / 1000.0
    return pd.DataFrame({"year": years.astype(int), "added_mw": added.to_numpy(float),
                         "cumulative_mw": base + added.cumsum().to_numpy(float)})


def cumulative_at_year_end(ledger: pd.DataFrame, year: int, opening: OpeningStock | None = None) -> float:
    """Installed capacity at the end of ``year``, MW (the value of indicator 19 for that year)."""
    return installed_mw(ledger, year_end(year), opening)


def by_township(ledger: pd.DataFrame, as_of: pd.Timestamp, townships: pd.DataFrame,
                opening: OpeningStock | None = None) -> pd.DataFrame:
    """Installed MW per township (``code``, ``name``, ``name_en``, ``installed_mw``), every township, largest first.

    Ledger rows only: the opening stock is a county figure without townships, so with one the
    townships add up to the installed capacity minus the opening stock.
    """
    rows = installed_rows(ledger, as_of, opening)
    mw = rows.groupby(rows["township_code"].astype(str))["capacity_kw"].sum() / 1000.0
    out = pd.DataFrame(townships[["code", "name", "name_en"]]).astype({"code": str})
    out["installed_mw"] = out["code"].map(mw).fillna(0.0).astype(float)
    return out.sort_values(["installed_mw", "code"], ascending=[False, True]).reset_index(drop=True)


def by_type(ledger: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Installed and pipeline MW per building class (``building_class``, ``installed_mw``, ``pipeline_mw``)."""
    inst = installed_rows(ledger, as_of).groupby("building_class")["capacity_kw"].sum() / 1000.0
    pipe = ledger[ledger["status"].isin(PIPELINE)].groupby("building_class")["capacity_kw"].sum() / 1000.0
    out = pd.DataFrame({"installed_mw": inst, "pipeline_mw": pipe}).fillna(0.0)
    out.index.name = "building_class"
    return out.reset_index().sort_values("installed_mw", ascending=False).reset_index(drop=True)


def expected_on_path(baseline_mw: float, as_of: pd.Timestamp, goal_mw: float = GOAL_MW) -> float:
    """The linear path's capacity on ``as_of``: ``baseline_mw`` at the end of 2021 to ``goal_mw`` at the end of 2024, MW."""
    start, end = year_end(BASELINE_YEAR), year_end(GOAL_YEAR)
    frac = min(max((as_of - start) / (end - start), 0.0), 1.0)
    return float(baseline_mw + (goal_mw - baseline_mw) * frac)


def goal_status(ledger: pd.DataFrame, as_of: pd.Timestamp, goal_mw: float = GOAL_MW,
                opening: OpeningStock | None = None) -> str:
    """``met`` / ``not_met`` after the goal year, else ``on_track`` / ``behind`` (installed capacity only)."""
    tol = 1e-9 * max(1.0, goal_mw)
    if as_of > year_end(GOAL_YEAR):
        return MET if cumulative_at_year_end(ledger, GOAL_YEAR, opening) >= goal_mw - tol else NOT_MET
    if as_of <= year_end(BASELINE_YEAR):
        return ON_TRACK  # the path starts at the end of 2021
    path = expected_on_path(cumulative_at_year_end(ledger, BASELINE_YEAR, opening), as_of, goal_mw)
    return ON_TRACK if installed_mw(ledger, as_of, opening) >= path - tol else BEHIND


def gap_mw(ledger: pd.DataFrame, as_of: pd.Timestamp, goal_mw: float = GOAL_MW,
           opening: OpeningStock | None = None) -> float:
    """MW still missing to the goal at the end of the goal year (or at ``as_of`` if earlier), ≥ 0."""
    return max(0.0, goal_mw - installed_mw(ledger, min(as_of, year_end(GOAL_YEAR)), opening))


# ---------------------------------------------------------------- remaining potential


def roofs_with_pv(roofs: gpd.GeoDataFrame, ledger: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean per roof: an installation point (any status, real coordinates) lies in the roof."""
    pts = ledger[ledger["has_coords"].astype(bool)].to_crs(roofs.crs)
    hit = np.zeros(len(roofs), dtype=bool)
    if len(pts):
        _, roof_idx = roofs.sindex.query(pts.geometry.to_numpy(), predicate="intersects")
        hit[np.unique(roof_idx)] = True
    return hit


def remaining_potential(roofs: gpd.GeoDataFrame, ledger: gpd.GeoDataFrame,
                        scenario: Scenario | None = None) -> pd.DataFrame:
    """Per-roof technical potential (:func:`cyc_geo.pv.model.estimate`, default NEA shares) of roofs carrying no PV yet."""
    free = ~roofs_with_pv(roofs, ledger)
    table = pd.DataFrame(roofs.loc[free].drop(columns="geometry"))
    return pv.estimate(table, scenario)


def remaining_by_township(remaining: pd.DataFrame, townships: pd.DataFrame) -> pd.DataFrame:
    """Remaining potential per township (``code``, ``name``, ``name_en``, ``potential_mw``), largest first."""
    mw = remaining.groupby(remaining["township_code"].astype(str))["capacity_kw"].sum() / 1000.0
    out = pd.DataFrame(townships[["code", "name", "name_en"]]).astype({"code": str})
    out["potential_mw"] = out["code"].map(mw).fillna(0.0).astype(float)
    return out.sort_values(["potential_mw", "code"], ascending=[False, True]).reset_index(drop=True)


def share_to_close(gap: float, potential_mw: float) -> float | None:
    """Fraction of the NEA-share potential of the free roofs that closes ``gap`` (MW); None when there is no potential.

    Capacity is proportional to the adoption shares (:mod:`cyc_geo.pv.goal`), so building this
    fraction of every NEA share (docs/sources.md, "NEA rooftop shares") on the free roofs adds ``gap``.
    """
    if gap <= 0:
        return 0.0
    return None if potential_mw <= 0 else float(gap / potential_mw)


@overload
def nea_shares_to_close(fraction: float) -> dict[str, float]: ...
@overload
def nea_shares_to_close(fraction: None) -> None: ...
def nea_shares_to_close(fraction: float | None) -> dict[str, float] | None:
    """Adoption share per class (NEA share × ``fraction``, capped at 1) that closes the gap; None when impossible."""
    if fraction is None:
        return None
    return {c: min(1.0, s * fraction) for c, s in NEA_ADOPTION.items()}


# ---------------------------------------------------------------- summaries


def is_demo(ledger: pd.DataFrame) -> bool:
    """True when the ledger's provenance says demo."""
    return str((ledger.attrs.get("meta") or {}).get("demo", "false")).lower() == "true"


def _r(mw: float) -> float:
    return round(float(mw), 4)


def progress_summary(ledger: gpd.GeoDataFrame, as_of: pd.Timestamp, townships: pd.DataFrame,
                     roofs: gpd.GeoDataFrame | None = None, remaining: pd.DataFrame | None = None,
                     opening: OpeningStock | None = None) -> dict[str, Any]:
    """Everything the ``pv progress`` command and the PV page show (the CLI's JSON keys).

    Capacities in MW (AC) rounded to 4 decimals (0.1 kW). ``roofs``: the rooftops for the remaining
    potential, or ``remaining`` its precomputed :func:`remaining_potential` (neither: not computed,
    ``remaining_potential_mw`` None). ``opening``: the opening stock (:mod:`cyc_geo.pv.opening_stock`),
    reported under ``opening_stock`` with ``opening_stock_applied`` (False before its date).
    """
    gap = gap_mw(ledger, as_of, opening=opening)
    years = by_year(ledger, as_of, opening)
    if remaining is None and roofs is not None:
        remaining = remaining_potential(roofs, ledger)
    potential = None if remaining is None else float(remaining["capacity_kw"].sum() / 1000.0)
    share = None if potential is None else share_to_close(gap, potential)
    towns = by_township(ledger, as_of, townships, opening)
    return {
        "goal_mw": GOAL_MW, "goal_year": GOAL_YEAR, "as_of": as_of.strftime("%Y-%m-%d"),
        "capacity_basis": "AC",
        "installed_mw": _r(installed_mw(ledger, as_of, opening)),
        "opening_stock": None if opening is None else opening.as_dict(),
        "opening_stock_applied": _applies(opening, as_of),
        "ledger_installed_mw": _r(installed_rows(ledger, as_of, opening)["capacity_kw"].sum() / 1000.0),
        "installed_dc_only_mwp": _r(installed_dc_only_mwp(ledger, as_of, opening)),
        "by_year": [{"year": int(r.year), "added_mw": _r(r.added_mw), "cumulative_mw": _r(r.cumulative_mw)}
                    for r in years.itertuples()],
        "pipeline_mw": _r(pipeline_mw(ledger, as_of)),
        "goal_status": goal_status(ledger, as_of, opening=opening), "gap_mw": _r(gap),
        "by_township": [{"code": r.code, "name": r.name, "installed_mw": _r(r.installed_mw)}
                        for r in towns.itertuples()],
        "remaining_potential_mw": None if potential is None else _r(potential), "share_to_close": share,
        "demo": is_demo(ledger),
    }


def installed_indicator_mw(year: int | None = None) -> float:
    """Indicator 19's actual: cumulative grid-connected AC MW at the end of ``year``: the opening stock (if
    entered and dated on or before then) plus the ledger's rows (with app edits).

    ``year`` None: today's installed capacity.
    """
    from cyc_geo.pv.installations import load_ledger
    from cyc_geo.pv.opening_stock import load_opening_stock

    ledger, opening = load_ledger(), load_opening_stock()
    if year is None:
        return installed_mw(ledger, as_of_date(), opening)
    return cumulative_at_year_end(ledger, int(year), opening)


# a function attribute read by the indicator catalogue (getattr); mypy does not model attributes on functions
installed_indicator_mw.value_label = "装机台账（年末已并网）/ installations ledger, grid-connected at year end"  # type: ignore[attr-defined]
