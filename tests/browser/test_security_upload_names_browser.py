"""An upload's file name is chosen by the browser and is never a path on the server.

The real app in headless Chromium, as a visitor and as a signed-in editor: the projects page's site
upload is sent through Streamlit's upload endpoint with its multipart file name rewritten to a
traversal (``../../…``) and to an absolute path aimed at a victim file. Nothing outside the uploads
staging folder may change, and the site is still read and checked (by its generated staged name).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from cyc_geo import auth, db
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, start_app, stop_app, wait_for_app

SECRET = "test-secret-for-upload-names"
LONG = 120_000


def _site_geojson() -> bytes:
    """A 200 m square inside the county (WGS84), as a planner's GeoJSON site file."""
    x, y, d = 114.68, 35.20, 0.002
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "test"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    ]}).encode()


def _snapshot(folder: Path, skip: str = "uploads") -> dict[str, str]:
    """sha256 of every file under ``folder``, except the staging folder ``skip`` and SQLite side files."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] != skip and ".sqlite" not in p.name:
            out[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def isolated_app(tmp_path_factory):
    """The app on a copy of the repo's data folder, with an editor account."""
    d: Path = tmp_path_factory.mktemp("upload_names")
    data = d / "data"
    shutil.copytree(REPO / "data", data, ignore=shutil.ignore_patterns("uploads", "*.sqlite*"))
    env = {"CYC_GEO_DATA_DIR": str(data), "CYC_GEO_DB": str(d / "db.sqlite"),
           "CYC_GEO_AUTH_FILE": str(d / "editors.toml"), "CYC_GEO_SESSION_SECRET": SECRET}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYC_GEO_AUTH_FILE", env["CYC_GEO_AUTH_FILE"])
        auth.add_user("alice", "alice password")
    proc, url = start_app(env)
    yield url, d
    stop_app(proc)


def _upload_with_names(page, url: str, src: Path, forged_names: list[str]) -> None:
    """Upload ``src`` on the projects page once per name of ``forged_names``, one after the other on the same page,
    rewriting the multipart file name on its way to the server."""
    forged_name = ""

    def rewrite(route, request):
        if "multipart/form-data" not in request.headers.get("content-type", ""):
            route.continue_()  # the uploader's DELETE of the file a new upload replaces
            return
        # Playwright does not hand the file's bytes to a route, so the multipart body is written anew
        # with the browser's own boundary: the same file, under the forged name
        boundary = re.search(r"boundary=(\S+)", request.headers["content-type"]).group(1).encode()
        name = forged_name.encode()
        forged = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name + b'"; filename="' + name
                  + b'"\r\nContent-Type: application/geo+json\r\n\r\n' + src.read_bytes() + b"\r\n--" + boundary + b"--\r\n")
        route.continue_(post_data=forged)

    page.route(re.compile(r".*/_stcore/upload_file/.*"), rewrite)
    page.goto(f"{url}/projects")
    wait_for_app(page, timeout_ms=LONG)
    page.get_by_text("上传地块文件").first.wait_for(timeout=LONG)
    for i, forged_name in enumerate(forged_names):  # each name ends differently: its check's label is the signal
        local = src.with_name(f"{src.stem}_{i}{src.suffix}")  # a new file for the uploader each time
        local.write_bytes(src.read_bytes())
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(str(local))
        # the check of the uploaded site is shown under the name the browser sent (a label only)
        label = re.compile("合规性核查：.*" + re.escape(Path(forged_name).name))
        page.get_by_text(label).first.wait_for(timeout=LONG)
        wait_for_app(page, timeout_ms=LONG)
        body = page.inner_text("body")
        assert "Traceback" not in body


@pytest.mark.browser
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "editor"])
def test_a_traversal_upload_name_writes_nothing_outside_the_staging_folder(isolated_app, tmp_path, signed_in):
    from playwright.sync_api import sync_playwright

    url, root = isolated_app
    data = root / "data"
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    victims = [victim_dir / "eco_redline_a.geojson", victim_dir / "eco_redline_b.geojson"]
    for victim in victims:
        victim.write_text("original")
    src = tmp_path / "site.geojson"
    src.write_bytes(_site_geojson())
    before_data, before_repo = _snapshot(data), _snapshot(REPO / "data")
    names = ["../" * 12 + str(victims[0]).lstrip("/"), str(victims[1]), "../../data/boundaries/eco_redline.geojson"]
    assert len({Path(n).name for n in names}) == len(names)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = b.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        if signed_in:
            conn = db.connect(root / "db.sqlite")  # the app's database: the session is stored there
            token = auth.session_token(auth.start_session(conn, "alice", time.time()), secret=SECRET.encode())
            conn.close()
            ctx.add_cookies([{"name": auth.SESSION_COOKIE, "value": token, "url": url}])
        _upload_with_names(ctx.new_page(), url, src, names)
        ctx.close()
        b.close()
    assert [v.read_text() for v in victims] == ["original", "original"]
    assert sorted(victim_dir.iterdir()) == victims
    assert _snapshot(data) == before_data, "a file of the data folder changed"
    assert _snapshot(REPO / "data") == before_repo, "a file of the repo's data folder changed"
    # and the staged copies were removed after reading
    staged = list((data / "uploads").glob("*.geojson")) if (data / "uploads").exists() else []
    assert staged == []
