"""Yearly progress of the plan's priority projects (附件2 重点项目), as the plan's 调度 asks.

The plan (四、保障措施（一）) has the leading group "定期对重点项目、重点目标和重点领域工作进展情况调度". One record
per project and year (table ``project_progress``, migration 5 of :mod:`cyc_geo.db`):

- ``status``: 前期 (preparation) / 在建 (under construction) / 投产 (in operation) at the end of the year;
- ``investment_wan``: investment completed, cumulative to the end of the year, 万元 (≤ the project's
  附件2 投资规模 is not enforced: overruns happen, but it must be ≥ 0 and ≤ :data:`MAX_INVESTMENT_FACTOR` × it);
- ``progress_text``: 形象进度, the physical progress in words (e.g. "主体厂房封顶");
- ``benefit_text`` and ``tce_saved``: 实际效益, realised benefit in words and the energy saved, t standard coal a year.

Editors write with :func:`save_progress` (validated; one transaction with its audit record, entity
:data:`AUDIT_ENTITY`, key ``<project>:<year>``).

**Project 3's MW connected** (the county-wide rooftop PV programme of 附件2, 200 MW) is never typed in: it is counted
from the installations ledger (:func:`project3_connected_mw`). Which ledger rows belong to project 3 (rule,
docs/sources.md "Project 3 and the ledger"): if the ledger has a ``project_no`` column, the rows with
``project_no == 3``; otherwise the spatial rule: grid-connected rows with real coordinates whose point lies
on a roof of the rooftop layer (project 3's site is the county's roofs, :mod:`cyc_geo.pv.rooftops`) and whose
grid-connection date falls within the project's 建设期限 (``period_start`` 2022-08 of ``projects.csv``)
up to the end of the year asked. Ground-mounted rows and rows placed only at a township seat are not counted.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cyc_geo import db
from cyc_geo.planning.projects import load_projects, project_row

STATUSES = ("前期", "在建", "投产")
STATUS_EN = {"前期": "preparation", "在建": "under construction", "投产": "in operation"}
AUDIT_ENTITY = "project_progress"
YEARS = (2022, 2023, 2024)
"""The pilot's years (附件1 columns); progress is recorded for these."""
PV_PROJECT = 3
"""The 200 MW rooftop PV project of 附件2."""
MAX_TEXT = 500
MAX_INVESTMENT_FACTOR = 2.0
"""A completed investment above twice the 附件2 投资规模 is taken for a typo (万元 vs 元) and refused."""
COLUMNS = ["project_no", "year", "status", "investment_wan", "progress_text", "benefit_text", "tce_saved",
           "updated_by", "updated_at"]


class ProgressError(ValueError):
    """Bad progress input; ``zh`` / ``en`` carry the user-facing message."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


def _number(raw: Any, label: tuple[str, str]) -> float | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).replace(",", "").strip())
    except ValueError:
        raise ProgressError(f"{label[0]}须为数字：{raw!r}", f"{label[1]} must be a number: {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ProgressError(f"{label[0]}须为非负数：{raw!r}", f"{label[1]} must be zero or more: {raw!r}")
    return value


def clean_record(project_no: Any, year: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The validated record: known project and pilot year, status in :data:`STATUSES` (English names accepted),
    numbers ≥ 0, texts ≤ :data:`MAX_TEXT` characters. Raises :class:`ProgressError`."""
    try:
        no, yr = int(project_no), int(year)
    except (TypeError, ValueError):
        raise ProgressError(f"项目序号或年份无效：{project_no!r} {year!r}",
                            f"invalid project number or year: {project_no!r} {year!r}") from None
    try:
        row = project_row(no)
    except KeyError as exc:
        raise ProgressError(f"没有序号为 {no} 的项目", f"no project number {no}") from exc
    if yr not in YEARS:
        raise ProgressError(f"年份须为 {YEARS} 之一", f"year must be one of {YEARS}, got {yr}")
    status = str(fields.get("status", "")).strip()
    status = {v: k for k, v in STATUS_EN.items()}.get(status, status)
    if status not in STATUSES:
        raise ProgressError(f"状态须为 前期/在建/投产：{status!r}",
                            f"status must be preparation / under construction / in operation: {status!r}")
    invest = _number(fields.get("investment_wan"), ("完成投资", "investment completed"))
    cap = MAX_INVESTMENT_FACTOR * float(row["投资规模(万元)"])
    if invest is not None and invest > cap:
        raise ProgressError(f"完成投资 {invest:g} 万元超过投资规模的两倍（{cap:g} 万元），请检查单位",
                            f"investment completed {invest:g} 万元 is over twice the planned {cap:g} 万元: check the unit")
    texts = {k: str(fields.get(k) or "").strip() for k in ("progress_text", "benefit_text")}
    for k, v in texts.items():
        if len(v) > MAX_TEXT:
            raise ProgressError(f"文字过长（{k}）", f"text longer than {MAX_TEXT} characters ({k})")
    tce = _number(fields.get("tce_saved"), ("节能量", "energy saved"))
    return {"project_no": no, "year": yr, "status": status, "investment_wan": invest, **texts, "tce_saved": tce}


