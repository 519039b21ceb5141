"""N app processes behind nginx: ``python -m deploy.replicas --workers 4 [--port 8501] [--host 127.0.0.1]``.

``make serve WORKERS=4`` runs this (``make run`` too, with one worker). Streamlit runs every
session of a process in one Python interpreter, so when a room of planners opens the map at
once their visits queue for one core; replicas spread them over the machine's cores.

- Each replica is ``python -m ui.serve`` (libraries preloaded, caches warmed in the
  background) on its own loopback port. They share the data folder, the published map
  payloads and vector tiles under ``static/`` (content-named files, written atomically) and
  the SQLite database (WAL mode, :mod:`cyc_geo.db`), so a scenario saved through one replica
  is seen through every other one.
- nginx (Debian package ``nginx``; ``scripts/setup.sh`` installs it) listens on ``--port``,
  keeps each browser on one replica (cookie ``cyc_replica``, consistent hash), upgrades the
  WebSocket, and sends Streamlit's frontend bundle, the map component and ``static/``
  itself, so the Python processes spend no CPU on files. It adds the security headers
  (:data:`CSP` and the others in ``deploy/nginx.conf.template``) and answers 404 for any
  dot-file.
- The configuration is ``deploy/nginx.conf.template`` filled into a temporary prefix
  (config, pid, logs, temp files), so no root is needed; it is removed on exit.
- Run as root (as ``make run`` often is), nginx's master stays root and its worker runs as
  an unprivileged user (:func:`worker_user`): ``nobody`` when ``nobody`` can read every folder
  nginx sends files from, else the owner of the folder it cannot read (with a notice). The
  prefix is then mode 0711 and its temp folders (request bodies over 16 kB are buffered in
  ``client_body/``) belong to that user, so uploads through nginx work.

Supervision (:class:`Supervisor`): a replica or nginx that exits is started again after a
back-off (:func:`backoff_s`), on the same port, while nginx sends the dead replica's browsers to
the living ones (``max_fails``/``fail_timeout`` and ``proxy_next_upstream`` in the template).
The whole stops only on SIGINT/SIGTERM (or when the first start fails).
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
UNPRIVILEGED_USER = "nobody"
"""nginx's worker user when run as root and ``nobody`` can read the served folders (nginx's own
compiled-in default user, nginx.org/en/docs/ngx_core_module.html#user)."""
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
"""nginx's temp folders in the prefix (``*_temp_path`` in the template); the worker writes them."""
REPLICA_HEADER_ENV = "CYC_GEO_REPLICA_HEADER"
"""Set to ``1`` (tests only) to have nginx name the replica that answered in ``X-Cyc-Replica``.
Off by default: the header gives away the loopback ports (issue 24, item 9)."""

TILE_HOSTS = ("https://tile.openstreetmap.org", "https://*.tianditu.gov.cn", "https://*.is.autonavi.com")
"""Basemap tile servers (``cyc_geo.mapview.webmap.BASEMAPS``): the CSP's img-src must allow them."""



