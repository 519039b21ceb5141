"""Rooftop photovoltaics: the yield model and per-roof estimate (model) with its all-sky irradiance
(irradiance), roof layout and row shading (layout) and itemised losses (losses), the local and dask engines
that run it at scale (engine), saved scenarios (scenarios), electricity-to-coal-and-CO2 conversion
(emissions), building footprints (rooftops), the adoption that reaches the 70 MW goal (goal), kept
yield-raster uploads (uploads), the ``pv estimate`` JSON document (report) and the PV page's tables
and downloads (tables)."""
