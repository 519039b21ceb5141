"""Every page survives what a planner can type (issue 29): decimals, bounds and hostile text, in both languages.

One AppTest per page, language and sign-in state walks through the page's inputs, one run per change: every
float ``number_input`` to a decimal (an integer input does not take one in the browser), then all inputs to their
minimum (one run) and to their maximum (one run); every keyed ``data_editor``'s editable cells of the first row to
a decimal (numbers) or hostile text (text); all ``text_input``/``text_area`` to one hostile text per run (markup,
a javascript: link, 10,000 characters, emoji, control characters). After each run no exception element is shown,
no error/warning/info element carries a traceback or a server path, and in Chinese every error has Chinese text.
Signed in, the save buttons that take what was typed are pressed with it (SAVE_BUTTONS and every form's submit
button). Each input is put back to its first value before the next one is changed; pages that show more inputs in
another view get a pass there too (MORE_VIEWS), walking only the inputs it adds.

Runs on the repository's demo data with a throw-away database and tile folder (as tests/pages/test_pv_app.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st

import ui.common
from tests.conftest import REPO, app_test

PAGES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "views").glob("*.py"))
# session state that reveals more inputs than a page's first view (one extra pass each)
MORE_VIEWS: dict[str, list[dict[str, Any]]] = {
    "views/carbon.py": [{"carbon_method": "pools"}],  # the carbon-pools table editor
}
# buttons that save what was typed (pressed with each hostile text when an editor is signed in), besides
# every form's submit button
SAVE_BUTTONS: dict[str, tuple[str, ...]] = {"views/pv.py": ("pv_save",), "views/indicators.py": ("ind_save",)}
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "**x** [a](javascript:alert(1)) <img src=x onerror=alert(1)> {{7*7}} %s ${x} ../../etc/passwd",
    "长垣" * 2_500 + "x" * 5_000,  # 10,000 characters
    "🌳🔥👩‍🌾 🇨🇳 \u202e反向",
    "a\x00b\x07c\x1b[31md\r\ne\tf\x7f",
]
CJK = re.compile(r"[\u4e00-\u9fff]")
TRACE = re.compile(r"Traceback|File \"|site-packages|\.py\", line|" + re.escape(str(REPO)) + r"|/usr/lib/python")


@pytest.fixture
def sweep_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The repo's demo data, a fresh database and tile folder, no cached objects from earlier tests."""
    monkeypatch.setenv("CYC_GEO_DB", str(tmp_path / "sweep.sqlite"))
    monkeypatch.setenv("CYC_GEO_TILES_DIR", str(tmp_path / "tiles"))
    monkeypatch.chdir(REPO)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _problems(at, step: str) -> list[str]:
    """What the page shows that a planner must never see, after ``step``."""
    out = [f"{step}: exception {e.value!r}" for e in at.exception]
    for kind in ("error", "warning", "info"):
        for el in getattr(at, kind):
            if TRACE.search(str(el.value)):
                out.append(f"{step}: {kind} with a traceback/server path {str(el.value)[:300]!r}")
    if ui.common.lang() == "zh":  # a raw Python message ("could not convert string to float") is not for a reader
        out += [f"{step}: error without Chinese {str(e.value)[:300]!r}"
                for e in at.error if not CJK.search(str(e.value))]
    return out


def _decimal(value: float | None, lo: float | None, hi: float | None) -> float:
    """A non-integer value inside [lo, hi] near ``value`` (92 -> 92.5, as a planner types)."""
    v = float(value if value is not None else (lo or 0.0))
    for d in (v + 0.5, v - 0.5, ((lo or 0.0) + (hi if hi is not None else 1.0)) / 2 + 0.25):
        if (lo is None or d >= lo) and (hi is None or d <= hi) and d != int(d):
            return d
    return v


def _widget(at, kind: str, wid: str, problems: list[str] | None = None):
    """The widget ``wid`` on the page now; with ``problems``, a missing one gets one refreshing run first
    (an earlier failure may have cut the page short before it)."""
    found = next((w for w in getattr(at, kind) if w.id == wid), None)
    if found is None and problems is not None:
        _run(at, "refresh", problems)
        found = next((w for w in getattr(at, kind) if w.id == wid), None)
    return found


def _run(at, step: str, problems: list[str]) -> None:
    at.run()
    problems.extend(_problems(at, step))


def _walk_numbers(at, problems: list[str], seen: set[str]) -> None:
    """Each float input to a decimal, one run each; then every input to its minimum (one run) and maximum (one run)."""
    first_view = [w for w in at.number_input if not w.disabled and w.id not in seen]
    seen.update(w.id for w in first_view)
    for first in first_view:
        if first.proto.data_type != first.proto.FLOAT:
            continue  # the browser does not let an integer input take a decimal
        v = _decimal(first.value, first.min, first.max)
        w = _widget(at, "number_input", first.id, problems)
        if w is None:  # the input went away with an earlier change
            continue
        start = w.value
        w.set_value(v)
        _run(at, f"number_input {first.key or first.label!r} = {v!r}", problems)
        w = _widget(at, "number_input", first.id)
        if w is not None:
            w.set_value(start)
    for bound in ("min", "max"):
        changed = {}
        for first in first_view:
            w = _widget(at, "number_input", first.id, problems if not changed else None)
            v = getattr(first, bound)
            if w is not None and v is not None:
                changed[first.key or first.label] = (w, w.value, v)
                w.set_value(v)
        if changed:
            _run(at, f"every number_input to its {bound} {({k: c[2] for k, c in changed.items()})!r}", problems)
        for first in first_view:
            w = _widget(at, "number_input", first.id)
            if w is not None and (first.key or first.label) in changed:
                w.set_value(changed[first.key or first.label][1])


