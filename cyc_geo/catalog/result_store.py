"""Small results kept on disk across restarts, keyed by everything they were computed from.

A restarted app process has empty in-memory caches, so its first visitor used to wait for the
layers to be read and the map payloads and sidebar figures to be computed again (docs/map.md,
"Serving a planning office"), although nothing they depend on had changed. The results that
are small and expensive (a layer's facts, the URLs of published payloads, the county bounds, the
roofs' tile signature and county totals, a rendered map) are therefore also written here, one
JSON file per result, and a new process reads them instead of recomputing.

A result is found only under the same key and the same :func:`code_fingerprint`. Keys hold the
data's source versions (file, size and modification time, :func:`cyc_geo.catalog.sources.source_version`),
so an import, a rollback or a replaced file is a new key; the fingerprint hashes the project's
code, layer TOMLs and pinned requirements, so a new release starts a new folder (older folders
are removed by :func:`prune`). Files are named by the SHA-256 of the key's ``repr``; keys are not
written out (a key may hold a basemap token). Writes are atomic (:func:`cyc_geo.paths.write_atomic`),
so processes sharing the folder (replicas) never read a half-written file; an unreadable file
counts as missing. ``CYC_GEO_RESULTS=0`` turns the store off. No Streamlit here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from cyc_geo import paths

T = TypeVar("T")

ENV = "CYC_GEO_RESULTS"
"""``0`` turns the store off (every lookup computes); a path moves it (default ``<generated>/results``)."""

FINGERPRINT_SOURCES: tuple[tuple[str, str], ...] = (
    ("cyc_geo", "**/*.py"), ("ui", "**/*.py"), ("views", "**/*.py"), (".", "app.py"), (".", "requirements.txt"),
)
"""(folder under the repository, glob) of the files whose content is hashed into :func:`code_fingerprint`."""


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


def root() -> Path:
    """Folder of the store: ``CYC_GEO_RESULTS`` if it is a path, else ``<generated>/results``."""
    value = os.environ.get(ENV, "")
    return Path(value) if value not in ("", "0", "1") else paths.generated_dir() / "results"


@functools.lru_cache(maxsize=4)
def _fingerprint(layers_dir: str) -> str:
    digest = hashlib.sha256()
    files = [p for folder, pattern in FINGERPRINT_SOURCES for p in (paths.REPO_ROOT / folder).glob(pattern)]
    files += list(Path(layers_dir).glob("*.toml"))
    for path in sorted(set(files)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def code_fingerprint() -> str:
    """16 hex digits of SHA-256 over the code, the layer TOMLs and ``requirements.txt`` (once per process)."""
    return _fingerprint(str(paths.layers_dir()))


def _path(key: Hashable) -> Path:
    name = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:32]
    return root() / code_fingerprint() / f"{name}.json"


def get(key: Hashable) -> Any | None:
    """The JSON value stored under ``key``, or None (none stored, store off, or unreadable)."""
    if not enabled():
        return None
    try:
        return json.loads(_path(key).read_text(encoding="utf-8"))["value"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(key: Hashable, value: Any) -> None:
    """Store ``value`` (JSON-serialisable) under ``key``; a failed write is ignored (the store is a cache)."""
    if not enabled():
        return
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    try:
        text = json.dumps({"value": value}, ensure_ascii=False, default=_plain)
    except (TypeError, ValueError):
        return  # not JSON-able: computed again next time
    with contextlib.suppress(OSError):
        paths.write_atomic(path, text.encode("utf-8"))


def _plain(value: Any) -> Any:
    """NumPy scalars as Python numbers (``json.dumps`` ``default``)."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def remember(key: Hashable, compute: Callable[[], T], *, encode: Callable[[T], Any] = lambda v: v,
             decode: Callable[[Any], T] = lambda v: v, valid: Callable[[T], bool] = lambda v: True) -> T:
    """The result stored under ``key`` (``decode``-d) if there is one and it is ``valid``, else
    ``compute()``, stored (``encode``-d) for the next process."""
    stored = get(key)
    if stored is not None:
        try:
            value = decode(stored)
        except (ValueError, KeyError, TypeError, IndexError):
            value = None
        if value is not None and valid(value):
            return value
    value = compute()
    put(key, encode(value))
    return value


def prune() -> int:
    """Remove the folders of other code fingerprints (older releases); the number removed."""
    folder = root()
    if not enabled() or not folder.is_dir():
        return 0
    keep = code_fingerprint()
    gone = 0
    for child in folder.iterdir():
        if child.is_dir() and child.name != keep:
            shutil.rmtree(child, ignore_errors=True)
            gone += 1
    return gone


def referenced(pattern: re.Pattern[str]) -> set[str]:
    """Every match of ``pattern`` in the results of the current code fingerprint (e.g. the payload URLs a
    new process would hand out); empty when the store is off or empty. Unreadable files are skipped."""
    folder = root() / code_fingerprint()
    if not enabled() or not folder.is_dir():
        return set()
    found: set[str] = set()
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found
