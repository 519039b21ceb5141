"""The PV installations ledger (光伏装机台账): loader, and rows added or corrected in the app.

The ledger is a GeoDataFrame in WGS84, one row per installation (the schema agreed with the
ledger reader of the import side): ``install_id`` int, ``name`` str, ``owner`` str,
``building_class`` in :data:`BUILDING_CLASSES`, ``status`` in :data:`STATUSES`, ``capacity_kw``
float (AC kW, NaN when only DC is known), ``capacity_kwp`` float (DC kWp, NaN when only AC is known; the
two are never converted, docs/sources.md, "PV capacity: AC and DC"), ``date`` ISO ``YYYY-MM-DD`` or "" (grid-connection date for
``grid_connected``, else the filing / start date), ``township_code`` (12-digit, ``data/reference/townships.csv``),
``has_coords`` bool and a point geometry (the township seat when ``has_coords`` is False);
provenance in ``attrs["meta"]`` (``source``, ``demo``, ``approximate``, ``data_year``).

:func:`load_installations` reads layer ``pv_installations`` of the catalogue: the planner's active
import of the layer (or a file in ``data/boundaries``), else the demo ledger its demo builder
writes (``layers/pv_installations.toml``), through :func:`normalise` (the layer's transform). Editors' additions and corrections are
stored in the ``pv_ledger_edits`` table, one JSON row per ``install_id``, each write audited in the same
transaction (:func:`save_ledger_row`); :func:`load_ledger` applies them over the loaded ledger.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from cyc_geo import db
from cyc_geo.catalog.loader import load_layer
from cyc_geo.geo.crs import WGS84
from cyc_geo.pv.plausibility import capacity_problem

LAYER_ID = "pv_installations"
BUILDING_CLASSES = ("gov", "public", "commercial", "rural", "other")
STATUSES = ("grid_connected", "under_construction", "filed")
PIPELINE = ("under_construction", "filed")
COLUMNS = ["install_id", "name", "owner", "building_class", "status", "capacity_kw", "capacity_kwp", "date",
           "township_code", "has_coords"]
STATUS_LABELS = {"grid_connected": ("已并网", "Grid-connected"), "under_construction": ("在建", "Under construction"),
                 "filed": ("备案", "Filed")}
AUDIT_ENTITY = "pv_ledger_row"

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_dates(values: pd.Series) -> pd.Series:
    """ISO ``YYYY-MM-DD`` text of a date column (text, or dates a GeoPackage reader parsed); "" where missing."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return text.where(~text.isin(["NaT", "nan", "None"]), "").str[:10]


