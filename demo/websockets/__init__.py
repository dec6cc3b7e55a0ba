"""Real time with Flask-SocketIO: chat rooms per article, per-user notifications (Q070, Q110,
Q125).

- `register_namespaces` binds the /chat and /notifications handlers to an app's server;
- `pages.bp` serves the browser pages (/chat/<slug>, /live/export) using the Socket.IO JS client;
- `events.notify_user` pushes to a user from any code, in any process.

This module imports nothing heavy at import time: a worker or script that only needs
`events.notify_user` should not load the pages, the tasks and the auth machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import socketio
from flask import Flask


def client_manager(config: Mapping[str, Any]) -> socketio.Manager:
    """The Socket.IO client manager for one app: Redis pub/sub when REDIS_URL is set.

    Built per app and passed to `init_app` explicitly because Flask-SocketIO keeps its
    options on the shared `SocketIO` object: given only `message_queue=None`, an app would
    inherit the Redis manager of the previous app built in the same process (tests build
    hundreds) and publish to that app's channel.
    """
    url = config.get("REDIS_URL")
    if not url:
        return socketio.Manager()
    return socketio.RedisManager(url, channel=config["SOCKETIO_CHANNEL"])


def register_namespaces(app: Flask) -> None:
    """Give this app's Socket.IO server fresh /chat and /notifications handlers.

    Called after `socketio.init_app`, which builds a new `socketio.Server` for every app:
    handlers registered once at import time would stay on the first app's server only.
    """
    from demo.websockets import comments  # noqa: F401  (subscribes to the comment signal)
    from demo.websockets.chat import ChatNamespace
    from demo.websockets.events import CHAT_NAMESPACE, NOTIFICATIONS_NAMESPACE
    from demo.websockets.notifications import NotificationsNamespace

    socketio = app.extensions["socketio"]
    socketio.on_namespace(ChatNamespace(CHAT_NAMESPACE))
    socketio.on_namespace(NotificationsNamespace(NOTIFICATIONS_NAMESPACE))
