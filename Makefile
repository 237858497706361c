# Two commands on a fresh machine:
#   make run    - open the TUI (a built-in demo when SRC/DST are not given)
#   make test   - run the whole test suite
# Each creates .venv and installs what it needs on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test bench bench-quick bench-layout screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,parquet]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/fsspeckit-tui $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

screenshots: $(STAMP)
	$(BIN)/python -m tui.screenshots screenshots

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick $(BENCH_ARGS)

bench-layout: $(STAMP)
	$(BIN)/python -m benchmarks.layout_scale $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
