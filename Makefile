# The two commands a new user runs. Both set up what they need on first use and are fast the second time.
#   make demo   the main job: Pong improved by the embedded model from two starting artifacts
#   make test   lint, type check and the whole test suite (what CI runs)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint bench clean-venv

# A stamp per install set: re-installs only when pyproject.toml changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# OCAtari 2.2.1 pins numpy<2 and a vision stack the Pong task never imports, so it is installed on its
# own, without dependencies, after the 'atari' extra (see pyproject.toml).
OCATARI := ocatari==2.2.1

$(VENV)/.installed-base: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[atari]'
	$(BIN)/python -m pip install --quiet --no-deps $(OCATARI)
	touch $@

$(VENV)/.installed-dev: pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,litellm,atari,mlbench,ray]'
	$(BIN)/python -m pip install --quiet --no-deps $(OCATARI)
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/looplab llm fetch
	$(BIN)/looplab demo experiments/pong_demo.toml

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

test-fast: $(VENV)/.installed-dev
	$(BIN)/pytest -q -m "not slow"

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_llm_cache.py
	$(BIN)/python benchmarks/bench_evidence.py
	$(BIN)/python benchmarks/bench_sandbox.py
	$(BIN)/python benchmarks/bench_pong_steps.py
	$(BIN)/python benchmarks/bench_atari_games.py
	$(BIN)/python benchmarks/bench_demo_rerun.py

clean-venv:
	rm -rf $(VENV)
