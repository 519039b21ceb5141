"""Everything drawn on the web map: the folium map and layer payloads (webmap), vector tiles and
the click index for big layers (tiles), the map page's hexagon, tile-style and scenario payloads
(payloads), raster layers as served PNGs with their class legends (overlay), what a click on the
map finds (click), legends and class breaks (legend), and standalone HTML/PNG exports (export)."""
