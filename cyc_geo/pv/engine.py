"""Backend selection for the rooftop PV estimate: in-process pandas or dask.distributed.

Two engines compute *the same thing* — :func:`cyc_geo.pv.model.estimate` per roof,
then :func:`cyc_geo.pv.aggregation.aggregate` by township (and optionally by H3 cell) —
and differ only in where it runs:

- ``local``: in this process with pandas/geopandas. A single file or
  GeoDataFrame is estimated in one go; a partitioned GeoParquet folder is
  streamed one partition at a time, so memory stays bounded.
- ``dask``: one task per GeoParquet partition reads only the columns the
  estimate needs (never the geometry; see ``reader`` below, e.g.
  :func:`dask_geopandas.read_parquet`) and estimates and aggregates it on a
  ``dask.distributed`` worker. Only the small
  per-partition sums travel back and are summed again. Aggregation is a sum,
  so the totals equal the in-process ones (up to float summation order).

Choosing the engine and the cluster is configuration, not code:

- ``CYC_GEO_ENGINE`` = ``local`` | ``dask`` (default engine; ``local`` if unset);
- ``CYC_GEO_DASK_SCHEDULER`` = address of an existing scheduler (e.g.
  ``tcp://10.0.0.5:8786``); if unset a ``LocalCluster`` is started;
- ``CYC_GEO_DASK_READER`` = ``pyarrow`` | ``dask-geopandas`` (see below);
- a TOML file, ``CYC_GEO_ENGINE_CONFIG`` or ``<data dir>/engine.toml``::

      engine = "dask"
      [dask]
      scheduler = "tcp://10.0.0.5:8786"   # or leave out for a LocalCluster
      n_workers = 2                       # LocalCluster only
      threads_per_worker = 1
      memory_limit = "2GiB"
      processes = true                    # false = threads in this process
      reader = "pyarrow"                  # or "dask-geopandas"

The PV estimate reads attribute columns only, never the geometry. ``reader = "pyarrow"``
(default) submits one task per file that reads it with pyarrow (exactly like the local engine)
and returns its sums;
``reader = "dask-geopandas"`` uses :func:`dask_geopandas.read_parquet`, which first scans every
file's metadata on the client: measured on the 40-file 5M-roof set, 0.31-0.36 s CPU and
1.3-3.5 s wall (busy machine) against 0.04-0.05 s CPU for ``dask.dataframe.from_map``, and it
makes separate read and estimate tasks.

Environment variables win over the file. Defaults: 2 worker processes with 1
thread each (this machine has 2 cores; pandas work holds the GIL, so processes
beat threads) and a 2 GiB memory limit per worker (2 × 2 GiB stays under the
4 GB peak-memory target in docs/sources.md, "Performance targets").
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from cyc_geo import paths

ENGINES = ("local", "dask")
READERS = ("pyarrow", "dask-geopandas")
LONLAT = ["lon", "lat"]


@dataclass(frozen=True)
class DaskConfig:
    """Where the dask engine runs (see module docstring for the sources of each value)."""

    scheduler: str | None = None
    n_workers: int = 2
    threads_per_worker: int = 1
    memory_limit: str = "2GiB"
    processes: bool = True
    reader: str = "pyarrow"


def config_path() -> Path:
    """Engine configuration file: ``CYC_GEO_ENGINE_CONFIG`` or ``<data dir>/engine.toml``."""
    return Path(os.environ.get("CYC_GEO_ENGINE_CONFIG", paths.data_dir() / "engine.toml"))


def _read_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"引擎配置文件格式错误 / invalid engine config {path}: {exc}") from exc


def default_engine() -> str:
    """The configured engine: ``CYC_GEO_ENGINE``, else ``engine`` in the config file, else ``local``."""
    engine = os.environ.get("CYC_GEO_ENGINE") or _read_config().get("engine") or "local"
    return check_engine(engine)


def check_engine(engine: str) -> str:
    """Validate an engine name; raises :class:`ValueError` with a bilingual message."""
    if engine not in ENGINES:
        raise ValueError(f"未知计算引擎 {engine!r}，可选 local 或 dask / unknown engine {engine!r}; use local or dask")
    return engine


def dask_config() -> DaskConfig:
    """Dask settings from the config file's ``[dask]`` table, overridden by ``CYC_GEO_DASK_SCHEDULER``
    and ``CYC_GEO_DASK_READER``; unknown keys or readers raise :class:`ValueError`."""
    section = dict(_read_config().get("dask", {}))
    env_addr = os.environ.get("CYC_GEO_DASK_SCHEDULER")
    if env_addr:
        section["scheduler"] = env_addr
    env_reader = os.environ.get("CYC_GEO_DASK_READER")
    if env_reader:
        section["reader"] = env_reader
    allowed = set(DaskConfig.__dataclass_fields__)
    unknown = set(section) - allowed
    if unknown:
        raise ValueError(f"[dask] 配置中有未知项 / unknown [dask] settings: {sorted(unknown)}")
    cfg = DaskConfig(**section)
    if cfg.reader not in READERS:
        raise ValueError(f"未知读取方式 {cfg.reader!r} / unknown dask reader {cfg.reader!r}; use {' or '.join(READERS)}")
    return cfg


_CLIENT = None
_CLUSTER = None


def _worker_environ() -> dict[str, Any]:
    """Worker environment for a LocalCluster: dask's defaults without ``MALLOC_TRIM_THRESHOLD_``.

    Setting that variable switches off glibc's dynamic mmap threshold, so every NumPy array
    above 128 KiB is a fresh ``mmap`` with page faults; measured here, the per-partition PV
    estimate ran 2.4x slower with it (0.21 s vs 0.09 s per 125k roofs). Partitions are small,
    so returning freed memory to the OS eagerly buys nothing.
    """
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


@contextmanager
def _bare_main() -> Iterator[None]:
    """Start worker processes with a bare ``__main__``.

    The nanny starts workers with multiprocessing's *spawn* method, which re-runs the parent's ``__main__``
    file in every child. Under Streamlit (the app and ``AppTest``) ``__main__`` is the page script, so each
    worker ran the whole page — reading every layer (≈ 840 MiB), pausing at its memory limit and never
    registering ("Only 0/2 workers arrived"). With a bare module in its place the children import only what
    their tasks need; the parent's ``__main__`` is restored afterwards.
    """
    main = sys.modules.get("__main__")
    if main is None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


WORKER_START_TIMEOUT_S = 120.0
"""Longest wait (s) for a started LocalCluster's workers to register (a bound against a hang, not a speed)."""


