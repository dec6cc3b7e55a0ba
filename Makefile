# Two commands on a fresh machine: `make run` and `make test`.
# Everything is installed from pyproject.toml + uv.lock into .venv; a second run reinstalls nothing.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint format answers lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(STAMP)

run: install  ## serve the app at http://127.0.0.1:5000 on embedded defaults
	$(BIN)/python -m demo

test: install lint  ## the whole suite
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

answers: install  ## coverage of the interview questions
	$(BIN)/flask --app demo answers

lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
