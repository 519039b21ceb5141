"""Stop the app ``make run`` / ``make serve`` started on a port: ``python -m deploy.stop --port 8501``.

The Makefile writes the app's process id to ``.cyc-geo-<port>.pid`` in the checkout (the shell
``exec``s the app, so the id is the app's own: ``deploy.replicas``, which stops its replicas and nginx
on SIGTERM, or ``ui.serve``). This sends SIGTERM to that process only, after checking that the id still
belongs to a cyc-geo server (``/proc/<pid>/cmdline`` names ``deploy.replicas`` or ``ui.serve``; a
stale file whose id was reused by another program is removed, nothing is signalled), and waits for it
to exit (SIGKILL after ``--wait`` seconds).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKERS = ("deploy.replicas", "ui.serve")
"""Module names one of which the app's command line holds."""


def pid_file(port: int, root: Path = REPO) -> Path:
    """Where the Makefile keeps the process id of the app on ``port``."""
    return root / f".cyc-geo-{int(port)}.pid"


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def is_app(pid: int) -> bool:
    """Whether process ``pid`` runs and is a cyc-geo server (its command line names one of :data:`MARKERS`)."""
    return any(arg in MARKERS for arg in _cmdline(pid))


def stop(port: int, root: Path = REPO, wait_s: float = 30.0) -> str:
    """Stop the app on ``port``; returns what happened (one line, for the terminal)."""
    path = pid_file(port, root)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return f"cyc-geo: nothing started by make on port {port} (no {path.name}); Ctrl-C stops a server in its terminal"
    if not is_app(pid):
        path.unlink(missing_ok=True)
        return f"cyc-geo: no app running on port {port} (stale {path.name} removed)"
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + wait_s
    while time.time() < deadline and is_app(pid):
        time.sleep(0.2)
    killed = is_app(pid)
    if killed:
        os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return f"cyc-geo: stopped the app on port {port} (process {pid}{', killed after ' + str(int(wait_s)) + ' s' if killed else ''})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.stop", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8501, help="the port make run / make serve used (default 8501)")
    p.add_argument("--wait", type=float, default=30.0, help="seconds to wait before SIGKILL (default 30)")
    args = p.parse_args(argv)
    print(stop(args.port, wait_s=args.wait), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
