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
# The README's diagrams are checked by mermaid's own parser, in Node (tests/docs).
MERMAID := devkit/mermaid

.PHONY: help setup demo emulator test lint typecheck bench invoke build deploy release \
	release-construct lock clean cdk cdk-test

help:
	@echo "make demo     run the resolver against a local ECR emulator (no AWS account needed;"
	@echo "              installs only what the demo runs into .venv)"
	@echo "make emulator a seeded local ECR on 127.0.0.1:5000 for the README's local commands"
	@echo "              (runs until Ctrl-C; PORT=<n> for another port)"
	@echo "make test     lint, type-check and run every test (what CI runs)"
	@echo "make cdk      build the CDK construct (cdk/: npm ci, jsii, jsii-pacmak): cdk/dist/js and"
	@echo "              cdk/dist/python, whose wheel goes into .venv (needs Node.js)"
	@echo "make cdk-test the construct's TypeScript tests (tsc, jest); make test runs them"
	@echo "make build    sam build: the function into .aws-sam/ (the SAM CLI from .venv-sam)"
	@echo "make deploy   make build, then sam deploy --guided (ENV=dev or ENV=prod: that"
	@echo "              samconfig.toml environment, no questions)"
	@echo "make invoke   the built function under the Lambda Runtime Interface Emulator"
	@echo "              (EVENT=events/<file>.json; default events/create.json; needs the SAM CLI,"
	@echo "              which make setup installs, and ships bytecode only with python3.13)"
	@echo "make bench    the resolver vs hand-written lookups, and cold start, side by side"
	@echo "make release  build and check the wheel and sdist (and release-construct); print the tag"
	@echo "make release-construct  the CDK construct's npm and Python packages into dist/ (make release runs it)"
	@echo "make lock     re-pin the Lambda's dependencies (src/requirements.lock) from pyproject.toml"
	@echo "make setup    create the virtualenvs (.venv, and .venv-sam for the SAM CLI)"
	@echo "make lint     ruff check and format check"
	@echo "make typecheck  mypy --strict"
	@echo "make clean    remove virtualenvs and build output"

# A .venv that another Python made (an older python3, a pyenv version since removed) is rebuilt:
# reusing it would fail again with that Python's own error, which does not say what to do.
PYTHON_OK := -c 'import sys; sys.exit(sys.version_info < (3, 11))'
VENV_STALE := $(shell test -d $(VENV) && { $(PY) $(PYTHON_OK) >/dev/null 2>&1 || echo yes; })
ifeq ($(VENV_STALE),yes)
$(VENV)/.created: FORCE
endif
FORCE:

$(VENV)/.created:
	@$(PYTHON) $(PYTHON_OK) >/dev/null 2>&1 || { \
		echo "make: $(PYTHON) is $$($(PYTHON) --version 2>&1 || echo not installed); the resolver needs Python 3.11 or newer." >&2; \
		echo "      Install one and name it: make $(or $(MAKECMDGOALS),demo) PYTHON=python3.12" >&2; exit 2; }
	@if [ "$(VENV_STALE)" = yes ]; then \
		echo "make: $(VENV) was made by $$($(PY) --version 2>&1 || echo a Python that no longer runs), not 3.11+: rebuilding it with $(PYTHON) ($$($(PYTHON) --version 2>&1))"; \
		rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@touch $@

# Two install sets in one .venv: the demo's (the `demo` extra) and everything `make test` needs
# (`dev`, which includes the demo's). A .venv made for the demo is completed by `make test`.
# The version lives in src/resolver/__init__.py: a new one reinstalls (the metadata carries it).
# Sizes and times: a fresh clone, an empty pip cache (python3 -m devkit.bench_setup; the README).
$(VENV)/.installed-demo: pyproject.toml src/resolver/__init__.py $(VENV)/.created
	@echo "Installing what the demo runs into $(VENV): boto3, crhelper and Powertools (the function),"
	@echo "PyYAML (the CLI), moto (the local ECR). The first time takes about a minute (~150 MB)."
	$(PY) -m pip install --quiet -e '.[demo]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml src/resolver/__init__.py $(VENV)/.created
	@echo "Installing everything make test needs into $(VENV): the demo's packages, aws-cdk-lib (the"
	@echo "construct), pytest, ruff, mypy, cfn-lint, build, twine. The first time takes about 2 minutes (~870 MB)."
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-demo

$(SAM_VENV)/.installed:
	@echo "Installing the SAM CLI $(SAM_CLI_VERSION) into $(SAM_VENV) (its own boto3 pin; make build, make deploy,"
	@echo "make invoke and the tests' sam build use it). The first time takes about half a minute (~330 MB)."
	$(PYTHON) -m venv $(SAM_VENV)
	@$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	@touch $@

