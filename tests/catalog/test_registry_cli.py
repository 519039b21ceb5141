import json
import subprocess
import sys

import pytest

from cyc_geo.catalog.registry import load_registry, parse_layer
from cyc_geo.cli import main

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_every_registered_layer_is_valid_and_unique():
    layers = load_registry()
    ids = [layer.id for layer in layers]
    assert {"county", "townships", "belt", "river"} <= set(ids)
    assert len(ids) == len(set(ids))
    for layer in layers:
        assert layer.title_zh and layer.title_en


def test_bad_layer_definition_names_the_problem():
    with pytest.raises(ValueError, match="missing required key 'geometry'"):
        parse_layer({"id": "x", "title_zh": "x", "title_en": "x", "source": "a.gpkg"}, "x.toml")
    with pytest.raises(ValueError, match="geometry must be"):
        parse_layer({"id": "x", "title_zh": "x", "title_en": "x", "geometry": "blob", "source": "a.gpkg"}, "x.toml")


def test_duplicate_layer_ids_are_rejected(tmp_path):
    body = 'id = "a"\ntitle_zh = "甲"\ntitle_en = "A"\nsource = "a.gpkg"\ngeometry = "point"\n'
    (tmp_path / "one.toml").write_text(body, encoding="utf-8")
    (tmp_path / "two.toml").write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate layer ids"):
        load_registry(tmp_path)


def test_a_shared_source_file_is_read_by_layer_id(tmp_path):
    """county and neighbours share one GeoPackage; each reads the GeoPackage layer named by its id."""
    from cyc_geo.catalog.loader import load_layer

    (tmp_path / "nb.toml").write_text(
        'id = "neighbours"\ntitle_zh = "相邻县"\ntitle_en = "Neighbours"\n'
        'source = "boundaries/county.gpkg"\ndemo = "cyc_geo.places.county:build_county"\ngeometry = "polygon"\n',
        encoding="utf-8",
    )
    (layer,) = load_registry(tmp_path)
    assert len(load_layer(layer)) == 5


def _cli_json(*args: str):
    out = subprocess.run(
        [sys.executable, "-m", "cyc_geo", *args, "--json"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_cli_townships_json(data_dir):
    rows = _cli_json("townships")
    assert len(rows) == 18
    assert {"code", "name", "area_km2", "approximate"} <= set(rows[0])
    assert sum(r["area_km2"] for r in rows) == pytest.approx(1040, abs=8)
    assert all(r["approximate"] is True for r in rows)


def test_cli_layers_json_reports_counts_crs_bounds_and_flags(demo_data_dir):
    rows = {r["id"]: r for r in _cli_json("layers")}
    assert rows["townships"]["features"] == 18
    assert rows["townships"]["approximate"] is True
    assert rows["county"]["demo"] is False and rows["county"]["features"] == 1
    assert rows["county"]["crs"] == "EPSG:4326"
    west, south, east, north = rows["county"]["bounds"]
    assert 114.4 < west < east < 115.1 and 34.9 < south < north < 35.5


def test_cli_user_error_exits_2(capsys):
    assert main(["townships", "--json"]) == 0
    capsys.readouterr()
    assert main(["no-such-command"]) == 2  # argparse's refusal reaches main (the JSON refusal with --json, issue 27)
    err = capsys.readouterr().err
    assert err.startswith("usage:") and "invalid choice: 'no-such-command'" in err