def save_progress(conn: sqlite3.Connection, project_no: Any, year: Any, fields: Mapping[str, Any], actor: str) -> bool:
    """Validate and store one project-year record with its audit record in one transaction; True if it changed."""
    if not actor or not str(actor).strip():
        raise ProgressError("需要填报人", "an editor name (actor) is required")
    rec = clean_record(project_no, year, fields)
    key = f"{rec['project_no']}:{rec['year']}"
    fields_only = {k: rec[k] for k in COLUMNS[2:7]}
    with db.transaction(conn):
        old_row = conn.execute("SELECT * FROM project_progress WHERE project_no = ? AND year = ?",
                               (rec["project_no"], rec["year"])).fetchone()
        old = None if old_row is None else {k: old_row[k] for k in COLUMNS[2:7]}
        if old == fields_only:
            return False
        conn.execute(
            "INSERT INTO project_progress(project_no, year, status, investment_wan, progress_text, benefit_text, tce_saved, "
            "updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(project_no, year) DO UPDATE SET "
            "status=excluded.status, investment_wan=excluded.investment_wan, progress_text=excluded.progress_text, "
            "benefit_text=excluded.benefit_text, tce_saved=excluded.tce_saved, updated_by=excluded.updated_by, "
            "updated_at=excluded.updated_at",
            (rec["project_no"], rec["year"], rec["status"], rec["investment_wan"], rec["progress_text"],
             rec["benefit_text"], rec["tce_saved"], actor, db.now_iso()),
        )
        db.audit(conn, actor, AUDIT_ENTITY, key, "insert" if old is None else "update", old, fields_only)
    return True


def read_progress(conn: sqlite3.Connection | None, year: int | None = None) -> pd.DataFrame:
    """Stored records (:data:`COLUMNS`), of one year or all; empty frame without a database."""
    if conn is None:
        return pd.DataFrame(columns=COLUMNS)
    sql = "SELECT * FROM project_progress"
    args: tuple[int, ...] = ()
    if year is not None:
        sql, args = sql + " WHERE year = ?", (int(year),)
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY project_no, year", args)]
    return pd.DataFrame(rows, columns=COLUMNS)


def project3_rows(ledger: pd.DataFrame, year: int, roofs: Any = None) -> pd.DataFrame:
    """The ledger rows of project 3 connected by the end of ``year`` (rule in the module docstring)."""
    import numpy as np

    from cyc_geo.pv.progress import connection_dates, year_end

    start = pd.Timestamp(str(project_row(PV_PROJECT)["period_start"]) + "-01")
    connected = connection_dates(ledger)
    in_time = connected.notna() & (connected >= start) & (connected <= year_end(year))
    if "project_no" in ledger.columns:
        own = pd.to_numeric(ledger["project_no"], errors="coerce").eq(PV_PROJECT).to_numpy()
        return ledger[in_time.to_numpy() & own]
    if roofs is None:
        from cyc_geo.pv.rooftops import load_rooftops

        roofs = load_rooftops()
    placed = ledger["has_coords"].astype(bool).to_numpy() & in_time.to_numpy()
    on_roof = np.zeros(len(ledger), dtype=bool)
    if placed.any():
        pts = ledger[placed].to_crs(roofs.crs)
        hit, _ = roofs.sindex.query(pts.geometry.to_numpy(), predicate="intersects")
        on_roof[np.flatnonzero(placed)[np.unique(hit)]] = True
    return ledger[on_roof]


