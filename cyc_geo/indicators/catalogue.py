"""The pilot's construction indicators (附件1): catalogue, actual values, status.

The catalogue is data, not code: ``data/reference/indicators.csv`` holds the 18
rows of 附件1 of the seed plan (碳达峰试点县（市）建设指标任务分解表) with every
column in Chinese, plus English titles, a direction, a source type and a valid
range, and one extra goal row (序号 19) for the PV target of the plan's text
(三、二: “光伏装机容量力争达到 7 万千瓦” = 70 MW by 2024), marked by ``origin``.

Every evaluated row carries up to three figures (the row layout, :func:`evaluate`):

- ``reported`` (:class:`ReportedValue`): the value a department reported for that year, stored in the
  ``indicator_values`` table (value, unit, year, who, when, note/source); None if nothing is reported;
- ``map_estimate`` (:class:`MapEstimate`, spatial indicators only): the provider's value (``rule``,
  ``module:function``) with the data year of the layer version it used, the method and a note naming the
  version; ``scored`` says whether it is the year's actual;
- ``value`` (JSON ``actual``): the one figure the status uses, and ``value_source`` says which it is.

The actual of a year is, in this order:

1. the reported value (for spatial indicators the bureau's figure is the official one);
2. ``source == "spatial"``: the map estimate, but only when it describes that year: a value with a data
   year (a provider that returns a :class:`cyc_geo.catalog.provenance.DatedValue`: the forest indicators
   #4 and #16, ``cyc_geo.carbon.forest:sink_by_year`` / ``stock_by_year``) counts only when its data year is
   the evaluated year; a version of an earlier year, or dated-provider data without a data year, is shown
   as the map estimate and not scored. A provider that returns a plain number is a year-end figure of that year
   (#19, the installed PV at the end of the year from the installations ledger,
   ``cyc_geo.pv.progress:installed_indicator_mw``). A missing or failing provider gives 无数据 and a reason;
3. ``source == "derived"``: the formula in ``rule`` on the *reported* values of its inputs only
   (``#3 - #4``: net CO2 = reported total − reported sink; never the map's modelled uptake), which the
   seed's table satisfies for the baseline and every target year;
4. otherwise no value (无数据, “not reported”).

Some rows also carry ``reference`` (:class:`ReferenceFigure`), a figure shown beside the indicator and
never scored (:data:`REFERENCE_FIGURES`: beside #5 the IPCC 2006 stock-difference net sink of the plan's
stock path).

Status (达标 / 未达标 / 无数据) compares the value with the selected year's
target using the indicator's direction: ``higher`` is met when value ≥ target,
``lower`` when value ≤ target (e.g. 二氧化碳排放总量: the targets rise year on
year but they are caps, so lower is better). A year the plan sets no target for
(#19 in 2022 and 2023: the plan's text gives only 70 MW by 2024) shows its value with
无年度目标 (no annual target) and, for reference only, the linear path
(``reference_path``) from the value at the end of :data:`PATH_START_YEAR` (the 现状值 if
the catalogue has one, else the provider's value for that year) to the last target
(:func:`linear_path`); it is never scored against that path.

Writes take an explicit ``actor``, are validated first (numbers only, within the
indicator's valid range; nothing is written if any entry is bad) and are applied
with their audit records in one :func:`cyc_geo.db.transaction`.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cyc_geo import db
from cyc_geo.places.profile import MissingTable, profile

CATALOGUE_PATH = profile().indicators

#: Target years of 附件1 (columns 2022年 / 2023年 / 2024年).
YEARS: tuple[int, ...] = (2022, 2023, 2024)

#: The 附件1 columns, in the seed's order, and the names used in code.
ANNEX_COLUMNS: dict[str, str] = {
    "序号": "no",
    "领域": "domain",
    "指标": "name",
    "单位": "unit",
    "现状值": "baseline",
    "2022年": "target_2022",
    "2023年": "target_2023",
    "2024年": "target_2024",
    "牵头单位": "lead",
    "配合单位": "partners",
}
EXTRA_COLUMNS = ["name_en", "domain_en", "unit_en", "direction", "source", "rule", "valid_min", "valid_max", "origin"]

DIRECTIONS = ("higher", "lower")
SOURCES = ("reported", "spatial", "derived")

MET, BEHIND, NO_DATA, NO_TARGET = "达标", "未达标", "无数据", "无年度目标"
STATUS_EN = {MET: "on track", BEHIND: "behind", NO_DATA: "no data", NO_TARGET: "no annual target"}

#: Start of the reference path of a year without a target: the end of the year before 附件1's first
#: target year (the same start as the PV progress path, docs/sources.md, "PV progress rules").
PATH_START_YEAR = YEARS[0] - 1

#: Audit-log entity name for reported indicator values.
AUDIT_ENTITY = "indicator_value"

#: Longest note accepted with a reported value (characters).
MAX_NOTE_CHARS = 500

_RULE_TERM = re.compile(r"\s*([+-])?\s*#(\d+)\s*")


class ValidationError(ValueError):
    """Bad input for reported values; ``errors`` lists one zh/en message per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


