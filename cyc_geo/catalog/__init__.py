"""The layer catalogue: the TOML registry of map layers (registry), where each layer's data comes
from (sources: planner file, imported version, demo build), versioned imports with rollback (versions),
vector files with provenance metadata (vector_io) and the demo / approximate / real flags shown to
users (provenance)."""
