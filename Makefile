# regwarden — `make demo` and `make test` each set up what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
OUT    ?= regwarden-report

.DEFAULT_GOAL := help
.PHONY: help install install-dev demo test unit lint fmt lock bench fidelity clean browsers services containers test-container

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"

$(VENV)/.runtime: $(PY) requirements/runtime.lock pyproject.toml
	$(PY) -m pip install -q --require-hashes -r requirements/runtime.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

$(VENV)/.dev: $(PY) requirements/dev.lock pyproject.toml
	$(PY) -m pip install -q --require-hashes -r requirements/dev.lock
	$(PY) -m pip install -q --no-deps -e .
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime  ## create .venv and install regwarden from the lock file

install-dev: $(VENV)/.dev  ## install regwarden with the test and lint tools

demo: $(VENV)/.runtime  ## scan the built-in demo estate (a week-old scan first: drift and trend); writes $(OUT)/report.html and report.json
	$(BIN)/regwarden demo --out $(OUT)

lint: $(VENV)/.dev  ## ruff, ruff format --check, mypy strict, import-linter
	$(BIN)/ruff check scanner connectors reports tests bench
	$(BIN)/ruff format --check scanner connectors reports tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

browsers:  ## install Debian's chromium for the browser tests when missing (apt-get; tests skip loudly without it)
	-@bash .ci/setup-chromium.sh

services:  ## start the throw-away PostgreSQL of the history tests (installs Debian's postgresql when missing)
	-@bash .ci/setup-postgres.sh >/dev/null

containers:  ## podman and a base image for the container test (Debian's podman; a debootstrap stand-in when Docker Hub is out of reach)
	-@bash .ci/setup-container.sh

unit: $(VENV)/.dev browsers services  ## the test suite alone (the container build: make test-container)
	$(BIN)/pytest -n 2 -q -m "not container"

test-container: $(VENV)/.dev containers  ## build the container image with podman and run the demo in it (minutes when cold)
	$(BIN)/pytest -q -m container tests/deploy/test_container.py

test: lint unit  ## lint, then the whole test suite

fmt: $(VENV)/.dev  ## format and auto-fix
	$(BIN)/ruff format scanner connectors reports tests bench
	$(BIN)/ruff check --fix scanner connectors reports tests bench

bench: $(VENV)/.dev  ## benchmark: synthetic estates, time and memory per stage, Cloudsplaining ratio (not part of test)
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) -m bench

fidelity: $(VENV)/.dev  ## real public workflows against hand labels, beside zizmor (not part of test)
	$(PY) -m pip install -q -r bench/requirements.txt
	$(PY) -m bench.fidelity

lock:  ## re-pin requirements/*.lock from pyproject.toml (needs uv)
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements/runtime.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements/dev.lock
	uv pip compile requirements/build.in --generate-hashes --python-version 3.11 -o requirements/build.lock

clean:  ## remove the virtual environment and outputs
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache
