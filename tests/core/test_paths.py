"""Where cyc-geo keeps its files (cyc_geo.paths): an empty variable counts as unset."""

from __future__ import annotations

import pytest

from cyc_geo import paths


@pytest.mark.parametrize("name", ["CYC_GEO_DATA_DIR", "CYC_GEO_DB", "CYC_GEO_LAYERS_DIR"])
def test_an_empty_variable_is_the_default_not_the_current_folder(name: str, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path) -> None:
    """``CYC_GEO_DATA_DIR=`` (an empty line in a service's environment) made the working folder the data folder: a
    page run then built the demo county into the repository's root (boundaries/, generated/, rooftops/)."""
    monkeypatch.chdir(tmp_path)
    for var in ("CYC_GEO_DATA_DIR", "CYC_GEO_DB", "CYC_GEO_LAYERS_DIR", "CYC_GEO_COUNTY"):
        monkeypatch.delenv(var, raising=False)
    default = {"CYC_GEO_DATA_DIR": paths.data_dir(), "CYC_GEO_DB": paths.db_path(),
               "CYC_GEO_LAYERS_DIR": paths.layers_dir()}
    assert default["CYC_GEO_DATA_DIR"] == paths.REPO_ROOT / "data"
    monkeypatch.setenv(name, "")
    now = {"CYC_GEO_DATA_DIR": paths.data_dir(), "CYC_GEO_DB": paths.db_path(),
           "CYC_GEO_LAYERS_DIR": paths.layers_dir()}
    assert now == default
    assert all(p.is_absolute() for p in now.values())