# The diagrams' checker needs Node.js too: skipped without it (their tests skip), never under CI.
$(MERMAID)/node_modules/.installed: $(MERMAID)/package-lock.json $(MERMAID)/package.json
	@$(NO_NODE) || { \
		echo "Installing the README diagrams' checker into $(MERMAID)/node_modules (mermaid and jsdom, as package-lock.json pins them; ~20 s, ~170 MB)"; \
		cd $(MERMAID) && $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch node_modules/.installed; }

setup: $(VENV)/.installed-dev $(SAM_VENV)/.installed $(MERMAID)/node_modules/.installed

demo: $(VENV)/.installed-demo
	$(PY) -m devkit.demo

PORT ?= 5000
emulator: $(VENV)/.installed-demo
	$(PY) -m devkit.serve --port $(PORT)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests devkit
	$(VENV)/bin/ruff format --check src tests devkit

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

test: setup cdk lint typecheck cdk-test
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m pytest

cdk: $(VENV)/.installed-dev
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

$(CDK_INSTALLED): $(CDK_BUILT) $(VENV)/.installed-dev
	$(PY) -m pip install --quiet --no-deps --force-reinstall $(CDK_DIR)/dist/python/*.whl
	touch $@

cdk-test: cdk
	@$(NO_NODE) || (cd $(CDK_DIR) && $(NPM) test --silent)

bench: $(VENV)/.installed-dev $(SAM_VENV)/.installed
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m devkit.bench

# `make deploy ENV=dev`: that samconfig.toml environment, for the build and the deploy. Assigned
# here, not with ?=, so a shell's own $ENV (sh's start-up file) never becomes one.
ENV :=
# The SAM CLI's own Python runs the build: a deploy needs neither .venv nor its packages.
build: $(SAM_VENV)/.installed
	@$(SAM_VENV)/bin/python -m devkit.build $(if $(ENV),--config-env $(ENV))

deploy: build
	$(SAM) deploy $(if $(ENV),--config-env $(ENV),--guided)

# The construct's packages (jsii: npm, PyPI, …) are its owner's hook: release-construct, run between
# the Python packages' checks and the tag, puts what it releases into dist/.
release: $(VENV)/.installed-dev
	$(PY) -m devkit.release build
	@$(MAKE) --no-print-directory release-construct
	@$(PY) -m devkit.release tag

# The construct's npm tarball and Python wheel/sdist (jsii-pacmak's, from make cdk) go beside the
# core's in dist/, checked like them; their version is resolver's (tests/cdk/test_package.py).
# RELEASE_CONSTRUCT=no leaves them out (tests/e2e/test_install.py: no jsii build per test).
RELEASE_CONSTRUCT ?= yes
release-construct:
	@if [ "$(RELEASE_CONSTRUCT)" = no ]; then echo "release-construct: skipped (RELEASE_CONSTRUCT=no)"; \
	elif ! command -v node >/dev/null 2>&1; then echo "release-construct: no Node.js: the construct is not packaged" >&2; exit 2; \
	else $(MAKE) --no-print-directory cdk && mkdir -p dist && \
		cp $(CDK_DIR)/dist/js/*.tgz $(CDK_DIR)/dist/python/* dist/ && \
		$(PY) -m twine check --strict $(CDK_DIR)/dist/python/* && \
		echo "release-construct: $$(cd $(CDK_DIR)/dist && echo js/*.tgz python/*) copied to dist/"; fi

lock: $(VENV)/.installed-dev
	$(PY) -m devkit.lock

clean:
	rm -rf $(VENV) $(SAM_VENV) $(MERMAID)/node_modules .aws-sam dist .pytest_cache .mypy_cache .ruff_cache
	rm -rf $(CDK_DIR)/node_modules $(CDK_DIR)/dist $(CDK_DIR)/lib/*.js $(CDK_DIR)/lib/*.d.ts \
		$(CDK_DIR)/.jsii $(CDK_DIR)/tsconfig.json $(CDK_DIR)/tsconfig.tsbuildinfo

EVENT ?= events/create.json
# The built artifact under the Lambda Runtime Interface Emulator (no Docker needed). The event is
# checked first: a typo should not cost a setup and a build before it is reported. A FAILED answer
# is an answer, not a broken run: devkit.rie_invoke exits 6 for it (as `resolver invoke` does) and
# says so; make exits 0 for either answer, non-zero only when the run itself failed.
invoke:
	@test -f "$(EVENT)" || { echo "make invoke: no event file $(EVENT); use one of: $(wildcard events/*.json)" >&2; exit 2; }
	@$(MAKE) -s --no-print-directory $(VENV)/.installed-dev $(SAM_VENV)/.installed
	@$(PY) -m devkit.rie_invoke $(EVENT) || test $$? -eq 6