def project3_connected_mw(ledger: pd.DataFrame, year: int, roofs: Any = None) -> float:
    """MW (AC, ``capacity_kw``) of project 3's ledger rows connected by the end of ``year``."""
    return float(project3_rows(ledger, year, roofs)["capacity_kw"].fillna(0).sum()) / 1000.0


def progress_table(conn: sqlite3.Connection | None, year: int, ledger: pd.DataFrame | None = None,
                   roofs: Any = None) -> pd.DataFrame:
    """Every 附件2 project with its record of ``year`` (missing fields NaN/"" when none is stored) and, for
    project 3, ``connected_mw`` from the ledger (``ledger`` None: the current ledger; NaN for the others)."""
    projects = load_projects()
    stored = read_progress(conn, year).set_index("project_no")
    out = projects[["序号", "项目名称", "name_en", "建设主体", "建设期限", "投资规模(万元)"]].copy()
    for col in COLUMNS[2:]:
        out[col] = [stored.at[n, col] if n in stored.index else None for n in out["序号"]]
    if ledger is None:
        from cyc_geo.pv.installations import load_ledger

        ledger = load_ledger(conn)
    mw = project3_connected_mw(ledger, year, roofs)
    out["connected_mw"] = [mw if n == PV_PROJECT else float("nan") for n in out["序号"]]
    out["year"] = int(year)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- the map's project popup


def latest_progress_text(records: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """{project_no: (zh, en)}: each project's latest recorded year as the map's popup says it, e.g.
    "2023 年：在建；累计完成投资 12,000 万元；主体厂房封顶" / "2023: under construction; investment completed
    12,000 (10^4 yuan)". The 形象进度 is the editor's own words, so it appears in the Chinese text only."""
    out: dict[int, tuple[str, str]] = {}
    for no, rows in records.sort_values("year").groupby("project_no"):
        last = rows.iloc[-1]
        zh, en = [f"{int(last['year'])} 年：{last['status']}"], [f"{int(last['year'])}: {STATUS_EN[last['status']]}"]
        invest = last["investment_wan"]
        if invest is not None and not pd.isna(invest):
            zh.append(f"累计完成投资 {float(invest):,.0f} 万元")
            en.append(f"investment completed {float(invest):,.0f} (10^4 yuan)")
        words = last["progress_text"]
        if isinstance(words, str) and words.strip():
            zh.append(words.strip())
        out[int(no)] = ("；".join(zh), "; ".join(en))
    return out


def project_layer_with_progress(stored: Any) -> Any:
    """Transform of layer ``projects``: :func:`cyc_geo.planning.projects.project_layer` with each site's latest
    progress record (``progress`` / ``progress_en``, "" when none is recorded) for the map's popup."""
    from cyc_geo.planning.projects import project_layer

    sites = project_layer(stored)
    conn = db.connect()
    try:
        texts = latest_progress_text(read_progress(conn))
    finally:
        conn.close()
    sites["progress"] = [texts.get(int(n), ("", ""))[0] for n in sites["project_no"]]
    sites["progress_en"] = [texts.get(int(n), ("", ""))[1] for n in sites["project_no"]]
    return sites


def layer_state() -> str:
    """``transform_version`` of layer ``projects``: the saved sites and progress records (each save is a new
    state), so the map's project layer and popup follow a save without a restart."""
    from cyc_geo.planning.sites_table import sites_key

    conn = db.connect()
    try:
        sites = sites_key(conn)
        records = conn.execute("SELECT * FROM project_progress ORDER BY project_no, year").fetchall()
    finally:
        conn.close()
    digest = hashlib.sha1(repr([tuple(r) for r in records]).encode()).hexdigest()[:12]  # ≤ 12 small rows
    return f"sites={sites!r};progress={digest}"
