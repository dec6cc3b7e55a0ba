"""The entry point of Celery's processes (Q166)::

    celery -A demo.make_celery worker --loglevel=info
    celery -A demo.make_celery beat --loglevel=info

It builds the app with the same factory, environment and `.env` as the web process, and
hands Celery that app's Celery instance: every task then runs inside this Flask app's
context. A worker needs a broker; without one the web process runs tasks itself.
"""

from __future__ import annotations

from pathlib import Path

from demo import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

if celery_app.conf.task_always_eager:
    raise RuntimeError(
        "No broker configured: set REDIS_URL (or CELERY_BROKER_URL) for the worker and the "
        "web process alike. Without one, tasks run inline in the web process and no worker "
        "is needed."
    )
# beat keeps its schedule file in the instance folder.
Path(flask_app.instance_path).mkdir(parents=True, exist_ok=True)
