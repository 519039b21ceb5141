"""The layer catalogue: the TOML registry of map layers (registry), where each layer's data comes
from and which version is in use (sources: imported version, planner file, the layer's source file
or demo build), versioned imports with rollback (versions), vector files with provenance metadata
(vector_io) and the demo / approximate / real provenance shown to users (provenance)."""
