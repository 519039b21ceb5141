"""``townships`` command: the township list with codes and areas."""

from __future__ import annotations

import argparse

from cyc_geo.cli import command, emit
from cyc_geo.places.townships import load_townships, townships_table


def cmd_townships(args: argparse.Namespace) -> int:
    table = townships_table(load_townships())
    rows = table[["code", "name", "name_en", "area_km2", "approximate"]].to_dict(orient="records")
    emit(rows, args.json, table.to_string(index=False))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    command(sub, "townships", cmd_townships, help="township list with 12-digit codes and areas (km², EPSG:4547)")
