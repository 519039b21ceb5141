"""Named PV scenarios stored in the project database (table ``scenarios``, kind ``pv``).

Every save and delete runs in one :func:`cyc_geo.db.transaction` together with its
audit record (who, when, old and new parameters), so a scenario is either saved
with its audit entry or not at all. Library functions take an explicit ``actor``;
the app checks the signed-in editor before calling them.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from cyc_geo import db
from cyc_geo.pv.params import Scenario

KIND = "pv"
ENTITY = "pv_scenario"
MAX_NAME_LEN = 80


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValueError("情景名称不能为空 / the scenario name must not be empty")
    if len(name) > MAX_NAME_LEN:
        raise ValueError(f"情景名称过长（最多 {MAX_NAME_LEN} 字） / scenario name longer than {MAX_NAME_LEN} characters")
    return name


def save_scenario(conn: sqlite3.Connection, name: str, scenario: Scenario, actor: str) -> dict[str, Any]:
    """Insert or replace scenario ``name``; audited as ``create`` or ``update``. Returns the stored row."""
    name, actor = _clean_name(name), db.clean_actor(actor)
    params = scenario.validate().to_dict()
    with db.transaction(conn):
        row = conn.execute("SELECT kind, params FROM scenarios WHERE name = ?", (name,)).fetchone()
        if row is not None and row["kind"] != KIND:
            raise ValueError(f"名称 {name!r} 已被其他类型的情景使用 / name {name!r} is used by a {row['kind']} scenario")
        old = json.loads(row["params"]) if row else None
        at = db.now_iso()
        conn.execute(
            "INSERT INTO scenarios(name, kind, params, updated_by, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(name) DO UPDATE SET kind=excluded.kind, params=excluded.params, "
            "updated_by=excluded.updated_by, updated_at=excluded.updated_at",
            (name, KIND, json.dumps(params, ensure_ascii=False, sort_keys=True), actor, at),
        )
        db.audit(conn, actor, ENTITY, name, "update" if row else "create", old, params)
    return {"name": name, "params": params, "updated_by": actor, "updated_at": at}


def scenario_from_params(params: dict[str, Any]) -> Scenario:
    """A validated :class:`~cyc_geo.pv.params.Scenario` from a stored ``params`` dict (used by other pages)."""
    return Scenario.from_dict(params)


def load_scenario(conn: sqlite3.Connection, name: str) -> Scenario:
    """The stored scenario ``name``; ``KeyError`` (zh + en) if there is none."""
    row = conn.execute("SELECT params FROM scenarios WHERE name = ? AND kind = ?", (name, KIND)).fetchone()
    if row is None:
        raise KeyError(f"没有名为 {name!r} 的光伏情景 / no PV scenario named {name!r}")
    return Scenario.from_dict(json.loads(row["params"]))


def list_scenarios(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Stored PV scenarios, newest first: name, updated_by, updated_at, params (dict)."""
    rows = conn.execute(
        "SELECT name, params, updated_by, updated_at FROM scenarios WHERE kind = ? ORDER BY updated_at DESC, name",
        (KIND,),
    ).fetchall()
    return [{"name": r["name"], "updated_by": r["updated_by"], "updated_at": r["updated_at"],
             "params": json.loads(r["params"])} for r in rows]


def delete_scenario(conn: sqlite3.Connection, name: str, actor: str) -> None:
    """Delete scenario ``name`` (audited); ``KeyError`` if it does not exist."""
    actor = db.clean_actor(actor)
    with db.transaction(conn):
        row = conn.execute("SELECT params FROM scenarios WHERE name = ? AND kind = ?", (name, KIND)).fetchone()
        if row is None:
            raise KeyError(f"没有名为 {name!r} 的光伏情景 / no PV scenario named {name!r}")
        conn.execute("DELETE FROM scenarios WHERE name = ? AND kind = ?", (name, KIND))
        db.audit(conn, actor, ENTITY, name, "delete", json.loads(row["params"]), None)
