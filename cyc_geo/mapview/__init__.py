"""Everything drawn on the web map: the folium map and layer payloads (webmap), tiles, aggregation
and raster overlays for big layers (tiles), legends and class breaks (legend), and standalone HTML/PNG
exports (export)."""
