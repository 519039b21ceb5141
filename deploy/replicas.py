"""N app processes behind nginx: ``python -m deploy.replicas --workers 4 [--port 8501] [--host 127.0.0.1]``.

``make serve WORKERS=4`` runs this. Streamlit runs every session of a process in one
Python interpreter, so when a room of planners opens the map at once their visits queue
for one core; replicas spread them over the machine's cores.

- Each replica is ``python -m ui.serve`` (libraries preloaded, caches warmed in the
  background) on its own loopback port. They share the data folder, the published map
  payloads and vector tiles under ``static/`` (content-named files, written atomically) and
  the SQLite database (WAL mode, :mod:`cyc_geo.db`), so a scenario saved through one replica
  is seen through every other one.
- nginx (Debian package ``nginx``; ``scripts/setup.sh`` installs it) listens on ``--port``,
  keeps each browser on one replica (cookie ``cyc_replica``, consistent hash), upgrades the
  WebSocket, and sends Streamlit's frontend bundle, the map component and ``static/``
  itself, so the Python processes spend no CPU on files.
- The configuration is ``deploy/nginx.conf.template`` filled into a temporary prefix
  (config, pid, logs, temp files), so no root is needed; it is removed on exit.

Stops everything on SIGINT/SIGTERM, and when any child exits.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def nginx_binary() -> str:
    """Path of the nginx executable (``FileNotFoundError`` naming the set-up step when missing)."""
    for name in NGINX_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("nginx not found: run scripts/setup.sh (apt-get install nginx)")


def package_dir(module: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module)
    return Path(spec.origin).parent


def render_config(prefix: Path, listen: str, backends: list[int], template: Path = TEMPLATE,
                  app_static: Path | None = None) -> str:
    """nginx.conf text for ``backends`` (loopback ports) listening on ``listen`` (``host:port``)."""
    values = {
        "PREFIX": str(prefix),
        "LISTEN": listen,
        "UPSTREAMS": "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in backends),
        "STREAMLIT_STATIC": str(package_dir("streamlit") / "static" / "static"),
        "FOLIUM_BUILD": str(package_dir("streamlit_folium") / "frontend" / "build"),
        "APP_STATIC": str(app_static or REPO / "static"),
    }
    text = template.read_text()
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if re.search(r"@@[A-Z_]+@@", text):
        raise ValueError("unfilled placeholder in the nginx template")
    return text


def wait_health(url: str, procs: list[subprocess.Popen], timeout_s: float) -> None:
    """Wait until ``url/_stcore/health`` answers 200; ``RuntimeError`` when one of ``procs`` exits first or
    ``timeout_s`` seconds pass (also used by the load benchmark and the replica test)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a process exited before {url} answered")
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def start_replica(port: int, index: int, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """One ``python -m ui.serve`` on ``127.0.0.1:port`` (``CYC_GEO_REPLICA=index`` in its environment)."""
    env = {**os.environ, "CYC_GEO_REPLICA": str(index), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2, help="app processes (default 2; about one per core)")
    p.add_argument("--port", type=int, default=8501, help="port nginx listens on (default 8501)")
    p.add_argument("--host", default="127.0.0.1", help="address nginx listens on (0.0.0.0 for the office network)")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")

    nginx = nginx_binary()
    prefix = Path(tempfile.mkdtemp(prefix="cyc-geo-nginx-"))
    ports = [free_port() for _ in range(args.workers)]
    procs: list[subprocess.Popen] = []
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        procs = [start_replica(port, i) for i, port in enumerate(ports)]
        for port in ports:
            wait_health(f"http://127.0.0.1:{port}", procs, timeout_s=240)
        conf = prefix / "nginx.conf"
        conf.write_text(render_config(prefix, f"{args.host}:{args.port}", ports))
        check = subprocess.run([nginx, "-t", "-q", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr.strip()}")
        procs.append(subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]))
        print(f"cyc-geo: {args.workers} replica(s) on ports {ports} behind nginx at http://{args.host}:{args.port} "
              f"(config {conf})", file=sys.stderr, flush=True)
        while not stopping:
            if any(proc.poll() is not None for proc in procs):
                print("cyc-geo: a process exited; stopping the others", file=sys.stderr, flush=True)
                break
            time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(prefix, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
