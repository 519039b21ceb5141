"""cyc-geo: the carbon-peak planning map of a county (the bundled profile, data/reference/county.toml).

The package holds all analysis logic; it never imports Streamlit. The web app
(`app.py`, `views/`, `ui/`) and the command line (`python -m cyc_geo`) are thin
views over it.
"""

__version__ = "0.1.0"
