"""Large download files as static, content-named files the browser fetches itself.

A file offered through Streamlit's download button lives in the server's in-memory media store and
travels through the app process (and the WebSocket session's lifetime); a ~24 MB roofs GeoPackage
was reported ``canceled`` by Chromium (issue 29). Written once to
``static/downloads/<name>-<sha256[:16]>.<ext>``, it is served as a plain file by the app
(``server.enableStaticServing``: ``/app/static/``, files up to 200 MB) or by nginx in front of
replicas (``deploy/nginx.conf.template``, location ``/app/static/downloads/``), with range requests
and no Python CPU. The name is the SHA-256 of the bytes, so the same content always has the same
URL and no cache serves stale data. No Streamlit here.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from cyc_geo.mapview.tiles import STATIC_ROOT, STATIC_URL
from cyc_geo.paths import write_atomic

SUBDIR = "downloads"
HASH_CHARS = 16
"""Hex digits of SHA-256 in the file name (as the map payloads, :mod:`cyc_geo.mapview.static_payloads`)."""
KEEP_PER_NAME = 4
"""Versions of one download kept (older ones are removed on publish): a page opened before a newer
version was written still finds its file."""


def downloads_root() -> Path:
    """Folder of the download files (``static/downloads``; ``CYC_GEO_DOWNLOADS_DIR`` overrides it for tests)."""
    return Path(os.environ.get("CYC_GEO_DOWNLOADS_DIR", STATIC_ROOT / SUBDIR))


def _safe(text: str, fallback: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or fallback


def file_name(name: str, ext: str, data: bytes) -> str:
    """``<name>-<sha256[:16]>.<ext>`` with ``name`` and ``ext`` reduced to ``[A-Za-z0-9_.-]``."""
    return f"{_safe(name, 'download')}-{hashlib.sha256(data).hexdigest()[:HASH_CHARS]}.{_safe(ext, 'bin')}"


def url_of(fname: str) -> str:
    """URL path under which the app (and nginx) serve a download file."""
    return f"{STATIC_URL}/{SUBDIR}/{fname}"


def publish(data: bytes, name: str, ext: str, root: Path | None = None) -> str:
    """Write ``data`` as a content-named file (if not there yet), keep the newest :data:`KEEP_PER_NAME`
    versions of ``name``; returns its URL."""
    folder = Path(root or downloads_root())
    fname = file_name(name, ext, data)
    target = folder / fname
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data, 0o644)
    else:
        os.utime(target)
    prefix = fname.rsplit("-", 1)[0] + "-"
    pattern = re.compile(re.escape(prefix) + f"[0-9a-f]{{{HASH_CHARS}}}" + re.escape("." + fname.rsplit(".", 1)[-1]) + "$")
    versions = sorted((p for p in folder.iterdir() if pattern.match(p.name)), key=lambda p: p.stat().st_mtime,
                      reverse=True)
    for old in versions[KEEP_PER_NAME:]:
        old.unlink(missing_ok=True)
    return url_of(fname)


def path_of(url: str, root: Path | None = None) -> Path:
    """The file behind a download URL (inverse of :func:`url_of`)."""
    return Path(root or downloads_root()) / url.rsplit("/", 1)[-1]
