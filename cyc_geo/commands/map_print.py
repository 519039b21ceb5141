"""``map print``: a print layout or an atlas as PDF (cyc_geo.mapview.print_layout), no browser needed.

``map`` is a command group that other command modules may add subcommands to: this module adds
``print`` to the group when it exists already, else creates the group.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from cyc_geo.cli import UserError, command, emit
from cyc_geo.places.profile import profile


def map_group(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subcommands of ``map``, created on first use (shared by every module adding a ``map`` subcommand)."""
    parser = sub.choices.get("map")
    if parser is None:
        parser = sub.add_parser("map", help="map outputs: print layouts and atlases (PDF)")
        return parser.add_subparsers(dest="map_command", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="map_command", required=True)


def cmd_map_print(args: argparse.Namespace) -> int:
    from pypdf import PdfReader

    from cyc_geo.mapview import print_layout as pl

    layers = [s.strip() for s in args.layers.split(",") if s.strip()] if args.layers else None
    t0 = time.perf_counter()
    if args.atlas and args.markup:
        raise UserError("标注只随单页版式打印，不随图集 / --markup prints on a single layout, not on an atlas")
    try:
        if args.atlas:
            data = pl.atlas(args.atlas, layers, args.paper or "A4", True, args.lang,
                            maker=args.maker, review_no=args.review_no)
        else:
            from cyc_geo.mapview.markup import read_markup_file

            markup = read_markup_file(args.markup) if args.markup else None
            data = pl.print_layout(layers, args.paper or "A4", args.landscape, args.title, args.lang,
                                   maker=args.maker, review_no=args.review_no, markup=markup)
    except (KeyError, ValueError) as exc:
        raise UserError(exc.args[0] if exc.args else str(exc)) from None
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    doc = {"out": str(out), "bytes": len(data), "pages": pages, "atlas": args.atlas,
           "paper": (args.paper or "A4").upper(), "seconds": round(time.perf_counter() - t0, 2),
           "demo": "演示" in (reader.pages[0].extract_text() or "")}
    emit(doc, args.json, f"{out}: {pages} 页 pages, {len(data) / 1024:,.0f} KB, {doc['seconds']} s"
         + ("  [演示数据 demo data]" if doc["demo"] else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = command(map_group(sub), "print", cmd_map_print,
                help="print layout (title, legend, scale bar, north arrow, sources, date) or atlas as PDF")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--paper", type=str.upper, choices=["A4", "A3"], default=None, help="paper size (default A4)")
    p.add_argument("--landscape", action="store_true", help="landscape (default portrait; atlases are landscape)")
    p.add_argument("--title", help=f"page title (default {profile().name_zh}碳达峰规划图)")
    p.add_argument("--layers", help="comma-separated layer ids (default: the map page's default layers)")
    p.add_argument("--atlas", choices=["townships", "projects"], help="one page per township or project")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--maker", default="", metavar="TEXT",
                   help="制图单位 / map maker printed on the page (default: noted as not filled in)")
    p.add_argument("--markup", metavar="FILE.geojson",
                   help="标注 / markup drawn over the layers (GeoJSON in WGS84; a point's properties.text is a note)")
    p.add_argument("--review-no", default="", metavar="TEXT",
                   help="审图号 / map review number (default: noted as not filled in; maps for public use need one)")
