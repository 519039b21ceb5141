"""``user`` command: manage editor accounts (``user add NAME``, ``user list``, ``user remove NAME``).

Passwords are read from the terminal without echo, or from standard input
(first line) when it is not a terminal, so they never appear in the shell
history or the process list. Only Argon2id hashes are stored, in the file named
by ``CYC_GEO_AUTH_FILE`` (default ``~/.config/cyc-geo/editors.toml``).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from cyc_geo import auth
from cyc_geo.cli import UserError, command, emit


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        again = getpass.getpass("repeat password: ")
        if first != again:
            raise UserError("passwords do not match / 两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_add(args: argparse.Namespace) -> int:
    password = _read_password()
    try:
        auth.add_user(args.name, password, replace=args.replace)
    except auth.AuthError as exc:
        raise UserError(str(exc)) from exc
    emit({"user": args.name, "file": str(auth.auth_file())}, args.json, f"saved editor {args.name} in {auth.auth_file()}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        rows = auth.list_users()
    except auth.AuthError as exc:
        raise UserError(str(exc)) from exc
    text = "\n".join(f"{r['user']:<24} {r['created']}" for r in rows) or f"no editors in {auth.auth_file()}"
    emit(rows, args.json, text)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    try:
        auth.remove_user(args.name)
    except auth.AuthError as exc:
        raise UserError(str(exc)) from exc
    emit({"removed": args.name}, args.json, f"removed editor {args.name}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="editor accounts (hashed in CYC_GEO_AUTH_FILE, outside the repo)")
    usub = p.add_subparsers(dest="user_command", required=True)
    a = command(usub, "add", cmd_add, help="add an editor; password from the terminal or the first stdin line")
    a.add_argument("name")
    a.add_argument("--replace", action="store_true", help="set a new password for an existing editor")
    command(usub, "list", cmd_list, help="list editors (names and creation times only)")
    r = command(usub, "remove", cmd_remove, help="remove an editor")
    r.add_argument("name")
