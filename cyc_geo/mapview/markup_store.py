"""Named markup sets (标注) kept in the project database (table ``markups``).

A set is the checked GeoJSON of :func:`cyc_geo.mapview.markup.to_geojson`. Every save and delete runs in one
:func:`cyc_geo.db.transaction` with its audit record (who, when, old and new GeoJSON), so a set is saved with
its audit entry or not at all. Library functions take an explicit ``actor``; the app checks the signed-in
editor before calling them (``ui.auth.require_editor``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import geopandas as gpd

from cyc_geo import db
from cyc_geo.mapview.markup import MarkupRejected, markup_frame, to_geojson

ENTITY = "markup"
MAX_NAME_LEN = 80


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise MarkupRejected("name_empty", "标注名称不能为空。", "The markup's name must not be empty.")
    if len(name) > MAX_NAME_LEN:
        raise MarkupRejected("name_long", f"标注名称过长（最多 {MAX_NAME_LEN} 字）。",
                             f"The markup's name is longer than {MAX_NAME_LEN} characters.")
    return name


def save_markup(conn: sqlite3.Connection, name: str, markup: gpd.GeoDataFrame, actor: str) -> dict[str, Any]:
    """Insert or replace the set ``name`` (audited as ``create`` or ``update``); an empty frame is refused.
    Returns the stored row (name, count, updated_by, updated_at)."""
    name, actor = _clean_name(name), db.clean_actor(actor)
    if markup is None or not len(markup):
        raise MarkupRejected("nothing", "没有可保存的标注：先在地图上绘制。", "There is no markup to save: draw on the map first.")
    data = to_geojson(markup_frame(to_geojson(markup)))  # checked again: what is stored can always be read
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    with db.transaction(conn):
        row = conn.execute("SELECT geojson FROM markups WHERE name = ?", (name,)).fetchone()
        at = db.now_iso()
        conn.execute(
            "INSERT INTO markups(name, geojson, updated_by, updated_at) VALUES (?,?,?,?) "
            "ON CONFLICT(name) DO UPDATE SET geojson=excluded.geojson, updated_by=excluded.updated_by, "
            "updated_at=excluded.updated_at",
            (name, text, actor, at),
        )
        db.audit(conn, actor, ENTITY, name, "update" if row else "create", json.loads(row["geojson"]) if row else None,
                 data)
    return {"name": name, "count": len(data["features"]), "updated_by": actor, "updated_at": at}


def load_markup(conn: sqlite3.Connection, name: str) -> gpd.GeoDataFrame:
    """The stored set ``name`` as a checked frame; ``KeyError`` (zh + en) if there is none."""
    row = conn.execute("SELECT geojson FROM markups WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise KeyError(f"没有名为 {name!r} 的标注 / no markup named {name!r}")
    return markup_frame(json.loads(row["geojson"]))


def list_markups(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Stored sets, newest first: name, count, updated_by, updated_at."""
    rows = conn.execute("SELECT name, geojson, updated_by, updated_at FROM markups ORDER BY updated_at DESC, name").fetchall()
    return [{"name": r["name"], "count": len(json.loads(r["geojson"]).get("features", [])), "updated_by": r["updated_by"],
             "updated_at": r["updated_at"]} for r in rows]


def delete_markup(conn: sqlite3.Connection, name: str, actor: str) -> None:
    """Delete the set ``name`` (audited); ``KeyError`` if it does not exist."""
    actor = db.clean_actor(actor)
    with db.transaction(conn):
        row = conn.execute("SELECT geojson FROM markups WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise KeyError(f"没有名为 {name!r} 的标注 / no markup named {name!r}")
        conn.execute("DELETE FROM markups WHERE name = ?", (name,))
        db.audit(conn, actor, ENTITY, name, "delete", json.loads(row["geojson"]), None)
