"""``stats`` command: statistics of an area across every layer with numbers (:mod:`cyc_geo.planning.area_stats`).

Examples::

    python -m cyc_geo stats --area site.geojson --json
    python -m cyc_geo stats --area jzd.txt --as-of 2024-12-31 --xlsx area.xlsx
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cyc_geo.cli import UserError, command, emit


def stats_payload(area: str, as_of: str | None = None) -> dict:
    """The ``stats --area FILE --json`` document (also used by tests)."""
    return _stats(area, as_of).to_dict()


def _stats(area: str, as_of: str | None):
    from cyc_geo.planning.area_stats import area_statistics
    from cyc_geo.planning.projects import read_site_file

    try:
        return area_statistics(read_site_file(Path(area)), as_of=as_of)
    except (TypeError, ValueError, FileNotFoundError, KeyError) as exc:
        raise UserError(str(exc)) from exc


def cmd_stats(args: argparse.Namespace) -> int:
    from cyc_geo.planning.area_stats import workbook_bytes

    stats = _stats(args.area, args.as_of)
    if args.xlsx:
        out = Path(args.xlsx)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(workbook_bytes(stats, args.lang))
    table = stats.table(args.lang)
    text = table.iloc[:, [0, 1, 2, 3, 6]].to_string(index=False) + (f"\nwrote {args.xlsx}" if args.xlsx else "")
    emit(stats.to_dict(), args.json, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "stats", cmd_stats, help="statistics of an area: roofs, PV potential and installed, forest, 三区三线, 耕地, belt")
    p.add_argument("--area", required=True,
                   help="area file: 界址点 .txt, GeoJSON, GeoPackage, zipped Shapefile, KML, GeoParquet; any CRS")
    p.add_argument("--as-of", default=None, help="date YYYY-MM-DD of installed and pipeline PV (default: today)")
    p.add_argument("--xlsx", default=None, metavar="OUT.xlsx", help="also write the table as an Excel workbook")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the table and the workbook")
