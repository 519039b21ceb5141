"""The app behind nginx as ``make run`` / ``make serve`` start it (``python -m deploy.replicas``), issue 24:

- item 2: uploads over nginx's 16 kB body buffer (1 MB, 50 MB) reach the app when run as root (the
  worker user must be able to write the prefix's ``client_body/``);
- item 6: a replica killed with SIGKILL is restarted while nginx sends its browsers to the other one;
- item 9: security headers (CSP, frame-ancestors/X-Frame-Options, nosniff, Referrer-Policy) on every
  answer, no ``X-Cyc-Replica``, dot-files 404, and no CSP violation on the main pages in Chromium.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from conftest import REPO, free_port, save_artifact, sign_in, wait_for_app

from deploy import replicas

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx missing: scripts/setup.sh installs it")

LONG = 180_000
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LAYERS = ("county", "townships", "belt", "river", "devzone", "projects", "neighbours", "pv_installations",
          "forest", "landcover", "rooftops")


def serve(tmp_path: Path, workers: int, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    """``python -m deploy.replicas --workers N`` as the Makefile runs it; (process, front URL, nginx prefix)."""
    port = free_port()
    log = (tmp_path / f"replicas-{port}.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "deploy.replicas", "--workers", str(workers), "--port", str(port),
                             "--host", "127.0.0.1"],
                            cwd=REPO, env={**os.environ, "CYC_GEO_DB": str(tmp_path / "db.sqlite"), **(env or {})},
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        replicas.wait_health(url, [proc], 300)
    except RuntimeError:
        proc.kill()
        raise RuntimeError("replicas did not start:\n" + Path(log.name).read_text()[-3000:]) from None
    deadline = time.time() + 10  # the start banner (naming the prefix) follows nginx's first answer
    while not (found := re.search(r"config (\S+)/nginx\.conf", Path(log.name).read_text())):
        if time.time() > deadline:
            stop(proc)
            raise AssertionError("no start banner:\n" + Path(log.name).read_text()[-3000:])
        time.sleep(0.1)
    return proc, url, Path(found.group(1))


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """One replica behind nginx, exactly as ``make run`` starts it (as root when the tests run as root)."""
    from cyc_geo import auth

    d = tmp_path_factory.mktemp("front")
    auth_file = d / "editors.toml"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_AUTH_FILE", str(auth_file))
        auth.add_user("csp", "csp test password", path=auth_file)
    proc, url, prefix = serve(d, 1, {"TIANDITU_TOKEN": "csp-test-token", "CYC_GEO_AUTH_FILE": str(auth_file)})
    yield url, prefix
    stop(proc)


def _get(url: str, cookie: str | None = None) -> urllib.response.addinfourl | urllib.error.HTTPError:
    req = urllib.request.Request(url, headers={"Cookie": f"cyc_replica={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            r.read()
            return r
    except urllib.error.HTTPError as err:
        return err


# ---------------------------------------------------------------- the prefix and the worker user (unit)

def test_the_worker_user_owns_the_temp_folders_and_can_enter_the_prefix(tmp_path):
    # made as deploy.replicas makes it: mkdtemp (mode 0700) in the system's temp folder
    prefix = Path(tempfile.mkdtemp(prefix="cyc-geo-test-prefix-"))
    request_cleanup = lambda: shutil.rmtree(prefix, ignore_errors=True)  # noqa: E731
    try:
        _check_prefix(prefix)
    finally:
        request_cleanup()


def _check_prefix(prefix: Path) -> None:
    replicas.prepare_prefix(prefix, ("nobody", "nogroup") if os.geteuid() == 0 else None)
    for name in replicas.TEMP_DIRS:
        assert (prefix / name).is_dir()
    if os.geteuid() == 0:
        assert prefix.stat().st_mode & 0o777 == 0o711
        assert (prefix / "client_body").stat().st_uid == pwd.getpwnam("nobody").pw_uid
        text = replicas.render_config(prefix, "127.0.0.1:1", [2], user=("nobody", "nogroup"))
        assert "user nobody nogroup;" in text
        # and nobody can really create a file there (what nginx's worker does with a large request body)
        made = subprocess.run(["touch", str(prefix / "client_body" / "0000000001")], user="nobody", group="nogroup",
                              extra_groups=[], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the worker user is chosen only when run as root")
def test_a_folder_nobody_cannot_read_makes_its_owner_the_worker(tmp_path):
    # the repo's served folders are readable by anyone here: the worker stays unprivileged
    assert replicas.worker_user(list(replicas.served_dirs().values())) == ("nobody", "nogroup")
    # a checkout in a root-only folder (like /root/cyc-geo): nobody cannot read its static/
    private = tmp_path / "home"
    (private / "static").mkdir(parents=True)
    private.chmod(0o700)
    assert replicas.unreadable_by("nobody", [private / "static"]) == [private / "static"]
    assert replicas.worker_user([private / "static"])[0] == "root"


@pytest.mark.skipif(os.geteuid() != 0, reason="switching user needs root")
def test_a_private_file_blocks_nobody_but_a_half_written_dot_file_does_not():
    folder = Path(tempfile.mkdtemp(prefix="cyc-geo-test-static-"))
    try:
        folder.chmod(0o755)
        tmp = folder / ".payload.json.gz.123.tmp"  # paths.write_atomic's file before its chmod and rename
        tmp.write_text("x")
        tmp.chmod(0o600)
        assert replicas.unreadable_by("nobody", [folder]) == []
        private = folder / "vendor.js"
        private.write_text("x")
        private.chmod(0o600)
        assert replicas.unreadable_by("nobody", [folder]) == [folder]
    finally:
        shutil.rmtree(folder)


def test_restarts_back_off_and_a_dead_child_is_started_again():
    assert [replicas.backoff_s(n) for n in (1, 2, 3, 4, 5, 9)] == [1, 2, 4, 8, 16, 16]
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        started.append(subprocess.Popen(["sleep", "60"], start_new_session=True))
        return started[-1]

    child = replicas.Child("sleeper", start)
    sup = replicas.Supervisor([child], log=lambda _m: None)
    try:
        child.launch(100.0)
        started[0].kill()
        started[0].wait()
        sup.tick(101.0)  # noticed, restart scheduled 1 s later
        assert child.proc is None and len(started) == 1
        sup.tick(102.0)
        assert child.proc is started[1] and child.proc.poll() is None
        started[1].kill()
        started[1].wait()
        sup.tick(103.0)  # second failure in a row: 2 s
        sup.tick(104.0)
        assert len(started) == 2
        sup.tick(105.0)
        assert len(started) == 3
    finally:
        sup.stop(timeout_s=5)
    assert all(p.poll() is not None for p in started)


# ---------------------------------------------------------------- item 2: uploads through nginx

def _site_with_padding(path: Path, size: int) -> Path:
    """A 200 m square inside the county (GeoJSON) whose ``note`` property pads the file to ``size`` bytes."""
    x, y, d = 114.68, 35.20, 0.002
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    head = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "upload", "note": "@@"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    path.write_text(head.replace("@@", "x" * (size - len(head) + 2)))
    assert abs(path.stat().st_size - size) < 10
    return path


@pytest.mark.browser
def test_uploads_of_1_and_50_mb_reach_the_app_through_nginx(front, browser, tmp_path):
    url, prefix = front
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    try:
        page.goto(f"{url}/projects")
        wait_for_app(page, timeout_ms=LONG)
        page.get_by_text("上传地块文件").first.wait_for(timeout=LONG)
        box = page.locator("[data-testid='stFileUploader'] input[type='file']").first
        for mb in (1, 50):
            src = _site_with_padding(tmp_path / f"site_{mb}mb.geojson", mb * 1024 * 1024)
            with page.expect_response(lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT",
                                      timeout=LONG) as got:
                box.set_input_files(str(src))
            assert got.value.status == 204, f"{mb} MB upload: HTTP {got.value.status}"
            if mb == 1:  # the body arrived whole: the page read the site and checked it
                page.get_by_text(re.compile(r"合规性核查：.*site_1mb\.geojson")).first.wait_for(timeout=LONG)
                wait_for_app(page, timeout_ms=LONG)
        errors = (prefix / "error.log").read_text()
        assert "Permission denied" not in errors, errors
        assert not re.search(r'"PUT /_stcore/upload_file/\S+ HTTP/1.1" 5\d\d', (prefix / "access.log").read_text())
    finally:
        save_artifact(page, "upload_through_nginx")
        ctx.close()


# ---------------------------------------------------------------- item 9: headers

def _assert_security_headers(headers, where: str) -> None:
    csp = headers.get("Content-Security-Policy") or ""
    assert "frame-ancestors 'self'" in csp, where
    assert "default-src 'self'" in csp, where
    assert headers.get("X-Frame-Options") == "SAMEORIGIN", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Cyc-Replica") is None, where


def test_every_answer_carries_the_security_headers_and_names_no_replica(front):
    url, _prefix = front
    vendor = next(p for p in sorted((REPO / "static" / "vendor").rglob("*.js")))
    streamlit_js = next((replicas.package_dir("streamlit") / "static" / "static" / "js").glob("*.js"))
    paths = ["/", "/pv", "/_stcore/health", f"/app/static/{vendor.relative_to(REPO / 'static')}",
             f"/static/js/{streamlit_js.name}", "/component/streamlit_folium.st_folium/index.html",
             "/app/static/no-such-file.js"]
    for path in paths:
        r = _get(url + path)
        assert r.status == (404 if "no-such" in path else 200), path
        _assert_security_headers(r.headers, path)


def test_dot_files_are_not_served(front):
    url, _prefix = front
    secret = REPO / "static" / f".cyc-test-{os.getpid()}.log"
    hidden = REPO / "static" / "vendor" / f".cyc-test-{os.getpid()}"
    secret.write_text("/root/some/server/path")
    hidden.mkdir()
    (hidden / "x.js").write_text("1")
    try:
        for path in (f"/app/static/{secret.name}", f"/app/static/vendor/{hidden.name}/x.js",
                     "/static/.anything", "/component/streamlit_folium.st_folium/.env", "/.git/config"):
            r = _get(url + path)
            assert r.status == 404, (path, r.status)
            _assert_security_headers(r.headers, path)
        assert _get(f"{url}/app/static/vendor/").status in (403, 404)  # no listing
    finally:
        secret.unlink()
        shutil.rmtree(hidden)


VIOLATION_HOOK = """
(() => {
  // every frame records its CSP violations in the top page's window.__csp (all frames are same-origin);
  // Chromium's own "Refused to ..." console lines do not reach Playwright from the map component's frame
  let top = window;
  try { if (window.top.document) top = window.top; } catch (e) {}
  top.__csp = top.__csp || [];
  window.addEventListener('securitypolicyviolation', e => top.__csp.push(
    e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber), true);
})();
"""


@pytest.mark.browser
def test_the_main_pages_raise_no_csp_violation(front, browser):
    url, _prefix = front
    visits = [
        ("/?lang=zh&base=osm&layers=" + ",".join(LAYERS), "tile.openstreetmap.org"),
        ("/?lang=zh&base=tianditu_img&layers=county,townships", "tianditu.gov.cn"),
        ("/?lang=zh&base=amap&layers=county", "is.autonavi.com"),
        ("/pv?lang=zh", None),
        ("/projects?lang=zh", None),
        ("/data_import?lang=zh", None),
        ("/indicators?lang=zh#sign-in", None),  # an editor signs in (the session cookie is set by a script)
    ]
    for path, tile_host in visits:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        ctx.add_init_script(VIOLATION_HOOK)
        page = ctx.new_page()
        requested: list[str] = []
        page.on("request", lambda r, seen=requested: seen.append(r.url))
        try:
            resp = page.goto(url + path)
            assert "frame-ancestors 'self'" in (resp.headers.get("content-security-policy") or "")
            wait_for_app(page, timeout_ms=LONG)
            page.keyboard.press("Escape")
            frame = page.frame_locator(MAP_IFRAME).last
            if path.startswith("/?"):
                frame.locator(".cyc-legend h4").first.wait_for(timeout=LONG)
                frame.locator(".leaflet-tile").first.wait_for(state="attached", timeout=LONG)
            elif path.startswith("/pv"):
                page.get_by_text("情景设置").first.wait_for(timeout=LONG)
                page.locator("[data-testid='stVegaLiteChart'], canvas").first.wait_for(state="attached", timeout=LONG)
            elif path.startswith("/projects"):
                frame.locator(".leaflet-draw-draw-rectangle").wait_for(timeout=LONG)
            elif path.endswith("#sign-in"):
                sign_in(page, "csp", "csp test password", timeout_ms=LONG)
                wait_for_app(page, timeout_ms=LONG)
                page.get_by_text("已登录编辑账号").wait_for(timeout=LONG)
                from cyc_geo import auth  # the sign-in's cookie was written (its script ran under the CSP)

                deadline = time.time() + 20
                while auth.SESSION_COOKIE not in {c["name"] for c in ctx.cookies()}:
                    assert time.time() < deadline, "no session cookie after signing in"
                    page.wait_for_timeout(200)
            wait_for_app(page, timeout_ms=LONG)
            page.wait_for_timeout(1500)  # late tiles and fonts: violations are reported asynchronously
            if tile_host:  # the basemap's tiles were requested (a CSP-blocked image makes no request)
                assert any(tile_host in u for u in requested), (path, [u for u in requested if "http" in u][-5:])
            assert page.evaluate("window.__csp") == [], path
            if tile_host == "tile.openstreetmap.org":  # the recorder works: an image from elsewhere is reported
                page.evaluate("() => { const i = new Image(); i.src = 'https://example.invalid/x.png'; "
                              "document.body.appendChild(i); }")
                page.wait_for_function("window.__csp.length > 0", timeout=10_000)
        finally:
            save_artifact(page, "csp_" + re.sub(r"\W+", "_", path)[:40])
            ctx.close()


# ---------------------------------------------------------------- item 6: supervision

def _replica_procs(proc: subprocess.Popen) -> dict[int, psutil.Process]:
    """The replicas of a ``deploy.replicas`` process, by loopback port."""
    out = {}
    for child in psutil.Process(proc.pid).children():
        cmd = child.cmdline()
        if "ui.serve" in cmd:
            out[int(cmd[cmd.index("--server.port") + 1])] = child
    return out


def _logs_tail(prefix: Path, lines: int = 12) -> str:
    """The last lines of nginx's error and access logs in ``prefix`` (for an assertion's message)."""
    return "\n".join(f"{name}:\n" + "\n".join((prefix / name).read_text(errors="replace").splitlines()[-lines:])
                     for name in ("error.log", "access.log") if (prefix / name).exists())


def _wait_until_answers(addr: str, t0: float, limit_s: float, out: dict[str, float]) -> None:
    """(thread) ``out["back"]`` = seconds from ``t0`` until ``addr`` answers its health check, if within ``limit_s``."""
    while time.time() - t0 < limit_s:
        try:
            with urllib.request.urlopen(f"http://{addr}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    out["back"] = time.time() - t0
                    return
        except OSError:
            time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.browser
def test_a_killed_replica_is_restarted_while_the_other_one_answers(tmp_path, browser):
    proc, url, prefix = serve(tmp_path, 2, {"CYC_GEO_REPLICA_HEADER": "1"})  # replicas.REPLICA_HEADER_ENV
    ctx = None
    try:
        seen: dict[str, str] = {}
        for i in range(64):
            seen.setdefault(_get(f"{url}/_stcore/health", f"k{i}").headers["X-Cyc-Replica"], f"k{i}")
            if len(seen) == 2:
                break
        assert len(seen) == 2, seen
        (addr_a, cookie_a), (addr_b, _cookie_b) = sorted(seen.items())
        port_a = int(addr_a.rsplit(":", 1)[1])
        before = _replica_procs(proc)
        assert sorted(before) == sorted(int(a.rsplit(":", 1)[1]) for a in seen)
        victim = before[port_a]
        # a planner's open page, on the replica that is about to die
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        ctx.add_cookies([{"name": "cyc_replica", "value": cookie_a, "url": url}])
        page = ctx.new_page()
        page.goto(f"{url}/pv?lang=zh")
        wait_for_app(page, timeout_ms=LONG)
        page.get_by_text("装机进度（已并网）").first.wait_for(timeout=LONG)

        t0 = time.time()
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        back: dict[str, float] = {}
        watcher = threading.Thread(target=_wait_until_answers, args=(addr_a, t0, 30.0, back))
        watcher.start()
        # the service keeps answering the dead replica's browser, from the other replica
        for _ in range(5):
            for path in ("/_stcore/health", "/pv"):
                r = _get(url + path, cookie_a)
                assert r.status == 200, (path, r.status, r.headers.get("X-Cyc-Replica"), _logs_tail(prefix))
                # $upstream_addr lists every replica tried: the dead one may come first, then the living one
                assert r.headers["X-Cyc-Replica"].split(", ")[-1] == addr_b, path
        assert proc.poll() is None, "deploy.replicas stopped"
        # the open page reconnects (to the living replica) and still works: switch the language
        page.get_by_text("English").first.click()
        page.get_by_text("Installed progress (grid-connected)").first.wait_for(timeout=LONG)
        save_artifact(page, "replica_killed_page_still_works")
        # and the replica is back: a new process answering on its port, within 30 s
        watcher.join()
        assert "back" in back, "the replica was not back within 30 s"
        new = _replica_procs(proc)[port_a]
        assert new.pid != victim.pid
        print(f"replica back after {back['back']:.1f} s")
        # nginx sends the browser back to its own replica once it answers again
        deadline = time.time() + 30
        while _get(f"{url}/_stcore/health", cookie_a).headers["X-Cyc-Replica"] != addr_a:
            assert time.time() < deadline, "nginx never went back to the restarted replica"
            time.sleep(1)
    finally:
        if ctx is not None:
            ctx.close()
        kids = list(psutil.Process(proc.pid).children(recursive=True))
        stop(proc)
    # SIGTERM stops the whole: no replica or nginx left behind
    gone, alive = psutil.wait_procs(kids, timeout=30)
    assert alive == [], alive


def test_a_replica_that_refused_to_start_is_not_restarted():
    """A replica exiting with ui.serve's refusal status (a damaged database) would only refuse again."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        started.append(subprocess.Popen(["sh", "-c", f"exit {replicas.REFUSED_EXIT}"], start_new_session=True))
        return started[-1]

    child = replicas.Child("replica 0 (port 1)", start)
    messages: list[str] = []
    sup = replicas.Supervisor([child], log=messages.append)
    child.launch(100.0)
    started[0].wait()
    sup.tick(101.0)
    sup.tick(200.0)
    assert len(started) == 1 and child.proc is None
    assert sup.all_refused() and "refused to start" in messages[0]


def test_a_large_download_is_sent_whole_by_nginx_as_an_attachment(front):
    """Issue 29 item 3: a content-named file under static/downloads/ (cyc_geo.exports.static_files) comes
    from nginx whole (size and SHA-256), as an attachment, with the security headers."""
    import hashlib

    from cyc_geo.exports import static_files

    url, _prefix = front
    data = os.urandom(25 * 1024 * 1024)
    published = static_files.publish(data, "cyc_test_large", "gpkg")
    path = static_files.path_of(published)
    try:
        with urllib.request.urlopen(url + published, timeout=60) as r:
            body = r.read()
        assert r.status == 200
        assert len(body) == len(data)
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        assert r.headers["Content-Disposition"] == "attachment"
        assert r.headers["Content-Type"] == "application/geopackage+sqlite3"
        _assert_security_headers(r.headers, published)
    finally:
        path.unlink(missing_ok=True)
