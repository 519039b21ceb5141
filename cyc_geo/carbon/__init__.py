"""Forest carbon: the land-cover raster in 三调 classes (landcover) and forest stock, sink and pools
by township or any zones (forest); the carbon page's zone tables and county figures (zones) and its
map layers and forest PNG (maps)."""
