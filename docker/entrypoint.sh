#!/bin/sh
# Container entrypoint (Q109): wait for the database, migrate, then hand the process over to
# the command (gunicorn, or celery for the worker and beat). `exec` matters: the server must
# receive SIGTERM from `docker stop` itself to shut down gracefully, instead of a shell
# swallowing it. `make smoke` runs every app service of docker-compose.yml through this file.
set -eu

# Only psycopg, not the app: importing the app costs seconds of CPU, paid again by the command.
python - <<'PY'
import os, re, sys, time
import psycopg

url = os.environ.get("DATABASE_URL") or ""
if not re.match(r"postgres(ql)?(\+\w+)?://", url):
    sys.exit(0)  # SQLite (or nothing): no server to wait for
# libpq reads postgres:// and postgresql:// URLs; drop SQLAlchemy's "+driver" part if any.
url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)
deadline = time.monotonic() + float(os.environ.get("DB_WAIT_SECONDS") or "60")
waiting = False
while True:
    try:
        psycopg.connect(url, connect_timeout=3).close()
        break
    except psycopg.OperationalError as exc:  # not reachable (yet)
        if time.monotonic() > deadline:
            print(f"entrypoint: database not reachable: {exc}", file=sys.stderr)
            sys.exit(1)
        if not waiting:
            print("entrypoint: waiting for the database ...", file=sys.stderr)
            waiting = True
        time.sleep(1)
PY

if [ "${RUN_MIGRATIONS:-1}" = "1" ]; then
    # Safe with several instances starting together: migrations take a PostgreSQL
    # advisory lock (migrations/env.py), so one runs them and the others wait.
    flask --app demo db upgrade
fi

exec "$@"