# ---------------------------------------------------------------- catalogue


@lru_cache(maxsize=4)
def _read_catalogue(path: str) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in [*ANNEX_COLUMNS, *EXTRA_COLUMNS] if c not in raw.columns]
    if missing:
        raise ValueError(f"指标目录缺少列 / indicator catalogue lacks columns: {missing}")
    cat = raw.rename(columns=ANNEX_COLUMNS)
    cat["no"] = cat["no"].astype(int)
    for col in ["baseline", *(f"target_{y}" for y in YEARS), "valid_min", "valid_max"]:
        cat[col] = pd.to_numeric(cat[col].replace("", np.nan), errors="raise").astype(float)
    bad_dir = sorted(set(cat["direction"]) - set(DIRECTIONS))
    bad_src = sorted(set(cat["source"]) - set(SOURCES))
    if bad_dir or bad_src or cat["no"].duplicated().any():
        raise ValueError(f"指标目录有误 / bad catalogue: directions {bad_dir}, sources {bad_src}")
    for row in cat.itertuples():
        if row.source == "derived":
            refs = [n for _, n in parse_rule(row.rule)]
            unknown = set(refs) - set(cat["no"])
            if unknown:
                raise ValueError(f"指标{row.no}的公式引用了不存在的指标 / rule of #{row.no} refers to {unknown}")
        if row.source == "spatial" and ":" not in row.rule:
            raise ValueError(f"指标{row.no}缺少空间计算函数 / spatial #{row.no} needs rule 'module:function'")
    return cat.set_index("no", drop=False).sort_index()


def load_catalogue(path: Path | str | None = None) -> pd.DataFrame:
    """The indicator catalogue, one row per indicator, indexed by ``no``.

    Columns: ``no, domain, name, unit, baseline, target_2022..2024, lead,
    partners`` (the 附件1 columns) and ``name_en, domain_en, unit_en, direction,
    source, rule, valid_min, valid_max, origin``. Empty cells are NaN.
    """
    path = path or CATALOGUE_PATH
    if path is None:
        raise MissingTable("规划指标目标值（附件1）", "plan targets (附件1 indicators)")
    return _read_catalogue(str(path)).copy()


def annex_rows(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of 附件1 itself (without the extra goal rows from the plan text)."""
    return catalogue[catalogue["origin"] == "附件1"]


def target_for(catalogue: pd.DataFrame, year: int) -> pd.Series:
    """Each indicator's target for ``year`` (NaN where 附件1 has none, e.g. years outside 2022–2024)."""
    col = f"target_{int(year)}"
    if col not in catalogue.columns:
        return pd.Series(np.nan, index=catalogue.index, dtype=float)
    return catalogue[col].astype(float)


# ---------------------------------------------------------------- status


def _met(value: np.ndarray, target: np.ndarray, higher: np.ndarray) -> np.ndarray:
    # A relative tolerance of 1e-9 absorbs binary rounding (261.056 − 23.36 = 237.69600000000003).
    tol = 1e-9 * np.maximum(1.0, np.abs(target))
    return np.where(higher, value >= target - tol, value <= target + tol)


def status(value: float | None, target: float | None, direction: str) -> str:
    """达标 / 未达标 / 无数据 for one indicator (see :func:`status_array`)."""
    return str(status_array([value], [target], [direction])[0])


def status_array(values: Iterable[Any], targets: Iterable[Any], directions: Iterable[str]) -> np.ndarray:
    """Vectorised status: ``higher`` is met when value ≥ target, ``lower`` when value ≤ target.

    A missing (None/NaN) value or target gives 无数据.
    """
    v = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)
    t = pd.to_numeric(pd.Series(list(targets), dtype=object), errors="coerce").to_numpy(float)
    d = np.asarray(list(directions), dtype=object)
    if not set(d) <= set(DIRECTIONS):
        raise ValueError(f"direction must be one of {DIRECTIONS}: {sorted(set(d) - set(DIRECTIONS))}")
    with np.errstate(invalid="ignore"):
        met = _met(v, t, d == "higher")
    out = np.where(met, MET, BEHIND).astype(object)
    out[np.isnan(v) | np.isnan(t)] = NO_DATA
    return out


