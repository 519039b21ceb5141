"""``layers`` and ``data`` commands: what the map shows and (re)building demo data."""

from __future__ import annotations

import argparse
import shutil

from cyc_geo import paths
from cyc_geo.catalog.provenance import layer_summary
from cyc_geo.catalog.registry import load_registry
from cyc_geo.cli import command, emit


def cmd_layers(args: argparse.Namespace) -> int:
    rows = [layer_summary(layer) for layer in load_registry()]
    text = "\n".join(
        f"{r['id']:<14} {r['features']:>8}  demo={r['demo']!s:<5} approx={r['approximate']!s:<5} {r['title_zh']}"
        for r in rows
    )
    emit(rows, args.json, text)
    return 0


def cmd_data_build(args: argparse.Namespace) -> int:
    if args.force:
        shutil.rmtree(paths.generated_dir(), ignore_errors=True)
        (paths.boundaries_dir() / "county.gpkg").unlink(missing_ok=True)
    rows = []
    for layer in load_registry():
        print(f"building {layer.id} ...", flush=True) if not args.json else None
        rows.append(layer_summary(layer))
    emit(rows, args.json, f"built {len(rows)} layers under {paths.data_dir()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "layers", cmd_layers, help="list map layers with feature count, CRS, bounds, demo flags")
    d = sub.add_parser("data", help="build (or rebuild) the bundled demo data")
    dsub = d.add_subparsers(dest="data_command", required=True)
    b = command(dsub, "build", cmd_data_build, help="build every missing layer file; --force rebuilds all")
    b.add_argument("--force", action="store_true")
