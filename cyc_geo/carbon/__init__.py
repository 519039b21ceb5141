"""Forest carbon: the land-cover raster in 三调 classes (landcover) and forest stock, sink and pools
by township or any zones (forest)."""
