"""Where the session lives: Redis, a local cache, or Flask's signed cookie (Q039-Q042, Q066, Q145).

`SESSION_BACKEND` picks one at start-up:

- ``redis``: Flask-Session stores each session under ``session:<id>`` with a TTL of
  `PERMANENT_SESSION_LIFETIME`; the default whenever `REDIS_URL` is set, and the only
  choice that works across several machines.
- ``cachelib``: Flask-Session over a cachelib store: files in ``<instance>/sessions`` (shared
  by the worker processes of one machine), or process memory in tests. The embedded default.
- ``cookie``: no Flask-Session at all; Flask's `SecureCookieSessionInterface` keeps the
  whole session, signed but readable, in the cookie.

With a server-side backend the cookie carries only a random id, so a session can be revoked
by deleting its entry, it may hold more than 4 kB, and the user cannot read it.
"""

from __future__ import annotations

import os

from cachelib import FileSystemCache, SimpleCache
from flask import Flask, current_app, g, session

from demo.extensions import server_session

BACKENDS = ("redis", "cachelib", "cookie")
# Enough entries for a demo machine; beyond it cachelib prunes expired (then older) files.
FILE_STORE_THRESHOLD = 10_000


class SessionConfigError(RuntimeError):
    """The session backend cannot be set up with this configuration."""


def session_backend(app: Flask) -> str:
    """The configured backend, or the default: Redis when there is one, else cachelib."""
    backend = app.config.get("SESSION_BACKEND") or (
        "redis" if app.config.get("REDIS_URL") else "cachelib"
    )
    if backend not in BACKENDS:
        raise SessionConfigError(
            f"SESSION_BACKEND={backend!r}; expected one of {', '.join(BACKENDS)}"
        )
    return backend


def configure_sessions(app: Flask) -> None:
    """Install the session interface for the configured backend (call after Redis is bound)."""
    backend = session_backend(app)
    app.config["SESSION_BACKEND"] = backend
    if backend == "cookie":
        return  # Flask's default interface stays in place
    if backend == "redis":
        # The app's shared connection pool (from REDIS_URL) unless a client was passed in.
        client = app.config.get("SESSION_REDIS") or app.extensions.get("redis")
        if client is None:
            raise SessionConfigError("SESSION_BACKEND=redis needs REDIS_URL")
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=client)
    else:
        app.config["SESSION_TYPE"] = "cachelib"
        if app.config.get("SESSION_CACHELIB") is None:
            app.config["SESSION_CACHELIB"] = _local_store(app)
    server_session.init_app(app)


def _local_store(app: Flask) -> SimpleCache | FileSystemCache:
    if app.testing:
        return SimpleCache()  # one per app: tests never share sessions
    return FileSystemCache(
        os.path.join(app.instance_path, "sessions"), threshold=FILE_STORE_THRESHOLD, mode=0o600
    )


def renew_session() -> None:
    """Give the session a new id and a new CSRF secret at every change of identity.

    Called after login, logout and password changes. A server-side session otherwise keeps
    its id across a login, so an id planted in the victim's browser before the login (session
    fixation) would be logged in too; Flask-Session's `regenerate` moves the data to a fresh
    id and deletes the old entry. The cookie backend needs no new id (its cookie is rewritten
    anyway), but both get a fresh CSRF secret, so tokens issued before the change stop working.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)  # Flask-WTF caches the signed token for the rest of the request
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)
