"""Storage failures shown as clear bilingual messages instead of tracebacks (``app.py`` wraps every run).

- A damaged database (:class:`cyc_geo.db.DatabaseDamaged`, or SQLite's "file is not a database" /
  "database disk image is malformed" met later) shows which file and what to do, on every page;
  ``python -m ui.serve`` refuses to start on one (:func:`ui.serve.check_database`), this covers
  ``streamlit run app.py`` and a file damaged while the server runs.
- A full disk (``SQLITE_FULL``, ``ENOSPC``; :func:`cyc_geo.db.is_disk_full`) shows
  :data:`cyc_geo.db.DISK_FULL_MESSAGE`. Nothing is half-written: database writes are single
  transactions that roll back (:func:`cyc_geo.db.transaction`) and files are written with
  :func:`cyc_geo.paths.write_atomic` (a temporary file, removed on error).

Any other unexpected error is shown by Streamlit without details on served runs
(``client.showErrorDetails = "none"``, :data:`ui.serve.SERVED_OPTIONS`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from cyc_geo import db, paths
from ui.common import tr

_LOG = logging.getLogger("cyc_geo.errors")
_CHECKED: set[str] = set()
"""Database files found sound by this process (checked once each)."""


def storage_message(exc: BaseException) -> str | None:
    """The user-facing message for a storage failure, or None if ``exc`` is not one."""
    if isinstance(exc, db.DatabaseDamaged):
        return tr(exc.zh, exc.en)
    if db.is_disk_full(exc):
        return tr(*db.DISK_FULL_MESSAGE)
    if type(exc) is sqlite3.DatabaseError:  # SQLITE_CORRUPT / SQLITE_NOTADB met after the start
        damaged = db.DatabaseDamaged(paths.db_path(), str(exc))
        return tr(damaged.zh, damaged.en)
    return None


def storage_message_or_raise(exc: BaseException) -> str:
    """:func:`storage_message` for a widget callback's ``except`` (callbacks run outside ``app.py``'s
    :func:`storage_errors`); re-raises ``exc`` when it is not a storage failure."""
    message = storage_message(exc)
    if message is None:
        raise exc
    _LOG.error("cyc-geo: storage error: %s", exc)
    return message


def database_usable() -> bool:
    """Check the database once per process (:func:`cyc_geo.db.check_integrity`); if it is damaged show
    why and what to do (every run, every page) and return False."""
    path = str(paths.db_path())
    if path in _CHECKED:
        return True
    try:
        db.check_integrity(path)
    except db.DatabaseDamaged as exc:
        st.error(tr(exc.zh, exc.en), icon=":material/error:")
        return False
    _CHECKED.add(path)
    return True


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a damaged database or a full disk inside the block into :func:`storage_message` on the page."""
    try:
        yield
    except (sqlite3.DatabaseError, db.DatabaseDamaged, OSError) as exc:
        message = storage_message(exc)
        if message is None:
            raise
        _LOG.error("cyc-geo: storage error: %s", exc)
        st.error(message, icon=":material/error:")
