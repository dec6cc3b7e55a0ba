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

.PHONY: install run test lint format answers lock clean run-asgi

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(STAMP)

run: install  ## migrate, seed the demo data, then serve at http://127.0.0.1:5000
	$(BIN)/flask --app demo db upgrade
	$(BIN)/flask --app demo seed
	$(BIN)/python -m demo

# The suite runs on in-memory SQLite, then again on the server TEST_DATABASE_URL names when
# it is set (.ci/run and the CI workflow point it at their PostgreSQL).
TEST_SERVER_URL := $(TEST_DATABASE_URL)

test: export TEST_DATABASE_URL :=
test: install lint  ## the whole suite: SQLite, then TEST_DATABASE_URL's server if set
	$(BIN)/pytest
	$(if $(TEST_SERVER_URL),TEST_DATABASE_URL='$(TEST_SERVER_URL)' $(BIN)/pytest)

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

run-asgi: install  ## the same app through its ASGI adapter (uvicorn) at http://127.0.0.1:5001
	$(BIN)/uvicorn demo.asgi:asgi_app --host 127.0.0.1 --port 5001