def get_client(config: DaskConfig | None = None):
    """A ``dask.distributed.Client``: connects to the configured scheduler or starts a LocalCluster.

    The client is kept for the life of the process (a cluster costs seconds to start);
    :func:`shutdown_client` closes it.
    """
    global _CLIENT, _CLUSTER
    import dask
    from distributed import Client, LocalCluster

    if _CLIENT is not None and _CLIENT.status == "running":
        return _CLIENT
    cfg = config or dask_config()
    if cfg.scheduler:
        _CLIENT = Client(cfg.scheduler)
    else:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": _worker_environ()}), _bare_main():
            _CLUSTER = LocalCluster(
                n_workers=cfg.n_workers,
                threads_per_worker=cfg.threads_per_worker,
                memory_limit=cfg.memory_limit,
                processes=cfg.processes,
                dashboard_address=None,
            )
            _CLIENT = Client(_CLUSTER)
            # LocalCluster returns once its nannies are up; a worker registers with the scheduler a moment later
            # (seconds on a busy machine), and scattering the roof table before that fails with "No valid workers
            # found". Wait for every worker of the cluster this process started.
            _CLIENT.wait_for_workers(cfg.n_workers, timeout=WORKER_START_TIMEOUT_S)
    return _CLIENT


def shutdown_client() -> None:
    """Close the cached client and, if this process started it, the LocalCluster."""
    global _CLIENT, _CLUSTER
    if _CLIENT is not None:
        _CLIENT.close()
    if _CLUSTER is not None:
        _CLUSTER.close()
    _CLIENT = _CLUSTER = None