# ---------------------------------------------------------------- derived


def parse_rule(rule: str) -> list[tuple[int, int]]:
    """Parse a derived rule like ``#3 - #4`` into ``[(+1, 3), (-1, 4)]``."""
    terms: list[tuple[int, int]] = []
    pos = 0
    text = rule.strip()
    while pos < len(text):
        m = _RULE_TERM.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"无法解析公式 / cannot parse rule {rule!r}")
        sign = -1 if m.group(1) == "-" else 1
        if not terms and m.group(1) is None:
            sign = 1
        elif terms and m.group(1) is None:
            raise ValueError(f"公式缺少运算符 / missing operator in rule {rule!r}")
        terms.append((sign, int(m.group(2))))
        pos = m.end()
    if not terms:
        raise ValueError(f"空公式 / empty rule {rule!r}")
    return terms


def derive(rule: str, values: Mapping[int, float | None]) -> float | None:
    """Evaluate a derived rule on the other indicators' values; None if any input is missing."""
    total = 0.0
    for sign, no in parse_rule(rule):
        v = values.get(no)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        total += sign * float(v)
    return total


# ---------------------------------------------------------------- spatial


@dataclass(frozen=True)
class ReportedValue:
    """A value reported for one indicator and year (``indicator_values`` table): the official figure."""

    value: float
    unit: str
    year: int
    who: str
    """Editor who entered it (``updated_by``)."""
    when: str
    """When it was entered (``updated_at``, ISO 8601 UTC)."""
    note: str = ""
    """Source or note entered with the value (e.g. 林业局年报)."""

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "year": self.year, "who": self.who or None,
                "when": self.when or None, "note": self.note or None}


@dataclass(frozen=True)
class MapEstimate:
    """A spatial indicator's value computed from the map (or a ledger) for one year, and whether it is scored."""

    value: float | None
    data_year: int | None
    """Data year of the layer version used (None: the data carry no data year)."""
    method: str
    """How it was computed: the provider's label and ``module:function``."""
    note: str
    """Which version was used, carried-from and scope notes, or why there is no value."""
    scored: bool
    """True when this estimate is the year's actual (nothing reported, and its data describe that year)."""

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "data_year": self.data_year, "method": self.method, "note": self.note,
                "scored": self.scored}


@dataclass(frozen=True)
class ReferenceFigure:
    """A figure shown beside an indicator, never scored (e.g. the stock-difference net sink beside #5)."""

    name_zh: str
    name_en: str
    value: float
    unit: str
    definition_zh: str
    definition_en: str
    unit_en: str = ""
    """The unit in English (the Chinese ``unit`` when not given)."""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name_zh, "name_en": self.name_en, "value": self.value, "unit": self.unit,
                "unit_en": self.unit_en or self.unit, "definition": self.definition_zh, "definition_en": self.definition_en}


REFERENCE_FIGURES: dict[int, str] = {5: "cyc_geo.carbon.forest:stock_difference_net_sink"}
"""Indicator number → provider (``module:function``) of the :class:`ReferenceFigure` shown beside it."""


@dataclass(frozen=True)
class SpatialValue:
    """A computed value, or None with the reason it is missing.

    ``by_year``: for providers that take a ``year``, the value of each target year (then
    ``value`` is the last year's); :meth:`for_year` picks one.
    """

    value: float | None
    reason: str = ""
    by_year: Mapping[int, SpatialValue] | None = None
    data_year: int | None = None
    """The year the value's data describe (None: unknown or year-independent)."""
    entered_by: str = ""
    entered_at: str = ""
    dated: bool = False
    """The provider returned a dated map estimate (:class:`~cyc_geo.catalog.provenance.DatedValue`): it is the
    actual of a year only when ``data_year`` is that year."""
    method: str = ""
    """The provider's label and rule."""
    note: str = ""
    """The provider's note (version used, carried from, scope)."""

    def for_year(self, year: int) -> SpatialValue:
        """The value for ``year`` (a year-independent value is the same every year)."""
        if self.by_year is None:
            return self
        return self.by_year.get(int(year), SpatialValue(None, f"{year}年未计算 / not computed for {year}"))


