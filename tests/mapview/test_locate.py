"""Locate (cyc_geo.mapview.locate, ``locate`` command): parcel numbers, installation names and coordinates."""

from __future__ import annotations

import json

import shapely

from cyc_geo.cli import main


def test_a_parcel_number_finds_its_parcel_first(demo_data_dir):
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.mapview.locate import locate

    farm = load_layer("farmland")
    pid = str(farm["parcel_id"].iloc[7])
    hits = locate(pid.lower())
    assert hits and hits[0].layer == "farmland" and hits[0].exact and hits[0].value == pid
    assert farm.geometry.iloc[hits[0].position].contains(shapely.Point(hits[0].lon, hits[0].lat))


def test_an_installation_name_and_a_coordinate_from_the_cli(demo_data_dir, capsys):
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.places.county import load_county

    ledger = load_layer("pv_installations")
    name = str(ledger["name"].iloc[3])
    assert main(["locate", name, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hits"][0]["layer"] == "pv_installations" and out["hits"][0]["value"] == name

    p = load_county().geometry.iloc[0].representative_point()
    from pyproj import Transformer

    e, n = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(p.x, p.y)
    assert main(["locate", f"38 {n:.1f} {e:.1f}", "--json"]) == 0
    hit = json.loads(capsys.readouterr().out)["hits"][0]
    assert hit["kind"] == "coordinate" and abs(hit["lon"] - p.x) < 1e-5 and abs(hit["lat"] - p.y) < 1e-5
    assert main(["locate", "没有这个地名xyz", "--json"]) == 2
    assert "未找到" in capsys.readouterr().err


def test_a_township_by_its_english_name_as_the_english_map_labels_it(demo_data_dir):
    # "Menggang Town" on the English map found nothing: only the tooltip's columns (name, not name_en) were searched
    from cyc_geo.catalog.loader import load_layer
    from cyc_geo.mapview.locate import locate

    towns = load_layer("townships")
    row = towns[towns["name"] == "孟岗镇"].iloc[0]
    for query in (row["name_en"], row["name_en"].split()[0].lower()):
        hits = locate(query)
        assert hits and hits[0].layer == "townships", query
        assert towns.iloc[hits[0].position]["name"] == "孟岗镇"
