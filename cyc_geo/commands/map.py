"""``map`` commands: the standalone map files the map page exports."""

from __future__ import annotations

import argparse
from pathlib import Path

from cyc_geo.cli import command, emit


def cmd_map_export(args: argparse.Namespace) -> int:
    """Write the map page's standalone HTML (and optionally its PNG) for the chosen layers."""
    from cyc_geo.mapview.export import html_to_png, standalone_html
    from cyc_geo.mapview.standalone import export_layers, export_map

    ids = [x.strip() for x in args.layers.split(",") if x.strip()] if args.layers else None
    layers = [layer.id for layer in export_layers(ids)]
    html = standalone_html(export_map(layers, lang=args.lang, center=(args.lat, args.lon), zoom=args.zoom))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    result = {"html": str(out), "bytes": out.stat().st_size, "layers": layers, "png": None}
    if args.png:
        png = Path(args.png)
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(html_to_png(html))
        result["png"] = str(png)
    text = f"wrote {out} ({result['bytes']:,} bytes; layers {', '.join(layers)})" + (f" and {args.png}" if args.png else "")
    emit(result, args.json, text)
    return 0


def _register_export(msub: argparse._SubParsersAction) -> None:
    from cyc_geo.places.site import CENTRE_LAT, CENTRE_LON

    e = command(msub, "export", cmd_map_export,
                help="standalone offline HTML map (as the map page's export), optionally a PNG")
    e.add_argument("--out", required=True, help="HTML file to write")
    e.add_argument("--png", help="also write a PNG screenshot (headless Chromium)")
    e.add_argument("--layers", help="comma-separated layer ids (default: the layers shown when the map opens)")
    e.add_argument("--lang", choices=["zh", "en"], default="zh")
    e.add_argument("--lat", type=float, default=CENTRE_LAT)
    e.add_argument("--lon", type=float, default=CENTRE_LON)
    e.add_argument("--zoom", type=int, default=10)


def register(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("map", help="the web map's exports")
    msub = m.add_subparsers(dest="map_command", required=True)
    _register_export(msub)
