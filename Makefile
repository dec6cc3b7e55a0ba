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

.PHONY: install run test lint format answers lock clean run-asgi assets browser-deps worker beat \
	nginx-deps system-deps smoke docs translations bench

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

# Flask-Babel reads compiled .mo catalogs; only the .po sources are committed (Q159).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard demo/translations/*/LC_MESSAGES/*.po))

$(CATALOGS): %.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

translations: $(CATALOGS)  ## compile the committed .po catalogs into the .mo files Flask-Babel reads

install: $(STAMP) translations assets

run: install  ## migrate, seed the demo data, then serve at http://127.0.0.1:5000
	$(BIN)/flask --app demo db upgrade
	$(BIN)/flask --app demo seed
	$(BIN)/python -m demo

# The suite runs on in-memory SQLite, then again on the server TEST_DATABASE_URL names when
# it is set (.ci/run and the CI workflow point it at their PostgreSQL).
TEST_SERVER_URL := $(TEST_DATABASE_URL)

test: export TEST_DATABASE_URL :=
test: install system-deps lint  ## the whole suite: SQLite, then TEST_DATABASE_URL's server if set
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

# Fingerprinted copies of the project's own CSS and JS plus their manifest (Q071), rebuilt when
# a source file changes; pages link them outside debug and testing. Not committed either.
ASSETS_MANIFEST := demo/static/dist/manifest.json
STATIC_SOURCES := $(shell find demo/static -path demo/static/dist -prune -o -type f \( -name '*.css' -o -name '*.js' \) -print)

$(ASSETS_MANIFEST): $(STAMP) $(ASSETS_STAMP) $(STATIC_SOURCES)
	FLASK_CONFIG=testing $(BIN)/flask --app demo assets-build

assets: $(ASSETS_STAMP) $(ASSETS_MANIFEST)  ## the Socket.IO client from npm, fingerprinted static files

bench: install  ## throughput next to a bare Flask app, direct and through nginx (needs wrk)
	$(BIN)/python -m bench.throughput --through-nginx

docs: install  ## regenerate docs/ANSWERS.md from the catalog (a test fails when it is stale)
	$(BIN)/flask --app demo answers --markdown docs/ANSWERS.md

# The browser test drives Debian's Chromium (Playwright's own browser downloads are not used).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-deps:  ## install Debian's chromium for tests/browser when it is missing
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium is installed"; else \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

# The smoke test and tests/deploy run the repository's nginx/nginx.conf with Debian's nginx.
nginx-deps:  ## install Debian's nginx (nginx-light) for `make smoke` when it is missing
	@if [ -x /usr/sbin/nginx ]; then echo "nginx: /usr/sbin/nginx is installed"; else \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light; fi

system-deps: browser-deps nginx-deps  ## every system package the tests drive for real

# The deployment, run for real without Docker (scripts/smoke/): docker-compose.yml's web-1,
# web-2, worker and beat behind nginx/nginx.conf, on the local PostgreSQL and Redis, checked
# through nginx and stopped again. With PORT set (`make smoke PORT=5050`): the Procfile's
# release phase, then its web process on $PORT, Heroku-style.
smoke: install nginx-deps  ## prove the deployment files work: the compose stack, or the Procfile with PORT
	$(BIN)/python -m scripts.smoke $(if $(PORT),--port $(PORT))

# Background tasks (Q166) need a broker: REDIS_URL (or CELERY_BROKER_URL) in the environment or
# .env, the same for the web process. Without one, the web process runs tasks inline.
worker: install  ## a Celery worker: runs queued tasks (mail, thumbnails, exports)
	$(BIN)/celery -A demo.make_celery worker --loglevel=info

beat: install  ## Celery beat: queues the periodic cleanup (run exactly one)
	$(BIN)/celery -A demo.make_celery beat --loglevel=info
