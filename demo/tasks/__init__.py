"""Background tasks with Celery: mail, thumbnails, exports and cleanup (Q060, Q124, Q166).

- `celery_app.celery_init_app` binds a Celery app to each Flask app (the Flask docs' way);
- the task modules (`mail`, `exports`, `thumbnails`, `cleanup`) hold the tasks, each written
  to be safe to run twice;
- `bp` serves the pages (/tasks/export, /tasks/<id>), `api_bp` the JSON API (/api/tasks/...);
- `hooks.user_registered` is the signal registration sends to get its welcome mail.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/tasks", template_folder="templates")
api_bp = Blueprint("tasks_api", __name__, url_prefix="/api/tasks")

from demo.tasks import hooks, views  # noqa: E402,F401  (routes and signal receivers)
