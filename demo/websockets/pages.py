"""The browser side of the real-time features: pages that load the Socket.IO JS client
(Q125, Q166).

- ``/chat/<slug>``: the live chat of an article (demo/static/js/chat.js);
- ``/live/export``: start an export of one's articles and watch it run, pushed over
  /notifications by the Celery worker (demo/static/js/progress.js). `POST /live/export`
  queues the task from the page's session; the task, its states and its download belong
  to `demo.tasks`.

The pages carry no inline script (the Content-Security-Policy allows scripts from 'self'
only): settings travel in `data-` attributes. The JS client itself, socket.io.min.js, is
installed from npm at build time (`make assets`) into demo/static/vendor/, not committed.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from sqlalchemy import select

from demo.auth.permissions import authenticated, current_principal
from demo.errors import error_response
from demo.extensions import db
from demo.models import Article
from demo.tasks.exports import FORMATS, export_articles
from demo.tasks.registry import QueueUnavailableError, enqueue, find_task
from demo.tasks.status import describe
from demo.websockets.events import CHAT_NAMESPACE, NOTIFICATIONS_NAMESPACE, TASK_PROGRESS_EVENT

EXPORT_KIND = "export"

bp = Blueprint("websockets", __name__, template_folder="templates")


@bp.get("/chat/<slug>")
@authenticated
def chat_page(slug: str) -> str:
    """The live chat of one article: join its room, post, see everyone's messages."""
    article = db.first_or_404(
        select(Article).where(Article.slug == slug), description=f"No article {slug!r}."
    )
    return render_template("websockets/chat.html", article=article, namespace=CHAT_NAMESPACE)


@bp.get("/live/export")
@authenticated
def export_page() -> str:
    """A button that starts an export, and a progress bar fed by Socket.IO pushes."""
    return render_template(
        "websockets/export.html",
        formats=FORMATS,
        namespace=NOTIFICATIONS_NAMESPACE,
        event=TASK_PROGRESS_EVENT,
    )


@bp.post("/live/export")
@authenticated
def start_export() -> Response:
    """Queue an export of the caller's articles; 202 with the task's current status.

    The page's fetch sends the CSRF token in `X-CSRFToken` (Flask-WTF checks every POST).
    """
    fmt = (request.get_json(silent=True) or {}).get("format", "csv")
    if fmt not in FORMATS:
        return error_response(422, {"format": [f"must be one of: {', '.join(FORMATS)}"]})
    owner = current_principal().user
    try:
        result = enqueue(export_articles, owner.id, fmt, owner_id=owner.id, kind=EXPORT_KIND)
    except QueueUnavailableError:
        return error_response(503, "The task queue is unavailable; try again in a minute.")
    record = find_task(result.id)
    status = describe(record, download_url=url_for("tasks.download", task_id=result.id))
    response = jsonify(task=status)
    response.status_code = 202
    response.headers["Location"] = url_for("tasks.status_page", task_id=result.id)
    return response
