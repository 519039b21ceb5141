"""The map sidebar's PV figures say what they are (issue 29 item 7)."""

from __future__ import annotations

from tests.conftest import app_test


def test_generation_is_labelled_potential_and_the_goal_is_no_growth_arrow():
    at = app_test("views/map.py")
    at.run()
    at.checkbox(key="layer_rooftops").check().run()
    assert not at.exception
    metrics = {m.label: m for m in at.sidebar.get("metric")}
    installed = next(m for label, m in metrics.items() if label.startswith("已并网光伏装机"))
    assert not installed.proto.delta  # an up-arrow "↑ 2024 年目标 70 MW" read as growth
    assert any("年目标" in c.value and "MW" in c.value for c in at.sidebar.caption)
    assert "情景潜力年发电量 (GWh/年)" in metrics and "年发电量 (GWh)" not in metrics
