"""Locate: what a search text names — a coordinate (:func:`cyc_geo.geo.coords.parse_coordinate`), or a feature
by its parcel number (三调 BSM/TBBH, 永久基本农田 图斑编号: the layers' ``parcel_id``), installation or project
name, or place name.

Which layers are searched, and by which fields, follows their TOMLs: every vector layer whose tooltip lists one of
:data:`LOCATE_FIELDS` (the catalogue's canonical identifier columns, to which the import aliases map BSM, TBBH,
JBNTTBBH, 项目名称 …). A text equal to a value (case-insensitive) is an exact hit; otherwise values that start with
it, then values that contain it. Layers come from the catalogue (``load``, :func:`cyc_geo.catalog.loader.load_layer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from cyc_geo.geo.coords import parse_coordinate
from cyc_geo.geo.crs import WGS84

LOCATE_FIELDS = ("parcel_id", "install_id", "name", "name_en")
"""Identifier and name columns a search matches, in the order they are tried."""

MAX_HITS = 20
"""Hits returned at most (project choice: a search list, not a table)."""


@dataclass(frozen=True)
class Hit:
    """One answer of a search: ``kind`` ``coordinate`` (``layer`` None) or ``feature`` (``layer``, its row
    ``position`` in the loaded layer, the ``field`` and ``value`` matched, ``exact``); ``lon`` / ``lat`` a point
    on it (WGS84) and ``bounds`` (west, south, east, north) to zoom to."""

    kind: str
    lon: float
    lat: float
    bounds: tuple[float, float, float, float]
    layer: str | None = None
    position: int | None = None
    field: str | None = None
    value: str | None = None
    exact: bool = False
    crs: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "lon": round(self.lon, 7), "lat": round(self.lat, 7),
                "bounds": [round(v, 6) for v in self.bounds], "layer": self.layer, "position": self.position,
                "field": self.field, "value": self.value, "exact": self.exact, "crs": self.crs}


def searched_layers() -> list[tuple[str, list[str]]]:
    """(layer id, fields) of every vector layer whose tooltip lists a :data:`LOCATE_FIELDS` column; ``name_en``
    is searched where ``name`` is listed (the English twin the English map shows, e.g. "Menggang Town")."""
    from cyc_geo.catalog.registry import load_registry

    out = []
    for layer in load_registry():
        shown = set(layer.tooltip or [])
        fields = [f for f in LOCATE_FIELDS if f in shown or (f == "name_en" and "name" in shown)]
        if layer.geometry != "raster" and fields:
            out.append((layer.id, fields))
    return out


def _feature_hits(layer_id: str, gdf: gpd.GeoDataFrame, fields: list[str], q: str) -> list[tuple[int, Hit]]:
    hits: list[tuple[int, Hit]] = []
    if not len(gdf):
        return hits
    g = gdf.to_crs(WGS84) if gdf.crs is not None else gdf
    for field in fields:
        if field not in g.columns:
            continue
        values = g[field].fillna("").astype(str).str.strip()
        low = values.str.lower()
        for rank, mask in ((0, low == q), (1, low.str.startswith(q) & (low != q)), (2, low.str.contains(q, regex=False)
                                                                                     & ~low.str.startswith(q))):
            for pos in np.flatnonzero(mask.to_numpy())[:MAX_HITS]:
                geom = g.geometry.iloc[pos]
                if geom is None or geom.is_empty:
                    continue
                p = geom.representative_point()
                w, s, e, n = geom.bounds
                hits.append((rank, Hit("feature", float(p.x), float(p.y), (w, s, e, n), layer_id, int(pos), field,
                                       values.iloc[pos], rank == 0)))
    return hits


def locate(query: str, load: Callable[[str], gpd.GeoDataFrame] | None = None) -> list[Hit]:
    """The hits of ``query``: one coordinate hit, or feature hits (exact first, then prefix, then substring;
    at most :data:`MAX_HITS`); empty when nothing matches."""
    coord = parse_coordinate(query)
    if coord is not None:
        return [Hit("coordinate", coord.lon, coord.lat, (coord.lon, coord.lat, coord.lon, coord.lat), crs=coord.crs)]
    q = str(query or "").strip().lower()
    if not q:
        return []
    from cyc_geo.catalog.loader import load_layer

    loader = load if load is not None else load_layer
    ranked: list[tuple[int, Hit]] = []
    for layer_id, fields in searched_layers():
        try:
            gdf = loader(layer_id)
        except (FileNotFoundError, KeyError, OSError):
            continue
        ranked.extend(_feature_hits(layer_id, gdf, fields, q))
    ranked.sort(key=lambda t: t[0])
    seen: set[tuple[str | None, int | None]] = set()
    out: list[Hit] = []
    for _, hit in ranked:
        if (hit.layer, hit.position) not in seen:
            seen.add((hit.layer, hit.position))
            out.append(hit)
    return out[:MAX_HITS]
