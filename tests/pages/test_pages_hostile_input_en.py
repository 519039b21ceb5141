"""The English half of tests/pages/test_pages_hostile_input.py (same sweep, same checks), a module of its own so
that ``--dist loadscope`` can run the two halves on the two workers."""

from __future__ import annotations

import pytest

from tests.pages.test_pages_hostile_input import cases, sweep, sweep_env  # noqa: F401 (sweep_env: fixture)


@pytest.mark.usefixtures("sweep_env")
@pytest.mark.parametrize(("page_file", "language", "signed_in"), cases("en"))
def test_page_survives_decimals_bounds_and_hostile_text(page_file: str, language: str, signed_in: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sweep(page_file, language, signed_in, monkeypatch)