def normalise(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ledger with the agreed column types (missing optional text columns become "")."""
    out = gdf.copy()
    for col in ("name", "owner", "building_class"):
        out[col] = out[col].fillna("").astype(str) if col in out.columns else ""
    out["date"] = _iso_dates(out["date"]) if "date" in out.columns else ""
    out["building_class"] = out["building_class"].where(out["building_class"].isin(BUILDING_CLASSES), "other")
    out["install_id"] = pd.to_numeric(out["install_id"]).astype("int64")
    out["capacity_kw"] = pd.to_numeric(out["capacity_kw"], errors="coerce").astype(float)
    out["capacity_kwp"] = (pd.to_numeric(out["capacity_kwp"], errors="coerce").astype(float)
                           if "capacity_kwp" in out.columns else float("nan"))
    out["township_code"] = out["township_code"].astype(str)
    out["status"] = out["status"].astype(str)
    out["has_coords"] = out["has_coords"].astype(bool) if "has_coords" in out.columns else True
    out = gpd.GeoDataFrame(out[COLUMNS + ["geometry"]], geometry="geometry", crs=gdf.crs or WGS84).to_crs(WGS84)
    out.attrs["meta"] = dict(gdf.attrs.get("meta") or {})
    return out


def load_installations() -> gpd.GeoDataFrame:
    """The ledger (WGS84, agreed schema): layer ``pv_installations`` of the catalogue (the planner's import
    of the layer, else the demo ledger, built if missing), normalised by its transform."""
    return load_layer(LAYER_ID)


# ---------------------------------------------------------------- edits


def _seat(township_code: str) -> Point:
    from cyc_geo.places.townships import read_seats

    seats = read_seats().set_index("code").geometry
    if township_code not in seats.index:
        raise ValueError(f"无此乡镇代码 / unknown township code {township_code!r}")
    return seats[township_code]


def _text(row: dict[str, Any], key: str) -> str:
    v = row.get(key)
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()


def _check(row: dict[str, Any]) -> list[str]:
    errors = []
    if row["status"] not in STATUSES:
        errors.append(f"状态无效 / status must be one of {STATUSES}")
    if row["building_class"] not in BUILDING_CLASSES:
        errors.append(f"建筑类别无效 / building_class must be one of {BUILDING_CLASSES}")
    if not row["capacity_kw"] > 0:
        errors.append("装机容量须大于 0 / capacity_kw must be greater than 0")
    elif problem := capacity_problem(row["building_class"], row["capacity_kw"]):
        errors.append(" / ".join(problem))
    if row["date"] and (not _ISO.match(row["date"]) or pd.isna(pd.to_datetime(row["date"], errors="coerce"))):
        errors.append("日期须为 YYYY-MM-DD 或留空 / date must be YYYY-MM-DD or empty")
    if not row["name"]:
        errors.append("需要名称 / a name is required")
    return errors


def clean_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A validated ledger row (``lon``/``lat`` optional, WGS84 degrees); ``ValueError`` (zh + en) when bad."""
    try:
        capacity = float(raw["capacity_kw"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("装机容量须为数字 / capacity_kw must be a number") from None
    row: dict[str, Any] = {
        "install_id": int(raw["install_id"]), "name": _text(raw, "name"), "owner": _text(raw, "owner"),
        "building_class": _text(raw, "building_class") or "other", "status": _text(raw, "status"),
        "capacity_kw": capacity, "date": _text(raw, "date"), "township_code": _text(raw, "township_code")}
    errors = _check(row)
    raw_lon, raw_lat = raw.get("lon"), raw.get("lat")
    has = raw_lon not in (None, "") and raw_lat not in (None, "") and not (pd.isna(raw_lon) or pd.isna(raw_lat))
    lon = lat = math.nan
    if has:
        try:
            lon, lat = float(raw["lon"]), float(raw["lat"])
        except (TypeError, ValueError):  # typed text: a message, not Python's "could not convert string to float"
            errors.append("经纬度须为数字（WGS84 度） / lon/lat must be numbers (WGS84 degrees)")
            has = False
    if has and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors.append("经纬度无效 / lon/lat out of range")
    try:
        _seat(row["township_code"])
    except ValueError as exc:
        errors.append(str(exc))
    if errors:
        raise ValueError("; ".join(errors))
    row.update({"has_coords": bool(has), "lon": float(lon) if has else None, "lat": float(lat) if has else None})
    return row


def next_install_id(ledger: pd.DataFrame, conn: sqlite3.Connection) -> int:
    """An ``install_id`` used neither by the ledger nor by a stored edit."""
    top = conn.execute("SELECT MAX(install_id) FROM pv_ledger_edits").fetchone()[0] or 0
    return int(max(int(ledger["install_id"].max()) if len(ledger) else 0, int(top))) + 1


def save_ledger_row(conn: sqlite3.Connection, raw: dict[str, Any], actor: str) -> int:
    """Store an added or corrected ledger row (by ``install_id``), audited (who / when / old / new); returns its version."""
    if not actor or not str(actor).strip():
        raise ValueError("需要编辑人 / an actor name is required")
    row = clean_row(raw)
    with db.transaction(conn):
        old = conn.execute("SELECT * FROM pv_ledger_edits WHERE install_id = ?", (row["install_id"],)).fetchone()
        version = (int(old["version"]) if old else 0) + 1
        conn.execute(
            "INSERT INTO pv_ledger_edits(install_id, row_json, version, updated_by, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(install_id) DO UPDATE SET row_json=excluded.row_json, version=excluded.version, "
            "updated_by=excluded.updated_by, updated_at=excluded.updated_at",
            (row["install_id"], json.dumps(row, ensure_ascii=False), version, actor, db.now_iso()),
        )
        db.audit(conn, actor, AUDIT_ENTITY, row["install_id"], "insert" if old is None else "update",
                 None if old is None else json.loads(old["row_json"]), row)
    return version


def read_edits(conn: sqlite3.Connection) -> pd.DataFrame:
    """Stored edits: one row per ``install_id`` with the row's fields, ``version``, ``updated_by``, ``updated_at``."""
    rows = [{**json.loads(r["row_json"]), "version": r["version"], "updated_by": r["updated_by"],
             "updated_at": r["updated_at"]} for r in conn.execute("SELECT * FROM pv_ledger_edits ORDER BY install_id")]
    return pd.DataFrame(rows)


def edits_stamp(conn: sqlite3.Connection) -> str:
    """A string that changes whenever an edit is stored (part of the ledger's cache key)."""
    n, last = conn.execute("SELECT COUNT(*), MAX(updated_at) FROM pv_ledger_edits").fetchone()
    return f"{n}:{last or ''}"


def apply_edits(ledger: gpd.GeoDataFrame, edits: pd.DataFrame) -> gpd.GeoDataFrame:
    """``ledger`` with the stored edits applied: a corrected ``install_id`` replaces its row, a new one is appended.

    Edited rows without coordinates sit at their township seat. Provenance keeps the ledger's and
    notes the number of edits.
    """
    if edits.empty:
        return ledger
    geoms = [Point(r.lon, r.lat) if r.has_coords else _seat(r.township_code) for r in edits.itertuples()]
    new = gpd.GeoDataFrame(edits.reindex(columns=COLUMNS), geometry=geoms, crs=WGS84)
    kept = ledger[~ledger["install_id"].isin(new["install_id"])]
    out = normalise(gpd.GeoDataFrame(pd.concat([kept, new], ignore_index=True), geometry="geometry", crs=WGS84))
    meta = dict(ledger.attrs.get("meta") or {})
    meta["edits"] = str(len(new))
    meta["source"] = f"{meta.get('source', 'ledger')} + {len(new)} row(s) edited in the app"
    out.attrs["meta"] = meta
    return out.sort_values("install_id").reset_index(drop=True)


def load_ledger(conn: sqlite3.Connection | None = None) -> gpd.GeoDataFrame:
    """The ledger of :func:`load_installations` with the app's stored edits applied (default database)."""
    base = load_installations()
    own = conn if conn is not None else db.connect()
    try:
        return apply_edits(base, read_edits(own))
    finally:
        if conn is None:
            own.close()
