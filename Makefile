# The project's commands. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALL := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: demo reproduce test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) -e ".[$*]"
	touch $@

demo: $(VENV)/.installed-plot  ## a short run of the main job (3 seeds)
	$(BIN)/sklearn-losses --quick --output output

reproduce: $(VENV)/.installed-plot  ## the nine reference experiments, 10 seeds
	$(BIN)/sklearn-losses --output output

test: $(VENV)/.installed-test  ## the test suite
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) output
