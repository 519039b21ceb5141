"""Rooftop photovoltaics: the yield model and per-roof estimate (model) with its all-sky irradiance
(irradiance), roof layout and row shading (layout) and itemised losses (losses), the local and dask
engines that run it at scale (engine), saved scenarios (scenarios), electricity-to-coal-and-CO2
conversion (emissions), building footprints (rooftops), the installations ledger: reading planner
台账 files (ledger), the layer and its audited edits (installations) and progress toward the 70 MW
goal on installed capacity only (progress); the adoption at which the potential equals 70 MW (goal),
kept yield-raster uploads (uploads), the ``pv estimate`` JSON document (report) and the PV page's
tables and downloads (tables)."""
