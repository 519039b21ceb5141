"""The default basemap (issue 29 item 11): offline unless tiles answer or a 天地图 token is set."""

from __future__ import annotations

import http.server
import threading

from cyc_geo.mapview import basemaps
from tests.conftest import free_port


def test_default_is_offline_unless_tiles_answer_or_a_token_is_set(monkeypatch):
    monkeypatch.delenv(basemaps.DEFAULT_ENV, raising=False)
    assert basemaps.default_basemap(None, reachable=lambda b: False) == "blank"
    assert basemaps.default_basemap(None, reachable=lambda b: b.id == "osm") == "osm"
    assert basemaps.default_basemap("tk", reachable=lambda b: False) == "tianditu_vec"
    monkeypatch.setenv(basemaps.DEFAULT_ENV, "blank")
    assert basemaps.default_basemap(None, reachable=lambda b: True) == "blank"
    monkeypatch.setenv(basemaps.DEFAULT_ENV, "tianditu_img")  # needs a token: ignored without one
    assert basemaps.default_basemap(None, reachable=lambda b: False) == "blank"


class _Tile(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/0/0/0.png" else 404)
        self.end_headers()
        self.wfile.write(b"png")

    def log_message(self, *args) -> None:
        pass


def test_the_probe_asks_for_the_first_tile_and_gives_up_quickly():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Tile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        up = basemaps.Basemap("t", "t", "t", (f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png",), "")
        assert basemaps.tiles_reachable(up)
    finally:
        server.shutdown()
    down = basemaps.Basemap("t", "t", "t", (f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png",), "")
    assert not basemaps.tiles_reachable(down, timeout_s=1.0)
    assert not basemaps.tiles_reachable(basemaps.BASEMAPS["blank"])
