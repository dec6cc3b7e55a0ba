#!/bin/sh
# Container entrypoint (Q109): wait for the database, migrate, then hand PID 1 to the server.
# `exec` matters: gunicorn must receive SIGTERM from `docker stop` itself to shut down
# gracefully, instead of a shell swallowing it.
set -eu

python - <<'PY'
import os, sys, time
from sqlalchemy import create_engine, text
from demo.config import normalise_database_url

url = os.environ.get("DATABASE_URL")
if not url:
    sys.exit(0)
engine = create_engine(normalise_database_url(url), pool_pre_ping=True)
deadline = time.monotonic() + float(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        break
    except Exception as exc:  # not reachable yet
        if time.monotonic() > deadline:
            print(f"database not reachable: {exc}", file=sys.stderr)
            sys.exit(1)
        time.sleep(1)
engine.dispose()
PY

if [ "${RUN_MIGRATIONS:-1}" = "1" ]; then
    # Safe with several instances starting together: migrations take a PostgreSQL
    # advisory lock (migrations/env.py), so one runs them and the others wait.
    flask --app demo db upgrade
fi

exec "$@"
