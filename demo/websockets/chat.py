"""/chat: one Socket.IO room per article, joined and left on request (Q070, Q125).

Events (each answers an acknowledgement, see `demo.websockets.guard`):

- ``join {slug}``: enter the article's room (the article must exist);
- ``leave {slug}``: leave it;
- ``message {slug, text}``: broadcast ``message {id, slug, text, username, sent_at}`` to
  everyone in the room, the sender included (its page shows the line when the server has
  accepted it). Only members of the room may post to it.

With a message queue configured, the broadcast goes through Redis, so members connected to
other server processes receive it too: rooms are cluster-wide, connections are not.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask_socketio import emit, join_room, leave_room, rooms
from sqlalchemy import select

from demo.extensions import db
from demo.models import Article
from demo.websockets.events import chat_room
from demo.websockets.guard import AuthenticatedNamespace, EventRefused, validated
from demo.websockets.schemas import MessageSchema, RoomSchema


def article_exists(slug: str) -> bool:
    """True when an article has this slug."""
    return db.session.scalar(select(Article.id).where(Article.slug == slug)) is not None


class ChatNamespace(AuthenticatedNamespace):
    """Article chat rooms."""

    @validated(RoomSchema())
    def on_join(self, data: dict[str, Any]) -> dict[str, Any]:
        """Join the room of an existing article."""
        if not article_exists(data["slug"]):
            raise EventRefused(f"no article {data['slug']!r}")
        join_room(chat_room(data["slug"]))
        return {"room": data["slug"]}

    @validated(RoomSchema())
    def on_leave(self, data: dict[str, Any]) -> dict[str, Any]:
        """Leave a room (leaving one you are not in is not an error)."""
        leave_room(chat_room(data["slug"]))
        return {"room": data["slug"]}

    @validated(MessageSchema())
    def on_message(self, data: dict[str, Any]) -> dict[str, Any]:
        """Broadcast one message to the room, stamped by the server."""
        room = chat_room(data["slug"])
        if room not in rooms():
            raise EventRefused(f"join {data['slug']!r} before posting to it")
        message = {
            "id": uuid.uuid4().hex,
            "slug": data["slug"],
            "text": data["text"],
            # Who and when come from the server: a client can claim neither.
            "username": self.user.username,
            "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        emit("message", message, to=room)
        return {"id": message["id"]}
