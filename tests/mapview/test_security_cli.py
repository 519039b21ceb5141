"""``python -m cyc_geo map export``: the page's standalone map from the command line, hostile names included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.mapview.test_security_map import HOSTILE, hostile_townships

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=300)


def test_map_export_cli_writes_a_script_safe_html_and_png(data_dir: Path, tmp_path: Path) -> None:
    hostile_townships().to_file(data_dir / "boundaries" / "townships.geojson", driver="GeoJSON")
    env = {**os.environ}
    out, png = tmp_path / "map.html", tmp_path / "map.png"
    run = _cli("map", "export", "--out", str(out), "--png", str(png), "--layers", "townships,county", "--json", env=env)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["layers"] == ["county", "townships"]  # map order, as the page draws them
    assert result["html"] == str(out) and result["png"] == str(png)
    html = out.read_text(encoding="utf-8")
    assert "/app/static/" not in html  # offline: every asset inlined
    assert "</script><img" not in html and "<iframe" not in html
    # the names travel exactly, as JSON escapes: \u003c for '<', \u0026 for '&'
    for name in HOSTILE:
        escaped = json.dumps(name, ensure_ascii=False)[1:-1]
        for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
            escaped = escaped.replace(ch, esc)
        assert escaped in html
    assert "长垣市碳达峰规划图" in html  # the title box
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = _cli("map", "export", "--out", str(tmp_path / "x.html"), "--layers", "no_such_layer", env=env)
    assert bad.returncode == 2 and "no_such_layer" in bad.stderr and not (tmp_path / "x.html").exists()
