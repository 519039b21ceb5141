"""Versioned storage of imported layers with atomic switching and one-step rollback.

Layout under ``<data>/layers/<layer_id>/``::

    versions/<stamp>-<sha8>.gpkg|.tif   every imported version, kept for rollback
    versions/<stamp>-<sha8>.json        its record (file name, hash, actor, counts);
                                        written last, so a version without it is incomplete
    active.gpkg | active.tif            what the app shows (see cyc_geo.catalog.sources)
    .lock                               per-layer lock (flock) held while switching

Crash safety: a new version is written completely, fsync'ed, and only then made
active with ``os.replace`` of a hard link (or copy) - an atomic rename on POSIX.
Killed at any moment, the layer is either the old or the new version. The
``layer_imports`` table follows the files: :func:`reconcile` repairs it from the
active file's embedded version name if a crash came between the switch and the
database commit.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyogrio

from cyc_geo import db
from cyc_geo.catalog import sources
from cyc_geo.catalog.vector_io import read_meta

VERSION_KEY = "import_version"
"""Metadata key (GeoPackage layer metadata / GeoTIFF tag) naming the version a file holds."""


def layer_dir(layer_id: str) -> Path:
    return sources.active_import_path(layer_id).parent


def versions_dir(layer_id: str) -> Path:
    return layer_dir(layer_id) / "versions"


def active_file(layer_id: str) -> Path | None:
    """The active imported file of a layer (vector or raster), or None."""
    for path in (sources.active_import_path(layer_id), sources.active_raster_path(layer_id)):
        if path.exists():
            return path
    return None


@contextmanager
def layer_lock(layer_id: str) -> Iterator[None]:
    """Exclusive per-layer lock across processes and threads (one open file per holder); released
    by the OS if the process dies. Not re-entrant: code holding it calls :func:`reconcile` and
    :func:`_history`, never :func:`list_versions`."""
    folder = layer_dir(layer_id)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def try_layer_lock(layer_id: str) -> Iterator[bool]:
    """The per-layer lock if it is free right now (yields True), else nothing (yields False, no
    waiting): for readers that may repair the history but must never race an import or rollback."""
    folder = layer_dir(layer_id)
    if not folder.exists():
        yield False
        return
    with open(folder / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=1, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def embedded_version(path: Path) -> str | None:
    """The version name stored inside an imported file (GeoPackage metadata or GeoTIFF tag)."""
    try:
        if path.suffix == ".gpkg":
            layer = pyogrio.list_layers(path)[0, 0]
            return read_meta(path, layer).get(VERSION_KEY)
        import rasterio

        with rasterio.open(path) as src:
            return src.tags().get(VERSION_KEY.upper())
    except Exception:  # noqa: BLE001 - an unreadable file has no version
        return None


def cleanup_stale(layer_id: str) -> int:
    """Remove leftovers of interrupted imports (temp files, versions without a record). Call under the lock."""
    removed = 0
    folder = versions_dir(layer_id)
    for tmp in list(layer_dir(layer_id).glob(".active*")) + (list(folder.glob(".*")) if folder.exists() else []):
        tmp.unlink(missing_ok=True)
        removed += 1
    if folder.exists():
        for data in folder.iterdir():
            if data.suffix in (".gpkg", ".tif") and not data.with_suffix(".json").exists():
                data.unlink(missing_ok=True)
                removed += 1
    return removed


def commit_version(layer_id: str, data_file: Path, record: dict[str, Any]) -> Path:
    """Make a completely written version file active (atomic switch). Call under :func:`layer_lock`.

    ``data_file`` must already be in :func:`versions_dir`; ``record`` is written as its
    sidecar JSON before the switch.
    """
    _fsync_file(data_file)
    write_json_atomic(data_file.with_suffix(".json"), record)
    _fsync_dir(data_file.parent)
    return _switch_active(layer_id, data_file)


def _switch_active(layer_id: str, data_file: Path) -> Path:
    folder = layer_dir(layer_id)
    suffix = data_file.suffix
    target = sources.active_import_path(layer_id) if suffix == ".gpkg" else sources.active_raster_path(layer_id)
    other = sources.active_raster_path(layer_id) if suffix == ".gpkg" else sources.active_import_path(layer_id)
    tmp = folder / f".active.{os.getpid()}{suffix}"
    tmp.unlink(missing_ok=True)
    try:
        os.link(data_file, tmp)
    except OSError:
        shutil.copyfile(data_file, tmp)
        _fsync_file(tmp)
    os.replace(tmp, target)
    other.unlink(missing_ok=True)
    _fsync_dir(folder)
    return target


def deactivate(layer_id: str) -> None:
    """Remove the active import so the layer falls back to planner files or demo data."""
    for path in (sources.active_import_path(layer_id), sources.active_raster_path(layer_id)):
        path.unlink(missing_ok=True)
    if layer_dir(layer_id).exists():
        _fsync_dir(layer_dir(layer_id))


def record_import(conn: sqlite3.Connection, layer_id: str, record: dict[str, Any], actor: str) -> int:
    """Insert the import row (active) and the audit entry in one transaction; returns the row id."""
    with db.transaction(conn):
        old = conn.execute("SELECT id FROM layer_imports WHERE layer = ? AND active = 1", (layer_id,)).fetchone()
        conn.execute("UPDATE layer_imports SET active = 0 WHERE layer = ?", (layer_id,))
        cur = conn.execute(
            "INSERT INTO layer_imports(layer, file_name, sha256, stored_path, imported_at, imported_by, counts, active)"
            " VALUES (?,?,?,?,?,?,?,1)",
            (layer_id, record["file_name"], record["sha256"], record["stored_path"], record["imported_at"],
             actor, json.dumps(record, ensure_ascii=False, default=str)),
        )
        db.audit(conn, actor, "layer", layer_id, "import", {"import_id": old[0] if old else None},
                 {"import_id": cur.lastrowid, "file_name": record["file_name"], "sha256": record["sha256"]})
        row_id = cur.lastrowid
        assert row_id is not None  # sqlite3 sets it after an INSERT
        return row_id


def list_versions(conn: sqlite3.Connection, layer_id: str) -> list[dict[str, Any]]:
    """Import history of a layer, newest first.

    The ``active`` flags are repaired (:func:`reconcile`) only when the layer's lock is free: while
    an import or rollback holds it the rows are read as they are, since a repair then would record
    the import being stored a second time."""
    with try_layer_lock(layer_id) as locked:
        if locked:
            reconcile(conn, layer_id)
        return _history(conn, layer_id)


def _history(conn: sqlite3.Connection, layer_id: str) -> list[dict[str, Any]]:
    """The ``layer_imports`` rows of a layer, newest first, with ``counts`` parsed and ``available``."""
    rows = conn.execute("SELECT * FROM layer_imports WHERE layer = ? ORDER BY id DESC", (layer_id,)).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["counts"] = json.loads(d["counts"] or "{}")
        d["available"] = Path(d["stored_path"]).exists()
        out.append(d)
    return out


def reconcile(conn: sqlite3.Connection, layer_id: str) -> None:
    """Make the ``active`` flags match the active file (repairs a crash between switch and commit).
    Call under :func:`layer_lock` (or :func:`try_layer_lock` when it was free)."""
    active = active_file(layer_id)
    version = embedded_version(active) if active else None
    rows = conn.execute("SELECT id, counts, active FROM layer_imports WHERE layer = ?", (layer_id,)).fetchall()
    by_version = {json.loads(r["counts"] or "{}").get("version"): r for r in rows}
    if version and version not in by_version:
        sidecar = versions_dir(layer_id) / f"{version}.json"
        if sidecar.exists():
            record = json.loads(sidecar.read_text(encoding="utf-8"))
            record_import(conn, layer_id, record, record.get("imported_by", "unknown"))
            return
    want = by_version[version]["id"] if version in by_version else None
    current = [r["id"] for r in rows if r["active"]]
    if current != ([want] if want else []):
        with db.transaction(conn):
            conn.execute("UPDATE layer_imports SET active = (id = ?) WHERE layer = ?", (want or -1, layer_id))


def _replaced(conn: sqlite3.Connection, layer_id: str) -> dict[int, int | None]:
    """For each import id, the import that was active just before it last became active by an
    import or an activation (None: demo/planner data), from the audit log."""
    rows = conn.execute(
        "SELECT old_value, new_value FROM audit_log WHERE entity = 'layer' AND entity_key = ?"
        " AND action IN ('import', 'activate') ORDER BY id",
        (layer_id,),
    ).fetchall()
    out: dict[int, int | None] = {}
    for r in rows:
        new = json.loads(r["new_value"] or "null") or {}
        old = json.loads(r["old_value"] or "null") or {}
        if new.get("import_id") is not None:
            out[int(new["import_id"])] = old.get("import_id")
    return out


def rollback_target(conn: sqlite3.Connection, layer_id: str, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The version a rollback returns to: the state before the change that made the active import
    active (an import or an activation, per the audit log), skipping versions whose file is gone;
    None for demo/planner data. A version that was rolled away from is never restored by a later
    rollback (history #1, #2, rollback to #1, import #3: a rollback goes to #1, not #2).
    Imports older than the audit log fall back to the next older available import."""
    by_id = {v["id"]: v for v in history}
    active = next((v for v in history if v["active"]), None)
    if active is None:
        return None
    replaced = _replaced(conn, layer_id)
    seen = {active["id"]}
    current = active["id"]
    while current in replaced:
        prev = replaced[current]
        if prev is None:
            return None
        if prev in seen:
            break
        seen.add(prev)
        v = by_id.get(prev)
        if v is not None and v["available"] and v["stored_path"] != active["stored_path"]:
            return v
        current = prev
    else:
        older = [v for v in history if v["id"] < active["id"] and v["available"] and v["id"] not in seen]
        return older[0] if older else None
    return None


