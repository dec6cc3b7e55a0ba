"""The shape every Socket.IO namespace here shares: authenticate on connect, validate every
event, always answer (Q070, Q125).

Each event handler returns the acknowledgement the client's callback receives:
``{"ok": true, ...}`` or ``{"ok": false, "error": "...", "fields": {...}}``. A refused event also
gets an ``error`` event, for clients that emit without a callback. An unexpected exception
is logged with its traceback and answered the same way, so no payload can take a handler
down or leave a client waiting for an ack that never comes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, emit
from marshmallow import Schema, ValidationError

from demo.websockets.identity import SocketUser, authenticate_connection
from demo.websockets.schemas import load

log = logging.getLogger(__name__)

Ack = dict[str, Any]
Handler = Callable[[Any, dict[str, Any]], Ack]


class EventRefused(Exception):
    """Raised by an event handler to refuse an event with a reason the client may read."""


def validated(schema: Schema) -> Callable[[Handler], Callable[..., Ack]]:
    """Decorate an ``on_<event>`` method: load the payload with `schema`, answer an ack."""

    def decorate(method: Handler) -> Callable[..., Ack]:
        event = method.__name__.removeprefix("on_")

        @wraps(method)
        def handler(self: AuthenticatedNamespace, payload: Any = None, *_extra: Any) -> Ack:
            try:
                return {"ok": True, **method(self, load(schema, payload))}
            except ValidationError as exc:
                return self.refuse(event, "invalid payload", exc.normalized_messages())
            except EventRefused as exc:
                return self.refuse(event, str(exc))
            except Exception:
                log.exception("Socket.IO event %r on %s failed", event, self.namespace)
                return self.refuse(event, "internal error")

        return handler

    return decorate


class AuthenticatedNamespace(Namespace):
    """A namespace whose connections all belong to a known user."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        # sid -> user, for this server process only: events are always handled by the
        # process holding the connection, so nothing here needs to be shared.
        self._users: dict[str, SocketUser] = {}

    def on_connect(self, auth: Any = None) -> None:
        """Refuse unauthenticated connects; remember the user of accepted ones."""
        try:
            user = authenticate_connection(auth)
        except ConnectionRefusedError:
            raise
        except Exception:
            log.exception("Socket.IO connect to %s failed", self.namespace)
            raise ConnectionRefusedError("server error") from None
        self._users[request.sid] = user
        self.connected(user)

    def on_disconnect(self, reason: Any = None) -> None:
        """Forget the connection."""
        self._users.pop(request.sid, None)

    def connected(self, user: SocketUser) -> None:
        """Hook for subclasses: the connection of `user` has just been accepted."""

    @property
    def user(self) -> SocketUser:
        """The user of the connection whose event is being handled."""
        return self._users[request.sid]

    def refuse(self, event: str, reason: str, fields: dict[str, Any] | None = None) -> Ack:
        """Tell the sender why its event was refused: an `error` event and a failed ack."""
        problem: dict[str, Any] = {"error": reason}
        if fields:
            problem["fields"] = fields
        emit("error", {"event": event, **problem})
        return {"ok": False, **problem}