def provider(rule: str) -> Callable[..., Any]:
    """The spatial provider named by a catalogue ``rule`` (``module:function``); ImportError/AttributeError if absent."""
    module_name, _, func_name = rule.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def _call(func: Callable[..., Any], rule: str, kwargs: dict[str, Any]) -> SpatialValue:
    """One provider call; a :class:`cyc_geo.catalog.provenance.DatedValue` result keeps its data year and note."""
    extra: dict[str, Any] = {}
    label = getattr(func, "value_label", "地图测算 / computed from the map")
    method = f"{label} ({rule})"
    try:
        raw = func(**kwargs)
        if hasattr(raw, "data_year"):
            extra = {"data_year": raw.data_year, "entered_by": raw.entered_by, "entered_at": raw.entered_at,
                     "dated": True, "method": method, "note": raw.note}
            note = f"; {raw.note}" if raw.note else ""
            if raw.value is None:
                return SpatialValue(None, f"无数据 / no data ({rule}){note}", **extra)
            raw = raw.value
        else:
            note = ""
        value = float(raw)
    except Exception as exc:  # noqa: BLE001 - a provider bug must not break the dashboard
        return SpatialValue(None, f"空间计算失败 / spatial provider {rule} failed: {exc}", method=method)
    if not math.isfinite(value):
        return SpatialValue(None, f"空间计算结果无效 / spatial provider {rule} returned {value}", method=method)
    extra.setdefault("method", method)
    return SpatialValue(value, f"{method}{note}", **extra)


def _call_provider(rule: str, pv_scenario: Any = None, years: Iterable[int] = YEARS) -> SpatialValue:
    """One provider's value: ``scenario`` passed to providers that take it, ``year`` (each of ``years``) likewise."""
    try:
        func = provider(rule)
    except (ImportError, AttributeError) as exc:
        return SpatialValue(None, f"空间计算模块不可用 / spatial provider {rule} not available ({exc.__class__.__name__})")
    params = inspect.signature(func).parameters
    kwargs = {"scenario": pv_scenario} if (pv_scenario is not None and "scenario" in params) else {}
    if "year" not in params:
        return _call(func, rule, kwargs)
    by_year = {int(y): _call(func, rule, {**kwargs, "year": int(y)}) for y in years}
    last = by_year[max(by_year)] if by_year else SpatialValue(None, "no year")
    return SpatialValue(last.value, last.reason, by_year)


def spatial_values(
    catalogue: pd.DataFrame | None = None, pv_scenario: Any = None, years: Iterable[int] = YEARS
) -> dict[int, SpatialValue]:
    """Current values of all spatial indicators from their providers (never raises).

    ``pv_scenario`` (a :class:`cyc_geo.pv.params.Scenario`) is passed to every provider that
    takes a ``scenario`` argument, so the dashboard follows the map's scenario; providers that
    take a ``year`` are called for each of ``years`` (values in ``SpatialValue.by_year``), and, for an indicator
    without a 现状值, for :data:`PATH_START_YEAR` too: the start of its linear path (:func:`linear_path`), which
    every evaluation of a later year reads (otherwise each one called the provider again: four ledger reads per
    dashboard run).
    """
    cat = load_catalogue() if catalogue is None else catalogue
    years = tuple(years)
    out: dict[int, SpatialValue] = {}
    for row in cat[cat["source"] == "spatial"].itertuples():
        row_years = years
        if pd.isna(row.baseline) and PATH_START_YEAR not in years and any(y > PATH_START_YEAR for y in years):
            row_years = (PATH_START_YEAR, *years)
        out[int(row.no)] = _call_provider(row.rule, pv_scenario, row_years)
    return out


# ---------------------------------------------------------------- database


def read_values(conn: sqlite3.Connection, year: int | None = None) -> pd.DataFrame:
    """Reported values (``indicator_no, year, value, note, updated_by, updated_at``), optionally of one year."""
    sql = "SELECT indicator_no, year, value, note, updated_by, updated_at FROM indicator_values"
    args: tuple[Any, ...] = ()
    if year is not None:
        sql += " WHERE year = ?"
        args = (int(year),)
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY indicator_no, year", args)]
    return pd.DataFrame(rows, columns=["indicator_no", "year", "value", "note", "updated_by", "updated_at"])


