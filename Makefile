# Two commands run everything: `make setup` (install + synthesize + lint) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Node 22 from node_modules runs both the CDK CLI and jsii (Node 20 is end-of-life for jsii).
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# Locks: each requirements*.in (the human list) compiles to the requirements*.txt next to it, exact versions with
# hashes; everything installs with --require-hashes. Lambda bundles are compiled for their runtime, not this host.
UV := $(VENV)/bin/uv
LOCK := $(UV) pip compile --quiet --generate-hashes --custom-compile-command "make lock" --index-url https://pypi.org/simple
LAMBDA_LOCK := $(LOCK) --python-version 3.13 --python-platform x86_64-manylinux2014
LAMBDA_BUNDLES := lambda/graders lambda/rft_job lambda/rft_job_openweight lambda/evaluation
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: setup synth lint typecheck lock schema test bench clean

setup:
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	python3 -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) --require-hashes --no-deps -r requirements-dev.txt
	$(PIP_INSTALL) --no-deps -e .
	npm ci --no-audit --no-fund
	$(MAKE) synth lint

# Every configured environment, cdk-nag included; no AWS credentials needed.
synth:
	npx cdk synth --quiet -c env=all

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint -- cdk.out/*.template.json $(wildcard cdk.out/assembly-*/*.template.json)

# mypy alone, over the configuration in pyproject.toml (strict on config/ and lambda/, checked elsewhere).
typecheck:
	$(VENV)/bin/mypy

# Regenerate every lock from its .in file (needs the package index); commit the results.
lock:
	$(LOCK) requirements.in -o requirements.txt
	for bundle in $(LAMBDA_BUNDLES); do $(LAMBDA_LOCK) $$bundle/requirements.in -o $$bundle/requirements.txt || exit 1; done
	$(LOCK) requirements-dev.in -o requirements-dev.txt

# The JSON Schema of config/environments.json, generated from the pydantic models of config/document.py (a test
# keeps the committed file current).
schema:
	$(PY) -m config.schema

test:
	$(PY) -m pytest

bench:
	for script in benchmarks/bench_*.py benchmarks/fuzz_graders.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf cdk.out .cache .pytest_cache
