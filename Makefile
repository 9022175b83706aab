# The two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CASE ?= RUN/168/2020
# The sample is told by a memo of spring 2023: the demo shows the case as it stood then.
AS_OF ?= 2023-06-01

# axe-core, the accessibility checker the browser tests run in Chromium (npm, once per clone).
AXE := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test test-fast lint lab hooks bench clean pictures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Compiled once, as pip compiles an installed package: an editable install leaves it to
	# the first run, which a container's PYTHONDONTWRITEBYTECODE turns into every run.
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

# Without npm the accessibility tests skip (CI, where .ci/run installs npm, fails them instead).
$(AXE):
	@if command -v npm >/dev/null; then \
		npm install --prefix .cache/axe --no-save --no-audit --no-fund --silent axe-core@4; \
	else echo "npm not found: the accessibility tests will skip (apt-get install npm)"; fi

demo: $(STAMP)
	@echo "Rendering the sample case $(CASE) as of $(AS_OF) into dossiers/ ..."
	$(BIN)/dossier render "$(CASE)" --out dossiers --as-of $(AS_OF)
	@echo "To render it as of today: $(BIN)/dossier render \"$(CASE)\" --out dossiers (or make demo AS_OF=$$(date +%F))"

test: $(STAMP) $(AXE)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The fast subset: no kernel, no browser, nothing that needs root (the markers in pyproject.toml).
test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not kernel and not browser and not root"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

# LAB_ARGS passes more options, e.g. make lab LAB_ARGS="--ip=0.0.0.0 --port=8890".
# As root (a container), Jupyter refuses to start without --allow-root.
LAB_ARGS ?=
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(STAMP)
	@echo "JupyterLab opens on notebooks/; its URL (with the token) is printed below."
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser $(ROOT_ARGS) $(LAB_ARGS)

# Once per clone: git strips outputs and execution counts from notebooks as they are committed.
hooks: $(STAMP)
	git config filter.nbstripout.clean '"$(CURDIR)/$(BIN)/python" -m nbstripout --keep-id'
	git config filter.nbstripout.smudge cat
	git config diff.ipynb.textconv '"$(CURDIR)/$(BIN)/python" -m nbstripout -t --keep-id'
	@echo "git now commits notebooks without outputs (filter in .gitattributes, set up in .git/config)."

bench: $(STAMP)
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_batch.py
	$(BIN)/python bench/bench_import.py

# The README's pictures (docs/): the meeting pack's cover and a dossier at a phone's width.
pictures: $(STAMP)
	$(BIN)/python docs/pictures.py

clean:
	rm -rf $(VENV) dossiers .pytest_cache .cache
