"""Every extension object is created here once, unbound, and bound in `create_app` (Q055, Q056).

Creating them at import time without an app is what lets the factory build many apps
(one per test, one per worker process) from the same objects: `init_app` stores the
per-app state in `app.extensions`, never on the extension object.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for the SQLAlchemy 2.0 typed models."""


class RedisClient:
    """A tiny Flask-style wrapper around one `redis.Redis` connection pool per app.

    Written by hand on purpose: the old Flask-Redis is unmaintained, and all this needs
    is the `init_app` pattern. `None` means embedded mode (no `REDIS_URL`).
    """

    def init_app(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        app.extensions["redis"] = (
            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) if url else None
        )

    @property
    def client(self) -> redis.Redis | None:
        return current_app.extensions.get("redis")


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
redis_client = RedisClient()
socketio = SocketIO()
