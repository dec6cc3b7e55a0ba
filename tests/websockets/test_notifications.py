"""/notifications: a private room per user that any code can push to (Q070, Q110, Q125)."""

from __future__ import annotations

import pytest
from blinker import signal
from flask import current_app
from sqlalchemy import select

from demo.extensions import db
from demo.models import Article, Comment
from demo.websockets import events
from demo.websockets.events import external_emitter, notify_user
from tests.websockets.conftest import access_token

pytestmark = pytest.mark.answers("Q070", "Q125")

PROGRESS = {"task_id": "t-1", "name": "export", "state": "PROGRESS", "percent": 40}


def _pushes(client):
    return [(e["name"], e["args"]) for e in client.get_received("/notifications")]


def test_notify_user_reaches_every_connection_of_that_user_and_nobody_else(connect, ann, bob):
    """One push reaches all of a user's tabs and token clients, and no other user."""
    ann_tab = connect("/notifications", user=ann)
    ann_script = connect("/notifications", token=access_token(ann))
    bob_tab = connect("/notifications", user=bob)

    notify_user(ann.id, events.TASK_PROGRESS_EVENT, PROGRESS)

    assert _pushes(ann_tab) == [("task_progress", [PROGRESS])]
    assert _pushes(ann_script) == [("task_progress", [PROGRESS])]
    assert _pushes(bob_tab) == []


def test_a_disconnected_user_leaves_their_room(connect, ann):
    """Pushes are not stored: after disconnecting, the user's room no longer holds the sid."""
    tab = connect("/notifications", user=ann)
    server = tab.socketio.server
    room = events.user_room(ann.id)
    assert list(server.manager.get_participants("/notifications", room))
    tab.disconnect("/notifications")
    assert not list(server.manager.get_participants("/notifications", room))
    notify_user(ann.id, "comment", {"body": "too late"})  # nobody to deliver to: no error


@pytest.mark.answers("Q110")
def test_outside_an_app_notify_user_needs_the_redis_url(monkeypatch):
    """In a plain process (no app) the push must go through Redis, so REDIS_URL is required."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="set REDIS_URL"):
        notify_user(1, "comment", {})


@pytest.mark.answers("Q110")
def test_the_external_emitter_is_a_write_only_publisher():
    """Emitting from another process uses a SocketIO with a queue and no app: it only publishes."""
    emitter = external_emitter("redis://127.0.0.1:6379/15", "flaskproof-test-write-only")
    manager = emitter.server.manager
    assert manager.write_only is True
    assert (manager.redis_url, manager.channel) == (
        "redis://127.0.0.1:6379/15",
        "flaskproof-test-write-only",
    )
    assert external_emitter("redis://127.0.0.1:6379/15", "flaskproof-test-write-only") is emitter


def _comment(author, article_slug, body):
    article = db.session.scalar(select(Article).where(Article.slug == article_slug))
    comment = Comment(body=body, article=article, author=author)
    db.session.add(comment)
    db.session.commit()
    return comment


def test_a_comment_signal_pushes_the_comment_to_the_article_author(connect, ann, bob):
    """A new comment is pushed to the article's author; the commenter hears nothing."""
    ann_tab = connect("/notifications", user=ann)
    bob_tab = connect("/notifications", user=bob)
    comment = _comment(bob, "hello-world", "Nice post!")

    signal("flaskproof.comment-created").send(current_app._get_current_object(), comment=comment)

    assert _pushes(ann_tab) == [
        (
            "comment",
            [
                {
                    "article": "hello-world",
                    "title": "Hello World",
                    "comment_id": comment.id,
                    "author": "bob",
                    "body": "Nice post!",
                }
            ],
        )
    ]
    assert _pushes(bob_tab) == []


def test_authors_are_not_notified_of_their_own_comments(connect, ann):
    """Commenting on one's own article pushes nothing."""
    ann_tab = connect("/notifications", user=ann)
    comment = _comment(ann, "hello-world", "Replying to myself")
    signal("flaskproof.comment-created").send(current_app._get_current_object(), comment=comment)
    assert _pushes(ann_tab) == []


def test_commenting_through_the_api_notifies_the_article_author(connect, ann, bob, client):
    """POST /api/articles/<slug>/comments by one user pushes it to the author's open tab."""
    ann_tab = connect("/notifications", user=ann)
    response = client.post(
        "/api/articles/hello-world/comments",
        json={"comment": {"body": "Great read"}},
        headers={"Authorization": f"Token {access_token(bob)}"},
    )
    assert response.status_code == 200
    pushes = _pushes(ann_tab)
    assert [name for name, _ in pushes] == ["comment"]
    assert pushes[0][1][0]["author"] == "bob"
    assert pushes[0][1][0]["body"] == "Great read"
    assert pushes[0][1][0]["comment_id"] == response.get_json()["comment"]["id"]
