# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV ?= .venv
SAM_VENV ?= .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# SAM CLI pins an exact, older boto3: it lives in its own virtualenv, apart from the project's.
SAM_CLI_VERSION ?= 1.170.0
# The CDK construct, written once in TypeScript (cdk/) and compiled with jsii for npm and Python.
NPM ?= npm
CDK_DIR := cdk
CDK_BUILT := $(CDK_DIR)/dist/.built
CDK_INSTALLED := $(VENV)/.cdk-installed
CDK_SOURCES := $(CDK_DIR)/package.json $(CDK_DIR)/package-lock.json $(wildcard $(CDK_DIR)/lib/*.ts)
# Without Node.js the construct cannot be built: skipped with the reason, but never under CI.
NO_NODE = if command -v node >/dev/null 2>&1; then false; \
	elif [ -n "$$CI" ]; then echo "make $@: Node.js is required (CI=$$CI): the CDK construct is built with jsii" >&2; exit 1; \
	else echo "make $@: skipped, no Node.js (install Node.js 22 or 24 to build and test the CDK construct)"; fi

.PHONY: help setup demo emulator test lint typecheck bench invoke lock clean cdk cdk-test

help:
	@echo "make demo     run the resolver against a local ECR emulator (no AWS account needed)"
	@echo "make emulator a seeded local ECR on 127.0.0.1:5000 for the README's local commands"
	@echo "              (runs until Ctrl-C; PORT=<n> for another port)"
	@echo "make test     lint, type-check and run every test (what CI runs)"
	@echo "make cdk      build the CDK construct (cdk/: npm ci, jsii, jsii-pacmak): cdk/dist/js and"
	@echo "              cdk/dist/python, whose wheel goes into .venv (needs Node.js)"
	@echo "make cdk-test the construct's TypeScript tests (tsc, jest); make test runs them"
	@echo "make bench    the resolver vs hand-written lookups, and cold start, side by side"
	@echo "make invoke   the built function under the Lambda Runtime Interface Emulator"
	@echo "              (EVENT=events/<file>.json; default events/create.json; needs the SAM CLI,"
	@echo "              which make setup installs, and ships bytecode only with python3.13)"
	@echo "make lock     re-pin the Lambda's dependencies (src/requirements.lock) from pyproject.toml"
	@echo "make setup    create the virtualenvs (.venv, and .venv-sam for the SAM CLI)"
	@echo "make lint     ruff check and format check"
	@echo "make typecheck  mypy --strict"
	@echo "make clean    remove virtualenvs and build output"

# The version lives in src/resolver/__init__.py: a new one reinstalls (the metadata carries it).
$(VENV)/.installed: pyproject.toml src/resolver/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	touch $@

setup: $(VENV)/.installed $(SAM_VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m devkit.demo

PORT ?= 5000
emulator: $(VENV)/.installed
	$(PY) -m devkit.serve --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests devkit
	$(VENV)/bin/ruff format --check src tests devkit

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

test: setup cdk lint typecheck cdk-test
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m pytest

cdk: $(VENV)/.installed
	@$(NO_NODE) || $(MAKE) --no-print-directory $(CDK_INSTALLED)

# The exact toolchain of package-lock.json; no package needs an install script.
$(CDK_DIR)/node_modules/.installed: $(CDK_DIR)/package.json $(CDK_DIR)/package-lock.json
	cd $(CDK_DIR) && $(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

# jsii compiles lib/ to JavaScript and the .jsii assembly; jsii-pacmak makes the npm tarball and the
# Python wheel from them (dist/ is emptied first, so exactly one wheel is there to install).
$(CDK_BUILT): $(CDK_DIR)/node_modules/.installed $(CDK_SOURCES)
	cd $(CDK_DIR) && rm -rf dist && $(NPM) run --silent build && $(NPM) run --silent package
	touch $@

$(CDK_INSTALLED): $(CDK_BUILT) $(VENV)/.installed
	$(PY) -m pip install --quiet --no-deps --force-reinstall $(CDK_DIR)/dist/python/*.whl
	touch $@

cdk-test: cdk
	@$(NO_NODE) || (cd $(CDK_DIR) && $(NPM) test --silent)

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m devkit.bench

lock: $(VENV)/.installed
	$(PY) -m devkit.lock

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
	rm -rf $(CDK_DIR)/node_modules $(CDK_DIR)/dist $(CDK_DIR)/lib/*.js $(CDK_DIR)/lib/*.d.ts \
		$(CDK_DIR)/.jsii $(CDK_DIR)/tsconfig.json $(CDK_DIR)/tsconfig.tsbuildinfo

EVENT ?= events/create.json
# The built artifact under the Lambda Runtime Interface Emulator (no Docker needed). The event is
# checked first: a typo should not cost a setup and a build before it is reported.
invoke:
	@test -f "$(EVENT)" || { echo "make invoke: no event file $(EVENT); use one of: $(wildcard events/*.json)" >&2; exit 2; }
	@$(MAKE) --no-print-directory setup
	$(PY) -m devkit.rie_invoke $(EVENT)
