"""Real files in the land check (issue 27, items 7-10): a 界址点 file written easting-first (``--swap-xy`` and the
page's one-click swap), one JSON refusal for every ``--json`` command, the header's declared 地块面积 against the
rings, and the area in the file's own Gauss-Kruger zone next to zone 38."""

from __future__ import annotations

import io
import json

import pytest
from streamlit.testing.v1 import AppTest

from cyc_geo.planning import landcheck
from tests.conftest import REPO
from tests.planning.test_landcheck_rules import world

SIDE = 239.0
"""A 239 m square: 57,121 m² = 5.7121 公顷, the "5.71 ha ring" of the issue."""


def jzd_text(zone: int, e0: float, n0: float, prefix: bool, easting_first: bool, declared: str = "5.7121") -> bytes:
    """A one-parcel 界址点 file (GBK, CRLF line ends) of a SIDE-metre square at easting e0, northing n0 in the CGCS2000
    3-degree zone ``zone``; point rows ``点号,圈号,X,Y`` or, easting-first, ``点号,圈号,Y,X``."""
    head = ["[属性描述]", "坐标系=2000国家大地坐标系", "几度分带=3", "投影类型=高斯克吕格", "计量单位=米", f"带号={zone}",
            "[地块坐标]", f"5,{declared},1,试验地块,面,,工业用地,,@"]
    corners = [(e0, n0), (e0 + SIDE, n0), (e0 + SIDE, n0 + SIDE), (e0, n0 + SIDE), (e0, n0)]
    rows = []
    for i, (e, n) in enumerate(corners):
        y = e + zone * 1_000_000 if prefix else e
        x_y = (y, n) if easting_first else (n, y)
        rows.append(f"J{i % 4 + 1},1,{x_y[0]:.3f},{x_y[1]:.3f}")
    return "\r\n".join(head + rows).encode("gbk") + b"\r\n"


CHANGYUAN = dict(zone=38, e0=562_000.0, n0=3_885_800.0, prefix=True)
"""Inside the synthetic world's county (tests/planning/test_landcheck_rules.world), Y with the zone number."""
HANGZHOU = dict(zone=40, e0=514_000.0, n0=3_351_000.0, prefix=False)
"""A parcel near 120.15°E 30.28°N in zone 40 (CM 120°E), Y without the zone number (as the issue's real file)."""


@pytest.fixture
def cli(monkeypatch, capsys):
    """``python -m cyc_geo ...`` through the CLI's main against the synthetic world: (exit code, stdout, stderr)."""
    from cyc_geo.cli import main

    monkeypatch.setattr(landcheck, "CheckContext", lambda: world())

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


# ---------------------------------------------------------------- 7: easting-first files


@pytest.mark.parametrize("where", [CHANGYUAN, HANGZHOU], ids=["zone38-prefix", "zone40-no-prefix"])
def test_easting_first_file_is_refused_with_the_swap_hint_and_reads_with_swap_xy(tmp_path, cli, where):
    north, east = tmp_path / "north.txt", tmp_path / "east.txt"
    north.write_bytes(jzd_text(**where, easting_first=False))
    east.write_bytes(jzd_text(**where, easting_first=True))
    code, out, _ = cli("land-check", "--site", str(north), "--json")
    assert code == 0
    area = json.loads(out)["area_m2"]
    code, out, err = cli("land-check", "--site", str(east), "--json")
    refusal = json.loads(out)
    assert code == 2 and refusal["error"] == "xy_swapped" and refusal["swap_xy"] is True
    assert "X、Y 是否写反" in refusal["message_zh"] and "--swap-xy" in refusal["message_en"]
    code, out, _ = cli("land-check", "--site", str(east), "--swap-xy", "--json")
    assert code == 0
    assert json.loads(out)["area_m2"] == pytest.approx(area, abs=1.0)  # the same parcel, to 1 m²


# ---------------------------------------------------------------- 8: one JSON refusal for every --json command


def _is_refusal(out: str) -> dict:
    doc = json.loads(out)
    assert {"error", "message_zh", "message_en"} <= set(doc), doc
    assert doc["message_zh"] and doc["message_en"]
    return doc


def test_refused_land_check_prints_the_json_error_object_on_stdout(tmp_path, cli):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("[地块坐标]\r\nJ1,1,1,2\r\n".encode("gbk"))
    code, out, err = cli("land-check", "--site", str(bad), "--json")
    doc = _is_refusal(out)
    assert code == 2 and doc["error"] == "bad_site_file" and doc["line"] == 2 and "line 2" in err
    code, out, _ = cli("land-check", "--site", str(tmp_path / "none.geojson"), "--json")
    assert code == 2 and _is_refusal(out)["error"] == "not_found"


