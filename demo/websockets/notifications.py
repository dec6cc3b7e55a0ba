"""/notifications: a private room per user, for pushes from anywhere (Q070, Q110).

Clients only listen here; nothing they send is handled. Each accepted connection joins
``user:<id>``, the room `notify_user` addresses, so a user with three tabs (or a tab and a
script holding a token) receives every push on each of them.
"""

from __future__ import annotations

from flask_socketio import join_room

from demo.websockets.events import user_room
from demo.websockets.guard import AuthenticatedNamespace
from demo.websockets.identity import SocketUser


class NotificationsNamespace(AuthenticatedNamespace):
    """Per-user push channel: task progress, comments on the user's articles."""

    def connected(self, user: SocketUser) -> None:
        """Put the new connection in its user's room."""
        join_room(user_room(user.id))
