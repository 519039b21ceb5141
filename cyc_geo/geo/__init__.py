"""Geodesy and raster maths: coordinate systems and area units (crs), guessing the CRS of planner
files from coordinate magnitudes (detect), the GCJ-02 offset of Chinese web-map data (gcj02) and exact
zonal statistics over rasters (zonal). Nothing here knows about layers or the plan."""
