"""Deterministic demo data built from real anchors (county outline, river, township seats) where real
data cannot be had offline: rooftops, land cover, project sites, and N-times-the-county rooftop sets
for benchmarks. Everything built here is flagged demo in its provenance."""
