# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV ?= .venv
SAM_VENV ?= .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# SAM CLI pins an exact, older boto3: it lives in its own virtualenv, apart from the project's.
SAM_CLI_VERSION ?= 1.170.0

.PHONY: help setup demo emulator test lint typecheck bench invoke lock clean

help:
	@echo "make demo     run the resolver against a local ECR emulator (no AWS account needed)"
	@echo "make emulator a seeded local ECR on 127.0.0.1:5000 for the README's local commands"
	@echo "              (runs until Ctrl-C; PORT=<n> for another port)"
	@echo "make test     lint, type-check and run every test (what CI runs)"
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

test: setup lint typecheck
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m pytest

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(PY) -m devkit.bench

lock: $(VENV)/.installed
	$(PY) -m devkit.lock

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache

EVENT ?= events/create.json
# The built artifact under the Lambda Runtime Interface Emulator (no Docker needed). The event is
# checked first: a typo should not cost a setup and a build before it is reported.
invoke:
	@test -f "$(EVENT)" || { echo "make invoke: no event file $(EVENT); use one of: $(wildcard events/*.json)" >&2; exit 2; }
	@$(MAKE) --no-print-directory setup
	$(PY) -m devkit.rie_invoke $(EVENT)