def _walk_texts(at, problems: list[str], seen: set[str], press: tuple[str, ...] | None = None) -> None:
    """Every text input and text area to one hostile text at a time, one run per text. Signed in (``press`` not
    None), the buttons keyed in ``press`` and every form's submit button are pressed in the same run: the text is
    then saved, as an editor would."""
    fields = [(kind, w.id, w.value) for kind in ("text_input", "text_area") for w in getattr(at, kind)
              if not w.disabled and w.id not in seen]
    seen.update(wid for _, wid, _ in fields)
    if not fields:
        return
    for text in HOSTILE_TEXT:
        names = []
        for kind, wid, _ in fields:
            w = _widget(at, kind, wid, problems if not names else None)
            if w is not None:
                w.set_value(text)
                names.append(w.key or w.label)
        pressed = [b for b in at.button if not b.disabled and press is not None
                   and (b.key in press or b.proto.is_form_submitter)]
        for b in pressed:
            b.click()
        _run(at, f"text inputs {names!r} = {text[:40]!r}, pressed {[b.key or b.label for b in pressed]}", problems)
    for kind, wid, start in fields:
        w = _widget(at, kind, wid)
        if w is not None:
            w.set_value(start)


def _walk_editors(at, problems: list[str], seen: set[str], press: tuple[str, ...] | None = None) -> None:
    """The first row's editable cells of every keyed data editor, one run per editor: numeric cells to decimals,
    text cells to hostile text (markup and a javascript: link); signed in, the buttons keyed in ``press`` too."""
    for editor in list(at.data_editor):
        if not editor.key or editor.proto.disabled or editor.key in seen:
            continue
        seen.add(editor.key)
        config = json.loads(editor.proto.columns or "{}")
        table = editor.value
        if table.empty:
            continue
        disabled = {name for name, c in config.items() if isinstance(c, dict) and c.get("disabled")}
        cells: dict[str, Any] = {}
        for col in table.columns:
            if str(col) in disabled:
                continue
            if pd_is_numeric(table[col]):
                first = table[col].iloc[0]
                cells[str(col)] = _decimal(float(first) if first == first else 0.0, None, None)
            elif table[col].dtype == object or str(table[col].dtype) in ("str", "string"):
                cells[str(col)] = HOSTILE_TEXT[1]
        if not cells:
            continue
        at.session_state[editor.key] = {"edited_rows": {0: cells}, "added_rows": [], "deleted_rows": []}
        pressed = [b for b in at.button if press is not None and b.key in press and not b.disabled]
        for b in pressed:
            b.click()
        _run(at, f"data_editor {editor.key!r} row 0 = {cells!r}, pressed {[b.key for b in pressed]}", problems)
        at.session_state[editor.key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}


def pd_is_numeric(series) -> bool:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(series) and not is_bool_dtype(series)


def cases(language: str) -> list:
    """page x who in ``language``: the signed-in view too on pages that gate inputs on an editor (ui.auth).

    The Chinese cases run here, the English ones in tests/pages/test_pages_hostile_input_en.py: a module runs
    on one worker (``--dist loadscope``), and the whole sweep on one was the suite's longest module."""
    out = []
    for page in PAGES:
        gated = "current_editor" in (REPO / page).read_text(encoding="utf-8")
        for signed_in in (False, True) if gated else (False,):
            who = "editor" if signed_in else "anonymous"
            out.append(pytest.param(page, language, signed_in, id=f"{Path(page).stem}-{language}-{who}"))
    return out


@pytest.mark.parametrize(("page_file", "language", "signed_in"), cases("zh"))
def test_page_survives_decimals_bounds_and_hostile_text(page_file: str, language: str, signed_in: bool, sweep_env,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sweep(page_file, language, signed_in, monkeypatch)


def sweep(page_file: str, language: str, signed_in: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Walk one page's inputs in one language and sign-in state (see the module's docstring)."""
    # AppTest calls a choice widget's format_func from the test thread, where ui.common.lang() cannot see the
    # session and answers Chinese: pin the language for both threads (the page reads it through ui.common)
    monkeypatch.setattr(ui.common, "lang", lambda: language)
    at = app_test(page_file, timeout_s=300)
    at.session_state["lang"] = language
    if signed_in:  # as tests/pages/test_pv_app.py and tests/pages/test_indicators_view.py sign an editor in
        at.session_state["cyc_auth"] = {"user": "sweep", "expires": time.time() + 3600}
    problems: list[str] = []
    seen: set[str] = set()  # inputs already walked (a later view walks only the inputs it adds)
    _run(at, "first view", problems)
    for extra in [{}, *MORE_VIEWS.get(page_file, [])]:
        for key, value in extra.items():
            at.session_state[key] = value
        if extra:
            _run(at, f"view {extra}", problems)
        _walk_numbers(at, problems, seen)
        _walk_editors(at, problems, seen, SAVE_BUTTONS.get(page_file, ()) if signed_in else None)
        _walk_texts(at, problems, seen, SAVE_BUTTONS.get(page_file, ()) if signed_in else None)
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_forest_parameter_and_pool_tables_take_decimals() -> None:
    """The cause of the forest page's traceback: whole-number CSV columns were int64 and refused 92.5 (issue 29)."""
    from cyc_geo.carbon import forest

    params, pools = forest.load_forest_params(), forest.load_pools()
    params.loc[301, "stock_m3_per_ha"] = 92.5
    pools.loc[pools.index[0], "c_dead"] = 0.5
    assert params.loc[301, "stock_m3_per_ha"] == 92.5 and pools["c_dead"].iloc[0] == 0.5
    assert all(params[c].dtype == "float64" for c in forest.PARAM_COLUMNS)
    assert all(pools[c].dtype == "float64" for c in forest.POOL_COLUMNS)
