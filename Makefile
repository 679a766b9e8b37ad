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

# Every figure the issues ask for, each printed beside its baseline from the same run.
# PostgreSQL runs too when VOC_BENCH_DATABASE_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/test).
bench: install
	$(BIN)/python benchmarks/startup_bench.py
	$(BIN)/python benchmarks/report_bench.py
	$(BIN)/python benchmarks/home_bench.py $(if $(VOC_BENCH_DATABASE_URL),--postgres-url $(VOC_BENCH_DATABASE_URL))
	$(BIN)/python benchmarks/reminder_bench.py
	$(BIN)/python benchmarks/followup_tick_bench.py
	$(BIN)/python benchmarks/portfolio_bench.py
	$(if $(VOC_BENCH_DATABASE_URL),$(BIN)/python benchmarks/portfolio_bench.py --database-url $(VOC_BENCH_DATABASE_URL))
	$(BIN)/python benchmarks/import_bench.py --rows 1000000
	$(if $(VOC_BENCH_DATABASE_URL),$(BIN)/python benchmarks/fault_bench.py --database-url $(VOC_BENCH_DATABASE_URL))

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
