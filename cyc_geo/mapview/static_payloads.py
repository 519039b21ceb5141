"""Map payloads as static, gzip-compressed, content-addressed files the browser fetches itself.

A layer's payload (:func:`cyc_geo.mapview.webmap.layer_payload`: GeoJSON, style, tooltip, labels)
does not depend on the session, only on the data version, basemap and language. Written once
to ``static/payloads/<name>-<hash>.json.gz`` (Streamlit serves ``static/`` at ``/app/static/``,
``server.enableStaticServing``; nginx serves it directly in front of replicas, see
``deploy/``), it is sent to each visitor as a short URL instead of being re-serialised into
every session's map component. The hash is the SHA-256 of the payload text, so a new import
is a new file name and no cache can serve stale data; the same text always gets the same
name, so every process (replica) that builds it agrees on the URL.

The file is gzip bytes served as they are (Streamlit's static route sends no
``Content-Encoding``); the map's script decompresses it with the browser's
``DecompressionStream`` (:class:`cyc_geo.mapview.webmap.FastGeoJson`). Writes go to a temporary
file renamed into place, so a half-written file is never served, also with several
processes writing the same payload at once. Every new data version is a new file, so :func:`prune` (run at
start-up with :func:`cyc_geo.catalog.result_store.prune`) removes the files nothing hands out any more.
No Streamlit here.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from cyc_geo.catalog import result_store
from cyc_geo.mapview.tiles import STATIC_ROOT, STATIC_URL
from cyc_geo.paths import write_atomic

SUBDIR = "payloads"
HASH_CHARS = 16
"""Hex digits of SHA-256 in the file name (64 bits: collisions are not a concern for a few thousand files)."""
GZIP_LEVEL = 6
KEEP_UNUSED_S = 86_400.0
"""A payload file neither referenced by the result store nor published (or re-published) in this many seconds
(one day) is removed by :func:`prune`: a visitor's open page may still fetch the file it was given (project
choice, docs/architecture.md, "Caching")."""


def payloads_root() -> Path:
    """Folder of the payload files (``static/payloads``; ``CYC_GEO_PAYLOADS_DIR`` overrides it for tests)."""
    return Path(os.environ.get("CYC_GEO_PAYLOADS_DIR", STATIC_ROOT / SUBDIR))


def file_name(name: str, text: str) -> str:
    """``<name>-<hash>.json.gz``: ``name`` reduced to ``[A-Za-z0-9_.-]``, hash of ``text`` (UTF-8)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "payload"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]
    return f"{safe}-{digest}.json.gz"


def url_of(fname: str) -> str:
    """URL path under which the app (and nginx) serve a payload file."""
    return f"{STATIC_URL}/{SUBDIR}/{fname}"


def path_of(url: str, root: Path | None = None) -> Path:
    """The file behind a payload URL (inverse of :func:`url_of`)."""
    return Path(root or payloads_root()) / url.rsplit("/", 1)[-1]


def publish(text: str, name: str, root: Path | None = None) -> str:
    """Write ``text`` gzip-compressed as a content-named file (if not there yet); its URL.

    ``mtime=0`` in the gzip header, so the bytes depend on the text only.
    """
    folder = Path(root or payloads_root())
    fname = file_name(name, text)
    target = folder / fname
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(text.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)
        write_atomic(target, data, 0o644)
    else:
        with contextlib.suppress(OSError):
            os.utime(target)  # handed out again: in use, kept by prune()
    return url_of(fname)


def prune(keep: Iterable[str] | None = None, root: Path | None = None, max_age_s: float = KEEP_UNUSED_S,
          now: float | None = None) -> int:
    """Remove the payload files that are not in ``keep`` (URLs; default: those the current result store hands
    out, :func:`cyc_geo.catalog.result_store.referenced`) and were last published more than ``max_age_s`` ago
    (:data:`KEEP_UNUSED_S`); the number removed. Files of older data versions, basemaps no longer offered and
    older releases go; a removed file that is asked for again is published again (``is_published``)."""
    folder = Path(root or payloads_root())
    if not folder.is_dir():
        return 0
    kept = {u.rsplit("/", 1)[-1] for u in (result_store.referenced(URL_PATTERN) if keep is None else keep)}
    limit = (time.time() if now is None else now) - max_age_s
    gone = 0
    for path in folder.glob("*.json.gz"):
        try:
            if path.name not in kept and path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
        except OSError:
            continue  # removed by another process meanwhile
    return gone


def is_published(url: str, root: Path | None = None) -> bool:
    """Whether the file behind ``url`` exists (a cleaned ``static/`` folder means: publish again)."""
    return path_of(url, root).exists()


def read(url: str, root: Path | None = None) -> str:
    """The payload text behind ``url`` (decompressed), e.g. for tests and exports."""
    return gzip.decompress(path_of(url, root).read_bytes()).decode("utf-8")


URL_PATTERN = re.compile(r"/app/static/payloads/[A-Za-z0-9_.-]+\.json\.gz")


def with_payloads(text: str, root: Path | None = None) -> str:
    """``text`` followed by the payload text of every payload URL it mentions (tests read a map's
    component arguments this way: the layers' data are in the files, not in the arguments)."""
    urls = list(dict.fromkeys(URL_PATTERN.findall(text)))
    return "\n".join([text, *(read(u, root) for u in urls)])
