"""Partitioned GeoParquet rooftop datasets: a folder of ``part.NNNNN.parquet`` files and a ``manifest.json``.

The manifest (written by :func:`cyc_geo.demo.scaling.build_scaled` or by a planner's own
partitioning) lists the parts in order with their row counts (``{"files": [{"file", "rows"}, ...],
"roofs", "demo", "source", ...}``). The PV engine (:mod:`cyc_geo.pv.engine`) reads partitions
through this module; it is data access, not demo data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFAULT_PARTITION_ROWS = 125_000
"""Rows per part: 250k roofs = 2 parts, so both of this machine's 2 cores work at the smallest benchmark size
(docs/sources.md, "Demo assumptions")."""
MANIFEST = "manifest.json"
"""Name of the manifest inside a partitioned folder."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a scaled dataset, or None if absent / unreadable."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def partition_files(folder: Path, max_roofs: int | None = None) -> list[Path]:
    """The first partitions of ``folder`` holding ``max_roofs`` roofs (all if ``None``).

    Raises :class:`ValueError` if ``max_roofs`` does not fall on a partition boundary,
    so a benchmark never silently measures a different size.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        raise FileNotFoundError(f"不是分区屋顶数据 / not a scaled rooftop dataset: {folder}")
    out, total = [], 0
    for entry in manifest["files"]:
        if max_roofs is not None and total >= max_roofs:
            break
        out.append(Path(folder) / entry["file"])
        total += entry["rows"]
    if max_roofs is not None and total != max_roofs:
        raise ValueError(f"{max_roofs} roofs is not a whole number of partitions (got {total}) in {folder}")
    return out