def _csp(script_src: str) -> str:
    """A Content-Security-Policy with ``script_src``; the rest is the same for the app and its map frame."""
    return "; ".join((
        "default-src 'self'",
        "script-src " + script_src,
        # Streamlit's styling (emotion) and Leaflet set inline styles
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: " + " ".join(TILE_HOSTS),
        "font-src 'self' data:",
        "connect-src 'self'",  # also the same-origin WebSocket (ws:/wss:) in CSP level 3
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


CSP = _csp("'self' 'unsafe-inline' 'wasm-unsafe-eval'")
"""Content-Security-Policy nginx sends with every answer but the map component's. Streamlit's
``index.html`` starts with an inline script, and ``ui.common.script_frame`` (the sign-in cookie, the widget texts)
runs inline script in a ``srcdoc`` frame, which has its parent's policy: so ``'unsafe-inline'``.
Streamlit's protobuf bundle compiles a small WebAssembly module: ``'wasm-unsafe-eval'`` (compiling
WebAssembly only, no JavaScript ``eval``). Checked in headless Chromium on the map (every layer, each
basemap), PV and projects (draw tools) pages: no violation (tests/test_deploy_nginx.py)."""

CSP_COMPONENT = _csp("'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'")
"""The map component's frame (``/component/streamlit_folium.st_folium/``, its own document): streamlit-folium
0.x runs the map's layer scripts with ``eval`` (its ``main.*.js``), so this frame alone also needs
``'unsafe-eval'``; without it the map shows no layer and no legend."""

APP_KEEPALIVE_S = 5
"""Seconds an idle keep-alive connection stays open on a replica: uvicorn's ``timeout_keep_alive`` default
(uvicorn 0.54 ``Config``), which Streamlit's server does not change."""
UPSTREAM_KEEPALIVE_S = APP_KEEPALIVE_S - 1
"""nginx's ``keepalive_timeout`` for its idle connections to the replicas: shorter than
:data:`APP_KEEPALIVE_S`, so nginx always closes an idle connection before the replica does. Otherwise nginx can send
a request on a connection the replica is closing at that moment; nginx counts that as the replica failing
(``max_fails=1``), and if the other replica is the one down, a living replica is marked down too and the request
gets a 502 "no live upstreams"."""

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 16.0
STABLE_S = 60.0
"""A process that ran this long before it exited is restarted after :data:`BACKOFF_FIRST_S` again."""


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


def served_dirs(app_static: Path | None = None) -> dict[str, Path]:
    """Folders nginx sends files from, by template placeholder."""
    return {
        "STREAMLIT_STATIC": package_dir("streamlit") / "static" / "static",
        "FOLIUM_BUILD": package_dir("streamlit_folium") / "frontend" / "build",
        "APP_STATIC": app_static or REPO / "static",
    }


def unreadable_by(user: str, folders: list[Path]) -> list[Path]:
    """Those of ``folders`` that ``user`` cannot list, or that hold a file it cannot read or a folder it
    cannot enter (checked by ``find`` run as that user, so every permission bit, group and ACL counts).
    Dot-files are skipped: nginx never sends them (the app's half-written ``.name.tmp`` files are 0600).
    Needs root (it switches user)."""
    pw = pwd.getpwnam(user)
    bad = []
    for folder in folders:
        if not folder.exists():
            continue
        got = subprocess.run(
            ["find", str(folder), "-mindepth", "1", "-name", ".*", "-prune", "-o",
             "(", "!", "-readable", "-o", "-type", "d", "!", "-executable", ")", "-print", "-quit"],
            user=pw.pw_uid, group=pw.pw_gid, extra_groups=os.getgrouplist(user, pw.pw_gid),
            capture_output=True, text=True, cwd="/",
        )
        if got.returncode != 0 or got.stdout.strip():
            bad.append(folder)
    return bad


def worker_user(folders: list[Path]) -> tuple[str, str] | None:
    """(user, group) for nginx's ``user`` directive, or None when not running as root (nginx's worker then
    runs as the caller). As root: :data:`UNPRIVILEGED_USER` if it can read every one of ``folders``; else
    the owner of a folder it cannot read, if that user can read them all; else ``root`` (a checkout under
    ``/root``). A privileged choice is announced on stderr: nginx must read those files."""
    if os.geteuid() != 0:
        return None
    candidates, blocked = [UNPRIVILEGED_USER], None
    user = "root"
    while candidates:
        name = candidates.pop(0)
        try:
            bad = unreadable_by(name, folders)
        except KeyError:  # no such user on this system
            continue
        if not bad:
            user = name
            break
        blocked = blocked or bad[0]
        owner = pwd.getpwuid(bad[0].stat().st_uid).pw_name
        if owner not in (name, "root", *candidates):
            candidates.append(owner)
    if user != UNPRIVILEGED_USER:
        print(f"cyc-geo: nginx's worker runs as '{user}' because user '{UNPRIVILEGED_USER}' cannot read {blocked} "
              "(keep the checkout and the virtualenv in folders others can read, e.g. /srv or /opt, to keep the "
              "worker unprivileged)", file=sys.stderr, flush=True)
    pw = pwd.getpwnam(user)
    return user, grp.getgrgid(pw.pw_gid).gr_name


def prepare_prefix(prefix: Path, user: tuple[str, str] | None) -> None:
    """Make nginx's temp folders in ``prefix``, writable by the worker ``user`` (mode 0700, owned by it);
    with a worker user the prefix itself becomes 0711 (enter, not list), so the worker can reach them."""
    for name in TEMP_DIRS:
        (prefix / name).mkdir(mode=0o700, exist_ok=True)
    if user is not None:
        prefix.chmod(0o711)
        uid, gid = pwd.getpwnam(user[0]).pw_uid, grp.getgrnam(user[1]).gr_gid
        for name in TEMP_DIRS:
            os.chown(prefix / name, uid, gid)


def render_config(prefix: Path, listen: str, backends: list[int], template: Path = TEMPLATE,
                  app_static: Path | None = None, user: tuple[str, str] | None = None,
                  replica_header: bool = False) -> str:
    """nginx.conf text for ``backends`` (loopback ports) listening on ``listen`` (``host:port``); ``user``
    from :func:`worker_user`; ``replica_header`` adds ``X-Cyc-Replica`` (tests only)."""
    common = [
        "add_header X-Frame-Options SAMEORIGIN always;",
        "add_header X-Content-Type-Options nosniff always;",
        "add_header Referrer-Policy same-origin always;",
    ]
    if replica_header:
        common.append("add_header X-Cyc-Replica $upstream_addr always;")
    values = {
        "PREFIX": str(prefix),
        "LISTEN": listen,
        "USER": f"user {user[0]} {user[1]};" if user else "# not root: the worker runs as the caller",
        "UPSTREAM_KEEPALIVE_S": str(UPSTREAM_KEEPALIVE_S),
        "UPSTREAMS": "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in backends),
        "HEADERS": "\n            ".join([f'add_header Content-Security-Policy "{CSP}" always;', *common]),
        "COMPONENT_HEADERS": "\n            ".join(
            [f'add_header Content-Security-Policy "{CSP_COMPONENT}" always;', *common]),
        **{k: str(v) for k, v in served_dirs(app_static).items()},
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
    """One ``python -m ui.serve`` on ``127.0.0.1:port`` (``CYC_GEO_REPLICA=index`` in its environment), in
    its own process group (so a helper it started, e.g. the PNG export's Chromium, is stopped with it)."""
    env = {**os.environ, "CYC_GEO_REPLICA": str(index), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         # Streamlit's "You can now view ..." names the replica's loopback port, which bypasses nginx
         "--logger.hideWelcomeMessage", "true"],
        cwd=REPO, env=env, start_new_session=True, preexec_fn=_stop_with_parent,
    )


def backoff_s(failures: int) -> float:
    """Seconds to wait before the ``failures``-th consecutive restart: 1, 2, 4, 8, 16, 16, ... s."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, failures - 1))


def _stop_with_parent() -> None:
    """In a child before it runs (``preexec_fn``): the kernel sends it SIGTERM when this supervisor dies, even
    by SIGKILL, so no replica or nginx outlives it (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere nothing)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG, <linux/prctl.h>


def _kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``proc``'s process group (its leftovers after it died: nginx workers, Chromium)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@dataclass
class Child:
    """One supervised process: ``start`` makes a new one; restarts are spaced by :func:`backoff_s`."""

    name: str
    start: Callable[[], subprocess.Popen]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    next_start: float = 0.0
    restarts: int = 0

    def launch(self, now: float) -> None:
        self.proc = self.start()
        self.started_at = now


REFUSED_EXIT = 2
"""Exit status of ``python -m ui.serve`` when it refuses to start (a damaged database): a restart would
only refuse again, so such a replica is not restarted (``ui.serve.check_database``)."""


class Supervisor:
    """Keeps ``children`` running: :meth:`tick` notices an exit and restarts after a back-off."""

    def __init__(self, children: list[Child], log: Callable[[str], None]) -> None:
        self.children = children
        self.log = log

    def tick(self, now: float) -> None:
        for child in self.children:
            if child.proc is not None and child.proc.poll() is not None:
                code = child.proc.returncode
                _kill_group(child.proc)
                if code == REFUSED_EXIT:
                    child.proc, child.next_start = None, float("inf")
                    self.log(f"cyc-geo: {child.name} refused to start (its message above says why); not restarting it")
                    continue
                if now - child.started_at >= STABLE_S:
                    child.failures = 0
                child.failures += 1
                wait = backoff_s(child.failures)
                child.next_start = now + wait
                child.proc = None
                self.log(f"cyc-geo: {child.name} exited (code {code}); restarting it in {wait:.0f} s")
            if child.proc is None and now >= child.next_start:
                child.launch(now)
                child.restarts += 1

    def all_refused(self) -> bool:
        """True when every replica refused to start (nothing left to serve)."""
        replicas = [c for c in self.children if c.name.startswith("replica")]
        return bool(replicas) and all(c.proc is None and c.next_start == float("inf") for c in replicas)

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM every child, SIGKILL what is left after ``timeout_s`` (and their process groups)."""
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                child.proc.terminate()
        deadline = time.time() + timeout_s
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            _kill_group(child.proc)


def open_url(host: str, port: int) -> str:
    """The address to open in a browser for nginx listening on ``host:port``."""
    return f"http://{'localhost' if host in ('0.0.0.0', '::', '127.0.0.1') else host}:{port}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2, help="app processes (default 2; about one per core)")
    p.add_argument("--port", type=int, default=8501, help="port nginx listens on (default 8501)")
    p.add_argument("--host", default="127.0.0.1", help="address nginx listens on (0.0.0.0 for the office network)")
    args = p.parse_args(argv)
    if args.workers < 1:
        p.error("--workers must be at least 1")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    nginx = nginx_binary()
    prefix = Path(tempfile.mkdtemp(prefix="cyc-geo-nginx-"))
    ports = [free_port() for _ in range(args.workers)]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = [Child(f"replica {i} (port {port})", lambda port=port, i=i: start_replica(port, i))
                for i, port in enumerate(ports)]
    supervisor = Supervisor(children, log)
    try:
        user = worker_user(list(served_dirs().values()))
        prepare_prefix(prefix, user)
        conf = prefix / "nginx.conf"
        conf.write_text(render_config(prefix, f"{args.host}:{args.port}", ports, user=user,
                                      replica_header=os.environ.get(REPLICA_HEADER_ENV) == "1"))
        command = [nginx, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
        check = subprocess.run([*command[:1], "-t", "-q", *command[1:]], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr.strip()}")
        now = time.time()
        for child in children:
            child.launch(now)
        for port in ports:
            wait_health(f"http://127.0.0.1:{port}", [c.proc for c in children if c.proc], timeout_s=240)
        front = Child("nginx", lambda: subprocess.Popen(command, start_new_session=True, preexec_fn=_stop_with_parent))
        front.launch(time.time())
        local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        wait_health(f"http://{local}:{args.port}", [front.proc], timeout_s=30)
        children.append(front)
        log(f"cyc-geo: open {open_url(args.host, args.port)} (nginx on {args.host}:{args.port}, "
            f"{args.workers} replica(s), config {conf}; Ctrl-C stops)")
        while not stopping:
            supervisor.tick(time.time())
            if supervisor.all_refused():
                log("cyc-geo: every replica refused to start; stopping")
                return 1
            time.sleep(0.5)
    except RuntimeError as exc:
        errors = prefix / "error.log"
        tail = errors.read_text(errors="replace").strip().splitlines()[-5:] if errors.exists() else []
        log("\n".join([f"cyc-geo: {exc}; stopping", *tail]))
        return 1
    finally:
        supervisor.stop()
        shutil.rmtree(prefix, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
