"""Map payloads as static, content-named gzip files (cyc_geo.mapview.static_payloads) instead of
being re-serialised into every session's map component; inline JSON made script-safe."""

from __future__ import annotations

import gzip
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from cyc_geo.catalog.registry import LayerDef
from cyc_geo.mapview import static_payloads, webmap
from cyc_geo.mapview.safe import script_safe_json

SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
"""SHA-256 of b"abc" (FIPS 180-2, appendix B.1)."""


def _squares(names: list[str]) -> gpd.GeoDataFrame:
    xs = np.array([114.70, 114.71, 114.80][: len(names)])
    ys = np.array([35.20, 35.20, 35.25][: len(names)])
    return gpd.GeoDataFrame({"name": names}, geometry=shapely.box(xs, ys, xs + 0.0002, ys + 0.0002), crs="EPSG:4326")


LAYER = LayerDef(id="sq", title_zh="方块", title_en="Squares", source="f.gpkg", geometry="polygon",
                 tooltip=("name",), style={"color": "#ff0000"})


def test_file_name_is_the_content_hash_and_the_name_is_reduced_to_safe_characters():
    assert static_payloads.file_name("county-osm-zh", "abc") == f"county-osm-zh-{SHA256_ABC[:16]}.json.gz"
    assert static_payloads.file_name("a/b c", "abc") == f"a_b_c-{SHA256_ABC[:16]}.json.gz"
    assert static_payloads.file_name("../..", "abc").startswith("payload-")


def test_publish_writes_gzip_once_and_a_new_text_gets_a_new_url(tmp_path):
    url = static_payloads.publish("abc", "t", root=tmp_path)
    assert url == f"/app/static/payloads/t-{SHA256_ABC[:16]}.json.gz"
    path = tmp_path / f"t-{SHA256_ABC[:16]}.json.gz"
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw) == b"abc"
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME = 0: the bytes depend on the text only
    inode = path.stat().st_ino
    assert static_payloads.publish("abc", "t", root=tmp_path) == url
    assert path.stat().st_ino == inode and gzip.decompress(path.read_bytes()) == b"abc"  # not rewritten (touched)
    other = static_payloads.publish('{"a":1}', "t", root=tmp_path)
    assert other != url and static_payloads.read(other, root=tmp_path) == '{"a":1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, other.rsplit("/", 1)[-1]])  # no temp left
    assert static_payloads.is_published(url, root=tmp_path)
    path.unlink()
    assert not static_payloads.is_published(url, root=tmp_path)


def test_script_safe_json_escapes_what_would_end_or_break_a_script():
    obj = {"n": "</script><b>&\u2028\u2029", "长垣": 1}
    text = script_safe_json(obj)
    assert text == '{"n":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u2028\\u2029","长垣":1}'
    assert json.loads(text) == obj


def test_a_published_layer_travels_as_its_url_not_its_geojson():
    from streamlit_folium import _get_feature_group_string

    url = "/app/static/payloads/sq-blank-zh-0123456789abcdef.json.gz"
    fetched = _get_feature_group_string(webmap.layer_group(LAYER, lang="zh", url=url), webmap.base_map("blank"))
    inline = _get_feature_group_string(webmap.layer_group(LAYER, _squares(["甲", "乙", "丙"]), "zh"),
                                       webmap.base_map("blank"))
    assert f'fetch("{url}")' in fetched and "DecompressionStream('gzip')" in fetched
    assert "FeatureCollection" not in fetched and "FeatureCollection" in inline
    with pytest.raises(ValueError):
        webmap.FastGeoJson()


def test_inline_payload_cannot_close_the_script_element():
    html = webmap.layer_group(LAYER, _squares(["</script><script>alert(1)</script>"]), "zh").add_to(
        webmap.base_map("blank")).get_root().render()
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    body = next(s for s in scripts if "FeatureCollection" in s)
    assert "alert(1)" in body and "\\u003c/script\\u003e" in body  # the name is intact, escaped, inside the script


