# Two commands do everything on a fresh machine: `make dev` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test bench install lint synth clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

# Reinstall whenever the project's dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

dev: install
	$(VENV)/bin/parley dev --host 127.0.0.1 --port 8000

test: install
	$(PY) -m pytest

bench: install
	$(PY) tests/bench/run.py

lint: install
	$(VENV)/bin/ruff check layers functions model_endpoints infra_cdk tests

clean:
	rm -rf $(VENV) cdk.out .pytest_cache