def read_value(conn: sqlite3.Connection, no: int, year: int) -> float | None:
    """One reported value, or None."""
    row = conn.execute("SELECT value FROM indicator_values WHERE indicator_no = ? AND year = ?", (no, year)).fetchone()
    return None if row is None else float(row[0])


def _parse_number(raw: Any) -> float | None:
    """A finite float from a number or numeric text; None for an empty cell; raises ValueError otherwise."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, bool):
        raise ValueError("bool")
    if isinstance(raw, (int, float, np.integer, np.floating)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if text == "":
            return None
        value = float(text)  # raises ValueError for "abc", "7.5%", "1,2"
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


class _BadEntry(Exception):
    """One invalid entry (message in Chinese and English)."""


def _clean_entry(entry: Mapping[str, Any], cat: pd.DataFrame) -> dict[str, Any]:
    """``{no, year, value, note}`` of one valid entry; raises :class:`_BadEntry` with the reason."""
    raw_no: Any = entry.get("no")  # user input of any type: int() below decides
    try:
        no = int(raw_no)
    except (TypeError, ValueError):
        raise _BadEntry(f"序号无效 / invalid indicator number: {raw_no!r}") from None
    if no not in cat.index:
        raise _BadEntry(f"无此指标 / no such indicator: {no}")
    row = cat.loc[no]
    label = f"#{no} {row['name']}"
    if row["source"] == "derived":
        raise _BadEntry(f"{label}：推算指标不能填报 / derived indicator, computed from {row['rule']}, cannot be entered")
    try:
        raw_year: Any = entry.get("year")
        year = int(raw_year)
    except (TypeError, ValueError):
        raise _BadEntry(f"{label}：年份无效 / invalid year {entry.get('year')!r}") from None
    if year not in YEARS:
        raise _BadEntry(f"{label}：年份须为 {YEARS} / year must be one of {YEARS}, got {year}")
    try:
        value = _parse_number(entry.get("value"))
    except (TypeError, ValueError):
        raise _BadEntry(f"{label}：请输入数字 / numbers only, got {entry.get('value')!r}") from None
    lo, hi = float(row["valid_min"]), float(row["valid_max"])
    if value is not None and not (lo <= value <= hi):
        raise _BadEntry(
            f"{label}：数值 {value:g} 超出范围 {lo:g}–{hi:g} {row['unit']} / "
            f"value {value:g} outside the valid range {lo:g}–{hi:g} {row['unit_en']}"
        )
    raw_note = entry.get("note")
    note = "" if raw_note is None or (isinstance(raw_note, float) and math.isnan(raw_note)) else str(raw_note).strip()
    if len(note) > MAX_NOTE_CHARS:
        raise _BadEntry(f"{label}：备注过长 / note longer than {MAX_NOTE_CHARS} characters")
    return {"no": no, "year": year, "value": value, "note": note}


def validate_entries(
    entries: Iterable[Mapping[str, Any]], catalogue: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """Check reported values; returns clean ``{no, year, value, note}`` dicts or raises :class:`ValidationError`.

    Each entry has ``no``, ``year``, ``value`` (number or numeric text; empty =
    delete the reported value) and optionally ``note``. Rules: the indicator
    exists and is not derived; the year is one of :data:`YEARS`; the value is a
    finite number within the catalogue's ``valid_min``–``valid_max``.
    """
    cat = load_catalogue() if catalogue is None else catalogue
    clean: list[dict[str, Any]] = []
    errors: list[str] = []
    for entry in entries:
        try:
            clean.append(_clean_entry(entry, cat))
        except _BadEntry as exc:
            errors.append(str(exc))
    keys = [(e["no"], e["year"]) for e in clean]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        errors.append(f"同一指标同一年份重复 / duplicate entries for (indicator, year): {dupes}")
    if errors:
        raise ValidationError(errors)
    return clean


def write_value_in_tx(
    conn: sqlite3.Connection, no: int, year: int, value: float | None, actor: str, note: str = ""
) -> bool:
    """Set (or, with ``value=None``, delete) one reported value and audit it; returns True if it changed.

    Must run inside :func:`cyc_geo.db.transaction` so the read of the old value,
    the write and the audit record are one atomic step (read-modify-write safe).
    """
    if not conn.in_transaction:
        raise RuntimeError("write_value_in_tx must run inside db.transaction(conn)")
    if not actor or not str(actor).strip():
        raise ValueError("actor is required / 需要填报人")
    old_row = conn.execute(
        "SELECT value, note FROM indicator_values WHERE indicator_no = ? AND year = ?", (no, year)
    ).fetchone()
    old = None if old_row is None else {"value": old_row["value"], "note": old_row["note"]}
    key = f"{no}:{year}"
    if value is None:
        if old is None:
            return False
        conn.execute("DELETE FROM indicator_values WHERE indicator_no = ? AND year = ?", (no, year))
        db.audit(conn, actor, AUDIT_ENTITY, key, "delete", old, None)
        return True
    new = {"value": float(value), "note": note}
    if old == new:
        return False
    conn.execute(
        "INSERT INTO indicator_values(indicator_no, year, value, note, updated_by, updated_at) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT(indicator_no, year) DO UPDATE SET value=excluded.value, note=excluded.note, "
        "updated_by=excluded.updated_by, updated_at=excluded.updated_at",
        (no, year, float(value), note, actor, db.now_iso()),
    )
    db.audit(conn, actor, AUDIT_ENTITY, key, "insert" if old is None else "update", old, new)
    return True


def save_values(
    conn: sqlite3.Connection, entries: Iterable[Mapping[str, Any]], actor: str, catalogue: pd.DataFrame | None = None
) -> int:
    """Validate all entries, then write them with audit records in one transaction; returns the number changed.

    If any entry is invalid, :class:`ValidationError` is raised and nothing is written.
    """
    if not actor or not str(actor).strip():
        raise ValidationError(["需要填报人 / an editor name (actor) is required"])
    clean = validate_entries(list(entries), catalogue)
    changed = 0
    with db.transaction(conn):
        for e in clean:
            changed += write_value_in_tx(conn, e["no"], e["year"], e["value"], actor, e["note"])
    return changed


# ---------------------------------------------------------------- evaluation


def _map_estimate(sv: SpatialValue, year: int, reported: bool) -> MapEstimate:
    """The map estimate of ``year`` from a provider's value; scored when nothing is reported and the value
    describes ``year`` (a dated estimate whose data year is ``year``, or a plain year-end figure)."""
    year_known = sv.dated or sv.data_year is not None
    of_year = sv.value is not None and (not year_known or sv.data_year == int(year))
    note = sv.note if sv.dated else ("" if sv.value is not None and sv.data_year in (None, int(year)) else sv.reason)
    if sv.value is not None and sv.data_year is not None and sv.data_year != int(year):
        note = (f"{note}；数据年份 {sv.data_year} ≠ {year}，不作 {year} 年实际值 / data year {sv.data_year} is not "
                f"{year}: not scored").lstrip("；")
    return MapEstimate(sv.value, sv.data_year, sv.method, note, bool(of_year and not reported))


def _resolve_values(
    cat: pd.DataFrame, reported: Mapping[int, ReportedValue], spatial: Mapping[int, SpatialValue], year: int,
) -> tuple[dict[int, float | None], dict[int, str], dict[int, str], dict[int, tuple[Any, str, str]],
           dict[int, MapEstimate]]:
    """Value, value source, reason, (data year, entered by, entered at) and map estimate of each indicator:
    reported and spatial first, derived after (from the reported values of their inputs only)."""
    values: dict[int, float | None] = {}
    value_source: dict[int, str] = {}
    reason: dict[int, str] = {}
    dated: dict[int, tuple[Any, str, str]] = {}
    estimates: dict[int, MapEstimate] = {}
    for row in cat.itertuples():
        no = int(row.no)
        rep = reported.get(no)
        if row.source == "spatial":
            sv = spatial.get(no, SpatialValue(None, "空间计算未运行 / spatial value not computed")).for_year(year)
            estimates[no] = est = _map_estimate(sv, year, rep is not None)
        if rep is not None:
            values[no], value_source[no] = rep.value, "reported"
            reason[no] = "填报值 / reported" + (f": {rep.note}" if rep.note else "")
            dated[no] = (year, rep.who, rep.when)
        elif row.source == "spatial":
            dated[no] = (sv.data_year, sv.entered_by, sv.entered_at) if est.scored else (None, "", "")
            values[no] = est.value if est.scored else None
            value_source[no] = "spatial" if est.scored else "none"
            if est.scored or est.value is None:
                reason[no] = sv.reason
            else:
                reason[no] = (f"未填报，地图测算值 {est.value:.4g} 不是 {year} 年数据，不计分 / not reported; the map "
                              f"estimate {est.value:.4g} is not data of {year}, not scored ({est.note})")
        else:
            values[no], value_source[no], reason[no] = None, "none", "未填报 / not reported"
            dated[no] = (None, "", "")
    for row in cat[cat["source"] == "derived"].itertuples():
        no = int(row.no)
        inputs = [n for _, n in parse_rule(row.rule)]
        v = derive(row.rule, {n: (values.get(n) if value_source.get(n) == "reported" else None) for n in inputs})
        values[no], value_source[no] = v, ("derived" if v is not None else "none")
        dated[no] = (year if v is not None else None, "", "")
        missing = [f"#{n}" for n in inputs if value_source.get(n) != "reported"]
        reason[no] = (f"推算 {row.rule}（仅用填报值）/ derived {row.rule} from reported values only"
                      + ("" if v is not None else f"：{'、'.join(missing)} 未填报 / {', '.join(missing)} not reported"))
    return values, value_source, reason, dated, estimates


def reported_values(conn: sqlite3.Connection | None, year: int, catalogue: pd.DataFrame) -> dict[int, ReportedValue]:
    """The reported values of ``year`` as :class:`ReportedValue` by indicator number (empty without ``conn``)."""
    if conn is None:
        return {}
    units = catalogue["unit"]
    out: dict[int, ReportedValue] = {}
    for r in read_values(conn, year).itertuples(index=False):
        no = int(r.indicator_no)
        out[no] = ReportedValue(float(r.value), str(units.get(no, "")), int(year), str(r.updated_by or ""),
                                str(r.updated_at or ""), str(r.note or ""))
    return out


def reference_figure(no: int) -> ReferenceFigure | None:
    """The figure shown beside indicator ``no`` (:data:`REFERENCE_FIGURES`), None if it has none or it fails."""
    rule = REFERENCE_FIGURES.get(int(no))
    if rule is None:
        return None
    try:
        return ReferenceFigure(**provider(rule)())
    except Exception:  # noqa: BLE001 - a reference figure must not break the dashboard
        return None


def evaluate(
    year: int,
    conn: sqlite3.Connection | None = None,
    spatial: Mapping[int, SpatialValue] | None = None,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All indicators for ``year`` with their target, actual value and status.

    ``conn``: database with reported values (None: no reported values).
    ``spatial``: precomputed :func:`spatial_values` (None: computed now, for ``year``); a
    year-dependent value is taken for ``year`` (:meth:`SpatialValue.for_year`).
    Returns one row per indicator with ``no, domain, name, name_en, unit, baseline,
    target, value, status, status_en, source, value_source, reason, direction,
    lead, partners, origin, data_year`` (the year the scored value's data describe: the year itself for a
    reported or derived value, the layer version's data year for a map estimate, NaN if no value),
    ``entered_by, entered_at`` and the row's figures (module docstring):

    - ``value``: the actual the status uses; ``value_source`` says which figure it is: ``reported``,
      ``spatial`` (the map estimate of that year), ``derived`` or ``none``;
    - ``reported``: :class:`ReportedValue` or None;
    - ``map_estimate``: :class:`MapEstimate` (spatial indicators) or None;
    - ``reference``: :class:`ReferenceFigure` shown beside the indicator, never scored, or None.
    """
    cat = load_catalogue() if catalogue is None else catalogue
    year = int(year)
    reported = reported_values(conn, year, cat)
    if spatial is None and (cat["source"] == "spatial").any():
        spatial = spatial_values(cat, years=(year,))
    values, value_source, reason, dated, estimates = _resolve_values(cat, reported, spatial or {}, year)
    out = cat[["no", "domain", "name", "name_en", "unit", "baseline", "direction", "source", "lead", "partners", "origin"]].copy()
    out["year"] = year
    out["target"] = target_for(cat, year)
    out["value"] = pd.Series({k: (np.nan if v is None else float(v)) for k, v in values.items()}, dtype=float)
    out["status"] = status_array(out["value"], out["target"], out["direction"])
    out["status_en"] = out["status"].map(STATUS_EN)
    out["value_source"] = pd.Series(value_source)
    out["reason"] = pd.Series(reason)
    out["data_year"] = pd.Series({k: (np.nan if v[0] is None else float(v[0])) for k, v in dated.items()}, dtype=float)
    out["entered_by"] = pd.Series({k: v[1] for k, v in dated.items()}, dtype=object)
    out["entered_at"] = pd.Series({k: v[2] for k, v in dated.items()}, dtype=object)
    out["reported"] = pd.Series({int(n): reported.get(int(n)) for n in cat["no"]}, dtype=object)
    out["map_estimate"] = pd.Series({int(n): estimates.get(int(n)) for n in cat["no"]}, dtype=object)
    out["reference"] = pd.Series({int(n): reference_figure(int(n)) for n in cat["no"]}, dtype=object)
    no_target = out["target"].isna()
    out.loc[no_target, "reason"] = out.loc[no_target, "reason"] + f"；{year}年无目标值 / no target for {year}"
    shown = no_target & out["value"].notna()
    out.loc[shown, "status"] = NO_TARGET
    out.loc[shown, "status_en"] = STATUS_EN[NO_TARGET]
    out["reference_path"] = np.nan
    for i in out.index[shown]:
        row = cat.loc[cat["no"] == out.at[i, "no"]].iloc[0]
        path = linear_path(row, year, spatial or {})
        if path is not None:
            out.at[i, "reference_path"] = path[0]
            out.at[i, "reason"] += (f"；线性路径参考值 {path[0]:.4g}（{PATH_START_YEAR}年底 {path[1]:.4g} → {path[3]}年 "
                                    f"{path[2]:.4g}），不作考核 / linear path for reference {path[0]:.4g} (end of "
                                    f"{PATH_START_YEAR} {path[1]:.4g} → {path[3]} {path[2]:.4g}), not scored")
    return out.reset_index(drop=True)


