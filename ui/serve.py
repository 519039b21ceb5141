"""Start the app with its libraries already imported: ``python -m ui.serve [streamlit options]``.

Same as ``streamlit run app.py [options]``, except that the cyc_geo modules (and
through them geopandas, scipy/scikit-learn via mapclassify, pvlib, rasterio,
exactextract, h3, altair) are imported before the server starts. Streamlit imports
a page's modules during its first run, so otherwise the first visitor after a
restart waited for about 7 s of imports on this 2-core machine (py-spy).

Only modules without Streamlit components are imported here: a component
(``streamlit_folium``) registers itself with the running server when its module
is imported, so it must be imported by the page script as usual.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

PRELOAD: tuple[str, ...] = (
    "cyc_geo.mapview.legend",
    "cyc_geo.mapview.webmap",
    "cyc_geo.mapview.tiles",
    "cyc_geo.pv.model",
    "cyc_geo.pv.rooftops",
    "cyc_geo.carbon.forest",
    "cyc_geo.geo.zonal",
    "cyc_geo.planning.landcheck",
    "cyc_geo.indicators.catalogue",
    "cyc_geo.planning.projects",
    "cyc_geo.ingest.importer",
    "cyc_geo.planning.report",
    # imported lazily inside cyc_geo (so the CLI starts fast) but needed by the first map view
    "pvlib",
    "h3",
    "rasterio",
    "altair",
)
"""Modules imported before the server starts (none may declare a Streamlit component)."""

APP = Path(__file__).resolve().parent.parent / "app.py"


def preload(modules: tuple[str, ...] = PRELOAD) -> None:
    for name in modules:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    from streamlit.web import cli

    preload()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
