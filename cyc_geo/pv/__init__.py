"""Rooftop photovoltaics: the yield model and per-roof estimate (model), the local and dask engines
that run it at scale (engine), saved scenarios (scenarios), electricity-to-coal-and-CO2 conversion
(emissions) and building footprints (rooftops)."""
