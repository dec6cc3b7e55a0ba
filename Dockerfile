# syntax=docker/dockerfile:1.7
# flaskproof image (Q109): front-end assets from npm, wheels from the lock file, slim runtime.
# docker-compose.yml builds the `runtime` target for web, worker and beat, and the `nginx`
# target for the proxy. `make smoke` runs the same commands without Docker.

# --- 1. Front-end assets: the Socket.IO client from the npm registry, never committed ----
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# Copies the client into demo/static/vendor/ (package.json's build script).
RUN npm run build

# --- 2. Wheels for every locked dependency and for the app itself --------------------------
FROM python:3.11-slim-bookworm AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN pip install uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# The exact versions (and hashes) of uv.lock, production dependencies only.
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt \
    && pip wheel --wheel-dir /wheels -r requirements.txt
COPY demo ./demo
COPY --from=assets /build/demo/static/vendor ./demo/static/vendor
# Translations are committed as .po sources; the .mo files Flask-Babel reads are built here.
RUN pip install --no-index --find-links=/wheels babel && pybabel compile -d demo/translations
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- 3. Runtime: no compilers, no build tools, not root ------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_CONFIG=production PORT=8000 \
    UPLOAD_FOLDER=/data/uploads EXPORT_FOLDER=/data/exports
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl
# Content-hashed copies of the CSS/JS and their manifest (static/dist/, Q071), inside the
# installed package where the app looks them up. Any config builds the same files; "testing"
# is the one that touches no disk, database or network while the command runs.
RUN FLASK_CONFIG=testing flask --app demo assets-build
# The app is installed as a package, so Flask's instance folder is <prefix>/var/demo-instance
# (not ./instance): create it for the app user, with the folders uploads and exports live in
# (docker-compose.yml mounts one volume on /data for web and worker alike).
RUN install -d -o app -g app /data /data/uploads /data/exports \
    "$(python -c 'from flask import Flask; print(Flask("demo").instance_path)')"
WORKDIR /app
# Code and configuration stay owned by root: the app user can run them, not change them.
COPY migrations ./migrations
COPY gunicorn.conf.py ./
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/entrypoint
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=3)"
ENTRYPOINT ["entrypoint"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "demo.wsgi:app"]

# --- 4. nginx with the static files baked in -----------------------------------------------
FROM nginx:1.27-alpine AS nginx
COPY nginx/nginx.conf /etc/nginx/nginx.conf
# Exactly the files the app links to: its installed static folder, vendor/ and dist/ included.
COPY --from=runtime /usr/local/lib/python3.11/site-packages/demo/static /srv/flaskproof/static
