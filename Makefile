# The project's commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALL := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: demo reproduce test test-min lint bench bench-real clean docs docs-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) -e ".[$*]"
	touch $@

demo: $(VENV)/.installed-cli  ## a short run of the main job (3 seeds)
	$(BIN)/sklearn-losses --quick --output output

reproduce: $(VENV)/.installed-cli  ## the nine reference experiments, 10 seeds
	$(BIN)/sklearn-losses --output output

test: $(VENV)/.installed-test  ## the test suite
	$(BIN)/python -m pytest

# The same suite against the lowest versions pyproject.toml allows, in its own venv.
MIN_VENV := .venv-min
$(MIN_VENV)/.installed: pyproject.toml constraints-min.txt
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet -c constraints-min.txt -e ".[test]"
	touch $@

test-min: $(MIN_VENV)/.installed  ## the test suite on the minimum supported versions
	$(MIN_VENV)/bin/python -m pytest

bench: $(VENV)/.installed-test  ## speed against scikit-learn, a bare torch loop and skorch
	$(BIN)/python benchmarks/bench_speed.py

bench-real: $(VENV)/.installed-bench  ## nine real datasets: the command's winner against scikit-learn's MLP
	$(BIN)/python benchmarks/bench_real_data.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: $(VENV)/.installed-docs  ## the documentation site in docs/_build/html; warnings are errors
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

docs-check: docs  ## open the built site in headless Chromium: links, formulas, gallery
	$(BIN)/python docs/check_site.py docs/_build/html

clean:
	rm -rf $(VENV) $(MIN_VENV) output
