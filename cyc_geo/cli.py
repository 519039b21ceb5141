"""Command line: ``python -m cyc_geo <command> [options]``.

Each module in :mod:`cyc_geo.commands` contributes commands through a
``register(subparsers)`` function; this file only discovers and dispatches them,
so adding a command means adding one module.

Errors the user can fix (bad file, unknown id, bad value) are reported on
stderr with exit code 2; ``--json`` output always goes to stdout as one JSON
document.

``--county <profile folder>`` (before the command) selects another county's profile
(:mod:`cyc_geo.places.profile`): it sets ``CYC_GEO_COUNTY`` before any command module is imported,
so it takes effect in a fresh process (``python -m cyc_geo``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

import cyc_geo.commands
from cyc_geo.places import profile as county_profile


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    name = county_profile.profile().name_en
    parser = argparse.ArgumentParser(prog="python -m cyc_geo", description=f"cyc-geo: {name} carbon-peak planning map")
    parser.add_argument("--county", metavar="DIR",
                        help="county profile folder holding county.toml (default: the bundled profile, data/reference; "
                             f"or ${county_profile.ENV_VAR})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod_info in sorted(pkgutil.iter_modules(cyc_geo.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"cyc_geo.commands.{mod_info.name}")
        module.register(sub)
    return parser


def command(sub: argparse._SubParsersAction, name: str, func: Any, help: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` running ``func(args)``, with the ``--json`` flag every command has."""
    parser = sub.add_parser(name, help=help)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=func)
    return parser


def emit(payload: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``payload`` as JSON (``--json``) or ``text`` for people."""
    if as_json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=_json_default)
        sys.stdout.write("\n")
    else:
        print(text if text is not None else json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _select_county(argv: list[str]) -> None:
    """Set ``CYC_GEO_COUNTY`` from a ``--county`` given before the command (checked: it must hold county.toml)."""
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--county")
    known, _ = pre.parse_known_args(argv)
    if known.county:
        folder = Path(known.county).resolve()
        county_profile.read_profile(folder)
        os.environ[county_profile.ENV_VAR] = str(folder)


def main(argv: list[str] | None = None) -> int:
    try:
        _select_county(sys.argv[1:] if argv is None else argv)
        parser = build_parser()
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, FileNotFoundError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
