"""``layers`` and ``data`` commands: what the map shows and (re)building demo data."""

from __future__ import annotations

import argparse
import shutil

from cyc_geo import paths
from cyc_geo.catalog.provenance import layer_summary
from cyc_geo.catalog.registry import load_registry
from cyc_geo.catalog.vintages import demo_vintages, layer_version_for_year
from cyc_geo.cli import command, emit


def cmd_layers(args: argparse.Namespace) -> int:
    rows = []
    for layer in load_registry():
        row = layer_summary(layer)
        if args.year is not None:
            row["year"] = args.year
            row["version"] = layer_version_for_year(layer, args.year, row["data_year"])
        rows.append(row)
    text = "\n".join(
        f"{r['id']:<14} {r['features']:>8}  demo={r['demo']!s:<5} approx={r['approximate']!s:<5} {r['title_zh']}"
        + (f"  [{r['version']['label_zh']} / {r['version']['label_en']}]" if "version" in r else "")
        for r in rows
    )
    emit(rows, args.json, text)
    return 0


def year_arg(text: str) -> int:
    """A ``--year`` argument: a year 1990–2100 (the data-year range of :mod:`cyc_geo.catalog.versions`)."""
    from cyc_geo.catalog.versions import MAX_DATA_YEAR, MIN_DATA_YEAR

    try:
        year = int(text)
    except ValueError:
        year = -1
    if not MIN_DATA_YEAR <= year <= MAX_DATA_YEAR:
        raise argparse.ArgumentTypeError(f"年份无效 / invalid year: {text!r} ({MIN_DATA_YEAR}–{MAX_DATA_YEAR})")
    return year


def cmd_data_build(args: argparse.Namespace) -> int:
    if args.force:
        shutil.rmtree(paths.generated_dir(), ignore_errors=True)
        (paths.boundaries_dir() / "county.gpkg").unlink(missing_ok=True)
    rows = []
    for layer in load_registry():
        print(f"building {layer.id} ...", flush=True) if not args.json else None
        rows.append(layer_summary(layer))
        if layer.vintages:
            rows[-1]["vintages"] = {str(v["data_year"]): v["stored_path"] for v in demo_vintages(layer)}
    emit(rows, args.json, f"built {len(rows)} layers under {paths.data_dir()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    lay = command(sub, "layers", cmd_layers, help="list map layers with feature count, CRS, bounds, demo flags")
    lay.add_argument("--year", type=year_arg, metavar="YYYY",
                     help="also the version each layer uses for this year (its data year, or 'carried from YYYY')")
    d = sub.add_parser("data", help="build (or rebuild) the bundled demo data")
    dsub = d.add_subparsers(dest="data_command", required=True)
    b = command(dsub, "build", cmd_data_build, help="build every missing layer file; --force rebuilds all")
    b.add_argument("--force", action="store_true")
