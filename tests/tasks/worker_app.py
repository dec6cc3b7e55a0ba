"""A worker entry point for the tests: the project's factory with the test's Redis settings.

``celery -A tests.tasks.worker_app worker`` builds the same app as `demo.make_celery`, but
with every broker and result key under the test's own prefix (TEST_RUN_TOKEN), so a test
may kill and replace workers without touching anything else that uses the database.
"""

from __future__ import annotations

import os

from demo import create_app
from tests.tasks import worker_tasks  # noqa: F401  (registers the test-only tasks)
from tests.tasks.support import broker_settings

flask_app = create_app(
    "testing", **broker_settings(os.environ["REDIS_URL"], os.environ["TEST_RUN_TOKEN"])
)
celery_app = flask_app.extensions["celery"]
