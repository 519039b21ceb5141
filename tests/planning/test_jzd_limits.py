"""界址点 files from strangers: size, line, point, parcel and ring caps, hostile numbers, rings assembled by
containment (a hole listed first is still a hole), overlapping rings refused; through the parser, the
``land-check --site`` command and the projects page's upload.

Sites (CGCS2000 3° zone 38, Y with the zone prefix; E = easting - 38,000,000):
- square S300: E 562000-562300, N 3885800-3886100 = 90,000 m²; square S100 inside it: E 562100-562200,
  N 3885900-3886000 = 10,000 m² -> S300 with S100 as a hole = 80,000 m²;
- S300 and the same square moved 100 m east and north overlap on 200 m x 200 m = 40,000 m².
The time of the 10^6-line refusal is measured by ``python -m bench --only jzd`` (bench/bench_jzd.py).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from cyc_geo.geo.crs import AREA_CRS
from cyc_geo.ingest import upload_safety
from cyc_geo.planning import jzd
from cyc_geo.planning.jzd import JzdError, read_jzd, read_jzd_bytes
from cyc_geo.planning.landcheck import CheckContext
from cyc_geo.planning.projects import load_projects
from tests.conftest import REPO

HEAD = "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n计量单位=米\n带号=38\n[地块坐标]\n"
"""7 lines: the first parcel header is line 8."""
E0, N0 = 562_000.0, 3_885_800.0


def square(e: float, n: float, side: float, ring: int, first: int = 1) -> list[str]:
    """A closed square ring as point rows (点号, 圈号, X = northing, Y = zone prefix + easting)."""
    corners = [(e, n), (e + side, n), (e + side, n + side), (e, n + side), (e, n)]
    return [f"J{first + i},{ring},{y:.3f},{38_000_000 + x:.3f}" for i, (x, y) in enumerate(corners)]


def parcel(rows: list[str], name: str = "地块", count: str | None = None) -> str:
    return f"{count or len(rows)},,1,{name},面,,工业用地,,@\n" + "\n".join(rows) + "\n"


HOLE_FIRST = HEAD + parcel(square(E0 + 100, N0 + 100, 100, 1) + square(E0, N0, 300, 2, 6), "回字地块")
"""The hole (圈号 1) is listed before its outer ring (圈号 2)."""
OVERLAPPING = HEAD + parcel(square(E0, N0, 300, 1) + square(E0 + 100, N0 + 100, 300, 2, 6), "重叠地块")
INF_COUNT = HEAD + parcel(square(E0, N0, 300, 1), count="inf")


def _world() -> CheckContext:
    """A synthetic county around the sites (EPSG:4547), so the command needs no data folder."""
    def gdf(geoms, **cols):
        return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=AREA_CRS)

    x0, y0 = 550_000.0, 3_880_000.0
    return CheckContext(
        county=gdf([box(x0, y0, x0 + 20_000, y0 + 20_000)], name=["county"]),
        townships=gdf([box(x0, y0, x0 + 20_000, y0 + 20_000)], code=["410783001"], name=["东乡"], name_en=["T1"]),
        belt=gdf([box(x0 + 16_000, y0, x0 + 20_000, y0 + 20_000)], zone=["floodplain"]),
        devzone=gdf([box(x0 + 1_000, y0 + 1_000, x0 + 5_000, y0 + 5_000)], name=["zone"]),
        forest=None, sites=gdf([box(553_000, 3_882_000, 554_000, 3_883_000)], project_no=[1], site_kind=["parcel"]),
        projects=load_projects(), farmland=None, cropland=None, eco_redline=None, urban_boundary=None,
    )


@pytest.fixture
def land_check(tmp_path, monkeypatch, capsys):
    """``python -m cyc_geo land-check --site FILE --json`` through the CLI's main: (exit code, stdout, stderr)."""
    from cyc_geo.cli import main
    from cyc_geo.planning import landcheck

    world = _world()
    monkeypatch.setattr(landcheck, "CheckContext", lambda: world)

    def run(text: str | bytes, name: str = "site.txt") -> tuple[int, str, str]:
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("gbk"))
        code = main(["land-check", "--site", str(path), "--json"])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


# ---------------------------------------------------------------- the four files of the issue, on the command line


def test_cli_inf_point_count_is_a_clear_error_naming_the_line(land_check):
    code, out, err = land_check(INF_COUNT)
    assert code == 2 and json.loads(out)["error"] == "bad_site_file"  # --json: the refusal as JSON on stdout (issue 27)
    assert "第 8 行" in err and "line 8" in err and "point count 'inf' is not an integer" in err
    assert "Traceback" not in err and "OverflowError" not in err


