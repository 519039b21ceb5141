"""The map page's caches (ui.map_data): the atlas's layers prepared once per data version."""

from __future__ import annotations

from cyc_geo.mapview import print_layout
from ui import map_data


def test_the_atlas_layers_are_prepared_once_per_source_version(monkeypatch):
    calls: list[list[str]] = []
    versions = {"county": "c1", "townships": "t1", "rooftops": "r1"}
    monkeypatch.setattr(print_layout, "prepare_layers", lambda ids, frames: calls.append(list(frames)) or [])
    monkeypatch.setattr(map_data, "layer_frame", lambda layer_id: f"frame of {layer_id}")
    monkeypatch.setattr(map_data, "source_version", lambda layer_id: versions[layer_id])
    map_data._atlas_drawn.clear()
    first = map_data.atlas_drawn(["county", "rooftops"])
    assert map_data.atlas_drawn(["county", "rooftops"]) is first  # a second atlas reuses the projection
    assert calls == [["county", "rooftops", "townships"]]  # the unit layer is always drawn
    versions["rooftops"] = "r2"  # the roofs were imported again
    assert map_data.atlas_drawn(["county", "rooftops"]) is not first
    versions["county"] = "c2"  # the county decides which parts are coverage ranges, though not drawn here
    map_data.atlas_drawn(["townships"])
    map_data.atlas_drawn(["townships"])
    assert calls[1:] == [["county", "rooftops", "townships"], ["townships"]]
    map_data._atlas_drawn.clear()
