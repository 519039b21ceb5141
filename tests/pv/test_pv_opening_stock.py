"""The PV opening stock (截至 YYYY 年底累计并网容量): set by an editor with a source, audited, and the start of
progress (opening stock + ledger rows connected after its date; issue 26, item 5a)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cyc_geo import db
from cyc_geo.pv import opening_stock, progress
from cyc_geo.pv.installations import load_ledger
from cyc_geo.pv.opening_stock import OpeningStock

REPO = Path(__file__).resolve().parents[2]


def _ledger(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    """A bare ledger: (status, kW, date) per row."""
    return pd.DataFrame({"status": [r[0] for r in rows], "capacity_kw": [r[1] for r in rows],
                         "date": [r[2] for r in rows], "township_code": "410783001000", "building_class": "rural"})


def test_progress_is_opening_stock_plus_rows_after_its_date() -> None:
    led = _ledger([("grid_connected", 1000.0, "2021-05-01"), ("grid_connected", 2000.0, "2022-03-01"),
                   ("grid_connected", 500.0, "2023-07-01"), ("filed", 9000.0, "2023-01-01")])
    stock = OpeningStock(12.3, "2021-12-31", "国网长垣市供电公司")
    at = pd.Timestamp("2023-12-31")
    assert progress.installed_mw(led, at) == pytest.approx(3.5)  # the ledger alone
    # the 2021 row is inside the opening stock, not counted twice
    assert progress.installed_mw(led, at, stock) == pytest.approx(12.3 + 2.5)
    assert progress.installed_mw(led, pd.Timestamp("2021-06-30"), stock) == pytest.approx(1.0)  # before its date
    years = progress.by_year(led, at, stock)
    assert list(years["year"]) == [2021, 2022, 2023]
    assert list(years["cumulative_mw"]) == pytest.approx([12.3, 14.3, 14.8])
    assert progress.gap_mw(led, at, opening=stock) == pytest.approx(70 - 14.8)


def test_an_editor_sets_it_audited_and_bad_input_writes_nothing(data_dir: Path) -> None:
    conn = db.connect()
    with pytest.raises(ValueError, match="source"):
        opening_stock.save_opening_stock(conn, 12.3, "2021-12-31", "  ", "alice")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        opening_stock.save_opening_stock(conn, 12.3, "2021年底", "国网", "alice")
    with pytest.raises(ValueError, match="actor"):
        opening_stock.save_opening_stock(conn, 12.3, "2021-12-31", "国网", "")
    assert opening_stock.read_opening_stock(conn) is None and db.audit_trail(conn, "pv_opening_stock") == []

    opening_stock.save_opening_stock(conn, 12.3, "2021-12-31", "国网长垣市供电公司", "alice")
    opening_stock.save_opening_stock(conn, 13.0, "2021-12-31", "国网长垣市供电公司（更正）", "bob")
    stock = opening_stock.read_opening_stock(conn)
    assert (stock.mw, stock.as_of, stock.updated_by) == (13.0, "2021-12-31", "bob")
    assert stock.label() == "截至 2021 年底累计并网容量"
    trail = db.audit_trail(conn, "pv_opening_stock")
    assert [(t["actor"], t["action"]) for t in trail] == [("bob", "update"), ("alice", "insert")]
    assert json.loads(trail[0]["old_value"])["mw"] == 12.3 and json.loads(trail[0]["new_value"])["mw"] == 13.0


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cyc_geo", *args], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=600)


@pytest.mark.slow
def test_the_cli_sets_it_and_pv_progress_json_reflects_it(demo_data_dir: Path) -> None:
    before = _cli("pv", "progress", "--as-of", "2023-12-31", "--json")
    assert before.returncode == 0, before.stderr
    base = json.loads(before.stdout)
    ledger = load_ledger()
    after_2021 = progress.installed_mw(ledger, pd.Timestamp("2023-12-31"), OpeningStock(0.0, "2021-12-31", "x"))

    refused = _cli("pv", "opening-stock", "--set", "12.3", "--as-of", "2021-12-31", "--source", "国网长垣市供电公司")
    assert refused.returncode != 0 and "--actor" in refused.stderr + refused.stdout
    done = _cli("pv", "opening-stock", "--set", "12.3", "--as-of", "2021-12-31", "--source", "国网长垣市供电公司",
                "--actor", "alice", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["opening_stock"]["mw"] == 12.3

    out = json.loads(_cli("pv", "progress", "--as-of", "2023-12-31", "--json").stdout)
    assert out["opening_stock"]["as_of"] == "2021-12-31" and out["opening_stock"]["source"] == "国网长垣市供电公司"
    assert out["opening_stock_applied"] is True and out["capacity_basis"] == "AC"
    assert out["installed_mw"] == pytest.approx(12.3 + after_2021, abs=1e-4)
    assert out["installed_mw"] > base["installed_mw"]
    assert out["by_year"][0] == {"year": 2021, "added_mw": 0.0, "cumulative_mw": 12.3}
    (entry,) = db.audit_trail(db.connect(), "pv_opening_stock")
    assert entry["actor"] == "alice"


def _boxes(at) -> list[str]:
    """Texts of the page's status boxes (the goal sentence is one of them)."""
    return [e.value for kind in ("warning", "info", "success", "error") for e in getattr(at, kind)]


@pytest.mark.slow
def test_a_signed_in_editor_sets_it_on_the_pv_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   request: pytest.FixtureRequest) -> None:
    import time

    from streamlit.testing.v1 import AppTest

    from ui.common import database

    path = tmp_path / "opening.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    monkeypatch.chdir(REPO)
    database.clear()
    # the page's connection is a process-wide cached resource: drop it after the test too, so a later test in
    # this worker does not read this test's database (its opening stock) through it
    request.addfinalizer(database.clear)
    visitor = AppTest.from_file(str(REPO / "views" / "pv.py"), default_timeout=240)
    visitor.session_state["lang"] = "zh"
    visitor.run()
    assert "保存期初容量" not in [b.label for b in visitor.button]
    assert any("未录入期初容量" in t for t in _boxes(visitor))

    at = AppTest.from_file(str(REPO / "views" / "pv.py"), default_timeout=240)
    at.session_state["lang"] = "zh"
    at.session_state["cyc_auth"] = {"user": "alice", "expires": time.time() + 3600}
    at.run()
    before = float(next(m.value for m in at.metric if m.label == "已并网装机").split()[0].replace(",", ""))
    next(n for n in at.number_input if n.label.startswith("累计并网容量")).set_value(12.3)
    next(t for t in at.text_input if t.label.startswith("数据来源")).input("国网长垣市供电公司")
    at.button[[b.label for b in at.button].index("保存期初容量")].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("期初容量已保存" in s.value for s in at.success), [e.value for e in at.error]
    after = float(next(m.value for m in at.metric if m.label == "已并网装机").split()[0].replace(",", ""))
    ledger = load_ledger(db.connect(path))
    today = progress.as_of_date()
    stock = opening_stock.read_opening_stock(db.connect(path))
    assert (stock.mw, stock.as_of, stock.source, stock.updated_by) == (12.3, "2021-12-31", "国网长垣市供电公司", "alice")
    assert after == pytest.approx(progress.installed_mw(ledger, today, stock), abs=0.06) and after > before
    assert any("截至 2021 年底累计并网容量 12.3 MW" in t for t in _boxes(at))
    (entry,) = db.audit_trail(db.connect(path), "pv_opening_stock")
    assert entry["actor"] == "alice" and entry["action"] == "insert"
