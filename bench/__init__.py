"""cyc-geo benchmarks: ``python -m bench [--quick] [--only NAME] [--markdown]``.

Every ``bench/bench_<topic>.py`` module exposes ``run(quick: bool = False) -> list[dict]``;
:mod:`bench.__main__` discovers them and prints one table. Shared timing and
peak-memory helpers live in :mod:`bench.common`.
"""
