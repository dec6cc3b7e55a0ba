# syntax=docker/dockerfile:1.7
# flaskproof image (Q109): front-end assets from npm, wheels from the lock file, slim runtime.

# --- 1. Front-end assets: the Socket.IO client from the npm registry, never committed ----
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY demo/static ./demo/static
RUN npm run build

# --- 2. Wheels for every locked dependency and for the app itself --------------------------
FROM python:3.11-slim-bookworm AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN pip install uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# The exact versions of uv.lock, production dependencies only.
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt \
    && pip wheel --wheel-dir /wheels -r requirements.txt
COPY demo ./demo
COPY --from=assets /build/demo/static/vendor ./demo/static/vendor
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- 3. Runtime: no compilers, no build tools, not root ------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_CONFIG=production PORT=8000
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=app:app migrations ./migrations
COPY --chown=app:app gunicorn.conf.py ./
COPY --chown=app:app docker/entrypoint.sh /usr/local/bin/entrypoint
RUN mkdir -p /data/uploads /app/instance && chown -R app:app /data /app/instance
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=3)"
ENTRYPOINT ["entrypoint"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "demo.wsgi:app"]

# --- 4. nginx with the static files baked in -----------------------------------------------
FROM nginx:1.27-alpine AS nginx
COPY nginx/nginx.conf /etc/nginx/nginx.conf
COPY demo/static /srv/flaskproof/static
COPY --from=assets /build/demo/static/vendor /srv/flaskproof/static/vendor