def rollback(conn: sqlite3.Connection, layer_id: str, actor: str) -> dict[str, Any]:
    """Switch the layer back to the state before its latest change (see :func:`rollback_target`),
    or to demo data.

    Returns ``{"layer", "from", "to"}`` with import ids (``to`` None = demo/planner file).
    """
    with layer_lock(layer_id):
        reconcile(conn, layer_id)
        history = _history(conn, layer_id)
        active_idx = next((i for i, v in enumerate(history) if v["active"]), None)
        if active_idx is None:
            raise ValueError(f"layer {layer_id!r} has no active import to roll back / 该图层没有可回滚的导入数据")
        target = rollback_target(conn, layer_id, history)
        if target is None:
            deactivate(layer_id)
        else:
            _switch_active(layer_id, Path(target["stored_path"]))
        with db.transaction(conn):
            conn.execute("UPDATE layer_imports SET active = (id = ?) WHERE layer = ?",
                         (target["id"] if target else -1, layer_id))
            db.audit(conn, actor, "layer", layer_id, "rollback", {"import_id": history[active_idx]["id"]},
                     {"import_id": target["id"] if target else None})
    return {"layer": layer_id, "from": history[active_idx]["id"], "to": target["id"] if target else None}


def activate(conn: sqlite3.Connection, layer_id: str, import_id: int, actor: str) -> dict[str, Any]:
    """Make a specific earlier import of ``layer_id`` active again (atomic switch, audited)."""
    with layer_lock(layer_id):
        reconcile(conn, layer_id)
        history = _history(conn, layer_id)
        target = next((v for v in history if v["id"] == import_id), None)
        if target is None or not target["available"]:
            raise ValueError(f"import {import_id} of {layer_id!r} is not available / 该版本不存在或文件已丢失")
        current = next((v["id"] for v in history if v["active"]), None)
        _switch_active(layer_id, Path(target["stored_path"]))
        with db.transaction(conn):
            conn.execute("UPDATE layer_imports SET active = (id = ?) WHERE layer = ?", (import_id, layer_id))
            db.audit(conn, actor, "layer", layer_id, "activate", {"import_id": current}, {"import_id": import_id})
    return {"layer": layer_id, "from": current, "to": import_id}


