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

.PHONY: install run test lint format answers lock clean run-asgi assets browser-deps worker beat

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(STAMP) assets

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

# The Socket.IO browser client comes from the npm registry at build time (package.json and
# package-lock.json are committed, the copied files in demo/static/vendor/ are not). The stamp
# lives in that folder, so deleting it rebuilds; a changed lock file rebuilds too.
ASSETS_STAMP := demo/static/vendor/.built-stamp

$(ASSETS_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	npm run build
	@touch $@

assets: $(ASSETS_STAMP)  ## the JS client pages load (socket.io.min.js) into demo/static/vendor/

# The browser test drives Debian's Chromium (Playwright's own browser downloads are not used).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-deps:  ## install Debian's chromium for tests/browser when it is missing
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium is installed"; else \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

# Background tasks (Q166) need a broker: REDIS_URL (or CELERY_BROKER_URL) in the environment or
# .env, the same for the web process. Without one, the web process runs tasks inline.
worker: install  ## a Celery worker: runs queued tasks (mail, thumbnails, exports)
	$(BIN)/celery -A demo.make_celery worker --loglevel=info

beat: install  ## Celery beat: queues the periodic cleanup (run exactly one)
	$(BIN)/celery -A demo.make_celery beat --loglevel=info