def linear_path(row: Any, year: int, spatial: Mapping[int, SpatialValue]) -> tuple[float, float, float, int] | None:
    """(path value at the end of ``year``, start value, goal, goal year) of the straight line from the end of
    :data:`PATH_START_YEAR` to the indicator's last target of :data:`YEARS`; None when there is no later
    target or no start value. The start is the catalogue's 现状值, else a year-dependent provider's value for
    :data:`PATH_START_YEAR` (e.g. #19: installed PV at the end of 2021)."""
    targets = [(y, float(row[f"target_{y}"])) for y in YEARS if pd.notna(row.get(f"target_{y}"))]
    if not targets or targets[-1][0] <= year or year <= PATH_START_YEAR:
        return None
    goal_year, goal = targets[-1]
    start = float(row["baseline"]) if pd.notna(row.get("baseline")) else None
    sv = spatial.get(int(row["no"]))
    if start is None and row.get("source") == "spatial" and (sv is None or sv.by_year is not None):
        # a year-dependent provider: its value at the end of the start year (computed now if not yet)
        got = (sv.by_year or {}).get(PATH_START_YEAR) if sv is not None else None
        if got is None:
            got = _call_provider(str(row["rule"]), years=(PATH_START_YEAR,)).for_year(PATH_START_YEAR)
        start = got.value
    if start is None:
        return None
    value = start + (goal - start) * (year - PATH_START_YEAR) / (goal_year - PATH_START_YEAR)
    return float(value), float(start), float(goal), int(goal_year)