# ---------------------------------------------------------------- data years

DATA_YEAR_KEY = "data_year"
"""Key of the year a version's data describes, in its record (``layer_imports.counts`` and the sidecar)."""
YEAR_COLUMNS = ("SJNF", "sjnf", "年份", "DCNF", "data_year")
"""Attribute columns holding a survey year: 三调 年份 (SJNF, 数据年份), 调查年份 (DCNF), or ``data_year``."""
MIN_DATA_YEAR, MAX_DATA_YEAR = 1990, 2100


def _year_or_none(value: Any) -> int | None:
    try:
        year = int(float(str(value).strip()[:4]))
    except (TypeError, ValueError):
        return None
    return year if MIN_DATA_YEAR <= year <= MAX_DATA_YEAR else None


def detect_data_year(path: Path) -> int | None:
    """The year a stored version's data describes, read from the file: the most common value of a year
    column (:data:`YEAR_COLUMNS`, e.g. 三调 ``SJNF``), else the ``data_year`` of its metadata (a ledger's
    latest date) or GeoTIFF tags; None if the file says nothing."""
    path = Path(path)
    try:
        if path.suffix == ".gpkg":
            layer = pyogrio.list_layers(path)[0, 0]
            fields = list(pyogrio.read_info(path, layer=layer)["fields"])
            col = next((c for c in YEAR_COLUMNS if c in fields), None)
            if col is not None:
                df = pyogrio.read_dataframe(path, layer=layer, columns=[col], read_geometry=False)
                years = df[col].map(_year_or_none).dropna()
                if len(years):
                    return int(years.mode().iloc[0])
            return _year_or_none(read_meta(path, layer).get(DATA_YEAR_KEY))
        import rasterio

        with rasterio.open(path) as src:
            return _year_or_none(src.tags().get(DATA_YEAR_KEY))
    except Exception:  # noqa: BLE001 - an unreadable file has no data year
        return None


