"""Replicas behind nginx (``python -m deploy.replicas``, ``make serve WORKERS=N``): the generated
configuration, and two replicas sharing one database through the proxy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, free_port, save_artifact, sign_in, wait_for_app

from deploy import replicas


def test_config_pins_sessions_upgrades_the_websocket_and_serves_files_itself(tmp_path):
    text = replicas.render_config(tmp_path, "127.0.0.1:9999", [7001, 7002])
    assert "@@" not in text
    assert "listen 127.0.0.1:9999;" in text
    # a dead replica is skipped for fail_timeout after one failed attempt (its browsers go to the others)
    assert re.findall(r"server 127\.0\.0\.1:(\d+) max_fails=1 fail_timeout=5s;", text) == ["7001", "7002"]
    assert "hash $cyc_route consistent;" in text  # sticky by cookie, not by client address
    stream = text[text.index("location /_stcore/stream"):]
    stream = stream[:stream.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    # pid, logs and temp files in the prefix: no root, nothing under /var
    assert f"pid {tmp_path}/nginx.pid;" in text and "/var/" not in text
    static = Path(re.search(r"location /static/ \{\s+alias (\S+)/;", text).group(1))
    assert (static / "js").is_dir()  # Streamlit's frontend bundle, sent by nginx
    payloads = re.search(r"location /app/static/payloads/ \{\s+alias (\S+)/;", text).group(1)
    assert payloads == str(REPO / "static" / "payloads")


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx missing: scripts/setup.sh installs it")
def test_nginx_accepts_the_generated_config(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(replicas.render_config(tmp_path, f"127.0.0.1:{free_port()}", [free_port()]))
    got = subprocess.run([replicas.nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(conf),
                          "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr


def _start(env: dict[str, str], workers: int = 2, timeout_s: float = 300.0) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "deploy.replicas", "--workers", str(workers), "--port", str(port)],
                            cwd=REPO, env={**os.environ, replicas.REPLICA_HEADER_ENV: "1", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        replicas.wait_health(url, [proc], timeout_s)
    except RuntimeError:
        proc.kill()
        raise RuntimeError("replicas did not start") from None
    return proc, url


def _replica_of(url: str, cookie: str) -> str:
    """The replica that answered (``X-Cyc-Replica``, sent only because the test sets REPLICA_HEADER_ENV)."""
    req = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"cyc_replica={cookie}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers["X-Cyc-Replica"]


def _pinned_context(browser, url: str, cookie: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="zh-CN")
    ctx.add_cookies([{"name": "cyc_replica", "value": cookie, "url": url}])
    return ctx


@pytest.mark.browser
@pytest.mark.slow
def test_a_scenario_saved_through_one_replica_is_seen_through_the_other(browser, tmp_path):
    from cyc_geo import auth

    auth_file = tmp_path / "editors.toml"
    auth.add_user("replica", "replica test password", path=auth_file)
    env = {"CYC_GEO_DB": str(tmp_path / "shared.sqlite"), "CYC_GEO_AUTH_FILE": str(auth_file)}
    proc, url = _start(env)
    try:
        # two cookie values that the proxy's consistent hash sends to different processes
        seen: dict[str, str] = {}
        for i in range(64):
            seen.setdefault(_replica_of(url, f"k{i}"), f"k{i}")
            if len(seen) == 2:
                break
        assert len(seen) == 2, seen
        (addr_a, cookie_a), (addr_b, cookie_b) = sorted(seen.items())
        assert _replica_of(url, cookie_a) == addr_a  # sticky: the same cookie, the same process

        ctx = _pinned_context(browser, url, cookie_a)
        page = ctx.new_page()
        try:
            resp = page.goto(f"{url}/pv?lang=zh")
            assert resp.headers["x-cyc-replica"] == addr_a
            wait_for_app(page, timeout_ms=240_000)
            page.keyboard.press("Escape")
            page.get_by_text("情景设置").wait_for(timeout=180_000)
            sign_in(page, "replica", "replica test password")
            wait_for_app(page, timeout_ms=180_000)
            page.get_by_text("已登录编辑账号").wait_for(timeout=90_000)
            box = page.get_by_label("情景名称")
            box.fill("副本共享方案")
            box.press("Enter")
            wait_for_app(page, timeout_ms=180_000)
            page.get_by_role("button", name="保存当前情景").click()
            wait_for_app(page, timeout_ms=180_000)
            page.get_by_text("已保存情景「副本共享方案」").wait_for(timeout=90_000)
        finally:
            save_artifact(page, "replica_a_saved")
            ctx.close()

        ctx = _pinned_context(browser, url, cookie_b)
        page = ctx.new_page()
        try:
            resp = page.goto(f"{url}/pv?lang=zh")
            assert resp.headers["x-cyc-replica"] == addr_b  # the other process
            wait_for_app(page, timeout_ms=240_000)
            page.keyboard.press("Escape")
            page.get_by_text(re.compile("最近保存：「副本共享方案」（replica")).wait_for(timeout=180_000)
        finally:
            save_artifact(page, "replica_b_sees_it")
            ctx.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
