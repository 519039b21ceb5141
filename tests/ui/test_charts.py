"""ui.charts: the chart's own Vega-Lite spec is sent, validated only when asked."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from ui import charts


def _capture(monkeypatch) -> list:
    sent = []
    monkeypatch.setattr(charts.st, "vega_lite_chart", lambda **kw: sent.append(kw))
    return sent


def test_the_spec_sent_is_the_charts_own(monkeypatch):
    sent = _capture(monkeypatch)
    made = alt.Chart(pd.DataFrame({"mw": [1.0, 2.5], "item": ["a", "b"]})).mark_bar().encode(x="mw:Q", y="item:N")
    charts.altair_chart(made, width="stretch")
    assert sent == [{"spec": made.to_dict(), "width": "stretch"}]


def test_a_malformed_chart_fails_only_when_validating(monkeypatch):
    sent = _capture(monkeypatch)
    bad = alt.Chart(pd.DataFrame({"v": [1]})).mark_bar()
    bad.mark = "not-a-mark"  # set after construction, so only the spec's validation can notice
    monkeypatch.setenv(charts.VALIDATE_ENV, "0")
    charts.altair_chart(bad)
    assert sent[-1]["spec"]["mark"] == {"type": "not-a-mark"}
    monkeypatch.setenv(charts.VALIDATE_ENV, "1")
    with pytest.raises(Exception, match="not-a-mark|mark"):
        charts.altair_chart(bad)