def set_data_year(conn: sqlite3.Connection, layer_id: str, import_id: int, year: int | None, actor: str) -> None:
    """Store the data year of one import in its record (database row and sidecar JSON), audited."""
    if year is not None and _year_or_none(year) != int(year):
        raise ValueError(f"数据年份无效 / invalid data year: {year!r} ({MIN_DATA_YEAR}–{MAX_DATA_YEAR})")
    with db.transaction(conn):
        row = conn.execute("SELECT counts, stored_path FROM layer_imports WHERE id = ? AND layer = ?",
                           (int(import_id), layer_id)).fetchone()
        if row is None:
            raise ValueError(f"import {import_id} of {layer_id!r} not found / 找不到该导入记录")
        record = json.loads(row["counts"] or "{}")
        old = record.get(DATA_YEAR_KEY)
        record[DATA_YEAR_KEY] = None if year is None else int(year)
        conn.execute("UPDATE layer_imports SET counts = ? WHERE id = ?",
                     (json.dumps(record, ensure_ascii=False, default=str), int(import_id)))
        db.audit(conn, actor, "layer", layer_id, "data_year", {"import_id": import_id, DATA_YEAR_KEY: old},
                 {"import_id": import_id, DATA_YEAR_KEY: record[DATA_YEAR_KEY]})
    sidecar = Path(row["stored_path"]).with_suffix(".json")
    if sidecar.exists():
        payload = json.loads(sidecar.read_text(encoding="utf-8"))
        payload[DATA_YEAR_KEY] = record[DATA_YEAR_KEY]
        write_json_atomic(sidecar, payload)


def apply_data_year(conn: sqlite3.Connection, layer_id: str, record: dict[str, Any], year: int | None,
                    actor: str) -> int | None:
    """After an import: the data year given (``--data-year``, the import page) or read from the stored file;
    stored with the version and put into ``record``. Returns it (None = unknown)."""
    year = int(year) if year else detect_data_year(Path(record["stored_path"]))
    set_data_year(conn, layer_id, int(record["import_id"]), year, actor)
    record[DATA_YEAR_KEY] = year
    return year


def data_year_of(version: dict[str, Any]) -> int | None:
    """The data year of a :func:`list_versions` row (None when unknown)."""
    return _year_or_none((version.get("counts") or {}).get(DATA_YEAR_KEY))


def dated_versions(conn: sqlite3.Connection, layer_id: str) -> list[dict[str, Any]]:
    """Available versions of a layer that carry a data year: ``import_id, data_year, stored_path,
    imported_by, imported_at, active``, by data year then import (the later import of one year wins)."""
    rows = [
        {"import_id": v["id"], "data_year": data_year_of(v), "stored_path": v["stored_path"],
         "imported_by": v["imported_by"], "imported_at": v["imported_at"], "active": bool(v["active"]),
         "layer": layer_id}
        for v in list_versions(conn, layer_id) if v["available"]
    ]
    return sorted([r for r in rows if r["data_year"] is not None], key=lambda r: (r["data_year"], r["import_id"]))


def version_for_year(versions: list[dict[str, Any]], year: int) -> tuple[dict[str, Any] | None, int | None]:
    """The version whose data year is ``year``, else the nearest earlier one: ``(version, carried_from)``,
    ``carried_from`` being the earlier data year (None for an exact match); ``(None, None)`` if none is earlier."""
    exact = [v for v in versions if v["data_year"] == int(year)]
    if exact:
        return exact[-1], None
    earlier = [v for v in versions if v["data_year"] < int(year)]
    if not earlier:
        return None, None
    best = max(v["data_year"] for v in earlier)
    return [v for v in earlier if v["data_year"] == best][-1], best
