"""``import`` and ``imports`` commands: load a planner file as a layer's active data; history and rollback.

``python -m cyc_geo import FILE --layer ID [--sublayer NAME] [--encoding E] [--crs EPSG [--swap-xy]]
[--map col=filecol] [--allow-outside] --json``

A table (``.xlsx``/``.csv``) goes to a layer with a table reader, the PV installation ledger:
``python -m cyc_geo import 台账.xlsx --layer pv_installations [--coords-crs WGS84|GCJ02] [--sheet S]
[--accept-skips] --json``. Its JSON adds ``rows_read``, ``rows_skipped`` ([{row, reason_zh,
reason_en}]) and ``total_kw``; if any row is skipped nothing is imported (``error:
"rows_skipped"``, exit code 2) unless ``--accept-skips`` is given, which the audit log records.

The command line runs on the server, so the operator is trusted: the actor
recorded in the audit log is ``--actor`` (default ``cli:<login name>``).
On bad input the JSON error document (code, Chinese and English message,
suggestions) is printed and the exit code is 2; the layer keeps its old data.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from cyc_geo import db
from cyc_geo.catalog import versions as layer_versions
from cyc_geo.cli import UserError, command, emit, refuse
from cyc_geo.ingest.importer import ImportFailure, import_file


def _actor(args: argparse.Namespace) -> str:
    if args.actor:
        return args.actor
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _parse_map(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(f"--map expects column=file_column, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def cmd_import(args: argparse.Namespace) -> int:
    try:
        record = import_file(
            args.file, args.layer, _actor(args), encoding=args.encoding, crs=args.crs,
            mapping=_parse_map(args.map), member=args.member, coords_crs=args.coords_crs, sheet=args.sheet,
            accept_skips=args.accept_skips, sublayer=args.sublayer, swap_xy=args.swap_xy,
            allow_outside=args.allow_outside,
        )
    except ImportFailure as exc:
        code = refuse(exc, args.json)
        for s in exc.details.get("suggestions") or []:
            swap = " --swap-xy" if s.get("swap_xy") else ""
            print(f"  suggestion: --crs {s['crs']}{swap}  ({s['label_en']})", file=sys.stderr)
        for name in exc.details.get("sublayers") or []:
            print(f"  layer: --sublayer {name}", file=sys.stderr)
        for enc in exc.details.get("encodings") or []:
            print(f"  try: --encoding {enc}", file=sys.stderr)
        for r in exc.details.get("rows_skipped") or []:
            print(f"  row {r['row']}: {r['reason_en']} / {r['reason_zh']}", file=sys.stderr)
        return code
    conn = db.connect()
    try:
        layer_versions.apply_data_year(conn, args.layer, record, args.data_year, _actor(args))
    finally:
        conn.close()
    text = (
        f"imported {record['features']} features into {record['layer']} "
        f"(crs_in={record['crs_in']}, encoding={record['encoding']}, repaired={record['repaired']}, "
        f"dropped={record['dropped']}, outside_county={record['outside_county']}, import_id={record['import_id']}, "
        f"data_year={record.get('data_year') or 'unknown'})"
    )
    if "rows_read" in record:
        text += (f"\nrows_read={record['rows_read']}, rows_skipped={len(record['rows_skipped'])}"
                 f"{' (accepted)' if record.get('accepted_skips') else ''}, total_kw={record['total_kw']:.3f}")
    for w in record.get("warnings") or []:  # import warnings (GCJ-02, …) or a ledger's row warnings
        if "message_en" in w:
            text += f"\nwarning: {w['message_en']} / {w['message_zh']}"
        else:
            text += f"\nwarning: row {w.get('row')}: {w.get('reason_en')} / {w.get('reason_zh')}"
    emit(record, args.json, text)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    conn = db.connect()
    rows = [
        {k: v for k, v in r.items() if k != "counts"} | {"features": r["counts"].get("features"),
                                                         "data_year": layer_versions.data_year_of(r)}
        for r in layer_versions.list_versions(conn, args.layer)
    ]
    text = "\n".join(
        f"{'*' if r['active'] else ' '} {r['id']:>4} {r['imported_at']} {r['imported_by']:<16} {r['features']!s:>8} {r['file_name']}"
        for r in rows
    ) or f"no imports for {args.layer}"
    emit(rows, args.json, text)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    conn = db.connect()
    try:
        result = layer_versions.rollback(conn, args.layer, _actor(args))
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    emit(result, args.json, f"{args.layer}: import {result['from']} -> {result['to'] or 'demo/planner file'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "import", cmd_import,
                help="import a planner file (zip/shp/gpkg/gdb/geojson/kml/parquet/tif; xlsx/csv for the PV ledger) as a layer's data")
    p.add_argument("file")
    p.add_argument("--layer", required=True, help="layer id from the registry (python -m cyc_geo layers)")
    p.add_argument("--encoding", help="attribute text encoding (UTF-8, GBK, GB18030); default: detect")
    p.add_argument("--crs", help="coordinate system when the file has none or a wrong one: EPSG code or GCJ02")
    p.add_argument("--map", action="append", metavar="COLUMN=FILE_COLUMN", help="map a layer column to a file column")
    p.add_argument("--member", help="dataset inside a zip holding several")
    p.add_argument("--sublayer", help="layer inside a file holding several (GeoPackage layer, KML folder, FileGDB feature class)")
    p.add_argument("--swap-xy", action="store_true", help="exchange x and y (latitude written before longitude)")
    p.add_argument("--allow-outside", action="store_true",
                   help="import a layer lying entirely outside the county (recorded in the audit log)")
    p.add_argument("--coords-crs", type=str.upper, choices=["WGS84", "GCJ02"], default=None,
                   help="tables (.xlsx/.csv): CRS of the longitude/latitude columns (default WGS84)")
    p.add_argument("--sheet", help="tables (.xlsx): the sheet to read (default: the first with a ledger header)")
    p.add_argument("--accept-skips", action="store_true",
                   help="tables: import the readable rows even if some rows are skipped (recorded in the audit log)")
    p.add_argument("--actor", help="name recorded in the audit log (default cli:<login>)")
    p.add_argument("--data-year", type=int, metavar="YEAR",
                   help="year the data describes (三调 年份, survey year, ledger date); default: read from the file")
    h = sub.add_parser("imports", help="import history of a layer; rollback to the previous version")
    hsub = h.add_subparsers(dest="imports_command", required=True)
    ls = command(hsub, "list", cmd_history, help="imports of a layer, newest first (* = active)")
    ls.add_argument("--layer", required=True)
    rb = command(hsub, "rollback", cmd_rollback, help="switch a layer back to its previous version")
    rb.add_argument("--layer", required=True)
    rb.add_argument("--actor")