@pytest.mark.parametrize("args, code", [
    (["land-check", "--json"], "bad_arguments"),  # --site missing
    (["pv", "estimate", "--json", "--no-such-option"], "bad_arguments"),
    (["carbon", "--json", "--no-such-option"], "bad_arguments"),
    (["indicators", "--json", "--year", "1999"], "bad_arguments"),
    (["evaluation", "--json", "--out", "x.xlsx"], "bad_input"),  # neither --year nor --pilot: the command refuses
    (["projects", "--json", "--no-such-option"], "bad_arguments"),
    (["layers", "--json", "--no-such-option"], "bad_arguments"),
    (["map", "export", "--json"], "bad_arguments"),  # --out missing
    (["townships", "--json", "--no-such-option"], "bad_arguments"),
    (["import", "x.geojson", "--layer", "no_such_layer", "--json"], None),  # the importer's own codes
], ids=lambda v: " ".join(v[:2]) if isinstance(v, list) else str(v))
def test_every_json_command_refuses_with_the_same_error_object(cli, args, code):
    rc, out, err = cli(*args)
    doc = _is_refusal(out)
    assert rc == 2 and (err.startswith("usage:") or err.startswith("error:"))
    assert code is None or doc["error"] == code


# ---------------------------------------------------------------- 9: declared 地块面积


def test_declared_area_differing_by_more_than_half_a_percent_is_a_warning(tmp_path, cli):
    site = tmp_path / "declared.txt"
    site.write_bytes(jzd_text(**CHANGYUAN, easting_first=False, declared="8.0000"))
    code, out, _ = cli("land-check", "--site", str(site), "--json")
    assert code == 0
    found = next(f for f in json.loads(out)["findings"] if f["layer"] == "declared_area")
    assert found["level"] == "warning"
    assert found["declared_m2"] == pytest.approx(80_000.0) and found["computed_m2"] == pytest.approx(57_121.0, abs=0.01)
    assert found["declared_mu"] == pytest.approx(120.0) and found["computed_mu"] == pytest.approx(85.681, abs=0.001)
    assert "8.0000 公顷" in found["reason_zh"] and "85.68 亩" in found["reason_zh"]
    # 5.7400 ha is 0.49 % off: within the tolerance, an ok finding with the same figures
    site.write_bytes(jzd_text(**CHANGYUAN, easting_first=False, declared="5.7400"))
    code, out, _ = cli("land-check", "--site", str(site), "--json")
    found = next(f for f in json.loads(out)["findings"] if f["layer"] == "declared_area")
    assert found["level"] == "ok" and found["difference_pct"] == pytest.approx(0.488, abs=0.001)


# ---------------------------------------------------------------- 10: the file's own zone


def test_file_in_another_zone_reports_its_own_zone_area_and_zone_38(tmp_path, cli):
    site = tmp_path / "hangzhou.txt"
    site.write_bytes(jzd_text(**HANGZHOU, easting_first=False))
    code, out, _ = cli("land-check", "--site", str(site), "--json")
    res = json.loads(out)
    zone = next(f for f in res["findings"] if f["layer"] == "area_zone")
    assert zone["level"] == "info" and zone["own_zone_crs"] == "EPSG:4549" and zone["own_zone_central_meridian"] == 120
    assert zone["area_m2_own_zone"] == pytest.approx(57_121.0, abs=0.01)
    assert zone["area_m2_check"] == pytest.approx(res["area_m2"], abs=0.01)
    assert res["area_m2"] / 57_121.0 - 1 == pytest.approx(0.0088, abs=0.0005)  # +0.88 % in zone 38
    # the declared area is compared in the file's own zone: 5.7121 ha agrees exactly
    declared = next(f for f in res["findings"] if f["layer"] == "declared_area")
    assert declared["level"] == "ok" and declared["area_crs"] == "EPSG:4549"
    # a zone-38 file has no second area
    site.write_bytes(jzd_text(**CHANGYUAN, easting_first=False))
    code, out, _ = cli("land-check", "--site", str(site), "--json")
    assert not [f for f in json.loads(out)["findings"] if f["layer"] == "area_zone"]


# ---------------------------------------------------------------- 7: the projects page's one-click swap


class _Upload(io.BytesIO):
    """What Streamlit's file_uploader returns: a stream with the browser's name, size and id."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name, self.size, self.file_id = name, len(data), "upload-1"


def test_projects_page_offers_a_one_click_swap_for_an_easting_first_file(demo_data_dir, monkeypatch):
    import streamlit

    data = jzd_text(**CHANGYUAN, easting_first=True)
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: _Upload(data, "红线.txt"))
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "views" / "projects.py"), default_timeout=300)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("X、Y 是否写反" in e.value for e in at.error)
    button = at.button(key="projects_swap_xy_button")
    assert button.label == "交换 X/Y 重新读取"
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("写反" in e.value for e in at.error)
    assert any("已交换 X/Y 读取该文件" in i.value for i in at.info)
    assert "projects_swap_xy_button" not in [b.key for b in at.button]
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