def test_cli_inf_point_count_in_a_real_process_shows_no_traceback(tmp_path):
    site = tmp_path / "inf.txt"
    site.write_bytes(INF_COUNT.encode("gbk"))
    proc = subprocess.run([sys.executable, "-m", "cyc_geo", "land-check", "--site", str(site)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "line 8: point count 'inf' is not an integer" in proc.stderr
    assert "Traceback" not in proc.stderr and ".py" not in proc.stderr  # no server paths


def test_cli_hole_listed_before_its_outer_ring_is_a_hole(land_check):
    code, out, _ = land_check(HOLE_FIRST)
    assert code == 0
    assert json.loads(out)["area_m2"] == pytest.approx(80_000.0, abs=0.5)


def test_cli_overlapping_outer_rings_are_refused_not_summed(land_check):
    code, out, err = land_check(OVERLAPPING)
    assert code == 2 and json.loads(out)["line"] == 14
    assert "rings 1 and 2 of parcel '重叠地块' overlap" in err and "line 14" in err  # ring 2 starts on line 14
    assert "第 1 圈与第 2 圈部分重叠" in err


def test_cli_million_line_file_is_refused_by_its_size_before_reading(land_check):
    rows = [f"J{i},1,{N0 + i % 1000:.3f},{38_000_000 + E0 + i // 1000:.3f}" for i in range(1_000_000 - 8)]
    text = HEAD + f"{len(rows)},,1,大,面,,,,@\n" + "\n".join(rows) + "\n"
    assert text.count("\n") == 1_000_000
    code, out, err = land_check(text)
    assert code == 2 and "4 MB" in json.loads(out)["message_en"]
    assert "the limit for a coordinate file is 4 MB" in err and "界址点文件上限 4 MB" in err


def test_million_short_lines_under_the_size_cap_stop_at_the_line_cap(tmp_path, land_check):
    text = HEAD + "\n" * 1_000_000  # 1 MB: under the size cap; refused at the first line past the cap
    with pytest.raises(JzdError) as err:
        read_jzd_bytes(text.encode())
    assert err.value.line == jzd.MAX_JZD_LINES + 1
    assert f"limit of {jzd.MAX_JZD_LINES:,} lines" in str(err.value)
    code, _, cli_err = land_check(text)
    assert code == 2 and f"limit of {jzd.MAX_JZD_LINES:,} lines" in cli_err


# ---------------------------------------------------------------- caps


def test_size_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:  # a sparse file: its size says 1 GB, nothing of it need be read
        fh.truncate(1 << 30)

    def no_read(*a, **k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(jzd.Path, "read_bytes", no_read)
    monkeypatch.setattr(jzd, "open", no_read, raising=False)  # the module's own open()
    with pytest.raises(JzdError, match="too large: 1024.0 MB"):
        read_jzd(path)


def test_point_cap_stops_at_the_first_point_past_it():
    n = jzd.MAX_JZD_POINTS + 1
    rows = [f"J{i},1,{N0 + i % 100:.3f},{38_000_000 + E0 + i // 100:.3f}" for i in range(n)]
    with pytest.raises(JzdError) as err:
        read_jzd_bytes((HEAD + "4,,1,a,面,,,,@\n" + "\n".join(rows)).encode())
    assert err.value.line == 8 + n and f"limit of {jzd.MAX_JZD_POINTS:,} points" in str(err.value)


def test_header_point_count_over_the_cap_is_refused_at_the_header():
    with pytest.raises(JzdError, match=f"point count 1,000,000 exceeds the limit of {jzd.MAX_JZD_POINTS:,}") as err:
        read_jzd_bytes(HEAD.encode() + parcel(square(E0, N0, 300, 1), count="1000000").encode())
    assert err.value.line == 8


def test_parcel_and_ring_caps():
    one = "5,,1,a,面,,,,@\n" + "\n".join(square(E0, N0, 10, 1)) + "\n"
    with pytest.raises(JzdError, match=f"limit of {jzd.MAX_JZD_PARCELS:,} parcels") as err:
        read_jzd_bytes((HEAD + one * (jzd.MAX_JZD_PARCELS + 1)).encode())
    assert err.value.line == 8 + 6 * jzd.MAX_JZD_PARCELS
    rows = [r for k in range(jzd.MAX_JZD_RINGS + 1) for r in square(E0 + 20 * k, N0, 10, k + 1)]
    with pytest.raises(JzdError, match=f"limit of {jzd.MAX_JZD_RINGS} rings per parcel") as err:
        read_jzd_bytes((HEAD + parcel(rows)).encode())
    assert err.value.line == 9 + 5 * jzd.MAX_JZD_RINGS


# ---------------------------------------------------------------- hostile numbers


def _fixture_site(**fields: str) -> str:
    """HOLE_FIRST with fields replaced: count, area, ring (of the first point), x, y, zone, width."""
    header = f"{fields.get('count', '10')},{fields.get('area', '8.0')},1,回字地块,面,,工业用地,,@"
    rows = square(E0 + 100, N0 + 100, 100, 1) + square(E0, N0, 300, 2, 6)
    no, ring, x, y = rows[0].split(",")
    rows[0] = ",".join([no, fields.get("ring", ring), fields.get("x", x), fields.get("y", y)])
    head = HEAD.replace("带号=38", f"带号={fields.get('zone', '38')}").replace("几度分带=3", f"几度分带={fields.get('width', '3')}")
    return head + header + "\n" + "\n".join(rows) + "\n"


HOSTILE = ["inf", "-inf", "nan", "NaN", "1e400", "-1e400", "9" * 400, "-9" * 200, "-5", "0", "1.5", "", "abc", "0x10",
           "1e18", "∞", "٣", "5" * 5000]


@pytest.mark.parametrize("field", ["count", "area", "ring", "x", "y", "zone", "width"])
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_numbers_are_jzd_errors(field, value):
    text = _fixture_site(**{field: value})
    try:
        gdf = read_jzd_bytes(text.encode())
    except JzdError as exc:
        assert exc.zh and exc.en and len(str(exc)) < 600  # a field of 5,000 digits is cut in the message
        if field in ("count", "area"):
            assert exc.line == 8
        if field in ("ring", "x", "y"):
            assert exc.line in (None, 9, 14)  # 14: the first point moved makes the rings overlap
    else:  # accepted only where the value is harmless: a stated area, a zone text the Y prefix overrides,
        # a ring number or zone width written in other digits (float("٣") == 3)
        assert field in ("area", "zone", "ring", "width"), (field, value)
        assert gdf.geometry.area.sum() == pytest.approx(80_000.0)


def test_empty_and_degenerate_rings_are_named():
    for rows, words in [
        (square(E0, N0, 300, 1)[:2], "fewer than 3 distinct points"),
        ([f"J{i},1,{N0:.3f},{38_000_000 + E0 + 10 * i:.3f}" for i in range(4)], "no area"),
    ]:
        with pytest.raises(JzdError, match=words) as err:
            read_jzd_bytes((HEAD + parcel(rows)).encode())
        assert err.value.line == 9
    with pytest.raises(JzdError, match="states 5 points, the parcel has 0"):
        read_jzd_bytes((HEAD + "5,,1,空,面,,,,@\n").encode())


TOKENS = hs.sampled_from(HOSTILE + ["1", "2", "38", "3885800.000", "38562000.000", "@", ",", "[地块坐标]", "J1", "面", " "])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.lists(hs.tuples(hs.integers(0, 400), TOKENS), min_size=1, max_size=6))
def test_fuzzed_files_raise_only_jzd_errors(edits):
    text = _fixture_site()
    for pos, token in edits:  # splice hostile tokens into the file at random places
        pos = pos % (len(text) + 1)
        text = text[:pos] + token + text[pos:]
    try:
        read_jzd_bytes(text.encode())
    except JzdError as exc:
        assert exc.zh.startswith("界址点文件") and exc.en.startswith(("bad coordinate file", "coordinate file, line"))


# ---------------------------------------------------------------- rings by containment


def _geom(*rings: list[str]) -> shapely.Geometry:
    rows = [r for ring in rings for r in ring]
    return read_jzd_bytes((HEAD + parcel(rows)).encode()).geometry.iloc[0]


def test_rings_are_assembled_by_containment_in_any_order():
    outer, hole, island = square(E0, N0, 300, 1), square(E0 + 50, N0 + 50, 200, 2, 6), square(E0 + 100, N0 + 100, 100, 3, 11)
    far = square(E0 + 1000, N0, 100, 4, 16)
    for order in ([outer, hole, island, far], [island, far, hole, outer], [hole, outer, far, island]):
        g = _geom(*order)
        # 90,000 - 40,000 + 10,000 (island in the hole) + 10,000 (a second part)
        assert g.area == pytest.approx(70_000.0) and g.geom_type == "MultiPolygon" and len(g.geoms) == 3
    g = read_jzd_bytes(HOLE_FIRST.encode()).geometry.iloc[0]
    assert g.geom_type == "Polygon" and len(g.interiors) == 1 and g.area == pytest.approx(80_000.0)


def test_rings_that_overlap_or_repeat_are_refused_and_touching_ones_kept():
    with pytest.raises(JzdError, match="rings 1 and 2 of parcel '地块' overlap"):  # hole crossing its outer ring
        _geom(square(E0, N0, 300, 1), square(E0 + 250, N0 + 100, 100, 2, 6))
    with pytest.raises(JzdError, match="rings 1 and 2 of parcel '地块' overlap") as err:  # the same ring twice
        _geom(square(E0, N0, 300, 1), square(E0, N0, 300, 2, 6))
    assert err.value.line == 14
    with pytest.raises(JzdError, match="rings 2 and 3 of parcel '地块' overlap"):  # two holes overlapping
        _geom(square(E0, N0, 300, 1), square(E0 + 10, N0 + 10, 100, 2, 6), square(E0 + 60, N0 + 60, 100, 3, 11))
    # two parts side by side sharing an edge: kept as written (the land check reports the invalid shape)
    g = _geom(square(E0, N0, 300, 1), square(E0 + 300, N0, 300, 2, 6))
    assert g.area == pytest.approx(180_000.0)


def test_containers_that_overlap_each_other_are_refused():
    # the small ring lies in three outer rings that overlap pairwise (before: KeyError while assembling)
    with pytest.raises(JzdError, match="rings 1 and 2 of parcel '地块' overlap"):
        _geom(square(E0, N0, 300, 1), square(E0 + 200, N0, 300, 2, 6), square(E0 + 100, N0 + 200, 300, 3, 11),
              square(E0 + 225, N0 + 225, 50, 4, 16))


SQUARES = hs.lists(hs.tuples(hs.integers(0, 8), hs.integers(0, 8), hs.integers(1, 6)), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(SQUARES)
def test_any_set_of_rings_is_refused_or_counts_no_area_twice(squares):
    rings = [square(E0 + 50 * x, N0 + 50 * y, 50 * size, k + 1, 5 * k + 1) for k, (x, y, size) in enumerate(squares)]
    try:
        g = _geom(*rings)
    except JzdError as exc:
        assert "overlap" in exc.en or "repeats" in exc.en
        return
    # accepted: the area is the area of the shape the rings bound (each part its shell minus its holes, as
    # GEOS's "structure" repair reads a ring touching another), no area counted twice
    bound = shapely.union_all([shapely.make_valid(p, method="structure") for p in shapely.get_parts(g)])
    assert g.area == pytest.approx(bound.area, abs=0.02)


def test_the_real_two_parcel_fixture_still_reads():
    from tests.planning.test_jzd import TWO_PARCELS

    gdf = read_jzd_bytes(TWO_PARCELS.encode())
    assert gdf.geometry.area.tolist() == pytest.approx([86_200.0, 15_000.0])


# ---------------------------------------------------------------- the projects page's upload


def test_stage_upload_takes_a_smaller_limit_by_extension(data_dir):
    body = b"x" * (jzd.MAX_JZD_BYTES + 1)
    with pytest.raises(upload_safety.UploadRejected, match="limit 4 MB"):
        upload_safety.stage_upload(io.BytesIO(body), "big.txt", allowed=(".txt", ".geojson"),
                                   limits={".txt": jzd.MAX_JZD_BYTES})
    staged, _ = upload_safety.stage_upload(io.BytesIO(body), "big.geojson", allowed=(".txt", ".geojson"),
                                           limits={".txt": jzd.MAX_JZD_BYTES})
    assert staged.stat().st_size == len(body)
    assert [p.name for p in (data_dir / "uploads").iterdir()] == [staged.name]  # the refused one left nothing


class _Upload(io.BytesIO):
    """What Streamlit's file_uploader returns: a stream with the browser's name and size."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name, self.size = name, len(data)


@pytest.mark.parametrize(
    "data, lang, shown, hidden",
    [
        (INF_COUNT.encode("gbk"), "zh", "界址点文件第 8 行：界址点数“inf”不是整数", "point count 'inf'"),
        (OVERLAPPING.encode("gbk"), "en", "coordinate file, line 14: rings 1 and 2 of parcel '重叠地块' overlap",
         "部分重叠"),
        (b"[\xe5" + b"\n" * (jzd.MAX_JZD_BYTES + 10), "zh", "上限 4 MB", "limit 4 MB"),
    ],
    ids=["inf", "overlap", "size"],
)
def test_projects_page_shows_the_message_in_its_language_and_no_traceback(demo_data_dir, monkeypatch, data, lang,
                                                                         shown, hidden):
    """The real projects page (demo data) with a hostile 界址点 upload: one error in the page's language."""
    import streamlit

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: _Upload(data, "红线.txt"))
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
    at = AppTest.from_file(str(REPO / "views" / "projects.py"), default_timeout=300)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert [shown in e for e in errors].count(True) == 1, errors
    assert not any(hidden in e for e in errors)  # one language at a time
    assert list((demo_data_dir / "uploads").glob("*.txt")) == []  # the staged copy is gone
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()
