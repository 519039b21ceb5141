"""Command line: ``python -m cyc_geo <command> [options]``.

Each module in :mod:`cyc_geo.commands` contributes commands through a
``register(subparsers)`` function; this file only discovers and dispatches them,
so adding a command means adding one module.

Errors the user can fix (bad file, unknown id, bad value, bad arguments) are reported on
stderr with exit code 2; with ``--json`` the refusal is also printed on stdout as one JSON
error object (:func:`error_payload`: ``error`` code, ``message_zh``, ``message_en`` and the
error's details as further keys, the form ``import --json`` has always used), so a script reading
stdout always gets one JSON document.

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
import re
import sys
from pathlib import Path
from typing import Any

import cyc_geo.commands
from cyc_geo.places import profile as county_profile

_CJK = re.compile(r"[\u3400-\u9fff]")


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback.

    ``code`` is the machine-readable ``error`` of the JSON refusal; ``zh`` / ``en`` the messages (when
    not given they are read from a ``"中文 / English"`` message); ``details`` further JSON keys."""

    def __init__(self, message: str, code: str = "bad_input", zh: str | None = None, en: str | None = None,
                 **details: Any) -> None:
        super().__init__(message)
        self.code, self.details = code, details
        split_zh, split_en = _split_message(message)
        self.zh, self.en = zh or split_zh, en or split_en


class UsageError(Exception):
    """Bad command-line arguments (argparse's error), raised instead of argparse's exit."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors reach :func:`main` (for the JSON refusal) instead of exiting."""

    def error(self, message: str) -> Any:
        raise UsageError(message, self.format_usage())


def _split_message(message: str) -> tuple[str, str]:
    """(zh, en) of a ``"中文 / English"`` message; one language only: that one for both (the other side
    has nothing better to say)."""
    parts = [p.strip() for p in message.split(" / ")]
    zh = [p for p in parts if _CJK.search(p)]
    en = [p for p in parts if not _CJK.search(p)]
    if zh and en:
        return " / ".join(zh), " / ".join(en)
    return message, message


ERROR_CODES: dict[type, str] = {FileNotFoundError: "not_found", KeyError: "unknown_key", ValueError: "bad_value"}
"""The ``error`` code of a refusal raised as a plain Python exception (most specific class first)."""


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The JSON refusal of every ``--json`` command: ``{"error": code, "message_zh", "message_en", **details}``.

    Errors that carry their own code and zh / en pair (:class:`UserError`, the importer's
    ``ImportFailure``, ``UploadRejected``, a 界址点 file's ``JzdError``) give theirs; a :class:`UserError`
    raised *from* such an error gives the cause's; plain exceptions a code from :data:`ERROR_CODES`."""
    cause = exc.__cause__
    if isinstance(exc, UserError) and cause is not None and hasattr(cause, "zh") and hasattr(cause, "en"):
        exc = cause
    elif isinstance(exc, UserError) and exc.code == "bad_input" and isinstance(cause, tuple(ERROR_CODES)):
        exc.code = next(c for t, c in ERROR_CODES.items() if isinstance(cause, t))
    if hasattr(exc, "as_dict"):  # ImportFailure: the import's own JSON
        return dict(exc.as_dict())
    details: dict[str, Any] = dict(getattr(exc, "details", None) or {})
    if getattr(exc, "line", None) is not None:
        details.setdefault("line", exc.line)  # type: ignore[attr-defined]
    code = getattr(exc, "code", None)
    if not isinstance(code, str):
        code = "bad_site_file" if type(exc).__name__ == "JzdError" else next(
            (c for t, c in ERROR_CODES.items() if isinstance(exc, t)), "error")
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if not (zh and en):
        zh, en = _split_message(text)
    for key in ("error", "message_zh", "message_en"):
        details.pop(key, None)
    return {**details, "error": code, "message_zh": zh, "message_en": en}


def refuse(exc: BaseException, as_json: bool) -> int:
    """Report a refusal: ``error: …`` on stderr and, with ``--json``, :func:`error_payload` on stdout;
    returns the exit code 2."""
    if as_json:
        json.dump(error_payload(exc), sys.stdout, ensure_ascii=False, indent=2, default=_json_default)
        sys.stdout.write("\n")
    print(f"error: {exc.args[0] if isinstance(exc, KeyError) and exc.args else exc}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    name = county_profile.profile().name_en
    parser = _Parser(prog="python -m cyc_geo", description=f"cyc-geo: {name} carbon-peak planning map")
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
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        _select_county(words)
        parser = build_parser()
    except (FileNotFoundError, ValueError) as exc:
        return refuse(UserError(str(exc), "bad_county_profile"), "--json" in words)
    try:
        args = parser.parse_args(words)
    except UsageError as exc:
        sys.stderr.write(exc.usage)
        return refuse(UserError(str(exc), "bad_arguments", f"命令参数错误：{exc}", f"bad arguments: {exc}"),
                      "--json" in words)
    try:
        return int(args.func(args) or 0)
    except (UserError, FileNotFoundError, ValueError, KeyError) as exc:
        return refuse(exc, bool(getattr(args, "json", False)))
