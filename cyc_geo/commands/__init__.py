"""CLI command modules; each defines ``register(subparsers)``. Discovered by :mod:`cyc_geo.cli`."""
