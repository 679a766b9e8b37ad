# One command each: `make demo` (set up, load the sample portfolio, show a report) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ACCOUNT ?= Halvorsen Freight Group

.PHONY: install demo test lint bench clean

$(BIN)/voc: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/voc

install: $(BIN)/voc

demo: install
	$(BIN)/voc demo
	$(BIN)/voc account "$(DEMO_ACCOUNT)"

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python benchmarks/import_bench.py --rows 1000000
	$(BIN)/python benchmarks/report_bench.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
