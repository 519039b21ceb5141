"""Behind nginx a replica does not print its own loopback address (issue 29 item 11: one line, one URL)."""

from __future__ import annotations

import logging

from ui import serve


def test_a_replica_drops_streamlits_internal_address_line(monkeypatch):
    log = logging.getLogger("streamlit.web.server.starlette.starlette_server")
    before = list(log.filters)
    try:
        monkeypatch.setenv("CYC_GEO_REPLICA", "0")
        serve.hide_internal_address()
        started = log.makeRecord(log.name, logging.INFO, __file__, 1, "Uvicorn server started on %s:%s",
                                 ("127.0.0.1", 40001), None)
        other = log.makeRecord(log.name, logging.WARNING, __file__, 1, "something else", (), None)
        assert not log.filter(started) and log.filter(other)
    finally:
        log.filters[:] = before


def test_a_server_started_alone_keeps_it(monkeypatch):
    log = logging.getLogger("streamlit.web.server.starlette.starlette_server")
    before = list(log.filters)
    monkeypatch.delenv("CYC_GEO_REPLICA", raising=False)
    serve.hide_internal_address()
    assert log.filters == before  # without nginx that address is the one to open
