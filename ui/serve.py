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
    "cyc_geo.legend",
    "cyc_geo.webmap",
    "cyc_geo.tiles",
    "cyc_geo.pv",
    "cyc_geo.rooftops",
    "cyc_geo.forest",
    "cyc_geo.zonal",
    "cyc_geo.landcheck",
    "cyc_geo.indicators",
    "cyc_geo.projects",
    "cyc_geo.importer",
    "cyc_geo.report",
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
