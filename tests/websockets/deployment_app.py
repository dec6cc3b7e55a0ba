"""The app the live-deployment tests run: the project's factory, its keys under one prefix.

`python -m demo`, `gunicorn demo.wsgi:app` and `celery -A demo.make_celery` build the app
from the environment alone, which is all a real deployment needs. The tests need one thing
more: several test runs may share one Redis (developers run the suite side by side), so each
deployment gets its own Celery queue and its own key prefix for Celery, the task store,
sessions, the cache and rate-limit counters. Those are config values, not environment
variables, so this module builds the same app with them as overrides and exposes it the way
each entry point does:

- ``python -m tests.websockets.deployment_app``: the Socket.IO dev server (as `python -m demo`);
- ``gunicorn tests.websockets.deployment_app:app``: the WSGI app (as `demo.wsgi:app`);
- ``celery -A tests.websockets.deployment_app:celery_app worker`` (as `demo.make_celery`).

DEPLOYMENT_ID names the deployment; everything else comes from the environment.
"""

from __future__ import annotations

import os

from demo import create_app
from demo.extensions import socketio
from demo.fundamentals.running import dev_server_address

PREFIX = f"{os.environ['DEPLOYMENT_ID']}:"

app = create_app(
    TASKS_KEY_PREFIX=PREFIX,
    SESSION_KEY_PREFIX=f"{PREFIX}session:",
    CACHE_KEY_PREFIX=PREFIX,
    RATELIMIT_KEY_PREFIX=PREFIX,
    CELERY={
        "task_default_queue": f"{PREFIX}queue",
        "broker_transport_options": {"global_keyprefix": PREFIX, "visibility_timeout": 3600},
        "result_backend_transport_options": {"global_keyprefix": PREFIX},
    },
)
celery_app = app.extensions["celery"]

if __name__ == "__main__":
    host, port = dev_server_address()
    socketio.run(app, host=host, port=port, use_reloader=False, allow_unsafe_werkzeug=True)