def trajectories(
    conn: sqlite3.Connection | None = None,
    spatial: Mapping[int, SpatialValue] | None = None,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table for charts: one row per indicator × stage (现状, 2022–2024) × kind (plan = 现状 then targets, or actual).

    ``stage`` is the label (``现状`` for the baseline column of 附件1), ``order``
    its position; actuals are the evaluated values of each year (NaN dropped).
    """
    cat = load_catalogue() if catalogue is None else catalogue
    if spatial is None:
        spatial = spatial_values(cat)
    frames = [
        pd.DataFrame({"no": cat["no"], "stage": "现状", "order": 0, "kind": "plan", "amount": cat["baseline"]})
    ]
    for i, year in enumerate(YEARS, start=1):
        ev = evaluate(year, conn, spatial, cat)
        frames.append(pd.DataFrame({"no": ev["no"], "stage": str(year), "order": i, "kind": "plan", "amount": ev["target"]}))
        frames.append(pd.DataFrame({"no": ev["no"], "stage": str(year), "order": i, "kind": "actual", "amount": ev["value"]}))
    long = pd.concat(frames, ignore_index=True).dropna(subset=["amount"])
    labels = cat.set_index("no")
    long["name"] = long["no"].map(labels["name"])
    long["name_en"] = long["no"].map(labels["name_en"])
    long["unit"] = long["no"].map(labels["unit"])
    return long.sort_values(["no", "order", "kind"]).reset_index(drop=True)
