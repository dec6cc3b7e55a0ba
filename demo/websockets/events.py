"""Server-initiated pushes that any code, in any process, can make (Q070, Q110, Q125).

`notify_user` is the one call the rest of the app uses to reach a user's browsers and API
clients: a view, a signal receiver, or a Celery task in a worker process. Every connection a
user opens on /notifications sits in the room `user:<id>`, so one emit reaches all of them.

Where the emit goes depends on the process:

- inside an app (web process, or a Celery worker whose tasks run in an app context), the
  app's own `socketio` emits; with `REDIS_URL` set it publishes on the Redis channel, and
  every server process delivers the event to the clients it holds;
- outside any app (a script, a cron job), a write-only `SocketIO(message_queue=...)` built
  from `REDIS_URL` publishes on the same channel. This is Flask-SocketIO's "emitting from an
  external process" pattern: that process serves nobody, it only publishes.

Events pushed on /notifications (payloads are plain JSON objects):

- ``task_progress``: ``{"task_id", "name", "state", "percent", "result_url", "error"}``,
  state being a Celery state name (PENDING, STARTED, PROGRESS, SUCCESS, FAILURE);
- ``comment``: ``{"article": slug, "title", "comment_id", "author", "body"}`` when someone
  comments on one of the user's articles.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from flask import current_app, has_app_context
from flask_socketio import SocketIO

NOTIFICATIONS_NAMESPACE = "/notifications"
CHAT_NAMESPACE = "/chat"
TASK_PROGRESS_EVENT = "task_progress"
COMMENT_EVENT = "comment"
# Flask-SocketIO's own default, used when SOCKETIO_CHANNEL is unset.
DEFAULT_CHANNEL = "flask-socketio"


def user_room(user_id: int) -> str:
    """The room every /notifications connection of one user joins."""
    return f"user:{user_id}"


def chat_room(slug: str) -> str:
    """The /chat room of one article."""
    return f"article:{slug}"


def notify_user(user_id: int, event: str, data: dict[str, Any]) -> None:
    """Push `event` with `data` to every connection `user_id` has open on /notifications.

    Works in the web process, in a Celery worker and in a plain script (see module docstring).
    A user with no open connection simply receives nothing: pushes are not stored.
    """
    emitter().emit(event, data, namespace=NOTIFICATIONS_NAMESPACE, to=user_room(user_id))


def emitter() -> SocketIO:
    """The current app's `socketio`, or a write-only one on REDIS_URL outside any app."""
    if has_app_context():
        return current_app.extensions["socketio"]
    url = os.environ.get("REDIS_URL")
    if not url:
        raise RuntimeError(
            "notify_user() outside an app context publishes through Redis: set REDIS_URL "
            "(the same one the server processes use), or call it inside app.app_context()."
        )
    return external_emitter(url, os.environ.get("SOCKETIO_CHANNEL") or DEFAULT_CHANNEL)


@cache
def external_emitter(redis_url: str, channel: str = DEFAULT_CHANNEL) -> SocketIO:
    """A publish-only Socket.IO server: no app, no clients, just the Redis message queue.

    Passing `message_queue` without an app is what makes Flask-SocketIO build it write-only.
    Cached because each instance holds its own Redis connection.
    """
    return SocketIO(message_queue=redis_url, channel=channel)