def test_map_page_sends_payload_urls_and_publishes_the_files(tmp_path, monkeypatch):
    """The map page (AppTest) gives its component the payload URLs; each file holds its layer's GeoJSON."""
    from conftest import app_test

    monkeypatch.setenv("CYC_GEO_PAYLOADS_DIR", str(tmp_path))
    at = app_test("views/map.py")
    at.query_params["layers"] = "county,townships,rooftops"
    at.query_params["base"] = "osm"
    at.run()
    assert not at.exception
    args = [json.loads(c.proto.json_args) for c in at.get("component_instance")]
    fg = next(a["feature_group"] for a in args if a.get("feature_group"))
    urls = re.findall(r'fetch\("(/app/static/payloads/[^"]+)"\)', fg)
    names = sorted(u.rsplit("/", 1)[-1].rsplit("-", 1)[0] for u in urls)
    assert names == ["county-osm-zh", "rooftops_hex-osm-zh", "townships-osm-zh"]
    assert "FeatureCollection" not in fg and len(fg) < 20_000
    towns = json.loads(static_payloads.read(next(u for u in urls if "townships" in u), root=tmp_path))
    assert len(towns["geojson"]["features"]) == 18  # the 18 townships of 长垣
    hexes = json.loads(static_payloads.read(next(u for u in urls if "rooftops_hex" in u), root=tmp_path))
    assert hexes["fill_col"] == "_fill" and len(hexes["geojson"]["features"]) > 100


def test_warm_up_publishes_every_vector_layer_before_any_session(tmp_path, monkeypatch):
    """ui.warmup.warm_up (run by ui.serve at start) leaves one payload file per vector layer (hexagons for big ones)."""
    import streamlit as st

    from cyc_geo.catalog.registry import load_registry
    from cyc_geo.planning import landcheck
    from ui import projects_data
    from ui.warmup import warm_up

    monkeypatch.setenv("CYC_GEO_PAYLOADS_DIR", str(tmp_path))
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "warm.sqlite"))
    monkeypatch.setenv("CYC_GEO_BASEMAP", "osm")  # the warm-up publishes for the default basemap
    st.cache_data.clear()  # earlier tests in this process published into their own folders
    st.cache_resource.clear()
    checked = []
    real = landcheck.check_projects
    monkeypatch.setattr(projects_data, "check_projects", lambda *a, **k: checked.append(1) or real(*a, **k))
    took = warm_up()
    assert {"roofs", "per_roof_map", "layers", "map_payloads", "projects"} <= set(took)
    assert len(projects_data.checks(projects_data.sites_key())) == 4 and checked == [1]  # the page finds it done
    names = sorted(p.name.rsplit("-", 1)[0] for p in tmp_path.glob("*.json.gz"))
    expected = sorted(f"{layer.id}_hex-osm-zh" if layer.big else f"{layer.id}-osm-zh"
                      for layer in load_registry() if layer.geometry != "raster")
    assert names == expected


def test_prune_removes_old_unreferenced_payloads_and_keeps_what_the_store_hands_out(tmp_path, monkeypatch):
    """Every data version publishes a new file: the start-up prune removes those neither handed out by the
    current result store nor published within KEEP_UNUSED_S, so static/payloads does not grow forever."""
    import os
    import time

    from cyc_geo.catalog import result_store

    monkeypatch.setenv("CYC_GEO_PAYLOADS_DIR", str(tmp_path / "payloads"))
    monkeypatch.setenv("CYC_GEO_RESULTS", str(tmp_path / "results"))
    old = static_payloads.publish("version 1", "county-osm-zh")
    stored = result_store.remember(("small_payload_url", "county", "v2"), lambda: static_payloads.publish(
        "version 2", "county-osm-zh"))
    recent = static_payloads.publish("version 3", "county-osm-zh")
    week_ago = time.time() - 7 * 86_400
    for url in (old, stored):
        os.utime(static_payloads.path_of(url), (week_ago, week_ago))
    assert static_payloads.prune() == 1
    assert not static_payloads.is_published(old)
    assert static_payloads.is_published(stored) and static_payloads.is_published(recent)
    # published again (a session asked for it): recent again, kept
    os.utime(static_payloads.path_of(recent), (week_ago, week_ago))
    assert static_payloads.publish("version 3", "county-osm-zh") == recent
    assert static_payloads.prune(keep=[]) == 1 and static_payloads.is_published(recent)
    assert not static_payloads.is_published(stored)  # keep=[]: the store's reference no longer protects it


def test_start_up_prunes_the_payloads_after_the_store(monkeypatch):
    import ui.warmup as warmup

    calls: list[str] = []
    monkeypatch.setattr(warmup.result_store, "prune", lambda: calls.append("results"))
    monkeypatch.setattr(warmup.static_payloads, "prune", lambda: calls.append("payloads"))
    monkeypatch.setattr(warmup, "_wait_for_quiet", lambda: None)
    monkeypatch.setattr(warmup.map_data, "warm_map", lambda **kw: calls.append("map"))
    monkeypatch.setattr(warmup, "roof_layer", lambda: None)
    monkeypatch.setattr(warmup, "registry", lambda: [])
    monkeypatch.setattr(warmup.projects_data, "warm", lambda: None)
    warmup.warm_up()
    assert calls[:3] == ["results", "payloads", "map"]