# --------------------------------------------------------------------------- sources


def parquet_files(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """The GeoParquet files of ``source``: one file, a folder of ``*.parquet`` parts, or a list of files."""
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_dir():
            files = sorted(p.glob("*.parquet"))
            if not files:
                raise FileNotFoundError(f"文件夹中没有 .parquet 分区 / no .parquet partitions in {p}")
            return files
        if not p.exists():
            raise FileNotFoundError(f"找不到屋顶数据 / rooftop data not found: {p}")
        return [p]
    files = [Path(s) for s in source]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(f"找不到屋顶数据 / rooftop data not found: {', '.join(missing[:3])}")
    return files


def needed_columns(available: Sequence[str], h3_resolution: int | None) -> list[str]:
    """Columns the estimate needs (never the geometry): :data:`cyc_geo.pv.model.REQUIRED`, ``lon``/``lat``
    (yield rasters, H3) and the precomputed ``h3_<res>`` cell if present. Bilingual error if missing."""
    from cyc_geo.pv import model as pv

    have = set(available)
    missing = [c for c in pv.REQUIRED if c not in have]
    if missing:
        raise ValueError(f"屋顶数据缺少字段 / rooftop data lacks columns: {missing}")
    wanted = list(pv.REQUIRED) + [c for c in LONLAT if c in have]
    if h3_resolution is not None:
        h3_col = f"h3_{h3_resolution}"
        if h3_col in have:
            wanted.append(h3_col)
        elif not set(LONLAT) <= have:
            raise ValueError("H3 汇总需要 lon/lat 字段 / H3 aggregation needs lon and lat columns")
    return wanted


def _columns(files: list[Path], h3_resolution: int | None) -> list[str]:
    return needed_columns(pq.read_schema(files[0]).names, h3_resolution)


def _frame(source: pd.DataFrame, h3_resolution: int | None) -> pd.DataFrame:
    """Plain DataFrame of the needed columns of an in-memory (Geo)DataFrame."""
    return pd.DataFrame(source[needed_columns(source.columns, h3_resolution)])


# --------------------------------------------------------------------------- the computation (per partition)


def partition_sums(
    roofs: pd.DataFrame,
    scenario: Any,
    params: Any = None,
    by: str = "township_code",
    h3_resolution: int | None = None,
) -> dict[str, Any]:
    """Estimate one partition and return its additive sums (by ``by``, and by H3 cell if asked)
    and its row count ``n``.

    This is the unit of work both engines share, so they cannot differ in meaning:
    :func:`cyc_geo.pv.model.estimate`, then :func:`cyc_geo.pv.aggregation.aggregate` /
    :func:`cyc_geo.pv.aggregation.aggregate_h3`.
    """
    from cyc_geo.pv import aggregation
    from cyc_geo.pv import model as pv

    per_roof = pv.estimate(pd.DataFrame(roofs), scenario, params)
    out: dict[str, Any] = {"by": aggregation.aggregate(per_roof, by=by), "n": len(roofs)}
    if h3_resolution is not None:
        out["h3"] = aggregation.aggregate_h3(per_roof, h3_resolution)
    return out


def combine(parts: list[dict[str, pd.DataFrame]], key: str, by: str) -> pd.DataFrame:
    """Sum per-partition aggregates again (valid because :func:`cyc_geo.pv.aggregation.aggregate` is a sum)."""
    frames = [p[key] for p in parts if len(p[key])]
    if not frames:
        return parts[0][key] if parts else pd.DataFrame()
    total = pd.concat(frames, ignore_index=True)
    if not pd.api.types.is_numeric_dtype(total[by]):
        total[by] = total[by].astype(str)  # dask reads strings as pyarrow-backed "string"; unify with pandas' str
    numeric = [c for c in total.columns if c != by and pd.api.types.is_numeric_dtype(total[c])]
    return total.groupby(by, sort=True, as_index=False)[numeric].sum()


# --------------------------------------------------------------------------- engines


def _run_local(source: Any, scenario: Any, params: Any, by: str, h3_resolution: int | None) -> tuple[list, int, int]:
    if isinstance(source, pd.DataFrame):
        frame = _frame(source, h3_resolution)
        return [partition_sums(frame, scenario, params, by, h3_resolution)], 1, len(frame)
    files = parquet_files(source)
    cols = _columns(files, h3_resolution)
    parts = [file_sums(str(f), cols, scenario, params, by, h3_resolution) for f in files]  # one part in memory
    return parts, len(files), int(sum(p["n"] for p in parts))


def read_partition(path: str, columns: list[str]) -> pd.DataFrame:
    """One GeoParquet partition's attribute ``columns`` as pandas (same reader as the local engine)."""
    return pq.read_table(path, columns=columns).to_pandas()


def file_sums(path: str, columns: list[str], scenario: Any, params: Any = None, by: str = "township_code",
              h3_resolution: int | None = None) -> dict[str, Any]:
    """Read one partition file and return :func:`partition_sums` of it (one dask task per file)."""
    return partition_sums(read_partition(path, columns), scenario, params, by, h3_resolution)


def _run_dask(source: Any, scenario: Any, params: Any, by: str, h3_resolution: int | None) -> tuple[list, int, int]:
    import dask_geopandas

    files = None if isinstance(source, pd.DataFrame) else parquet_files(source)  # fail before starting a cluster
    cfg = dask_config()
    client = get_client(cfg)
    if files is None:
        # in-memory table: scatter the chunks once (embedding them in the graph would copy them per task)
        from cyc_geo.catalog.partitions import DEFAULT_PARTITION_ROWS

        frame = _frame(source, h3_resolution)
        step = DEFAULT_PARTITION_ROWS
        chunks = [frame.iloc[i:i + step] for i in range(0, max(len(frame), 1), step)]
        futures = client.map(partition_sums, client.scatter(chunks), scenario=scenario, params=params, by=by,
                             h3_resolution=h3_resolution)
        return client.gather(futures), len(chunks), len(frame)
    columns = _columns(files, h3_resolution)
    if cfg.reader == "dask-geopandas":
        import dask

        ddf = dask_geopandas.read_parquet([str(f) for f in files], columns=columns)
        job = dask.delayed(partition_sums, pure=True)
        futures = client.compute([job(p, scenario, params, by, h3_resolution) for p in ddf.to_delayed()])
    else:  # one task per file reads and sums it; nothing is scanned on the client
        futures = client.map(file_sums, [str(f) for f in files], columns=columns, scenario=scenario, params=params,
                             by=by, h3_resolution=h3_resolution, pure=False)  # files may change between runs
    parts = client.gather(futures)
    return parts, len(parts), int(sum(p["n"] for p in parts))


def run_estimate(
    source: Any = None,
    scenario: Any = None,
    engine: str | None = None,
    params: Any = None,
    by: str = "township_code",
    h3_resolution: int | None = None,
) -> dict[str, Any]:
    """Estimate rooftop PV for ``source`` on ``engine`` and aggregate by township (and H3 if asked).

    ``source``: ``None`` (the county's rooftops from :func:`cyc_geo.pv.rooftops.load_rooftops`),
    a GeoParquet file, a folder of GeoParquet partitions, a list of files, or a (Geo)DataFrame.
    ``scenario``: a :class:`cyc_geo.pv.params.Scenario` (``None`` = its defaults).
    ``engine``: ``"local"`` or ``"dask"`` (``None`` = :func:`default_engine`).

    Returns ``{"engine", "scheduler", "partitions", "roofs_in", "seconds", "summary",
    "by_township", "h3"}`` where ``by_township`` (and ``h3`` if ``h3_resolution`` is set)
    are DataFrames of sums and ``summary`` has the keys of :func:`cyc_geo.pv.aggregation.summary`.
    """
    from cyc_geo.pv import aggregation
    from cyc_geo.pv.params import Scenario

    engine = check_engine(engine or default_engine())
    scenario = (scenario if scenario is not None else Scenario()).validate()  # fail before any cluster starts
    if source is None:
        from cyc_geo.pv.rooftops import load_rooftops

        source = load_rooftops()
    t0 = time.perf_counter()
    runner = _run_local if engine == "local" else _run_dask
    parts, nparts, n_in = runner(source, scenario, params, by, h3_resolution)
    by_group = combine(parts, "by", by)
    result: dict[str, Any] = {
        "engine": engine,
        "scheduler": _scheduler_label() if engine == "dask" else "in-process",
        "partitions": nparts,
        "roofs_in": n_in,
        "by_township" if by == "township_code" else f"by_{by}": by_group,
        "h3": combine(parts, "h3", "h3") if h3_resolution is not None else None,
        "summary": aggregation.summary(by_group),
    }
    result["seconds"] = time.perf_counter() - t0
    return result


def _scheduler_label() -> str:
    client = get_client()
    return str(client.scheduler.address)


# --------------------------------------------------------------------------- command line


def _source_meta(source: Any) -> dict[str, Any]:
    """Provenance of a source for the CLI payload (demo flag and description)."""
    if isinstance(source, pd.DataFrame):
        return dict(source.attrs.get("meta") or {})
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.is_dir():
            from cyc_geo.catalog.partitions import read_manifest

            manifest = read_manifest(p) or {}
            return {"demo": manifest.get("demo", "false"), "source": manifest.get("source", str(p))}
        raw = (pq.read_schema(p).metadata or {}).get(b"cyc_geo")
        if raw:
            import json

            return json.loads(raw)
    return {"source": str(source)}


def township_rows(by_township: pd.DataFrame) -> list[dict[str, Any]]:
    """``by_township`` sums as CLI rows; names from the reference list (synthetic counties of
    :mod:`cyc_geo.demo.scaling` reuse the name of the township with the same 6-digit suffix)."""
    from cyc_geo.places.townships import read_seats
    from cyc_geo.pv.report import township_row

    seats = read_seats()
    names = dict(zip(seats["code"].str[6:], zip(seats["name"], seats["name_en"], strict=True), strict=True))
    rows = []
    for r in by_township.itertuples(index=False):
        code = str(r.township_code)
        name, name_en = names.get(code[6:], ("", ""))
        rows.append(township_row(r, code=code, county_code=code[:6], name=name, name_en=name_en))
    return rows


def _is_roof_table(path: Path) -> bool:
    """True for a GeoParquet that already has the rooftop columns the estimate needs."""
    from cyc_geo.pv import model as pv

    if path.suffix.lower() != ".parquet":
        return False
    return set(pv.REQUIRED) <= set(pq.read_schema(path).names)


def cli_payload(source: str | Path | None, scenario: Any, engine: str) -> dict[str, Any]:
    """The ``pv estimate --engine ... [--source ...]`` JSON document (same keys as the in-process one).

    ``source``: a GeoParquet file or partition folder (any other footprint format is read with
    :func:`cyc_geo.pv.rooftops.load_footprint_file`); ``None`` = the county's rooftops. A LocalCluster
    started here is closed before returning.
    """
    from cyc_geo.pv import report, rooftops

    if source is not None and Path(source).is_file() and not _is_roof_table(Path(source)):
        source = rooftops.load_footprint_file(source)  # a planner's raw footprints: validate and prepare
    elif source is None:
        source = rooftops.load_rooftops()
    started_here = engine == "dask" and _CLIENT is None
    try:
        res = run_estimate(source, scenario, engine)
    finally:
        if started_here:
            shutdown_client()
    skipped = source.attrs.get("skipped") if isinstance(source, pd.DataFrame) else None
    return report.estimate_payload(res["summary"], township_rows(res["by_township"]), scenario, _source_meta(source),
                                   skipped, run=res)
