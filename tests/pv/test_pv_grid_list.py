"""A grid company's connection list (并网清单: 电源名称, 乡镇, 并网时间, 并网容量(kW), no status column)
imports as grid-connected rows, and ``pv progress --as-of`` counts them by 并网时间 (issue 26, item 5c)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from cyc_geo.pv.ledger import read_ledger

REPO = Path(__file__).resolve().parents[2]


def write_grid_list(path: Path) -> Path:
    """The list as a county 供电公司 sends it: a title, a unit-less header with (kW), a 合计 row at the bottom."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "并网清单"
    ws.append(["国网长垣市供电公司分布式光伏并网清单"])
    ws.merge_cells("A1:E1")
    ws.append(["序号", "电源名称", "乡镇", "并网时间", "并网容量(kW)"])
    ws.append([1, "长垣市某起重机械有限公司分布式光伏", "蒲西街道", datetime(2022, 3, 18), 800])
    ws.append([2, "张某某户用光伏", "满村镇", "2022-11-05", 24.5])
    ws.append([3, "长垣市人民医院屋顶光伏", "蒲东街道", "2023年6月", 400])
    ws.append([4, "李某某户用光伏", "方里镇", "2023/12/31", 30])
    ws.append([5, "某卫材企业屋顶光伏", "魏庄街道", "2024-02-10", 1200])
    ws.append(["合计", None, None, None, 2454.5])
    wb.save(path)
    return path


def test_a_grid_list_without_status_reads_as_grid_connected_rows(tmp_path: Path) -> None:
    read = read_ledger(write_grid_list(tmp_path / "并网清单.xlsx"), as_of="2025-01-01")
    led = read.ledger
    assert read.skipped.empty, read.skipped.to_dict("records")  # before: every row "缺少建设状态"
    assert list(led["status"]) == ["grid_connected"] * 5
    assert list(led["date"]) == ["2022-03-18", "2022-11-05", "2023-06-01", "2023-12-31", "2024-02-10"]
    assert list(led["name"])[0] == "长垣市某起重机械有限公司分布式光伏"
    assert read.total_kw == pytest.approx(2454.5) and read.total_checks[0]["ok"] is True


def test_a_grid_list_row_dated_after_the_reading_date_is_not_connected(tmp_path: Path) -> None:
    read = read_ledger(write_grid_list(tmp_path / "并网清单.xlsx"), as_of="2023-12-31")
    assert len(read.ledger) == 4 and list(read.skipped["row"]) == [7]
    assert "晚于" in read.skipped["reason_zh"][0] and "not yet connected" in read.skipped["reason_en"][0]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=600)


@pytest.mark.slow
def test_an_imported_grid_list_is_counted_by_connection_date(demo_data_dir: Path, tmp_path: Path) -> None:
    done = _cli("import", str(write_grid_list(tmp_path / "并网清单.xlsx")), "--layer", "pv_installations", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["features"] == 5

    def installed(as_of: str) -> float:
        out = _cli("pv", "progress", "--as-of", as_of, "--json")
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)["installed_mw"]

    assert installed("2022-12-31") == pytest.approx(0.8245)  # 800 + 24.5 kW
    assert installed("2023-12-31") == pytest.approx(1.2545)  # + 400 + 30
    assert installed("2024-12-31") == pytest.approx(2.4545)  # + 1,200
