"""Geodesy and raster maths: coordinate systems and area units (crs), guessing the CRS of planner
files from coordinate magnitudes (detect), the GCJ-02 offset of Chinese web-map data (gcj02), exact
zonal statistics over rasters (zonal) and H3 hexagonal cells (hexgrid).
Nothing here knows about layers or the plan."""
