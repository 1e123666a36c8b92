# Two commands run everything: `make setup` (install + synthesize + lint) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Node 22 from node_modules runs both the CDK CLI and jsii (Node 20 is end-of-life for jsii).
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup synth lint test bench clean

setup:
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	npm ci --no-audit --no-fund
	$(MAKE) synth lint

# Every configured environment, cdk-nag included; no AWS credentials needed.
synth:
	npx cdk synth --quiet -c env=all

lint:
	$(VENV)/bin/cfn-lint -- cdk.out/*.template.json $(wildcard cdk.out/assembly-*/*.template.json)

test:
	$(PY) -m pytest

bench:
	for script in benchmarks/bench_*.py benchmarks/fuzz_graders.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf cdk.out .cache .pytest_cache
