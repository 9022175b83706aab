# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CASE ?= RUN/168/2020
# The sample is told by a memo of spring 2023: the demo shows the case as it stood then.
AS_OF ?= 2023-06-01

.PHONY: demo test lint lab bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "Rendering the sample case $(CASE) as of $(AS_OF) into dossiers/ ..."
	$(BIN)/dossier render "$(CASE)" --out dossiers --as-of $(AS_OF)
	@echo "To render it as of today: $(BIN)/dossier render \"$(CASE)\" --out dossiers (or make demo AS_OF=$$(date +%F))"

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_batch.py

clean:
	rm -rf $(VENV) dossiers .pytest_cache
