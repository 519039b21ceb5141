"""The PV page opens with installed progress (ledger) and labels the rooftop model as potential (AppTest, zh and en)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cyc_geo import db
from cyc_geo.pv import installations as inst
from cyc_geo.pv import progress as pg

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pv_progress_app.sqlite"
    monkeypatch.setenv("CYC_GEO_DB", str(path))
    monkeypatch.chdir(REPO)
    from ui.common import database

    database.clear()
    return path


def _page(lang: str, editor: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO / "views" / "pv.py"), default_timeout=240)
    at.session_state["lang"] = lang
    if editor:
        at.session_state["cyc_auth"] = {"user": editor, "expires": time.time() + 3600}
    return at


def _texts(at: AppTest) -> list[str]:
    out = [e.value for kind in ("header", "subheader", "markdown", "caption", "warning", "info", "success")
           for e in getattr(at, kind)]
    return out + [m.label for m in at.metric]


def _expected() -> dict:
    ledger = inst.load_ledger(db.connect())
    today = pg.as_of_date()
    return {"installed": pg.installed_mw(ledger, today), "gap": pg.gap_mw(ledger, today)}


def test_zh_page_opens_with_installed_progress_and_labels_potential(fresh_db):
    at = _page("zh").run()
    assert not at.exception, [e.value for e in at.exception]
    exp = _expected()
    sentence = f"已并网 {exp['installed']:,.1f} MW，距 2024 年 70 MW 目标缺口 {exp['gap']:,.1f} MW"
    assert any(sentence in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.header[0].value == "装机进度（已并网）"  # the page opens with progress
    assert "屋顶开发比例情景潜力（非装机、非技术上限）" in [h.value for h in at.header]
    assert {"已并网装机", "潜力装机容量"} <= {m.label for m in at.metric}
    assert "装机容量" not in {m.label for m in at.metric}  # the potential is never called capacity alone
    texts = _texts(at)
    assert not any("已达" in t for t in texts)  # 已达 only for installed capacity, and the demo is short of 70 MW
    assert any("补足缺口" in t for t in texts) and any("情景潜力" in t for t in texts)
    assert any("%" in t and "国家能源局" in t for t in texts)  # the NEA share that would close the gap
    ranking = next(d.value for d in at.dataframe if "剩余情景潜力 (MW，整县推进最低比例)" in d.value.columns)
    assert len(ranking) == 10 and ranking.iloc[0, 1] >= ranking.iloc[-1, 1]


def test_en_page_same_story(fresh_db):
    at = _page("en").run()
    assert not at.exception, [e.value for e in at.exception]
    exp = _expected()
    assert any(f"Installed (grid-connected): {exp['installed']:,.1f} MW; gap to the 2024 goal of 70 MW: "
               f"{exp['gap']:,.1f} MW (not met" in w.value for w in at.warning)
    assert "Rooftop adoption-share scenario potential (not installed, not a technical ceiling)" in [h.value for h in at.header]
    texts = _texts(at)
    assert "Potential capacity" in texts and not any("reached" in t for t in texts)
    assert any(t == "What closing the gap takes (NEA-share scenario potential)" for t in texts)


def test_editor_adds_a_ledger_row_audited(fresh_db):
    at = _page("zh", editor="alice").run()
    before = next(m.value for m in at.metric if m.label == "已并网装机")
    form = [t for t in at.text_input if t.label == "名称"][0]
    form.input("新增工商业光伏")
    next(n for n in at.number_input if n.label == "装机容量 (kW)").set_value(5000.0)
    next(t for t in at.text_input if t.label.startswith("日期")).input("2023-06-01")
    at.button[[b.label for b in at.button].index("保存台账记录")].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    after = next(m.value for m in at.metric if m.label == "已并网装机")
    assert float(after.split()[0]) == pytest.approx(float(before.split()[0]) + 5.0, abs=0.06)
    conn = db.connect(fresh_db)
    trail = db.audit_trail(conn, inst.AUDIT_ENTITY)
    assert trail[0]["actor"] == "alice" and trail[0]["action"] == "insert"
    assert inst.read_edits(conn)["capacity_kw"].tolist() == [5000.0]


def test_visitors_cannot_edit_the_ledger(fresh_db):
    at = _page("zh").run()
    assert "保存台账记录" not in [b.label for b in at.button]
    assert any("新增或更正台账需编辑账号登录" in c.value for c in at.caption)
